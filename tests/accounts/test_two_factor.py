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
    assert good.status_code == 302 and good["Location"] == "/"
    assert TOTPDevice.objects.get(pk=pending.pk).confirmed is True
    assert client.get("/").status_code == 200


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
