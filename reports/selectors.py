"""A clinic's monthly report: review volume, rating, sentiment and reply response time, per
day and per week, against the previous month. Reads the current clinic schema; days and
months are the clinic's own (its time zone).

- volume: reviews, comments and mentions published in the month (deleted ones left out);
- average rating: over the rated ones;
- sentiment: the latest score of each item (positive / neutral / negative / not scored yet)
  and the average score (-1 … 1);
- answered: of the items received in the month, those answered by now, any way: a reply
  published through Carewatch (by the platform's API or marked "posted by hand" from the
  outbox) or the status "replied" (answered on the platform directly, or before the agency
  answered for the clinic);
  how many of them through Carewatch, and how many of those were posted by hand; and of the
  items not answered, how many were handled privately (the status "In private follow-up" or
  "Resolved"): they stay not answered, the report says how many;
- response time: only where Carewatch knows when the reply went out: the replies published
  through Carewatch in the month, from the review's publication to the reply's (median,
  average, and how many within the clinic's reply target). Reviews answered elsewhere have no
  known reply time and are left out; so are the replies to past reviews imported as history
  (`Review.imported_as_past`): they were written before the agency answered for the clinic,
  no reply clock ran for them, and they are never "late". They count as received. "Within the
  reply target" is over the replies to reviews the reply target counts
  (`inbox.selectors.reply_target_counted`: negative or 1-2 star, the rule of the reply clock,
  the dashboard's and the inbox's SLA): a 5-star thank-you has no clock, so it is neither
  within nor past it.

A month in progress is month-to-date: its days and weeks stop at today (no week that has not
started is listed), and it is compared with the same stretch of the previous month (its first
days up to the same time of day), never with the whole of it. `report_comparison` words what is
compared with what, for every output (the staff tab, the portal, the PDF, the e-mail and the
API's `compared`), so that no figure of a month in progress reads as against a whole month.

The words name the clinic's agency by its brand (`agency.branding.brand_name`): "published
through Brightside Care Reviews", never "through Carewatch", because the clinic reads them.
"""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, Value
from django.db.models.functions import TruncDate
from django.utils import timezone
from django_tenants.utils import schema_context

from agency.branding import brand_name
from clinics.models import Clinic, clinic_zone
from clinics.selectors import reply_target_at, reply_targets_at
from core.errors import ValidationFailed
from crisis.selectors import incidents_opened
from feeds.models import Review, ReviewStatus
from inbox.selectors import reply_target_marked
from reports.models import ReportSending, ReportSettings
from responses.models import ApprovalStatus, OutboxItem, OutboxKind, OutboxStatus, ReplyDraft
from scoring.selectors import latest_score_field

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)  # not "２０２６-１１" (Unicode digits)
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


def month_query(query) -> str:
    """The `month` of a page's query string (a QueryDict), as the report API reads it: given
    twice, ValidationFailed ("Give one value."), never one of the two silently; blank or
    spaces only, "" (the month the report opens on)."""
    values = query.getlist("month")
    if len(values) > 1:
        raise ValidationFailed("Invalid input.", fields={"month": ["Give one value."]})
    return values[0].strip() if values else ""


