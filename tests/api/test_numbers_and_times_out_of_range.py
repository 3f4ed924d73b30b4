"""Integrator walk-through findings: a JSON number of more than 4,300 digits was a 500 on every
JSON body (Python refuses to read so long an integer), and a pushed time at the very end of
year 9999 with a negative offset was a 500 for the whole batch (it is past the last day a
date can hold once in UTC). Both are now a 400 (the body) or a rejected item, and the other
items of the batch are stored."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import schema_context

from feeds.models import Review

INGEST = "/clinics/clinic-a/api/v1/reviews/ingest/"
ITEM = {"source": "google", "external_id": "g-n-1", "published_at": "2026-12-01T10:00:00Z"}


@pytest.mark.parametrize(
    "path",
    [INGEST, "/clinics/clinic-a/api/v1/compliance/check/", "/api/v1/auth/token/"],
    ids=["ingest", "compliance-check", "token"],
)
def test_a_number_too_long_to_read_is_a_400_naming_the_body(api, clinic_a, path):
    body = json.dumps(ITEM)[:-1] + ', "rating": 1' + "0" * 5000 + "}"

    answer = api("key_a").post(path, data=body, content_type="application/json")

    assert answer.status_code == 400, answer.content
    assert answer.json() == {
        "detail": "The body is not valid JSON: a number has too many digits.",
        "code": "parse_error",
        "fields": {"body": ["The body is not valid JSON: a number has too many digits."]},
    }
    with schema_context(clinic_a.schema_name):
        assert not Review.objects.exists()


def test_a_time_beyond_what_a_date_holds_rejects_its_item_alone(api, clinic_a):
    published_at = "9999-12-31T23:59:59-14:00"
    message = "Is in the future: give the time it happened, with its offset."
    items = [
        {**ITEM, "external_id": "g-n-bad", "published_at": published_at},
        {**ITEM, "external_id": "g-n-bad-edit", "edited_at": published_at},
        ITEM,
    ]

    answer = api("key_a").post(INGEST, {"items": items}, content_type="application/json")

    assert answer.status_code == 200, answer.content
    results = answer.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "created"]
    assert results[0]["fields"] == {"published_at": [message]}
    assert results[1]["fields"] == {"edited_at": [message]}
    with schema_context(clinic_a.schema_name):
        assert list(Review.objects.values_list("external_id", flat=True)) == ["g-n-1"]
