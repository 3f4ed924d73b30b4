"""The post-crisis review's two charts as SVG, drawn here on the server so that the staff page,
the portal, the HTML export and the PDF show the very same pictures: volume per period (stacked
by sentiment) and the sentiment curve (mean score per period), each across the before, during
and after windows. Colours are presentation attributes (no CSS needed, nothing inline for the
CSP to refuse); each chart carries a title and a description for screen readers."""

from __future__ import annotations

import base64
import math
import re
from html import escape, unescape

from crisis.metrics import BUCKETS_PER_WINDOW, LABELS, NOT_YET, WINDOW_NAMES

COLOURS = {
    "negative": "#cf222e",
    "neutral": "#8c959f",
    "positive": "#2da44e",
    "unscored": "#d0d7de",
}
INK, MUTED, GRID = "#1b1f24", "#57606a", "#d0d7de"
WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 28, 40
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
SLOTS = BUCKETS_PER_WINDOW * len(WINDOW_NAMES)
WINDOW_TITLES = {"before": "Before", "during": "During", "after": "After"}
MAX_COUNT_INTERVALS = 5


def count_ticks(peak: int) -> list[int]:
    """The gridlines of a count axis: whole numbers from 0 in a step of 1, 2 or 5 times a power
    of ten, at most MAX_COUNT_INTERVALS of them; the last is the top of the axis (>= peak)."""
    peak = max(int(peak), 1)
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            intervals = -(-peak // step)
            if intervals <= MAX_COUNT_INTERVALS:
                return [n * step for n in range(intervals + 1)]
        magnitude *= 10


def _svg(key: str, title: str, desc: str, body: list[str], brand: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{key}-t {key}-d" '
        f'font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="11">'
        f'<title id="{key}-t">{escape(title)}</title><desc id="{key}-d">{escape(desc)}</desc>'
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>'
        f'<rect x="0" y="0" width="{WIDTH}" height="4" fill="{brand}"/>' + "".join(body) + "</svg>"
    )


def _slot_x(window: str, index: int) -> float:
    return LEFT + (WINDOW_NAMES.index(window) * BUCKETS_PER_WINDOW + index) * PLOT_W / SLOTS


def _frame(windows: dict) -> list[str]:
    """The three window bands with their names; "not yet" written across an empty after."""
    out = []
    band = PLOT_W / len(WINDOW_NAMES)
    for i, name in enumerate(WINDOW_NAMES):
        x = LEFT + i * band
        if i:
            out.append(
                f'<line x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{TOP + PLOT_H}" '
                f'stroke="{MUTED}" stroke-dasharray="4 3"/>'
            )
        state = windows.get(name, {}).get("state")
        label = WINDOW_TITLES[name] + (
            " (not yet)" if state == NOT_YET else " (so far)" if state == "in_progress" else ""
        )
        out.append(
            f'<text x="{x + band / 2:.1f}" y="{TOP - 10}" text-anchor="middle" '
            f'fill="{INK}" font-weight="bold">{escape(label)}</text>'
        )
        if state == NOT_YET:
            out.append(
                f'<text x="{x + band / 2:.1f}" y="{TOP + PLOT_H / 2:.1f}" text-anchor="middle" '
                f'fill="{MUTED}">Not yet: the incident is not resolved</text>'
            )
    out.append(
        f'<line x1="{LEFT}" y1="{TOP + PLOT_H}" x2="{LEFT + PLOT_W}" y2="{TOP + PLOT_H}" '
        f'stroke="{INK}"/>'
    )
    return out


def _legend(items: list[tuple[str, str]]) -> list[str]:
    out, x = [], LEFT
    y = HEIGHT - 10
    for label, colour in items:
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{x + 14}" y="{y}" fill="{INK}">{escape(label)}</text>')
        x += 24 + 7 * len(label)
    return out


def _by_slot(series: list[dict]) -> dict[tuple[str, int], dict]:
    slots: dict[tuple[str, int], dict] = {}
    counters = dict.fromkeys(WINDOW_NAMES, 0)
    for row in series:
        slots[(row["window"], counters[row["window"]])] = row
        counters[row["window"]] += 1
    return slots


def _rates(row: dict, per_day: bool) -> dict[str, float]:
    """Each label's items in the period, or per day of it when the windows differ in length
    (a week before, hours during: counts per period would not compare)."""
    if not per_day:
        return {label: row[label] or 0 for label in LABELS}
    days = row.get("days") or 0
    return {label: (row[label] or 0) / days if days else 0 for label in LABELS}


def volume_chart(metrics: dict, brand: str = "#1f6feb") -> str:
    series, windows = metrics["series"], metrics["windows"]
    per_day = all("days" in row for row in series) and bool(series)
    rates = [_rates(row, per_day) for row in series]
    ticks = count_ticks(math.ceil(max((sum(r.values()) for r in rates), default=0)))
    peak = ticks[-1]
    body = _frame(windows)
    for tick in ticks:
        y = TOP + PLOT_H - PLOT_H * tick / peak
        body.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + PLOT_W}" y2="{y:.1f}" stroke="{GRID}" '
            f'stroke-width="0.5"/><text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'fill="{MUTED}">{tick}</text>'
        )
    width = PLOT_W / SLOTS * 0.8
    for (window, index), row in _by_slot(series).items():
        x = _slot_x(window, index) + PLOT_W / SLOTS * 0.1
        y = TOP + PLOT_H
        rate = _rates(row, per_day)
        for label in LABELS:
            h = PLOT_H * rate[label] / peak
            if h <= 0:
                continue
            y -= h
            said = f"{row[label]} ({rate[label]:.1f} a day)" if per_day else f"{row[label]}"
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[label]}"><title>{escape(label)}: {said}</title></rect>'
            )
    body += _legend([(label, COLOURS[label]) for label in LABELS])
    if per_day:
        desc = "Items per day in each period, stacked by sentiment. Per day: " + "; ".join(
            f"{WINDOW_TITLES[n].lower()} "
            + (
                "not yet"
                if windows[n].get("per_day") is None
                else f"{windows[n]['per_day']:g} ({windows[n]['volume']} items)"
            )
            for n in WINDOW_NAMES
        )
        return _svg("volume-chart", "Items per day", desc + ".", body, brand)
    total = {n: windows[n].get("volume") for n in WINDOW_NAMES}
    desc = "Items per period, stacked by sentiment. Totals: " + "; ".join(
        f"{WINDOW_TITLES[n].lower()} {'not yet' if total[n] is None else total[n]}"
        for n in WINDOW_NAMES
    )
    return _svg("volume-chart", "Volume per period", desc + ".", body, brand)


