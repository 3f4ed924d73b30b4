"""Security matrix (walk 9 #2, #5, #6, #19): what still works after a person is removed from
the agency or has their two-factor sign-in reset — each credential they held, each way."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.credentials import api_key_create
from accounts.services import user_token_issue
from agency.models import AgencyMembership
from clinics.models import OnCall

STAFF = "/agency/settings/people/"


def _act(login, world, event: str, *, revoke_keys: bool):
    membership = AgencyMembership.objects.get(user=world.users["alpha_writer"])
    data = {"membership": membership.pk, "confirm": "yes"}
    if event == "removal":
        data["action"] = "remove"
        if revoke_keys:
            data["revoke_keys"] = "yes"
    else:
        data["action"] = "reset_two_factor"
    assert login("alpha_owner").post(STAFF, data).status_code == 302


@pytest.mark.parametrize(
    ("event", "revoke_keys", "session", "token", "key", "on_call"),
    [
        # removal: no session, no token, no on-call slot; the key as the owner chose
        ("removal", True, "signed out", 401, 401, False),
        ("removal", False, "signed out", 401, 200, False),
        # a lost phone: every session and token ends; the person stays staff (and on call),
        # and keys belong to integrations, untouched
        ("two_factor_reset", False, "signed out", 401, 200, True),
    ],
    ids=["removal-keys-revoked", "removal-keys-kept", "two-factor-reset"],
)
def test_what_works_afterwards(login, world, event, revoke_keys, session, token, key, on_call):
    writer = world.users["alpha_writer"]
    browser = login("alpha_writer")
    _, personal = user_token_issue(user=writer, name="script")
    _, agency_key = api_key_create(
        agency=world.agencies["alpha"], name="writer key", scopes=["read"], created_by=writer
    )
    OnCall.objects.create(clinic=world.clinics["a"], user=writer, position=0)
    _act(login, world, event, revoke_keys=revoke_keys)
    answer = browser.get("/agency/")
    assert answer.status_code == 302 and answer["Location"].startswith("/login/"), session
    me = "/clinics/clinic-a/api/v1/me/"
    assert Client(HTTP_AUTHORIZATION=f"Bearer {personal.secret}").get(me).status_code == token
    assert Client(HTTP_AUTHORIZATION=f"Bearer {agency_key.secret}").get(me).status_code == key
    assert OnCall.objects.filter(user=writer).exists() is on_call
