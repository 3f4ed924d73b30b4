"""Two settings checks in a real browser: "Send test message" next to a chat webhook (one
channel answers, one refuses: the page says which and what to do), and rotating an API key with
the old secret kept for a while, then "Stop the old secret now" — each page without serious
accessibility violations, saved as a screenshot."""

from __future__ import annotations

import re

import pytest

from tests.crisis.fake_chat import FakeChat
from tests.fixtures.browser import screenshot, serious_violations, sign_in


def _checked(page, name: str) -> None:
    screenshot(page, name)
    assert serious_violations(page) == [], name
    assert page.console_errors == [], name


@pytest.mark.browser
def test_a_manager_tests_the_chat_channels_and_reads_what_happened(
    browser_server, new_page, committed_tenant
):
    from accounts.actors import Actor
    from clinics.alerting import chat_webhooks_set

    tenant = committed_tenant()
    chat = FakeChat().start()
    try:
        chat.answers["/teams"] = (404, "", 0.0)
        owner = tenant.users["owner"]
        chat_webhooks_set(
            agency_id=tenant.agency.pk,
            clinic=tenant.clinic,
            changes={"slack": f"{chat.base_url}/slack", "teams": f"{chat.base_url}/teams"},
            actor=Actor(user=owner),
        )
        page = new_page("desktop")
        sign_in(page, browser_server, owner, totp=tenant.devices["owner"])
        page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/settings/alerts/"))
        page.get_by_role("button", name="Send test message to the Slack channel").click()
        page.wait_for_load_state()
        main = page.locator("main").inner_text()
        assert re.search(r"Test message posted to Slack at \d\d:\d\d \(UTC\)", main)
        page.get_by_role("button", name="Send test message to the Teams channel").click()
        page.wait_for_load_state()
        main = page.locator("main").inner_text()
        assert "The test message to Microsoft Teams failed: Teams says this webhook no longer" in (
            main
        )
        assert "Last test: posted" in main and "Last test: failed" in main
        assert [p["path"] for p in chat.posts] == ["/slack", "/teams"]
        _checked(page, "admin-settings-clinic-alerts-tested")
    finally:
        chat.stop()


@pytest.mark.browser
def test_an_owner_rotates_a_key_keeping_the_old_secret_then_stops_it(
    browser_server, new_page, committed_tenant
):
    from accounts.credentials import api_key_create

    tenant = committed_tenant()
    key, _ = api_key_create(
        agency=tenant.agency, clinic=tenant.clinic, name="Nightly export", scopes=["read"]
    )
    page = new_page("desktop")
    sign_in(page, browser_server, tenant.users["owner"], totp=tenant.devices["owner"])
    page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/settings/api-keys/"))
    page.get_by_label("Old secret keeps working for").select_option("7d")
    page.get_by_role("button", name=re.compile("^Rotate Nightly export")).click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert page.get_by_label(re.compile("^Secret of")).input_value().startswith("cwk_")
    assert f"The old secret (cwk_{key.prefix}_…) keeps working until" in main
    row = page.locator(f'tr[data-key="{key.prefix}"]')
    assert "stops working at" in row.inner_text()
    _checked(page, "admin-settings-clinic-api-key-rotated")
    row.get_by_role("button", name="Stop the old secret now: Nightly export").click()
    page.wait_for_load_state()
    assert "Stop the old secret of “Nightly export”" in page.locator("main").inner_text()
    page.get_by_role("button", name="Stop the old secret now").click()
    page.wait_for_load_state()
    assert "stopped working; the new one keeps working." in page.locator("main").inner_text()
    assert "old secret stopped working" in page.locator(f'tr[data-key="{key.prefix}"]').inner_text()
