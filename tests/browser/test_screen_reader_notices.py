"""A screen reader user hears each notice once and where it concerns them: the incident banner's
poll does not insert an unchanged alert again (it was announced every 5 seconds) and the
navigation's count says what it counts; a filter or form that cannot be used takes the focus on
staff pages as it does in the portal, and a day filter's message is read with its field; a
light agency colour leaves the red "Remove" buttons readable."""

from __future__ import annotations

import pytest

from tests.fixtures.browser import serious_violations, sign_in

pytestmark = pytest.mark.browser

BANNER = (
    '<div class="alert-data" data-alert-count="{count}" hidden></div>'
    '<div class="incident-banner sev-critical" role="alert"><strong>{title}</strong>'
    " <span>at Lakeside — not acknowledged yet.</span>"
    ' <a class="banner-action" href="/">Open and acknowledge</a></div>'
)
BACKWARDS = "?{start}=2026-12-06&{end}=2026-12-01"


def _described_by(page, selector: str) -> str:
    """The words a screen reader reads after the field's name: its aria-describedby targets."""
    return page.evaluate(
        """(selector) => {
          const field = document.querySelector(selector);
          return (field.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean)
            .map(id => { const e = document.getElementById(id); return e ? e.textContent : '#MISSING ' + id; })
            .join(' ').replace(/\\s+/g, ' ').trim();
        }""",
        selector,
    )


def _focused_testid(page) -> str | None:
    return page.evaluate("() => document.activeElement.getAttribute('data-testid')")


def test_the_incident_banner_is_announced_once_not_at_every_poll(
    browser_server, new_page, committed_tenant
):
    # given the clinic approver on a portal page, and a banner endpoint that answers the same
    tenant = committed_tenant()
    page = new_page("desktop")
    sign_in(page, browser_server, tenant.users["approver"])
    served = {"body": BANNER.format(count=1, title="Critical incident: surge"), "hits": 0}

    def banner(route):
        served["hits"] += 1
        route.fulfill(status=200, content_type="text/html", body=served["body"])

    page.route("**/alerts/banner/", banner)
    page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/portal/"))

    def poll() -> None:
        hits = served["hits"]
        page.evaluate("() => document.body.dispatchEvent(new CustomEvent('alerts-changed'))")
        page.wait_for_function(
            "() => !document.querySelector('#alert-banner.htmx-request')", timeout=5_000
        )
        page.wait_for_timeout(300)
        assert served["hits"] > hits

    # when the first poll brings the alert, it is inserted (and so announced)
    poll()
    alert = page.locator("#alert-banner [role=alert]")
    assert alert.inner_text().startswith("Critical incident: surge")
    alert.evaluate("el => { window.announced = el; }")
    # then polls that bring the same banner leave the alert in place: nothing is announced again
    poll()
    poll()
    assert page.evaluate(
        "() => document.querySelector('#alert-banner [role=alert]') === window.announced"
    )
    assert page.title().startswith("(1) ")
    # and the navigation's count says what it counts
    nav = page.get_by_role("navigation", name="Portal")
    assert nav.get_by_role("link", name="Overview 1 waiting for you", exact=True).is_visible()
    # and a banner that changed is swapped in
    served["body"] = BANNER.format(count=2, title="Critical incident: false claim")
    poll()
    assert (
        page.locator("#alert-banner [role=alert]")
        .inner_text()
        .startswith("Critical incident: false claim")
    )
    assert page.evaluate(
        "() => document.querySelector('#alert-banner [role=alert]') !== window.announced"
    )
    assert page.title().startswith("(2) ")
    assert nav.get_by_role("link", name="Overview 2 waiting for you", exact=True).is_visible()
    assert page.console_errors == []


def test_staff_filters_that_cannot_be_used_take_the_focus_and_name_the_field(
    browser_server, new_page, committed_tenant
):
    # given an agency owner, signed in with two-factor
    tenant = committed_tenant()
    page = new_page("desktop")
    sign_in(page, browser_server, tenant.users["owner"], totp=tenant.devices["owner"])
    # when a clinic's approvals log is asked for days that end before they start
    start_end = BACKWARDS.format(start="decided_from", end="decided_to")
    page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/approvals-log/{start_end}"))
    # then the focus is on what went wrong, not at the top of the page
    assert _focused_testid(page) == "filter-errors"
    assert "before its start" in page.evaluate("() => document.activeElement.textContent")
    # the agency's approvals log does the same, and its "To" field reads its own message
    page.goto(browser_server.url(f"/agency/approvals-log/{start_end}"))
    assert _focused_testid(page) == "filter-errors"
    to = "#id_decided_to"
    assert page.get_attribute(to, "aria-invalid") == "true"
    assert _described_by(page, to) == "The end of the date range is before its start."
    # and Tab goes on from the message, into the form, not from the top of the page
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('main') !== null")


def test_a_settings_form_refused_takes_the_focus_to_its_message(
    browser_server, new_page, committed_tenant
):
    # given the owner on the clinic's settings
    tenant = committed_tenant()
    page = new_page("desktop")
    sign_in(page, browser_server, tenant.users["owner"], totp=tenant.devices["owner"])
    page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/settings/"))
    # when the clinic's name is emptied and the form sent with the keyboard
    page.locator("#id_name").fill("")
    page.locator("#id_name").press("Enter")
    page.wait_for_load_state()
    # then the focus is on the message that says nothing was saved
    assert page.evaluate("() => document.activeElement.textContent").startswith(
        "Please correct the fields marked below"
    )
    assert page.evaluate("() => document.activeElement.getAttribute('role')") == "alert"


def test_the_portal_incident_filter_reads_its_message_with_the_field(
    browser_server, new_page, committed_tenant
):
    # given the clinic approver on the portal's incidents, with days that end before they start
    tenant = committed_tenant()
    page = new_page("phone")
    sign_in(page, browser_server, tenant.users["approver"])
    backwards = BACKWARDS.format(start="opened_from", end="opened_to")
    page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/portal/incidents/{backwards}"))
    # then the "To" field is marked and its message is read with it
    to = "#id_opened_to"
    assert page.get_attribute(to, "aria-invalid") == "true"
    assert _described_by(page, to) == "The end of the date range is before its start."
    # a day that cannot be read is tied to its own field the same way
    page.goto(
        browser_server.url(f"/clinics/{tenant.clinic.slug}/portal/incidents/?opened_from=soon")
    )
    assert _described_by(page, "#id_opened_from") == "Write a date like 2026-03-01."


def test_remove_buttons_stay_readable_with_a_light_agency_colour(
    browser_server, new_page, committed_tenant
):
    # given an agency whose colour is a light yellow (saved with the page's warning)
    tenant = committed_tenant(colour="#F5E663")
    page = new_page("desktop")
    sign_in(page, browser_server, tenant.users["owner"], totp=tenant.devices["owner"])
    # when the owner opens the staff page, with a "Remove" button beside the writer
    page.goto(browser_server.url("/agency/settings/people/"))
    remove = page.locator("button.danger").first
    # then its label is white on red (dark text on the red was 2.1:1), and axe agrees
    assert remove.evaluate("b => getComputedStyle(b).color") == "rgb(255, 255, 255)"
    assert remove.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(164, 14, 38)"
    assert [v for v in serious_violations(page) if v["id"] == "color-contrast"] == []
