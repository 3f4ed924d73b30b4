"""The monthly report says, in one plain sentence, why the average rating and the negative share
can move the "wrong" way together (walk 18: rating up and negative share up, unexplained): the
rating averages the stars of the items that have them, the negative share reads the words of
every item scored. Said only when they disagree."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from reports.export import rating_and_negative_words
from tests.reports.test_monthly import _review


def _report(rating, negative, *, rated=4, scored=(3, 2, 5)) -> dict:
    positive, neutral, neg = scored
    return {
        "change": {"average_rating": rating, "negative_share": negative},
        "rated": rated,
        "sentiment": {"positive": positive, "neutral": neutral, "negative": neg},
    }


@pytest.mark.parametrize(
    ("rating", "negative", "words"),
    [
        pytest.param(0.4, 0.12, "The average rating went up while more items read as negative",
                     id="rating-up-negative-up"),
        pytest.param(-0.3, -0.05, "The average rating went down while fewer items read as "
                     "negative", id="rating-down-negative-down"),
    ],
)  # fmt: skip
def test_a_disagreement_is_explained_in_one_sentence(rating, negative, words):
    sentence = rating_and_negative_words(_report(rating, negative))
    assert sentence == (
        f"{words}: the rating is the average of the 4 star ratings given, the negative share is "
        "read from the words of all 10 items scored (mentions and many reviews have no stars), "
        "so the two can move apart."
    )


@pytest.mark.parametrize(
    ("rating", "negative"),
    [(0.4, -0.1), (-0.4, 0.1), (0.0, 0.1), (0.3, 0.0), (None, 0.1), (0.3, None)],
    ids=["agree-better", "agree-worse", "rating-flat", "share-flat", "no-rating", "no-share"],
)
def test_nothing_is_said_when_they_agree_or_cannot_be_compared(rating, negative):
    assert rating_and_negative_words(_report(rating, negative)) == ""


def test_the_report_pages_say_it_when_the_rating_rose_with_the_negative_share(clinic_a, login):
    # October: one 2★ positive review; November: a 5★ review and two mentions read as negative
    _review(clinic_a, datetime(2026, 10, 10, 12, tzinfo=UTC), rating=2, label="positive", score=0.5)
    november = datetime(2026, 11, 10, 12, tzinfo=UTC)
    _review(clinic_a, november, rating=5, label="positive", score=0.8)
    _review(clinic_a, november, label="negative", score=-0.7)
    _review(clinic_a, november, label="negative", score=-0.6)

    staff = login("alpha_manager").get("/clinics/clinic-a/report/?month=2026-11")
    portal = login("a_approver").get("/clinics/clinic-a/portal/report/?month=2026-11")

    for response in (staff, portal):
        found = re.search(r'data-testid="rating-vs-negative">([^<]*)<', response.content.decode())
        assert found, response.status_code
        assert found.group(1).startswith(
            "The average rating went up while more items read as negative: the rating is the "
            "average of the 1 star rating given, the negative share is read from the words of "
            "all 3 items scored"
        )
