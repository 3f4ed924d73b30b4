"""The monthly report in words the clinic reads: the month by name, the average sentiment as a
reading with its number on the scale (its strength said as it is), the reply target as a
sentence; no developer wording in the clinic's copy (the API address is for the agency's page)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from clinics.models import Clinic
from reports.export import (
    report_headlines,
    report_sentiment_reading,
    sentiment_reading,
    sentiment_scale,
    target_words,
)
from reports.selectors import monthly_report
from reports.templatetags.report_words import (
    report_sentiment_reading as report_sentiment_filter,
)
from tests.reports.test_monthly import _review

READINGS = {
    "the walk's 0.086": (0.086, "Slightly positive"),
    "zero": (0.0, "Neutral on balance"),
    "just below the slight band": (0.049, "Neutral on balance"),
    "slightly negative": (-0.06, "Slightly negative"),
    "mostly positive": (0.2, "Mostly positive"),
    "clearly positive": (0.5, "Clearly positive"),
    "mostly negative": (-0.35, "Mostly negative"),
    "clearly negative": (-0.51, "Clearly negative"),
}


@pytest.mark.parametrize(("score", "words"), READINGS.values(), ids=READINGS.keys())
def test_an_average_score_reads_as_words_of_its_strength(score, words):
    assert sentiment_reading(score) == words


def test_the_number_stays_beside_the_words_on_its_scale():
    assert sentiment_scale(0.086) == "0.09 on a scale of −1 (negative) to 1 (positive)"
    assert sentiment_scale(-0.4) == "−0.40 on a scale of −1 (negative) to 1 (positive)"
    assert sentiment_reading(None) == sentiment_scale(None) == ""


def _rt(counted: int, within: int, share) -> dict:
    return {"response_time": {"target_counted": counted, "within_target": within,
                              "within_target_share": share, "target_minutes": 180}}  # fmt: skip


TARGETS = {
    "none within": (
        _rt(2, 0, 0.0),
        "0 of the 2 replies to negative or 1–2★ reviews came within the 3 h reply target (0 %)",
    ),
    "some within": (
        _rt(4, 3, 0.75),
        "3 of the 4 replies to negative or 1–2★ reviews came within the 3 h reply target (75 %)",
    ),
    "the one in time": (
        _rt(1, 1, 1.0),
        "the one reply to a negative or 1–2★ review came within the 3 h reply target",
    ),
    "the one late": (
        _rt(1, 0, 0.0),
        "the one reply to a negative or 1–2★ review did not come within the 3 h reply target",
    ),
    "none counted": (
        _rt(0, 0, None),
        "none was to a negative or 1–2★ review, the reviews the 3 h reply target is for",
    ),
}


@pytest.mark.parametrize(("report", "words"), TARGETS.values(), ids=TARGETS.keys())
def test_the_reply_target_is_a_sentence(report, words):
    assert target_words(report) == words


@pytest.fixture
def november(clinic_a):
    # a copy: the fixture's object is shared by the process's tests, and the rollback at the
    # end of this one would not undo the changed target on it
    clinic = Clinic.objects.get(pk=clinic_a.pk)
    clinic.reply_target_minutes = 180
    clinic.save(update_fields=["reply_target_minutes"])
    at = datetime(2026, 11, 10, 12, tzinfo=UTC)
    _review(clinic, at, rating=1, label="negative", score=-0.5, reply_after=timedelta(hours=5))
    _review(clinic, at, rating=5, label="positive", score=0.9, reply_after=timedelta(hours=1))
    _review(clinic, at, rating=2, label="neutral", score=-0.2, reply_after=timedelta(hours=4))
    return clinic


def test_the_clinics_report_page_reads_in_words(november, login):
    html = login("a_approver").get("/clinics/clinic-a/portal/report/?month=2026-11")

    page = html.content.decode()
    assert "<h1>Monthly report · November 2026</h1>" in page
    assert "<title>Monthly report · November 2026 ·" in page
    # the average of 0.067 is slightly positive, its number beside it
    assert "<dt>Average sentiment</dt><dd>Slightly positive</dd>" in page
    assert "0.07 on a scale of −1 (negative) to 1 (positive)" in page
    assert "-1 … 1" not in page
    assert (
        "0 of the 2 replies to negative or 1–2★ reviews came within the 3 h reply target (0 %)"
        in page
    )
    assert "reply target counts (" not in page
    # no developer wording in the clinic's copy
    assert "api/v1" not in page and "JSON" not in page and "GET /" not in page


def test_the_agencys_page_keeps_the_api_address(november, login):
    page = login("alpha_owner").get("/clinics/clinic-a/report/?month=2026-11").content.decode()

    assert "— monthly report · November 2026</h1>" in page
    assert "GET /clinics/clinic-a/api/v1/reports/monthly/?month=2026-11" in page


def test_the_e_mail_and_pdf_headlines_say_the_same(november):
    with schema_context(november.schema_name):
        report = monthly_report(
            clinic=november, month=date(2026, 11, 1), now=datetime(2026, 12, 5, tzinfo=UTC)
        )
    said = {key: value for key, _label, value in report_headlines(report, brand="B")}

    assert said["sentiment"].startswith(
        "Slightly positive (0.07 on a scale of −1 (negative) to 1 (positive)), "
    )
    assert said["response_time"].endswith(
        "0 of the 2 replies to negative or 1–2★ reviews came within the 3 h reply target (0 %)"
    )


MIXES = {
    "the walk's: slightly positive average, 60 % negative": (
        0.06, 0.6, 0.2, "Mixed: more negative than positive items",
    ),
    "negative average, mostly positive items": (
        -0.1, 0.2, 0.6, "Mixed: more positive than negative items",
    ),
    "neutral average, half negative": (0.0, 0.5, 0.1, "Mixed: more negative than positive items"),
    "average and items agree": (-0.3, 0.6, 0.2, "Mostly negative"),
    "as many negative as positive": (0.067, 1 / 3, 1 / 3, "Slightly positive"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("score", "negative", "positive", "words"), MIXES.values(), ids=MIXES.keys()
)
def test_the_words_never_contradict_the_negative_share(score, negative, positive, words):
    assert sentiment_reading(score, negative=negative, positive=positive) == words


def test_the_page_and_the_headlines_read_one_rule():
    sentiment = {"positive": 2, "neutral": 2, "negative": 6, "unscored": 0, "average_score": 0.06,
                 "negative_share": 0.6}  # fmt: skip
    assert report_sentiment_reading(sentiment) == "Mixed: more negative than positive items"
    assert report_sentiment_filter(sentiment) == report_sentiment_reading(sentiment)


def test_a_month_with_nothing_scored_says_so_not_that_the_month_before_had_no_scores(
    clinic_a, login
):
    # walk 2: a deactivated clinic's last import, never scored, in November and October
    _review(clinic_a, datetime(2026, 11, 10, 12, tzinfo=UTC), rating=4)
    _review(clinic_a, datetime(2026, 10, 10, 12, tzinfo=UTC), rating=3)
    page = login("alpha_owner").get("/clinics/clinic-a/report/?month=2026-11").content.decode()

    assert '<dd class="delta" data-testid="sentiment-none">nothing scored yet</dd>' in page
    assert "no scores in October 2026" not in page
    # and where the month before was scored, its figure stays beside "nothing scored yet"
    october = _review(clinic_a, datetime(2026, 10, 11, 12, tzinfo=UTC), label="positive", score=0.6)
    assert october.pk
    page = login("alpha_owner").get("/clinics/clinic-a/report/?month=2026-11").content.decode()
    assert "nothing scored yet; " in page and " in October 2026</dd>" in page
