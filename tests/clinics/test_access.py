"""Each role sees exactly what it may: permissions per role, API key scopes, credentials."""

import hashlib

import pytest

from accounts.models import ApiKey
from tests.fixtures.pages import without_csrf


@pytest.mark.parametrize(
    ("person", "permissions", "agency_role", "clinic_role"),
    [
        (
            "alpha_owner",
            ["approvals_log", "approve_agency", "manage", "view", "write"],
            "owner",
            None,
        ),
        (
            "alpha_manager",
            ["approvals_log", "approve_agency", "manage", "view", "write"],
            "manager",
            None,
        ),
        ("alpha_writer", ["view", "write"], "writer", None),
        ("alpha_analyst", ["view"], "analyst", None),
        (
            "a_approver",
            ["approvals_log", "approve_client", "privacy_requests", "review_question", "view"],
            None,
            "approver",
        ),
        ("a_viewer", ["view"], None, "viewer"),
        (
            "a_legal",
            ["approvals_log", "legal_override", "privacy_requests", "review_question", "view"],
            None,
            "viewer",
        ),
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
    assert set(body["fields"]) == {"name", "scopes[0]"}
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


def test_rotating_a_key_without_grace_revokes_the_old_secret_and_shows_the_new_once(
    login, api, world
):
    client = login("alpha_manager")
    created = client.post(
        "/clinics/clinic-a/api/v1/api-keys/",
        {"name": "sync", "scopes": ["read"]},
        content_type="application/json",
    ).json()
    rotated = client.post(
        f"/clinics/clinic-a/api/v1/api-keys/{created['id']}/rotate/",
        {"grace": "none"},
        content_type="application/json",
    )
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
    new = client.post(f"{url}{created['id']}/rotate/", {"grace": "none"}, "application/json")
    new = new.json()

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
    # rotating keeps the name (the old secret works through its grace period), and a revoked
    # key's name is free again (revoking it ends the old secret too)
    rotated = client.post(f"{url}{first.json()['id']}/rotate/")
    assert rotated.status_code == 201
    live = ApiKey.objects.working().get(name="CRM sync", replaced_by__isnull=True)
    assert client.post(f"{url}{live.pk}/revoke/").status_code == 200
    assert not ApiKey.objects.working().filter(name="CRM sync").exists()
    assert client.post(url, body, content_type="application/json").status_code == 201


# --- Staff limited to chosen clinics (the agency's people page) ------------------------------
# A writer or analyst may be limited to some clinics of the agency: any other clinic answers as
# if it did not exist (page and API alike), and no list names it. Owners and managers always
# reach every clinic: the role decides, whatever is stored.

EVERY = "all"  # "All clinics"


@pytest.mark.parametrize(
    ("person", "limited_to", "clinic", "permissions"),
    [
        ("alpha_writer", EVERY, "clinic-a", ["view", "write"]),
        ("alpha_writer", EVERY, "clinic-b", ["view", "write"]),
        ("alpha_writer", "b", "clinic-a", None),
        ("alpha_writer", "b", "clinic-b", ["view", "write"]),
        ("alpha_analyst", EVERY, "clinic-a", ["view"]),
        ("alpha_analyst", "b", "clinic-a", None),
        ("alpha_analyst", "b", "clinic-b", ["view"]),
        ("alpha_writer", "a", "clinic-a", ["view", "write"]),
        ("alpha_writer", "a", "clinic-b", None),
    ],
    ids=lambda v: "404" if v is None else "+".join(v) if isinstance(v, list) else v,
)
def test_limited_staff_reach_their_clinics_only(
    person, limited_to, clinic, permissions, login, limit_to, world
):
    if limited_to is not EVERY:
        limit_to(person, world.clinics[limited_to])
    client = login(person)
    me = client.get(f"/clinics/{clinic}/api/v1/me/")
    page = client.get(f"/clinics/{clinic}/inbox/")
    api = client.get(f"/clinics/{clinic}/api/v1/reviews/")
    if permissions is None:
        # as if the clinic did not exist: the same 404 as an unknown clinic's
        assert me.status_code == 404 and api.status_code == 404
        assert api.json() == client.get("/clinics/no-such-clinic/api/v1/reviews/").json()
        assert page.status_code == 404
        # the same page, but for the sign-out form's CSRF token, masked afresh per response
        missing = client.get("/clinics/no-such-clinic/inbox/")
        assert without_csrf(page.content) == without_csrf(missing.content)
    else:
        assert me.status_code == 200 and me.json()["permissions"] == permissions
        assert (page.status_code, api.status_code) == (200, 200)


@pytest.mark.parametrize("person", ["alpha_owner", "alpha_manager"])
def test_owners_and_managers_reach_every_clinic_whatever_is_stored(person, login, world):
    # given a limit stored for them by hand (the people page refuses to make one)
    from agency.models import AgencyMembership, StaffClinic

    membership = AgencyMembership.objects.get(user=world.users[person])
    AgencyMembership.objects.filter(pk=membership.pk).update(all_clinics=False)
    StaffClinic.objects.create(membership=membership, clinic=world.clinics["b"])
    client = login(person)
    # then the role decides: both clinics, listed and reached
    for slug in ("clinic-a", "clinic-b"):
        me = client.get(f"/clinics/{slug}/api/v1/me/")
        assert me.status_code == 200 and me.json()["agency_role"] == person.split("_")[1]
    listed = {c["slug"] for c in client.get("/api/v1/clinics/").json()["results"]}
    assert listed == {"clinic-a", "clinic-b"}


def test_a_limited_writer_sees_no_other_clinic_listed(login, limit_to, world):
    limit_to("alpha_writer", world.clinics["b"])
    client = login("alpha_writer")
    # the clinic list of the API, "Your clinics", the switcher, the agency's clinics page
    assert [c["slug"] for c in client.get("/api/v1/clinics/").json()["results"]] == ["clinic-b"]
    home = client.get("/").content.decode()
    assert "Clinic B" in home and "Clinic A" not in home
    page = client.get("/clinics/clinic-b/inbox/").content.decode()
    assert '<option value="clinic-b" selected>Clinic B</option>' in page
    assert 'value="clinic-a"' not in page
    clinics = client.get("/agency/settings/").content.decode()
    assert "Clinics (1)" in clinics and "/clinics/clinic-a/" not in clinics
    # and the switcher's address does not open it either
    go = client.get("/agency/go/?clinic=clinic-a", HTTP_REFERER="/agency/")
    assert go["Location"] == "/agency/"
    assert "Choose one of your clinics." in client.get("/agency/").content.decode()


def test_a_limited_writers_dashboard_shows_their_clinics_only(login, limit_to, world):
    from dashboard.services import clinic_snapshot_refresh

    for clinic in world.clinics.values():
        clinic_snapshot_refresh(clinic=clinic)
    limit_to("alpha_writer", world.clinics["b"])
    html = login("alpha_writer").get("/agency/").content.decode()
    assert "Alpha Agency — your clinics" in html
    assert '<strong data-testid="total-clinics">1</strong>' in html
    assert "/clinics/clinic-b/" in html and "/clinics/clinic-a/" not in html
    waiting = login("alpha_writer").get("/agency/waiting/").content.decode()
    assert "Waiting for a reply — your clinics" in waiting and "Clinic A" not in waiting
    # while the owner's dashboard still has both
    owner = login("alpha_owner").get("/agency/").content.decode()
    assert '<strong data-testid="total-clinics">2</strong>' in owner
    assert "Alpha Agency — all clinics" in owner


def test_a_new_limit_applies_at_the_next_request(login, limit_to, world):
    # given a writer signed in, working in clinic A
    client = login("alpha_writer")
    assert client.get("/clinics/clinic-a/api/v1/me/").status_code == 200
    assert client.get("/clinics/clinic-a/inbox/").status_code == 200
    # when an owner limits them to clinic B (the clinic's route is cached; their access is not)
    limit_to("alpha_writer", world.clinics["b"])
    # then their very next request to clinic A is refused, without signing in again
    assert client.get("/clinics/clinic-a/api/v1/me/").status_code == 404
    assert client.get("/clinics/clinic-a/inbox/").status_code == 404
    # and given every clinic again, the next one passes
    limit_to("alpha_writer")
    assert client.get("/clinics/clinic-a/inbox/").status_code == 200


def test_a_limited_writers_personal_token_follows_the_limit(client, limit_to, world):
    from accounts.services import user_token_issue

    _, issued = user_token_issue(user=world.users["alpha_writer"], name="script")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}
    assert client.get("/clinics/clinic-a/api/v1/reviews/", **bearer).status_code == 200
    limit_to("alpha_writer", world.clinics["b"])
    assert client.get("/clinics/clinic-a/api/v1/reviews/", **bearer).status_code == 404
    assert client.get("/clinics/clinic-b/api/v1/reviews/", **bearer).status_code == 200


def test_api_keys_are_not_limited_by_their_creators_clinics(api, limit_to, world):
    # an agency key keeps its own scope, whoever on the staff is limited
    limit_to("alpha_writer", world.clinics["b"])
    limit_to("alpha_analyst", world.clinics["b"])
    assert api("key_alpha").get("/clinics/clinic-a/api/v1/reviews/").status_code == 200
    assert api("key_a").get("/clinics/clinic-a/api/v1/reviews/").status_code == 200
