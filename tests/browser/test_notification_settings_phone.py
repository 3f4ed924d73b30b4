"""How you are told, in the portal on a 390 px phone: a clinic approver finds the page from
the portal's notifications, reads what is always e-mailed and why, chooses the hourly digest
and no e-mail for notices for information, and saves; the page fits the phone, its choices
are large enough to tap, and it carries the agency's brand."""

from __future__ import annotations

import pytest

from clinics.preferences import preferences_for
from tests.fixtures.browser import screenshot, serious_violations, sign_in

pytestmark = pytest.mark.browser


def _fits(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{width}px wide on a 390px phone"


def test_a_clinic_approver_chooses_how_they_are_told_on_a_phone(
    browser_server, new_page, committed_tenant
):
    tenant = committed_tenant()
    approver = tenant.users["approver"]
    page = new_page((390, 844))
    sign_in(page, browser_server, approver)

    # from the portal's notifications to the settings
    page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/portal/notifications/"))
    page.get_by_role("link", name="Choose how you are told").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/clinics/{tenant.clinic.slug}/portal/notifications/settings/")
    assert page.get_by_role("heading", level=1).inner_text() == "How you are told"
    assert page.locator(".portal-brand").inner_text() == tenant.agency.display_name
    bar = page.evaluate(
        "() => getComputedStyle(document.querySelector('.portal-top')).backgroundColor"
    )
    assert bar == "rgb(11, 110, 79)"  # committed_tenant's #0B6E4F

    # what cannot be turned off, and why
    always = page.get_by_test_id("always-emailed")
    assert "Incident alerts" in always.inner_text()
    assert "Nobody else can give your step" in always.inner_text()
    assert "These cannot be turned off here." in always.inner_text()
    # nothing on the page offers to turn them off: only the digest and the notices for information
    radios = page.locator("input[type=radio]").evaluate_all("rs => rs.map(r => r.name)")
    assert sorted(set(radios)) == ["digest", "email_information", "email_report"]
    _fits(page)
    # each choice is a target of 44 px at least
    heights = page.locator(".pref-option").evaluate_all(
        "ls => ls.map(l => l.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 44, heights
    assert serious_violations(page) == []
    screenshot(page, "portal-notification-settings-phone")

    # when the approver chooses the hourly digest and no e-mail for notices for information
    page.get_by_role("radio", name="One hourly digest").check()
    page.get_by_role("group", name="Other notices for your information").get_by_role(
        "radio", name="No e-mail: only in my notification history"
    ).check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()

    # then it is saved, said, and shown
    assert page.get_by_role("status").inner_text() == "Notification settings saved."
    assert page.get_by_role("radio", name="One hourly digest").is_checked()
    assert (
        page.get_by_role("group", name="The monthly report")
        .get_by_role("radio", name="E-mail me")
        .is_checked()
    )
    pref = preferences_for([approver])[approver.pk]
    assert pref.digest == "hourly"
    assert pref.emails["information"] is False and pref.emails["report"] is True
    _fits(page)
    assert page.console_errors == []
