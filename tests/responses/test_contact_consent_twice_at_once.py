"""Hostile-input finding: the same contact consent recorded twice at once answered 201 and 500
(IntegrityError on `contact_consent_one_active`: one active consent per review and channel).
Recording holds the review's row, so the two follow one another: the second replaces the
first, as when it is sent after it (201 both), and one consent stays active."""

from __future__ import annotations

import threading
import time

from django.test import Client
from django_tenants.utils import schema_context

from responses.models import ContactConsent
from responses.services import private
from tests.fixtures.tenants import otp_verify_session
from tests.fixtures.threads import race as _race
from tests.responses.conftest import Api, review_in

BODY = {"channel": "email", "address": "d@b.example", "basis": "asked in review"}


def _writer(world, clinic) -> Api:
    client = Client()
    client.force_login(world.users["alpha_writer"])
    otp_verify_session(client, world.users["alpha_writer"])
    return Api(client, clinic)


def test_the_same_consent_recorded_twice_at_once_is_recorded_one_after_the_other(
    world, committed_clinic, monkeypatch
):
    clinic = committed_clinic
    review = review_in(clinic)
    writers = [_writer(world, clinic) for _ in range(2)]
    # the first to record keeps its transaction open a moment after writing its consent
    record, first = private.audit_record, threading.Event()

    def record_slowly(**kwargs):
        record(**kwargs)
        if not first.is_set():
            first.set()
            time.sleep(0.5)

    monkeypatch.setattr(private, "audit_record", record_slowly)

    # when the same consent is recorded twice at once
    url = f"reviews/{review.pk}/contact-consents/"
    responses = _race(*[lambda w=w: w.post(url, BODY) for w in writers])

    # then both are recorded, as when sent one after the other: the second replaces the first
    assert [getattr(r, "status_code", r) for r in responses] == [201, 201]
    with schema_context(clinic.schema_name):
        consents = list(
            ContactConsent.objects.filter(review=review).order_by("id").values_list(
                "address", "revoked_at", "revoked_by_name"
            )
        )  # fmt: skip
    assert len(consents) == 2
    (first_address, revoked_at, revoked_by), (second_address, active, _) = consents
    assert (first_address, second_address) == ("d@b.example", "d@b.example")
    assert revoked_at is not None and revoked_by == "replaced by Alpha Writer"
    assert active is None
    listed = writers[0].get(url).json()
    listed = listed.get("results", listed)
    assert [c["active"] for c in listed] == [True, False]
