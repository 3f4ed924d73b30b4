"""The dashboard's sentiment cell says one thing: its number is the last 7 days' mean (each
day weighted by its reviews, how many in its title), the very figure its arrow compares with
the first 7 days' — never the value of the last day alone (a single mention pushed today read
-0.44 beside an arrow that spoke of +0.29 against +0.64)."""

from __future__ import annotations

import re

from django.utils import timezone

from dashboard.models import ClinicSnapshot
from dashboard.services import sentiment_trend
from dashboard.templatetags.dashboard_tags import spark_mean

# The tester's row: two weeks of glad reviews, a week turning, and one mention today at -0.44.
DAILY = [0.7, 0.6, 0.65, 0.6, 0.7, 0.6, 0.62, 0.4, 0.3, 0.35, 0.3, 0.2, 0.3, -0.44]
COUNTS = [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1]


def _cell(html: str, slug: str) -> str:
    row = html[html.index(f'data-clinic="{slug}"') :]
    cell = row.split("<td")[4]  # Severity, New reviews, Avg rating, then the sentiment
    return cell[: cell.index("</td>")]


def test_the_number_is_the_last_weeks_mean_the_arrow_speaks_of():
    trend = sentiment_trend(DAILY, COUNTS)
    mean = spark_mean(DAILY, COUNTS)
    # (0.4 + 0.3 + 0.35 + 0.3 + 0.2 + 0.3) * 3 - 0.44 = 5.11 over 19 reviews
    assert (
        (mean["mean"], mean["n"], mean["days"])
        == (0.269, 19, 7)
        == (
            trend.end,
            trend.end_n,
            trend.days,
        )
    )
    assert mean["words"] == (
        "mean sentiment of the last 7 days: +0.27 from 19 reviews (the figure the arrow "
        "compares with the first days)"
    )


def test_a_last_week_without_scored_reviews_shows_a_dash_and_says_why():
    mean = spark_mean([0.5] * 7 + [None] * 7, [2] * 7 + [0] * 7)
    assert (mean["mean"], mean["n"]) == (None, 0)
    assert mean["words"] == "no scored reviews in the last 7 days"
    assert spark_mean([None] * 14, [0] * 14) is None


def test_the_page_shows_the_mean_with_its_count_beside_the_arrow(login, clinic_a):
    # given
    ClinicSnapshot.objects.update_or_create(
        clinic=clinic_a,
        defaults={
            "agency": clinic_a.agency,
            "refreshed_at": timezone.now(),
            "sentiment_daily": DAILY,
            "sentiment_counts": COUNTS,
        },
    )
    # when
    cell = _cell(login("alpha_manager").get("/agency/").content.decode(), clinic_a.slug)
    # then: +0.27 (not -0.44), of 19 reviews, and the arrow compares +0.27 with +0.64
    number = re.search(r'data-testid="spark-mean" data-reviews="(\d+)">([^<]+)<', cell)
    assert number.groups() == ("19", "0.27")
    assert "-0.44" not in cell.split('data-testid="spark-mean"')[1]
    assert "<svg" in cell  # the sparkline stays
    # each figure's words once, for screen readers and the pointer alike (`.tip`)
    assert '<span class="tip"> mean sentiment of the last 7 days: +0.27 from 19 reviews' in cell
    assert 'data-trend="down"' in cell
    assert '<span class="tip"> worse: +0.27 over the last 7 days (19 reviews), down from +0.64' in (
        cell
    )
    assert cell.count("mean sentiment of the last") == cell.count("worse:") == 1
    assert "title=" not in cell.split("</svg>")[1]
