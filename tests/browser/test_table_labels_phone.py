"""Tables on a phone (390 px) in a real Chromium: each row is a card and each cell is labelled
with its column's heading (static/js/a11y.js, app.css), while the headings stay the table's
column headers for screen readers; at 1280 px the table is an ordinary table. A refused "New
statement" form takes focus to its summary of errors."""

from __future__ import annotations

import pytest

from responses.services import statements as statement_services
from tests.fixtures.browser import screenshot, sign_in
from tests.portal.helpers import access_for

pytestmark = pytest.mark.browser
HEADINGS = ["Statement", "Status", "Version", "Public", "Changed"]


def _column_headers(page) -> list[str]:
    """The column headers in Chromium's own accessibility tree."""
    cdp = page.context.new_cdp_session(page)
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    return [
        n["name"]["value"]
        for n in nodes
        if n.get("role", {}).get("value") == "columnheader" and not n.get("ignored")
    ]


def test_a_table_on_a_phone_labels_each_cell_and_keeps_its_headers(
    browser_server, new_page, committed_tenant
):
    # given a clinic with a statement
    tenant = committed_tenant()
    slug, writer = tenant.clinic.slug, tenant.users["writer"]
    with tenant.schema():
        statement_services.statement_create(
            access=access_for(writer, tenant.clinic), title="Holiday hours", body="Closed Monday."
        )
    page = new_page((390, 844))
    sign_in(page, browser_server, writer, totp=tenant.devices["writer"])

    # when the writer opens the statements on a phone
    page.goto(browser_server.url(f"/clinics/{slug}/statements/"))
    table = page.locator("main table.table").first

    # then each cell of the row shows its column's heading before its value
    cells = table.locator("tbody tr").first.locator("td")
    assert [cells.nth(i).get_attribute("data-label") for i in range(5)] == HEADINGS
    before = cells.first.evaluate("td => getComputedStyle(td, '::before').content")
    assert "Statement" in before or "attr(data-label)" in before, before
    assert cells.nth(1).evaluate("td => getComputedStyle(td).display") == "block"
    # the headings are hidden from the eye only: still the table's column headers
    assert table.locator("thead").bounding_box()["height"] <= 1
    assert _column_headers(page) == HEADINGS
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    screenshot(page, "table_labels_phone")

    # when a new statement is refused, focus is on the summary that names each error
    page.fill("#st-title", "   ")
    page.fill("#st-body", "   ")
    page.get_by_role("button", name="Save as version 1").click()
    page.wait_for_load_state("load")
    summary = page.locator(".error-summary")
    assert summary.evaluate("el => document.activeElement === el")
    assert summary.locator("li").all_inner_texts() == [
        "Title: Give the statement a title.",
        "Statement: Write the statement.",
    ]
    assert page.get_attribute("#st-title", "aria-invalid") == "true"


def test_a_table_on_a_wide_screen_shows_its_headings(browser_server, new_page, committed_tenant):
    tenant = committed_tenant()
    page = new_page((1280, 800))
    sign_in(page, browser_server, tenant.users["writer"], totp=tenant.devices["writer"])
    page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/statements/"))
    table = page.locator("main table.table").first
    assert table.locator("thead").bounding_box()["height"] > 20
    assert table.locator("thead th").all_inner_texts() == HEADINGS
    assert _column_headers(page) == HEADINGS
