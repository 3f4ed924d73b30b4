"""Offboarding walk-through finding: the privacy requests log read a clinic by its slug, so once
a clinic was deleted and a new one took its slug, the old clinic's requests were listed under the
new clinic (`?clinic=`), grouped with it, and the receipt linked its items into the new clinic's
inbox. Every item records the clinic's id (it never changes, nor is reused): the log now reads a
clinic by it, and a deleted clinic's items link nowhere."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agency.models import PrivacyRequest

URL = "/api/v1/privacy-requests/"
GONE_ID = 987_654  # a clinic deleted since: no clinic has this id


def _item(clinic_id: int, name: str, review_id: int) -> dict:
    return {
        "clinic_id": clinic_id, "clinic_slug": "clinic-a", "clinic_name": name,
        "review_id": review_id, "kind": "review", "source": "google", "source_name": "Google",
        "external_id": f"g-{review_id}", "published_at": "2026-11-02T09:00:00+00:00",
        "rating": 2,
    }  # fmt: skip


@pytest.fixture
def two_clinics_one_slug(world, clinic_a) -> dict[str, PrivacyRequest]:
    """A request in a clinic deleted since whose slug was `clinic-a`, then one in clinic A (the
    new clinic that took the slug)."""
    agency_id = world.agencies["alpha"].pk
    rows = {}
    for key, clinic_id, name, day in (
        ("gone", GONE_ID, "Old Harbor Dental", 1),
        ("now", clinic_a.pk, clinic_a.name, 2),
    ):
        rows[key] = PrivacyRequest.objects.create(
            created_at=datetime(2026, 11, day, 9, tzinfo=UTC), agency_id=agency_id,
            action="redact", author=f"author {key}", reason="REQ-1",
            items=[_item(clinic_id, name, 40 + day)], receipt="Removed.",
        )  # fmt: skip
    return rows


def test_a_clinics_filter_lists_only_that_clinics_requests(api, two_clinics_one_slug):
    listed = api("key_alpha").get(URL, {"clinic": "clinic-a"})

    assert listed.status_code == 200, listed.content
    assert [r["id"] for r in listed.json()["results"]] == [two_clinics_one_slug["now"].pk]


def test_each_row_names_its_clinic_by_id(api, clinic_a, two_clinics_one_slug):
    client = api("key_alpha")
    gone = client.get(f"{URL}{two_clinics_one_slug['gone'].pk}/").json()
    now = client.get(f"{URL}{two_clinics_one_slug['now'].pk}/").json()

    assert [(c["clinic_id"], c["name"]) for c in gone["clinics"]] == [
        (GONE_ID, "Old Harbor Dental")
    ]
    assert [c["clinic_id"] for c in now["clinics"]] == [clinic_a.pk]
    assert [i["clinic_id"] for i in gone["removed"]] == [GONE_ID]


def test_the_receipt_links_only_to_the_clinic_that_still_exists(login, two_clinics_one_slug):
    client = login("alpha_owner")

    gone = client.get(f"/agency/privacy/requests/{two_clinics_one_slug['gone'].pk}/")
    now = client.get(f"/agency/privacy/requests/{two_clinics_one_slug['now'].pk}/")

    assert gone.status_code == now.status_code == 200
    assert "/clinics/clinic-a/inbox/41/" not in gone.content.decode()
    assert "#41 (clinic deleted)" in gone.content.decode()
    assert 'href="/clinics/clinic-a/inbox/42/"' in now.content.decode()
