"""The dashboard's rollup: one row per clinic in the public schema (`ClinicSnapshot`), so a page
over hundreds of clinics is one query. Any app says a clinic's figures changed through
`core.rollup.figures_changed`; a task refreshes the row at once after commit (one at a time per
clinic, again at once for what changed while it ran), and a beat sweeper catches everything
else. Each figure is read through the selectors of the app that owns it."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta
from typing import NamedTuple

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import Clinic
from crisis.selectors import incident_figures
from dashboard.models import ClinicSnapshot, StartHere
from feeds.selectors import review_figures
from inbox.selectors import arrivals_figures, reply_target_figures
from responses.selectors import (
    approvals_waiting_counts,
    delivery_failures_count,
)
from scoring.selectors import sentiment_by_day_counted

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
        by_day = sentiment_by_day_counted(start=start, tz=tz_name)
        incidents = incident_figures()
        awaiting = approvals_waiting_counts()
        failed = delivery_failures_count()
        breaches, next_due = reply_target_figures(
            target_minutes=clinic.reply_target_minutes, now=now
        )
        arrived = arrivals_figures(now=now)
    days = [by_day.get(first_day + timedelta(days=i)) for i in range(SPARK_DAYS)]
    daily = [round(day[0], 3) if day else None for day in days]
    counts = [day[1] if day else 0 for day in days]
    trend = sentiment_trend(daily, counts)
    top = incidents["top"]
    return {
        "new_reviews": reviews["new_reviews"],
        "average_rating": round(reviews["rating_mean"], 2)
        if reviews["rating_mean"] is not None
        else None,
        "rating_count": reviews["rating_count"],
        "sentiment_daily": daily,
        "sentiment_counts": counts,
        "sentiment_trend": trend.change if trend else None,
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
        "arrived_24h": arrived["arrived"],
        "arrived_24h_negative": arrived["negative"],
        "arrived_changes_at": arrived["changes_at"],
    }


# The trend compares like with like: the weighted mean of the first TREND_WINDOW_DAYS days of
# the line against that of the last ones (today's part-day included, weighed by its reviews),
# never one day's mean against another's: one 2-star review on a quiet morning is not a fall.
TREND_WINDOW_DAYS = 7
# Fewer scored reviews than this at either end: "too few reviews to tell".
TREND_MIN_REVIEWS = 3
# A change smaller than this reads "about the same": with a few reviews a day, one unhappy
# review moves a week's mean by about a tenth.
TREND_DEAD_BAND = 0.15


class SentimentTrend(NamedTuple):
    """Which way a clinic's sentiment went over the sparkline's days. `direction`: "up",
    "down", "flat" (within the dead band) or "few" (too few reviews at an end to tell, and
    then `change` is None); `start`/`end`: the mean at each end, of `start_n`/`end_n`
    reviews over `days` days each."""

    direction: str
    change: float | None
    start: float | None
    start_n: int
    end: float | None
    end_n: int
    days: int


def _window_mean(daily: list, counts: list) -> tuple[float | None, int]:
    n = sum(c for v, c in zip(daily, counts, strict=True) if v is not None)
    if not n:
        return None, 0
    total = sum(v * c for v, c in zip(daily, counts, strict=True) if v is not None)
    return round(total / n, 3), n


def sentiment_trend(daily: list, counts: list | None = None) -> SentimentTrend | None:
    """The trend of a sparkline (`daily`: a mean per day, None for a day without scored
    reviews; `counts`: how many reviews each is of): the first days' mean against the last
    days', each weighted by reviews. None when no day has scored reviews. A row stored before
    counts were (`counts` missing) counts each drawn day as one review. The row's arrow, its
    words, the line's colour and the "trend" sort all read this."""
    daily = list(daily or [])
    if all(v is None for v in daily):
        return None
    counts = list(counts or [])
    if len(counts) != len(daily):
        counts = [1 if v is not None else 0 for v in daily]
    days = min(TREND_WINDOW_DAYS, len(daily) // 2)
    start, start_n = _window_mean(daily[:days], counts[:days]) if days else (None, 0)
    end, end_n = _window_mean(daily[-days:], counts[-days:]) if days else (None, 0)
    if start is None or end is None or min(start_n, end_n) < TREND_MIN_REVIEWS:
        return SentimentTrend("few", None, start, start_n, end, end_n, days)
    change = round(end - start, 3)
    if change > TREND_DEAD_BAND:
        direction = "up"
    elif change < -TREND_DEAD_BAND:
        direction = "down"
    else:
        direction = "flat"
    return SentimentTrend(direction, change, start, start_n, end, end_n, days)


def clinic_snapshot_refresh(*, clinic: Clinic, now: datetime | None = None) -> ClinicSnapshot:
    """Recompute `clinic`'s dashboard row from its schema and store it. The mark of staleness
    is cleared before the figures are read, not after: a change that marks the row while this
    runs keeps it stale, so the sweeper (or the next refresh) reads it. If reading fails, the
    row is marked stale again."""
    now = now or timezone.now()
    with schema_context("public"):
        ClinicSnapshot.objects.filter(clinic=clinic, stale_since__lte=now).update(stale_since=None)
    try:
        figures = _figures(clinic, now)
    except Exception:
        with schema_context("public"):
            ClinicSnapshot.objects.filter(clinic=clinic, stale_since__isnull=True).update(
                stale_since=now
            )
        raise
    with schema_context("public"):
        snapshot, _ = ClinicSnapshot.objects.update_or_create(
            clinic=clinic,
            defaults={**figures, "agency_id": clinic.agency_id, "refreshed_at": now},
        )
    return snapshot


def clinic_snapshots_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Clinics whose row is stale, missing, older than SNAPSHOT_MAX_AGE, past the moment a
    review breaches its reply target, or past the moment an item it counts as arrived in the
    last 24 hours turns 24 hours old: the sweeper's work list."""
    now = now or timezone.now()
    return list(
        Clinic.objects.filter(
            Q(snapshot__isnull=True)
            | Q(snapshot__stale_since__isnull=False)
            | Q(snapshot__next_sla_due_at__lte=now)
            | Q(snapshot__arrived_changes_at__lte=now)
            | Q(snapshot__refreshed_at__lt=now - SNAPSHOT_MAX_AGE)
        )
        .exclude(schema_name="public")
        .order_by(F("snapshot__refreshed_at").asc(nulls_first=True))
        .values_list("pk", flat=True)[:limit]
    )


# --- "Start here": a staff member's panel, put away and opened again ---------------------------


def start_here_dismiss(*, user) -> StartHere:
    """Put the person's "Start here" panel away: the dashboard no longer shows it, on any
    device and after signing out, until they open it again (`start_here_reopen`)."""
    row, _ = StartHere.objects.update_or_create(
        user=user, defaults={"dismissed_at": timezone.now()}
    )
    return row


def start_here_reopen(*, user) -> StartHere:
    """Show the person's "Start here" panel on the dashboard again (the account page)."""
    row, _ = StartHere.objects.update_or_create(user=user, defaults={"dismissed_at": None})
    return row


@transaction.atomic
def start_here_opened(*, user, key: str) -> StartHere:
    """The person opened the step `key` from the panel: a step done by reading it
    (`dashboard.selectors.START_HERE_READ_STEPS`) is done from now on."""
    row, _ = StartHere.objects.select_for_update().get_or_create(user=user)
    if key not in row.opened:
        row.opened = [*row.opened, key]
        row.save(update_fields=["opened", "updated_at"])
    return row
