"""Agency-wide settings pages: clinics, staff, agency API keys."""

from __future__ import annotations

import pytest

from accounts.models import ApiKey, User
from agency.models import AgencyMembership
from clinics.models import Clinic, ClinicMembership

# --- clinics ---------------------------------------------------------------------------


def test_owner_creates_a_clinic(login, world):
    client = login("alpha_manager")
    response = client.post(
        "/agency/settings/",
        {
            "name": "Clinic New",
            "slug": "clinic-new",
            "timezone": "Europe/London",
            "reply_target_minutes": "120",
            "phone": "",
            "email": "",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/clinics/clinic-new/settings/"
    clinic = Clinic.objects.get(slug="clinic-new")
    assert clinic.agency == world.agencies["alpha"]
    assert (clinic.timezone, clinic.reply_target_minutes) == ("Europe/London", 120)
    # on the dashboard at once (its figures follow from the refresh queued on creation)
    assert "Clinic New" in client.get("/agency/").content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"name": "X", "slug": "Bad Slug!", "timezone": "UTC", "reply_target_minutes": "60"},
            "slug",
            "use 3–50 lowercase letters, digits and hyphens",
        ),
        (
            {"name": "X", "slug": "clinic-b", "timezone": "UTC", "reply_target_minutes": "60"},
            "slug",
            "taken",
        ),
        (
            {
                "name": "X",
                "slug": "clinic-x1",
                "timezone": "Mars/Olympus",
                "reply_target_minutes": "60",
            },
            "timezone",
            "time zone",
        ),
        (
            {"name": "X", "slug": "clinic-x2", "timezone": "UTC", "reply_target_minutes": "1"},
            "reply_target_minutes",
            "greater than",
        ),
        (
            {"name": "", "slug": "clinic-x3", "timezone": "UTC", "reply_target_minutes": "60"},
            "name",
            "required",
        ),
        (
            {
                "name": "X",
                "slug": "clinic-x4",
                "timezone": "UTC",
                "reply_target_minutes": "60",
                "phone": "abc",
            },
            "phone",
            "write a phone number",
        ),  # fmt: skip
    ],
    ids=["bad-slug", "taken-slug", "bad-timezone", "short-target", "no-name", "bad-phone"],
)
def test_bad_clinic_input_is_400_and_creates_nothing(login, data, field, message):
    before = Clinic.objects.count()
    response = login("alpha_owner").post("/agency/settings/", data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field]).lower()
    assert Clinic.objects.count() == before
    assert 'role="alert"' in response.content.decode()


def test_writers_see_clinics_but_cannot_create(login):
    client = login("alpha_writer")
    response = client.get("/agency/settings/")
    assert response.status_code == 200
    assert "Create a clinic" not in response.content.decode()
    before = Clinic.objects.count()
    response = client.post(
        "/agency/settings/",
        {"name": "Y", "slug": "clinic-y", "timezone": "UTC", "reply_target_minutes": "60"},
    )
    assert response.status_code == 403
    assert Clinic.objects.count() == before


def test_clients_cannot_open_agency_settings(login):
    assert login("a_approver").get("/agency/settings/").status_code == 404  # outside the agency


def test_every_field_has_a_label(login):
    html = login("alpha_owner").get("/agency/settings/").content.decode()
    for name in ("name", "slug", "timezone", "phone", "email", "reply_target_minutes"):
        assert f'<label for="id_{name}"' in html


def test_the_clinic_table_and_the_form_call_the_slug_its_web_address(login, world):
    # the column holds where the clinic's pages are, not a street address, and says so as the
    # field where it is typed does
    html = login("alpha_owner").get("/agency/settings/").content.decode()
    head = html[html.index("<thead>") : html.index("</thead>")]
    assert '<th scope="col">Web address</th>' in head and ">Address<" not in head
    assert '<a href="/clinics/clinic-a/"><code>/clinics/clinic-a/</code></a>' in html
    assert '<label for="id_slug">Web address' in html
    # a web address already in use is refused with the same words
    response = login("alpha_owner").post(
        "/agency/settings/",
        {"name": "Again", "slug": "clinic-a", "timezone": "UTC", "reply_target_minutes": "60"},
    )
    assert response.status_code == 400
    assert "This web address is taken: choose another." in response.content.decode()


# --- staff -----------------------------------------------------------------------------


