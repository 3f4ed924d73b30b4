"""Finding 1 (critical): a half-signed-in session (password done, second factor not yet) could
POST /account/two-factor/backup-codes/, get 10 fresh codes, pass the code step with one and
reach agency settings. It may now only verify (or enrol, without a device)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.fixtures.browser import totp_now
from tests.fixtures.tenants import PASSWORD


def _password_only(email: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": email, "password": PASSWORD})
    assert response["Location"].startswith("/account/two-factor/verify/")
    return client


@pytest.mark.parametrize(
    "path", ["/account/two-factor/backup-codes/", "/account/two-factor/disable/"]
)
def test_half_signed_in_session_cannot_mint_backup_codes_or_disable(world, db, path):
    # given an agency owner who typed only the password
    client = _password_only("owner@alpha.test")
    device = TOTPDevice.objects.get(user=world.users["alpha_owner"])
    # when the session asks for backup codes (even with a guessed code)
    response = client.post(path, {"otp_token": "123456"})
    # then it is sent to the code step, and nothing was created or removed
    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/verify/")
    assert not StaticDevice.objects.filter(user=world.users["alpha_owner"]).exists()
    assert TOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()
    # and agency settings stay out of reach
    assert client.get("/agency/settings/")["Location"].startswith("/account/two-factor/verify/")


def test_the_old_bypass_no_longer_reaches_agency_settings(world, db):
    client = _password_only("owner@alpha.test")
    html = client.post("/account/two-factor/backup-codes/").content.decode()
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", html)
    assert codes == []
    assert client.get("/agency/settings/").status_code == 302


def test_setup_page_of_someone_with_a_device_sends_a_half_signed_in_session_to_verify(world, db):
    client = _password_only("owner@alpha.test")
    assert client.get("/account/two-factor/setup/")["Location"].startswith(
        "/account/two-factor/verify/"
    )
    assert client.post("/account/two-factor/setup/", {"otp_token": "123456"})[
        "Location"
    ].startswith("/account/two-factor/verify/")


def test_enrolment_stays_open_to_staff_without_a_device(world, db):
    TOTPDevice.objects.filter(user=world.users["alpha_analyst"]).delete()
    client = Client()
    client.post("/login/", {"username": "analyst@alpha.test", "password": PASSWORD})
    assert client.get("/account/two-factor/setup/").status_code == 200
    # but not backup codes
    response = client.post("/account/two-factor/backup-codes/")
    assert response.status_code == 302
    assert not StaticDevice.objects.filter(user=world.users["alpha_analyst"]).exists()


def test_verified_session_needs_a_fresh_code_for_backup_codes(world, login, db):
    client = login("alpha_manager")
    user = world.users["alpha_manager"]
    missing = client.post("/account/two-factor/backup-codes/", {})
    assert missing.status_code == 400 and "This field is required." in missing.content.decode()
    wrong = client.post("/account/two-factor/backup-codes/", {"otp_token": "000000"})
    assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()
    assert not StaticToken.objects.filter(device__user=user).exists()
    device = TOTPDevice.objects.get(user=user)
    device.throttle_reset()
    ok = client.post("/account/two-factor/backup-codes/", {"otp_token": totp_now(device)})
    assert ok.status_code == 200
    assert StaticToken.objects.filter(device__user=user).count() == 10


def test_moving_two_factor_to_another_app_needs_the_current_code(world, login, db):
    import base64

    client = login("alpha_writer")
    user = world.users["alpha_writer"]
    old = TOTPDevice.objects.get(user=user, confirmed=True)
    html = client.get("/account/two-factor/setup/").content.decode()
    key = base64.b32decode(re.search(r"data-totp-secret>([A-Z2-7=]+)<", html).group(1))
    # the new app's code alone is not enough
    refused = client.post("/account/two-factor/setup/", {"otp_token": totp_now(key)})
    assert refused.status_code == 400
    assert TOTPDevice.objects.filter(pk=old.pk, confirmed=True).exists()
    # with the current app's code too, the device is replaced
    ok = client.post(
        "/account/two-factor/setup/",
        {"otp_token": totp_now(key, offset=1), "current_otp_token": totp_now(old)},
    )
    assert ok.status_code == 302
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert TOTPDevice.objects.get(user=user, confirmed=True).bin_key == key
