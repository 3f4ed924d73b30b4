"""Integrator walk-through finding: `{"items": [...], "extra": 1}` was stored with `extra`
ignored, though an unknown body field is a 400 naming it everywhere else (docs/integrate.md,
section 7). A batch holds its `items` and nothing else."""

from __future__ import annotations

from django_tenants.utils import schema_context

from feeds.models import Review

INGEST = "/clinics/clinic-a/api/v1/reviews/ingest/"
ITEM = {"source": "google", "external_id": "g-b-1", "published_at": "2026-12-01T10:00:00Z"}


def test_a_batch_with_another_field_is_a_400_naming_it(api, clinic_a):
    body = {"items": [ITEM], "source": "google", "batch_id": "crm-77"}

    answer = api("key_a").post(INGEST, body, content_type="application/json")

    assert answer.status_code == 400
    assert answer.json() == {
        "detail": "Invalid input.",
        "code": "invalid",
        "fields": {"batch_id": ["Unknown field."], "source": ["Unknown field."]},
    }
    with schema_context(clinic_a.schema_name):
        assert not Review.objects.exists()


def test_author_and_author_name_with_two_values_reject_the_item(api, clinic_a):
    """`author` (deprecated) beside `author_name` with another value was stored, and the old
    name won: a client moving to the new name kept its old value."""
    item = {**ITEM, "author": "Old Name", "author_name": "New Name"}

    result = api("key_a").post(INGEST, item, content_type="application/json").json()["results"][0]

    assert (result["status"], result["fields"]) == (
        "rejected",
        {
            "author": [
                "The old name of author_name, sent with another value: send author_name alone."
            ]
        },
    )
    with schema_context(clinic_a.schema_name):
        assert not Review.objects.exists()
