"""The post-crisis review's two charts as SVG, drawn here on the server so that the staff page,
the portal, the HTML export and the PDF show the very same pictures: volume per period (stacked
by sentiment; each window on its own scale, in the rate that suits its length) and the
sentiment curve (mean score per period), each across the before, during and after windows,
with their times in the clinic's zone. Each is drawn twice from the same figures: wide (a
desktop, the PDF) and `narrow` (a phone, chosen by the pages' `<picture>`), with the same title
and description. Colours are presentation attributes (no CSS needed, nothing inline for the
CSP to refuse); each chart carries a title and a description for screen readers."""

from __future__ import annotations

import base64
import math
import re
from datetime import UTC, datetime
from html import escape, unescape
from typing import NamedTuple

from core.text import duration_said
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
WINDOW_TITLES = {"before": "Before", "during": "During", "after": "After"}
MAX_COUNT_INTERVALS = 5
# The narrow drawing of each chart, for a phone (the pages' `<picture>` picks it on a narrow
# screen; the PDF and a wide screen keep the wide one): 320 across, so a 390 px phone shows it
# at about its own size (316 px in a staff page's card) and its 13 px text stays above 12 px;
# the volume chart's periods one above another, fewer gridlines.
NARROW_W, NARROW_FONT, NARROW_SMALL = 320, 13, 13
NARROW_CHAR = 8  # a generous width of a 13 px character, for the legend's rows
NARROW_TICKS = 3


def count_ticks(peak: int, most: int = MAX_COUNT_INTERVALS) -> list[int]:
    """The gridlines of a count axis: whole numbers from 0 in a step of 1, 2 or 5 times a power
    of ten, at most `most` intervals; the last is the top of the axis (>= peak)."""
    peak = max(int(peak), 1)
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            intervals = -(-peak // step)
            if intervals <= most:
                return [n * step for n in range(intervals + 1)]
        magnitude *= 10


def _svg(
    key: str,
    title: str,
    desc: str,
    body: list[str],
    brand: str,
    size: tuple[int, int] = (WIDTH, HEIGHT),
    font: int = 11,
) -> str:
    width, height = size
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{key}-t {key}-d" '
        f'font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="{font}">'
        f'<title id="{key}-t">{escape(title)}</title><desc id="{key}-d">{escape(desc)}</desc>'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>'
        f'<rect x="0" y="0" width="{width}" height="4" fill="{brand}"/>' + "".join(body) + "</svg>"
    )


def window_bars(window: dict) -> int:
    """How many bars a window's panel or band holds (`crisis.metrics.window_buckets`; a review
    frozen before windows said so has `BUCKETS_PER_WINDOW`)."""
    return window.get("buckets") or BUCKETS_PER_WINDOW


def _slot_x(windows: dict, window: str, index: int, *, left=None, width=None) -> float:
    """The middle of bar `index` of `window` in a chart whose plot starts at `left` and is
    `width` wide (the wide chart's by default): each window a third of it, cut into its own
    bars."""
    left = LEFT if left is None else left
    band = (PLOT_W if width is None else width) / len(WINDOW_NAMES)
    bars = window_bars(windows.get(window, {}))
    return left + WINDOW_NAMES.index(window) * band + (index + 0.5) * band / bars


def _frame(windows: dict, tz=None) -> list[str]:
    """The three window bands with their names, and the start and end time of each under it
    (in the clinic's zone, `tz`); "not yet" written across an empty after."""
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
            continue
        # when each band starts (a band ends where the next starts), and when the last ends
        window = windows.get(name, {})
        marks = [(x + 4, "start", window.get("start"))]
        if i == len(WINDOW_NAMES) - 1:
            marks.append((x + band - 4, "end", window.get("full_end") or window.get("end")))
        for at, anchor, value in marks:
            if text := _time_label(value, tz, DAY):
                out.append(
                    f'<text x="{at:.1f}" y="{TOP + PLOT_H + 13}" text-anchor="{anchor}" '
                    f'fill="{MUTED}" font-size="10">{escape(text)}</text>'
                )
    out.append(
        f'<line x1="{LEFT}" y1="{TOP + PLOT_H}" x2="{LEFT + PLOT_W}" y2="{TOP + PLOT_H}" '
        f'stroke="{INK}"/>'
    )
    return out


def _legend(
    items: list[tuple[str, str]], y: float = HEIGHT - 10, left: int = LEFT, right: int = 0
) -> list[str]:
    """A swatch and a name per item, in a row from `left`; with `right` (the narrow charts),
    an item that would pass it starts a new row 20 below."""
    out, x = [], left
    per_char = 7 if not right else NARROW_CHAR
    for label, colour in items:
        span = 24 + per_char * len(label)
        if right and x > left and x + span - 10 > right:
            x, y = left, y + 20
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{x + 14}" y="{y}" fill="{INK}">{escape(label)}</text>')
        x += span
    return out


