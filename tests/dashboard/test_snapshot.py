"""The dashboard's rollup: what one clinic's row says, and how it is kept fresh."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.actors import Actor
from config.celery import app as celery_app
from core.rollup import figures_changed
from dashboard.models import ClinicSnapshot
from dashboard.services import clinic_snapshot_refresh, clinic_snapshots_due
from feeds.services import reviews_status_set

SETUP = Actor.of_system("test", "Setup")  # who changes the settings a test sets up


@pytest.fixture(autouse=True)
def _no_snapshot_yet(db):
    """Given: no clinic has a dashboard row yet. A committed test of the same process (a real
    worker's or beat's sweep over every clinic) may have left rows for the world's clinics;
    they are gone inside this test's transaction only."""
    ClinicSnapshot.objects.all().delete()


def test_refresh_computes_every_figure(clinic_a, rows):
    # given: three new reviews (one negative past the 24 h target, one negative within it),
    # an older replied one, two active incidents (one acknowledged) and a resolved one
    r = rows(clinic_a)
    r.review(hours_ago=30, rating=1, label="negative", text="Rude staff")
    r.review(hours_ago=2, rating=2, label="negative", text="Long wait")
    r.review(hours_ago=5, rating=5, label="positive")
    r.review(hours_ago=50, rating=4, label="positive", status="replied")
    r.incident(status="open", severity="medium", title="Medium one")
    top = r.incident(status="acknowledged", severity="critical", title="Critical one")
    r.incident(status="resolved", severity="critical", title="Old one")

    # when
    snap = clinic_snapshot_refresh(clinic=clinic_a)

    # then
    assert snap.new_reviews == 3
    assert snap.average_rating == 3.0  # (1 + 2 + 5 + 4) / 4
    assert snap.rating_count == 4
    assert snap.open_incidents == 2
    assert snap.unacknowledged_incidents == 1
    assert snap.top_incident_id == top.pk and snap.top_incident_title == "Critical one"
    assert snap.awaiting_approval == 0
    assert snap.sla_breaches == 1  # the 30-hour-old negative one
    due = snap.next_sla_due_at
    assert due is not None and timedelta(hours=21) < due - timezone.now() < timedelta(hours=23)
    assert len(snap.sentiment_daily) == 14
    assert snap.sentiment_daily[-1] is not None or snap.sentiment_daily[-2] is not None
    assert ClinicSnapshot.objects.filter(agency=clinic_a.agency).count() == 1


def test_ignored_and_old_reviews_are_not_breaches(clinic_a, rows):
    r = rows(clinic_a)
    r.review(hours_ago=30, rating=1, label="negative", status="ignored")
    r.review(hours_ago=24 * 40, rating=1, label="negative")  # beyond the 30-day lookback
    r.review(hours_ago=30, rating=4, label="neutral")
    assert clinic_snapshot_refresh(clinic=clinic_a).sla_breaches == 0


def test_reply_target_decides_the_breach(clinic_a, rows):
    from clinics.models import Clinic
    from clinics.services import clinic_update

    clinic = Clinic.objects.get(pk=clinic_a.pk)  # not the session's shared instance
    r = rows(clinic)
    r.review(hours_ago=3, rating=None, label="negative")
    assert clinic_snapshot_refresh(clinic=clinic).sla_breaches == 0
    clinic_update(clinic=clinic, actor=SETUP, reply_target_minutes=60)
    assert clinic_snapshot_refresh(clinic=clinic).sla_breaches == 1


def test_sentiment_trend_compares_two_weeks(clinic_a, rows):
    r = rows(clinic_a)
    for hours_ago in (24 * 10, 24 * 10 + 1, 24 * 11):
        r.review(hours_ago=hours_ago, label="positive", score=0.6)
    for hours_ago in (24 * 2, 24 * 2 + 1, 24 * 3):
        r.review(hours_ago=hours_ago, label="negative", score=-0.4)
    snap = clinic_snapshot_refresh(clinic=clinic_a)
    assert snap.sentiment_trend == -1.0  # the last week's mean minus the first week's
    assert sum(snap.sentiment_counts) == 6


def test_one_review_at_each_end_is_too_few_for_a_trend(clinic_a, rows):
    r = rows(clinic_a)
    r.review(hours_ago=24 * 10, label="positive", score=0.6)
    r.review(hours_ago=24 * 2, label="negative", score=-0.4)
    snap = clinic_snapshot_refresh(clinic=clinic_a)
    assert snap.sentiment_trend is None
    assert [v for v in snap.sentiment_daily if v is not None] == [0.6, -0.4]


