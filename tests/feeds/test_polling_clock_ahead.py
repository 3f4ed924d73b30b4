"""A platform whose clock runs ahead of ours: an item it dates in the future must not move the
watermark past our clock, or the items it dates between our clock and that future time (another
of its servers, its clock put right) are older than the watermark and never listed. The item
dated ahead is read again while its time is ahead; it is stored once and keeps its time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from feeds.connectors.base import CLOCK_SKEW, Watermark, decode_cursor
from feeds.models import Review, ReviewRevision, Source
from feeds.services import source_create
from tests.feeds.test_polling import platform_settings, poll  # noqa: F401 - fixture


def _source(fake, clinic, kind: str) -> Source:
    with schema_context(clinic.schema_name):
        return source_create(
            kind=kind,
            name=f"{kind} ahead",
            settings=fake.settings(kind),
            credentials=fake.credentials(kind),
        )


def _set_clock(fake, when: datetime) -> None:
    with fake.lock:
        fake.clock = when.replace(microsecond=0)


ADD = {
    "google": lambda fake: fake.add_google_reviews(1, rating=1)[0],
    "yelp": lambda fake: fake.add_yelp_reviews(1, rating=1)[0],
    "facebook": lambda fake: fake.add_facebook_ratings(1, text="Nobody called me back.")[0],
}


def _stored(clinic) -> dict[str, datetime]:
    with schema_context(clinic.schema_name):
        return dict(Review.objects.values_list("external_id", "published_at"))


def _marks(source: Source) -> list[datetime]:
    state = decode_cursor(source.kind, source.cursor)
    return [Watermark.from_json(v).at for v in state.values() if isinstance(v, dict)]


@pytest.mark.parametrize("kind", ["google", "yelp", "facebook"])
def test_an_item_dated_ahead_does_not_hide_the_ones_dated_before_it(
    platform_settings,  # noqa: F811
    clinic_a,
    kind,
):
    fake = platform_settings
    # given the platform dates a review an hour ahead of our clock, and it is polled
    _set_clock(fake, datetime.now(UTC) + timedelta(hours=1))
    ahead = ADD[kind](fake)
    source = _source(fake, clinic_a, kind)
    assert poll(clinic_a, source)["created"] == 1
    first_time = _stored(clinic_a)[ahead]
    # then the watermark stays behind our clock, by the skew a clock may have
    marks = [mark for mark in _marks(source) if mark is not None]
    assert marks and all(mark <= datetime.now(UTC) - CLOCK_SKEW for mark in marks)

    # when its clock is put right and a review comes dated between our clock and that hour
    _set_clock(fake, datetime.now(UTC))
    between = ADD[kind](fake)
    second = poll(clinic_a, source)

    # then it is read, and the one dated ahead, read again, is neither stored twice nor changed
    assert (second["created"], second["updated"], second["unchanged"]) == (1, 0, 1)
    assert set(_stored(clinic_a)) == {ahead, between}
    assert _stored(clinic_a)[ahead] == first_time
    third = poll(clinic_a, source)
    assert (third["created"], third["updated"]) == (0, 0)
    with schema_context(clinic_a.schema_name):
        assert Review.objects.count() == 2
        assert ReviewRevision.objects.count() == 0


def test_facebook_comments_on_a_post_dated_ahead_are_read(
    platform_settings,  # noqa: F811
    clinic_a,
):
    fake = platform_settings
    # given the page posted while Facebook's clock ran an hour ahead, and it was polled
    _set_clock(fake, datetime.now(UTC) + timedelta(hours=1))
    post = fake.add_facebook_post("We are open on Saturday.")
    source = _source(fake, clinic_a, "facebook")
    assert poll(clinic_a, source)["skipped_own"] == 1
    # when someone comments once its clock is right again
    _set_clock(fake, datetime.now(UTC))
    [comment] = fake.add_facebook_comments(post, text="You were closed, I drove for nothing.")
    counts = poll(clinic_a, source)
    # then the comment is read (the post's watermark did not pass our clock)
    assert counts["created"] == 1
    assert set(_stored(clinic_a)) == {comment}


def test_an_item_dated_ahead_and_edited_is_updated_once(platform_settings, clinic_a):  # noqa: F811
    fake = platform_settings
    _set_clock(fake, datetime.now(UTC) + timedelta(hours=1))
    [review_id] = fake.add_google_reviews(1, rating=2, text="Long wait.")
    source = _source(fake, clinic_a, "google")
    assert poll(clinic_a, source)["created"] == 1
    # when it is edited on the platform (still dated ahead)
    fake.edit_google_review(review_id, comment="Long wait, rude front desk.", rating=1)
    assert poll(clinic_a, source)["updated"] == 1
    # then reading it again changes nothing more
    again = poll(clinic_a, source)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1)
    with schema_context(clinic_a.schema_name):
        review = Review.objects.get(external_id=review_id)
        assert review.text == "Long wait, rude front desk." and review.rating == 1
        assert review.edited_at is not None and review.edited_at <= datetime.now(UTC)
        assert ReviewRevision.objects.filter(review=review).count() == 1