def next_month(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def _day_text(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True)
class ReportMonths:
    """The months a clinic's report offers, in its time zone (`report_months`).

    A month before the clinic was created can be read: its history may have been imported
    (a CSV of past reviews, a source's backlog), and the report counts it
    (tests/reports/test_answered.py reads October for a clinic created in December). The
    pickers start at the first month with an item, or the creation month where nothing
    earlier was imported; a month before that reads as empty and says why (`history_notice`).

    - `current`: the month in progress; `last_complete`: the one before it;
    - `since`: the day the clinic was created; `first_item`: the day of its earliest item
      (None: none yet);
    - `default`: the month the report opens on without `?month=`: the last complete month,
      the one that can be sent, or the month in progress for a clinic created in it with no
      item imported from before it (a clinic onboarded on 6 December with its October and
      November history opens on November, the month-end report)."""

    current: date
    since: date
    first_item: date | None

    @property
    def last_complete(self) -> date:
        return previous_month(self.current)

    @property
    def earliest(self) -> date:
        first = self.since if self.first_item is None else min(self.since, self.first_item)
        return min(first.replace(day=1), self.current)

    @property
    def default(self) -> date:
        return self.last_complete if self.earliest < self.current else self.current

    def before_data(self, month: date) -> bool:
        """Whether `month` (its first day) ends before the clinic's first day of data (its
        creation, or its earliest item imported where that is earlier): a report compared
        with it has nothing to compare with (`reports.export.report_headlines`)."""
        first = self.since if self.first_item is None else min(self.since, self.first_item)
        return next_month(month) <= first

    def picker(self, shown: date | None = None) -> dict[str, str]:
        """The `min` and `max` of the month picker (YYYY-MM): from `earliest` to the last
        complete month; the month in progress (a labelled link beside it) only where it is
        the one `shown`, or the clinic has no complete month to offer."""
        last = self.last_complete
        if shown == self.current or last < self.earliest:
            last = self.current
        return {"min": f"{self.earliest:%Y-%m}", "max": f"{last:%Y-%m}"}


def report_months(clinic: Clinic, *, now: datetime | None = None) -> ReportMonths:
    """`ReportMonths` of `clinic` (the connection must be in its schema)."""
    tz = clinic_zone(clinic)
    today = (now or timezone.now()).astimezone(tz).date()
    first = (
        Review.objects.filter(is_deleted=False)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    return ReportMonths(
        current=today.replace(day=1),
        since=clinic.created_at.astimezone(tz).date(),
        first_item=None if first is None else first.astimezone(tz).date(),
    )


def history_notice(months: ReportMonths, month: date, *, clinic_name: str, brand: str) -> str:
    """What a month before the clinic was created holds, in words the clinic reads; "" for a
    month since. Its figures come only from the history imported for the clinic, and there is
    no data before the first item imported (nor before the clinic, where none was)."""
    if month >= months.since.replace(day=1):
        return ""
    since = _day_text(months.since)
    if months.first_item is None or months.first_item >= months.since:
        return (
            f"No data before {since}: {brand} began reporting on {clinic_name} then, and no "
            "earlier history was imported."
        )
    first = _day_text(months.first_item)
    if next_month(month) <= months.first_item:
        return (
            f"No data before {first}, the earliest item imported for {clinic_name} ({brand} "
            f"began reporting on it on {since})."
        )
    return (
        f"{brand} began reporting on {clinic_name} on {since}: the figures before that come "
        f"only from the history imported for it, which begins on {first} (no data before)."
    )


def week_label(first: str, last: str) -> str:
    """A week of the report as the days of the month it holds, "2–8 Nov"; "1 Nov" for one day.
    Weeks run Monday to Sunday, so the first and the last are clipped to the month: the one
    rule for the page, its chart, the PDF and the API (`weekly[].label`)."""
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    if start == end:
        return f"{start.day} {start:%b}"
    return f"{start.day}–{end.day} {end:%b}"


def report_settings_get(clinic: Clinic) -> ReportSettings:
    """The clinic's report settings (unsaved defaults when it has none: nothing automatic)."""
    return ReportSettings.objects.filter(clinic=clinic).first() or ReportSettings(clinic=clinic)


def report_sendings(clinic: Clinic, month: date) -> list[ReportSending]:
    """When and to whom `month`'s report went to the clinic, newest first."""
    return list(ReportSending.objects.filter(clinic=clinic, month=month))


def _bounds(first: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return (
        datetime.combine(first, time.min, tzinfo=tz),
        datetime.combine(next_month(first), time.min, tzinfo=tz),
    )


def _round(value, digits: int = 2):
    return None if value is None else round(float(value), digits)


def _items(start: datetime, end: datetime):
    published = ReplyDraft.objects.filter(review=OuterRef("pk"), status=ApprovalStatus.PUBLISHED)
    by_hand = OutboxItem.objects.filter(
        review=OuterRef("pk"), kind=OutboxKind.REPLY, status=OutboxStatus.POSTED_BY_HAND
    )
    return Review.objects.filter(
        is_deleted=False, published_at__gte=start, published_at__lt=end
    ).annotate(
        latest_label=latest_score_field("label"),
        latest_score=latest_score_field("score"),
        via_carewatch=Exists(published),
        via_hand=Exists(by_hand),
    )


# Answered, any way: a reply published through Carewatch, or the status "replied" (answered on
# the platform directly, or before Carewatch: the overview's "Replied" counts the same).
ANSWERED = Q(via_carewatch=True) | Q(status=ReviewStatus.REPLIED)
# Of the items not answered, those handled privately (the status "In private follow-up" or
# "Resolved": taken off the platform, as the playbook recommends for complaints): still not
# answered, but the report says how many, so that "not answered" does not read as neglected.
PRIVATE_STATUSES = (ReviewStatus.IN_FOLLOW_UP, ReviewStatus.RESOLVED)
HANDLED_PRIVATELY = ~ANSWERED & Q(status__in=PRIVATE_STATUSES)
ANSWERED_FILTERS = {
    "answered": ANSWERED,
    "handled_privately": HANDLED_PRIVATELY,
    "answered_carewatch": Q(via_carewatch=True),
    "answered_by_hand": Q(via_carewatch=True, via_hand=True),
    "past_imported": Q(imported_as_past=True),
}
ANSWERED_FIGURES = {key: Count("id", filter=q) for key, q in ANSWERED_FILTERS.items()}


def _totals_aggregates(within: Q | None = None, prefix: str = "") -> dict:
    """The aggregates of a period's totals over `_items` (only the items `within`, where
    given, each named with `prefix`): the one definition of the report's totals, read for one
    period (`_totals`) or for a month and the one before in one query (`month_figures`)."""

    def only(q: Q | None = None) -> Q | None:
        if within is None:
            return q
        return within if q is None else q & within

    aggregates = {
        "volume": Count("id", filter=only()),
        "rated": Count("id", filter=only(Q(rating__isnull=False))),
        "average_rating": Avg("rating", filter=only()),
        "average_score": Avg("latest_score", filter=only()),
        **{label: Count("id", filter=only(Q(latest_label=label))) for label in LABELS},
        "unscored": Count("id", filter=only(Q(latest_label__isnull=True))),
        **{key: Count("id", filter=only(q)) for key, q in ANSWERED_FILTERS.items()},
    }
    return {f"{prefix}{key}": value for key, value in aggregates.items()}


def _totals(start: datetime, end: datetime) -> dict:
    return _items(start, end).aggregate(**_totals_aggregates())


def _answered(row: dict) -> dict:
    answered, carewatch = row["answered"], row["answered_carewatch"]
    return {
        "reviews": answered,
        "share": _round(answered / row["volume"], 3) if row["volume"] else None,
        "through_carewatch": carewatch,
        "posted_by_hand": row["answered_by_hand"],
        "elsewhere": answered - carewatch,
        "handled_privately": row["handled_privately"],
        "past_imported": row["past_imported"],
    }


def _replies(start: datetime, end: datetime):
    """The replies published through Carewatch in the period."""
    return ReplyDraft.objects.filter(published_at__gte=start, published_at__lt=end)


def _response_minutes(
    start: datetime, end: datetime, tz: ZoneInfo
) -> list[tuple[date, float, bool]]:
    """(day the reply was published, minutes from review to reply, whether the reply target
    counts its review) per reply of the period whose reply time is known: published through
    Carewatch, to a review that is not a past one imported as history (no reply clock runs
    for those: never late, never counted)."""
    return _response_rows(_response_query(start, end).values_list(*RESPONSE_COLUMNS), tz)


RESPONSE_COLUMNS = ("published_at", "review_at", "counts_for_reply_target")


def _response_query(start: datetime, end: datetime):
    """The replies of `_response_minutes`, with `RESPONSE_COLUMNS`."""
    return reply_target_marked(
        _replies(start, end).filter(review__imported_as_past=False), through="review"
    ).annotate(review_at=F("review__published_at"))


def _response_rows(rows, tz: ZoneInfo) -> list[tuple[date, float, bool]]:
    """`_response_minutes`' tuples of rows of `RESPONSE_COLUMNS` (reply, review, counted)."""
    return [
        (
            published.astimezone(tz).date(),
            max(0.0, (published - review_at).total_seconds() / 60),
            counted,
        )
        for published, review_at, counted in rows
    ]


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def answered_elsewhere_words(brand: str) -> str:
    """Where the items answered without a reply through the agency (`answered.elsewhere`) were
    answered, as the page, the PDF and the e-mail say it: "on the platform directly or before
    Brightside Care Reviews answered for the clinic" (`brand`: the agency's), never "before
    Brightside Care Reviews" alone, which reads as a comparison."""
    return f"on the platform directly or before {brand} answered for the clinic"


def response_basis(
    *,
    replies: int,
    past: int,
    past_received: int,
    brand: str,
    target_counted: int | None = None,
) -> str:
    """What the response time is measured on, in words the clinic reads (`brand`: the
    agency's, `agency.branding.brand_name`)."""
    words = (
        "Response time is measured only where the reply time is known: "
        f"{_plural(replies, 'reply', 'replies')} published through {brand} in this period, "
        "from the review's publication to the reply's. Reviews answered "
        f"{answered_elsewhere_words(brand)} count as answered but have no known reply time."
    )
    if target_counted is not None and target_counted != replies:
        words += (
            " The reply target counts only negative and 1–2★ reviews, as the dashboard and the "
            f"inbox do: {_plural(target_counted, 'reply is', 'replies are')} measured against "
            "it; a reply to a positive review has no target to be within or past."
        )
    if past or past_received:
        words += (
            " Past reviews imported as history count as received but are left out of the "
            "response time and never count as late: they were written before the agency "
            "answered for the clinic"
            + (f" ({_plural(past, 'reply', 'replies')} to them left out)." if past else ".")
        )
    return words


def _response_summary(rows: list[tuple[date, float, bool]], target: int, *, past: int = 0) -> dict:
    """The period's response time over `rows` (`_response_minutes`): median and average over
    every reply with a known time; "within the target" over those the reply target counts."""
    minutes = [m for _, m, _counted in rows]
    counted = [m for _, m, is_counted in rows if is_counted]
    within = sum(1 for m in counted if m <= target)
    return {
        "replies": len(minutes),
        "past_left_out": past,
        "median_minutes": _round(statistics.median(minutes), 1) if minutes else None,
        "average_minutes": _round(statistics.fmean(minutes), 1) if minutes else None,
        "target_counted": len(counted),
        "within_target": within,
        "within_target_share": _round(within / len(counted), 3) if counted else None,
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


def _day_words(start: datetime, through: datetime, tz: ZoneInfo, *, year: bool = True) -> str:
    """ "1–5 December 2026" for the days a stretch touches (its end excluded); "1–5 December"
    without `year`."""
    first = start.astimezone(tz).date()
    last = max((through - timedelta(microseconds=1)).astimezone(tz).date(), first)
    month = f"{last:%B %Y}" if year else f"{last:%B}"
    if last == first:
        return f"{first.day} {month}"
    return f"{first.day}–{last.day} {month}"


@dataclass(frozen=True)
class Comparison:
    """What a report compares with what, in words.

    - `period`: what its figures cover ("December 2026"; in progress "1–5 December 2026");
    - `span`: what they are compared with, as each figure's change says it ("+14 vs
      1–5 November"; "November 2026" for a finished month, or when a month in progress is
      compared with the whole previous one, which it has outrun: 31 March against February);
    - `caption`: the two together, for a table's caption;
    - `sentence`: the report's `compared`."""

    period: str
    span: str
    caption: str
    sentence: str


def report_comparison(report: dict) -> Comparison:
    """The one place that words a `monthly_report`'s comparison (read from the report itself:
    its zone, its bounds and the previous period's). Every output takes its words from here:
    a month in progress is compared with the same days of the previous month, and each figure
    says so ("+14 vs 1–5 November"), never "vs November 2026", which reads as the whole of
    it."""
    tz = ZoneInfo(report["timezone"])
    month = date.fromisoformat(f"{report['month']}-01")
    before = date.fromisoformat(f"{report['previous']['month']}-01")
    if not report["in_progress"]:
        period, span = f"{month:%B %Y}", f"{before:%B %Y}"
        return Comparison(
            period=period,
            span=span,
            caption=f"{period}, compared with {span}",
            sentence=f"{period} compared with {span}",
        )
    start, end = (datetime.fromisoformat(report[key]) for key in ("start", "end"))
    p_start, p_end = (datetime.fromisoformat(report["previous"][key]) for key in ("start", "end"))
    period = _day_words(start, end, tz)
    so_far = f"{period} (to {end.astimezone(tz):%H:%M})"
    if p_end >= _bounds(before, tz)[1]:  # outran the previous month: all of it
        span = f"{before:%B %Y}"
        return Comparison(
            period=period,
            span=span,
            caption=f"{so_far}, compared with the whole of {span}",
            sentence=f"Month to date, {so_far}, compared with the whole of {span}",
        )
    span = _day_words(p_start, p_end, tz, year=before.year != month.year)
    return Comparison(
        period=period,
        span=span,
        caption=f"{so_far}, compared with {span} (to the same time)",
        sentence=(
            f"Month to date, {so_far}, compared with the same days of {before:%B}: "
            f"{_day_words(p_start, p_end, tz)} to the same time"
        ),
    )


def _negative_share(row: dict) -> float | None:
    """The share of the scored items whose latest score is negative."""
    scored = sum(row[label] for label in LABELS)
    return _round(row["negative"] / scored, 3) if scored else None


def _volume_pct(volume: int, before: int) -> float | None:
    return _round(100 * (volume - before) / before, 1) if before else None


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
    last_day = end.astimezone(tz).date() if in_progress else next_month(month) - timedelta(days=1)
    totals = _totals(start, end)
    # the target the month had at its end (today's for the month in progress): a later
    # change of it does not rewrite a month already reported (`reply_target_at`)
    target = clinic.reply_target_minutes if in_progress else reply_target_at(clinic, end)

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
            answered=Count("id", filter=ANSWERED),
        )
        .order_by("day")
    }
    responses = _response_minutes(start, end, tz)
    response_by_day: dict[date, list[float]] = {}
    for day, minutes, _counted in responses:
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
                "answered": row.get("answered", 0),
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
                "label": week_label(entries[0]["date"], entries[-1]["date"]),
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
                "answered": sum(e["answered"] for e in entries),
                "replies": len(minutes),
                "median_response_minutes": _round(statistics.median(minutes), 1)
                if minutes
                else None,
            }
        )

    previous_first = previous_month(month)
    p_start, p_end = _bounds(previous_first, tz)
    if in_progress:
        p_end = _same_stretch(previous_first, start, end, tz)
    previous_totals = _totals(p_start, p_end)
    past = _replies(start, end).filter(review__imported_as_past=True).count()
    response = _response_summary(responses, target, past=past)
    previous_response = _response_summary(
        _response_minutes(p_start, p_end, tz), reply_target_at(clinic, start)
    )
    answered = _answered(totals)
    previous_answered = _answered(previous_totals)
    response["basis"] = response_basis(
        replies=response["replies"],
        past=past,
        past_received=answered["past_imported"],
        brand=brand_name(clinic.agency),
        target_counted=response["target_counted"],
    )

    previous = {
        "month": previous_first.strftime("%Y-%m"),
        "start": p_start.isoformat(),
        "end": p_end.isoformat(),
        "volume": previous_totals["volume"],
        "average_rating": _round(previous_totals["average_rating"]),
        "average_score": _round(previous_totals["average_score"], 3),
        "negative_share": _negative_share(previous_totals),
        "answered": previous_answered["reviews"],
        "answered_share": previous_answered["share"],
        "replies": previous_response["replies"],
        "median_response_minutes": previous_response["median_minutes"],
    }
    current = {
        "average_rating": _round(totals["average_rating"]),
        "average_score": _round(totals["average_score"], 3),
        "negative_share": _negative_share(totals),
    }
    report = {
        "clinic": clinic.slug,
        "month": month.strftime("%Y-%m"),
        "timezone": str(tz),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "in_progress": in_progress,
        "compared": "",  # below, from the report itself: `report_comparison`
        "volume": totals["volume"],
        "rated": totals["rated"],
        "average_rating": current["average_rating"],
        "sentiment": {
            **{label: totals[label] for label in LABELS},
            "unscored": totals["unscored"],
            "average_score": current["average_score"],
            "negative_share": current["negative_share"],
        },
        "answered": answered,
        "response_time": response,
        "daily": days,
        "weekly": weekly,
        "previous": previous,
        "change": {
            "volume": totals["volume"] - previous["volume"],
            "volume_pct": _volume_pct(totals["volume"], previous["volume"]),
            "average_rating": _change(current["average_rating"], previous["average_rating"]),
            "average_score": _change(current["average_score"], previous["average_score"], 3),
            "negative_share": _change(current["negative_share"], previous["negative_share"], 3),
            "answered_share": _change(answered["share"], previous["answered_share"], 3),
            "median_response_minutes": _change(
                response["median_minutes"], previous["median_response_minutes"], 1
            ),
        },
    }
    report["compared"] = report_comparison(report).sentence
    return report


