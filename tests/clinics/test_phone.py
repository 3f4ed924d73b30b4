"""A clinic's public phone: the usual North-American and international forms are accepted
wherever it is entered (create-a-clinic page, settings page, API), junk is refused, and the
examples the refusal shows are themselves accepted."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.credentials import token_create
from clinics.models import PHONE_EXAMPLES, PHONE_HELP, Clinic, validate_phone

ACCEPTED = [
    "(303) 555-0142",
    "(303)555-0142",
    "303-555-0142",
    "303.555.0142",
    "303 555 0142",
    "3035550142",
    "+1 (303) 555-0142",
    "+1 303-555-0142",
    "+1 212 555 0142",
    "1-303-555-0142",
    "+13035550142",
    "(303) 555-0117 ext. 12",
    "(303) 555-0117 ext 12",
    "303-555-0117 x12",
    "303-555-0117 x 12",
    "303.555.0117, extension 12",
    "+44 (0)20 7946 0958",
    "+1 555 0100",
    "555-0100",
]
REFUSED = [
    "call us",
    "555",
    "555-01",
    "(303 555-0142",
    "303) 555-0142",
    "((303)) 555-0142",
    "303--555-0142",
    "303 - 555 - 0142",
    "303-555-0142-",
    "-303-555-0142",
    "303/555/0142",
    "303-555-0142 ext.",
    "303-555-0142 ext. 1234567",
    "303-555-0142 call after 5",
    "++1 303 555 0142",
    "1" * 16,
    "+1 303 555 0142 <script>",
    "１２３-４５６-７８９０",  # full-width digits
]


@pytest.mark.parametrize("value", ACCEPTED)
def test_usual_phone_forms_are_accepted(value):
    validate_phone(value)


@pytest.mark.parametrize("value", REFUSED)
def test_junk_is_refused_with_the_help(value):
    with pytest.raises(ValidationError) as refused:
        validate_phone(value)
    assert refused.value.messages == [PHONE_HELP]


def test_every_example_the_help_shows_is_accepted():
    # the examples are read back out of the sentence people see, not from the tuple alone
    shown = re.fullmatch(r"Write a phone number, e\.g\. (.+) or (.+)\.", PHONE_HELP)
    assert shown is not None and shown.groups() == PHONE_EXAMPLES
    for example in shown.groups():
        validate_phone(example)


def test_the_settings_page_saves_a_bracketed_number(login, clinic_a):
    data = {
        "name": "Clinic A",
        "timezone": "America/New_York",
        "phone": "(303) 555-0117 ext. 12",
        "email": "",
        "contact_url": "",
        "reply_target_minutes": "90",
    }
    response = login("alpha_owner").post("/clinics/clinic-a/settings/", data)
    assert response.status_code == 302
    assert Clinic.objects.get(pk=clinic_a.pk).phone == "(303) 555-0117 ext. 12"


def test_the_settings_page_refuses_junk_and_shows_the_help(login, clinic_a):
    before = Clinic.objects.get(pk=clinic_a.pk).phone
    data = {
        "name": "Clinic A",
        "timezone": "America/New_York",
        "phone": "call us",
        "reply_target_minutes": "90",
    }
    response = login("alpha_owner").post("/clinics/clinic-a/settings/", data)
    assert response.status_code == 400
    assert response.context["form"].errors["phone"] == [PHONE_HELP]
    assert Clinic.objects.get(pk=clinic_a.pk).phone == before


def test_the_create_a_clinic_page_accepts_a_bracketed_number(login, world):
    data = {
        "name": "Phone Clinic",
        "slug": "phone-clinic",
        "timezone": "America/Denver",
        "phone": "+1 (303) 555-0142 x12",
        "email": "",
        "reply_target_minutes": "1440",
    }
    response = login("alpha_owner").post("/agency/settings/", data)
    assert response.status_code == 302, response.context["form"].errors
    assert Clinic.objects.get(slug="phone-clinic").phone == "+1 (303) 555-0142 x12"


def test_the_api_accepts_a_bracketed_number_and_refuses_junk(world, db):
    _, issued = token_create(
        user=world.users["alpha_owner"], name="phone test", ttl=timedelta(days=1)
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    refused = client.post(
        "/api/v1/clinics/",
        {"agency": "alpha", "name": "Junk", "slug": "junk-phone", "phone": "call us"},
        "application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["fields"]["phone"] == [PHONE_HELP]
    assert not Clinic.objects.filter(slug="junk-phone").exists()
    created = client.post(
        "/api/v1/clinics/",
        {"agency": "alpha", "name": "API", "slug": "api-phone", "phone": "(303) 555-0142"},
        "application/json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["phone"] == "(303) 555-0142"
