"""The dashboard's sentiment trend: the arrow, its words, the line's colour and the stored
figure the "trend" column sorts by all read how far the sparkline moved, with a dead band
that reads "about the same"."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from dashboard.models import ClinicSnapshot
from dashboard.services import clinic_snapshot_refresh


@pytest.mark.parametrize(
    ("daily", "arrow", "words", "tone"),
    [
        pytest.param([0.73, 0.7, 0.75, None, 0.2, -0.41], "↓",
                     "worse: down from +0.73 where the line starts", "down", id="crisis-falls"),
        pytest.param([-0.5, -0.3, None, 0.1, 0.4], "↑",
                     "better: up from -0.50 where the line starts", "up", id="recovery-rises"),
        pytest.param([0.8, 0.95, 0.6, 0.77], "→",
                     "about the same as +0.80 where the line starts", "flat", id="flat-positive"),
    ],
)  # fmt: skip
def test_the_arrow_the_words_and_the_line_agree(login, clinic_a, daily, arrow, words, tone):
    # given: a row whose stored trend says the opposite (as the week-means figure did)
    ClinicSnapshot.objects.update_or_create(
        clinic=clinic_a,
        defaults={"agency": clinic_a.agency, "refreshed_at": timezone.now(),
                  "sentiment_daily": daily, "sentiment_trend": 0.5},
    )  # fmt: skip

    # when
    html = login("alpha_manager").get("/agency/").content.decode()

    # then
    row = html[html.index('data-clinic="clinic-a"') :]
    row = row[: row.index("</tr>")]
    found = re.search(r'data-testid="trend" data-trend="(\w+)" title="([^"]+)">(.)<', row)
    assert found is not None and found.groups() == (tone, words, arrow)
    assert f'class="spark spark-{tone}"' in row
    assert "than the week before" not in row


@pytest.mark.parametrize(
    ("scores", "trend"),
    [
        pytest.param([(24 * 9, 0.73), (24 * 5, 0.8), (2, -0.41)], -1.14, id="falling"),
        pytest.param([(24 * 9, -0.2), (24 * 5, -0.6), (2, 0.3)], 0.5, id="rising"),
        pytest.param([(24 * 9, 0.8), (24 * 5, 0.5), (2, 0.77)], -0.03, id="flat"),
    ],
)
def test_the_stored_trend_is_how_far_the_line_moved(clinic_a, rows, scores, trend):
    r = rows(clinic_a)
    for hours_ago, score in scores:
        r.review(hours_ago=hours_ago, label="positive" if score > 0 else "negative", score=score)
    snap = clinic_snapshot_refresh(clinic=clinic_a)
    assert snap.sentiment_trend == trend
    drawn = [v for v in snap.sentiment_daily if v is not None]
    assert drawn == [s for _, s in scores]
