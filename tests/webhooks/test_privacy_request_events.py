"""The privacy request events: a request carried out through the API tells, in each clinic it
touched, the subscriptions to `privacy_request.received` and `privacy_request.completed`:
signed, delivered once, holding the request's id and that clinic's counts and nothing that names
anyone; a request that fails leaves no delivery (nor anything else) behind."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import DatabaseError
from django_tenants.utils import schema_context

from agency.models import PrivacyRequest
from feeds.models import Review, Source
from feeds.services import privacy
from tests.webhooks.test_delivery import verify
from webhooks.models import WebhookDelivery
from webhooks.services import subscription_create
from webhooks.tasks import delivery_attempt_task

URL = "/api/v1/privacy-requests/"
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
REASON = "Erasure request REQ-114 received by e-mail"
EVENTS = ["privacy_request.received", "privacy_request.completed"]


def _review(clinic, external_id, *, kind="review"):
    with schema_context(clinic.schema_name):
        source, _ = Source.objects.get_or_create(kind="google", defaults={"name": "Google"})
        return Review.objects.create(
            source=source, external_id=external_id, author_name="Reese B.", kind=kind,
            text="Waited two hours, Dr. Lee was rude", rating=None if kind == "mention" else 1,
            published_at=T0,
        )  # fmt: skip


@pytest.fixture
def request_body(clinic_a, clinic_b):
    a1, a2 = _review(clinic_a, "g-1"), _review(clinic_a, "fb-2", kind="mention")
    b1 = _review(clinic_b, "y-3")
    return {
        "author": "Reese B.",
        "reason": REASON,
        "action": "delete",
        "items": [
            {"clinic": "clinic-a", "review_id": a1.pk},
            {"clinic": "clinic-a", "review_id": a2.pk},
            {"clinic": "clinic-b", "review_id": b1.pk},
        ],
    }


def test_the_events_are_signed_and_delivered_once_without_personal_data(
    world, api, clinic_a, clinic_b, receiver, queued, request_body,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    # given clinic A's CRM subscribed to both events, clinic B's to completion only, and a
    # subscription to something else
    with schema_context(clinic_a.schema_name):
        _, secret_a = subscription_create(url=receiver.url, events=EVENTS)
        subscription_create(url=receiver.url + "/reviews", events=["review.created"])
    with schema_context(clinic_b.schema_name):
        _, secret_b = subscription_create(url=receiver.url + "/b", events=EVENTS[1:])

    # when the agency's CRM carries out a request
    with django_capture_on_commit_callbacks(execute=True):
        created = api("key_alpha").post(URL, request_body, content_type="application/json")
    assert created.status_code == 201, created.content
    request_id = created.json()["id"]
    # and the worker runs what was queued, twice over (a task delivered twice)
    assert sorted(schema for _, schema in queued) == sorted(
        [clinic_a.schema_name] * 2 + [clinic_b.schema_name]
    )
    for _ in range(2):
        for delivery_id, schema in queued:
            with schema_context(schema):
                delivery_attempt_task(delivery_id)

    # then each subscriber got each of its events once, signed with its own secret
    got = sorted(
        (r.path, r.headers["X-Carewatch-Event"], r.headers["X-Carewatch-Signature"], r.body)
        for r in receiver.requests
    )
    assert [(path, event) for path, event, _, _ in got] == [
        ("/hooks/carewatch", "privacy_request.completed"),
        ("/hooks/carewatch", "privacy_request.received"),
        ("/hooks/carewatch/b", "privacy_request.completed"),
    ]
    for path, _, header, body in got:
        verify(secret_b if path.endswith("/b") else secret_a, header, body)
    bodies = {(path, event): json.loads(body) for path, event, _, body in got}
    completed_a = bodies[("/hooks/carewatch", "privacy_request.completed")]
    assert completed_a["clinic"] == "clinic-a"
    assert completed_a["data"] == {
        "privacy_request": {
            "id": request_id,
            "url": f"{settings.PUBLIC_BASE_URL}{URL}{request_id}/",
            "status": "completed",
            "action": "delete",
            "received_at": completed_a["data"]["privacy_request"]["received_at"],
            "completed_at": completed_a["data"]["privacy_request"]["received_at"],
            "items": 2,
            "reviews": 1,
            "comments": 0,
            "mentions": 1,
            "to_check": 0,
        }
    }
    received_a = bodies[("/hooks/carewatch", "privacy_request.received")]["data"]
    assert received_a["privacy_request"]["status"] == "received"
    assert received_a["privacy_request"]["completed_at"] is None
    assert received_a["privacy_request"]["items"] == 2
    completed_b = bodies[("/hooks/carewatch/b", "privacy_request.completed")]
    assert completed_b["clinic"] == "clinic-b"
    assert completed_b["data"]["privacy_request"]["items"] == 1  # only its own clinic's counts
    # nothing that names the person, says why, or quotes or identifies the items
    row = PrivacyRequest.objects.get(pk=request_id)
    for _, _, _, body in got:
        text = body.decode()
        for private in ("Reese", "REQ-114", "Dr. Lee", "g-1", "fb-2", "y-3", str(row.receipt)):
            assert private not in text
    with schema_context(clinic_a.schema_name):
        assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {("delivered", 1)}


def test_a_request_that_fails_leaves_nothing_behind(
    world, api, clinic_a, clinic_b, receiver, queued, request_body, monkeypatch,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    # given subscribers in both clinics
    for clinic in (clinic_a, clinic_b):
        with schema_context(clinic.schema_name):
            subscription_create(url=receiver.url, events=EVENTS)
    # and a failure after every clinic was redacted and the events stored (the last step)
    real = privacy.privacy_request_events_emit

    def emit_then_fail(**kwargs):
        assert real(**kwargs) == 4
        raise DatabaseError("the connection dropped")

    monkeypatch.setattr(privacy, "privacy_request_events_emit", emit_then_fail)
    logged_before = set(PrivacyRequest.objects.values_list("pk", flat=True))

    # when the request is carried out
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(DatabaseError),
    ):
        api("key_alpha").post(URL, request_body, content_type="application/json")

    # then nothing is redacted, logged, stored to send or sent
    assert set(PrivacyRequest.objects.values_list("pk", flat=True)) == logged_before
    for clinic in (clinic_a, clinic_b):
        with schema_context(clinic.schema_name):
            assert not Review.objects.filter(redacted_at__isnull=False).exists()
            assert Review.objects.filter(author_name="Reese B.", is_deleted=False).exists()
            assert not WebhookDelivery.objects.exists()
    assert queued == []
    assert receiver.requests == []
