"""Connecting a source brings in what the platform already shows: that backlog was written before
the agency answered for the clinic, so it counts as history, as a CSV import of "past reviews"
does (`Review.imported_as_past`): no SLA breach, left out of the report's response time. What
is published after the connection counts as usual. The person connecting may say otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from feeds.models import Review
from feeds.polling import source_poll
from inbox.selectors import reviews_awaiting_reply, reviews_past_reply_target
from reports.selectors import month_parse, monthly_report
from responses.models import ApprovalStatus, ReplyDraft
from tests.feeds.fake_platforms import GOOGLE_ACCOUNT, GOOGLE_LOCATION
from tests.feeds.test_connect import come_back, fake, sources, start  # noqa: F401 - fixture

LOCATION = f"accounts/{GOOGLE_ACCOUNT}/locations/{GOOGLE_LOCATION}"


def _backlog(platforms, n: int = 3) -> list[str]:
    """n 1-star reviews on the platform, published two days before the connection."""
    with platforms.lock:
        platforms.clock = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    return platforms.add_google_reviews(n, rating=1)


def _published_now(platforms) -> str:
    """A 1-star review published after the connection."""
    with platforms.lock:
        platforms.clock = datetime.now(UTC).replace(microsecond=0)
    [review_id] = platforms.add_google_reviews(1, rating=1)
    return review_id


def _connect(client, platforms, *, source=None, **form) -> tuple[str, int]:
    """Connect the fake's location through the pages, posting `form` with the choice: the
    choice page as it was offered, and the answer's status."""
    extra = {"source": source.pk} if source is not None else {}
    done = come_back(client, platforms.consent(start(client, "google", **extra)))
    page = client.get(done["Location"]).content.decode()
    answer = client.post(done["Location"], {"choice": LOCATION, "action": "connect", **form})
    return page, answer.status_code


def _poll(clinic, source) -> dict:
    with schema_context(clinic.schema_name):
        return source_poll(source_id=source.pk)


def _past(clinic) -> dict[str, bool]:
    with schema_context(clinic.schema_name):
        return dict(Review.objects.values_list("external_id", "imported_as_past"))


def test_the_backlog_found_on_connecting_is_history_and_later_reviews_count(
    login,
    clinic_a,
    fake,  # noqa: F811
):
    # given 3 one-star reviews already on Google, two days old
    backlog = _backlog(fake)
    client = login("alpha_manager")

    # when the location is connected with the box left as offered, and polled; then a new review
    before = timezone.now()
    page, status = _connect(client, fake, backlog_choice="1", backlog_past="on")
    assert status == 302
    # (the choice offered "past reviews", ticked)
    assert 'name="backlog_past" checked' in page
    assert "already there are past reviews (do not count them against the reply target)" in page
    [source] = sources(clinic_a)
    assert before <= source.history_before <= timezone.now()
    assert _poll(clinic_a, source)["created"] == 3
    new = _published_now(fake)
    assert _poll(clinic_a, source)["created"] == 1

    # then the backlog is history, the new review is not
    assert _past(clinic_a) == {**dict.fromkeys(backlog, True), new: False}
    later = timezone.now() + timedelta(minutes=clinic_a.reply_target_minutes + 60)
    with schema_context(clinic_a.schema_name):
        new_pk = Review.objects.get(external_id=new).pk
        # no SLA breach for the backlog (the dashboard's count, the inbox's ?sla=breached)
        awaiting = reviews_awaiting_reply(since=timezone.now() - timedelta(days=30))
        assert list(awaiting.values_list("pk", flat=True)) == [new_pk]
        past_target = reviews_past_reply_target(
            target_minutes=clinic_a.reply_target_minutes, now=later
        )
        assert list(past_target.values_list("pk", flat=True)) == [new_pk]
        # and the report's response time leaves the backlog's replies out
        replied_at = timezone.now()
        for review in Review.objects.all():
            ReplyDraft.objects.create(
                review=review, status=ApprovalStatus.PUBLISHED, author_label="user:1",
                published_at=max(replied_at, review.published_at + timedelta(minutes=30)),
            )  # fmt: skip
        month = month_parse(replied_at.astimezone(UTC).strftime("%Y-%m"), tz=UTC)
        report = monthly_report(clinic=clinic_a, month=month, now=later)
    rt = report["response_time"]
    assert (rt["replies"], rt["past_left_out"]) == (1, 3)
    assert (rt["target_counted"], rt["within_target"]) == (1, 1)
    # the Sources page says from when the reviews count
    assert (
        f'data-testid="history-before-{source.pk}"'
        in client.get("/clinics/clinic-a/sources/").content.decode()
    )


def test_the_person_connecting_may_count_the_backlog(
    login,
    clinic_a,
    fake,  # noqa: F811
):
    # given the same backlog
    backlog = _backlog(fake, 2)
    client = login("alpha_manager")

    # when the box is unticked (the form still says it was offered)
    assert _connect(client, fake, backlog_choice="1")[1] == 302
    [source] = sources(clinic_a)
    assert source.history_before is None
    _poll(clinic_a, source)

    # then the backlog counts like new reviews: past the reply target two days on
    assert _past(clinic_a) == dict.fromkeys(backlog, False)
    with schema_context(clinic_a.schema_name):
        assert (
            reviews_past_reply_target(
                target_minutes=clinic_a.reply_target_minutes, now=timezone.now()
            ).count()
            == 2
        )


def test_reconnecting_a_source_already_read_keeps_when_its_history_ends(
    login,
    clinic_a,
    fake,  # noqa: F811
):
    # given a location connected and read once
    _backlog(fake, 1)
    client = login("alpha_manager")
    _connect(client, fake, backlog_choice="1", backlog_past="on")
    [source] = sources(clinic_a)
    _poll(clinic_a, source)
    [source] = sources(clinic_a)
    assert source.cursor
    first = source.history_before

    # when it is reconnected (its box is not offered again: what it read stays as it was)
    page, status = _connect(client, fake, source=source)
    assert status == 302 and 'name="backlog_past"' not in page

    # then reviews published while it was disconnected still count
    [source] = sources(clinic_a)
    assert source.history_before == first
    new = _published_now(fake)
    _poll(clinic_a, source)
    assert _past(clinic_a)[new] is False
