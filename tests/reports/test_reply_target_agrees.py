"""One rule says which reviews the reply target (the SLA) counts: negative or 1-2 star, never a
past review imported as history. The monthly report's "within the reply target", the reply
clock each reply shows (the drafts API, the editor and the approvals pages), the dashboard's
SLA breaches and the inbox's "past the reply target" read it on the same data and agree."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import clinic_zone
from dashboard.services import clinic_snapshot_refresh
from feeds.models import Review
from reports.selectors import monthly_report
from responses.models import ApprovalStatus, ReplyDraft

TARGET = 24 * 60  # clinic A's reply target, in minutes


def _replied(rows, when, *, after: timedelta, past: bool = False, **review) -> Review:
    """A review published `after` before `when`, answered through Carewatch at `when`."""
    hours = (timezone.now() - when + after).total_seconds() / 3600
    made = rows.review(hours_ago=hours, status="replied", **review)
    with schema_context(rows.clinic.schema_name):
        if past:
            Review.objects.filter(pk=made.pk).update(imported_as_past=True)
        ReplyDraft.objects.create(
            review=made, status=ApprovalStatus.PUBLISHED, author_label="user:1", published_at=when
        )
    return made


def test_the_report_the_reply_clocks_the_dashboard_and_the_inbox_count_the_same_reviews(
    clinic_a, rows, api
):
    assert clinic_a.reply_target_minutes == TARGET
    now = timezone.now()
    replied_at = now - timedelta(minutes=10)
    r = rows(clinic_a)
    # given replies published through Carewatch, to reviews the reply target counts or not
    on_time = _replied(r, replied_at, after=timedelta(hours=1), rating=1, label="negative")
    late = _replied(r, replied_at, after=timedelta(hours=30), rating=4, label="negative")
    _replied(r, replied_at, after=timedelta(hours=30), rating=5, label="positive")  # thank-you
    _replied(r, replied_at, after=timedelta(hours=1), rating=5, label="positive")  # thank-you
    _replied(r, replied_at, after=timedelta(hours=30), rating=1, label="negative", past=True)
    # and reviews nobody answered, two days old
    unanswered_low = r.review(hours_ago=48, rating=2)
    unanswered_negative = r.review(hours_ago=48, rating=3, label="negative")
    r.review(hours_ago=48, rating=5, label="positive")
    past = r.review(hours_ago=48, rating=1, label="negative")
    with schema_context(clinic_a.schema_name):
        Review.objects.filter(pk=past.pk).update(imported_as_past=True)

    # the reply clock each reply shows: only the two the reply target counts have one
    drafts = api("key_a").get("/clinics/clinic-a/api/v1/drafts/", {"page_size": 50}).json()
    clocks = {d["review_id"]: d["sla"] for d in drafts["results"] if d["sla"] is not None}
    assert set(clocks) == {on_time.pk, late.pk}
    assert [pk for pk, clock in clocks.items() if clock["met"]] == [on_time.pk]

    # the monthly report measures "within the reply target" over the same two
    month = replied_at.astimezone(clinic_zone(clinic_a)).date().replace(day=1)
    with schema_context(clinic_a.schema_name):
        report = monthly_report(clinic=clinic_a, month=month, now=now)
    rt = report["response_time"]
    assert rt["replies"] == 4  # the past review's reply is never measured
    assert (rt["target_counted"], rt["within_target"], rt["within_target_share"]) == (
        len(clocks), 1, 0.5,
    )  # fmt: skip
    assert "The reply target counts only negative and 1–2★ reviews" in rt["basis"]

    # the dashboard and the inbox count the unanswered ones past the target by the same rule
    assert clinic_snapshot_refresh(clinic=clinic_a).sla_breaches == 2
    breached = api("key_a").get("/clinics/clinic-a/api/v1/reviews/", {"sla": "breached"}).json()
    assert {row["id"] for row in breached["results"]} == {
        unanswered_low.pk, unanswered_negative.pk,
    }  # fmt: skip
