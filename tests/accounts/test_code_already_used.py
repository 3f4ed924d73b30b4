"""Signing in on a second device within the same 30-s code window: the code step (and a
re-authentication form) says the code was already used and to wait for the next one, as the
API token endpoint does, rather than "not right"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.services import OTP_ALREADY_USED
from tests.fixtures.browser import totp_now
from tests.fixtures.tenants import PASSWORD

pytestmark = pytest.mark.django_db

VERIFY = "/account/two-factor/verify/"


def _at_code_step(email: str) -> Client:
    client = Client()
    signed = client.post("/login/", {"username": email, "password": PASSWORD, "next": "/"})
    assert signed["Location"].startswith(VERIFY)
    return client


def _unthrottle(device) -> None:
    # django-otp's back-off after a refused code: the next try here is not a guess
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)


def test_the_code_a_first_device_used_is_already_used_on_the_second(world):
    device = TOTPDevice.objects.get(user=world.users["alpha_writer"])
    laptop = _at_code_step("writer@alpha.test")
    code = totp_now(device)
    assert laptop.post(VERIFY, {"otp_token": code, "next": "/"}).status_code == 302

    phone = _at_code_step("writer@alpha.test")
    refused = phone.post(VERIFY, {"otp_token": code, "next": "/"})

    assert refused.status_code == 400
    html = refused.content.decode()
    assert "That code was already used: wait for the next code of your app" in html
    assert "not right" not in html
    # a code that is simply wrong still says so
    _unthrottle(device)
    wrong = phone.post(VERIFY, {"otp_token": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()
    # and the next code opens the site
    _unthrottle(device)
    ok = phone.post(VERIFY, {"otp_token": totp_now(device), "next": "/clinics/"})
    assert ok.status_code == 302 and ok["Location"] == "/clinics/"


def test_a_locked_account_is_not_told_to_wait_for_the_next_code(world):
    device = TOTPDevice.objects.get(user=world.users["alpha_writer"])
    laptop = _at_code_step("writer@alpha.test")
    code = totp_now(device)
    assert laptop.post(VERIFY, {"otp_token": code}).status_code == 302
    phone = _at_code_step("writer@alpha.test")
    User.objects.filter(pk=world.users["alpha_writer"].pk).update(
        locked_until=timezone.now() + timedelta(minutes=15)
    )

    refused = phone.post(VERIFY, {"otp_token": code})

    assert refused.status_code == 400
    html = refused.content.decode()
    assert "That code is not right" in html and "already used" not in html


def test_a_reauthentication_with_the_code_just_used_says_to_wait(world):
    device = TOTPDevice.objects.get(user=world.users["alpha_writer"])
    client = _at_code_step("writer@alpha.test")
    code = totp_now(device)
    assert client.post(VERIFY, {"otp_token": code}).status_code == 302

    refused = client.post("/account/two-factor/backup-codes/", {"otp_token": code})

    assert refused.status_code == 400
    assert OTP_ALREADY_USED in refused.content.decode().replace("&#x27;", "'")
