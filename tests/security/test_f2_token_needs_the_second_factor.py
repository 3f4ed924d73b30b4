"""Finding 2: POST /api/v1/auth/token/ gave a 30-day token for e-mail and password alone, even
to people with an authenticator (or staff, who must have one). They now also send `otp`."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import PersonalToken, User
from tests.fixtures.browser import totp_now
from tests.fixtures.tenants import PASSWORD

URL = "/api/v1/auth/token/"


def _post(body: dict):
    return Client().post(URL, body, content_type="application/json")


@pytest.mark.parametrize("email", ["owner@alpha.test", "writer@alpha.test"])
def test_staff_without_otp_get_400_with_an_otp_field_message(world, db, email):
    before = PersonalToken.objects.count()
    response = _post({"email": email, "password": PASSWORD})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "otp_required" and list(body["fields"]) == ["otp"]
    assert PersonalToken.objects.count() == before


def test_staff_without_a_device_yet_are_refused_too(world, db):
    TOTPDevice.objects.filter(user=world.users["alpha_analyst"]).delete()
    response = _post({"email": "analyst@alpha.test", "password": PASSWORD, "otp": "123456"})
    assert response.status_code == 403 and response.json()["code"] == "otp_not_set_up"
    assert not PersonalToken.objects.filter(user=world.users["alpha_analyst"]).exists()


def test_wrong_otp_is_401_and_counts_towards_the_lockout(world, db):
    user = world.users["alpha_writer"]
    response = _post({"email": "writer@alpha.test", "password": PASSWORD, "otp": "000000"})
    assert response.status_code == 401
    assert response.json()["code"] == "otp_invalid" and "otp" in response.json()["fields"]
    assert User.objects.get(pk=user.pk).failed_login_count == 1
    assert not PersonalToken.objects.filter(user=user).exists()


def test_five_wrong_codes_lock_the_account_even_with_the_right_password(world, db):
    user = world.users["alpha_writer"]
    device = TOTPDevice.objects.get(user=user)
    for _ in range(5):
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
        _post({"email": "writer@alpha.test", "password": PASSWORD, "otp": "000000"})
    assert User.objects.get(pk=user.pk).locked_until is not None
    device.refresh_from_db()
    device.throttle_reset()
    refused = _post({"email": "writer@alpha.test", "password": PASSWORD, "otp": totp_now(device)})
    assert refused.status_code == 401
    assert not PersonalToken.objects.filter(user=user).exists()


def test_current_code_or_backup_code_gives_a_token(world, db):
    user = world.users["alpha_owner"]
    device = TOTPDevice.objects.get(user=user)
    ok = _post({"email": "owner@alpha.test", "password": PASSWORD, "otp": totp_now(device)})
    assert ok.status_code == 201 and ok.json()["token"].startswith("cwt_")
    backup = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    StaticToken.objects.create(device=backup, token="abcd1234")
    ok = _post({"email": "owner@alpha.test", "password": PASSWORD, "otp": "abcd1234"})
    assert ok.status_code == 201
    assert not StaticToken.objects.filter(device=backup).exists()  # used up


def test_clinic_person_with_an_authenticator_needs_the_code(world, db):
    device = TOTPDevice.objects.create(user=world.users["a_legal"], name="p", confirmed=True)
    missing = _post({"email": "a_legal@clinics.test", "password": PASSWORD})
    assert missing.status_code == 400 and missing.json()["code"] == "otp_required"
    ok = _post({"email": "a_legal@clinics.test", "password": PASSWORD, "otp": totp_now(device)})
    assert ok.status_code == 201


def test_clinic_person_without_two_factor_needs_no_code(world, db):
    assert _post({"email": "b_approver@clinics.test", "password": PASSWORD}).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"email": "owner@alpha.test", "password": PASSWORD, "otp": "1" * 40},
        {"email": "owner@alpha.test", "password": PASSWORD, "otp": ["x"]},
        {"email": "owner@alpha.test", "password": PASSWORD, "otp": {"a": 1}},
    ],
    ids=["too-long", "list", "object"],
)
def test_malformed_otp_is_400_with_a_field_message(world, db, body):
    response = _post(body)
    assert response.status_code == 400 and "otp" in response.json()["fields"]


def test_wrong_password_with_any_otp_is_the_same_401(world, db):
    response = _post({"email": "owner@alpha.test", "password": "nope", "otp": "123456"})
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"
