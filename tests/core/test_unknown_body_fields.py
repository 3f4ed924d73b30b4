"""Every API write refuses a body field its operation does not document (400, `fields.<name>:
["Unknown field."]`) before anything is changed; documented fields, read-only ones sent back
from a GET included, keep working, and free-form bodies (ingest, inbound webhooks) are left to
their own checks."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from facts.models import Fact
from tests.responses.conftest import Api

UNKNOWN = ["Unknown field."]


@pytest.fixture
def manager(clinic_a, login) -> Api:
    return Api(login("alpha_manager"), clinic_a)


@pytest.mark.parametrize(
    ("path", "body", "unknown"),
    [
        ("reply-settings/", {"client_step": False}, ["client_step"]),
        (
            "reply-settings/",
            {"require_client_approval": False, "client_step": False},
            ["client_step"],
        ),
        ("crisis/settings/", {"nope": 1}, ["nope"]),
        ("crisis/settings/", {"surge_enabled": False, "nope": 1, "also": 2}, ["also", "nope"]),
    ],
    ids=["misspelt-only", "misspelt-beside-a-real-field", "crisis-nope", "crisis-two-unknown"],
)
def test_an_unknown_field_is_a_400_naming_it_and_nothing_changes(manager, path, body, unknown):
    # given
    before = manager.get(path).json()
    # when
    answer = manager.patch(path, body)
    # then
    assert answer.status_code == 400
    assert answer.json() == {
        "detail": "Invalid input.",
        "code": "invalid",
        "fields": dict.fromkeys(unknown, UNKNOWN),
    }
    assert manager.get(path).json() == before


def test_a_create_with_an_unknown_field_stores_nothing(manager, clinic_a):
    with schema_context(clinic_a.schema_name):
        before = Fact.objects.count()
    answer = manager.post("facts/", {"title": "Parking", "statement": "Free.", "colour": "red"})
    assert answer.status_code == 400
    assert answer.json()["fields"] == {"colour": UNKNOWN}
    with schema_context(clinic_a.schema_name):
        assert Fact.objects.count() == before


def test_an_operation_that_takes_no_body_refuses_any_field_and_takes_an_empty_one(
    manager, clinic_a
):
    from responses.models import ReplyDraft
    from tests.responses.conftest import review_in

    created = manager.post(
        "drafts/", {"review_id": review_in(clinic_a, "csv").pk, "text": "Thank you, we will call."}
    )
    assert created.status_code == 201, created.json()
    path = f"drafts/{created.json()['id']}/discard/"  # documented as taking no body
    answer = manager.post(path, {"reason": "duplicate"})
    assert answer.status_code == 400
    assert answer.json()["fields"] == {"reason": UNKNOWN}
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=created.json()["id"]).status == "draft"
    assert manager.post(path, {}).status_code == 200
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=created.json()["id"]).status == "discarded"


def test_documented_fields_work_and_a_read_body_can_be_sent_back(manager):
    changed = manager.patch("reply-settings/", {"allow_reviewer_name": True})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["allow_reviewer_name"] is True
    settings = manager.get("crisis/settings/").json()  # read-only `updated_at` included
    sent_back = manager.patch("crisis/settings/", {**settings, "surge_enabled": False})
    assert sent_back.status_code == 200, sent_back.json()
    assert sent_back.json()["surge_enabled"] is False


def test_free_form_bodies_keep_their_own_checks(world, clinic_a, client):
    # review ingest documents its body by hand (one item, a list or {"items": [...]})
    answer = client.post(
        f"/clinics/{clinic_a.slug}/api/v1/reviews/ingest/",
        {
            "source": "google",
            "external_id": "unknown-fields-1",
            "author": "Sam R.",
            "rating": 4,
            "text": "Kind staff.",
            "published_at": "2026-01-05T10:00:00Z",
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world.keys['key_a']}",
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["counts"]["created"] == 1
