"""A clinic's settings pages: general, people, API keys, reply templates, thresholds."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from accounts.models import ApiKey
from clinics.models import Clinic, ClinicMembership
from crisis.models import DetectorSettings
from responses.models import ReplyTemplate
from tests.fixtures.forms import rendered_form_data

BASE = "/clinics/clinic-a/settings/"
PAGES = ["", "people/", "templates/", "thresholds/", "api-keys/"]
GENERAL = {
    "name": "Clinic A",
    "timezone": "America/New_York",
    "phone": "+1 555 0199",
    "email": "front@clinic-a.test",
    "contact_url": "https://clinic-a.test/contact",
    "reply_target_minutes": "90",
}


@pytest.mark.parametrize("page", PAGES)
def test_managers_open_every_settings_page(login, page):
    response = login("alpha_manager").get(BASE + page)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-label="Clinic settings"' in html and 'aria-current="page"' in html


@pytest.mark.parametrize("page", PAGES)
def test_clients_and_other_agencies_are_refused(login, page):
    # the clinic's people are sent to their portal (walk 9 #31), other agencies see nothing
    assert login("a_approver").get(BASE + page)["Location"] == "/clinics/clinic-a/portal/"
    assert login("beta_owner").get(BASE + page).status_code == 404


@pytest.mark.parametrize("page", ["", "people/", "templates/", "thresholds/"])
def test_writers_read_but_do_not_change(login, page):
    client = login("alpha_writer")
    response = client.get(BASE + page)
    assert response.status_code == 200
    assert "owners and managers change them" in response.content.decode()
    assert client.post(BASE + page, {}).status_code == 403


def test_writers_cannot_see_api_keys(login):
    assert login("alpha_writer").get(BASE + "api-keys/").status_code == 403
    assert login("alpha_analyst").get(BASE + "api-keys/").status_code == 403


def test_general_settings_are_saved(login, clinic_a):
    response = login("alpha_owner").post(BASE, GENERAL)
    assert response.status_code == 302
    clinic = Clinic.objects.get(pk=clinic_a.pk)
    assert (clinic.timezone, clinic.phone, clinic.reply_target_minutes) == (
        "America/New_York",
        "+1 555 0199",
        90,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone", "Nowhere/Else"),
        ("reply_target_minutes", "0"),
        ("email", "not-an-email"),
        ("contact_url", "javascript:alert(1)"),
        ("name", ""),
    ],
)
def test_bad_general_input_is_400_and_changes_nothing(login, clinic_a, field, value):
    before = Clinic.objects.values().get(pk=clinic_a.pk)
    response = login("alpha_owner").post(BASE, {**GENERAL, field: value})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Clinic.objects.values().get(pk=clinic_a.pk) == before


def test_people_added_changed_and_removed(login, clinic_a):
    client = login("alpha_manager")
    data = {
        "action": "save",
        "email": "comms@clinic-a.test",
        "full_name": "Comms Person",
        "role": "viewer",
        "crisis_roles": ["comms", "social"],
    }
    assert client.post(BASE + "people/", data).status_code == 302
    m = ClinicMembership.objects.get(clinic=clinic_a, user__email="comms@clinic-a.test")
    assert (m.role, m.crisis_roles) == ("viewer", ["comms", "social"])
    assert (
        client.post(
            BASE + "people/", {**data, "role": "approver", "crisis_roles": ["legal"]}
        ).status_code
        == 302
    )
    m.refresh_from_db()
    assert (m.role, m.crisis_roles) == ("approver", ["legal"])
    assert (
        client.post(
            BASE + "people/", {"action": "remove", "membership": m.pk, "confirm": "yes"}
        ).status_code
        == 302
    )
    assert not ClinicMembership.objects.filter(pk=m.pk).exists()


def test_bad_person_is_400(login, clinic_a):
    before = ClinicMembership.objects.count()
    response = login("alpha_manager").post(
        BASE + "people/",
        {
            "action": "save",
            "email": "x@y.test",
            "full_name": "X",
            "role": "boss",
            "crisis_roles": ["chef"],
        },
    )
    assert response.status_code == 400
    assert {"role", "crisis_roles"} <= set(response.context["form"].errors)
    assert ClinicMembership.objects.count() == before


def test_removing_someone_of_another_clinic_is_404(login, world):
    other = ClinicMembership.objects.get(user=world.users["b_approver"])
    response = login("alpha_owner").post(
        BASE + "people/", {"action": "remove", "membership": other.pk}
    )
    assert response.status_code == 404
    assert ClinicMembership.objects.filter(pk=other.pk).exists()


def test_clinic_key_created_once_rotated_revoked(login, clinic_a):
    client = login("alpha_owner")
    response = client.post(
        BASE + "api-keys/", {"action": "create", "name": "Website widget", "scopes": ["read"]}
    )
    assert response.status_code == 302 and response["Location"] == BASE + "api-keys/"
    shown = client.get(BASE + "api-keys/")
    secret = shown.context["secret"]
    assert secret in shown.content.decode()
    key = ApiKey.objects.get(clinic=clinic_a, name="Website widget")
    assert secret not in client.get(BASE + "api-keys/").content.decode()
    response = client.post(BASE + "api-keys/", {"action": "rotate", "key": key.pk, "grace": "none"})
    assert response.status_code == 302
    shown = client.get(BASE + "api-keys/")
    assert shown.context["secret"] != secret
    key.refresh_from_db()
    assert key.revoked_at is not None
    # a revoked key cannot be rotated again
    assert client.post(BASE + "api-keys/", {"action": "rotate", "key": key.pk}).status_code == 400
    new = shown.context["created"]
    revoke = {"action": "revoke", "key": new.pk, "confirm": "yes"}
    assert client.post(BASE + "api-keys/", revoke).status_code == 302
    new.refresh_from_db()
    assert new.revoked_at is not None


def test_another_clinics_key_is_404(login):
    key_b = ApiKey.objects.get(name="key_b")
    assert (
        login("alpha_owner")
        .post(BASE + "api-keys/", {"action": "revoke", "key": key_b.pk})
        .status_code
        == 404
    )
    key_b.refresh_from_db()
    assert key_b.revoked_at is None


def test_templates_added_and_edited(login, clinic_a):
    client = login("alpha_manager")
    data = {
        "key": "thanks-short",
        "name": "Short thanks",
        "category": "thank",
        "body": "Thank you, from all of us at {clinic_name}.",
    }
    assert client.post(BASE + "templates/", data).status_code == 302
    with schema_context(clinic_a.schema_name):
        t = ReplyTemplate.objects.get(key="thanks-short")
    edit = {
        f"t{t.pk}-name": "Short thanks",
        f"t{t.pk}-category": "thank",
        f"t{t.pk}-body": "Thanks!",
        "template": t.pk,
    }
    assert client.post(BASE + "templates/", edit).status_code == 302
    with schema_context(clinic_a.schema_name):
        t.refresh_from_db()
        assert (t.body, t.is_active) == ("Thanks!", False)


def test_bad_template_is_400(login, clinic_a):
    response = login("alpha_manager").post(
        BASE + "templates/", {"key": "x", "name": "X", "category": "nope", "body": ""}
    )
    assert response.status_code == 400
    assert {"category", "body"} <= set(response.context["create"].errors)
    with schema_context(clinic_a.schema_name):
        assert not ReplyTemplate.objects.filter(key="x").exists()


def test_a_template_with_an_unknown_variable_is_refused_when_saved(login, clinic_a):
    """Not later, when a writer loads it into a reply mid-crisis."""
    client = login("alpha_manager")
    data = {"key": "mine", "name": "Mine", "category": "thank", "body": "Thanks {nope}."}
    response = client.post(BASE + "templates/", data)
    assert response.status_code == 400
    assert "{nope}: not a variable" in response.context["create"].errors["body"][0]
    ok = {**data, "body": "Thanks, {clinic_name}. {fact:parking}"}
    assert client.post(BASE + "templates/", ok).status_code == 302
    with schema_context(clinic_a.schema_name):
        t = ReplyTemplate.objects.get(key="mine")
    edit = {f"t{t.pk}-name": "Mine", f"t{t.pk}-category": "thank", "template": t.pk}
    assert client.post(BASE + "templates/", {**edit, f"t{t.pk}-body": "{nope}"}).status_code == 400
    with schema_context(clinic_a.schema_name):
        assert ReplyTemplate.objects.get(key="mine").body == ok["body"]


def test_an_email_too_long_to_store_is_400_with_its_field(login, clinic_a):
    data = {
        "action": "save",
        "email": "x" * 250 + "@example.com",
        "full_name": "Zed",
        "role": "viewer",
    }
    response = login("alpha_owner").post(BASE + "people/", data)
    assert response.status_code == 400 and "email" in response.context["form"].errors
    assert not ClinicMembership.objects.filter(clinic=clinic_a, user__full_name="Zed").exists()


def _threshold_data(client) -> dict:
    form = client.get(BASE + "thresholds/").context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):
            data[name] = "\n".join(value)
        elif value is not None:
            data[name] = str(value)
    return data


def test_thresholds_saved(login, clinic_a):
    client = login("alpha_owner")
    data = {
        **_threshold_data(client),
        "surge_min_count": "9",
        "watch_words": "lawsuit\nlicence revoked",
    }
    response = client.post(BASE + "thresholds/", data)
    assert response.status_code == 302, response.context["form"].errors
    with schema_context(clinic_a.schema_name):
        row = DetectorSettings.objects.get(pk=1)
        assert row.surge_min_count == 9
        assert row.watch_words == ["lawsuit", "licence revoked"]


def test_thresholds_page_saves_what_it_shows(login, clinic_a):
    """The page posts back every field it shows, unchanged, and that saves: a form field left off
    the page (the response targets were) posts empty and fails as required, with no field to
    correct."""
    client = login("alpha_owner")
    data = rendered_form_data(client.get(BASE + "thresholds/").content.decode(), "surge_min_count")
    assert {"ack_target_minutes", "response_target_minutes", "statement_target_minutes"} <= set(
        data
    )
    data["watch_words"] = "outbreak\nsick"
    response = client.post(BASE + "thresholds/", data)
    assert response.status_code == 302, response.context["form"].errors
    with schema_context(clinic_a.schema_name):
        assert DetectorSettings.objects.get(pk=1).watch_words == ["outbreak", "sick"]


def test_bad_thresholds_change_nothing(login, clinic_a):
    client = login("alpha_owner")
    data = {**_threshold_data(client), "surge_min_count": "1", "surge_p_value": "0.5"}
    response = client.post(BASE + "thresholds/", data)
    assert response.status_code == 400
    assert {"surge_min_count", "surge_p_value"} <= set(response.context["form"].errors)
    with schema_context(clinic_a.schema_name):
        row = DetectorSettings.objects.filter(pk=1).first()
        assert row is None or (row.surge_min_count, row.surge_p_value) != (1, 0.5)


@pytest.mark.parametrize(
    ("who", "page", "field"),
    [
        ("alpha_owner", BASE, "timezone"),
        ("alpha_owner", BASE + "thresholds/", "surge_min_count"),
        ("alpha_writer", "/account/notifications/", "digest"),
        ("a_approver", "/account/notifications/", "digest"),
    ],
)
def test_every_settings_form_saves_what_its_page_shows(login, clinic_a, who, page, field):
    """Opened and saved unchanged, a settings form saves: every field it needs is on the page."""
    client = login(who)
    data = rendered_form_data(client.get(page).content.decode(), field)
    response = client.post(page, data)
    assert response.status_code == 302, response.content[:2000]
