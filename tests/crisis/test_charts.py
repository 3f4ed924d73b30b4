"""The post-crisis review's volume chart: a count axis with whole-number ticks, each label on
its own gridline, and bars drawn to the same scale."""

from __future__ import annotations

import re

import pytest

from crisis.charts import PLOT_H, TOP, _panel, count_ticks, volume_chart
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
