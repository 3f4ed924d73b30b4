"""One reply clock (`inbox.selectors.reply_clock`) behind every "past the target" and "overdue
by": the agency's "Waiting for a reply" says the time past the target, as the approvals page
and the portal do; and past reviews (a clinic's history imported by CSV as "these are past
reviews") carry no clock, so the dashboard's SLA breaches, the inbox's and the API's
`?sla=breached`, the waiting page and the approval cards agree, on a fixed clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from clinics.access import user_access
from core.text import duration_words
from dashboard.services import clinic_snapshot_refresh
from feeds.models import ImportJob, Review, Source
from feeds.services import import_job_run
from inbox.selectors import NO_CLOCK_WORDS, reply_clock, reviews_awaiting_reply
from portal.selectors import reply_card_get
from responses.models import ApprovalStatus, ReplyDraft
from responses.selectors import sla_for
from tests.fixtures.rows import score_add

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
TARGET = 8 * 60  # 8 h
WAITING = "/agency/waiting/"
INBOX = "/clinics/clinic-a/inbox/"


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    return NOW


@pytest.fixture
def eight_hours(clinic_a):
    """clinic_a with an 8 h reply target (the row is rolled back; the shared object is reset)."""
    before = clinic_a.reply_target_minutes
    clinic_a.reply_target_minutes = TARGET
    clinic_a.save(update_fields=["reply_target_minutes"])
    yield clinic_a
    clinic_a.reply_target_minutes = before


def _review(clinic, external_id: str, *, ago: timedelta, rating=1, label=None) -> Review:
    with schema_context(clinic.schema_name):
        source = Source.objects.filter(kind="google").first() or Source.objects.create(
            kind="google", name="Google clock", enabled=False
        )
        review = Review.objects.create(
            source=source, external_id=external_id, rating=rating, text=f"{external_id} text",
            published_at=NOW - ago,
        )  # fmt: skip
        if label:
            score_add(review=review, model_version="t", label=label, score=-0.8)
    return review


def _row(html: str, clinic_slug: str, pk: int) -> str:
    row = html[html.index(f'id="awaiting-{clinic_slug}-{pk}"') :]
    return row[: row.index("</tr>")]


def _listed(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'name="review" value="(\d+)"', html)}


def test_waiting_says_the_time_past_the_target_not_the_time_waited(clock, eight_hours, login):
    # given a review published 20 h 54 min ago, with an 8 h reply target
    late = _review(eight_hours, "late", ago=timedelta(hours=20, minutes=54))
    fresh = _review(eight_hours, "fresh", ago=timedelta(hours=2))
    clinic_snapshot_refresh(clinic=eight_hours)

    # when a writer opens the agency's waiting page
    html = login("alpha_writer").get(WAITING).content.decode()

    # then it says 12 h 54 min past the 8 h target (and that it has waited 20 h 54 min)
    row = _row(html, "clinic-a", late.pk)
    assert "20 h 54 min · " in row
    assert "12 h 54 min past the 8 h target" in row
    assert "20 h 54 min past" not in row
    assert "6 h left of the 8 h target" in _row(html, "clinic-a", fresh.pk)
    # the approvals page's clock (sla_for) says the same span: "overdue by 12 h 54 min"
    with schema_context(eight_hours.schema_name):
        draft = ReplyDraft.objects.create(
            review=late, status=ApprovalStatus.PENDING_AGENCY, author_label="user:1"
        )
        sla = sla_for(draft, eight_hours)
    assert sla["breached"] and duration_words(abs(sla["remaining_seconds"]) // 60) == "12 h 54 min"
    assert sla == reply_clock(late, target_minutes=TARGET, now=NOW)


def test_the_clock_stops_at_the_reply_and_runs_until_then():
    review = Review(published_at=NOW - timedelta(hours=10))
    running = reply_clock(review, target_minutes=TARGET, now=NOW)
    assert running["breached"] and running["remaining_seconds"] == -2 * 3600
    met = reply_clock(review, target_minutes=TARGET, now=NOW, answered_at=NOW - timedelta(hours=3))
    assert met["met"] and not met["running"] and met["remaining_seconds"] == 3600
    assert reply_clock(Review(published_at=NOW, imported_as_past=True),
                       target_minutes=TARGET, now=NOW) is None  # fmt: skip


def _import(client, clinic, lines: list[str], *, past: bool) -> ImportJob:
    header = "source,external_id,author,rating,text,published_at,url,likes,shares,replies\n"
    upload = SimpleUploadedFile("history.csv", "".join([header, *lines]).encode())
    data = {"file": upload, **({"past_reviews": "on"} if past else {})}
    assert client.post("/clinics/clinic-a/imports/upload/", data).status_code == 302
    with schema_context(clinic.schema_name):
        job = ImportJob.objects.order_by("-pk").first()  # the clock is frozen
        return import_job_run(job_id=job.pk)  # what the worker runs


def test_past_reviews_never_count_against_the_reply_target_anywhere(
    clock, eight_hours, login, api, world
):
    # given a clinic taken on today: its history imported as past reviews, weeks old and 1-2★
    manager = login("alpha_manager")
    weeks = (NOW - timedelta(days=25, hours=15)).isoformat()
    job = _import(manager, eight_hours, [
        f"google,h-1,Ann,1,Never again,{weeks},,0,0,0\n",
        f"google,h-2,Bo,2,Rude staff,{weeks},,0,0,0\n",
        f"google,h-3,Cy,1,Lost my file,{(NOW - timedelta(days=3)).isoformat()},,0,0,0\n",
    ], past=True)  # fmt: skip
    assert job.created_count == 3 and job.past_reviews
    # and, since, one live complaint past the target, one within it, one file not marked past
    live = _review(eight_hours, "live", ago=timedelta(hours=20, minutes=54), label="negative")
    _review(eight_hours, "soon", ago=timedelta(hours=1))
    unmarked = _import(manager, eight_hours, [
        f"google,u-1,Di,1,Still waiting,{(NOW - timedelta(days=2)).isoformat()},,0,0,0\n",
    ], past=False)  # fmt: skip
    assert not unmarked.past_reviews and unmarked.created_count == 1, unmarked.errors
    with schema_context(eight_hours.schema_name):
        past = {r.external_id: r for r in Review.objects.filter(imported_as_past=True)}
        counted = {live.pk, Review.objects.get(external_id="u-1").pk}
    assert set(past) == {"h-1", "h-2", "h-3"}

    # when the figures are computed
    snapshot = clinic_snapshot_refresh(clinic=eight_hours)
    dashboard = manager.get("/agency/").content.decode()
    inbox = manager.get(f"{INBOX}?sla=breached").content.decode()
    api_rows = api("key_a").get("/clinics/clinic-a/api/v1/reviews/?sla=breached").json()
    waiting = manager.get(WAITING).content.decode()

    # then every place counts the same two reviews, and none of the history
    assert snapshot.sla_breaches == 2
    assert 'data-testid="sla-breaches">2<' in dashboard
    assert _listed(inbox) == counted and '<p class="muted">2 items</p>' in inbox
    assert {r["id"] for r in api_rows["results"]} == counted
    assert 'data-testid="awaiting-sla">2</strong>' in waiting
    assert waiting.count('data-testid="past-target"') == 2
    assert all(f'-{r.pk}"' not in waiting for r in past.values())
    assert "25 d" not in waiting
    # the inbox still lists the history, to be answered at leisure
    assert {r.pk for r in past.values()} <= _listed(manager.get(INBOX).content.decode())

    # and a reply to a past review has no clock on the approvals page, the editor or the portal
    old = past["h-1"]
    with schema_context(eight_hours.schema_name):
        draft = ReplyDraft.objects.create(
            review=old, status=ApprovalStatus.PENDING_AGENCY, author_label="user:1"
        )
        assert sla_for(draft, eight_hours) is None
    queue = manager.get("/clinics/clinic-a/replies/").content.decode()
    assert f"SLA: {NO_CLOCK_WORDS}</p>" in queue.replace("&#x27;", "'")
    editor = manager.get(f"/clinics/clinic-a/replies/review/{old.pk}/").content.decode()
    assert 'data-testid="sla-none">Reply target: none, a past review' in editor
    with schema_context(eight_hours.schema_name):
        draft.status = ApprovalStatus.PENDING_CLIENT
        draft.save(update_fields=["status"])
        card = reply_card_get(user_access(world.users["a_approver"], eight_hours), draft.pk)
    assert card["sla"] is None and card["sla_words"] == NO_CLOCK_WORDS


@pytest.mark.parametrize("status", ["replied", "ignored", "in_follow_up", "resolved"])
def test_a_review_answered_otherwise_has_no_clock_on_its_reply_card(clock, eight_hours, status):
    # given: a late review with a reply waiting for approval, and counted as late
    late = _review(eight_hours, f"answered-{status}", ago=timedelta(hours=20))
    with schema_context(eight_hours.schema_name):
        draft = ReplyDraft.objects.create(
            review=late, status=ApprovalStatus.PENDING_AGENCY, author_label="user:1"
        )
        assert sla_for(draft, eight_hours)["breached"]
        # when: it is answered otherwise (on the platform, ignored, ...)
        Review.objects.filter(pk=late.pk).update(status=status)
        draft = ReplyDraft.objects.select_related("review").get(pk=draft.pk)
        # then: the dashboard's rule no longer counts it, and its card has no clock either
        assert not reviews_awaiting_reply(since=NOW - timedelta(days=30)).filter(pk=late.pk)
        assert sla_for(draft, eight_hours) is None
