"""The post-crisis review's volume chart: a count axis with whole-number ticks, each label on
its own gridline, and bars drawn to the same scale."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from crisis.charts import PLOT_H, TOP, _panel, count_ticks, sentiment_chart, volume_chart
from crisis.metrics import BUCKETS_PER_WINDOW, LABELS, WINDOW_NAMES


@pytest.mark.parametrize(
    ("peak", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (2, [0, 1, 2]),
        (3, [0, 1, 2, 3]),
        (5, [0, 1, 2, 3, 4, 5]),
        (6, [0, 2, 4, 6]),
        (7, [0, 2, 4, 6, 8]),
        (11, [0, 5, 10, 15]),
        (23, [0, 5, 10, 15, 20, 25]),
        (48, [0, 10, 20, 30, 40, 50]),
        (99, [0, 20, 40, 60, 80, 100]),
        (1234, [0, 500, 1000, 1500]),
    ],
    ids=lambda v: str(v) if isinstance(v, int) else None,
)
def test_count_ticks_are_whole_numbers_in_a_nice_step_that_reach_the_peak(peak, ticks):
    assert count_ticks(peak) == ticks


def _metrics(volumes: list[int]) -> dict:
    """A review whose "during" buckets hold `volumes` negative items (the rest empty), frozen
    before the windows' lengths were kept: each period is drawn in counts."""
    series = []
    for window in WINDOW_NAMES:
        for n in range(BUCKETS_PER_WINDOW):
            count = volumes[n] if window == "during" and n < len(volumes) else 0
            series.append({"window": window, **dict.fromkeys(LABELS, 0), "negative": count})
    windows = {name: {"state": "complete", "volume": 0} for name in WINDOW_NAMES}
    return {"series": series, "windows": windows}


def _axis(svg: str, panel: int) -> list[tuple[float, str]]:
    """(gridline y, label text) of each tick of the `panel`-th period's own axis."""
    x, _ = _panel(panel)
    return [
        (float(line_y), label)
        for line_y, label in re.findall(
            rf'<line x1="{x:.1f}" y1="([\d.]+)" [^>]*stroke-width="0.5"/>'
            rf'<text x="{x - 5:.1f}" y="[\d.]+" text-anchor="end" [^>]*>([^<]*)</text>',
            svg,
        )
    ]


def _y_of(value: float, top: int) -> float:
    return round(TOP + PLOT_H - PLOT_H * value / top, 1)


@pytest.mark.parametrize(
    ("volumes", "labels"),
    [
        ([1], ["0", "1"]),
        ([2, 3], ["0", "1", "2", "3"]),
        ([5], ["0", "1", "2", "3", "4", "5"]),
        ([7, 1], ["0", "2", "4", "6", "8"]),
        ([48], ["0", "10", "20", "30", "40", "50"]),
    ],
    ids=["max-1", "max-3", "max-5", "max-7", "max-48"],
)
def test_the_volume_chart_labels_each_gridline_with_its_whole_count(volumes, labels):
    svg = volume_chart(_metrics(volumes))
    axis = _axis(svg, 1)  # the crisis's own panel
    assert [label for _, label in axis] == labels
    top = int(labels[-1])
    # each label sits on the gridline of its own value, and on no other
    for y, label in axis:
        assert y == _y_of(int(label), top)
    # the text is written 4 px below its line
    x, _ = _panel(1)
    texts = re.findall(rf'<text x="{x - 5:.1f}" y="([\d.]+)" text-anchor="end"', svg)
    assert [float(t) for t in texts] == [round(y + 4, 1) for y, _ in axis]
    # and the tallest bar reaches the gridline of its count
    heights = [float(h) for h in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" '
                                            r'height="([\d.]+)" fill="#cf222e"><title>', svg)]  # fmt: skip
    assert max(heights) == pytest.approx(PLOT_H * max(volumes) / top, abs=0.05)


def test_an_empty_review_draws_a_zero_to_one_axis_for_each_period():
    svg = volume_chart(_metrics([]))
    assert [[label for _, label in _axis(svg, n)] for n in range(3)] == [["0", "1"]] * 3


