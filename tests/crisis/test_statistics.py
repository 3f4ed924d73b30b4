"""The detectors' arithmetic, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from scipy import stats

from crisis.detectors import (
    History,
    Item,
    clusters,
    content_words,
    seasonal_expectation,
    upper_tail,
)


@pytest.mark.parametrize(
    ("k", "mean"), [(0, 1.0), (1, 0.5), (3, 2.0), (7, 1.3), (14, 1.3), (40, 10.0), (130, 100.0)]
)
def test_poisson_tail_matches_scipy(k, mean):
    assert upper_tail(k, mean) == pytest.approx(stats.poisson.sf(k - 1, mean), rel=1e-6, abs=1e-15)


@pytest.mark.parametrize(("k", "mean", "var"), [(5, 1.0, 2.0), (12, 3.0, 9.0), (30, 10.0, 25.0)])
def test_overdispersed_tail_is_negative_binomial(k, mean, var):
    r = mean * mean / (var - mean)
    expected = stats.nbinom.sf(k - 1, r, r / (r + mean))
    assert upper_tail(k, mean, var) == pytest.approx(expected, rel=1e-6)
    assert upper_tail(k, mean, var) > upper_tail(k, mean)  # wider: harder to alarm


def test_seasonal_expectation_follows_the_hour_of_day():
    # given 28 days with 2 events every day at 10:00 and none at night
    tz = ZoneInfo("UTC")
    end = datetime(2026, 3, 4, tzinfo=UTC)
    events = [
        end - timedelta(days=d) + timedelta(hours=10, minutes=m)
        for d in range(1, 29)
        for m in (10, 40)
    ]
    events.sort()
    day_hours = 28 * 24
    # then the 10:00 hour expects far more than 03:00 (and no hour expects nothing)
    at_ten, _ = seasonal_expectation(
        events, day_hours, end + timedelta(hours=10), end + timedelta(hours=11), tz
    )
    at_three, _ = seasonal_expectation(
        events, day_hours, end + timedelta(hours=3), end + timedelta(hours=4), tz
    )
    assert at_ten > 10 * at_three > 0
    assert 0.5 < at_ten < 2.0


def test_content_words_drop_stopwords_and_plurals():
    assert content_words("The clinic's vaccines cause autism in kids!") == {
        "vaccine",
        "cause",
        "autism",
        "kid",
    }


def _item(pk: int, text: str) -> Item:
    at = datetime(2026, 3, 4, tzinfo=UTC)
    return Item(pk, "mention", "x", at, None, None, 0, at, ("misinformation",), text)


def test_clusters_group_mentions_repeating_a_claim():
    items = [
        _item(1, "vaccines cause autism in kids"),
        _item(2, "their vaccines cause autism"),
        _item(3, "free parking on sundays"),
        _item(4, "autism from vaccines, kids at risk"),
    ]
    history = History(items=list(items), tz=ZoneInfo("UTC"))
    groups = clusters(items, history, 0.25)
    assert sorted(sorted(i.id for i in g) for g in groups) == [[1, 2, 4], [3]]