# --- the month across clinics: one row of each clinic's report figures ---------------------------
# The agency's "Month across clinics" (page, CSV, `GET /api/v1/reports/months/`): for each
# clinic, the headline figures of its own monthly report for the month, from the same
# definitions (`_totals_aggregates`, `_response_query`, `_response_summary`, `_negative_share`,
# `reply_target_at`), in one statement a clinic: its schema's reviews, replies and incidents
# can only be read with its own time zone's bounds and reply target, which
# `core.tenancy.clinic_schemas_select` (one SELECT of one table, the same values bound in every
# schema) cannot carry.


def months_across_default(clinics, *, now: datetime | None = None) -> date:
    """The month the table opens on: the last month complete in every clinic's time zone (the
    per-clinic report's `last_complete`; the one before the UTC month without clinics)."""
    now = now or timezone.now()
    zones = [clinic_zone(clinic) for clinic in clinics] or [ZoneInfo("UTC")]
    return min(previous_month(now.astimezone(tz).date().replace(day=1)) for tz in zones)


def months_across_parse(value: str | None, clinics, *, now: datetime | None = None) -> date:
    """`YYYY-MM` as `month_parse` reads it (a month that has started in none of the clinics'
    time zones has not started); none: `months_across_default`. ValidationFailed otherwise."""
    now = now or timezone.now()
    if value in (None, ""):
        return months_across_default(clinics, now=now)
    zones = [clinic_zone(clinic) for clinic in clinics] or [ZoneInfo("UTC")]
    today = max(now.astimezone(tz).date() for tz in zones)
    return month_parse(value, tz=ZoneInfo("UTC"), today=today)


