"""Signing in, in a real Chromium: staff enrol TOTP (QR code page) and pass the code step;
password reset end to end through the server's e-mail; the lockout after five wrong passwords.
axe-core on each page; screenshots."""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from tests.fixtures.browser import screenshot, serious_violations, sign_in, totp_now

pytestmark = pytest.mark.browser


def _fill_login(page, server, email, password):
    page.goto(server.url("/login/"))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_staff_enrol_totp_then_need_a_code_at_each_sign_in(
    browser_server, new_page, committed_tenant
):
    tenant = committed_tenant()
    owner = tenant.users["owner"]
    TOTPDevice.objects.filter(user=owner).delete()  # a new member of staff: no device yet
    clinic_page = browser_server.url(f"/clinics/{tenant.clinic.slug}/")
    page = new_page("desktop")

    # the password alone leads to the enrolment page, wherever they were going
    page.goto(clinic_page)
    assert "/login/" in page.url
    page.get_by_label("E-mail").fill(owner.email)
    page.get_by_label("Password").fill(tenant.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/account/two-factor/setup/**")
    assert page.get_by_text("Agency staff must use two-factor sign-in.").is_visible()
    assert page.get_by_role("img", name="QR code for your authenticator app").is_visible()
    assert serious_violations(page) == []
    assert page.console_errors == []
    screenshot(page, "two-factor-setup")
    # any other page sends them back here
    page.goto(clinic_page)
    assert "/account/two-factor/setup/" in page.url

    # a wrong code is refused, the right one (from the key on the page) turns it on
    secret = page.locator("#totp-secret").inner_text()
    key = base64.b32decode(secret)
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    assert page.get_by_role("alert").inner_text().startswith("That code is not right.")
    assert page.console_errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]  # the refused code's page answers 400, as every refused input does
    page.console_errors.clear()
    page.get_by_label("Code from your authenticator app").fill(totp_now(key))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    # then the backup codes, shown once, and the way on to where they were going
    page.get_by_role("heading", name="Your backup codes").wait_for()
    assert page.locator("ul.codes li").count() == 10
    assert serious_violations(page) == []
    screenshot(page, "two-factor-backup-codes")
    page.get_by_role("link", name="I have stored them: continue").click()
    page.wait_for_url(clinic_page)
    assert TOTPDevice.objects.get(user=owner).confirmed is True

    # signing in again asks for the code
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    _fill_login(page, browser_server, owner.email, tenant.password)
    assert "/account/two-factor/verify/" in page.url
    assert serious_violations(page) == []
    screenshot(page, "two-factor-verify")
    page.get_by_label("Code from your authenticator app").fill(
        totp_now(TOTPDevice.objects.get(user=owner))
    )
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(browser_server.url("/agency/"))  # staff land on the dashboard
    assert page.goto(clinic_page).status == 200

    # the account page, and backup codes
    page.goto(browser_server.url("/account/"))
    assert page.get_by_text("Agency staff cannot turn it off.").is_visible()
    assert serious_violations(page) == []
    # (a fresh code: re-authentication)
    page.locator("#backup-otp").fill(totp_now(TOTPDevice.objects.get(user=owner)))
    page.get_by_role("button", name="Create new backup codes").click()
    page.get_by_role("heading", name="Your backup codes").wait_for()  # the new page, not this
    codes = page.locator("ul.codes code").all_inner_texts()
    assert len(codes) == 10
    screenshot(page, "two-factor-backup-codes")
    assert page.console_errors == []


def test_clients_sign_in_with_a_password_only_and_the_harness_signs_staff_in(
    browser_server, new_page, committed_tenant
):
    tenant = committed_tenant()
    client_page = new_page("phone")
    sign_in(client_page, browser_server, tenant.users["viewer"])
    # a person of one clinic lands in its portal
    assert client_page.url == browser_server.url(f"/clinics/{tenant.clinic.slug}/portal/")
    staff_page = new_page("desktop")
    sign_in(staff_page, browser_server, tenant.users["writer"], totp=tenant.devices["writer"])
    assert staff_page.url == browser_server.url("/agency/")  # the agency dashboard
    assert staff_page.goto(browser_server.url(f"/clinics/{tenant.clinic.slug}/")).status == 200


def test_password_reset_end_to_end(browser_server, new_page, committed_tenant):
    tenant = committed_tenant()
    person = tenant.users["approver"]
    page = new_page("phone")
    page.goto(browser_server.url("/login/"))
    page.get_by_role("link", name="Forgot your password?").click()
    assert serious_violations(page) == []
    screenshot(page, "password-reset")
    page.get_by_label("E-mail").fill(person.email.upper())
    page.get_by_role("button", name="Send the reset link").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()  # the next page
    # an unknown address gets exactly the same page, and no mail
    page.goto(browser_server.url("/password-reset/"))
    page.get_by_label("E-mail").fill("nobody-at-all@clinic.test")
    page.get_by_role("button", name="Send the reset link").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()  # the next page
    assert browser_server.mails(to="nobody-at-all@clinic.test") == []

    mails = browser_server.mails(to=person.email)
    assert len(mails) == 1 and mails[0]["Subject"] == f"Reset your {tenant.agency.name} password"
    body = mails[0].get_payload(decode=True).decode()
    link = re.search(r"(http://127\.0\.0\.1:\d+/password-reset/\S+/\S+/)", body).group(1)
    assert link.startswith(browser_server.base_url)
    page.goto(link)
    assert page.get_by_role("heading", name="Set a new password").is_visible()
    assert serious_violations(page) == []
    screenshot(page, "password-reset-new")
    page.get_by_label("New password", exact=True).fill("password")
    page.get_by_label("New password again").fill("password")
    page.get_by_role("button", name="Set the new password").click()
    assert "too common" in page.get_by_role("alert").first.inner_text()
    page.get_by_label("New password", exact=True).fill("blue harbour lantern 7")
    page.get_by_label("New password again").fill("blue harbour lantern 7")
    page.get_by_role("button", name="Set the new password").click()
    # signed in with it at once (no second factor for a clinic's people), in the portal
    page.wait_for_load_state()
    assert page.url == browser_server.url(f"/clinics/{tenant.clinic.slug}/portal/")
    assert page.get_by_text(
        f"Your password is changed: you are signed in as {person.email}."
    ).is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    # the link is spent; the new password works
    page.goto(link)
    assert page.get_by_role("alert").inner_text().startswith("This link does not work")
    sign_in(page, browser_server, person, password="blue harbour lantern 7")
    assert page.url == browser_server.url(f"/clinics/{tenant.clinic.slug}/portal/")
    assert page.console_errors == []


def test_five_wrong_passwords_lock_the_account(browser_server, new_page, committed_tenant):
    tenant = committed_tenant()
    person = tenant.users["viewer"]
    page = new_page("phone")
    for _ in range(5):
        _fill_login(page, browser_server, person.email, "not the password")
        assert page.get_by_role("alert").inner_text().startswith("E-mail or password is wrong")
    assert serious_violations(page) == []
    screenshot(page, "login-refused")
    person.refresh_from_db()
    assert person.locked_until is not None
    # now even the right password is refused, with the same message
    _fill_login(page, browser_server, person.email, tenant.password)
    assert "/login/" in page.url
    assert page.get_by_role("alert").inner_text().startswith("E-mail or password is wrong")
    # until the lock has passed
    User.objects.filter(pk=person.pk).update(locked_until=None)
    _fill_login(page, browser_server, person.email, tenant.password)
    assert page.url == browser_server.url(f"/clinics/{tenant.clinic.slug}/portal/")