def test_manager_adds_a_writer(login, world):
    response = login("alpha_manager").post(
        "/agency/settings/people/",
        {
            "action": "add",
            "email": "New.Writer@alpha.test",
            "full_name": "New Writer",
            "role": "writer",
        },
    )
    assert response.status_code == 302
    m = AgencyMembership.objects.get(
        agency=world.agencies["alpha"], user__email="new.writer@alpha.test"
    )
    assert m.role == "writer"


def test_only_an_owner_adds_an_owner(login, world):
    response = login("alpha_manager").post(
        "/agency/settings/people/",
        {"action": "add", "email": "boss@alpha.test", "full_name": "Boss", "role": "owner"},
    )
    assert response.status_code == 400
    assert "role" in response.context["form"].errors
    assert not AgencyMembership.objects.filter(user__email="boss@alpha.test").exists()


def test_adding_someone_already_on_staff_is_refused(login, world):
    response = login("alpha_owner").post(
        "/agency/settings/people/",
        {"action": "add", "email": "writer@alpha.test", "full_name": "W", "role": "analyst"},
    )
    assert response.status_code == 400
    assert AgencyMembership.objects.get(user=world.users["alpha_writer"]).role == "writer"


LONG_EMAIL = "x" * 250 + "@example.com"  # a valid address, past the 254 characters stored


def test_an_email_too_long_to_store_is_400_with_its_field(login):
    users = User.objects.count()
    response = login("alpha_owner").post(
        "/agency/settings/people/",
        {"action": "add", "email": LONG_EMAIL, "full_name": "Yan", "role": "writer"},
    )
    assert response.status_code == 400 and "email" in response.context["form"].errors
    assert User.objects.count() == users


def test_one_of_a_clinics_people_is_not_made_staff(login, world):
    """Staff hold no clinic or crisis roles: making a clinic's approver staff would take the
    clinic's client step away without a word, so it is refused and nothing changes."""
    approver = world.users["a_approver"]
    response = login("alpha_owner").post(
        "/agency/settings/people/",
        {"action": "add", "email": approver.email.upper(), "full_name": "A", "role": "writer"},
    )
    assert response.status_code == 400
    assert "people" in " ".join(response.context["form"].errors["email"])
    assert not AgencyMembership.objects.filter(user=approver).exists()
    assert ClinicMembership.objects.filter(user=approver, role="approver").exists()


def test_bad_email_is_400(login):
    response = login("alpha_owner").post(
        "/agency/settings/people/",
        {"action": "add", "email": "nope", "full_name": "N", "role": "writer"},
    )
    assert response.status_code == 400 and "email" in response.context["form"].errors


def test_role_change_and_removal(login, world):
    client = login("alpha_owner")
    m = AgencyMembership.objects.get(user=world.users["alpha_analyst"])
    assert (
        client.post(
            "/agency/settings/people/", {"action": "role", "membership": m.pk, "role": "writer"}
        ).status_code
        == 302
    )
    m.refresh_from_db()
    assert m.role == "writer"
    assert (
        client.post(
            "/agency/settings/people/",
            {"action": "remove", "membership": m.pk, "confirm": "yes"},
        ).status_code
        == 302
    )
    assert not AgencyMembership.objects.filter(pk=m.pk).exists()


def test_the_last_owner_stays(login, world):
    client = login("alpha_owner")
    m = AgencyMembership.objects.get(user=world.users["alpha_owner"])
    response = client.post(
        "/agency/settings/people/", {"action": "role", "membership": m.pk, "role": "manager"}
    )
    assert response.status_code == 400
    assert "last owner" in response.content.decode()
    response = client.post(
        "/agency/settings/people/", {"action": "remove", "membership": m.pk, "confirm": "yes"}
    )
    assert response.status_code == 400
    m.refresh_from_db()
    assert m.role == "owner"


def test_manager_cannot_demote_an_owner(login, world):
    m = AgencyMembership.objects.get(user=world.users["alpha_owner"])
    response = login("alpha_manager").post(
        "/agency/settings/people/", {"action": "role", "membership": m.pk, "role": "analyst"}
    )
    assert response.status_code == 400
    m.refresh_from_db()
    assert m.role == "owner"


def test_another_agencys_member_is_not_found(login, world):
    beta = AgencyMembership.objects.get(user=world.users["beta_owner"])
    response = login("alpha_owner").post(
        "/agency/settings/people/", {"action": "remove", "membership": beta.pk}
    )
    assert response.status_code == 404
    assert AgencyMembership.objects.filter(pk=beta.pk).exists()


