"""Each role sees exactly what it may: permissions per role, API key scopes, credentials."""

import hashlib

import pytest

from accounts.models import ApiKey


@pytest.mark.parametrize(
    ("person", "permissions", "agency_role", "clinic_role"),
    [
        ("alpha_owner", ["approve_agency", "manage", "view", "write"], "owner", None),
        ("alpha_manager", ["approve_agency", "manage", "view", "write"], "manager", None),
        ("alpha_writer", ["view", "write"], "writer", None),
        ("alpha_analyst", ["view"], "analyst", None),
        ("a_approver", ["approve_client", "view"], None, "approver"),
        ("a_viewer", ["view"], None, "viewer"),
        ("a_legal", ["legal_override", "view"], None, "viewer"),
    ],
)
def test_each_role_gets_exactly_its_permissions(
    person, permissions, agency_role, clinic_role, login
):
    body = login(person).get("/clinics/clinic-a/api/v1/me/").json()
    assert body["permissions"] == permissions
    assert body["agency_role"] == agency_role
    assert body["clinic_role"] == clinic_role


@pytest.mark.parametrize(
    ("key", "permissions"),
    [("key_a", ["view", "write"]), ("key_a_read", ["view"]), ("key_alpha", ["view", "write"])],
)
def test_api_key_scopes_map_to_permissions(key, permissions, api):
    assert api(key).get("/clinics/clinic-a/api/v1/me/").json()["permissions"] == permissions


def test_clinic_people_see_the_people_list_only_if_they_manage(login):
    page = login("alpha_manager").get("/clinics/clinic-a/").content.decode()
    assert "Clinic people" in page and "a_viewer@clinics.test" in page
    page = login("a_viewer").get("/clinics/clinic-a/").content.decode()
    assert "Clinic people" not in page and "a_viewer@clinics.test" not in page


