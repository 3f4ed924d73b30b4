"""Delivery over real HTTP: signature and body, retries with backoff, giving up after 24 h,
replay, timeouts, idempotent attempts."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from webhooks import deliver
from webhooks.deliver import delivery_attempt
from webhooks.models import WebhookDelivery
from webhooks.services import (
    delivery_replay,
    subscription_create,
    subscription_rotate_secret,
    subscription_update,
    webhook_event_emit,
)

REVIEW = {"review": {"id": 41, "source": "google", "rating": 2, "text": "Long wait."}}


def verify(secret: str, header: str, body: bytes) -> int:
    """What a receiver does (docs/webhooks.md); returns the signed timestamp."""
    parts = [p.split("=", 1) for p in header.split(",")]
    timestamp = int(dict(parts)["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    assert any(k == "v1" and hmac.compare_digest(v, expected.hexdigest()) for k, v in parts)
    return timestamp


def subscribe_and_emit(receiver, *, event="review.created", payload=None):
    subscription, secret = subscription_create(url=receiver.url, events=[event])
    assert webhook_event_emit(event=event, payload=payload or REVIEW) == 1
    return subscription, secret, WebhookDelivery.objects.get(subscription=subscription)


def make_due(delivery):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_a_delivery_is_signed_and_shaped_as_documented(clinic_a, receiver):
    with schema_context(clinic_a.schema_name):
        # given a subscription and an event
        _, secret, delivery = subscribe_and_emit(receiver)
        # when it is delivered
        done = delivery_attempt(delivery_id=delivery.pk)
    # then the receiver got one POST whose signature verifies with the secret
    assert (done.status, done.attempts, done.last_status_code, done.last_error) == (
        "delivered",
        1,
        200,
        "",
    )
    assert done.delivered_at is not None and done.next_attempt_at is None
    assert done.response_ms is not None
    (request,) = receiver.requests
    assert request.path == "/hooks/carewatch"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Carewatch-Event"] == "review.created"
    assert request.headers["X-Carewatch-Delivery"] == str(delivery.event_id)
    timestamp = verify(secret, request.headers["X-Carewatch-Signature"], request.body)
    assert abs(time.time() - timestamp) < 5
    assert (
        deliver.signature("cwhs_other", timestamp, request.body)
        not in request.headers["X-Carewatch-Signature"]
    )
    body = json.loads(request.body)
    assert body == {
        "id": str(delivery.event_id),
        "event": "review.created",
        "clinic": "clinic-a",
        "created_at": body["created_at"],
        "data": REVIEW,
    }
    assert body["created_at"].endswith("Z")


def test_a_500_is_retried_with_backoff_then_delivered(clinic_a, receiver):
    receiver.answer(500, 200)
    with schema_context(clinic_a.schema_name):
        _, secret, delivery = subscribe_and_emit(receiver)
        # when the first attempt gets a 500
        before = timezone.now()
        first = delivery_attempt(delivery_id=delivery.pk)
        # then it waits 30-36 s (backoff with jitter) and says why
        assert (first.status, first.attempts, first.last_status_code) == ("pending", 1, 500)
        assert first.last_error == "HTTP 500 Internal Server Error."
        wait = (first.next_attempt_at - before).total_seconds()
        assert 30 <= wait <= 37
        # and a second task before then does nothing
        assert delivery_attempt(delivery_id=delivery.pk) is None
        assert len(receiver.requests) == 1
        # when the time comes
        make_due(delivery)
        second = delivery_attempt(delivery_id=delivery.pk)
    # then it is delivered on the second attempt, with the same body and delivery id
    assert (second.status, second.attempts, second.last_status_code) == ("delivered", 2, 200)
    assert second.last_error == ""
    first_request, second_request = receiver.requests
    assert first_request.body == second_request.body
    assert (
        first_request.headers["X-Carewatch-Delivery"]
        == second_request.headers["X-Carewatch-Delivery"]
    )
    verify(secret, second_request.headers["X-Carewatch-Signature"], second_request.body)


@pytest.mark.parametrize(("attempts", "low", "high"), [(1, 30, 36), (2, 60, 72), (4, 240, 288)])
def test_backoff_doubles_with_jitter_and_is_capped(attempts, low, high):
    assert all(low <= deliver.backoff_seconds(attempts) <= high for _ in range(50))
    assert 3600 <= deliver.backoff_seconds(40) <= 4320


def test_a_target_that_keeps_failing_is_given_up_24_hours_after_creation(clinic_a, receiver):
    receiver.answer(*[503] * 3)
    with schema_context(clinic_a.schema_name):
        _, _, delivery = subscribe_and_emit(receiver)
        # given a delivery 10 s short of 24 h old: a failure leaves one last try at 24 h
        created = timezone.now() - timedelta(hours=24) + timedelta(seconds=10)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=created)
        almost = delivery_attempt(delivery_id=delivery.pk)
        assert almost.status == "pending"
        assert almost.next_attempt_at == created + timedelta(hours=24)
        # when the last one, past 24 h, fails too
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            created_at=timezone.now() - timedelta(hours=24, seconds=1),
            next_attempt_at=timezone.now(),
        )
        given_up = delivery_attempt(delivery_id=delivery.pk)
        # then it is failed for good and nothing will try it again
        assert (given_up.status, given_up.attempts, given_up.next_attempt_at) == ("failed", 2, None)
        assert given_up.last_error == "HTTP 503 Service Unavailable."
        assert delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.requests) == 2


def test_a_hanging_receiver_times_out_and_is_retried(clinic_a, receiver, monkeypatch):
    monkeypatch.setattr(deliver, "TIMEOUT_SECONDS", 0.3)
    receiver.answer("hang")
    with schema_context(clinic_a.schema_name):
        _, _, delivery = subscribe_and_emit(receiver)
        started = time.monotonic()
        result = delivery_attempt(delivery_id=delivery.pk)
    assert time.monotonic() - started < 3
    assert (result.status, result.last_status_code) == ("pending", None)
    assert result.last_error == "Timed out after 0.3 s."


def test_a_closed_port_is_a_failed_attempt(clinic_a, receiver):
    with schema_context(clinic_a.schema_name):
        subscription, _, delivery = subscribe_and_emit(receiver)
        receiver.stop()
        result = delivery_attempt(delivery_id=delivery.pk)
    assert (result.status, result.last_error) == ("pending", "Connection refused.")


def test_the_secret_never_reaches_last_error(clinic_a, receiver):
    with schema_context(clinic_a.schema_name):
        subscription, secret, delivery = subscribe_and_emit(receiver)
        receiver.answer((500, f"echo {secret}"))
        result = delivery_attempt(delivery_id=delivery.pk)
    assert secret not in result.last_error
    assert result.last_error == "HTTP 500 echo [secret]."


def test_replay_sends_the_same_event_again_freshly_signed(clinic_a, receiver):
    with schema_context(clinic_a.schema_name):
        _, secret, delivery = subscribe_and_emit(receiver)
        delivery_attempt(delivery_id=delivery.pk)
        # when a delivered event is replayed
        replay = delivery_replay(delivery=WebhookDelivery.objects.get(pk=delivery.pk))
        assert (replay.status, replay.attempts, replay.replay_of_id) == ("pending", 0, delivery.pk)
        done = delivery_attempt(delivery_id=replay.pk)
        # then the original stays as it was
        assert WebhookDelivery.objects.get(pk=delivery.pk).attempts == 1
    assert done.status == "delivered"
    first, second = receiver.requests
    assert first.body == second.body  # same id, created_at and data: receivers can dedupe
    assert second.headers["X-Carewatch-Delivery"] == str(delivery.event_id)
    verify(secret, second.headers["X-Carewatch-Signature"], second.body)


def test_a_delivered_delivery_is_not_sent_twice(clinic_a, receiver):
    with schema_context(clinic_a.schema_name):
        _, _, delivery = subscribe_and_emit(receiver)
        assert delivery_attempt(delivery_id=delivery.pk).status == "delivered"
        make_due(delivery)
        assert delivery_attempt(delivery_id=delivery.pk) is None
        assert delivery_attempt(delivery_id=999_999) is None
    assert len(receiver.requests) == 1


def test_a_paused_subscription_gets_nothing(clinic_a, receiver):
    with schema_context(clinic_a.schema_name):
        subscription, _, delivery = subscribe_and_emit(receiver)
        subscription_update(subscription=subscription, is_active=False)
        assert delivery_attempt(delivery_id=delivery.pk) is None
        delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 0)
    assert delivery.last_error == "Not sent: the subscription is paused."
    assert receiver.requests == []


def test_pausing_gives_up_pending_deliveries_at_once_and_leaves_the_others(clinic_a, receiver):
    with schema_context(clinic_a.schema_name):
        subscription, _, sent = subscribe_and_emit(receiver)
        assert delivery_attempt(delivery_id=sent.pk).status == "delivered"
        assert webhook_event_emit(event="review.created", payload=REVIEW) == 1
        waiting = WebhookDelivery.objects.exclude(pk=sent.pk).get(subscription=subscription)
        assert waiting.status == "pending"

        subscription_update(subscription=subscription, is_active=False)  # no attempt made

        waiting.refresh_from_db()
        sent.refresh_from_db()
    assert (waiting.status, waiting.next_attempt_at, waiting.attempts) == ("failed", None, 0)
    assert waiting.last_error == "Not sent: the subscription is paused."
    assert sent.status == "delivered"


def test_after_rotation_both_secrets_sign_for_a_day(clinic_a, receiver):
    with schema_context(clinic_a.schema_name):
        subscription, old, delivery = subscribe_and_emit(receiver)
        new = subscription_rotate_secret(subscription=subscription)
        delivery_attempt(delivery_id=delivery.pk)
    assert new != old and new.startswith("cwhs_")
    (request,) = receiver.requests
    header = request.headers["X-Carewatch-Signature"]
    assert header.count("v1=") == 2
    verify(new, header, request.body)
    verify(old, header, request.body)


def test_the_connection_goes_to_the_address_that_was_checked(clinic_a, receiver, dns):
    # given a host name that resolves to the receiver's address
    dns({"hooks.example": "127.0.0.1"})
    url = f"http://hooks.example:{receiver.port}/in?x=1"
    with schema_context(clinic_a.schema_name):
        subscription, _ = subscription_create(url=url, events=["incident.opened"])
        webhook_event_emit(event="incident.opened", payload={"incident": {"id": 3}})
        delivery = WebhookDelivery.objects.get(subscription=subscription)
        assert delivery_attempt(delivery_id=delivery.pk).status == "delivered"
    (request,) = receiver.requests
    assert request.path == "/in?x=1"
    assert request.headers["Host"] == f"hooks.example:{receiver.port}"


def test_the_documented_verification_snippet_accepts_a_real_delivery(clinic_a, receiver):
    docs = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()
    snippet = re.search(r"```python\n(import hashlib.*?)```", docs, re.S).group(1)
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 - our own documentation
    carewatch_verify = namespace["carewatch_verify"]
    with schema_context(clinic_a.schema_name):
        _, secret, delivery = subscribe_and_emit(receiver)
        delivery_attempt(delivery_id=delivery.pk)
    (request,) = receiver.requests
    header = request.headers["X-Carewatch-Signature"]
    assert carewatch_verify(secret, header, request.body)
    assert not carewatch_verify(secret, header, request.body + b" ")
    assert not carewatch_verify("cwhs_other", header, request.body)
