"""A half-typed long form asks before the page is left (static/js/leave_guard.js, the reply
editor's mechanism for the fact sheet, reply templates and a private follow-up): in a real
Chromium, leaving the fact sheet with a fact half typed asks first; leaving it untouched, or
after adding the fact, does not."""

from __future__ import annotations

import pytest

from tests.fixtures.browser import sign_in

pytestmark = pytest.mark.browser


def test_leaving_a_half_typed_fact_asks_first_and_an_untouched_form_does_not(
    browser_server, new_page, committed_tenant
):
    tenant = committed_tenant()
    slug, owner = tenant.clinic.slug, tenant.users["owner"]
    page = new_page("desktop")
    sign_in(page, browser_server, owner, totp=tenant.devices["owner"])
    facts = browser_server.url(f"/clinics/{slug}/facts/")
    asked: list[str] = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)

    # untouched: leaving asks nothing
    page.goto(facts)
    page.goto(browser_server.url(f"/clinics/{slug}/inbox/"))
    assert asked == []

    # half typed: leaving asks first
    page.goto(facts)
    page.locator("#fact-add [name=title]").fill("Parking")
    page.goto(browser_server.url(f"/clinics/{slug}/inbox/"))
    assert asked == ["beforeunload"]

    # submitted: the page it leads to is left without a question
    page.goto(facts)
    page.locator("#fact-add [name=title]").fill("Parking")
    page.locator("#fact-add [name=statement]").fill("Free parking is behind the building.")
    page.get_by_role("button", name="Add fact").click()
    page.wait_for_load_state("load")
    page.goto(browser_server.url(f"/clinics/{slug}/inbox/"))
    assert asked == ["beforeunload"]


def test_a_comment_typed_in_the_portal_asks_before_the_page_is_left(
    browser_server, new_page, committed_tenant
):
    """The writer's-day walk: an approver who typed why a reply should change and tapped
    another tab lost the comment without a word. A card approved in place (htmx) does not
    stop the guard watching the next card's comment."""
    from tests.browser.test_portal import _portal, _three_waiting

    tenant = committed_tenant()
    first, second, _third = _three_waiting(tenant)
    page = new_page("phone")
    sign_in(page, browser_server, tenant.users["approver"])
    asked: list[str] = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)
    approvals = _portal(browser_server, tenant, "approvals/")
    page.goto(approvals)
    page.goto(_portal(browser_server, tenant, "report/"))
    assert asked == []  # nothing typed: nothing asked

    page.goto(approvals)
    page.locator(f"#card-reply-{first.pk}").get_by_role("button", name="Approve").click()
    page.locator(f"#card-reply-{first.pk}").get_by_role("status").wait_for(timeout=60_000)
    page.locator(f"#card-reply-{second.pk} textarea").first.fill("Please make it warmer.")
    page.goto(_portal(browser_server, tenant, "report/"))
    assert asked == ["beforeunload"]