def test_periods_of_different_lengths_each_get_their_own_scale_and_unit():
    # given a week before with 7 negatives in one 28-hour bucket, and 2 negatives in one
    # 10-minute bucket of an hour-long crisis
    series = []
    for window, days in (("before", 7 / 6), ("during", 1 / 144), ("after", 1 / 6)):
        for n in range(BUCKETS_PER_WINDOW):
            count = {("before", 0): 7, ("during", 0): 2}.get((window, n), 0)
            series.append(
                {"window": window, **dict.fromkeys(LABELS, 0), "negative": count, "days": days}
            )
    windows = {
        "before": {"state": "complete", "volume": 7, "per_day": 1.0, "days": 7.0},
        "during": {"state": "complete", "volume": 2, "per_day": 48.0, "days": 1 / 24},
        "after": {"state": "complete", "volume": 0, "per_day": 0.0, "days": 1.0},
    }
    # when it is drawn
    svg = volume_chart({"series": series, "windows": windows})
    # then the week before reads in items a day on its own axis, the hour of the crisis in
    # items an hour on its own: 6 a day, 12 an hour, both drawn to the top of their scale
    assert [label for _, label in _axis(svg, 0)] == ["0", "2", "4", "6"]
    assert [label for _, label in _axis(svg, 1)] == ["0", "5", "10", "15"]
    assert '<tspan font-weight="bold">Before</tspan>: items a day</text>' in svg
    assert '<tspan font-weight="bold">During</tspan>: items an hour</text>' in svg
    titles = re.findall(r'fill="#cf222e"><title>negative: ([^<]*)</title>', svg)
    assert titles == ["7 (6 a day)", "2 (12 an hour)"]
    heights = re.findall(r'height="([\d.]+)" fill="#cf222e">', svg)
    assert float(heights[0]) == pytest.approx(PLOT_H, abs=0.05)
    assert float(heights[1]) == pytest.approx(PLOT_H * 12 / 15, abs=0.05)
    # and its description says each period's own rate
    assert (
        "before 1 a day (7 items in 7 days); during 2 an hour (2 items in 1 hour); "
        "after 0 items in 24 hours."
    ) in svg


# --- the narrow drawings a phone gets (the pages' <picture>) ---------------------------------


