"""A rating collapse that began the day before: its first hours are never its own baseline.

The rating-drop detector learnt its usual from the days right before its 24-hour window, so a
collapse that began a day ago was its own "usual": the ratings of its first hours pulled the
baseline down and widened it, and the collapse went on without an alert. Its baseline now ends
a day before the window (`crisis.detectors.BASELINE_GUARD`), as the surge's does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crisis.detectors import RATING_DROP, History, Item, Thresholds, evaluate, rating_drop

TZ = ZoneInfo("America/Chicago")
NOW = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _item(n: int, at: datetime, rating: int) -> Item:
    # scored neutral: only the ratings speak (no surge of negatives)
    return Item(n, "review", "google", at, rating, "neutral", 0, at)


def _clinic() -> list[Item]:
    """A month of 4.7★ (three ratings a day, 5, 4, 5) to two days ago; then a collapse that
    began a day before the window (thirty 1★ ratings between 47 h and 25 h ago) and goes on
    in the window (ten 2★ ratings in the last 20 hours)."""
    items, n = [], 0
    for day in range(2, 40):
        for k, rating in enumerate((5, 4, 5)):
            n += 1
            items.append(_item(n, NOW - timedelta(days=day, hours=1 + 5 * k), rating))
    for k in range(30):
        n += 1
        items.append(_item(n, NOW - 25 * HOUR - k * 44 * timedelta(minutes=1), 1))
    for k in range(10):
        n += 1
        items.append(_item(n, NOW - (1 + 2 * k) * HOUR, 2))
    return items


def test_a_collapse_that_began_the_day_before_is_not_its_own_baseline():
    # given a collapse that began yesterday and goes on today
    history = History(_clinic(), TZ)

    # when the detectors look now
    finding = rating_drop(history, NOW, Thresholds(), None)

    # then the usual is the calm month's, ending a day before the window: 28 days of 3 ratings
    numbers = finding.numbers
    assert numbers["baseline_count"] == 28 * 3
    assert numbers["baseline_mean"] == pytest.approx(14 / 3, abs=1e-3)
    assert numbers["count"] == 10 and numbers["mean"] == 2.0 and numbers["low_count"] == 10
    assert finding.fired
    assert "(84 ratings, 28 days ending a day before the window)" in finding.explanation
    # and evaluate() opens it too
    assert RATING_DROP in [f.kind for f in evaluate(history, NOW, Thresholds())]


def test_the_baseline_reads_the_guard_and_no_further_back_than_the_baseline_days():
    # given only the calm month, and one 1★ rating 30 h ago (inside the guard)
    items = [i for i in _clinic() if i.rating != 1]
    items.append(_item(9999, NOW - 30 * HOUR, 1))
    history = History(items, TZ)

    # when
    finding = rating_drop(history, NOW, Thresholds(baseline_days=14), None)

    # then the 14 days that end 48 h ago, and nothing of the guard's day
    assert finding.numbers["baseline_count"] == 14 * 3
    assert finding.numbers["baseline_mean"] == pytest.approx(14 / 3, abs=1e-3)


def test_the_lookback_reaches_the_rating_drops_baseline():
    t = Thresholds(rating_window_hours=72, viral_max_age_hours=24)
    assert t.lookback == timedelta(days=28) + timedelta(hours=72) + timedelta(hours=24)
