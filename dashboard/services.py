"""The dashboard's rollup: one row per clinic in the public schema (`ClinicSnapshot`), so a page
over hundreds of clinics is one query. Any app says a clinic's figures changed through
`core.rollup.figures_changed`; a task refreshes the row soon after, and a beat sweeper catches
everything else. Each figure is read through the selectors of the app that owns it."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

from django.db.models import F, Q
from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import Clinic
from crisis.selectors import incident_figures
from dashboard.models import ClinicSnapshot
from feeds.selectors import review_figures
from inbox.selectors import reply_target_figures
from responses.selectors import (
    approvals_waiting_counts,
    delivery_failures_count,
)
from scoring.selectors import sentiment_by_day

SPARK_DAYS = 14
RATING_DAYS = 90
SNAPSHOT_MAX_AGE = timedelta(minutes=15)


def _figures(clinic: Clinic, now: datetime) -> dict:
    """The dashboard's figures for `clinic`, read in its schema."""
    tz_name = clinic.timezone or "UTC"
    today = now.astimezone(zoneinfo.ZoneInfo(tz_name)).date()
    first_day = today - timedelta(days=SPARK_DAYS - 1)
    start = datetime.combine(first_day, time.min, tzinfo=zoneinfo.ZoneInfo(tz_name))
    with schema_context(clinic.schema_name):
        reviews = review_figures(now=now, rating_days=RATING_DAYS)
        by_day = sentiment_by_day(start=start, tz=tz_name)
        incidents = incident_figures()
        awaiting = approvals_waiting_counts()
        failed = delivery_failures_count()
        breaches, next_due = reply_target_figures(
            target_minutes=clinic.reply_target_minutes, now=now
        )
    daily = [
        round(by_day[d], 3) if (d := first_day + timedelta(days=i)) in by_day else None
        for i in range(SPARK_DAYS)
    ]
    top = incidents["top"]
    return {
        "new_reviews": reviews["new_reviews"],
        "average_rating": round(reviews["rating_mean"], 2)
        if reviews["rating_mean"] is not None
        else None,
        "rating_count": reviews["rating_count"],
        "sentiment_daily": daily,
        "sentiment_trend": sentiment_change(daily),
        "open_incidents": incidents["active"],
        "unacknowledged_incidents": incidents["unacknowledged"],
        "top_incident_id": top["id"] if top else None,
        "top_incident_title": (top["title"] if top else "")[:300],
        "top_severity": top["rank"] + 1 if top else 0,
        "top_severity_label": top["severity"] if top else "",
        "oldest_unacknowledged_at": incidents["oldest_unacknowledged_at"],
        "escalated": incidents["escalated"],
        "awaiting_approval": sum(awaiting.values()),
        "awaiting_replies": awaiting["replies"],
        "awaiting_batches": awaiting["batches"],
        "awaiting_statements": awaiting["statements"],
        "failed_deliveries": failed,
        "sla_breaches": breaches,
        "next_sla_due_at": next_due,
    }


# A change of the line smaller than this reads "about the same": daily means move by a few
# hundredths on a calm week.
TREND_DEAD_BAND = 0.1


def sentiment_change(daily: list) -> float | None:
    """How far the sparkline moved: the value its line ends on minus the one it starts from
    (days without scored reviews are not drawn); None with fewer than two days drawn. The row's
    arrow, its words, the line's colour and the "trend" sort all read this one figure."""
    drawn = [v for v in daily or [] if v is not None]
    if len(drawn) < 2:
        return None
    return round(drawn[-1] - drawn[0], 3)


def trend_direction(change: float | None) -> str | None:
    """ "up", "down" or "flat" (within the dead band) for a `sentiment_change`."""
    if change is None:
        return None
    if change > TREND_DEAD_BAND:
        return "up"
    if change < -TREND_DEAD_BAND:
        return "down"
    return "flat"


def clinic_snapshot_refresh(*, clinic: Clinic, now: datetime | None = None) -> ClinicSnapshot:
    """Recompute `clinic`'s dashboard row from its schema and store it. A mark of staleness
    set while this ran survives, so the sweeper refreshes the row again."""
    now = now or timezone.now()
    figures = _figures(clinic, now)
    with schema_context("public"):
        snapshot, _ = ClinicSnapshot.objects.update_or_create(
            clinic=clinic,
            defaults={**figures, "agency_id": clinic.agency_id, "refreshed_at": now},
        )
        ClinicSnapshot.objects.filter(clinic=clinic, stale_since__lte=now).update(stale_since=None)
    return snapshot


def clinic_snapshots_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Clinics whose row is stale, missing, older than SNAPSHOT_MAX_AGE, or past the moment a
    review breaches its reply target: the sweeper's work list."""
    now = now or timezone.now()
    return list(
        Clinic.objects.filter(
            Q(snapshot__isnull=True)
            | Q(snapshot__stale_since__isnull=False)
            | Q(snapshot__next_sla_due_at__lte=now)
            | Q(snapshot__refreshed_at__lt=now - SNAPSHOT_MAX_AGE)
        )
        .exclude(schema_name="public")
        .order_by(F("snapshot__refreshed_at").asc(nulls_first=True))
        .values_list("pk", flat=True)[:limit]
    )
