"""The monthly report's PDF: WeasyPrint's tagged rendering with the agency's name and colour
and the month's headline figures (read back with poppler's pdftotext), linked from the staff
Report tab and the portal report, which both download it."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pypdf
import pytest
from django_tenants.utils import schema_context

from clinics.models import Clinic
from feeds.models import Review, ReviewStatus
from reports.export import report_pdf
from reports.selectors import month_parse, monthly_report
from tests.responses.conftest import review_in

POPPLER = shutil.which("pdftotext")
pytestmark = pytest.mark.skipif(
    not POPPLER, reason="poppler-utils missing (bash scripts/system_packages.sh installs it)"
)
AGENCY_NAME = "Harbour Health Marketing"


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def november(clinic_a):
    agency = Clinic.objects.get(pk=clinic_a.pk).agency
    before = (agency.display_name, agency.primary_colour)
    agency.display_name, agency.primary_colour = AGENCY_NAME, "#0B6E4F"
    agency.save(update_fields=["display_name", "primary_colour"])
    start = datetime(2026, 11, 3, 15, tzinfo=UTC)
    for day, status in enumerate([ReviewStatus.REPLIED, ReviewStatus.REPLIED, ReviewStatus.NEW]):
        review = review_in(clinic_a, "csv", published_at=start + timedelta(days=day))
        with schema_context(clinic_a.schema_name):
            Review.objects.filter(pk=review.pk).update(status=status, rating=4)
    yield Clinic.objects.select_related("agency").get(pk=clinic_a.pk)
    agency.display_name, agency.primary_colour = before
    agency.save(update_fields=["display_name", "primary_colour"])


def test_the_pdf_carries_the_brand_and_the_months_figures(november, tmp_path):
    with schema_context(november.schema_name):
        report = monthly_report(
            clinic=november,
            month=month_parse("2026-11", tz=UTC),
            now=datetime(2026, 12, 1, 9, tzinfo=UTC),
        )
        pdf = report_pdf(clinic=november, report=report, portal_url="https://x.test/portal/")
    assert pdf.startswith(b"%PDF-")
    text = " ".join(_text(pdf, tmp_path).split())
    assert AGENCY_NAME in text
    assert "Monthly report — November 2026" in text
    assert november.name in text
    # (the layout wraps a long label onto a second line: "received" follows the value)
    assert "Reviews and mentions 3 (no data for October 2026 to compare with)" in text
    assert "Average rating 4.00 of 5 from 3 ratings" in text
    assert f"Answered 2 of 3 (67 %): 0 through {AGENCY_NAME}, 2 on the platform" in text
    assert "Carewatch" not in text  # the client reads it: the agency's brand only
    assert "Response time no reply with a known reply time in this period" in text
    assert "Response time is measured only where the reply time is known" in text
    assert "Items per week, by sentiment" in text
    assert "Page 1 of" in text
    info = pypdf.PdfReader(tmp_path / "report.pdf")
    assert "/StructTreeRoot" in info.trailer["/Root"]  # tagged (PDF/UA-1)


@pytest.mark.parametrize(
    ("who", "path"),
    [
        pytest.param("alpha_manager", "report.pdf", id="staff"),
        pytest.param("a_viewer", "portal/report.pdf", id="portal"),
    ],
)
def test_the_staff_tab_and_the_portal_link_and_serve_the_pdf(november, login, who, path):
    client = login(who)
    page = "report/" if path == "report.pdf" else "portal/report/"
    html = client.get(f"/clinics/{november.slug}/{page}?month=2026-11").content.decode()
    assert f'href="/clinics/{november.slug}/{path}?month=2026-11"' in html
    response = client.get(f"/clinics/{november.slug}/{path}", {"month": "2026-11"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{november.slug}-report-2026-11.pdf"'
    )
    assert response.content.startswith(b"%PDF-")


def test_a_bad_month_is_a_400_not_a_pdf(november, login):
    response = login("a_viewer").get(f"/clinics/{november.slug}/portal/report.pdf?month=2026-13")
    assert response.status_code == 400
    assert b"Invalid month." in response.content
