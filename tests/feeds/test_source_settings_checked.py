"""Finding (hostile-input tester): a source's `settings` took any keys. A key mistyped
(`pageid` for `page_id`) was stored silently, and the rule "one platform account, one clinic"
(`source_account_claim`, which reads `page_id`) never saw the page. Each kind's settings are
now one table (`feeds.source_settings`): the OpenAPI document shows one object per kind, and a
key the kind does not take, or a value of another type, is a 400 on `settings.<key>` naming
the keys it takes, on the API and on the Sources page; nothing is stored. Sources stored before
keep working: only settings sent anew are checked."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from core.crypto import encrypt_json
from feeds.models import Source
from tests.api.test_examples import openapi_schema
from tests.responses.conftest import Api

FACEBOOK_KEYS = "page_id, api_version, lookback_days, limit, include_ratings, include_posts"


def _sources(clinic) -> list[tuple[str, dict]]:
    with schema_context(clinic.schema_name):
        return list(Source.objects.order_by("pk").values_list("name", "settings"))


def test_a_mistyped_account_key_is_refused_by_name_with_the_keys_it_takes(login, clinic_a):
    manager = Api(login("alpha_manager"), clinic_a)

    answer = manager.post(
        "sources/",
        {"kind": "facebook", "name": "Page", "settings": {"pageid": "1234"},
         "credentials": {"access_token": "t-1"}},
    )  # fmt: skip

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"
    assert answer.json()["fields"] == {
        "settings.pageid": [
            f"Unknown setting for a Facebook page source. Allowed: {FACEBOOK_KEYS}."
        ]
    }
    assert _sources(clinic_a) == []


@pytest.mark.parametrize(
    ("kind", "sent", "field", "message"),
    [
        ("google", {"location_id": "42", "page_size": "50"}, "page_size", "Must be an integer."),
        ("google", {"location_id": 42}, "location_id", "Must be a string."),
        ("facebook", {"page_id": "1", "include_posts": "no"}, "include_posts",
         "Must be true or false."),
        ("facebook", {"page_id": "1", "limit": 500}, "limit", "Must be between 1 and 100."),
        ("yelp", {"business_id": None}, "business_id", "Must be a string."),
        ("yelp", {"business_id": "b", "time_zone": "Mars/Base"}, "time_zone",
         "Not a time zone name: 'Mars/Base' (as America/New_York)."),
        ("webhook", {"secret": "s"}, "secret",
         "Unknown setting for an Inbound webhook source. It takes no settings: send {}."),
    ],
    ids=["integer-as-text", "id-as-number", "boolean-as-word", "out-of-range", "null",
         "time-zone", "kind-without-settings"],
)  # fmt: skip
def test_a_value_of_another_type_is_refused_by_name(login, clinic_a, kind, sent, field, message):
    manager = Api(login("alpha_manager"), clinic_a)
    answer = manager.post("sources/", {"kind": kind, "name": "S", "settings": sent})
    assert answer.status_code == 400
    assert answer.json()["fields"] == {f"settings.{field}": [message]}
    assert _sources(clinic_a) == []


def test_every_key_of_a_kind_is_taken(login, clinic_a):
    manager = Api(login("alpha_manager"), clinic_a)
    settings = {
        "page_id": "1234", "api_version": "v21.0", "lookback_days": 7.5, "limit": 20,
        "include_ratings": False, "include_posts": True,
    }  # fmt: skip
    answer = manager.post("sources/", {"kind": "facebook", "name": "Page", "settings": settings})
    assert answer.status_code == 201, answer.content
    assert _sources(clinic_a) == [("Page", settings)]


def test_a_change_is_checked_and_a_source_stored_before_keeps_working(login, clinic_a):
    # given a source stored before the check, with a key its kind does not take
    with schema_context(clinic_a.schema_name):
        old = Source.objects.create(
            kind="google", name="Old", settings={"location_id": "9", "colour": "blue"},
            credentials_encrypted=encrypt_json({}),
        )  # fmt: skip
    manager = Api(login("alpha_manager"), clinic_a)

    # it is read, renamed and turned off as before
    assert manager.get(f"sources/{old.pk}/").json()["settings"] == {
        "location_id": "9",
        "colour": "blue",
    }
    assert manager.patch(f"sources/{old.pk}/", {"name": "Old GBP"}).status_code == 200
    # new settings are checked, and a refused change changes nothing
    refused = manager.patch(f"sources/{old.pk}/", {"settings": {"locationid": "9"}})
    assert refused.status_code == 400
    assert list(refused.json()["fields"]) == ["settings.locationid"]
    assert (
        "Allowed: account_id, location_id, page_size, profile_url."
        in (refused.json()["fields"]["settings.locationid"][0])
    )
    fixed = manager.patch(f"sources/{old.pk}/", {"settings": {"location_id": "9"}})
    assert fixed.status_code == 200
    assert _sources(clinic_a) == [("Old GBP", {"location_id": "9"})]


def test_the_sources_page_names_the_setting_and_keeps_what_was_typed(login, clinic_a):
    page = login("alpha_manager").post(
        f"/clinics/{clinic_a.slug}/sources/",
        {"action": "add_yelp", "name": "Yelp Main St", "business_id": "b" * 501,
         "api_key": "k-1"},
    )  # fmt: skip
    text = page.content.decode()
    assert page.status_code == 400
    assert "business_id: At most 500 characters (got 501)." in text
    assert 'value="Yelp Main St"' in text
    assert _sources(clinic_a) == []


def test_the_document_shows_the_settings_of_each_kind():
    schema = openapi_schema()
    schemas = schema["components"]["schemas"]
    settings = schemas["SourceInput"]["properties"]["settings"]
    assert [ref["$ref"].rsplit("/", 1)[-1] for ref in settings["anyOf"]] == [
        "GoogleSourceSettings",
        "FacebookSourceSettings",
        "InstagramSourceSettings",
        "YelpSourceSettings",
        "NoSourceSettings",
    ]
    facebook = schemas["FacebookSourceSettings"]
    assert facebook["additionalProperties"] is False
    assert ", ".join(facebook["properties"]) == FACEBOOK_KEYS
    assert facebook["properties"]["limit"] | {"description": ""} == {
        "type": "integer", "minimum": 1, "maximum": 100, "description": "",
    }  # fmt: skip
    assert schemas["NoSourceSettings"]["properties"] == {}
