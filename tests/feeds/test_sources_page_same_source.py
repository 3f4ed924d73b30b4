"""The Sources page refuses a source the clinic has already with the API's rule
(`Source.identity`: the same kind, name in any case and spacing, and settings, turned off or
not; the API answers 409 `source_exists`): a form error naming the one it has, what was typed
kept, and nothing added, recorded or logged."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from accounts.models import SecurityEvent, SecurityEventCode
from clinics.models import SettingChange
from feeds.models import Source

PAGE = "/clinics/clinic-a/sources/"
YELP = {"action": "add_yelp", "name": "Yelp SF", "business_id": "riverside-sf", "api_key": "k-1"}


def _state(clinic) -> tuple[int, int, int]:
    with schema_context(clinic.schema_name):
        return (
            Source.objects.count(),
            SettingChange.objects.count(),
            SecurityEvent.objects.filter(event=SecurityEventCode.SOURCE_SECRET_CHANGED).count(),
        )


@pytest.mark.parametrize(
    ("first", "again", "said"),
    [
        (YELP, YELP, "“Yelp SF” (Yelp)"),
        (YELP, {**YELP, "name": "  yelp   SF ", "api_key": "k-2"}, "“Yelp SF” (Yelp)"),
        (
            {**YELP, "name": ""},  # named after its kind, "Yelp"
            {**YELP, "name": ""},
            "“Yelp” (Yelp)",
        ),
        (
            {"action": "add_webhook", "name": "Listening tool"},
            {"action": "add_webhook", "name": "listening TOOL"},
            "“Listening tool” (Inbound webhook)",
        ),
    ],
    ids=["yelp-same", "yelp-name-in-other-case-and-spacing", "yelp-unnamed", "webhook"],
)
def test_adding_a_source_the_clinic_has_is_a_form_error_and_adds_nothing(
    login, clinic_a, first, again, said
):
    # given
    manager = login("alpha_manager")
    assert manager.post(PAGE, first).status_code in (200, 302)
    before = _state(clinic_a)

    # when
    response = manager.post(PAGE, again)

    # then
    assert response.status_code == 409
    html = response.content.decode()
    assert f"This clinic has this source already: {said}, listed below. Nothing was added." in html
    assert "Give the new source another name, or use the one listed." in html
    assert "PATCH" not in html  # the API's words stay the API's
    assert f'value="{again["name"]}"' in html  # what was typed is kept
    assert _state(clinic_a) == before


def test_a_source_turned_off_is_named_as_such(login, clinic_a):
    manager = login("alpha_manager")
    manager.post(PAGE, YELP)
    with schema_context(clinic_a.schema_name):
        Source.objects.filter(name="Yelp SF").update(enabled=False)

    html = manager.post(PAGE, YELP).content.decode()

    assert "This clinic has this source already: “Yelp SF” (Yelp, turned off)" in html


def test_another_business_or_another_name_is_another_source(login, clinic_a):
    # the same rule as the API's: two of a kind differ by their settings or their names
    manager = login("alpha_manager")
    assert manager.post(PAGE, YELP).status_code == 302
    assert manager.post(PAGE, {**YELP, "business_id": "riverside-oak"}).status_code == 302
    assert manager.post(PAGE, {**YELP, "name": "Yelp Oakland"}).status_code == 302
    with schema_context(clinic_a.schema_name):
        assert Source.objects.filter(kind="yelp").count() == 3


def test_the_api_and_the_page_refuse_the_same_source(login, clinic_a):
    manager = login("alpha_manager")
    manager.post(PAGE, {"action": "add_webhook", "name": "Listening tool"})

    api = manager.post(
        "/clinics/clinic-a/api/v1/sources/",
        {"kind": "webhook", "name": "Listening tool"},
        content_type="application/json",
    )

    assert api.status_code == 409 and api.json()["code"] == "source_exists"
