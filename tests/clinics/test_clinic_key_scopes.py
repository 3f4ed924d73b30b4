"""A clinic key has no approve scope (walk 11 F1): its `approve` stands for the clinic's own
approval step, which a key created by the agency's staff never gives, so `POST api-keys/` and
the clinic's API-keys page refuse it with what to use instead; keys made before keep theirs
(what they can do with it is asserted here)."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.actors import Actor
from accounts.credentials import api_key_create
from accounts.models import ApiKey, SecurityEvent
from clinics.access import CLINIC_KEY_NO_APPROVE, clinic_access
from clinics.services import clinic_api_key_create
from core.errors import ValidationFailed
from core.permissions import Permission

pytestmark = pytest.mark.django_db
KEYS = "/clinics/clinic-a/api/v1/api-keys/"


def _nothing_issued() -> bool:
    return (
        not ApiKey.objects.filter(name="x").exists()
        and not SecurityEvent.objects.filter(event="api_key.issued", detail__name="x").exists()
    )


@pytest.mark.parametrize("scopes", [["approve"], ["read", "approve"], ["read", "write", "approve"]])
@pytest.mark.parametrize("who", ["alpha_owner", "alpha_manager"])
def test_the_api_refuses_approve_on_a_clinic_key_and_says_what_to_use(login, world, who, scopes):
    answer = login(who).post(KEYS, {"name": "x", "scopes": scopes}, content_type="application/json")

    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "invalid"
    assert answer.json()["fields"] == {"scopes": [CLINIC_KEY_NO_APPROVE]}
    assert "in the portal or with their personal token" in CLINIC_KEY_NO_APPROVE
    assert _nothing_issued()


def test_read_and_write_are_still_given(login, world):
    answer = login("alpha_manager").post(
        KEYS, {"name": "x", "scopes": ["read", "write"]}, content_type="application/json"
    )

    assert answer.status_code == 201, answer.content
    assert answer.json()["scopes"] == ["read", "write"]


def test_an_agency_key_still_takes_approve(login, world):
    answer = login("alpha_manager").post(
        "/api/v1/api-keys/", {"name": "x", "scopes": ["approve"]}, content_type="application/json"
    )

    assert answer.status_code == 201, answer.content
    assert answer.json()["scopes"] == ["approve"]


def test_the_page_refuses_approve_too(login, world):
    answer = login("alpha_manager").post(
        "/clinics/clinic-a/settings/api-keys/",
        {"action": "create", "name": "x", "scopes": ["read", "approve"]},
    )

    assert answer.status_code == 400
    assert _nothing_issued()


@pytest.mark.parametrize("creator", ["alpha_manager", "alpha_owner", None])
def test_the_service_never_gives_approve_to_a_clinic_key(world, creator):
    clinic = world.clinics["a"]
    user = world.users[creator] if creator else None

    with pytest.raises(ValidationFailed) as refused:
        clinic_api_key_create(clinic=clinic, name="x", scopes=["approve"], created_by=user)

    assert refused.value.fields == {"scopes": [CLINIC_KEY_NO_APPROVE]}
    assert _nothing_issued()


@pytest.mark.parametrize("who", ["a_approver", "a_viewer"])
def test_the_clinics_own_people_create_no_clinic_keys(login, world, who):
    # a clinic key is created only by those who manage the clinic (the agency's owners and
    # managers), so no key created that way ever speaks for the clinic
    answer = login(who).post(
        KEYS, {"name": "x", "scopes": ["read"]}, content_type="application/json"
    )

    assert answer.status_code == 403, answer.content
    assert not clinic_access(Actor(user=world.users[who]), world.clinics["a"]).can(
        Permission.MANAGE
    )
    assert _nothing_issued()


def test_a_key_made_before_keeps_approve_which_reads_the_log_and_gives_no_step(world):
    # given a clinic key with approve that a manager created before the rule (made with the
    # service below the rule, as such keys were)
    clinic = world.clinics["a"]
    key, issued = api_key_create(
        agency=clinic.agency, clinic=clinic, name="old", scopes=["approve"],
        created_by=world.users["alpha_manager"],
    )  # fmt: skip

    access = clinic_access(Actor(api_key=key), clinic)

    # then it reads, reads the approvals log, and speaks for nobody: the client step it seems
    # to hold is refused by separation of duties (tests/security, the f5 matrix)
    assert access.permissions == {
        Permission.VIEW, Permission.APPROVE_CLIENT, Permission.APPROVALS_LOG
    }  # fmt: skip
    assert not access.speaks_for_the_clinic and not access.is_clinic_side
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert client.get("/clinics/clinic-a/api/v1/approvals-log/").status_code == 200
