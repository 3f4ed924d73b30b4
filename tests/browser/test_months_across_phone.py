"""The month across clinics on a phone (walk 21): its table becomes a card per clinic, and its
column headings, the only way to sort it, were hidden with them; they now stay a row of sort
links above the cards, as the dashboard's do. axe-core; no sideways scroll; a screenshot."""

from __future__ import annotations

import pytest

from tests.fixtures.browser import screenshot, serious_violations, sign_in

pytestmark = pytest.mark.browser


def test_a_phone_sorts_the_month_across_clinics_by_its_heading_links(
    browser_server, new_page, committed_tenant
):
    tenant = committed_tenant()
    page = new_page("phone")
    sign_in(page, browser_server, tenant.users["owner"], totp=tenant.devices["owner"])
    page.goto(browser_server.url("/agency/reports/month/"))
    table = page.get_by_test_id("months-across")
    links = table.locator("thead a.sort")
    assert links.count() >= 3
    for n in range(links.count()):  # drawn, not clipped to the 1-pixel box of hidden headings
        box = links.nth(n).bounding_box()
        assert box and box["width"] > 10 and box["height"] > 10, links.nth(n).inner_text()
    # the clinic's name heads its card; each figure is labelled with its heading's words only
    row = table.locator(f'tbody tr[data-clinic="{tenant.clinic.slug}"]')
    assert row.locator("th").is_visible()
    headings = table.locator("thead th")
    labels = [row.locator("td").nth(n).get_attribute("data-label") for n in range(3)]
    assert labels == [headings.nth(n + 1).get_attribute("data-label") for n in range(3)]
    assert labels[0] == "Reviews received"  # not "Reviews received, sorted ascending; …"
    # one way back to the dashboard in the breadcrumb, not two
    assert page.locator("nav.crumbs").get_by_role("link", name="Dashboard").count() == 1
    # a tap on a heading sorts by it, and says so to a screen reader
    second = links.nth(1)
    key = second.get_attribute("data-sort")
    second.click()
    page.wait_for_url(f"**sort={key}**")
    sorted_by = page.get_by_test_id("months-across").locator("th[aria-sort]")
    assert sorted_by.count() == 1
    assert sorted_by.locator("a.sort").get_attribute("data-sort") == key
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert serious_violations(page) == []
    assert page.console_errors == []
    screenshot(page, "months-across-phone")
