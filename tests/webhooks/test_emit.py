"""`webhook_event_emit`, the API other apps call: deliveries for subscribed events only,
queued after commit, nothing on rollback, nothing lost while Redis is down."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from kombu.exceptions import OperationalError

from webhooks.models import WebhookDelivery
from webhooks.services import subscription_create, subscription_update, webhook_event_emit
from webhooks.tasks import deliveries_sweep_task, delivery_attempt_task

INCIDENT = {"incident": {"id": 7, "title": "Wait times", "severity": "high"}}


def test_only_active_subscriptions_to_the_event_get_a_delivery(
    clinic_a, receiver, django_capture_on_commit_callbacks, queued
):
    with schema_context(clinic_a.schema_name):
        crisis, _ = subscription_create(
            url=receiver.url, events=["incident.opened", "incident.resolved"]
        )
        reviews, _ = subscription_create(url=receiver.url, events=["review.created"])
        paused, _ = subscription_create(url=receiver.url, events=["incident.opened"])
        subscription_update(subscription=paused, is_active=False)
        # when an incident opens
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            assert webhook_event_emit(event="incident.opened", payload=INCIDENT) == 1
        # then only the crisis team's subscription gets it, queued once after commit
        delivery = WebhookDelivery.objects.get()
        assert delivery.subscription_id == crisis.pk
        assert (delivery.event, delivery.status, delivery.attempts) == (
            "incident.opened",
            "pending",
            0,
        )
        assert delivery.payload == INCIDENT
        assert delivery.next_attempt_at <= timezone.now()
        # and an event nobody subscribed to creates nothing
        assert webhook_event_emit(event="reply.published", payload={"reply": {"id": 1}}) == 0
    assert len(callbacks) == 1
    assert queued == [(delivery.pk, clinic_a.schema_name)]


def test_one_event_shares_its_id_across_subscriptions(clinic_a, receiver, queued):
    with schema_context(clinic_a.schema_name):
        for n in range(2):  # two endpoints (the same URL and events twice is refused)
            subscription_create(url=f"{receiver.url}?copy={n}", events=["review.scored"])
        payload = {"review": {"id": 3}, "score": {"label": "negative", "at": timezone.now()}}
        assert webhook_event_emit(event="review.scored", payload=payload) == 2
        deliveries = list(WebhookDelivery.objects.all())
    assert len({d.event_id for d in deliveries}) == 1
    assert isinstance(deliveries[0].payload["score"]["at"], str)  # JSON as sent


def test_nothing_is_queued_or_stored_when_the_transaction_rolls_back(
    clinic_a, receiver, django_capture_on_commit_callbacks, queued
):
    with schema_context(clinic_a.schema_name):
        subscription_create(url=receiver.url, events=["incident.opened"])
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            webhook_event_emit(event="incident.opened", payload=INCIDENT)
            raise RuntimeError("the incident could not be saved")
        assert not WebhookDelivery.objects.exists()
    assert callbacks == []
    assert queued == []


def test_redis_down_leaves_the_delivery_pending_for_the_sweeper(
    clinic_a, receiver, django_capture_on_commit_callbacks, monkeypatch
):
    # given a broker that cannot be reached
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(delivery_attempt_task, "apply_async", broker_down)
    with schema_context(clinic_a.schema_name):
        subscription_create(url=receiver.url, events=["incident.opened"])
        # when an event is emitted, nothing fails
        with django_capture_on_commit_callbacks(execute=True):
            assert webhook_event_emit(event="incident.opened", payload=INCIDENT) == 1
        delivery = WebhookDelivery.objects.get()
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=timezone.now() - timedelta(minutes=2)
        )
    # then, once Redis is back, the sweeper queues it in its clinic's schema
    swept: list[tuple[int, str]] = []
    monkeypatch.setattr(
        delivery_attempt_task,
        "apply_async",
        lambda args, **kw: swept.append((args[0], connection.schema_name)),
    )
    assert deliveries_sweep_task() == 1
    assert swept == [(delivery.pk, clinic_a.schema_name)]
    assert connection.schema_name == "public"


def test_the_sweeper_leaves_future_and_finished_deliveries_alone(clinic_a, receiver, queued):
    with schema_context(clinic_a.schema_name):
        subscription_create(url=receiver.url, events=["review.created"])
        for n in range(3):
            webhook_event_emit(event="review.created", payload={"review": {"id": n}})
        due, later, done = WebhookDelivery.objects.order_by("pk")
        now = timezone.now()
        WebhookDelivery.objects.filter(pk=due.pk).update(next_attempt_at=now - timedelta(hours=1))
        WebhookDelivery.objects.filter(pk=later.pk).update(next_attempt_at=now + timedelta(hours=1))
        WebhookDelivery.objects.filter(pk=done.pk).update(
            status="delivered", delivered_at=now, next_attempt_at=None
        )
    assert deliveries_sweep_task() == 1
    assert queued == [(due.pk, clinic_a.schema_name)]


def test_a_failed_attempt_queues_its_retry_at_the_backoff_time(clinic_a, receiver, monkeypatch):
    receiver.answer(500)
    retries: list[dict] = []
    monkeypatch.setattr(
        delivery_attempt_task,
        "apply_async",
        lambda args, countdown: retries.append({"args": args, "countdown": countdown}),
    )
    with schema_context(clinic_a.schema_name):
        subscription_create(url=receiver.url, events=["review.created"])
        webhook_event_emit(event="review.created", payload={"review": {"id": 1}})
        delivery = WebhookDelivery.objects.get()
        assert delivery_attempt_task(delivery.pk) == "pending"
        assert delivery_attempt_task(delivery.pk) == "skipped"  # a duplicate task
    (retry,) = retries
    assert retry["args"] == (delivery.pk,)
    assert 25 <= retry["countdown"] <= 37


@pytest.mark.parametrize(
    ("event", "payload", "message"),
    [
        ("review.deleted", {"review": {"id": 1}}, "Unknown webhook event 'review.deleted'"),
        ("review.created", {"id": 1}, "a dict with a 'review' object in it"),
        ("incident.opened", {"incident": {"blob": "x" * 300_000}}, "at most 262144 bytes"),
        ("incident.opened", {"incident": {"when": object()}}, "not JSON serializable"),
    ],
    ids=["unknown-event", "no-resource", "too-large", "not-json"],
)
def test_a_malformed_event_is_a_bug_and_raises(clinic_a, event, payload, message):
    with schema_context(clinic_a.schema_name), pytest.raises((ValueError, TypeError)) as error:
        webhook_event_emit(event=event, payload=payload)
    assert message in str(error.value)


def test_emitting_outside_a_clinic_schema_is_refused(db):
    with pytest.raises(RuntimeError, match="inside a clinic's schema"):
        webhook_event_emit(event="incident.opened", payload=INCIDENT)


def test_a_batch_of_events_is_stored_at_once_each_with_its_own_id(
    clinic_a, receiver, queued, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from webhooks.services import webhook_events_emit

    with schema_context(clinic_a.schema_name):
        for n in range(2):  # two endpoints (the same URL and events twice is refused)
            subscription_create(url=f"{receiver.url}?copy={n}", events=["review.created"])
        payloads = [{"review": {"id": n}} for n in range(50)]
        # select, savepoint, insert, release - each after a SET search_path
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            django_assert_max_num_queries(8),
        ):
            assert webhook_events_emit(event="review.created", payloads=payloads) == 100
        assert WebhookDelivery.objects.values("event_id").distinct().count() == 50
    assert len(callbacks) == 1
    assert len(queued) == 100
