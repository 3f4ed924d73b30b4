"""The dashboard's sentiment trend: the arrow, its words, the line's colour and the stored
figure the "trend" column sorts by all compare like with like — the first week's mean
against the last week's (today's part-day included), each weighted by its reviews — with a
dead band that reads "about the same" and a minimum of reviews at each end below which it
says "too few reviews to tell". One unhappy review on a quiet morning is not a fall."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from dashboard.models import ClinicSnapshot
from dashboard.services import clinic_snapshot_refresh, sentiment_trend

# An ordinary fortnight: two reviews a day, all glad; then this morning's two, one of them 2★.
CALM = [0.98, 0.9, 0.92, 0.95, 0.88, 0.9, 0.93, 0.91, 0.89, 0.94, 0.9, 0.92, 0.9, 0.05]
CALM_COUNTS = [2] * 14
# A real fall: a calm first week, then four days of complaints, more of them each day.
FALL = [0.9, 0.92, 0.88, 0.9, 0.91, 0.9, 0.89, 0.85, 0.8, 0.9, -0.3, -0.5, -0.6, -0.55]
FALL_COUNTS = [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 4, 6, 8, 3]


def test_a_calm_week_with_one_two_star_review_this_morning_is_not_worse():
    trend = sentiment_trend(CALM, CALM_COUNTS)
    assert trend.direction == "flat"
    assert (trend.start, trend.start_n, trend.end, trend.end_n) == (0.923, 14, 0.787, 14)


def test_a_fall_over_several_days_is_worse():
    trend = sentiment_trend(FALL, FALL_COUNTS)
    assert trend.direction == "down"
    assert (trend.start, trend.start_n, trend.end, trend.end_n) == (0.9, 14, -0.206, 27)
    assert trend.change == -1.106


def test_a_recovery_over_several_days_is_better():
    rising = [-0.5, -0.4, -0.6, -0.5, -0.45, -0.5, -0.4, 0.2, 0.4, 0.5, 0.6, 0.5, 0.6, 0.7]
    assert sentiment_trend(rising, [3] * 14).direction == "up"


@pytest.mark.parametrize(
    ("daily", "counts"),
    [
        pytest.param([0.9] + [None] * 12 + [-0.8], [1] + [0] * 12 + [1], id="one-review-each-end"),
        pytest.param([None] * 13 + [-0.8], [0] * 13 + [2], id="only-today"),
        pytest.param([0.9, 0.27, -0.69], None, id="old-row-without-counts"),
    ],
)  # fmt: skip
def test_too_few_reviews_at_an_end_tell_nothing(daily, counts):
    trend = sentiment_trend(daily, counts)
    assert trend.direction == "few" and trend.change is None


def test_no_scored_review_at_all_has_no_trend():
    assert sentiment_trend([None] * 14, [0] * 14) is None


@pytest.mark.parametrize(
    ("daily", "counts", "direction", "arrow", "words", "tone"),
    [
        pytest.param(CALM, CALM_COUNTS, "flat", "→",
                     "about the same: +0.79 over the last 7 days (14 reviews), against +0.92 "
                     "over the first 7 days (14 reviews)", "flat", id="calm-week"),
        pytest.param(FALL, FALL_COUNTS, "down", "↓",
                     "worse: -0.21 over the last 7 days (27 reviews), down from +0.90 over the "
                     "first 7 days (14 reviews)", "down", id="real-fall"),
        pytest.param([None] * 13 + [0.05], [0] * 13 + [2], "few", "?",
                     "too few reviews to tell: 0 reviews in the first 7 days and 2 reviews in "
                     "the last 7 days, at least 3 at each end needed", "flat", id="too-few"),
    ],
)  # fmt: skip
def test_the_arrow_the_words_and_the_line_agree(
    login, clinic_a, daily, counts, direction, arrow, words, tone
):
    # given: a row whose stored trend says the opposite
    ClinicSnapshot.objects.update_or_create(
        clinic=clinic_a,
        defaults={"agency": clinic_a.agency, "refreshed_at": timezone.now(),
                  "sentiment_daily": daily, "sentiment_counts": counts, "sentiment_trend": 0.5},
    )  # fmt: skip

    # when
    html = login("alpha_manager").get("/agency/").content.decode()

    # then
    row = html[html.index('data-clinic="clinic-a"') :]
    row = row[: row.index("</tr>")]
    found = re.search(
        r'data-testid="trend" data-trend="(\w+)">(.)<span class="tip"> ([^<]+)</span>', row
    )
    assert found is not None and found.groups() == (direction, arrow, words)
    assert f'class="spark spark-{tone}"' in row


def _fortnight(rows, clinic, days: list[list[float]]) -> None:
    """Reviews on each of the last len(days) days (the last list: this morning's)."""
    r = rows(clinic)
    for back, scores in enumerate(reversed(days)):
        for k, score in enumerate(scores):
            hours_ago = 0.2 + 0.1 * k if back == 0 else 24 * back - 2 + 0.1 * k
            r.review(
                hours_ago=hours_ago, label="positive" if score > 0 else "negative", score=score
            )


def test_the_refreshed_row_of_a_calm_week_with_a_bad_morning_is_not_worse(login, clinic_a, rows):
    # given: 12 calm days before, then this morning a glad review and a 2★ one
    _fortnight(rows, clinic_a, [[0.98, 0.9]] * 12 + [[0.95, -0.8]])

    # when
    snap = clinic_snapshot_refresh(clinic=clinic_a)

    # then: the stored figure, the arrow and the line all say "about the same"
    assert sum(snap.sentiment_counts) == 26
    assert snap.sentiment_trend is not None and snap.sentiment_trend > -0.15
    row = login("alpha_manager").get("/agency/").content.decode()
    row = row[row.index('data-clinic="clinic-a"') :]
    row = row[: row.index("</tr>")]
    assert 'data-trend="flat"' in row and "worse" not in row


def test_the_refreshed_row_of_a_real_fall_is_worse(clinic_a, rows):
    _fortnight(rows, clinic_a, [[0.9, 0.92]] * 8 + [[-0.4, -0.6, -0.5]] * 5)
    snap = clinic_snapshot_refresh(clinic=clinic_a)
    assert snap.sentiment_trend is not None and snap.sentiment_trend < -1.0
    assert sentiment_trend(snap.sentiment_daily, snap.sentiment_counts).direction == "down"