def _legend_rows(items: list[tuple[str, str]], left: int, right: int) -> int:
    """How many rows `_legend` takes for `items` between `left` and `right`."""
    rows, x = 1, left
    for label, _ in items:
        span = 24 + NARROW_CHAR * len(label)
        if x > left and x + span - 10 > right:
            rows, x = rows + 1, left
        x += span
    return rows


def _by_slot(series: list[dict]) -> dict[tuple[str, int], dict]:
    slots: dict[tuple[str, int], dict] = {}
    counters = dict.fromkeys(WINDOW_NAMES, 0)
    for row in series:
        slots[(row["window"], counters[row["window"]])] = row
        counters[row["window"]] += 1
    return slots


# --- rates: items an hour in a window shorter than a day, items a day otherwise --------------

HOUR, DAY = "hour", "day"


def rate_unit(days: float | None) -> str:
    """The unit a window's (or a period's) rate reads in: an hour when it is shorter than a
    day (21 items in 81 minutes are "about 16 an hour", not "373.18 a day"), a day otherwise;
    "" when its length is unknown (figures frozen before lengths were kept)."""
    if days is None:
        return ""
    return HOUR if days < 1 else DAY


def rate(count: int | None, days: float | None, unit: str) -> float | None:
    """`count` items in `days`, per `unit`; None when either is unknown or the span empty."""
    if count is None or not days or not unit:
        return None
    return count / (days * 24) if unit == HOUR else count / days


def about(value: float) -> str:
    """A rate as people say it: whole numbers from 1 up (half up: 15.6 → "about 16", 1.29
    → "about 1"), one significant digit below ("about 0.4"), no "about" when exact."""
    if value <= 0:
        return "0"
    if value >= 1:
        whole = math.floor(value + 0.5)
        return f"{whole:,}" if math.isclose(value, whole) else f"about {whole:,}"
    digit = float(f"{value:.1g}")
    return f"{digit:g}" if math.isclose(value, digit) else f"about {digit:g}"


MIN_RATE_DAYS = 1 / 24  # a period still running says its rate once it holds an hour


def too_early_for_a_rate(window: dict) -> bool:
    """A period still running that holds less than an hour ("after", sent right after the
    resolution) says its items, never their rate: 3 items in its first minute are not "about
    180 an hour" beside a usual 3 a day, and its chart panel draws the counts."""
    return window.get("state") == "in_progress" and (window.get("days") or 0) < MIN_RATE_DAYS


def rate_words(count: int | None, days: float | None, unit: str = "") -> str:
    """ "about 16 an hour", "about 1 a day", "3 a day"; "" when it cannot be said. `unit`:
    the window's (default: what suits `days`)."""
    unit = unit or rate_unit(days)
    value = rate(count, days, unit)
    if value is None:
        return ""
    return f"{about(value)} {'an' if unit == HOUR else 'a'} {unit}"


# --- the volume chart: one panel per period, each on its own scale ---------------------------

PANEL_X0, PANEL_X1 = 8, WIDTH - 8
PANEL_W = (PANEL_X1 - PANEL_X0) / len(WINDOW_NAMES)
AXIS_W, PANEL_GAP = 34, 10  # the tick labels left of each panel; the gap after it
TIME_FORMATS = {HOUR: "%H:%M", DAY: "%-d %b %H:%M", "": "%-d %b %H:%M"}


def _panel(index: int) -> tuple[float, float]:
    """(x, width) of the plot area of the `index`-th period's panel."""
    x = PANEL_X0 + index * PANEL_W + AXIS_W
    return x, PANEL_W - AXIS_W - PANEL_GAP


def _unit_words(unit: str) -> str:
    return {HOUR: "items an hour", DAY: "items a day"}.get(unit, "items")


def _window_days(window: dict) -> float | None:
    days = window.get("days")
    return days if window.get("state") != NOT_YET else None


def _time_label(value: str | None, tz, unit: str) -> str:
    if not value:
        return ""
    at = datetime.fromisoformat(value)
    return at.astimezone(tz or UTC).strftime(TIME_FORMATS[unit])


def _bucket_rates(row: dict, unit: str) -> dict[str, float]:
    """Each label's items in the period, per `unit` of it ("" : the counts themselves)."""
    if not unit:
        return {label: row[label] or 0 for label in LABELS}
    return {label: rate(row[label] or 0, row.get("days"), unit) or 0 for label in LABELS}


