"""What a monthly report compares with what, said the same way everywhere: a month in progress
(1–5 December) is compared with the same days of the previous month (1–5 November), and every
change the staff tab, the portal, the PDF and the API state says so ("+1 vs 1–5 November"),
never "vs November 2026", which reads as the whole of November (walk 11, finding 11); a
previous month before the clinic's first data says so instead (walk-through 3, F6)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from django_tenants.utils import schema_context

from clinics.models import Clinic
from reports.export import report_headlines
from reports.selectors import monthly_report, report_comparison, report_months
from tests.responses.conftest import review_in

# 5 December 2026, 12:43 UTC: 07:43 in New York (EST)
NOW = datetime(2026, 12, 5, 12, 43, tzinfo=UTC)
SPAN = "1–5 November"
CAPTION = "1–5 December 2026 (to 07:43), compared with 1–5 November (to the same time)"


@pytest.fixture
def december(clinic_a, monkeypatch):
    """Clinic A in New York time on 5 December 2026 at 07:43: two items on 1–5 November,
    three later in November, three on 1–5 December."""
    before = clinic_a.timezone
    clinic_a.timezone = "America/New_York"
    clinic_a.save(update_fields=["timezone"])  # save(): the routing cache hears of it
    for when in [
        datetime(2026, 11, 2, 15, tzinfo=UTC),
        datetime(2026, 11, 5, 12, tzinfo=UTC),  # 07:00 in New York: within the same time
        datetime(2026, 11, 5, 13, tzinfo=UTC),  # 08:00: after it
        datetime(2026, 11, 20, 15, tzinfo=UTC),
        datetime(2026, 11, 28, 15, tzinfo=UTC),
        datetime(2026, 12, 1, 15, tzinfo=UTC),
        datetime(2026, 12, 3, 15, tzinfo=UTC),
        datetime(2026, 12, 5, 12, tzinfo=UTC),
    ]:
        review_in(clinic_a, "csv", published_at=when)
    # the report's "now" (and its current month), for the pages too
    monkeypatch.setattr("reports.selectors.timezone", SimpleNamespace(now=lambda: NOW))
    yield Clinic.objects.select_related("agency").get(pk=clinic_a.pk)
    clinic_a.timezone = before
    clinic_a.save(update_fields=["timezone"])


def _report(clinic, month: date, now: datetime = NOW) -> dict:
    with schema_context(clinic.schema_name):
        return monthly_report(clinic=clinic, month=month, now=now)


def test_a_month_in_progress_names_the_days_it_is_compared_with(december):
    report = _report(december, date(2026, 12, 1))
    assert (report["volume"], report["previous"]["volume"]) == (3, 2)
    words = report_comparison(report)
    assert (words.period, words.span, words.caption) == ("1–5 December 2026", SPAN, CAPTION)
    assert (
        words.sentence
        == report["compared"]
        == (
            "Month to date, 1–5 December 2026 (to 07:43), compared with the same days of "
            "November: 1–5 November 2026 to the same time"
        )
    )
    # every change of the headline figures (the e-mail's and the PDF's) names the same days
    volume = {key: value for key, _label, value in report_headlines(report, brand="B")}
    assert volume["volume"] == "3 (+1, +50.0 % vs 1–5 November)"


def test_a_finished_month_is_compared_with_the_whole_previous_one(december):
    report = _report(december, date(2026, 11, 1))
    words = report_comparison(report)
    assert (words.period, words.span, words.caption, words.sentence) == (
        "November 2026",
        "October 2026",
        "November 2026, compared with October 2026",
        "November 2026 compared with October 2026",
    )
    headlines = {key: value for key, _label, value in report_headlines(report, brand="B")}
    assert headlines["volume"] == "5 (+5 vs October 2026)"


@pytest.mark.parametrize(
    ("created", "november", "december_words"),
    [
        pytest.param(
            datetime(2026, 11, 20, tzinfo=UTC),
            "5 (no data for October 2026 to compare with)",
            "3 (+1, +50.0 % vs 1–5 November)",
            id="history-begins-in-november",
        ),
        pytest.param(
            datetime(2026, 9, 15, tzinfo=UTC),
            "5 (+5 vs October 2026)",  # the clinic was there in October: none is a figure
            "3 (+1, +50.0 % vs 1–5 November)",
            id="created-in-september",
        ),
    ],
)
def test_a_previous_month_before_the_clinics_first_data_says_so(
    december, created, november, december_words
):
    Clinic.objects.filter(pk=december.pk).update(created_at=created)
    clinic = Clinic.objects.select_related("agency").get(pk=december.pk)
    with schema_context(clinic.schema_name):
        months = report_months(clinic, now=NOW)
    said = {}
    for month in (date(2026, 11, 1), date(2026, 12, 1)):
        report = _report(clinic, month)
        said[month.month] = {
            key: value for key, _label, value in report_headlines(report, brand="B", months=months)
        }
    assert said[11]["volume"] == november
    assert said[12]["volume"] == december_words
    assert " on " not in said[11]["volume"] + said[12]["volume"] + said[12]["average_rating"]


@pytest.mark.parametrize(
    ("month", "now", "span", "caption"),
    [
        pytest.param(
            date(2026, 3, 1),
            datetime(2026, 3, 31, 14, tzinfo=UTC),
            "February 2026",
            "1–31 March 2026 (to 10:00), compared with the whole of February 2026",
            id="outran-february",
        ),
        pytest.param(
            date(2027, 1, 1),
            datetime(2027, 1, 5, 12, 43, tzinfo=UTC),
            "1–5 December 2026",
            "1–5 January 2027 (to 07:43), compared with 1–5 December 2026 (to the same time)",
            id="across-the-year",
        ),
        pytest.param(
            date(2026, 12, 1),
            datetime(2026, 12, 1, 5, 30, tzinfo=UTC),
            "1 November",
            "1 December 2026 (to 00:30), compared with 1 November (to the same time)",
            id="first-day",
        ),
    ],
)
def test_the_compared_span_in_the_edge_cases(december, month, now, span, caption):
    words = report_comparison(_report(december, month, now))
    assert (words.span, words.caption) == (span, caption)


@pytest.mark.parametrize(
    ("who", "path"),
    [
        pytest.param("alpha_manager", "report/", id="staff-tab"),
        pytest.param("a_viewer", "portal/report/", id="portal"),
    ],
)
def test_the_pages_say_the_span_of_every_change(december, login, who, path):
    html = login(who).get(f"/clinics/{december.slug}/{path}?month=2026-12").content.decode()
    assert "compared with the same days of November: 1–5 November 2026" in html
    assert "+1 (+50.0 %) vs 2 in 1–5 November</dd>" in html
    assert "+0.00 vs 2.0 in 1–5 November</dd>" in html  # average rating
    assert "was – in 1–5 November</dd>" in html  # negative share; nothing scored
    assert "in 2026-11" not in html and "on November 2026" not in html


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils missing")
def test_the_pdf_says_the_span_in_its_caption_and_its_cells(december, login, tmp_path):
    pdf = login("a_viewer").get(f"/clinics/{december.slug}/portal/report.pdf?month=2026-12")
    assert pdf.status_code == 200
    (tmp_path / "r.pdf").write_bytes(pdf.content)
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(tmp_path / "r.pdf"), "-"], check=True, capture_output=True, text=True
        ).stdout.split()
    )
    assert CAPTION in text
    assert "3 (+1, +50.0 % vs 1–5 November)" in text
    assert "November 2026" not in text.replace("1–5 November 2026", "")


def test_the_api_says_what_is_compared(december, api):
    report = (
        api("key_a_read")
        .get(f"/clinics/{december.slug}/api/v1/reports/monthly/", {"month": "2026-12"})
        .json()
    )
    assert report["compared"].startswith("Month to date, 1–5 December 2026 (to 07:43)")
    assert (report["previous"]["start"], report["previous"]["end"]) == (
        "2026-11-01T04:00:00+00:00",  # midnight in New York, EDT until 02:00 that night
        "2026-11-05T12:43:00+00:00",  # 07:43 EST
    )
