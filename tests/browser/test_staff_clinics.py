"""The agency's people page in a real browser: an owner limits a writer to one of the agency's
two clinics (without JavaScript: a disclosure and a plain form), and the writer's next page
shows that clinic only; the other one answers "not found"."""

from __future__ import annotations

import uuid

import pytest

from tests.fixtures.browser import screenshot, serious_violations, sign_in
from tests.fixtures.tenants import clinic_committed_create, clinic_drop


@pytest.mark.browser
def test_an_owner_limits_a_writer_to_one_clinic(browser_server, new_page, committed_tenant):
    tenant = committed_tenant()
    second = clinic_committed_create(
        slug=f"br-second-{uuid.uuid4().hex[:6]}", name="Second Clinic", agency=tenant.agency
    ).clinic
    try:
        writer = tenant.users["writer"]
        # the writer reaches both clinics at first
        writer_page = new_page("desktop")
        sign_in(writer_page, browser_server, writer, totp=tenant.devices["writer"])
        response = writer_page.goto(browser_server.url(f"/clinics/{second.slug}/inbox/"))
        assert response.status == 200

        # the owner opens the writer's clinics on the people page and ticks the first clinic
        page = new_page("desktop")
        sign_in(page, browser_server, tenant.users["owner"], totp=tenant.devices["owner"])
        page.goto(browser_server.url("/agency/settings/people/"))
        cell = page.locator(f'td[data-clinics="{writer.email}"]')
        assert cell.get_by_test_id("clinics-of").inner_text() == "All clinics"
        cell.locator("summary").click()
        group = cell.get_by_role("group", name=f"Clinics {writer.email} reaches")
        group.get_by_label("Only the clinics ticked").check()
        group.get_by_label(tenant.clinic.name).check()
        screenshot(page, "admin-settings-agency-staff-clinics")
        assert serious_violations(page) == []
        cell.get_by_role("button", name=f"Save the clinics of {writer.email}").click()
        page.wait_for_load_state()
        main = page.inner_text("main")
        assert f"{writer.email} now reaches only {tenant.clinic.name}" in main
        cell = page.locator(f'td[data-clinics="{writer.email}"]')
        assert cell.get_by_test_id("clinics-of").inner_text() == tenant.clinic.name
        assert page.console_errors == []

        # the writer's next page: their dashboard and switcher have the one clinic
        writer_page.goto(browser_server.url("/agency/"))
        dashboard = writer_page.inner_text("main")
        assert "your clinics" in dashboard
        assert tenant.clinic.name in dashboard and "Second Clinic" not in dashboard
        switcher = writer_page.get_by_label("Clinic", exact=True)
        assert switcher.locator("option", has_text="Second Clinic").count() == 0
        response = writer_page.goto(browser_server.url(f"/clinics/{second.slug}/inbox/"))
        assert response.status == 404
        # and they were told by e-mail which clinic they work on now
        [mail] = browser_server.mails(to=writer.email)
        assert f"these clinics of the agency: {tenant.clinic.name}" in mail.get_content()
    finally:
        clinic_drop(second)
