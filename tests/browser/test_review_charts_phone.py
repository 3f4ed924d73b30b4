"""The post-crisis review's charts read on a phone (walk-through at 390x844): they were drawn
720x240 and shown at 44 %, their axis labels and times about 5 px high. A phone now gets a
drawing made for its width (the `<picture>`'s narrow source), in the portal and on the staff
page alike: each chart fits the screen, and every word and number in it renders at 12 CSS px
or more, none on top of another. A wide screen keeps the wide drawing the PDF shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.actors import Actor
from crisis.charts import NARROW_W
from tests.browser.test_admin_flows import _review
from tests.fixtures.browser import screenshot, sign_in

pytestmark = pytest.mark.browser

# Each chart's SVG (the source the browser chose) laid over its <img> at the same place and
# size, so that its texts are measured as the picture draws them: the font size each renders
# at (its own times the drawing's scale), its box, and the chart's box.
MEASURE = """() => [...document.querySelectorAll('[data-chart]')].map(figure => {
  const img = figure.querySelector('img');
  const box = img.getBoundingClientRect();
  const bytes = Uint8Array.from(atob(img.currentSrc.split(',')[1]), c => c.charCodeAt(0));
  const svg = new DOMParser().parseFromString(new TextDecoder().decode(bytes), 'image/svg+xml')
    .documentElement;
  const viewBox = svg.viewBox.baseVal;
  svg.setAttribute('width', box.width);
  svg.setAttribute('height', box.height);
  const layer = document.createElement('div');
  layer.style.cssText = `position:absolute;left:${box.left + scrollX}px;top:${box.top + scrollY}px`;
  layer.append(svg);
  document.body.append(layer);
  const scale = box.width / viewBox.width;
  const texts = [...svg.querySelectorAll('text')].map(t => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale,
            left: r.left, right: r.right, top: r.top, bottom: r.bottom};
  });
  layer.remove();
  return {chart: figure.dataset.chart, drawn: img.naturalWidth, alt: img.alt,
          left: box.left, right: box.right, top: box.top, bottom: box.bottom, texts};
})"""


def _reviewed_incident(tenant):
    """A surge resolved an hour ago, with mentions before, during and after it, whose review
    the agency sent to the clinic (its figures frozen)."""
    from crisis.models import Incident
    from crisis.services.reviews import review_send

    now = timezone.now()
    reviews = [
        _review(tenant, text=f"Visit {n}.", rating=rating, hours_ago=hours)
        for n, (rating, hours) in enumerate(
            [(5, 150), (4, 100), (2, 60), (4, 30), (1, 2.8), (1, 2.5), (2, 2.2), (1, 2.1),
             (1, 1.8), (3, 1.5), (4, 0.7), (5, 0.3)]
        )
    ]  # fmt: skip
    with tenant.schema():
        incident = Incident.objects.create(
            kind="surge", key="charts", title="Negative surge: 6 in 2 h", severity="high",
            status="resolved", opened_at=now - timedelta(hours=3),
            last_detected_at=now - timedelta(hours=1.5), resolved_at=now - timedelta(hours=1),
            trigger={"kind": "surge", "numbers": {"count": 6, "window_minutes": 120}},
        )  # fmt: skip
        for review in reviews[4:10]:
            incident.mentions.through.objects.create(
                incident=incident, review=review, added_at=incident.opened_at
            )
        review_send(
            incident_id=incident.pk, clinic=tenant.clinic, actor=Actor.of_system("test", "Test")
        )
    return incident


def _overlaps(texts: list[dict]) -> list[tuple[str, str]]:
    return [
        (a["text"], b["text"])
        for i, a in enumerate(texts)
        for b in texts[i + 1 :]
        if min(a["right"], b["right"]) - max(a["left"], b["left"]) > 1
        and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 1
    ]


def _assert_charts_read_on_a_phone(page, width: int) -> None:
    charts = page.evaluate(MEASURE)
    assert [c["chart"] for c in charts] == ["volume", "sentiment"]
    for chart in charts:
        name = chart["chart"]
        # the phone's own drawing, inside the screen
        assert chart["drawn"] == NARROW_W, name
        assert chart["left"] >= 0 and chart["right"] <= width, (name, chart)
        # every word and number at 12 CSS px or more, inside the picture, none on another
        texts = chart["texts"]
        words = [t["text"] for t in texts]
        for period in ("Before", "During", "After"):
            assert any(w.startswith(period) for w in words), (name, period, words)
        assert set(words) >= (
            {"+1", "0", "-1"} if name == "sentiment" else {"negative", "unscored"}
        )
        small = [(t["text"], round(t["px"], 1)) for t in texts if t["px"] < 12]
        assert small == [], name
        outside = [
            t["text"]
            for t in texts
            if t["left"] < chart["left"] - 0.5 or t["right"] > chart["right"] + 0.5
            or t["top"] < chart["top"] - 0.5 or t["bottom"] > chart["bottom"] + 0.5
        ]  # fmt: skip
        assert outside == [], name
        assert _overlaps(texts) == [], name
        # the text alternative stays: title and description, numbers and all
        assert chart["alt"].startswith(
            "Volume in each period. Items in each period"
            if name == "volume"
            else "Sentiment curve. Mean sentiment score per period"
        )
    wide = page.evaluate(
        "(w) => [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > w + 1)"
        ".map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))",
        width,
    )
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width, wide[:8]
    assert page.locator("details.review-numbers table.review-series").count() == 1


def test_the_review_charts_read_on_a_phone_in_the_portal_and_on_the_staff_page(
    browser_server, new_page, committed_tenant
):
    # given a resolved surge whose review the agency sent to the clinic
    tenant = committed_tenant()
    incident = _reviewed_incident(tenant)
    slug = tenant.clinic.slug

    # when the clinic's approver reads it in the portal on a 390x844 phone
    page = new_page((390, 844))
    sign_in(page, browser_server, tenant.users["approver"])
    page.goto(browser_server.url(f"/clinics/{slug}/portal/incidents/{incident.pk}/review/"))
    # then each chart is drawn for the phone: it fits, and its labels read at 12 px or more
    _assert_charts_read_on_a_phone(page, 390)
    page.locator("[data-chart='volume']").scroll_into_view_if_needed()
    screenshot(page, "portal-review-charts-phone")
    assert page.console_errors == []

    # and the same on the agency's own page, read by its owner on the same phone
    staff = new_page((390, 844))
    sign_in(staff, browser_server, tenant.users["owner"], totp=tenant.devices["owner"])
    staff.goto(browser_server.url(f"/clinics/{slug}/incidents/{incident.pk}/review/"))
    _assert_charts_read_on_a_phone(staff, 390)
    screenshot(staff, "staff-review-charts-phone")
    assert staff.console_errors == []

    # while a desktop keeps the wide drawing, the one the PDF prints, at its full size
    desk = new_page("desktop")
    sign_in(desk, browser_server, tenant.users["approver"])
    desk.goto(browser_server.url(f"/clinics/{slug}/portal/incidents/{incident.pk}/review/"))
    charts = desk.evaluate(MEASURE)
    assert [(c["drawn"], round(c["right"] - c["left"])) for c in charts] == [(720, 720)] * 2
    screenshot(desk, "portal-review-charts-desktop")


def test_the_monthly_reports_charts_read_on_a_phone_too(browser_server, new_page, committed_tenant):
    # given a month with a review (the report's charts are drawn in the page, by Chart.js)
    tenant = committed_tenant()
    _review(tenant, text="A visit.", rating=4, hours_ago=2)
    page = new_page((390, 844))
    sign_in(page, browser_server, tenant.users["approver"])

    # when the clinic's approver opens the month's report on a 390 px phone
    page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/portal/report/"))
    # (no reply has a known time this month: the reply-time chart is words, the other three
    # are drawn)
    page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length === 3")
    assert page.get_by_test_id("response-chart-empty").is_visible()

    # then each chart is as wide as the phone's column at most, and its axes and legend are
    # written at 12 CSS px (a canvas redrawn at its size: its text is never scaled down)
    charts = page.evaluate(
        """() => Object.values(window.Chart.instances).map(c => ({
             right: c.canvas.getBoundingClientRect().right,
             sizes: [...Object.values(c.scales).map(s => s._resolveTickFontOptions(0).size),
                     window.Chart.helpers.toFont(c.legend.options.labels.font).size]}))"""
    )
    assert len(charts) == 3
    for chart in charts:
        assert chart["right"] <= 390
        assert min(chart["sizes"]) >= 12, chart
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    screenshot(page, "portal-report-charts-phone")
