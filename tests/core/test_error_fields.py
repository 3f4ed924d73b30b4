"""Every invalid input is answered with `fields` as documented (docs/integrate.md §7): flat, a list
of messages per field, a nested field named by its path (`scopes[0]`, `items[1].review_id`),
an error about the body as a whole under `body`. And a JSON value of the wrong type is refused
before anything is changed ("Must be a string.", "Must be true or false."); a form is not JSON:
a 415 in the same error shape, and nothing is stored."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.test.client import MULTIPART_CONTENT
from django_tenants.utils import schema_context

from accounts.models import ApiKey
from core.api import fields_flattened
from crisis.models import DetectorSettings
from responses.models import ReplyDraft
from tests.responses.conftest import OK_TEXT, Api, review_in
from webhooks.models import WebhookSubscription

KEYS = "/clinics/clinic-a/api/v1/api-keys/"


def _json(client: Client, method: str, url: str, body) -> object:
    return client.generic(method, url, json.dumps(body), "application/json")


@pytest.fixture
def manager(clinic_a, login) -> Api:
    return Api(login("alpha_manager"), clinic_a)


def _keys(clinic_a) -> int:
    return ApiKey.objects.filter(clinic_id=clinic_a.pk).count()


@pytest.mark.parametrize(
    ("errors", "flat"),
    [
        ({"name": ["Bad."]}, {"name": ["Bad."]}),
        ({"scopes": {0: ["Bad."], 2: ["Worse."]}}, {"scopes[0]": ["Bad."], "scopes[2]": ["Worse."]}),
        (
            {"items": [{}, {"review_id": ["Required."]}, {"non_field_errors": ["Not yours."]}]},
            {"items[1].review_id": ["Required."], "items[2]": ["Not yours."]},
        ),
        ({"items": {"non_field_errors": ["Expected a list."]}}, {"items": ["Expected a list."]}),
        ({"settings": {"colour": ["Unknown."]}}, {"settings.colour": ["Unknown."]}),
        ({"a": [{"b": {0: {"c": ["Deep."]}}}]}, {"a[0].b[0].c": ["Deep."]}),
        ({"non_field_errors": ["Expected an object."]}, {"body": ["Expected an object."]}),
        ({"__all__": ["Model says no."]}, {"body": ["Model says no."]}),
        (["Alone."], {"body": ["Alone."]}),
        ({"text": "One message."}, {"text": ["One message."]}),
    ],
    ids=["flat", "list-field", "list-of-objects", "list-level", "nested-object", "deep",
         "non-field", "model-non-field", "bare-list", "bare-string"],
)  # fmt: skip
def test_errors_are_flattened_to_a_list_of_messages_per_field_path(errors, flat):
    assert fields_flattened(errors) == flat


def test_a_bad_item_of_a_list_is_named_by_its_index_and_nothing_is_created(manager, clinic_a):
    before = _keys(clinic_a)

    answer = manager.post("api-keys/", {"name": "x", "scopes": ["read", "admin"]})

    assert answer.status_code == 400
    assert answer.json() == {
        "detail": "Invalid input.",
        "code": "invalid",
        "fields": {"scopes[1]": ['"admin" is not a valid choice.']},
    }
    assert _keys(clinic_a) == before


def test_a_blank_word_of_a_list_is_named_by_its_index_and_nothing_changes(manager, clinic_a):
    with schema_context(clinic_a.schema_name):
        before = list(DetectorSettings.objects.values())

    answer = manager.patch("crisis/settings/", {"watch_words": ["lawsuit", ""]})

    assert answer.status_code == 400
    assert answer.json()["fields"] == {"watch_words[1]": ["This field may not be blank."]}
    with schema_context(clinic_a.schema_name):
        assert list(DetectorSettings.objects.values()) == before


def test_a_body_that_is_not_an_object_is_named_body(manager, clinic_a):
    before = _keys(clinic_a)

    answer = _json(manager.client, "POST", KEYS, [{"name": "x", "scopes": ["read"]}])

    assert answer.status_code == 400
    assert answer.json()["fields"] == {
        "body": ["Invalid data. Expected a dictionary, but got list."]
    }
    assert _keys(clinic_a) == before


def test_a_list_level_error_is_named_by_the_list(world, api):
    answer = _json(
        api("key_alpha"),
        "POST",
        "/api/v1/privacy-requests/",
        {"author": "Reese", "reason": "Erasure request REQ-1 by e-mail", "action": "redact",
         "items": "all"},
    )  # fmt: skip

    assert answer.status_code == 400
    assert answer.json()["fields"] == {"items": ['Expected a list of items but got type "str".']}


def test_a_number_for_a_key_name_is_refused_not_stored_as_text(manager, clinic_a):
    before = _keys(clinic_a)

    answer = manager.post("api-keys/", {"name": 5, "scopes": ["read"]})

    assert answer.status_code == 400
    assert answer.json() == {
        "detail": "Invalid input.",
        "code": "invalid",
        "fields": {"name": ["Must be a string."]},
    }
    assert _keys(clinic_a) == before


@pytest.mark.parametrize("text", [5, 4.5, True, ["Thank you"], {"text": "Thank you"}])
def test_a_compliance_check_of_a_text_that_is_not_a_string_is_a_400(api, text):
    answer = _json(
        api("key_a"), "POST", "/clinics/clinic-a/api/v1/compliance/check/", {"text": text}
    )

    assert answer.status_code == 400
    assert answer.json()["fields"] == {"text": ["Must be a string."]}


def test_an_approval_comment_that_is_not_a_string_is_refused_and_nothing_changes(manager, clinic_a):
    # given a draft
    created = manager.post("drafts/", {"review_id": review_in(clinic_a, "csv").pk, "text": OK_TEXT})
    assert created.status_code == 201, created.json()
    draft_id = created.json()["id"]

    # when a number is given as the approval's comment
    answer = manager.post(f"drafts/{draft_id}/approve/", {"comment": 5})

    # then it is refused before the approval is even considered
    assert answer.status_code == 400
    assert answer.json()["fields"] == {"comment": ["Must be a string."]}
    with schema_context(clinic_a.schema_name):
        assert ReplyDraft.objects.get(pk=draft_id).status == "draft"


@pytest.mark.parametrize("flag", ["yes", "true", 1, 0, "false"])
def test_a_flag_that_is_not_true_or_false_is_refused_on_create(login, clinic_a, settings, flag):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    body = {"url": "http://127.0.0.1:9/hook", "events": ["review.created"], "is_active": flag}

    answer = _json(login("alpha_manager"), "POST", "/clinics/clinic-a/api/v1/webhooks/", body)

    assert answer.status_code == 400
    assert answer.json()["fields"] == {"is_active": ["Must be true or false."]}
    with schema_context(clinic_a.schema_name):
        assert not WebhookSubscription.objects.exists()


def test_json_types_are_read_in_nested_objects(world, api):
    answer = _json(
        api("key_alpha"),
        "POST",
        "/api/v1/privacy-requests/",
        {"author": "Reese", "reason": "Erasure request REQ-1 by e-mail", "action": "redact",
         "items": [{"clinic": 7, "review_id": 1}]},
    )  # fmt: skip

    assert answer.status_code == 400
    assert answer.json()["fields"] == {"items[0].clinic": ["Must be a string."]}


@pytest.mark.parametrize(
    ("content_type", "encode"),
    [
        ("application/x-www-form-urlencoded", lambda form: urlencode(form, doseq=True)),
        (MULTIPART_CONTENT, lambda form: form),
    ],
    ids=["urlencoded", "multipart"],
)
def test_a_form_body_is_a_415_in_the_error_shape_and_stores_nothing(
    login, clinic_a, settings, content_type, encode
):
    # given writes the API documents as JSON, sent as forms
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    hook = {"url": "http://127.0.0.1:9/hook", "events": ["review.created"], "is_active": "false"}
    key = {"name": "CRM", "scopes": "read"}
    sent = content_type.split(";")[0]
    keys = _keys(clinic_a)

    # when the manager posts them
    client = login("alpha_manager")
    answers = [
        client.post("/clinics/clinic-a/api/v1/webhooks/", encode(hook), content_type=content_type),
        client.post(KEYS, encode(key), content_type=content_type),
    ]

    # then each is a 415 that says what to send, in the shape of every error, and nothing is
    # stored
    for answer in answers:
        assert answer.status_code == 415, answer.content
        assert answer.json() == {
            "detail": f"The body must be JSON (Content-Type: application/json), not {sent}.",
            "code": "unsupported_media_type",
        }
    with schema_context(clinic_a.schema_name):
        assert not WebhookSubscription.objects.exists()
    assert _keys(clinic_a) == keys


def test_the_csv_import_takes_multipart_alone(api, clinic_a):
    answer = api("key_a").post("/clinics/clinic-a/api/v1/imports/", {"file": "x"})

    assert answer.status_code == 415
    assert answer.json() == {
        "detail": "The body must be a multipart/form-data upload (Content-Type: "
        "multipart/form-data), not application/json.",
        "code": "unsupported_media_type",
    }


def test_values_of_their_json_type_are_taken(login, clinic_a, settings, manager):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    body = {"url": "http://127.0.0.1:9/hook", "events": ["review.created"], "is_active": False}

    webhook = _json(login("alpha_manager"), "POST", "/clinics/clinic-a/api/v1/webhooks/", body)
    key = manager.post("api-keys/", {"name": "CRM", "scopes": ["read"]})

    assert webhook.status_code == 201 and webhook.json()["is_active"] is False
    assert key.status_code == 201 and key.json()["name"] == "CRM"
