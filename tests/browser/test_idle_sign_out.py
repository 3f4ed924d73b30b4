"""A page left open: its banner polls every 5 seconds, which neither keeps the person signed in
nor, once the session has ended, pastes the sign-in page into the banner; the whole page goes
to the sign-in page, and signing in leads back to it (accounts.middleware)."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from tests.fixtures.browser import sign_in

pytestmark = pytest.mark.browser


def test_a_portal_page_left_open_goes_to_sign_in_when_the_session_ends_and_comes_back(
    browser_server, new_page, committed_tenant
):
    tenant = committed_tenant()
    approver = tenant.users["approver"]
    page = new_page("phone")
    sign_in(page, browser_server, approver)
    portal = f"/clinics/{tenant.clinic.slug}/portal/approvals/"
    page.goto(browser_server.url(portal))
    assert page.locator("#alert-banner").count() == 1
    [cookie] = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    session = Session.objects.get(session_key=cookie["value"])
    expiry = session.expire_date

    # polls while the page is open do not push the idle timeout
    with page.expect_response(lambda r: r.url.endswith("/portal/alerts/banner/"), timeout=8000):
        pass
    assert Session.objects.get(pk=session.pk).expire_date == expiry

    # when the idle time has passed, the next poll takes the page to the sign-in page
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now())
    page.wait_for_url("**/login/?next=*", timeout=10_000)
    assert page.get_by_label("E-mail").is_visible()
    assert "alert-banner" not in page.content()
    # and signing in leads back to the page that was open
    page.get_by_label("E-mail").fill(approver.email)
    page.get_by_label("Password").fill(tenant.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{portal}", timeout=10_000)
    assert page.console_errors == []
