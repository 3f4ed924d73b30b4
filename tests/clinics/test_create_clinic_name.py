"""Creating a clinic from its name (walk-through 3, F1 and F12): a web address left empty is
made from the name (accents left off, free among every agency's clinics, said to the person);
one typed still wins and is still checked; a second clinic named as one of the agency's is
refused at the name."""

from __future__ import annotations

import pytest

from clinics.models import Clinic
from clinics.selectors import clinic_slug_from_name
from clinics.services import clinic_create
from core.errors import ValidationFailed
from core.text import address_from

QUEBEC = "Clinique médicale de l'Île-d'Orléans"


def _create(client, name: str, slug: str = ""):
    return client.post(
        "/agency/settings/",
        {"name": name, "slug": slug, "timezone": "America/Toronto", "reply_target_minutes": "60"},
        follow=False,
    )


@pytest.mark.parametrize(
    ("name", "address"),
    [
        (QUEBEC, "clinique-medicale-de-lile-dorleans"),
        ("Smile Paws Dental Group", "smile-paws-dental-group"),
        ("Dr. O’Brien & Sons — Family Care", "dr-obrien-sons-family-care"),
        ("Straße Ærø Klinik", "strasse-aero-klinik"),
        ("  --Café 24/7--  ", "cafe-24-7"),
        ("診所", ""),
        ("x" * 60, "x" * 50),
        ("a" * 49 + " b", "a" * 49),
    ],
    ids=["quebec", "plain", "apostrophe-dash", "eszett", "edges", "no-latin", "long", "cut-hyphen"],
)  # fmt: skip
def test_an_address_is_made_from_a_name(name, address):
    assert address_from(name, most=50) == address


def test_an_empty_web_address_is_made_from_the_name_and_said(login, world):
    client = login("alpha_owner")

    response = _create(client, QUEBEC)

    assert response.status_code == 302
    assert response["Location"] == "/clinics/clinique-medicale-de-lile-dorleans/settings/"
    clinic = Clinic.objects.get(slug="clinique-medicale-de-lile-dorleans")
    assert clinic.name == QUEBEC and clinic.agency == world.agencies["alpha"]
    page = client.get(response["Location"]).content.decode()
    assert "/clinics/clinique-medicale-de-lile-dorleans/" in page
    assert "made from its name" in page


def test_a_made_address_that_is_taken_gets_a_number(login, world):
    # clinic-c is another agency's clinic, clinic-a this agency's: both are skipped
    assert clinic_slug_from_name("Clinic C") == "clinic-c-2"
    assert clinic_slug_from_name("Clinic A") == "clinic-a-2"
    assert clinic_slug_from_name("Admin") == "admin-2"  # a reserved word
    assert clinic_slug_from_name("Dr") == ""

    response = _create(login("alpha_owner"), "Clinic C")

    assert response.status_code == 302
    assert response["Location"] == "/clinics/clinic-c-2/settings/"
    assert Clinic.objects.get(slug="clinic-c-2").agency == world.agencies["alpha"]


def test_a_name_that_gives_no_address_asks_for_one_and_creates_nothing(login, world):
    before = Clinic.objects.count()

    response = _create(login("alpha_owner"), "診所")

    assert response.status_code == 400
    assert response.context["form"].errors["slug"] == [
        "No web address can be made from this name: type one, e.g. harbor-dental."
    ]
    assert Clinic.objects.count() == before


def test_a_typed_web_address_wins_and_is_still_checked(login, world):
    client = login("alpha_owner")
    before = Clinic.objects.count()

    refused = _create(client, QUEBEC, "clinique-médicale")
    assert refused.status_code == 400
    assert refused.context["form"].errors["slug"][0].startswith("Use 3–50 lowercase letters")
    assert Clinic.objects.count() == before

    created = _create(client, QUEBEC, "ile-dorleans")
    assert created.status_code == 302
    assert created["Location"] == "/clinics/ile-dorleans/settings/"
    assert not Clinic.objects.filter(slug="clinique-medicale-de-lile-dorleans").exists()
    assert "made from its name" not in client.get(created["Location"]).content.decode()


@pytest.mark.parametrize("name", ["Clinic A", "clinic a", "  Clinic A "], ids=str.strip)
def test_a_second_clinic_named_as_one_of_the_agencys_is_refused_at_the_name(login, world, name):
    before = Clinic.objects.count()

    response = _create(login("alpha_owner"), name, "clinic-a-again")

    assert response.status_code == 400
    assert response.context["form"].errors["name"] == [
        "Your agency has a clinic named “Clinic A” already (/clinics/clinic-a/): give this one "
        "a name that tells them apart, e.g. with its town or street."
    ]
    assert Clinic.objects.count() == before


def test_the_service_and_api_refuse_a_duplicate_name_but_not_another_agencys(login, world):
    alpha, beta = world.agencies["alpha"], world.agencies["beta"]
    before = Clinic.objects.count()

    with pytest.raises(ValidationFailed) as refused:
        clinic_create(agency=alpha, name="Clinic B", slug="clinic-b-two")
    api = login("alpha_owner").post(
        "/api/v1/clinics/", {"name": "CLINIC B", "slug": "clinic-b-two"},
        content_type="application/json",
    )  # fmt: skip

    assert list(refused.value.fields) == ["name"]
    assert api.status_code == 400 and list(api.json()["fields"]) == ["name"]
    assert Clinic.objects.count() == before
    # a retry of the same clinic is still answered with it; another agency may use the name
    assert clinic_create(agency=alpha, name="Clinic B", slug="clinic-b") == world.clinics["b"]
    assert clinic_create(agency=beta, name="Clinic A", slug="clinic-a-beta").agency == beta
