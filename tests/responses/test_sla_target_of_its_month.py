"""A reply published in a month that has ended reads the reply target that month had at its end
(`clinics.selectors.reply_target_of_reply`), the one its monthly report measured it against:
lowering the target in December does not turn a November reply, reported "within the 4 h
target", into a late one in the drafts API (`sla.met`) or on the reply's card. A reply of the
month in progress, and a clock still running, read today's target."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.services import clinic_update
from feeds.models import Review
from reports.selectors import monthly_report
from responses.models import ApprovalStatus, ReplyDraft
from responses.selectors import sla_for
from tests.fixtures.rows import score_add
from tests.responses.conftest import review_in

DEC_5 = datetime(2026, 12, 5, 14, tzinfo=UTC)  # 09:00 in New York


@pytest.fixture
def new_york(clinic_a, monkeypatch):
    clinic_a.timezone = "America/New_York"
    clinic_a.reply_target_minutes = 4 * 60
    clinic_a.save(update_fields=["timezone", "reply_target_minutes"])
    monkeypatch.setattr(timezone, "now", lambda: DEC_5)
    return clinic_a


def _published_reply(clinic, review_at: datetime, minutes: int) -> ReplyDraft:
    review = review_in(clinic, "csv", published_at=review_at)
    with schema_context(clinic.schema_name):
        Review.objects.filter(pk=review.pk).update(rating=1)
        score_add(review=review, model_version="t", label="negative", score=-0.7)
        return ReplyDraft.objects.create(
            review=review, status=ApprovalStatus.PUBLISHED, author_label="user:1",
            published_at=review_at + timedelta(minutes=minutes),
        )  # fmt: skip


def test_a_november_reply_stays_within_the_target_november_had(new_york, api):
    # given a November reply after 3 h and a December one after 2 h, the target being 4 h
    november = _published_reply(new_york, datetime(2026, 11, 10, 15, tzinfo=UTC), 180)
    december = _published_reply(new_york, datetime(2026, 12, 2, 15, tzinfo=UTC), 120)
    # when the target is lowered to 1 h on 5 December
    clinic_update(clinic=new_york, actor=Actor.of_system("test", "T"), reply_target_minutes=60)
    new_york.refresh_from_db()

    # then the November reply is still within its month's 4 h target, as its report says
    client = api("key_a_read")
    base = f"/clinics/{new_york.slug}/api/v1/drafts/"
    sla = client.get(f"{base}{november.pk}/").json()["sla"]
    assert (sla["target_minutes"], sla["met"], sla["breached"]) == (240, True, False)
    with schema_context(new_york.schema_name):
        assert (
            monthly_report(clinic=new_york, month=date(2026, 11, 1))["response_time"][
                "within_target"
            ]
            == 1
        )
        assert sla_for(ReplyDraft.objects.get(pk=november.pk), new_york)["met"] is True
    # and the December reply is read against today's 1 h target: 2 h is late
    sla = client.get(f"{base}{december.pk}/").json()["sla"]
    assert (sla["target_minutes"], sla["met"], sla["breached"]) == (60, False, True)
