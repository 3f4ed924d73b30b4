"""Reviews sync incrementally: `updated_after` lists the reviews changed since an instant
(exclusive) or a day (the whole day in the clinic's time zone, and after), and a review's
`updated_at` moves when what the API shows of it changes: a new score, its status, its text
or counts on the platform, its parent."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.models import Clinic
from feeds.models import Review, Source
from feeds.services import items_ingest, reviews_status_set
from inbox.selectors import reviews_matching, reviews_page_json
from scoring.services import scores_write

URL = "/clinics/clinic-a/api/v1/reviews/"


@pytest.fixture
def changed(clinic_a):
    """Reviews of a clinic in New York, each last changed at a known instant."""
    Clinic.objects.filter(pk=clinic_a.pk).update(timezone="America/New_York")
    with schema_context(clinic_a.schema_name):
        source = Source.objects.create(kind="csv", name="CSV")
        for external_id, at in [
            ("u-1", datetime(2026, 12, 1, 3, tzinfo=UTC)),  # 30 Nov, 22:00 in New York
            ("u-2", datetime(2026, 12, 1, 12, tzinfo=UTC)),  # 1 Dec, 07:00
            ("u-3", datetime(2026, 12, 2, 3, tzinfo=UTC)),  # 1 Dec, 22:00
            ("u-4", datetime(2026, 12, 2, 12, tzinfo=UTC)),  # 2 Dec, 07:00
        ]:
            review = Review.objects.create(
                source=source,
                external_id=external_id,
                published_at=datetime(2026, 11, 1, tzinfo=UTC),
            )
            Review.objects.filter(pk=review.pk).update(updated_at=at)
    return source


def _listed(api, **params) -> list[str]:
    response = api("key_a").get(URL, params)
    assert response.status_code == 200, response.json()
    return sorted(row["external_id"] for row in response.json()["results"])


@pytest.mark.parametrize(
    ("updated_after", "expected"),
    [
        ("2026-12-01", ["u-2", "u-3", "u-4"]),  # the whole of 1 Dec in New York, and after
        ("2026-12-02", ["u-4"]),
        ("2026-12-01T12:00:00Z", ["u-3", "u-4"]),  # an instant: changed after it
        ("2026-12-01T11:59:59.999999Z", ["u-2", "u-3", "u-4"]),
        ("2026-12-01T22:00:00-05:00", ["u-4"]),
        ("2026-12-03", []),
    ],
)
def test_updated_after_lists_what_changed_since(changed, api, updated_after, expected):
    assert _listed(api, updated_after=updated_after) == expected


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "0001-01-01"])
def test_an_unreadable_updated_after_is_a_400_naming_it(changed, api, value):
    response = api("key_a").get(URL, {"updated_after": value})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["updated_after"]


@pytest.mark.parametrize(
    "updated_after",
    [datetime(2026, 12, 1).date(), datetime(2026, 12, 1, 12, tzinfo=UTC)],
    ids=["day", "instant"],
)
def test_the_api_query_and_the_inbox_query_agree_on_updated_after(changed, clinic_a, updated_after):
    with schema_context(clinic_a.schema_name):
        filters = {"updated_after": updated_after}
        expected = list(reviews_matching(**filters).values_list("id", flat=True))
        got = reviews_page_json(filters, after=None, newer=False, limit=100)

    assert [json.loads(item.json)["id"] for item in got] == expected
    assert len(expected) in (3, 2)


@dataclass
class _Score:
    label: str = "negative"
    score: float = -0.8
    confidence: float = 0.9
    model_version: str = "test-1"
    topics: list = field(default_factory=list)
    flags: list = field(default_factory=list)


def _updated_at(clinic, review_id: int) -> datetime:
    with schema_context(clinic.schema_name):
        return Review.objects.values_list("updated_at", flat=True).get(pk=review_id)


def _stale(clinic, review_id: int) -> datetime:
    """The review's `updated_at` set an hour back, so that a change is seen to move it."""
    with schema_context(clinic.schema_name):
        Review.objects.filter(pk=review_id).update(updated_at=timezone.now() - timedelta(hours=1))
    return _updated_at(clinic, review_id)


def _ingest(clinic, source, **item):
    with schema_context(clinic.schema_name):
        items_ingest(raw_items=[{"text": "Waited an hour.", "rating": 2,
                                 "published_at": "2026-11-01T00:00:00+00:00", **item}],
                     source=source)  # fmt: skip
        return Review.objects.get(source=source, external_id=item["external_id"])


def test_a_new_score_moves_updated_at_and_the_same_score_again_does_not(changed, clinic_a):
    with schema_context(clinic_a.schema_name):
        review = Review.objects.get(external_id="u-1")
    before = _stale(clinic_a, review.pk)

    with schema_context(clinic_a.schema_name):
        assert scores_write(results=[(review.pk, _Score())]) == 1
    scored = _updated_at(clinic_a, review.pk)
    assert scored > before

    with schema_context(clinic_a.schema_name):
        assert scores_write(results=[(review.pk, _Score())]) == 0  # stored already
    assert _updated_at(clinic_a, review.pk) == scored


def test_a_status_change_moves_updated_at(changed, clinic_a):
    with schema_context(clinic_a.schema_name):
        review = Review.objects.get(external_id="u-1")
    before = _stale(clinic_a, review.pk)

    with schema_context(clinic_a.schema_name):
        reviews_status_set(
            review_ids=[review.pk], status="needs_reply", who=Actor.of_system("test", "Test")
        )

    assert _updated_at(clinic_a, review.pk) > before


def test_a_change_on_the_platform_moves_updated_at(changed, clinic_a):
    review = _ingest(clinic_a, changed, external_id="p-1", replies=0)
    before = _stale(clinic_a, review.pk)

    _ingest(clinic_a, changed, external_id="p-1", replies=3)  # someone answered it there

    assert _updated_at(clinic_a, review.pk) > before


def test_a_reply_linked_to_its_parent_moves_updated_at(changed, clinic_a):
    # given a comment that arrived before the post it answers
    child = _ingest(clinic_a, changed, external_id="c-1", parent_external_id="post-1")
    before = _stale(clinic_a, child.pk)

    # when the post arrives, and the platform sends the comment again, unchanged
    parent = _ingest(clinic_a, changed, external_id="post-1")
    _ingest(clinic_a, changed, external_id="c-1", parent_external_id="post-1")

    with schema_context(clinic_a.schema_name):
        assert Review.objects.get(pk=child.pk).parent_id == parent.pk
    assert _updated_at(clinic_a, child.pk) > before
