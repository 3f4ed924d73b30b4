"""The dashboard's sparklines and sortable column links."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from dashboard.selectors import DASHBOARD_URGENCY
from dashboard.services import TREND_MIN_REVIEWS, sentiment_trend

register = template.Library()

SPARK_WIDTH, SPARK_HEIGHT = 112, 28


@register.simple_tag
def sparkline(values, counts=None) -> str:
    """Daily mean sentiment (-1..1, None for a day without scored reviews; `counts`: how many
    reviews each day's mean is of) as an SVG polyline with a text alternative, coloured by
    the trend (`spark_trend`). Presentation attributes only: the CSP forbids inline styles."""
    values = list(values or [])
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if not points:
        return mark_safe('<span class="muted">no scored reviews</span>')  # noqa: S308 - constant
    step = SPARK_WIDTH / max(len(values) - 1, 1)

    def y(v: float) -> float:
        return round((1 - (v + 1) / 2) * (SPARK_HEIGHT - 4) + 2, 1)

    coords = " ".join(f"{round(i * step, 1)},{y(v)}" for i, v in points)
    first, last = points[0][1], points[-1][1]
    label = (
        f"Sentiment over {len(values)} days, from {first:+.2f} to {last:+.2f} "
        f"({len(points)} days with scored reviews)"
    )
    trend = sentiment_trend(values, counts)
    tone = trend.direction if trend and trend.direction != "few" else "flat"
    last_x, last_y = round(points[-1][0] * step, 1), y(last)
    return format_html(
        '<svg class="spark spark-{}" width="{}" height="{}" viewBox="0 0 {} {}" role="img" '
        'aria-label="{}"><title>{}</title>'
        '<line x1="0" y1="{}" x2="{}" y2="{}" class="spark-zero"/>'
        '<polyline points="{}" fill="none"/><circle cx="{}" cy="{}" r="2.5"/></svg>',
        tone,
        SPARK_WIDTH,
        SPARK_HEIGHT,
        SPARK_WIDTH,
        SPARK_HEIGHT,
        label,
        label,
        y(0),
        SPARK_WIDTH,
        y(0),
        coords,
        last_x,
        last_y,
    )


@register.simple_tag(takes_context=True)
def sort_query(context, key: str) -> str:
    """The query string that sorts by `key`: descending first, then toggles; the name A to Z
    first; "urgency" one way only (most urgent first). The filters the page could read stay
    (`filter_query`: the name search, the status, the agency); a sort starts at page 1."""
    current = context.get("sort_raw", "")
    if current == DASHBOARD_URGENCY:  # the most severe incident first: Severity, descending
        current = "-severity"
    new = key if current == f"-{key}" else f"-{key}"
    if key == "name":
        new = "-name" if current == "name" else "name"
    elif key == DASHBOARD_URGENCY:
        new = key
    params = context["filter_query"].copy()
    params["sort"] = new
    return params.urlencode()


@register.filter
def spark_mean(values, counts=None) -> dict | None:
    """The number the row shows beside its sparkline: the mean sentiment of the last days
    (`TREND_WINDOW_DAYS`, weighted by reviews), the very figure the trend arrow compares with
    the first days' (`dashboard.services.sentiment_trend`'s `end`), never one day's value.
    `{"mean", "n", "days", "words"}`; `mean` is None when those days hold no scored review.
    None when no day of the line has one."""
    trend = sentiment_trend(values, counts)
    if trend is None:
        return None
    days = f"{trend.days} day{'' if trend.days == 1 else 's'}"
    if trend.end is None:
        words = f"no scored reviews in the last {days}"
    else:
        words = (
            f"mean sentiment of the last {days}: {trend.end:+.2f} from {_reviews(trend.end_n)} "
            "(the figure the arrow compares with the first days)"
        )
    return {"mean": trend.end, "n": trend.end_n, "days": trend.days, "words": words}


TREND_WORDS = {
    "up": ("↑", "better: {end} over the last {days} ({end_n}), up from {start} over the first {days} ({start_n})"),
    "down": ("↓", "worse: {end} over the last {days} ({end_n}), down from {start} over the first {days} ({start_n})"),
    "flat": ("→", "about the same: {end} over the last {days} ({end_n}), against {start} over the first {days} ({start_n})"),
    "few": ("?", "too few reviews to tell: {start_n} in the first {days} and {end_n} in the last {days}, at least {least} at each end needed"),
}  # fmt: skip


def _reviews(n: int) -> str:
    return f"{n} review{'' if n == 1 else 's'}"


@register.filter
def spark_trend(values, counts=None) -> dict | None:
    """Which way the sparkline went ("up", "down", "flat", or "few": too few reviews to tell),
    its arrow and its words: what the row says beside the line, from the same figure as the
    line's colour: the first days' mean against the last days', weighted by reviews
    (`dashboard.services.sentiment_trend`), never one day's mean against another's."""
    trend = sentiment_trend(values, counts)
    if trend is None:
        return None
    arrow, words = TREND_WORDS[trend.direction]
    text = words.format(
        days=f"{trend.days} day{'' if trend.days == 1 else 's'}",
        start=f"{trend.start:+.2f}" if trend.start is not None else "",
        end=f"{trend.end:+.2f}" if trend.end is not None else "",
        start_n=_reviews(trend.start_n),
        end_n=_reviews(trend.end_n),
        least=TREND_MIN_REVIEWS,
    )
    return {"direction": trend.direction, "arrow": arrow, "words": text}


@register.filter
def awaiting_words(figures) -> str:
    """ "1 reply, 1 statement, 2 batches of replies": what an approval count holds, for a
    row's snapshot or the page's totals."""

    def read(name: str) -> int:
        if isinstance(figures, dict):
            return figures.get(f"approval_{name}", 0)
        return getattr(figures, f"awaiting_{name}")

    parts = []
    for name, one, many in (
        ("replies", "reply", "replies"),
        ("statements", "statement", "statements"),
        ("batches", "batch of replies", "batches of replies"),
    ):
        if count := read(name):
            parts.append(f"{count} {one if count == 1 else many}")
    return ", ".join(parts)