class _Box(NamedTuple):
    """Where one period's volume panel is drawn: its plot area, how many intervals its axis
    may have, the size of its times and how far under the axis they sit."""

    x: float
    width: float
    top: float
    height: float
    most: int = MAX_COUNT_INTERVALS
    small: int = 10
    below: int = 13
    narrow: bool = False


def _wide_box(index: int) -> _Box:
    x, width = _panel(index)
    return _Box(x, width, TOP, PLOT_H)


def _volume_panel(
    index: int, name: str, window: dict, rows: list[dict], tz, box: _Box | None = None
) -> list[str]:
    """One period: its title with its unit, its own count axis, its bars stacked by
    sentiment, and its start and end times under it."""
    x, width, top, height, most, small, below, narrow = box or _wide_box(index)
    bottom = top + height
    state = window.get("state")
    per_rate = all("days" in row for row in rows) and bool(rows)
    per_rate = per_rate and not too_early_for_a_rate(window)
    unit = rate_unit(_window_days(window)) if per_rate else ""
    title = WINDOW_TITLES[name] + (" (so far)" if state == "in_progress" else "")
    out = [
        f'<text x="{x + width / 2:.1f}" y="{top - 10}" text-anchor="middle" fill="{INK}">'
        f'<tspan font-weight="bold">{escape(title)}</tspan>'
        + (f": {escape(_unit_words(unit))}" if state != NOT_YET else "")
        + "</text>"
    ]
    if state == NOT_YET:
        words = (
            f'<tspan x="{x + width / 2:.1f}">Not yet:</tspan><tspan x="{x + width / 2:.1f}" '
            'dy="1.3em">the incident is not resolved</tspan>'
            if narrow
            else "Not yet: the incident is not resolved"
        )
        out.append(
            f'<text x="{x + width / 2:.1f}" y="{top + height / 2:.1f}" text-anchor="middle" '
            f'fill="{MUTED}">{words}</text>'
        )
        out.append(
            f'<line x1="{x:.1f}" y1="{bottom}" x2="{x + width:.1f}" y2="{bottom}" stroke="{INK}"/>'
        )
        return out
    rates = [_bucket_rates(row, unit) for row in rows]
    ticks = count_ticks(math.ceil(max((sum(r.values()) for r in rates), default=0)), most)
    peak = ticks[-1]
    for tick in ticks:
        y = bottom - height * tick / peak
        out.append(
            f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x + width:.1f}" y2="{y:.1f}" stroke="{GRID}" '
            f'stroke-width="0.5"/><text x="{x - 5:.1f}" y="{y + 4:.1f}" text-anchor="end" '
            f'fill="{MUTED}">{tick:,}</text>'
        )
    slot = width / window_bars(window)
    for n, (row, rated) in enumerate(zip(rows, rates, strict=True)):
        left = x + n * slot + slot * 0.1
        y = bottom
        for label in LABELS:
            h = height * rated[label] / peak
            if h <= 0:
                continue
            y -= h
            said = f"{row[label]}"
            if unit:
                said += f" ({rate_words(row[label] or 0, row.get('days'), unit)})"
            out.append(
                f'<rect x="{left:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[label]}"><title>{escape(label)}: {escape(said)}</title></rect>'
            )
    out.append(
        f'<line x1="{x:.1f}" y1="{bottom}" x2="{x + width:.1f}" y2="{bottom}" stroke="{INK}"/>'
    )
    end = window.get("full_end") or window.get("end")
    for at, anchor, value in (
        (x, "start", window.get("start")),
        (x + width, "end", end),
    ):
        if text := _time_label(value, tz, unit):
            out.append(
                f'<text x="{at:.1f}" y="{bottom + below}" text-anchor="{anchor}" fill="{MUTED}" '
                f'font-size="{small}">{escape(text)}</text>'
            )
    return out


def _volume_said(name: str, window: dict, rows: list[dict]) -> str:
    """ "during: about 16 an hour (21 items in 81 minutes)" for the chart's description."""
    if window.get("state") == NOT_YET:
        return f"{name} not yet"
    volume = window.get("volume") or 0
    days = window.get("days")
    items = f"{volume} item{'s' if volume != 1 else ''}"
    if days:
        items += f" in {duration_said(days * 24 * 60)}"
    per_rate = all("days" in row for row in rows) and bool(rows)
    per_rate = per_rate and not too_early_for_a_rate(window)
    said = rate_words(volume, days) if per_rate and volume else ""
    return f"{name} {said} ({items})" if said else f"{name} {items}"


