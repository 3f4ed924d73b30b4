"""A new writer's "Start here" panel on a phone, in a real Chromium: it fits the screen, its
steps link where the work is, and once hidden it stays hidden until the account page shows it
again."""

from __future__ import annotations

import pytest

from dashboard.models import StartHere
from tests.fixtures.browser import screenshot, serious_violations, sign_in

pytestmark = pytest.mark.browser


def test_a_writer_reads_hides_and_shows_again_the_start_here_list_on_a_phone(
    browser_server, new_page, committed_tenant
):
    tenant = committed_tenant()
    writer = tenant.users["writer"]
    try:
        page = new_page("phone")
        sign_in(page, browser_server, writer, totp=tenant.devices["writer"])
        page.goto(browser_server.url("/agency/"))
        panel = page.get_by_test_id("start-here")
        assert panel.is_visible()
        keys = panel.locator("li[data-key]").evaluate_all("items => items.map(i => i.dataset.key)")
        assert keys == ["waiting", "drafts", "notifications"]
        assert "Your role: Writer" in page.get_by_test_id("start-here-role").inner_text()
        # it fits the phone's width: nothing to scroll sideways
        width = page.evaluate("() => window.innerWidth")
        box = panel.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        assert serious_violations(page) == []
        screenshot(page, "start-here-phone")

        # a step opens its page
        panel.get_by_role("link", name="Choose how you are told").click()
        page.wait_for_load_state()
        assert page.url == browser_server.url("/account/notifications/")

        # when the writer hides the list, it stays hidden, reloaded or not
        page.goto(browser_server.url("/agency/"))
        page.get_by_test_id("start-here-dismiss").click()
        page.wait_for_load_state()
        assert page.get_by_test_id("start-here").count() == 0
        page.reload()
        assert page.get_by_test_id("start-here").count() == 0

        # the account page shows it again
        page.goto(browser_server.url("/account/"))
        page.get_by_test_id("start-here-reopen").click()
        page.wait_for_load_state()
        assert page.url == browser_server.url("/agency/#start-here")
        assert page.get_by_test_id("start-here").is_visible()
        assert page.console_errors == []
    finally:
        StartHere.objects.filter(user=writer).delete()
