"""The monthly report's charts draw the agency's colour in a shade that shows on the white page
(3:1 at least, WCAG 1.4.11) whatever colour the agency chose: a light one (#ffee00) drew the
"average rating" line and the reply-time bars at 1.2:1, in the portal read on a phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from agency.branding import WHITE, contrast
from tests.fixtures.browser import sign_in
from tests.responses.conftest import review_in

pytestmark = pytest.mark.browser
LIGHT = "#ffee00"


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.strip()
    if colour.startswith("#"):
        return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return tuple(int(v) for v in re.findall(r"\d+", colour)[:3])


def test_the_report_charts_brand_lines_show_on_white_with_a_light_colour(
    browser_server, new_page, committed_tenant
):
    tenant = committed_tenant(colour=LIGHT)
    with schema_context(tenant.clinic.schema_name):
        review = review_in(
            tenant.clinic, "csv", text="A visit.", published_at=timezone.now() - timedelta(hours=2)
        )
        type(review).objects.filter(pk=review.pk).update(rating=4)
    page = new_page((390, 844))
    sign_in(page, browser_server, tenant.users["approver"])

    page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/portal/report/"))
    page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length === 4")

    drawn = page.evaluate(
        """() => Object.values(window.Chart.instances).flatMap(chart =>
             chart.data.datasets
               .filter(d => /average rating|median hours/.test(d.label || ""))
               .map(d => [d.label, String(d.borderColor || d.backgroundColor)]))"""
    )
    assert {label for label, _ in drawn} == {"average rating (1-5)", "median hours to reply"}
    for label, colour in drawn:
        assert contrast(_rgb(colour), WHITE) >= 3.0, (label, colour)
