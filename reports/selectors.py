"""A clinic's monthly report: review volume, rating, sentiment and reply response time, per
day and per week, against the previous month. Reads the current clinic schema; days and
months are the clinic's own (its time zone).

- volume: reviews, comments and mentions published in the month (deleted ones left out);
- average rating: over the rated ones;
- sentiment: the latest score of each item (positive / neutral / negative / not scored yet)
  and the average score (-1 … 1);
- response time: replies PUBLISHED in the month, from the review's publication to the
  reply's (median, average, and how many within the clinic's reply target).

A month in progress is month-to-date: its days and weeks stop at today (no week that has not
started is listed), and it is compared with the same stretch of the previous month (its first
days up to the same time of day), never with the whole of it.
"""

from __future__ import annotations

import re
import statistics
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from clinics.models import Clinic, clinic_zone
from core.errors import ValidationFailed
from feeds.models import Review
from responses.models import ReplyDraft
from scoring.selectors import latest_score_subquery

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
LABELS = ("positive", "neutral", "negative")


def month_parse(value: str | None, *, tz: ZoneInfo, today: date | None = None) -> date:
    """`YYYY-MM` -> the first day of that month; no value: the current month. A malformed
    month, one before 2000 or one that has not started yet raises ValidationFailed."""
    today = today or timezone.now().astimezone(tz).date()
    if value in (None, ""):
        return today.replace(day=1)
    match = MONTH_RE.match(str(value).strip())
    error = "Use the form YYYY-MM, for example 2026-11."
    if match is None:
        raise ValidationFailed("Invalid month.", fields={"month": [error]})
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValidationFailed("Invalid month.", fields={"month": [error]})
    if year < 2000:  # before date(): year 0 is no date at all
        raise ValidationFailed("Invalid month.", fields={"month": ["Choose 2000-01 or later."]})
    first = date(year, month, 1)
    if first > today:
        raise ValidationFailed(
            "Invalid month.", fields={"month": ["That month has not started yet."]}
        )
    return first


