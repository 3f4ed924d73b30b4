"""The public statement page in Chromium, as a patient opens it from a reply's link: the
agency's brand, the clinic's local time, the current statement first, its history folded, a
superseded statement's own address pointing to the current one."""

from __future__ import annotations

import re

import pytest

from agency.branding import brand_palette
from clinics.models import Clinic
from tests.fixtures.browser import screenshot, serious_violations
from tests.responses.test_public_statements import statements_story


def _rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return f"rgb({int(h[0:2], 16)}, {int(h[2:4], 16)}, {int(h[4:6], 16)})"


@pytest.mark.browser
def test_the_public_statement_page_in_a_browser(browser_server, new_page, committed_tenant):
    # given a clinic in New York whose agency is green, with three statements over time
    tenant = committed_tenant(colour="#0B6E4F")
    clinic = tenant.clinic
    Clinic.objects.filter(pk=clinic.pk).update(timezone="America/New_York")
    clinic.refresh_from_db()
    users = tenant.users
    ids = statements_story(clinic, users["writer"], users["owner"], users["approver"])

    # when someone opens the page on a phone
    page = new_page("phone")
    page.goto(browser_server.url(f"/statements/{clinic.slug}/"))

    # then it carries the agency's name and colour, and the clinic's local time
    brand = page.locator(".public-brand")
    assert "Harbour Health Marketing" in brand.inner_text()
    background = brand.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == _rgb(brand_palette("#0B6E4F")["brand"])
    times = page.locator("article time").all_text_contents()
    assert times and all(re.search(r"\d{2}:\d{2} E[SD]T$", t) for t in times), times
    # the current statement first; the older one marked superseded; the withdrawn one absent
    articles = page.locator("article.statement")
    assert articles.count() == 2
    first = articles.nth(0)
    assert first.get_by_role("heading", level=2).inner_text() == "About the rumour"
    assert first.locator(".pill").inner_text() == "Current statement"
    second = articles.nth(1)
    assert second.locator(".pill").inner_text() == "Superseded"
    assert page.get_by_text("Closed for the storm").count() == 0
    # the history is folded until asked for
    old = second.get_by_text("Walk-ins welcome.", exact=True)
    assert not old.is_visible()
    second.get_by_text("Version history (1 earlier version)").click()
    assert old.is_visible()
    screenshot(page, "public-statements-phone")
    assert serious_violations(page) == []
    assert page.console_errors == []

    # when a reply's link to the older statement is followed
    page.goto(browser_server.url(f"/statements/{clinic.slug}/{ids['hours']}/"))

    # then it says it is superseded and leads to the current one
    note = page.get_by_role("note")
    assert "This statement is superseded." in note.inner_text()
    note.get_by_role("link", name="About the rumour").click()
    page.wait_for_url(f"**/statements/{clinic.slug}/{ids['rumour']}/")
    assert page.locator("article .pill").inner_text() == "Current statement"
    desktop = new_page("desktop")
    desktop.goto(browser_server.url(f"/statements/{clinic.slug}/"))
    screenshot(desktop, "public-statements")
    assert serious_violations(desktop) == []
    assert desktop.console_errors == []