def test_writer_cannot_change_staff(login, world):
    m = AgencyMembership.objects.get(user=world.users["alpha_analyst"])
    response = login("alpha_writer").post(
        "/agency/settings/people/", {"action": "remove", "membership": m.pk}
    )
    assert response.status_code == 403
    assert AgencyMembership.objects.filter(pk=m.pk).exists()


# --- agency API keys -------------------------------------------------------------------


def test_agency_key_secret_is_shown_once(login, world):
    client = login("alpha_owner")
    response = client.post(
        "/agency/settings/api-keys/",
        {"action": "create", "name": "CRM sync", "scopes": ["read", "write"]},
    )
    assert response.status_code == 302 and response["Location"] == "/agency/settings/api-keys/"
    shown = client.get("/agency/settings/api-keys/")
    secret = shown.context["secret"]
    assert secret.startswith("cwk_") and secret in shown.content.decode()
    assert secret not in response["Location"]
    key = ApiKey.objects.get(agency=world.agencies["alpha"], name="CRM sync")
    assert key.clinic_id is None and key.scopes == ["read", "write"]
    assert secret not in client.get("/agency/settings/api-keys/").content.decode()
    # the key works on the API
    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/clinics/clinic-a/api/v1/me/").status_code == 200


def test_rotate_and_revoke_agency_key(login, world):
    client = login("alpha_manager")
    key = ApiKey.objects.get(agency=world.agencies["alpha"], name="key_alpha")
    response = client.post("/agency/settings/api-keys/", {"action": "rotate", "key": key.pk})
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is None and key.retiring  # its old secret: 24 hours more
    new = client.get("/agency/settings/api-keys/").context["created"]
    assert new.name == "key_alpha" and new.revoked_at is None and new.pk != key.pk
    assert (
        client.post(
            "/agency/settings/api-keys/", {"action": "revoke", "key": new.pk, "confirm": "yes"}
        ).status_code
        == 302
    )
    new.refresh_from_db()
    key.refresh_from_db()
    assert new.revoked_at is not None and key.revoked_at is not None  # both secrets end


def test_bad_key_input_is_400_and_creates_nothing(login, world):
    before = ApiKey.objects.count()
    response = login("alpha_owner").post(
        "/agency/settings/api-keys/", {"action": "create", "name": "", "scopes": ["admin"]}
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "scopes"}
    assert ApiKey.objects.count() == before


def test_clinic_keys_and_other_agencies_keys_are_not_agency_keys(login, world):
    client = login("alpha_owner")
    clinic_key = ApiKey.objects.get(name="key_a")
    beta_key = ApiKey.objects.get(name="key_beta")
    for key in (clinic_key, beta_key):
        assert (
            client.post(
                "/agency/settings/api-keys/", {"action": "revoke", "key": key.pk}
            ).status_code
            == 404
        )
        key.refresh_from_db()
        assert key.revoked_at is None


@pytest.mark.parametrize("name", ["alpha_writer", "alpha_analyst"])
def test_writers_and_analysts_cannot_see_agency_keys(login, name):
    assert login(name).get("/agency/settings/api-keys/").status_code == 403


def test_a_new_clinics_errors_are_all_shown_at_once_with_a_time_zone_list(login, world):
    client = login("alpha_owner")
    page = client.get("/agency/settings/").content.decode()
    assert '<optgroup label="Common">' in page and '<option value="America/Chicago">' in page
    assert "/clinics/harbor-dental/" in page and "/clinics//" not in page
    answer = client.post(
        "/agency/settings/",
        {"name": "X", "slug": "clinic-x9", "timezone": "EST5", "phone": "abc",
         "reply_target_minutes": "60"},
    )  # fmt: skip
    errors = answer.context["form"].errors
    assert answer.status_code == 400 and {"timezone", "phone"} <= set(errors)
    assert not Clinic.objects.filter(slug="clinic-x9").exists()


def test_the_clinic_overview_says_what_the_person_may_do_in_words(login, clinic_a):
    html = login("alpha_manager").get("/clinics/clinic-a/").content.decode()
    shown = html.split('data-testid="permissions">', 1)[1].split("</span>", 1)[0]
    assert "give the agency&#x27;s approval" in shown and "manage settings and people" in shown
    assert "approve_agency" not in shown
