"""`review.updated`: a review Carewatch holds that changes on its platform (its text or rating
edited, taken down) tells the subscribers once per change, with the fields that changed,
signed and delivered as every event is: stored with the change, queued on the real broker
after commit, sent by the worker to a real HTTP receiver. An item sent again as it was, one
whose counts alone moved, or one redacted at its author's request tells nobody."""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from config.celery import app as celery_app
from feeds.models import Review
from tests.webhooks.test_delivery import verify
from webhooks.models import WebhookDelivery
from webhooks.services import subscription_create
from webhooks.tasks import delivery_attempt_task

INGEST = "/clinics/clinic-a/api/v1/reviews/ingest/"
HOOKS = "/clinics/clinic-a/api/v1/webhooks/"
ITEM = {
    "source": "google",
    "external_id": "g-edit-1",
    "author_name": "Sam R.",
    "rating": 2,
    "text": "Waited an hour.",
    "published_at": "2026-11-28T09:00:00Z",
}


@pytest.fixture
def broker():
    """The suite's real Redis broker, its `default` queue emptied first."""
    with celery_app.connection_for_write() as conn:
        client = conn.default_channel.client
        client.delete("default")
        yield client
        client.delete("default")


def work(broker) -> list[str]:
    """What the worker does: take each delivery task off the broker's queue, oldest first, and
    run it in the clinic schema it was queued in. Answers the deliveries' statuses."""
    done = []
    while (raw := broker.rpop("default")) is not None:
        headers = json.loads(raw)["headers"]
        if headers["task"] != delivery_attempt_task.name:
            continue  # the dashboard's refresh, ...: not this test's
        (delivery_id,) = ast.literal_eval(headers["argsrepr"])
        with schema_context(headers["_schema_name"]):
            done.append(delivery_attempt_task(delivery_id))
    return done