def _texts(svg: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<text [^>]*>(.*?)</text>", svg)]


def _timed(volumes: list[int], after: str = "complete") -> dict:
    """`_metrics` with a start and an end to each period (a day each from 1 March, UTC) and a
    mean score in each bucket of "during"."""
    metrics = _metrics(volumes)
    for n, name in enumerate(WINDOW_NAMES):
        metrics["windows"][name] |= {
            "start": f"2026-03-0{n + 1}T09:00:00+00:00",
            "end": f"2026-03-0{n + 2}T09:00:00+00:00",
            "mean_score": -0.5,
        }
    metrics["windows"]["after"]["state"] = after
    for row in metrics["series"]:
        row["mean_score"] = -0.5 if row["window"] == "during" else None
    return metrics


def test_the_narrow_volume_chart_stacks_the_periods_across_a_phone_with_fewer_gridlines():
    # when the chart is drawn for a phone
    svg = volume_chart(_timed([48]), narrow=True)
    # then it is 320 across, in 13 px text and nothing smaller
    assert svg.startswith(
        '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="506" '
        'viewBox="0 0 320 506" role="img"'
    )
    assert 'font-size="13"' in svg
    assert set(re.findall(r'font-size="(\d+)"', svg)) == {"13"}
    # the three periods one above another, each its full width with its times under it
    titles = re.findall(r'<text x="([\d.]+)" y="([\d.]+)" [^>]*><tspan font-weight="bold">'
                        r"(\w+)</tspan>", svg)  # fmt: skip
    assert titles == [("178.0", "26", "Before"), ("178.0", "176", "During"),
                      ("178.0", "326", "After")]  # fmt: skip
    texts = _texts(svg)
    assert texts.count("1 Mar 09:00") == 1 and texts.count("2 Mar 09:00") == 2
    # and 48 reads on an axis of three steps, not five
    assert [t for t in texts if t.isdigit()] == ["0", "1"] + ["0", "20", "40", "60"] + ["0", "1"]
    # with the legend's four names on the phone, and the same title and description
    assert {"negative", "neutral", "positive", "unscored"} <= set(texts)
    wide = volume_chart(_timed([48]))
    assert re.search(r"<title id.*</desc>", svg)[0] == re.search(r"<title id.*</desc>", wide)[0]
    assert 'width="720" height="240"' in wide and 'font-size="10"' in wide


def test_the_narrow_sentiment_chart_writes_each_time_as_a_date_over_a_time_of_day():
    # when the sentiment curve of a review whose after period has not begun is drawn for a phone
    svg = sentiment_chart(_timed([1, 2], after="not_yet"), narrow=True)
    # then each period's name is over its band, the after's state on a line of its own
    texts = _texts(svg)
    assert texts[:3] == ["+1", "0", "-1"]
    assert [t for t in texts if t in ("Before", "During", "After", "(not yet)", "Not yet")] == [
        "Before",
        "During",
        "After",
        "(not yet)",
        "Not yet",
    ]
    # and the times the bands start read as a date over a time, the after's left out
    assert '>1 Mar<tspan x="34.0" dy="1.25em">09:00</tspan></text>' in svg
    assert '>2 Mar<tspan x="124.0" dy="1.25em">09:00</tspan></text>' in svg
    assert "3 Mar" not in svg and "4 Mar" not in svg
    # the curve through the means of "during" only, in 13 px text throughout
    assert len(re.findall(r"<circle ", svg)) == BUCKETS_PER_WINDOW
    assert set(re.findall(r'font-size="(\d+)"', svg)) == {"13"}
    assert 'width="320" height="264"' in svg


def test_the_week_before_is_seven_bars_of_a_day_each_and_the_chart_draws_seven():
    """Walk 21: the week before was cut in six bars of 28 hours, which no reader can place on
    a calendar; a window of whole days has a bar a day (`window_buckets`), and the chart
    draws as many bars as the window has."""
    from crisis.metrics import window_buckets

    assert window_buckets(timedelta(days=7)) == 7
    assert window_buckets(timedelta(days=14)) == 14
    assert window_buckets(timedelta(days=1)) == BUCKETS_PER_WINDOW  # the day after: 4-hour bars
    assert window_buckets(timedelta(days=15)) == BUCKETS_PER_WINDOW  # too many to read
    assert window_buckets(timedelta(days=7, hours=3)) == BUCKETS_PER_WINDOW  # not whole days
    assert window_buckets(timedelta(minutes=81)) == BUCKETS_PER_WINDOW

    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    rows = [
        {
            "window": "before",
            "start": (start + n * timedelta(days=1)).isoformat(),
            "end": (start + (n + 1) * timedelta(days=1)).isoformat(),
            "partial": False,
            "days": 1.0,
            "per_day": float(n + 1),
            "volume": n + 1,
            "negative": n + 1,
            "neutral": 0,
            "positive": 0,
            "unscored": 0,
            "mean_score": -0.5,
        }
        for n in range(7)
    ]
    windows = {
        "before": {
            "state": "complete",
            "start": start.isoformat(),
            "end": (start + timedelta(days=7)).isoformat(),
            "days": 7.0,
            "volume": 28,
            "buckets": 7,
        },
        "during": {"state": "in_progress", "start": None, "end": None, "volume": 0},
        "after": {"state": "not_yet"},
    }
    svg = volume_chart({"series": rows, "windows": windows})
    # seven bars, side by side in the week's panel, each a seventh of it
    bars = re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*><title>negative: ', svg)
    assert len(bars) == 7
    xs = [float(x) for x, _ in bars]
    widths = {w for _, w in bars}
    assert xs == sorted(xs) and len(set(xs)) == 7 and len(widths) == 1
    step = xs[1] - xs[0]
    assert all(abs((b - a) - step) < 0.2 for a, b in zip(xs, xs[1:], strict=False))
    assert abs(float(widths.pop()) - step * 0.8) < 0.2
    # and the sentiment chart has a point in each of the seven days, evenly spaced
    curve = sentiment_chart({"series": rows, "windows": windows})
    points = [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', curve)]
    assert len(points) == 7
    gaps = [b - a for a, b in zip(points, points[1:], strict=False)]
    assert max(gaps) - min(gaps) < 0.2
