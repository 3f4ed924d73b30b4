"""A review its author deletes on Google just stops being listed: the incremental listing (newest
changes first, down to the cursor) cannot tell it from one that did not change (walk 21: it
stayed in the inbox, the ratings and the reports for ever, and a reply could still be drafted
to it). Polling sweeps: once a day it lists a Google location whole and asks Google about each
stored review it did not list; those Google answers 404 for are stored as taken down, as a
deletion any platform reports is. `feeds.polling._deletions_swept`."""

from __future__ import annotations

from django_tenants.utils import schema_context

from feeds.models import Review, RevisionKind, Source
from feeds.polling import SWEEP_EVERY
from tests.feeds.test_polling import google_source, platform_settings, poll  # noqa: F401


def _sweep_due(clinic, source, *, ago=SWEEP_EVERY) -> None:
    with schema_context(clinic.schema_name):
        Source.objects.filter(pk=source.pk).update(swept_at=source.swept_at - ago)
        source.refresh_from_db()


def _get_requests(fake, review_id: str) -> int:
    return sum(
        1 for r in fake.requests if r.method == "GET" and r.path.endswith(f"/reviews/{review_id}")
    )


def test_a_review_deleted_on_google_is_taken_down_by_the_next_daily_sweep(
    platform_settings,  # noqa: F811 - the fixture
    clinic_a,
):
    fake = platform_settings
    ids = fake.add_google_reviews(60)  # two pages
    source = google_source(fake, clinic_a)
    first = poll(clinic_a, source)
    # the first poll lists everything: it is a sweep, with nothing to ask about
    assert (first["created"], first["deleted"]) == (60, 0)
    assert source.swept_at is not None

    # when the author of one deletes it on Google
    gone = ids[10]
    fake.delete_google_review(gone)
    # then the next polls (incremental) cannot tell, and ask Google nothing
    again = poll(clinic_a, source)
    assert "deleted" not in again
    with schema_context(clinic_a.schema_name):
        assert not Review.objects.get(external_id=gone).is_deleted

    # and the day's sweep lists every review, asks about the one not listed, and takes it down
    _sweep_due(clinic_a, source)
    swept = poll(clinic_a, source)
    assert swept["deleted"] == 1
    assert _get_requests(fake, gone) == 1
    with schema_context(clinic_a.schema_name):
        review = Review.objects.get(external_id=gone)
        assert review.is_deleted and review.deleted_at is not None
        assert list(review.revisions.values_list("kind", flat=True)) == [RevisionKind.DELETE]
        assert Review.objects.filter(is_deleted=False).count() == 59
    assert source.swept_at is not None
    # the next sweep asks nothing again about what is already taken down
    _sweep_due(clinic_a, source)
    assert poll(clinic_a, source)["deleted"] == 0
    assert _get_requests(fake, gone) == 1


def test_a_review_google_still_has_is_kept_and_a_failed_question_leaves_the_sweep_due(
    platform_settings,  # noqa: F811 - the fixture
    clinic_a,
):
    fake = platform_settings
    ids = fake.add_google_reviews(3)
    source = google_source(fake, clinic_a)
    poll(clinic_a, source)
    # given one review deleted on Google, and one Google still has but did not list (a
    # listing that skipped it)
    fake.delete_google_review(ids[1])
    with schema_context(clinic_a.schema_name):
        Review.objects.filter(external_id=ids[0]).update(external_id="AbFvOqSkippedX")
    fake.google_reviews["AbFvOqSkippedX"] = {**fake.google_reviews[ids[0]]}
    _sweep_due(clinic_a, source)
    due_since = source.swept_at

    # when Google fails the question about the deleted one (a 503)
    # (twice: the connector retries once)
    fake.fail(2, status=503, platform="google", method="GET", path_end=f"/reviews/{ids[1]}")
    swept = poll(clinic_a, source)
    # then nothing is taken down on a failed answer, and the sweep stays due
    assert swept["deleted"] == 0
    assert source.swept_at == due_since
    with schema_context(clinic_a.schema_name):
        assert not Review.objects.filter(is_deleted=True).exists()

    # and the next poll finishes it: the deleted one is taken down, the one Google has is kept
    swept = poll(clinic_a, source)
    assert swept["deleted"] == 1
    with schema_context(clinic_a.schema_name):
        taken_down = set(
            Review.objects.filter(is_deleted=True).values_list("external_id", flat=True)
        )
    assert taken_down == {ids[1]}
    assert source.swept_at > due_since


def test_a_sweep_asks_about_at_most_its_share_and_the_rest_wait_for_the_next_poll(
    platform_settings,  # noqa: F811 - the fixture
    clinic_a,
    monkeypatch,
):
    fake = platform_settings
    ids = fake.add_google_reviews(5)
    source = google_source(fake, clinic_a)
    poll(clinic_a, source)
    for review_id in ids[:3]:
        fake.delete_google_review(review_id)
    monkeypatch.setattr("feeds.polling.SWEEP_CHECKS", 2)
    _sweep_due(clinic_a, source)
    due_since = source.swept_at
    # two asked and taken down (the newest first); the sweep stays due for the third
    assert poll(clinic_a, source)["deleted"] == 2
    assert source.swept_at == due_since
    assert poll(clinic_a, source)["deleted"] == 1
    assert source.swept_at > due_since
    with schema_context(clinic_a.schema_name):
        assert set(
            Review.objects.filter(is_deleted=True).values_list("external_id", flat=True)
        ) == set(ids[:3])
    # swept: the next polls list only what changed, and ask nothing
    asked = len(fake.requests)
    assert "deleted" not in poll(clinic_a, source)
    assert len(fake.requests) == asked + 1  # one listing page