def test_manager_creates_a_key_whose_secret_is_shown_once_and_stored_hashed(login, api):
    client = login("alpha_manager")
    # when
    response = client.post(
        "/clinics/clinic-a/api/v1/api-keys/",
        {"name": "CRM sync", "scopes": ["read"]},
        content_type="application/json",
    )
    # then
    assert response.status_code == 201
    secret = response.json()["secret"]
    key = ApiKey.objects.get(pk=response.json()["id"])
    assert key.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (key.digest, key.prefix, key.name)
    listed = client.get("/clinics/clinic-a/api/v1/api-keys/").json()["results"]
    assert all("secret" not in row for row in listed)
    assert any(row["id"] == key.id for row in listed)
    # and the key works on its clinic, and only there
    fresh = api(None)
    fresh.defaults["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    assert fresh.get("/clinics/clinic-a/api/v1/me/").json()["permissions"] == ["view"]
    assert fresh.get("/clinics/clinic-b/api/v1/me/").status_code == 404


def test_revoked_key_is_refused(login, api, world):
    created = (
        login("alpha_owner")
        .post(
            "/clinics/clinic-a/api/v1/api-keys/",
            {"name": "temp", "scopes": ["read"]},
            content_type="application/json",
        )
        .json()
    )
    revoke = login("alpha_owner").post(f"/clinics/clinic-a/api/v1/api-keys/{created['id']}/revoke/")
    assert revoke.status_code == 200 and revoke.json()["revoked_at"]
    client = api(None)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {created['secret']}"
    response = client.get("/clinics/clinic-a/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


@pytest.mark.parametrize("person", ["alpha_writer", "alpha_analyst", "a_approver", "a_legal"])
def test_only_owners_and_managers_manage_keys(person, login):
    client = login(person)
    before = ApiKey.objects.count()
    response = client.post(
        "/clinics/clinic-a/api/v1/api-keys/",
        {"name": "x", "scopes": ["read"]},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert ApiKey.objects.count() == before


def test_api_key_cannot_create_api_keys(api):
    before = ApiKey.objects.count()
    response = api("key_alpha").post(
        "/clinics/clinic-a/api/v1/api-keys/",
        {"name": "x", "scopes": ["read"]},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert ApiKey.objects.count() == before


def test_bad_key_input_is_a_400_with_field_messages(login):
    before = ApiKey.objects.count()
    response = login("alpha_owner").post(
        "/clinics/clinic-a/api/v1/api-keys/",
        {"name": "", "scopes": ["root"]},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"name", "scopes"}
    assert ApiKey.objects.count() == before


def test_read_only_key_cannot_write(api):
    response = api("key_a_read").post(
        "/clinics/clinic-a/api/v1/api-keys/",
        {"name": "x", "scopes": ["read"]},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_session_api_calls_need_the_csrf_token(world, db):
    from django.test import Client

    from tests.fixtures.tenants import otp_verify_session

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["alpha_owner"])
    otp_verify_session(client, world.users["alpha_owner"])
    before = ApiKey.objects.count()
    response = client.post(
        "/clinics/clinic-a/api/v1/api-keys/",
        {"name": "x", "scopes": ["read"]},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert ApiKey.objects.count() == before


def test_rotating_a_key_revokes_the_old_secret_and_shows_the_new_once(login, api, world):
    client = login("alpha_manager")
    created = client.post(
        "/clinics/clinic-a/api/v1/api-keys/",
        {"name": "sync", "scopes": ["read"]},
        content_type="application/json",
    ).json()
    rotated = client.post(f"/clinics/clinic-a/api/v1/api-keys/{created['id']}/rotate/")
    assert rotated.status_code == 201
    new = rotated.json()
    assert (
        new["secret"] != created["secret"] and new["scopes"] == ["read"] and new["name"] == "sync"
    )
    old_client, new_client = api(None), api(None)
    old_client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {created['secret']}"
    new_client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {new['secret']}"
    assert old_client.get("/clinics/clinic-a/api/v1/me/").status_code == 401
    assert new_client.get("/clinics/clinic-a/api/v1/me/").status_code == 200
    assert new["id"] != created["id"]
    listed = {
        k["id"]: k for k in client.get("/clinics/clinic-a/api/v1/api-keys/").json()["results"]
    }
    assert listed[created["id"]]["replaced_by_id"] == new["id"]
    assert listed[new["id"]]["replaced_by_id"] is None


def test_revoking_a_rotated_key_is_a_409_that_names_the_key_that_still_works(login, api):
    client = login("alpha_manager")
    url = "/clinics/clinic-a/api/v1/api-keys/"
    created = client.post(url, {"name": "crm", "scopes": ["read"]}, "application/json").json()
    new = client.post(f"{url}{created['id']}/rotate/").json()

    again = client.post(f"{url}{created['id']}/revoke/")

    assert again.status_code == 409
    assert again.json()["code"] == "already_revoked"
    assert (
        f"key {new['id']} ({new['prefix']}…) replaced it and still works" in again.json()["detail"]
    )
    works = api(None)
    works.defaults["HTTP_AUTHORIZATION"] = f"Bearer {new['secret']}"
    assert works.get("/clinics/clinic-a/api/v1/me/").status_code == 200  # nothing changed
    # revoking the successor stops access; revoking it again says so
    assert client.post(f"{url}{new['id']}/revoke/").status_code == 200
    assert works.get("/clinics/clinic-a/api/v1/me/").status_code == 401
    twice = client.post(f"{url}{new['id']}/revoke/").json()
    assert twice["code"] == "already_revoked" and "already revoked" in twice["detail"]
    rotated_then = client.post(f"{url}{created['id']}/revoke/").json()["detail"]
    assert "its successors are revoked too" in rotated_then


def test_agency_keys_are_managed_by_owners_and_reach_every_clinic_of_the_agency(
    login, api, clinic_c
):
    owner = login("alpha_owner")
    created = owner.post(
        "/api/v1/api-keys/", {"name": "crm", "scopes": ["read"]}, content_type="application/json"
    )
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert any(
        k["id"] == created.json()["id"] for k in owner.get("/api/v1/api-keys/").json()["results"]
    )
    key_client = api(None)
    key_client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    assert key_client.get("/clinics/clinic-a/api/v1/me/").status_code == 200
    assert key_client.get("/clinics/clinic-b/api/v1/me/").status_code == 200
    assert key_client.get(f"/clinics/{clinic_c.slug}/api/v1/me/").status_code == 404
    assert (
        login("alpha_writer")
        .post(
            "/api/v1/api-keys/", {"name": "x", "scopes": ["read"]}, content_type="application/json"
        )
        .status_code
        == 403
    )
    assert (
        login("beta_owner").post(f"/api/v1/api-keys/{created.json()['id']}/revoke/").status_code
        == 404
    )
    assert owner.post(f"/api/v1/api-keys/{created.json()['id']}/revoke/").status_code == 200
    assert key_client.get("/clinics/clinic-a/api/v1/me/").status_code == 401


@pytest.mark.parametrize(
    "url", ["/clinics/clinic-a/api/v1/api-keys/", "/api/v1/api-keys/"], ids=["clinic", "agency"]
)
def test_the_api_refuses_a_second_working_key_with_the_same_name(login, url):
    """The same rule as the key pages (one place: `api_key_create`)."""
    client = login("alpha_owner")
    body = {"name": "CRM sync", "scopes": ["read"]}
    first = client.post(url, body, content_type="application/json")
    assert first.status_code == 201
    before = ApiKey.objects.count()
    # when
    again = client.post(url, {**body, "name": "crm sync"}, content_type="application/json")
    # then
    assert again.status_code == 400
    assert again.json()["code"] == "invalid"
    assert again.json()["fields"] == {
        "name": ["A working key is named “crm sync” already: choose another name."]
    }
    assert ApiKey.objects.count() == before
    # rotating keeps the name (the old key stops), and a revoked key's name is free again
    rotated = client.post(f"{url}{first.json()['id']}/rotate/") if "clinics" in url else None
    assert rotated is None or rotated.status_code == 201
    live = ApiKey.objects.get(name="CRM sync", revoked_at__isnull=True)
    assert client.post(f"{url}{live.pk}/revoke/").status_code == 200
    assert client.post(url, body, content_type="application/json").status_code == 201