def _next_month(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def _previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def _bounds(first: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return (
        datetime.combine(first, time.min, tzinfo=tz),
        datetime.combine(_next_month(first), time.min, tzinfo=tz),
    )


def _round(value, digits: int = 2):
    return None if value is None else round(float(value), digits)


def _items(start: datetime, end: datetime):
    return Review.objects.filter(
        is_deleted=False, published_at__gte=start, published_at__lt=end
    ).annotate(
        latest_label=latest_score_subquery("label"),
        latest_score=latest_score_subquery("score"),
    )


def _totals(start: datetime, end: datetime) -> dict:
    row = _items(start, end).aggregate(
        volume=Count("id"),
        rated=Count("id", filter=Q(rating__isnull=False)),
        average_rating=Avg("rating"),
        average_score=Avg("latest_score"),
        **{label: Count("id", filter=Q(latest_label=label)) for label in LABELS},
        unscored=Count("id", filter=Q(latest_label__isnull=True)),
    )
    return row


def _response_minutes(start: datetime, end: datetime, tz: ZoneInfo) -> list[tuple[date, float]]:
    """(day the reply was published, minutes from review to reply) per reply of the period."""
    rows = (
        ReplyDraft.objects.filter(published_at__gte=start, published_at__lt=end)
        .annotate(review_at=F("review__published_at"))
        .values_list("published_at", "review_at")
    )
    return [
        (published.astimezone(tz).date(), max(0.0, (published - review_at).total_seconds() / 60))
        for published, review_at in rows
    ]


def _response_summary(minutes: list[float], target: int) -> dict:
    within = sum(1 for m in minutes if m <= target)
    return {
        "replies": len(minutes),
        "median_minutes": _round(statistics.median(minutes), 1) if minutes else None,
        "average_minutes": _round(statistics.fmean(minutes), 1) if minutes else None,
        "within_target": within,
        "within_target_share": _round(within / len(minutes), 3) if minutes else None,
        "target_minutes": target,
    }


def _change(now, before, digits: int = 2):
    if now is None or before is None:
        return None
    return round(float(now) - float(before), digits)


def _same_stretch(first: date, start: datetime, through: datetime, tz: ZoneInfo) -> datetime:
    """The end of the stretch of the month beginning on `first` that matches `start` →
    `through` in days and time of day (1 Dec 00:00 → 5 Dec 07:43 matches 1 Nov 00:00 →
    5 Nov 07:43), never past that month's end."""
    local = through.astimezone(tz)
    day = first + timedelta(days=(local.date() - start.astimezone(tz).date()).days)
    cut = datetime.combine(day, local.time(), tzinfo=tz)
    return min(cut, _bounds(first, tz)[1])


def _day_words(start: datetime, through: datetime, tz: ZoneInfo) -> str:
    """ "1–5 December 2026" for the days a stretch touches (its end excluded)."""
    first = start.astimezone(tz).date()
    last = max((through - timedelta(microseconds=1)).astimezone(tz).date(), first)
    if last == first:
        return f"{first.day} {first:%B %Y}"
    return f"{first.day}–{last.day} {last:%B %Y}"


def monthly_report(*, clinic: Clinic, month: date, now: datetime | None = None) -> dict:
    """The report of `month` (its first day) for `clinic` (the connection must be in its
    schema). Plain JSON-ready data: the API returns it as it is, the portal charts it. A month
    in progress covers its first days up to now and is compared with the same days of the
    previous month. It reads to the whole minute ("to 23:43"): the same report twice in a
    minute is the same report."""
    tz = clinic_zone(clinic)
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    start, month_end = _bounds(month, tz)
    in_progress = start <= now < month_end
    end = now if in_progress else month_end
    last_day = end.astimezone(tz).date() if in_progress else _next_month(month) - timedelta(days=1)
    totals = _totals(start, end)
    target = clinic.reply_target_minutes

    per_day = {
        row["day"]: row
        for row in _items(start, end)
        .annotate(day=TruncDate("published_at", tzinfo=tz))
        .values("day")
        .annotate(
            volume=Count("id"),
            rated=Count("id", filter=Q(rating__isnull=False)),
            average_rating=Avg("rating"),
            average_score=Avg("latest_score"),
            **{label: Count("id", filter=Q(latest_label=label)) for label in LABELS},
        )
        .order_by("day")
    }
    responses = _response_minutes(start, end, tz)
    response_by_day: dict[date, list[float]] = {}
    for day, minutes in responses:
        response_by_day.setdefault(day, []).append(minutes)

    days = []
    day = month
    while day <= last_day:
        row = per_day.get(day, {})
        replies = response_by_day.get(day, [])
        days.append(
            {
                "date": day.isoformat(),
                "volume": row.get("volume", 0),
                "rated": row.get("rated", 0),
                "average_rating": _round(row.get("average_rating")),
                "average_score": _round(row.get("average_score"), 3),
                **{label: row.get(label, 0) for label in LABELS},
                "replies": len(replies),
                "median_response_minutes": _round(statistics.median(replies), 1)
                if replies
                else None,
            }
        )
        day += timedelta(days=1)

    weeks: list[dict] = []
    for entry in days:
        d = date.fromisoformat(entry["date"])
        week_start = (d - timedelta(days=d.weekday())).isoformat()
        if not weeks or weeks[-1]["week_start"] != week_start:
            weeks.append({"week_start": week_start, "_days": []})
        weeks[-1]["_days"].append(entry)
    weekly = []
    for week in weeks:
        entries = week.pop("_days")
        volume = sum(e["volume"] for e in entries)
        rated = [(e["average_rating"], e["rated"]) for e in entries if e["rated"]]
        scored = [
            (e["average_score"], sum(e[label] for label in LABELS))
            for e in entries
            if e["average_score"] is not None
        ]
        minutes = [
            m for e in entries for m in response_by_day.get(date.fromisoformat(e["date"]), [])
        ]
        weekly.append(
            {
                "week_start": week["week_start"],
                "days": len(entries),
                "volume": volume,
                "rated": sum(n for _, n in rated),
                "average_rating": _round(
                    sum(r * n for r, n in rated) / sum(n for _, n in rated) if rated else None
                ),
                "average_score": _round(
                    sum(s * n for s, n in scored) / sum(n for _, n in scored)
                    if scored and sum(n for _, n in scored)
                    else None,
                    3,
                ),
                **{label: sum(e[label] for e in entries) for label in LABELS},
                "replies": len(minutes),
                "median_response_minutes": _round(statistics.median(minutes), 1)
                if minutes
                else None,
            }
        )

    previous_first = _previous_month(month)
    p_start, p_end = _bounds(previous_first, tz)
    if in_progress:
        p_end = _same_stretch(previous_first, start, end, tz)
    previous_totals = _totals(p_start, p_end)
    previous_minutes = [m for _, m in _response_minutes(p_start, p_end, tz)]
    response = _response_summary([m for _, m in responses], target)
    previous_response = _response_summary(previous_minutes, target)

    def negative_share(row):
        scored = sum(row[label] for label in LABELS)
        return _round(row["negative"] / scored, 3) if scored else None

    previous = {
        "month": previous_first.strftime("%Y-%m"),
        "start": p_start.isoformat(),
        "end": p_end.isoformat(),
        "volume": previous_totals["volume"],
        "average_rating": _round(previous_totals["average_rating"]),
        "average_score": _round(previous_totals["average_score"], 3),
        "negative_share": negative_share(previous_totals),
        "replies": previous_response["replies"],
        "median_response_minutes": previous_response["median_minutes"],
    }
    current = {
        "average_rating": _round(totals["average_rating"]),
        "average_score": _round(totals["average_score"], 3),
        "negative_share": negative_share(totals),
    }
    return {
        "clinic": clinic.slug,
        "month": month.strftime("%Y-%m"),
        "timezone": str(tz),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "in_progress": in_progress,
        "compared": (
            f"Month to date, {_day_words(start, end, tz)} (to {end.astimezone(tz):%H:%M}), "
            f"compared with the same days of {previous_first:%B}: "
            f"{_day_words(p_start, p_end, tz)} to the same time"
            if in_progress
            else f"{month:%B %Y} compared with {previous_first:%B %Y}"
        ),
        "volume": totals["volume"],
        "rated": totals["rated"],
        "average_rating": current["average_rating"],
        "sentiment": {
            **{label: totals[label] for label in LABELS},
            "unscored": totals["unscored"],
            "average_score": current["average_score"],
            "negative_share": current["negative_share"],
        },
        "response_time": response,
        "daily": days,
        "weekly": weekly,
        "previous": previous,
        "change": {
            "volume": totals["volume"] - previous["volume"],
            "volume_pct": _round(
                100 * (totals["volume"] - previous["volume"]) / previous["volume"], 1
            )
            if previous["volume"]
            else None,
            "average_rating": _change(current["average_rating"], previous["average_rating"]),
            "average_score": _change(current["average_score"], previous["average_score"], 3),
            "negative_share": _change(current["negative_share"], previous["negative_share"], 3),
            "median_response_minutes": _change(
                response["median_minutes"], previous["median_response_minutes"], 1
            ),
        },
    }
