"""The report's reply figures agree with the overview's "Replied": an item counts as answered
whichever way it was (a reply published through Carewatch by the platform's API, one posted by
hand from the outbox, or the status "replied": answered on the platform directly or before
Carewatch), the report says how many went through Carewatch, and the response time is measured
only on the replies whose time is known — never on past reviews imported as history, which
count as received but are never late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from agency.branding import brand_name
from feeds.models import Review, ReviewStatus
from reports.selectors import month_parse, monthly_report
from responses.models import ApprovalStatus, OutboxItem, OutboxKind, OutboxStatus, ReplyDraft
from tests.responses.conftest import review_in

OCTOBER = datetime(2026, 10, 6, 12, tzinfo=UTC)
NOW = datetime(2026, 12, 5, 9, tzinfo=UTC)


def _review(clinic, when, **fields) -> Review:
    review = review_in(clinic, "csv", text=f"review at {when.isoformat()}", published_at=when)
    with schema_context(clinic.schema_name):
        Review.objects.filter(pk=review.pk).update(**fields)
    return review


def _carewatch_reply(clinic, review, *, after: timedelta, outbox: str) -> None:
    with schema_context(clinic.schema_name):
        draft = ReplyDraft.objects.create(
            review=review, status=ApprovalStatus.PUBLISHED, author_label="user:1",
            published_at=review.published_at + after,
        )  # fmt: skip
        OutboxItem.objects.create(
            kind=OutboxKind.REPLY, idempotency_key=f"reply:{draft.pk}:1", status=outbox,
            source=review.source, review=review, draft=draft, version=1,
        )  # fmt: skip
        Review.objects.filter(pk=review.pk).update(status=ReviewStatus.REPLIED)


@pytest.fixture
def replies_of_each_kind(clinic_a):
    """Five October items in clinic A (UTC, 24 h reply target)."""
    by_api = _review(clinic_a, OCTOBER)
    _carewatch_reply(clinic_a, by_api, after=timedelta(minutes=60), outbox=OutboxStatus.SENT)
    by_hand = _review(clinic_a, OCTOBER + timedelta(days=1))
    _carewatch_reply(
        clinic_a, by_hand, after=timedelta(minutes=120), outbox=OutboxStatus.POSTED_BY_HAND
    )
    # answered on the platform itself (or before Carewatch): replied, no reply time known
    _review(clinic_a, OCTOBER + timedelta(days=2), status=ReviewStatus.REPLIED)
    # a past review imported as history, answered through Carewatch three days on
    past = _review(clinic_a, OCTOBER + timedelta(days=3), imported_as_past=True)
    _carewatch_reply(clinic_a, past, after=timedelta(days=3), outbox=OutboxStatus.SENT)
    _review(clinic_a, OCTOBER + timedelta(days=4), status=ReviewStatus.NEEDS_REPLY)
    return clinic_a


def _october(clinic) -> dict:
    with schema_context(clinic.schema_name):
        return monthly_report(clinic=clinic, month=month_parse("2026-10", tz=UTC), now=NOW)


def test_every_way_of_answering_counts_and_carewatch_is_told_apart(replies_of_each_kind):
    report = _october(replies_of_each_kind)
    assert report["volume"] == 5  # the past review counts as received
    assert report["answered"] == {
        "reviews": 4, "share": 0.8, "through_carewatch": 3, "posted_by_hand": 1,
        "elsewhere": 1, "handled_privately": 0, "past_imported": 1,
    }  # fmt: skip
    days = {d["date"]: d["answered"] for d in report["daily"]}
    assert [days[f"2026-10-{d:02d}"] for d in range(6, 11)] == [1, 1, 1, 1, 0]
    assert sum(w["answered"] for w in report["weekly"]) == 4


def test_response_time_only_where_the_reply_time_is_known_and_never_for_past_reviews(
    replies_of_each_kind,
):
    rt = _october(replies_of_each_kind)["response_time"]
    basis = rt.pop("basis")
    # the API reply (60 min) and the one posted by hand (120 min); the past review's reply,
    # three days on, is neither measured nor late
    assert rt == {
        "replies": 2, "past_left_out": 1, "median_minutes": 90.0, "average_minutes": 90.0,
        "target_counted": 2, "within_target": 2, "within_target_share": 1.0,
        "target_minutes": 1440,
    }  # fmt: skip
    # the agency's brand as the report names it (another test may have branded clinic A's)
    brand = brand_name(replies_of_each_kind.agency)
    assert basis == (
        "Response time is measured only where the reply time is known: 2 replies published "
        f"through {brand} in this period, from the review's publication to the reply's. "
        f"Reviews answered on the platform directly or before {brand} answered for the "
        "clinic count as answered but have no known reply time. Past reviews imported as history count as received "
        "but are left out of the response time and never count as late: they were written "
        "before the agency answered for the clinic (1 reply to them left out)."
    )


def test_a_month_answered_only_on_the_platform_says_so_instead_of_none(clinic_a, login):
    # given: the tester's clinic: everything replied before Carewatch, nothing through it
    for day in range(3):
        _review(clinic_a, OCTOBER + timedelta(days=day), status=ReviewStatus.REPLIED)
    # when
    report = _october(clinic_a)
    html = login("alpha_manager").get(f"/clinics/{clinic_a.slug}/report/?month=2026-10")
    # then
    assert report["answered"]["reviews"] == 3 and report["response_time"]["replies"] == 0
    page = html.content.decode()
    assert "<dt>Answered</dt><dd>3 of 3 (100 %)</dd>" in page
    assert (
        "0 published through Alpha Agency, 3 on the platform directly or before Alpha Agency "
        "answered for the clinic</dd>" in page
    )
    assert "no reply with a known time in this period" in page
    assert "none in this period" not in page
