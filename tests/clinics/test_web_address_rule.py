"""One rule for a clinic's web address (`clinics.models.validate_clinic_slug`) and one for a
reply template's key (`responses.models.validate_template_key`), said in the product's words
by the form, the API and the service alike (walk 12, finding 8). A badly shaped web address is
told the rule ("Use 3–50 lowercase letters…", never "Not available", which read as taken); a
well-shaped one a clinic cannot have gets one answer, whether reserved or another agency's
clinic's (no existence oracle, security finding 11); only the agency's own is "taken"."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.access import clinic_access
from clinics.models import Clinic, validate_clinic_slug
from clinics.services import clinic_create
from core.errors import ValidationFailed
from responses.models import ReplyTemplate, validate_template_key
from responses.services.library import template_create
from tests.responses.conftest import Api

# a badly shaped address is told the rule; a well-shaped one it cannot have, "not available"
# (never "taken", which only the agency's own clinic's address is)
FORMAT = (
    "Use 3–50 lowercase letters, digits and hyphens, a letter or digit first and last, "
    "e.g. harbor-dental."
)
UNAVAILABLE = "Not available: choose another web address."
KEY_SHAPE = "Use lowercase letters, digits and hyphens, e.g. warm-thanks."
DJANGO_WORDS = "valid “slug”"


def _problem(validator, value) -> str | None:
    try:
        validator(value)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("harbor-dental", None),
        ("Harbor-Dental", None),  # taken as the clinic gets it: harbor-dental
        ("h2o", None),
        ("Harbor Dental", FORMAT),
        ("harbor_dental2", FORMAT),
        ("harbor-dental!", FORMAT),
        ("ab", FORMAT),
        ("x" * 51, FORMAT),
        ("-harbor", FORMAT),
        ("harbor-", FORMAT),
        ("api", UNAVAILABLE),
        ("Template", UNAVAILABLE),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 else None,
)
def test_the_clinic_web_address_rule(value, problem):
    assert _problem(validate_clinic_slug, value) == problem


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("warm-thanks", None),
        ("thank", None),
        ("x", None),
        ("Thanks Harbor", KEY_SHAPE),
        ("thanks_harbor", KEY_SHAPE),
        ("-thanks", "Begin and end with a letter or digit, e.g. warm-thanks."),
        (
            "k" * 81,
            "Use at most 80 characters: lowercase letters, digits and hyphens, e.g. warm-thanks.",
        ),
    ],  # fmt: skip
    ids=["ok", "short", "one", "space", "underscore", "edge", "long"],
)
def test_the_template_key_rule(value, problem):
    assert _problem(validate_template_key, value) == problem


@pytest.mark.parametrize(
    ("name", "slug", "errors"),
    [
        ("Harbor Dental & Implants", "Harbor Dental", [FORMAT]),
        # the name missing too: both fields say what is wrong at once
        ("", "harbor_dental2", [FORMAT]),
        ("Harbor", "admin", [UNAVAILABLE]),
        # another agency's clinic's: the same words, never "taken" (no existence oracle)
        ("Harbor", "clinic-c", [UNAVAILABLE]),
        (
            "Harbor",
            "clinic-b",
            ["This web address is taken: choose another."],
        ),
    ],  # fmt: skip
    ids=["space", "underscore-and-no-name", "reserved", "other-agency", "own-agency"],
)
def test_the_create_clinic_form_says_the_rule_at_the_field(login, world, name, slug, errors):
    before = Clinic.objects.count()
    response = login("alpha_owner").post(
        "/agency/settings/",
        {"name": name, "slug": slug, "timezone": "America/Denver", "reply_target_minutes": "60"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["slug"] == errors
    assert ("name" in form.errors) is (name == "")
    html = response.content.decode()
    assert DJANGO_WORDS not in html
    # tied to the field for a screen reader (Django's own aria-describedby and aria-invalid)
    assert 'aria-describedby="id_slug_helptext id_slug_error"' in html
    assert Clinic.objects.count() == before


def test_the_create_clinic_form_takes_capitals_as_lowercase(login, world):
    response = login("alpha_owner").post(
        "/agency/settings/",
        {
            "name": "Harbor",
            "slug": "Harbor-Dental",
            "timezone": "UTC",
            "reply_target_minutes": "60",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/clinics/harbor-dental/settings/"
    assert Clinic.objects.filter(slug="harbor-dental").count() == 1


def test_the_clinics_api_and_the_service_say_the_same_rule(login, world):
    before = Clinic.objects.count()
    response = login("alpha_owner").post(
        "/api/v1/clinics/",
        {"name": "Harbor", "slug": "harbor_dental2"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"slug": [FORMAT]}
    with pytest.raises(ValidationFailed) as refused:
        clinic_create(agency=world.agencies["alpha"], name="Harbor", slug="Harbor Dental")
    assert refused.value.fields == {"slug": [FORMAT]}
    with pytest.raises(ValidationFailed) as reserved:
        clinic_create(agency=world.agencies["alpha"], name="Harbor", slug="admin")
    assert reserved.value.fields == {"slug": [UNAVAILABLE]}
    assert Clinic.objects.count() == before


def test_the_template_form_api_and_service_say_the_key_rule(login, clinic_a, world):
    path = f"/clinics/{clinic_a.slug}/settings/templates/"
    body = {"name": "Warm thanks", "category": "thank", "body": "Thank you!"}
    page = login("alpha_manager").post(path, {"key": "Thanks Harbor", **body})
    assert page.status_code == 400
    assert page.context["create"].errors["key"] == [KEY_SHAPE]
    assert DJANGO_WORDS not in page.content.decode()
    api = Api(login("alpha_manager"), clinic_a)
    answer = api.post("reply-templates/", {"key": "thanks_harbor", **body})
    assert answer.status_code == 400
    assert answer.json()["fields"] == {"key": [KEY_SHAPE]}
    with schema_context(clinic_a.schema_name):
        access = clinic_access(Actor(user=world.users["alpha_manager"]), clinic_a)
        with pytest.raises(ValidationFailed) as refused:
            template_create(access=access, key="Thanks Harbor", **body)
        assert refused.value.fields == {"key": [KEY_SHAPE]}
        assert not ReplyTemplate.objects.filter(name="Warm thanks").exists()
        # a template without a key gets one made from its name, in the same shape
        made = template_create(access=access, key="", **{**body, "name": "Warm_thanks, Denver!"})
        assert made.key == "warm-thanks-denver"
        assert _problem(validate_template_key, made.key) is None