def push(client, capture, **fields) -> dict:
    """Push one item (ITEM's identity, with `fields`) and commit; answers the counts."""
    body = {
        "items": [{**{k: ITEM[k] for k in ("source", "external_id", "published_at")}, **fields}]
    }
    with capture(execute=True):
        response = client.post(INGEST, body, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["counts"]


def counts(created=0, updated=0, unchanged=0) -> dict:
    return {"created": created, "updated": updated, "unchanged": unchanged, "rejected": 0}


def test_each_change_on_the_platform_is_told_once_with_what_changed(
    login, api, clinic_a, receiver, broker, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    # given a CRM subscribed to new and changed reviews (through the API), and another
    # subscription to new reviews only
    made = login("alpha_manager").post(
        HOOKS,
        {"url": receiver.url, "events": ["review.created", "review.updated"]},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    secret = made.json()["secret"]
    with schema_context(clinic_a.schema_name):
        subscription_create(url=f"{receiver.url}/new", events=["review.created"])
    key = api("key_a")
    # and a review that arrived
    assert push(key, capture, **ITEM) == counts(created=1)
    assert work(broker) == ["delivered", "delivered"]  # review.created, to both

    # when the platform answers the same review again, as it was
    assert push(key, capture, **ITEM) == counts(unchanged=1)
    # then nobody is told
    assert work(broker) == []

    # when its author edits the text and the rating
    edited = {**ITEM, "rating": 4, "text": "Waited an hour, but the staff were kind."}
    assert push(key, capture, **edited) == counts(updated=1)
    # then the CRM gets one review.updated, signed, with the review as it is now and the changes
    assert work(broker) == ["delivered"]
    request = receiver.requests[-1]
    assert (request.path, request.headers["X-Carewatch-Event"]) == (
        "/hooks/carewatch",
        "review.updated",
    )
    verify(secret, request.headers["X-Carewatch-Signature"], request.body)
    body = json.loads(request.body)
    with schema_context(clinic_a.schema_name):
        review = Review.objects.select_related("source").get(external_id="g-edit-1")
    assert (body["event"], body["clinic"], body["id"]) == (
        "review.updated",
        "clinic-a",
        request.headers["X-Carewatch-Delivery"],
    )
    assert body["data"] == {
        "review": {
            "id": review.pk,
            "source": "google",
            "source_id": review.source.pk,
            "external_id": "g-edit-1",
            "kind": "review",
            "author_name": "Sam R.",
            "rating": 4,
            "text": "Waited an hour, but the staff were kind.",
            "url": "",
            "published_at": "2026-11-28T09:00:00Z",
            "edited_at": None,
            "is_deleted": False,
        },
        "changes": {
            "rating": {"before": 2, "after": 4},
            "text": {
                "before": "Waited an hour.",
                "after": "Waited an hour, but the staff were kind.",
            },
        },
    }

    # when the edit comes again (a re-poll, a retried push), and when only its counts move
    assert push(key, capture, **edited) == counts(unchanged=1)
    assert push(key, capture, likes=3) == counts(updated=1)
    # then nobody is told
    assert work(broker) == []

    # when the platform takes it down
    assert push(key, capture, deleted=True) == counts(updated=1)
    # then the CRM is told that, and only that
    assert work(broker) == ["delivered"]
    taken_down = json.loads(receiver.requests[-1].body)
    assert taken_down["event"] == "review.updated"
    assert taken_down["data"]["changes"] == {"is_deleted": {"before": False, "after": True}}
    assert taken_down["data"]["review"]["is_deleted"] is True
    assert taken_down["data"]["review"]["text"] == "Waited an hour, but the staff were kind."
    assert taken_down["id"] != body["id"]  # each change is its own event

    # and in all: the new-reviews subscription heard of the arrival only, the CRM of the
    # arrival and of the two changes, each delivered at the first attempt
    assert sorted((r.path, r.headers["X-Carewatch-Event"]) for r in receiver.requests) == [
        ("/hooks/carewatch", "review.created"),
        ("/hooks/carewatch", "review.updated"),
        ("/hooks/carewatch", "review.updated"),
        ("/hooks/carewatch/new", "review.created"),
    ]
    with schema_context(clinic_a.schema_name):
        assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {("delivered", 1)}


def test_a_redacted_review_changed_on_its_platform_tells_nobody(
    api, clinic_a, receiver, broker, django_capture_on_commit_callbacks
):
    # given a subscriber, and a review that a privacy request redacted
    with schema_context(clinic_a.schema_name):
        subscription_create(url=receiver.url, events=["review.updated"])
    key = api("key_a")
    push(key, django_capture_on_commit_callbacks, **ITEM)
    with schema_context(clinic_a.schema_name):
        Review.objects.filter(external_id="g-edit-1").update(
            author_name="", text="Removed at the author's request.", redacted_at=timezone.now()
        )
    # when the platform still shows it, edited
    changed = push(key, django_capture_on_commit_callbacks, **{**ITEM, "rating": 5})
    # then nothing comes back, and nobody is told
    assert changed == counts(unchanged=1)
    assert work(broker) == []
    assert receiver.requests == []
    with schema_context(clinic_a.schema_name):
        assert not WebhookDelivery.objects.exists()


def test_a_batch_of_edits_is_one_event_per_changed_review(
    api, clinic_a, receiver, broker, django_capture_on_commit_callbacks
):
    # given three reviews and a subscriber to changes
    with schema_context(clinic_a.schema_name):
        subscription_create(url=receiver.url, events=["review.updated"])
    key = api("key_a")
    items = [{**ITEM, "external_id": f"g-batch-{n}", "text": f"Visit {n}"} for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        key.post(INGEST, {"items": items}, content_type="application/json")
    # when one batch edits the first, leaves the second as it was and dates the third's edit
    edited_at = datetime(2026, 11, 29, 8, tzinfo=UTC)
    items[0] = {**items[0], "text": "Visit 0, edited"}
    items[2] = {**items[2], "edited_at": "2026-11-29T08:00:00Z"}
    with django_capture_on_commit_callbacks(execute=True):
        answer = key.post(INGEST, {"items": items}, content_type="application/json").json()
    assert answer["counts"] == counts(updated=2, unchanged=1)
    # then two events, one per changed review, each with its own changes
    assert work(broker) == ["delivered", "delivered"]
    changes = {
        body["data"]["review"]["external_id"]: body["data"]["changes"]
        for body in (json.loads(r.body) for r in receiver.requests)
    }
    assert changes == {
        "g-batch-0": {"text": {"before": "Visit 0", "after": "Visit 0, edited"}},
        "g-batch-2": {"edited_at": {"before": None, "after": "2026-11-29T08:00:00Z"}},
    }
    with schema_context(clinic_a.schema_name):
        assert Review.objects.get(external_id="g-batch-2").edited_at == edited_at