def sentiment_chart(metrics: dict, brand: str = "#1f6feb") -> str:
    series, windows = metrics["series"], metrics["windows"]
    body = _frame(windows)
    for value in (1, 0, -1):
        tick = f"{value:+d}" if value else "0"
        y = TOP + PLOT_H * (1 - value) / 2
        body.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + PLOT_W}" y2="{y:.1f}" stroke="{GRID}" '
            f'stroke-width="{1 if value == 0 else 0.5}"/><text x="{LEFT - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end" fill="{MUTED}">{tick}</text>'
        )
    points = []
    for (window, index), row in _by_slot(series).items():
        if row["mean_score"] is None:
            continue
        x = _slot_x(window, index) + PLOT_W / SLOTS / 2
        y = TOP + PLOT_H * (1 - row["mean_score"]) / 2
        points.append((x, y, row["mean_score"]))
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{brand}" stroke-width="2.5"/>')
    for x, y, score in points:
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{brand}">'
            f"<title>{score:+.2f}</title></circle>"
        )
    body += _legend([("mean sentiment score (−1 to +1)", brand)])
    means = {n: windows[n].get("mean_score") for n in WINDOW_NAMES}
    desc = "Mean sentiment score per period, from -1 (negative) to +1 (positive). Means: " + (
        "; ".join(
            f"{WINDOW_TITLES[n].lower()} {'—' if means[n] is None else f'{means[n]:+.2f}'}"
            for n in WINDOW_NAMES
        )
    )
    return _svg("sentiment-chart", "Sentiment curve", desc + ".", body, brand)


def as_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def chart_alt(svg: str) -> str:
    """The chart's title and description as one line of alt text."""
    title = re.search(r"<title id=[^>]*>(.*?)</title>", svg)
    desc = re.search(r"<desc id=[^>]*>(.*?)</desc>", svg)
    return unescape(". ".join(m.group(1) for m in (title, desc) if m))
