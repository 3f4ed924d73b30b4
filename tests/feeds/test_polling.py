"""Polling against the local fake platforms: cursors, backoff, health, the dispatcher."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from feeds.models import Review, Source
from feeds.polling import source_poll, sources_claim_due
from feeds.services import source_create
from tests.feeds.conftest import FAST_HTTP


@pytest.fixture
def platform_settings(settings, fake_platforms):
    settings.CONNECTOR_BASE_URLS = dict.fromkeys(
        ("google", "facebook", "yelp"), fake_platforms.base_url
    )
    settings.CONNECTOR_HTTP_OPTIONS = {**FAST_HTTP, "max_retries": 1}
    return fake_platforms


def google_source(fake, clinic):
    with schema_context(clinic.schema_name):
        return source_create(
            kind="google",
            name="GBP",
            settings=fake.settings("google"),
            credentials=fake.credentials("google"),
        )


def poll(clinic, source):
    with schema_context(clinic.schema_name):
        counts = source_poll(source_id=source.pk)
        source.refresh_from_db()
        return counts


def test_first_poll_fetches_every_page_then_only_changes(platform_settings, clinic_a):
    fake = platform_settings
    fake.add_google_reviews(120)  # several pages of 50
    source = google_source(fake, clinic_a)
    assert poll(clinic_a, source)["created"] == 120
    assert source.cursor and source.last_success_at and source.consecutive_failures == 0
    assert source.next_poll_at > timezone.now() + timedelta(minutes=14)
    # nothing changed: nothing stored again
    again = poll(clinic_a, source)
    assert again["created"] == again["updated"] == 0
    # one edit and one new review
    review_id = next(iter(fake.google_reviews))
    fake.edit_google_review(review_id, comment="Changed my mind: terrible")
    fake.add_google_reviews(1)
    third = poll(clinic_a, source)
    assert (third["created"], third["updated"]) == (1, 1)
    with schema_context(clinic_a.schema_name):
        edited = Review.objects.get(external_id=review_id)
        assert edited.text == "Changed my mind: terrible"
        assert edited.revisions.count() == 1
        assert Review.objects.count() == 121


def test_a_platform_time_ahead_of_our_clock_is_kept_as_now(platform_settings, clinic_a):
    # given a review whose platform says it was written years from now (a clock gone wrong)
    fake = platform_settings
    [review_id] = fake.add_google_reviews(1)
    fake.google_reviews[review_id]["createTime"] = "2031-01-01T00:00:00Z"
    fake.google_reviews[review_id]["updateTime"] = "2031-01-01T00:00:00Z"
    source = google_source(fake, clinic_a)
    # when it is polled
    before = timezone.now()
    assert poll(clinic_a, source)["created"] == 1
    # then it is kept, not lost, and dated now: it does not read as a wait that has not begun
    with schema_context(clinic_a.schema_name):
        review = Review.objects.get(external_id=review_id)
    assert before <= review.published_at <= timezone.now()


def test_rate_limit_pushes_the_next_poll_by_retry_after(platform_settings, clinic_a):
    fake = platform_settings
    fake.add_google_reviews(3)
    fake.throttle(5, retry_after=120, platform="google")
    source = google_source(fake, clinic_a)
    counts = poll(clinic_a, source)
    assert counts["error"] == "rate_limited"
    assert "Rate limited" in source.last_error and source.is_healthy
    assert timedelta(seconds=100) < source.next_poll_at - timezone.now() < timedelta(seconds=130)


def test_five_failures_in_a_row_make_a_source_unhealthy_with_backoff(platform_settings, clinic_a):
    fake = platform_settings
    source = google_source(fake, clinic_a)
    waits = []
    for attempt in range(1, 6):
        fake.fail(10, status=503, platform="google")
        poll(clinic_a, source)
        waits.append(source.next_poll_at - timezone.now())
        assert source.consecutive_failures == attempt
        fake.clear_scenarios()
    assert waits == sorted(waits)  # backoff grows
    assert not source.is_healthy
    assert source.last_error.startswith("Unhealthy after 5 failures in a row")
    # once healthy again (reconnected), a success resets the count
    with schema_context(clinic_a.schema_name):
        Source.objects.filter(pk=source.pk).update(is_healthy=True)
    poll(clinic_a, source)
    assert source.consecutive_failures == 0 and source.last_error == ""


def test_dispatcher_claims_due_sources_once(platform_settings, clinic_a):
    fake = platform_settings
    with schema_context(clinic_a.schema_name):
        due = google_source(fake, clinic_a)
        later = google_source(fake, clinic_a)
        Source.objects.filter(pk=later.pk).update(
            next_poll_at=timezone.now() + timedelta(minutes=5)
        )
        csv_source = source_create(kind="csv", name="Imports")
        assert sources_claim_due() == [due.pk]
        assert sources_claim_due() == []  # claimed: not queued twice
        assert csv_source.pk not in sources_claim_due(now=timezone.now() + timedelta(hours=1))


def test_facebook_comments_and_own_replies(platform_settings, clinic_a):
    fake = platform_settings
    post_id = fake.add_facebook_post("We are open on Saturday")
    fake.add_facebook_comments(post_id, 3)
    with schema_context(clinic_a.schema_name):
        source = source_create(
            kind="facebook",
            name="Page",
            settings=fake.settings("facebook"),
            credentials=fake.credentials("facebook"),
        )
    counts = poll(clinic_a, source)
    assert counts["created"] == 3 and counts["skipped_own"] >= 1
    with schema_context(clinic_a.schema_name):
        assert set(Review.objects.values_list("kind", flat=True)) == {"comment"}