def volume_chart(metrics: dict, brand: str = "#1f6feb", tz=None, *, narrow: bool = False) -> str:
    """Items in each period (before, during, after), stacked by sentiment. The periods
    differ in length (a week before, 81 minutes during), so each has its own panel and its
    own scale, in the rate that suits it (items an hour in a period shorter than a day,
    items a day otherwise): on one scale a week's 1 a day could not be seen beside a
    crisis's 16 an hour. Times under each panel in the clinic's zone (`tz`). `narrow`: for a
    phone, the panels one above another across its width, three gridlines at most."""
    series, windows = metrics["series"], metrics["windows"]
    by_window = {name: [row for row in series if row["window"] == name] for name in WINDOW_NAMES}
    legend = [(label, COLOURS[label]) for label in LABELS]
    body = []
    for index, name in enumerate(WINDOW_NAMES):
        box = _narrow_box(index) if narrow else None
        body += _volume_panel(index, name, windows.get(name, {}), by_window[name], tz, box)
    size = (WIDTH, HEIGHT)
    if narrow:
        legend_top = 4 + len(WINDOW_NAMES) * NARROW_PANEL_H + 8
        rows = _legend_rows(legend, NARROW_LEFT, NARROW_W - 8)
        body += _legend(legend, legend_top + 10, NARROW_LEFT, NARROW_W - 8)
        size = (NARROW_W, legend_top + 20 * rows + 4)
    else:
        body += _legend(legend)
    desc = (
        "Items in each period, stacked by sentiment; each period has its own scale. "
        + "; ".join(
            _volume_said(WINDOW_TITLES[n].lower(), windows.get(n, {}), by_window[n])
            for n in WINDOW_NAMES
        )
    )
    return _svg(
        "volume-chart",
        "Volume in each period",
        desc + ".",
        body,
        brand,
        size,
        NARROW_FONT if narrow else 11,
    )


NARROW_LEFT, NARROW_RIGHT = 48, 12
NARROW_PANEL_H, NARROW_PLOT_H = 150, 84  # a period of the narrow volume chart; its plot


def _narrow_box(index: int) -> _Box:
    top = 4 + index * NARROW_PANEL_H + 32
    width = NARROW_W - NARROW_LEFT - NARROW_RIGHT
    return _Box(NARROW_LEFT, width, top, NARROW_PLOT_H, NARROW_TICKS, NARROW_SMALL, 17, True)


def _sentiment_said(windows: dict) -> str:
    means = {n: windows[n].get("mean_score") for n in WINDOW_NAMES}
    return "Mean sentiment score per period, from -1 (negative) to +1 (positive). Means: " + (
        "; ".join(
            f"{WINDOW_TITLES[n].lower()} {'—' if means[n] is None else f'{means[n]:+.2f}'}"
            for n in WINDOW_NAMES
        )
    )


def _sentiment_curve(series: list[dict], brand: str, slot_x, y_of) -> list[str]:
    """The line through each period's mean score and a dot on each (its value as its title);
    `slot_x(window, index)` the middle of a period, `y_of(score)` the height of a score."""
    points = []
    for (window, index), row in _by_slot(series).items():
        if row["mean_score"] is None:
            continue
        points.append((slot_x(window, index), y_of(row["mean_score"]), row["mean_score"]))
    out = []
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{brand}" stroke-width="2.5"/>')
    for x, y, score in points:
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{brand}">'
            f"<title>{score:+.2f}</title></circle>"
        )
    return out


SENTIMENT_LEGEND = "mean sentiment score (−1 to +1)"


def sentiment_chart(metrics: dict, brand: str = "#1f6feb", tz=None, *, narrow: bool = False) -> str:
    """The mean score of each period across the three windows, on one -1..+1 scale.
    `narrow`: for a phone (`_sentiment_narrow`)."""
    if narrow:
        return _sentiment_narrow(metrics, brand, tz)
    series, windows = metrics["series"], metrics["windows"]
    body = _frame(windows, tz)
    for value in (1, 0, -1):
        tick = f"{value:+d}" if value else "0"
        y = TOP + PLOT_H * (1 - value) / 2
        body.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + PLOT_W}" y2="{y:.1f}" stroke="{GRID}" '
            f'stroke-width="{1 if value == 0 else 0.5}"/><text x="{LEFT - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end" fill="{MUTED}">{tick}</text>'
        )
    body += _sentiment_curve(
        series,
        brand,
        lambda window, index: _slot_x(windows, window, index),
        lambda score: TOP + PLOT_H * (1 - score) / 2,
    )
    body += _legend([(SENTIMENT_LEGEND, brand)])
    return _svg("sentiment-chart", "Sentiment curve", _sentiment_said(windows) + ".", body, brand)


