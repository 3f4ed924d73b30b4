"""Month-end walk 2, LOW findings of the monthly report:

- F8: a negative number is shown with the typographic minus ("−0.04 vs −0.48") everywhere the
  report shows one (the page's headline changes and tables, the PDF's tables), as its values
  and the e-mail already were; never "-0.04" beside "−0.52";
- F16: the items not answered that were handled privately ("In private follow-up",
  "Resolved") are counted and said, on the page, in the PDF and e-mail's answered line and in
  the API's `answered.handled_privately`;
- F17: a month with no reply of known time says so where the reply-time chart would be, instead
  of an empty grid (the line that breaks on days without reviews: tests/browser/
  test_report_chart_brand_colour.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from feeds.models import Review, ReviewStatus
from reports.export import report_headlines, report_pdf
from reports.selectors import month_parse, monthly_report
from tests.reports.test_monthly import _review

NOW = datetime(2026, 12, 5, 9, tzinfo=UTC)
STAFF = "/clinics/clinic-a/report/?month=2026-11"
PORTAL = "/clinics/clinic-a/portal/report/?month=2026-11"
HYPHEN_NUMBER = re.compile(r"(?<![\w-])-\d")


def _november(clinic) -> dict:
    with schema_context(clinic.schema_name):
        return monthly_report(clinic=clinic, month=month_parse("2026-11", tz=UTC), now=NOW)


@pytest.fixture
def worse_november(clinic_a):
    """October: two reviews, 4★, scores −0.48 (average); November: one 3★ review scored −0.52."""
    _review(clinic_a, datetime(2026, 10, 8, 12, tzinfo=UTC), rating=4, label="negative", score=-0.5)
    _review(
        clinic_a, datetime(2026, 10, 9, 12, tzinfo=UTC), rating=4, label="negative", score=-0.46
    )
    _review(
        clinic_a, datetime(2026, 11, 10, 12, tzinfo=UTC), rating=3, label="negative", score=-0.52
    )
    return clinic_a


def test_the_report_pages_show_every_negative_number_with_the_typographic_minus(
    worse_november, login
):
    for who, path in (("alpha_manager", STAFF), ("a_approver", PORTAL)):
        page = login(who).get(path).content.decode()
        kpis = page[page.index('<dl class="kpis">') : page.index("</dl>")]
        assert "−1 (−50.0 %) vs 2 in October 2026" in kpis
        assert "−1.00 vs 4.0 in October 2026" in kpis
        assert "−0.04 vs −0.48 in October 2026" in kpis
        assert "−0.52 on a scale of −1 (negative) to 1 (positive)" in kpis
        tables = page[page.index('data-testid="report-weekly"') : page.index("</details>")]
        assert '<td data-label="Sentiment">−0.52</td>' in tables
        assert not HYPHEN_NUMBER.search(kpis + tables), HYPHEN_NUMBER.findall(kpis + tables)


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils missing")
def test_the_pdf_shows_negative_numbers_with_the_typographic_minus(worse_november, tmp_path):
    report = _november(worse_november)
    with schema_context(worse_november.schema_name):
        pdf = report_pdf(clinic=worse_november, report=report, portal_url="https://x.test/p/")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "−0.52" in text and "−1.00 vs October 2026" in text
    # dates (2026-11-10) aside, no number is written with a hyphen
    numbers = re.sub(r"\d{4}-\d{2}(-\d{2})?", "", text)
    assert not HYPHEN_NUMBER.search(numbers), HYPHEN_NUMBER.findall(numbers)


@pytest.fixture
def handled_privately(clinic_a):
    """November: five 1★ reviews: one answered on the platform, one resolved, two in private
    follow-up, one waiting for a reply."""
    at = datetime(2026, 11, 3, 12, tzinfo=UTC)
    for day, status in enumerate(
        [ReviewStatus.REPLIED, ReviewStatus.RESOLVED, ReviewStatus.IN_FOLLOW_UP,
         ReviewStatus.IN_FOLLOW_UP, ReviewStatus.NEEDS_REPLY]
    ):  # fmt: skip
        review = _review(clinic_a, at + timedelta(days=day), rating=1, reply_after=None)
        with schema_context(clinic_a.schema_name):
            Review.objects.filter(pk=review.pk).update(status=status)
    return clinic_a


def test_items_handled_privately_are_counted_and_said(handled_privately, login):
    report = _november(handled_privately)
    assert report["answered"]["reviews"] == 1
    assert report["answered"]["handled_privately"] == 3
    words = "3 of the 4 not answered were handled privately (“In private follow-up” or “Resolved”)"
    # the PDF and the e-mail: their answered line
    headlines = {key: value for key, _label, value in report_headlines(report, brand="B")}
    assert headlines["answered"] == (
        f"1 of 5 (20 %): 0 through B, 1 on the platform directly or before B answered for the "
        f"clinic; {words}"
    )
    # the staff tab and the portal: the answered figure
    for who, path in (("alpha_manager", STAFF), ("a_approver", PORTAL)):
        page = login(who).get(path).content.decode()
        assert f'data-testid="handled-privately">{words}</span>' in page


def test_the_api_counts_the_items_handled_privately(handled_privately, api):
    response = api("key_a_read").get(
        f"/clinics/{handled_privately.slug}/api/v1/reports/monthly/", {"month": "2026-11"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["answered"]["handled_privately"] == 3


def test_a_reply_published_through_the_platform_is_answered_not_handled_privately(clinic_a):
    review = _review(
        clinic_a, datetime(2026, 11, 3, 12, tzinfo=UTC), rating=1, reply_after=timedelta(hours=1)
    )
    with schema_context(clinic_a.schema_name):
        Review.objects.filter(pk=review.pk).update(status=ReviewStatus.RESOLVED)
    answered = _november(clinic_a)["answered"]
    assert (answered["reviews"], answered["handled_privately"]) == (1, 0)
    assert "handled privately" not in report_headlines(_november(clinic_a), brand="B")[3][2]


def test_a_month_without_a_reply_of_known_time_says_so_instead_of_an_empty_chart(
    handled_privately, login
):
    for who, path in (("alpha_manager", STAFF), ("a_approver", PORTAL)):
        page = login(who).get(path).content.decode()
        assert 'id="chart-response"' not in page
        assert re.search(
            r'data-testid="response-chart-empty">No replies with a known time this month', page
        )


def test_a_month_with_a_reply_of_known_time_draws_the_chart(clinic_a, login):
    _review(
        clinic_a, datetime(2026, 11, 3, 12, tzinfo=UTC), rating=1, reply_after=timedelta(hours=1)
    )
    page = login("alpha_manager").get(STAFF).content.decode()
    assert 'id="chart-response"' in page
    assert "response-chart-empty" not in page
