"""The dashboard's sparklines and sortable column links."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from dashboard.services import sentiment_change, trend_direction

register = template.Library()

SPARK_WIDTH, SPARK_HEIGHT = 112, 28


@register.simple_tag
def sparkline(values) -> str:
    """Daily mean sentiment (-1..1, None for a day without scored reviews) as an SVG polyline
    with a text alternative. Presentation attributes only: the CSP forbids inline styles."""
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
    tone = trend_direction(sentiment_change(values)) or "flat"
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
    """The query string that sorts by `key`: descending first, then toggles."""
    current = context.get("sort_raw", "")
    new = key if current == f"-{key}" else f"-{key}"
    if key == "name":
        new = "-name" if current == "name" else "name"
    params = context["request"].GET.copy()
    params["sort"] = new
    params.pop("page", None)
    return params.urlencode()


@register.filter
def spark_last(values):
    """The value the sparkline's line ends on (the last day with scored reviews)."""
    points = [v for v in (values or []) if v is not None]
    return points[-1] if points else None


TREND_WORDS = {
    "up": ("↑", "better: up from {first} where the line starts"),
    "down": ("↓", "worse: down from {first} where the line starts"),
    "flat": ("→", "about the same as {first} where the line starts"),
}


@register.filter
def spark_trend(values) -> dict | None:
    """Which way the sparkline went ("up", "down", "flat"), its arrow and its words: what the
    row says beside the line, from the same figure as the line's colour."""
    direction = trend_direction(sentiment_change(values))
    if direction is None:
        return None
    first = next(v for v in values if v is not None)
    arrow, words = TREND_WORDS[direction]
    return {"direction": direction, "arrow": arrow, "words": words.format(first=f"{first:+.2f}")}


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