# the narrow sentiment chart: its plot's edges, the two lines of each period's name above it
N_LEFT, N_RIGHT, N_TOP, N_PLOT_H = 34, 16, 48, 150
N_PLOT_W = NARROW_W - N_LEFT - N_RIGHT


def _sentiment_narrow(metrics: dict, brand: str, tz) -> str:
    """The sentiment curve across a phone: each period's name above its band (its state on a
    second line), and under the axis the time each band starts, and the last one ends, as a
    date over a time of day, so that four times fit across its 270 px."""
    series, windows = metrics["series"], metrics["windows"]
    band = N_PLOT_W / len(WINDOW_NAMES)
    bottom = N_TOP + N_PLOT_H
    body = []
    for value in (1, 0, -1):
        tick = f"{value:+d}" if value else "0"
        y = N_TOP + N_PLOT_H * (1 - value) / 2
        body.append(
            f'<line x1="{N_LEFT}" y1="{y:.1f}" x2="{N_LEFT + N_PLOT_W}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="{1 if value == 0 else 0.5}"/><text x="{N_LEFT - 6}" '
            f'y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{tick}</text>'
        )
    for i, name in enumerate(WINDOW_NAMES):
        x = N_LEFT + i * band
        if i:
            body.append(
                f'<line x1="{x:.1f}" y1="{N_TOP - 4}" x2="{x:.1f}" y2="{bottom}" '
                f'stroke="{MUTED}" stroke-dasharray="4 3"/>'
            )
        window = windows.get(name, {})
        state = window.get("state")
        note = "(not yet)" if state == NOT_YET else "(so far)" if state == "in_progress" else ""
        body.append(
            f'<text x="{x + band / 2:.1f}" y="{N_TOP - 26}" text-anchor="middle" fill="{INK}" '
            f'font-weight="bold">{escape(WINDOW_TITLES[name])}</text>'
        )
        if note:
            body.append(
                f'<text x="{x + band / 2:.1f}" y="{N_TOP - 10}" text-anchor="middle" '
                f'fill="{INK}">{note}</text>'
            )
        if state == NOT_YET:
            body.append(
                f'<text x="{x + band / 2:.1f}" y="{N_TOP + N_PLOT_H / 2 - 8:.1f}" '
                f'text-anchor="middle" fill="{MUTED}">Not yet</text>'
            )
            continue
        marks = [(x, "middle" if i else "start", window.get("start"))]
        if i == len(WINDOW_NAMES) - 1:
            marks.append((x + band, "end", window.get("full_end") or window.get("end")))
        for at, anchor, value in marks:
            if not value:
                continue
            local = datetime.fromisoformat(value).astimezone(tz or UTC)
            body.append(
                f'<text x="{at:.1f}" y="{bottom + 16}" text-anchor="{anchor}" fill="{MUTED}" '
                f'font-size="{NARROW_SMALL}">{local:%-d %b}<tspan x="{at:.1f}" dy="1.25em">'
                f"{local:%H:%M}</tspan></text>"
            )
    body.append(
        f'<line x1="{N_LEFT}" y1="{bottom}" x2="{N_LEFT + N_PLOT_W}" y2="{bottom}" stroke="{INK}"/>'
    )
    body += _sentiment_curve(
        series,
        brand,
        lambda window, index: _slot_x(windows, window, index, left=N_LEFT, width=N_PLOT_W),
        lambda score: N_TOP + N_PLOT_H * (1 - score) / 2,
    )
    body += _legend([(SENTIMENT_LEGEND, brand)], bottom + 56, 12, NARROW_W - 8)
    return _svg(
        "sentiment-chart",
        "Sentiment curve",
        _sentiment_said(windows) + ".",
        body,
        brand,
        (NARROW_W, bottom + 66),
        NARROW_FONT,
    )


def as_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def chart_picture(svg: str) -> dict:
    """A drawing as a `<picture>`'s source wants it: its data URI and its size."""
    width, height = re.search(r'<svg [^>]*width="(\d+)" height="(\d+)"', svg).groups()
    return {"uri": as_data_uri(svg), "width": int(width), "height": int(height)}


def chart_alt(svg: str) -> str:
    """The chart's title and description as one line of alt text."""
    title = re.search(r"<title id=[^>]*>(.*?)</title>", svg)
    desc = re.search(r"<desc id=[^>]*>(.*?)</desc>", svg)
    return unescape(". ".join(m.group(1) for m in (title, desc) if m))