def _one_row(qs, aggregates: dict) -> tuple[str, list]:
    """The SQL of `aggregates` over `qs` as one row, whether or not it has any row (no GROUP
    BY), to read inside a larger statement."""
    grouped = qs.order_by().values(one=Value(1)).annotate(**aggregates).values(*aggregates)
    return grouped.query.sql_with_params()


def month_figures(
    *, clinic: Clinic, month: date, target: int | None = None, now: datetime | None = None
) -> dict:
    """The figures of `clinic`'s monthly report for `month` (its first day) that the agency
    compares across clinics, read in one statement (the connection must be in its schema):
    received, average rating, negative share, answered share, the replies within the reply
    target (`target`: `reply_target_at` the month's end, read for every clinic at once by the
    caller; today's for a month in progress, as the report), median reply time, incidents
    opened, and the change of each against the previous month (the same stretch of it for a
    month in progress). Each value is the report's (`monthly_report`)."""
    tz = clinic_zone(clinic)
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    start, month_end = _bounds(month, tz)
    in_progress = start <= now < month_end
    end = now if in_progress else month_end
    if in_progress:
        target = clinic.reply_target_minutes
    elif target is None:
        target = reply_target_at(clinic, end)
    previous_first = previous_month(month)
    p_start, p_end = _bounds(previous_first, tz)
    if in_progress:
        p_end = _same_stretch(previous_first, start, end, tz)
    now_q = Q(published_at__gte=start, published_at__lt=end)
    before_q = Q(published_at__gte=p_start, published_at__lt=p_end)
    totals_sql, totals_params = _one_row(
        _items(p_start, end),
        {**_totals_aggregates(now_q, "now_"), **_totals_aggregates(before_q, "before_")},
    )
    replies_sql, replies_params = (
        _response_query(p_start, end).values(*RESPONSE_COLUMNS).query.sql_with_params()
    )
    incidents_sql, incidents_params = _one_row(
        incidents_opened(start, end), {"opened": Count("id")}
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT row_to_json(t)::text FROM ({totals_sql}) t), "  # noqa: S608 - compiled
            "(SELECT coalesce(json_agg(json_build_array("
            f"r.published_at, r.review_at, r.counts_for_reply_target)), '[]')::text FROM ({replies_sql}) r), "
            f"(SELECT i.opened FROM ({incidents_sql}) i)",
            [*totals_params, *replies_params, *incidents_params],
        )
        totals_json, replies_json, opened = cursor.fetchone()
    row = json.loads(totals_json)
    totals = {key[4:]: value for key, value in row.items() if key.startswith("now_")}
    before = {key[7:]: value for key, value in row.items() if key.startswith("before_")}
    replies = [
        (datetime.fromisoformat(published), datetime.fromisoformat(review_at), counted)
        for published, review_at, counted in json.loads(replies_json)
    ]
    response = _response_summary(
        _response_rows([r for r in replies if start <= r[0] < end], tz), target
    )
    previous_median = _response_summary(
        _response_rows([r for r in replies if p_start <= r[0] < p_end], tz), target
    )["median_minutes"]
    answered, previous_answered = _answered(totals), _answered(before)
    current = {
        "volume": totals["volume"],
        "average_rating": _round(totals["average_rating"]),
        "negative_share": _negative_share(totals),
        "answered_share": answered["share"],
        "median_response_minutes": response["median_minutes"],
    }
    previous = {
        "month": previous_first.strftime("%Y-%m"),
        "volume": before["volume"],
        "average_rating": _round(before["average_rating"]),
        "negative_share": _negative_share(before),
        "answered_share": previous_answered["share"],
        "median_response_minutes": previous_median,
    }
    return {
        "clinic": clinic,
        "month": month.strftime("%Y-%m"),
        "timezone": str(tz),
        "in_progress": in_progress,
        **current,
        "answered": answered["reviews"],
        "replies": response["replies"],
        "target_minutes": target,
        "target_counted": response["target_counted"],
        "within_target": response["within_target"],
        "within_target_share": response["within_target_share"],
        "incidents_opened": opened or 0,
        "previous": previous,
        "change": {
            "volume": current["volume"] - previous["volume"],
            "volume_pct": _volume_pct(current["volume"], previous["volume"]),
            "average_rating": _change(current["average_rating"], previous["average_rating"]),
            "negative_share": _change(current["negative_share"], previous["negative_share"], 3),
            "answered_share": _change(current["answered_share"], previous["answered_share"], 3),
            "median_response_minutes": _change(
                current["median_response_minutes"], previous["median_response_minutes"], 1
            ),
        },
    }


def months_across(clinics, month: date, *, now: datetime | None = None) -> list[dict]:
    """`month_figures` of each of `clinics` (in their order), each read in its own schema: one
    statement a clinic, and one for every clinic's reply target."""
    clinics = list(clinics)
    now = now or timezone.now()
    targets = reply_targets_at(
        {clinic: _bounds(month, clinic_zone(clinic))[1] for clinic in clinics}
    )
    rows = []
    for clinic in clinics:
        with schema_context(clinic.schema_name):
            rows.append(
                month_figures(clinic=clinic, month=month, target=targets[clinic.pk], now=now)
            )
    return rows
