"""Key lists say who created each key (walk 9 #6); rotating issues the new secret to the
person rotating, who becomes its creator (#8); agency keys rotate through the API as clinic
keys do (#9)."""

from __future__ import annotations

from accounts.credentials import api_key_create
from accounts.models import ApiKey, SecurityEvent


def _key(world, name="Nina agency key", clinic=None, by="alpha_manager"):
    key, _ = api_key_create(
        agency=world.agencies["alpha"],
        clinic=world.clinics[clinic] if clinic else None,
        name=name,
        scopes=["read"],
        created_by=world.users[by],
    )
    return key


def test_rotating_on_the_page_issues_the_new_secret_to_the_rotating_owner(login, world):
    key = _key(world)
    owner = world.users["alpha_owner"]
    login("alpha_owner").post("/agency/settings/api-keys/", {"action": "rotate", "key": key.pk})
    key.refresh_from_db()
    new = key.replaced_by
    assert new.created_by == owner
    issued = SecurityEvent.objects.filter(event="api_key.issued").latest("pk")
    assert issued.actor_id == owner.pk and issued.actor_email == "owner@alpha.test"
    assert issued.detail["rotated_from"] == key.prefix
    page = login("alpha_owner").get("/agency/settings/api-keys/").content.decode()
    assert f'<td data-created-by="{new.prefix}">Alpha Owner</td>' in page


def test_the_agency_key_rotates_through_the_api(login, world):
    key = _key(world)
    answer = login("alpha_owner").post(
        f"/api/v1/api-keys/{key.pk}/rotate/", {"grace": "24h"}, content_type="application/json"
    )
    assert answer.status_code == 201
    body = answer.json()
    assert body["secret"].startswith("cwk_") and body["name"] == "Nina agency key"
    assert body["created_by_name"] == "Alpha Owner" and body["created_by_has_left"] is False
    key.refresh_from_db()
    assert key.replaced_by_id == body["id"] and key.retiring  # its grace period: 24 hours
    # rotated already: 409; one that stopped: 409 too, saying why; a clinic key is not an
    # agency key: 404
    again = login("alpha_owner").post(f"/api/v1/api-keys/{key.pk}/rotate/")
    assert again.status_code == 409 and again.json()["code"] == "already_rotated"
    assert login("alpha_owner").post(f"/api/v1/api-keys/{body['id']}/revoke/").status_code == 200
    stopped = login("alpha_owner").post(f"/api/v1/api-keys/{key.pk}/rotate/")
    assert stopped.status_code == 409 and stopped.json()["code"] == "already_revoked"
    assert "the keys that replaced it are revoked too" in stopped.json()["detail"]
    clinic_key = _key(world, name="clinic one", clinic="a")
    assert login("alpha_owner").post(f"/api/v1/api-keys/{clinic_key.pk}/rotate/").status_code == 404
    # the clinic key's rotate records the rotating person too
    rotated = login("alpha_owner").post(
        f"/clinics/clinic-a/api/v1/api-keys/{clinic_key.pk}/rotate/"
    )
    assert rotated.status_code == 201 and rotated.json()["created_by_name"] == "Alpha Owner"
    assert ApiKey.objects.get(pk=rotated.json()["id"]).created_by == world.users["alpha_owner"]


def test_lists_show_the_creator_and_whether_they_left(login, world):
    _key(world, name="Manager clinic key", clinic="a")
    listed = login("alpha_owner").get("/clinics/clinic-a/api/v1/api-keys/").json()["results"]
    row = next(k for k in listed if k["name"] == "Manager clinic key")
    assert row["created_by_id"] == world.users["alpha_manager"].pk
    assert (row["created_by_name"], row["created_by_has_left"]) == ("Alpha Manager", False)
    # the world's keys were made by nobody known: said as such
    unknown = next(k for k in listed if k["name"] == "key_a")
    assert (unknown["created_by_name"], unknown["created_by_has_left"]) == (None, True)
    page = login("alpha_owner").get("/clinics/clinic-a/settings/api-keys/").content.decode()
    assert "Created by" in page and ">Alpha Manager</td>" in page


def test_the_clinic_key_form_offers_no_approve_scope_to_staff(login):
    page = login("alpha_owner").get("/clinics/clinic-a/settings/api-keys/").content.decode()
    assert 'value="approve"' not in page
    assert "in the portal or with their personal token, never by a key created here" in page
    refused = login("alpha_owner").post(
        "/clinics/clinic-a/settings/api-keys/",
        {"action": "create", "name": "Approve bot", "scopes": ["read", "approve"]},
    )
    assert refused.status_code == 400
    assert not ApiKey.objects.filter(name="Approve bot").exists()
    # the agency's page still offers it: an agency key's approve is the agency's step
    agency_page = login("alpha_owner").get("/agency/settings/api-keys/").content.decode()
    assert 'value="approve"' in agency_page