def test_a_change_marks_the_row_stale_and_the_sweeper_finds_it(clinic_a, rows):
    r = rows(clinic_a)
    review = r.review(hours_ago=1, label="neutral")
    clinic_snapshot_refresh(clinic=clinic_a)
    assert clinic_a.pk not in clinic_snapshots_due()

    # when: triage in the clinic changes a figure
    with schema_context(clinic_a.schema_name):
        assert reviews_status_set(review_ids=[review.pk], status="ignored", who=SETUP) == 1

    # then: the row is stale until refreshed, and the refresh clears it
    snap = ClinicSnapshot.objects.get(clinic=clinic_a)
    assert snap.stale_since is not None
    assert clinic_a.pk in clinic_snapshots_due()
    assert clinic_snapshot_refresh(clinic=clinic_a).new_reviews == 0
    assert ClinicSnapshot.objects.get(clinic=clinic_a).stale_since is None


def test_stale_outside_a_clinic_is_a_no_op(clinic_a):
    connection.set_schema_to_public()
    stale = ClinicSnapshot.objects.filter(stale_since__isnull=False)
    before = set(stale.values_list("pk", "stale_since"))  # other tests' committed work
    figures_changed()  # no clinic in context: nothing to mark
    assert set(stale.values_list("pk", "stale_since")) == before


def test_missing_and_old_rows_are_due(clinic_a, clinic_b):
    now = timezone.now()
    clinic_snapshot_refresh(clinic=clinic_a, now=now - timedelta(hours=1))
    clinic_snapshot_refresh(clinic=clinic_b, now=now)
    due = clinic_snapshots_due(now=now)
    assert clinic_a.pk in due and clinic_b.pk not in due


def test_a_breach_coming_due_makes_the_row_due(clinic_a, rows):
    r = rows(clinic_a)
    r.review(hours_ago=23.9, label="negative")
    snap = clinic_snapshot_refresh(clinic=clinic_a)
    assert clinic_a.pk not in clinic_snapshots_due()
    assert clinic_a.pk in clinic_snapshots_due(now=snap.next_sla_due_at + timedelta(seconds=1))


def _queued(queue: str) -> list[dict]:
    """The messages waiting in a broker queue: task name, args and headers."""
    with celery_app.connection_for_read() as conn:
        raw = conn.default_channel.client.lrange(queue, 0, -1)
    return [json.loads(message)["headers"] for message in reversed(raw)]


def test_changes_queue_one_refresh_per_clinic_after_commit(
    clinic_a, rows, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    with celery_app.connection_for_write() as conn:
        conn.default_channel.client.delete("default")
    with schema_context("public"):  # the rollup's keys live in the public schema's
        cache.delete(f"snapshot-refresh:{clinic_a.pk}")
    r = rows(clinic_a)
    first, second = r.review(label="neutral"), r.review(label="neutral")
    clinic_snapshot_refresh(clinic=clinic_a)
    with schema_context(clinic_a.schema_name), django_capture_on_commit_callbacks(execute=True):
        reviews_status_set(review_ids=[first.pk], status="ignored", who=SETUP)
        reviews_status_set(review_ids=[second.pk], status="ignored", who=SETUP)
        assert _queued("default") == []  # nothing before commit
    queued = _queued("default")
    assert [(h["task"], h["argsrepr"], h["_schema_name"]) for h in queued] == [
        ("dashboard.tasks.clinic_snapshot_refresh", f"({clinic_a.pk},)", "public")
    ]
    assert queued[0]["eta"] is None  # at once: no countdown held in the worker


def test_tasks_refresh_one_clinic_and_sweep_the_due(clinic_a, clinic_b):
    from dashboard.tasks import clinic_snapshot_refresh_task, clinic_snapshots_sweep_task

    assert clinic_snapshot_refresh_task(clinic_a.pk) is True
    assert clinic_snapshot_refresh_task(10**9) is False
    swept = clinic_snapshots_sweep_task()
    assert swept >= 1  # clinic-b (and clinic-c) had no row yet
    assert ClinicSnapshot.objects.filter(clinic=clinic_b).exists()
    assert clinic_snapshots_sweep_task() == 0
