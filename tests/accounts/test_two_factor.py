"""Two-factor sign-in: required for agency staff (enrol, then a code at each sign-in), optional
for clinic people; backup codes; API credentials unaffected; the idle timeout."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.fixtures.browser import totp_now
from tests.fixtures.tenants import PASSWORD


def _sign_in(email: str) -> tuple[Client, object]:
    client = Client()
    response = client.post("/login/", {"username": email, "password": PASSWORD, "next": "/"})
    return client, response


def test_staff_with_a_device_must_enter_a_code_before_any_page(world, db):
    # given an agency writer with a confirmed device (the world gives staff one)
    client, response = _sign_in("writer@alpha.test")
    # then the password alone leads to the code step, keeping where they were going
    assert response.status_code == 302
    assert response["Location"] == "/account/two-factor/verify/?next=%2F"
    # and every page and session API call is held back until then
    assert client.get("/clinics/clinic-a/inbox/")["Location"].startswith(
        "/account/two-factor/verify/?next=%2Fclinics%2Fclinic-a%2Finbox%2F"
    )
    api = client.get("/clinics/clinic-a/api/v1/me/")
    assert api.status_code == 403 and api.json()["code"] == "otp_required"
    # a wrong code is refused with a message
    wrong = client.post("/account/two-factor/verify/?next=/", {"otp_token": "000000"})
    assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()
    # right after a failure even the right code waits (django-otp's back-off) ...
    device = TOTPDevice.objects.get(user=world.users["alpha_writer"])
    too_soon = client.post("/account/two-factor/verify/", {"otp_token": totp_now(device)})
    assert too_soon.status_code == 400
    # ... then the right one opens the site and goes where they were going
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=5)
    )
    ok = client.post(
        "/account/two-factor/verify/", {"otp_token": totp_now(device), "next": "/clinics/"}
    )
    assert ok.status_code == 302 and ok["Location"] == "/clinics/"
    assert client.get("/clinics/clinic-a/inbox/").status_code == 200
    assert client.get("/clinics/clinic-a/api/v1/me/").status_code == 200


def test_staff_without_a_device_must_enrol_with_a_qr_code(world, db):
    TOTPDevice.objects.filter(user=world.users["alpha_analyst"]).delete()
    client, response = _sign_in("analyst@alpha.test")
    assert response["Location"] == "/account/two-factor/setup/?next=%2F"
    assert client.get("/")["Location"] == "/account/two-factor/setup/?next=%2F"
    page = client.get("/account/two-factor/setup/?next=/")
    html = page.content.decode()
    assert "Agency staff must use two-factor sign-in." in html
    assert "<svg " in html and "<script" not in html.split("</head>")[1]
    secret = re.search(r"data-totp-secret>([A-Z2-7=]+)<", html).group(1)
    key = base64.b32decode(secret)
    # the pending device is not confirmed until a code proves the app has the key
    pending = TOTPDevice.objects.get(user=world.users["alpha_analyst"])
    assert pending.confirmed is False and pending.bin_key == key
    bad = client.post("/account/two-factor/setup/", {"otp_token": "12345a", "next": "/"})
    assert bad.status_code == 400
    assert TOTPDevice.objects.get(pk=pending.pk).confirmed is False
    good = client.post("/account/two-factor/setup/", {"otp_token": totp_now(key), "next": "/"})
    assert TOTPDevice.objects.get(pk=pending.pk).confirmed is True
    # the backup codes come at once (a lost phone without them had no way back in), with the
    # way on to where they were going
    page = good.content.decode()
    assert good.status_code == 200 and "Two-factor sign-in is on." in page
    codes = re.findall(r"<li><code>(\w+)</code></li>", page)
    assert len(codes) == 10
    assert '<a class="button" href="/">I have stored them: continue</a>' in page
    assert client.get("/").status_code == 200
    # each works once in place of the app's code
    device = StaticDevice.objects.get(user=world.users["alpha_analyst"])
    assert sorted(t.token for t in device.token_set.all()) == sorted(codes)


def test_clients_may_skip_two_factor_and_may_turn_it_on(world, db):
    client, response = _sign_in("a_approver@clinics.test")
    assert response["Location"] == "/"
    assert client.get("/clinics/clinic-a/portal/").status_code == 200
    account = client.get("/account/").content.decode()
    assert "It is optional for clinic people" in account
    html = client.get("/account/two-factor/setup/").content.decode()
    key = base64.b32decode(re.search(r"data-totp-secret>([A-Z2-7=]+)<", html).group(1))
    client.post("/account/two-factor/setup/", {"otp_token": totp_now(key)})
    # from now on their sign-in asks for a code too
    again, response = _sign_in("a_approver@clinics.test")
    assert response["Location"] == "/account/two-factor/verify/?next=%2F"
    # and they may turn it off again, with a fresh code (staff may not)
    device = TOTPDevice.objects.get(user=world.users["a_approver"])
    off = client.post("/account/two-factor/disable/", {"otp_token": totp_now(device)})
    assert off.status_code == 302
    assert not TOTPDevice.objects.filter(user=world.users["a_approver"]).exists()


def test_staff_cannot_turn_two_factor_off(world, login, db):
    client = login("alpha_owner")
    device = TOTPDevice.objects.get(user=world.users["alpha_owner"])
    refused = client.post("/account/two-factor/disable/", {"otp_token": totp_now(device)})
    assert refused.status_code == 400
    assert "Agency staff must keep two-factor sign-in on." in refused.content.decode()
    assert TOTPDevice.objects.filter(user=world.users["alpha_owner"], confirmed=True).exists()
    assert "Agency staff cannot turn it off." in client.get("/account/").content.decode()


def test_backup_codes_work_once_each(world, login, db):
    client = login("alpha_manager")
    device = TOTPDevice.objects.get(user=world.users["alpha_manager"])
    html = client.post(
        "/account/two-factor/backup-codes/", {"otp_token": totp_now(device)}
    ).content.decode()
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", html)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert StaticDevice.objects.get(user=world.users["alpha_manager"]).token_set.count() == 10
    # a new sign-in passes with one backup code; the same code does not work twice
    first, _ = _sign_in("manager@alpha.test")
    ok = first.post("/account/two-factor/verify/", {"otp_token": codes[0], "next": "/"})
    assert ok.status_code == 302 and ok["Location"] == "/"
    second, _ = _sign_in("manager@alpha.test")
    again = second.post("/account/two-factor/verify/", {"otp_token": codes[0], "next": "/"})
    assert again.status_code == 400
    assert StaticDevice.objects.get(user=world.users["alpha_manager"]).token_set.count() == 9


def test_api_keys_and_personal_tokens_need_no_second_factor(world, api, db):
    # (a personal token is obtained with the code, see tests/security; then it acts alone)
    assert api("key_alpha").get("/clinics/clinic-a/api/v1/me/").status_code == 200
    device = TOTPDevice.objects.get(user=world.users["alpha_owner"])
    token = (
        Client()
        .post(
            "/api/v1/auth/token/",
            {"email": "owner@alpha.test", "password": PASSWORD, "otp": totp_now(device)},
            content_type="application/json",
        )
        .json()["token"]
    )
    me = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/clinics/clinic-a/api/v1/me/")
    assert me.status_code == 200


def test_next_never_leaves_the_site(world, db):
    client, _ = _sign_in("writer@alpha.test")
    device = TOTPDevice.objects.get(user=world.users["alpha_writer"])
    response = client.post(
        "/account/two-factor/verify/",
        {"otp_token": totp_now(device), "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


@pytest.mark.parametrize("path", ["/account/two-factor/verify/", "/account/two-factor/setup/"])
def test_two_factor_pages_need_a_signed_in_person(path, db):
    assert Client().get(path)["Location"].startswith("/login/")


def test_two_factor_forms_need_the_csrf_token(world, db):
    client = Client(enforce_csrf_checks=True)
    client.post("/login/", {"username": "writer@alpha.test", "password": PASSWORD})
    assert client.post("/login/", {}).status_code == 403
    response = client.post("/account/two-factor/verify/", {"otp_token": "123456"})
    assert response.status_code == 403


def test_the_session_ends_after_the_idle_timeout(settings, world, db):
    from django.conf import settings as live

    assert live.SESSION_SAVE_EVERY_REQUEST is True
    assert live.SESSION_COOKIE_AGE == 30 * 60  # SESSION_IDLE_MINUTES' default
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client, _ = _sign_in("a_viewer@clinics.test")
    assert client.get("/").status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    # each request pushes the expiry forward by the idle time ...
    assert abs((session.expire_date - timezone.now()).total_seconds() - 30 * 60) < 60
    # ... and once it has passed, the session is gone: back to the login page
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now())
    assert client.get("/")["Location"].startswith("/login/")


def test_unverified_staff_reach_only_health_brand_css_the_code_step_and_sign_out(login):
    client = login("alpha_writer", otp=False)
    assert client.get("/health/").status_code in (200, 503)  # not redirected
    assert client.get("/brand/alpha.css").status_code == 200
    assert client.get("/account/two-factor/verify/").status_code == 200
    for path in ("/", "/account/", "/clinics/clinic-a/", "/clinics/clinic-a/portal/", "/admin/"):
        assert client.get(path)["Location"].startswith("/account/two-factor/verify/"), path
    assert client.post("/logout/")["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_nothing_of_the_agencys_work_shows_before_the_second_factor(world, clinic_a, db):
    from clinics.models import Notification

    # given an open incident alert for the writer
    Notification.objects.create(
        user=world.users["alpha_writer"], clinic=clinic_a, kind="incident", ref="incident:999",
        title="Critical incident: Negative surge at Clinic A", url="/clinics/clinic-a/incidents/999/",
    )  # fmt: skip
    client, _ = _sign_in("writer@alpha.test")
    # the code page shows no banner, no poller and no count in its title
    page = client.get("/account/two-factor/verify/?next=/").content.decode()
    assert "Negative surge" not in page and "Clinic A" not in page
    assert 'id="alert-banner"' not in page and "<title>(1)" not in page
    # the banner's poll answers nothing to swap in (it was redirected to the code page, which
    # htmx then pasted into the banner region: two code forms on one page)
    poll = client.get("/alerts/banner/", HTTP_HX_REQUEST="true")
    assert (poll.status_code, poll.content) == (204, b"")
    # any background (htmx) request is the same; a plain one still goes to the code step
    assert client.get("/clinics/clinic-a/inbox/", HTTP_HX_REQUEST="true").status_code == 204
    assert client.get("/alerts/banner/")["Location"].startswith("/account/two-factor/verify/")
    # once the code is given, the banner is there
    device = TOTPDevice.objects.get(user=world.users["alpha_writer"])
    client.post("/account/two-factor/verify/", {"otp_token": totp_now(device), "next": "/"})
    assert "Negative surge" in client.get("/alerts/banner/").content.decode()


def test_a_right_password_left_at_the_code_step_is_not_counted_as_a_failure(world, db):
    from accounts.models import SecurityEvent, User
    from accounts.services import MAX_FAILED_LOGINS

    writer = world.users["alpha_writer"]
    # given more sign-ins than the lockout allows, each left at the code step
    for _ in range(MAX_FAILED_LOGINS + 2):
        _, response = _sign_in("writer@alpha.test")
        assert response["Location"].startswith("/account/two-factor/verify/")
    # then nothing was counted and the account is not locked
    row = User.objects.get(pk=writer.pk)
    assert (row.failed_login_count, row.locked_until) == (0, None)
    # and the log says the password was accepted, not "signed in"
    events = list(SecurityEvent.objects.filter(actor_id=writer.pk).values_list("event", flat=True))
    assert set(events) == {"login.password"}
    # wrong codes still count, and a right password does not clear them
    client, _ = _sign_in("writer@alpha.test")
    client.post("/account/two-factor/verify/", {"otp_token": "000000"})
    client.post("/account/two-factor/verify/", {"otp_token": "000001"})
    _sign_in("writer@alpha.test")
    assert User.objects.get(pk=writer.pk).failed_login_count == 2
    # the right code clears them and is what the log calls "Signed in"
    device = TOTPDevice.objects.get(user=writer)
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=None, throttling_failure_count=0
    )
    client.post("/account/two-factor/verify/", {"otp_token": totp_now(device), "next": "/"})
    assert User.objects.get(pk=writer.pk).failed_login_count == 0
    signed_in = SecurityEvent.objects.filter(actor_id=writer.pk, event="login.succeeded").get()
    assert signed_in.detail == {"channel": "web", "second_factor": "authenticator"}


def test_a_first_enrolment_clears_the_count(world, db):
    from accounts.models import User

    TOTPDevice.objects.filter(user=world.users["alpha_analyst"]).delete()
    User.objects.filter(pk=world.users["alpha_analyst"].pk).update(failed_login_count=3)
    client, _ = _sign_in("analyst@alpha.test")
    html = client.get("/account/two-factor/setup/?next=/").content.decode()
    key = base64.b32decode(re.search(r"data-totp-secret>([A-Z2-7=]+)<", html).group(1))
    client.post("/account/two-factor/setup/", {"otp_token": totp_now(key), "next": "/"})
    assert User.objects.get(pk=world.users["alpha_analyst"].pk).failed_login_count == 0
