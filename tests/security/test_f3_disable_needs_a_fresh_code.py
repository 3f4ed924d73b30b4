"""Finding 3: a clinic person's two-factor could be switched off with the password alone.
It now needs a fully verified session and a fresh code in the same request."""

from __future__ import annotations

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.fixtures.browser import totp_now
from tests.fixtures.tenants import PASSWORD


def _clinic_person_with_two_factor(world):
    user = world.users["a_viewer"]
    return user, TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def test_password_only_session_cannot_disable(world, db):
    user, device = _clinic_person_with_two_factor(world)
    client = Client()
    client.post("/login/", {"username": "a_viewer@clinics.test", "password": PASSWORD})
    response = client.post("/account/two-factor/disable/", {"otp_token": "123456"})
    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/verify/")
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_verified_session_without_or_with_a_wrong_code_cannot_disable(world, login, db):
    user, device = _clinic_person_with_two_factor(world)
    client = login("a_viewer")
    missing = client.post("/account/two-factor/disable/")
    assert missing.status_code == 400
    assert "This field is required." in missing.content.decode()
    wrong = client.post("/account/two-factor/disable/", {"otp_token": "000000"})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_verified_session_with_a_fresh_code_disables(world, login, db):
    user, device = _clinic_person_with_two_factor(world)
    client = login("a_viewer")
    response = client.post("/account/two-factor/disable/", {"otp_token": totp_now(device)})
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert not TOTPDevice.objects.filter(user=user).exists()
