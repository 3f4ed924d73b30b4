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
from responses.models import ApprovalStatus, ReplyDraft
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
        # a reply with a known time: the reply-time chart is drawn (with none it says so)
        ReplyDraft.objects.create(
            review=review, status=ApprovalStatus.PUBLISHED, author_label="user:1",
            published_at=timezone.now() - timedelta(hours=1),
        )  # fmt: skip
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


def test_the_rating_line_breaks_on_days_without_reviews(browser_server, new_page, committed_tenant):
    """walk2 F17: reviews on the 3rd–4th and the 9th–10th of last month and none between: the
    "average rating" line is two pieces, not one drawn across the 5th–8th."""
    tenant = committed_tenant()
    first = timezone.now().replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    last_month = (first - timedelta(days=1)).replace(day=1)
    with schema_context(tenant.clinic.schema_name):
        for day, rating in ((3, 4), (4, 5), (9, 2), (10, 3)):
            review = review_in(
                tenant.clinic, "csv", text=f"Visit {day}.",
                published_at=last_month.replace(day=day),
            )  # fmt: skip
            type(review).objects.filter(pk=review.pk).update(rating=rating)
    page = new_page((1280, 900))
    sign_in(page, browser_server, tenant.users["approver"])

    month = f"{last_month:%Y-%m}"
    page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/portal/report/?month={month}"))
    page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length === 3")

    pieces = page.evaluate(
        """() => {
             const chart = window.Chart.getChart("chart-rating");
             const meta = chart.getDatasetMeta(0);
             return meta.dataset.segments.map(s => [s.start, s.end]);
           }"""
    )
    # days 3–4 (indexes 2–3) and 9–10 (indexes 8–9), nothing drawn across 5–8
    assert pieces == [[2, 3], [8, 9]]
    # no reply with a known time: the reply-time chart says why instead of an empty grid
    assert page.locator("#chart-response").count() == 0
    assert (
        page.get_by_test_id("response-chart-empty")
        .inner_text()
        .startswith("No replies with a known time this month")
    )
