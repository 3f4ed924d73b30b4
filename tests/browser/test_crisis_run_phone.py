"""A crisis run on phones (walk 1): the red banner's "Open and acknowledge" opens the room at
its Acknowledge button; a refusal in the room is said at the form, in sight, with the text kept;
a submit button that is off looks off; the post-crisis review's table of windows reads on a
phone in the client portal, with nothing to scroll sideways."""

from __future__ import annotations

import re

import pytest

from accounts.actors import Actor
from tests.browser.test_admin_flows import UNSAFE, _incident, _review
from tests.fixtures.browser import screenshot, sign_in

pytestmark = pytest.mark.browser


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.evaluate("() => window.innerHeight")
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_open_and_acknowledge_opens_the_room_at_its_button_on_a_phone(
    browser_server, new_page, committed_tenant
):
    from crisis.models import Incident
    from crisis.services.notifications import incident_notify_opened

    # given an incident nobody acknowledged, whose alert reached the owner and the approver
    tenant = committed_tenant()
    slug = tenant.clinic.slug
    incident = _incident(tenant, _review(tenant, text="Waited two hours, nobody called."))
    with tenant.schema():
        incident_notify_opened(incident_id=incident.pk)

    # when the owner, on a phone with the inbox open, taps the red banner's link
    page = new_page("phone")
    sign_in(page, browser_server, tenant.users["owner"], totp=tenant.devices["owner"])
    page.goto(browser_server.url(f"/clinics/{slug}/inbox/"))
    page.get_by_role("link", name="Open and acknowledge").click()
    page.wait_for_load_state()

    # then the room opens with its Acknowledge button on the screen, under what is happening
    assert page.url.startswith(browser_server.url(f"/clinics/{slug}/incidents/{incident.pk}/"))
    button = page.get_by_role("button", name="Acknowledge", exact=True)
    assert _in_view(page, button)
    assert _in_view(page, page.get_by_test_id("plain-line"))
    screenshot(page, "room-acknowledge-phone")
    button.click()
    page.wait_for_load_state()
    with tenant.schema():
        assert Incident.objects.get(pk=incident.pk).status == "acknowledged"
        Incident.objects.filter(pk=incident.pk).update(key="browser-first")  # one active per key

    # and the clinic's approver, in the portal, lands on the portal's Acknowledge button
    incident2 = _incident(tenant, _review(tenant, text="Nobody answers the phone."), title="Calls")
    with tenant.schema():
        incident_notify_opened(incident_id=incident2.pk)
    clinic_page = new_page("phone")
    sign_in(clinic_page, browser_server, tenant.users["approver"])
    clinic_page.goto(browser_server.url(f"/clinics/{slug}/portal/"))
    clinic_page.get_by_role("link", name="Open and acknowledge").click()
    clinic_page.wait_for_load_state()
    assert clinic_page.url.endswith(f"/portal/incidents/{incident2.pk}/#acknowledge")
    assert _in_view(clinic_page, clinic_page.get_by_role("button", name="Acknowledge"))
    assert page.console_errors == [] and clinic_page.console_errors == []


def test_a_refused_statement_is_said_at_its_form_in_sight_on_a_phone(
    browser_server, new_page, committed_tenant
):
    tenant = committed_tenant()
    incident = _incident(tenant, _review(tenant, text="Is there an outbreak?"))
    page = new_page("phone")
    sign_in(page, browser_server, tenant.users["writer"], totp=tenant.devices["writer"])
    page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/incidents/{incident.pk}/"))

    # when the writer drafts the statement, far down the room, with a fact that does not exist
    typed = "We have read the posts. {fact:no-such-fact} Please call us."
    page.locator("#st-body").fill(typed)
    page.get_by_role("button", name="Draft the statement").click()
    page.wait_for_load_state()

    # then the refusal is on the screen, at the form, and the text is there to fix
    refused = page.get_by_test_id("form-refused")
    assert refused.count() == 1 and "{fact:no-such-fact}" in refused.inner_text()
    assert _in_view(page, page.locator("#st-body"))
    assert page.locator("#st-body").input_value() == typed
    assert page.evaluate("() => document.activeElement.id") == "st-body"
    screenshot(page, "room-statement-refused-phone")
    assert page.console_errors == [] or all("400" in e for e in page.console_errors)


def test_a_submit_that_is_off_looks_off(browser_server, new_page, committed_tenant):
    tenant = committed_tenant()
    review = _review(tenant, text="Waited an hour and the doctor never explained my results.")
    page = new_page("phone")
    sign_in(page, browser_server, tenant.users["writer"], totp=tenant.devices["writer"])
    page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/replies/review/{review.pk}/"))

    # when the guard blocks the text typed
    box = page.get_by_label(re.compile("^Reply text"))
    box.fill("")
    box.press_sequentially(UNSAFE, delay=5)
    page.wait_for_function(
        "() => document.getElementById('guard-status').textContent.includes('blocks')",
        timeout=30_000,
    )

    # then "Save and submit" is off, and looks it: not the colour of a button that works
    off = page.get_by_role("button", name="Save and submit for approval")
    on = page.get_by_role("button", name="Save as a new version")
    assert off.is_disabled() and not on.is_disabled()
    style = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).cursor]"
    off_bg, off_cursor = off.evaluate(style)
    on_bg, on_cursor = on.evaluate(style)
    assert off_bg != on_bg
    assert off_cursor == "not-allowed" and on_cursor == "pointer"


def test_the_review_windows_read_on_a_phone_in_the_portal(
    browser_server, new_page, committed_tenant
):
    from crisis.services import incident_status_set
    from crisis.services.reviews import review_send

    # given a resolved incident whose review was sent to the clinic
    tenant = committed_tenant()
    incident = _incident(tenant, _review(tenant, text="Waited two hours."), hours_ago=3)
    owner = Actor(user=tenant.users["owner"])
    with tenant.schema():
        incident_status_set(
            incident_id=incident.pk, status="resolved", actor=owner,
            override_reason="The surge passed and every mention was answered.",
        )  # fmt: skip
        review_send(incident_id=incident.pk, clinic=tenant.clinic, actor=owner)

    # when the approver reads it on a phone
    page = new_page("phone")
    sign_in(page, browser_server, tenant.users["approver"])
    page.goto(
        browser_server.url(f"/clinics/{tenant.clinic.slug}/portal/incidents/{incident.pk}/review/")
    )

    # then the windows are one card each, every figure labelled, nothing cut off at the side
    table = page.locator("table.review-windows")
    fits = "e => e.scrollWidth <= e.clientWidth + 1"
    assert table.locator("xpath=..").evaluate(fits)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    during = table.locator("tr[data-window='during']")
    for label in ("From", "To", "Items", "Rate", "Negative share", "Mean score"):
        cell = during.locator(f"td[data-label='{label}']")
        assert cell.count() == 1 and _in_view_horizontally(page, cell), label
    screenshot(page, "portal-review-windows-phone")
    assert page.console_errors == []


def _in_view_horizontally(page, locator) -> bool:
    box = locator.bounding_box()
    return (
        box is not None
        and box["x"] >= 0
        and box["x"] + box["width"] <= page.evaluate("() => window.innerWidth")
    )
