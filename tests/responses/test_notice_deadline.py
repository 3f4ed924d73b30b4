"""A "waits for you" notice names the text's deadline, the clinic's reply target, as a date and a
time of day in the clinic's time zone with the zone's abbreviation: in the e-mail's subject and
body and in the in-app line; "overdue since …" once it passed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinics.models import Notification
from responses.services.workflow import deadline_words
from tests.responses.conftest import OK_TEXT, review_in

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def in_new_york(world, db):
    clinic = world.clinics["a"]
    before = clinic.timezone
    clinic.timezone = "America/New_York"
    clinic.save(update_fields=["timezone"])  # the routing cache hears of it
    yield clinic
    clinic.timezone = before
    clinic.save(update_fields=["timezone"])


def _words(at: datetime) -> str:
    local = at.astimezone(NEW_YORK)
    return f"{local:%a %-d %b %Y, %H:%M} {local.tzname()}"


def _submit(clinic, as_user, capture, review) -> int:
    writer = as_user("alpha_writer", clinic)
    with capture(execute=True):
        draft = writer.post("drafts/", {"review_id": review.pk, "text": OK_TEXT}).json()
        writer.post(f"drafts/{draft['id']}/submit/")
    return draft["id"]


@pytest.mark.parametrize(
    ("hours_ago", "said"),
    [(1, "reply due"), (24 * 30, "reply overdue since")],
    ids=["due", "overdue"],
)
def test_the_approvers_are_told_when_the_reply_is_due_in_the_clinics_time(
    in_new_york, as_user, mailoutbox, django_capture_on_commit_callbacks, hours_ago, said
):
    # given a 2★ review of a clinic in New York, published `hours_ago`
    clinic = in_new_york
    published = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=hours_ago)
    review = review_in(clinic, published_at=published)
    due = published + timedelta(minutes=clinic.reply_target_minutes)
    # when its reply is submitted
    draft_id = _submit(clinic, as_user, django_capture_on_commit_callbacks, review)
    # then the agency's approvers read the deadline, with the zone it is in
    title = (
        "A reply to a 2★ Google Business Profile review waits for your agency approval — "
        f"{said} {_words(due)}"
    )
    rows = Notification.objects.filter(ref=f"reply:{draft_id}", open=True)
    assert {n.title for n in rows} == {title}
    assert len(mailoutbox) == 2
    for mail in mailoutbox:
        assert mail.subject == f"[Clinic A] {title}"
        assert title in mail.body


@pytest.mark.parametrize(
    ("due", "now", "words"),
    [
        (
            datetime(2026, 7, 1, 13, 30, tzinfo=UTC),
            datetime(2026, 7, 1, 9, 0, tzinfo=UTC),
            "reply due Wed 1 Jul 2026, 09:30 EDT",
        ),
        (
            datetime(2026, 12, 7, 14, 30, tzinfo=UTC),
            datetime(2026, 12, 8, 9, 0, tzinfo=UTC),
            "reply overdue since Mon 7 Dec 2026, 09:30 EST",
        ),
        # the hour the clock goes back: the same reading twice, told apart by its zone
        (
            datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
            datetime(2026, 11, 1, 0, 0, tzinfo=UTC),
            "reply due Sun 1 Nov 2026, 01:30 EST",
        ),
    ],
    ids=["summer", "past", "clock-back"],
)
def test_deadline_words_name_the_clinics_zone(due, now, words):
    class Clinic:
        timezone = "America/New_York"

    assert deadline_words(due, Clinic(), now=now) == words
    assert deadline_words(None, Clinic(), now=now) == ""
