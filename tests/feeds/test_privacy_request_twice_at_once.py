"""Hostile-input finding: the same privacy request sent three times at once was carried out
three times (three log rows, receipts and webhook events), though a request sent twice is
refused ("already deleted ... by request N"). Requests of an agency are now carried out one at
a time, each checked once the one before has ended: the repeats get the 400 a repeat sent
after gets, and nothing of theirs is stored."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

from django.test import Client
from django_tenants.utils import schema_context

from accounts.credentials import api_key_create
from agency.models import PrivacyRequest
from feeds.models import Review, Source
from feeds.services import privacy
from tests.fixtures.tenants import clinic_committed_create, clinic_drop
from tests.fixtures.threads import race as _race

REASON = "Erasure request DSR-78 by email"


def test_the_same_request_sent_three_times_at_once_is_carried_out_once(
    world, django_db_blocker, monkeypatch
):
    with django_db_blocker.unblock():
        # given a committed clinic of its own agency, a review by Riley and an agency key
        made = clinic_committed_create(
            slug=f"priv-{uuid.uuid4().hex[:8]}", name="Lakeview Race", agency_slug="privacy-race"
        )
        clinic, agency = made.clinic, made.agency
        try:
            with schema_context(clinic.schema_name):
                source = Source.objects.create(kind="google", name="Google")
                review = Review.objects.create(
                    source=source, external_id="g-16", author_name="Riley W.", rating=1,
                    text="Rude front desk", published_at=datetime(2026, 11, 2, tzinfo=UTC),
                )  # fmt: skip
            _, issued = api_key_create(
                agency=agency, name=f"crm {uuid.uuid4().hex[:6]}", scopes=["read", "write"]
            )
            # the first request to get in keeps its transaction open a moment after its work
            tell, first = privacy.privacy_request_clinic_tell, threading.Event()

            def tell_slowly(**kwargs):
                tell(**kwargs)
                if not first.is_set():
                    first.set()
                    time.sleep(0.5)

            monkeypatch.setattr(privacy, "privacy_request_clinic_tell", tell_slowly)
            body = {
                "author": "Riley W.", "reason": REASON, "action": "delete",
                "items": [{"clinic": clinic.slug, "review_id": review.pk}],
            }  # fmt: skip
            before = PrivacyRequest.objects.filter(agency_id=agency.pk).count()

            # when the same request is sent three times at once
            def send():
                client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
                return client.post(
                    "/api/v1/privacy-requests/", body, content_type="application/json"
                )

            responses = _race(send, send, send)

            # then it is carried out once; the others are refused as a repeat sent after is
            codes = sorted(getattr(r, "status_code", repr(r)) for r in responses)
            assert codes == [201, 400, 400], [getattr(r, "content", r) for r in responses]
            logged = PrivacyRequest.objects.filter(agency_id=agency.pk)
            assert logged.count() == before + 1
            row = logged.latest("id")
            day = privacy.privacy_day(row.created_at, clinic)
            refused = {
                "items[0].review_id": [
                    f"Item #{review.pk} at Lakeview Race was already deleted on {day} by "
                    f"request {row.pk}: leave it out."
                ]
            }
            for response in responses:
                if response.status_code == 400:
                    assert response.json()["fields"] == refused
            # (as the same request sent once more now)
            again = send()
            assert (again.status_code, again.json()["fields"]) == (400, refused)
            assert logged.count() == before + 1
        finally:
            clinic_drop(clinic)
