"""Walk 14 #1/#2: the token API told staff with no authenticator yet that their code "is not
right" (and counted it towards the lockout), called a code used a moment ago "not right", and
its 401s had no `WWW-Authenticate` header, unlike every other 401."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import PersonalToken, User
from tests.fixtures.browser import totp_now
from tests.fixtures.tenants import PASSWORD

URL = "/api/v1/auth/token/"


def _post(body: dict):
    return Client().post(URL, body, content_type="application/json")


@pytest.mark.parametrize("otp", [None, "123456"], ids=["no-code", "any-code"])
def test_staff_without_an_authenticator_are_told_to_set_one_up_on_the_web(world, db, otp):
    # given an agency person who never set up an authenticator
    user = world.users["alpha_analyst"]
    TOTPDevice.objects.filter(user=user).delete()
    body = {"email": "analyst@alpha.test", "password": PASSWORD}
    if otp:
        body["otp"] = otp
    # when
    response = _post(body)
    # then
    setup = f"{settings.PUBLIC_BASE_URL}/account/two-factor/setup/"
    assert response.status_code == 403
    assert response.json() == {
        "detail": f"Set up two-factor sign-in on the web first: {setup} (sign in there, add an "
        "authenticator app), then send its current code as otp.",
        "code": "otp_not_set_up",
        "fields": {"otp": [f"You have no authenticator app yet: set one up at {setup}."]},
    }
    assert User.objects.get(pk=user.pk).failed_login_count == 0  # the password was right
    assert not PersonalToken.objects.filter(user=user).exists()


def test_a_wrong_password_learns_nothing_about_the_authenticator(world, db):
    user = world.users["alpha_analyst"]
    TOTPDevice.objects.filter(user=user).delete()
    response = _post({"email": "analyst@alpha.test", "password": "nope", "otp": "123456"})
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"
    assert User.objects.get(pk=user.pk).failed_login_count == 1


def test_a_code_already_used_says_wait_for_the_next_one(world, db):
    # given a token just obtained with the current code
    user = world.users["alpha_owner"]
    device = TOTPDevice.objects.get(user=user)
    code = totp_now(device)
    assert (
        _post({"email": "owner@alpha.test", "password": PASSWORD, "otp": code}).status_code == 201
    )
    # when the same code is sent again within its window
    again = _post({"email": "owner@alpha.test", "password": PASSWORD, "otp": code})
    # then
    assert again.status_code == 401
    assert again.json()["code"] == "otp_invalid"
    assert again.json()["fields"] == {"otp": ["Already used: wait for the next code of your app."]}
    assert User.objects.get(pk=user.pk).failed_login_count == 1  # still counted
    assert PersonalToken.objects.filter(user=user).count() == 1


def test_a_wrong_code_is_still_not_right(world, db):
    response = _post({"email": "owner@alpha.test", "password": PASSWORD, "otp": "000000"})
    assert response.json()["fields"] == {"otp": ["That code is not right. Enter the current code."]}


@pytest.mark.parametrize(
    "body",
    [
        {"email": "owner@alpha.test", "password": "nope"},
        {"email": "owner@alpha.test", "password": PASSWORD, "otp": "000000"},
    ],
    ids=["wrong-password", "wrong-code"],
)
def test_the_token_apis_401s_carry_www_authenticate(world, db, body):
    response = _post(body)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
