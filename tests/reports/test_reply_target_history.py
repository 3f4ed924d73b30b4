"""A month that has ended keeps the reply target it was measured against (walk 2): lowering a
clinic's target on 6 December must not turn November's replies, reported and sent to the
clinic as within the 4 h target, into late ones. The month in progress reads today's target;
each month reads the target it had at its end (`clinics.selectors.reply_target_at`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.models import REPLY_TARGET_SETTING, SettingChange
from clinics.selectors import reply_target_at
from clinics.services import clinic_update
from reports.selectors import monthly_report
from responses.models import ApprovalStatus, ReplyDraft
from tests.fixtures.rows import score_add
from tests.responses.conftest import review_in

# 5 Dec 2026, 09:00 in New York: November is the last complete month
DEC_5 = datetime(2026, 12, 5, 14, tzinfo=UTC)


@pytest.fixture
def new_york(clinic_a, monkeypatch):
    before = clinic_a.timezone, clinic_a.reply_target_minutes
    clinic_a.timezone = "America/New_York"
    clinic_a.reply_target_minutes = 4 * 60
    clinic_a.save(update_fields=["timezone", "reply_target_minutes"])
    monkeypatch.setattr(timezone, "now", lambda: DEC_5)
    yield clinic_a
    clinic_a.timezone, clinic_a.reply_target_minutes = before
    clinic_a.save(update_fields=["timezone", "reply_target_minutes"])


def _answered_after(clinic, when: datetime, minutes: int) -> None:
    """A 1-star negative review published at `when`, answered through Carewatch `minutes`
    later: the reply target counts it."""
    review = review_in(clinic, "csv", text=f"review at {when.isoformat()}", published_at=when)
    with schema_context(clinic.schema_name):
        type(review).objects.filter(pk=review.pk).update(rating=1)
        score_add(review=review, model_version="new", label="negative", score=-0.7)
        ReplyDraft.objects.create(
            review=review, status=ApprovalStatus.PUBLISHED, author_label="user:1",
            published_at=when + timedelta(minutes=minutes),
        )  # fmt: skip


def _within(clinic, month: date) -> tuple[int, int, int]:
    with schema_context(clinic.schema_name):
        rt = monthly_report(clinic=clinic, month=month)["response_time"]
    return rt["target_minutes"], rt["target_counted"], rt["within_target"]


def test_lowering_the_target_later_does_not_rewrite_a_month_that_has_ended(new_york, api):
    # given a reply in November after 3 hours, within the clinic's 4 h target, and one on
    # 2 December after 2 hours
    _answered_after(new_york, datetime(2026, 11, 10, 15, tzinfo=UTC), 180)
    _answered_after(new_york, datetime(2026, 12, 2, 15, tzinfo=UTC), 120)
    assert _within(new_york, date(2026, 11, 1)) == (240, 1, 1)
    # when the manager lowers the target to 1 h on 5 December
    clinic_update(clinic=new_york, actor=Actor.of_system("test", "T"), reply_target_minutes=60)
    # then November still reads as it was reported: within its 4 h target
    assert _within(new_york, date(2026, 11, 1)) == (240, 1, 1)
    url = f"/clinics/{new_york.slug}/api/v1/reports/monthly/"
    body = api("key_a_read").get(url, {"month": "2026-11"}).json()
    assert (body["response_time"]["target_minutes"], body["response_time"]["within_target"]) == (
        240, 1,
    )  # fmt: skip
    # and the month in progress is measured against today's target: 2 h is late against 1 h
    assert _within(new_york, date(2026, 12, 1)) == (60, 1, 0)


def test_the_target_at_a_time_is_the_one_the_next_change_replaced(new_york):
    # 4 h until 20 October, then 8 h, then 1 h from 3 December
    for at, old, new in (
        (datetime(2026, 10, 20, tzinfo=UTC), "240", "480"),
        (datetime(2026, 12, 3, tzinfo=UTC), "480", "60"),
    ):
        SettingChange.objects.create(
            created_at=at, agency_id=new_york.agency_id, clinic=new_york, area="sla",
            setting=REPLY_TARGET_SETTING, old_value=old, new_value=new,
            actor_label="system:test", actor_name="T", via="api",
        )  # fmt: skip
    new_york.reply_target_minutes = 60
    assert reply_target_at(new_york, datetime(2026, 10, 1, tzinfo=UTC)) == 240
    assert reply_target_at(new_york, datetime(2026, 11, 1, tzinfo=UTC)) == 480
    assert reply_target_at(new_york, datetime(2026, 12, 1, 5, tzinfo=UTC)) == 480
    assert reply_target_at(new_york, DEC_5) == 60
