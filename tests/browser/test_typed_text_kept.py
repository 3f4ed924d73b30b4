"""Typed text survives a refused form (static/js/keep_typed.js) in a real Chromium: the staff
pages answer a post by redirecting back with a banner, and the text a person typed comes back
into the form when the banner is an error, not when the post succeeded."""

from __future__ import annotations

import pytest

from tests.fixtures.browser import sign_in

pytestmark = pytest.mark.browser
BODY = "Body text typed by the writer that must not be lost."


def test_a_refused_new_statement_keeps_its_text_and_a_saved_one_does_not_come_back(
    browser_server, new_page, committed_tenant
):
    tenant = committed_tenant()
    slug, writer = tenant.clinic.slug, tenant.users["writer"]
    page = new_page("desktop")
    sign_in(page, browser_server, writer, totp=tenant.devices["writer"])
    url = browser_server.url(f"/clinics/{slug}/statements/")
    page.goto(url)

    # refused: a title of spaces
    page.fill("#st-title", "   ")
    page.fill("#st-body", BODY)
    page.get_by_role("button", name="Save as version 1").click()
    page.wait_for_load_state("load")
    assert page.locator(".error-summary").first.is_visible()
    assert page.input_value("#st-body") == BODY

    # saved: the editor opens; back on the list, the form is empty again
    page.fill("#st-title", "Holiday hours")
    page.get_by_role("button", name="Save as version 1").click()
    page.wait_for_url(f"**/clinics/{slug}/statements/*/")
    page.goto(url)
    assert page.input_value("#st-body") == ""
    assert page.input_value("#st-title") == ""
