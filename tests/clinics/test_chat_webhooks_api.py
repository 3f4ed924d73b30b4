"""The chat webhooks API (`/clinics/<slug>/api/v1/chat-webhooks/`): the clinic's Slack and Teams
channels for incident alerts, managed as on the alert settings page and through the same
services (`clinics.alerting`): the URL is a secret, never returned (only host and last four
characters) nor in the settings history; bad input is a 400 that changes nothing; another
clinic's webhook is a 404; `test/` sends the page's test message, here to the suite's local
fake Slack and Teams receivers. Who may call what: tests/clinics/test_isolation.py."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from accounts.actors import Actor
from clinics.alerting import chat_webhooks_set
from clinics.models import ChatWebhook, SettingChange
from core.crypto import decrypt_json
from core.errors import Conflict
from tests.api.test_examples import openapi_schema
from tests.clinics import test_chat_test_message as chat_page

API = "/clinics/clinic-a/api/v1/chat-webhooks/"
SLACK = "https://hooks.slack.com/services/T000/B000/abcdefSECRETwxyz"
SLACK_2 = "https://hooks.slack.com/services/T000/B000/ghijklSECRETmnop"
TEAMS = "https://contoso.webhook.office.com/webhookb2/abc/IncomingWebhook/def/SECRETteam"
LABEL = {"slack": "Slack", "teams": "Microsoft Teams"}
# the page's tests' local fake Slack and Teams receivers (a fixture), and how they fail
fake_chat = chat_page.fake_chat
FAILURES = chat_page.FAILURES


def _json(client, method: str, url: str, body=None):
    return client.generic(method, url, "" if body is None else json.dumps(body), "application/json")


@pytest.fixture
def manager(login):
    return login("alpha_manager")


@pytest.fixture
def history(db):
    """history() -> the settings history lines written since the test began, oldest first."""
    start = SettingChange.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def _lines() -> list[tuple]:
        return list(
            SettingChange.objects.filter(id__gt=start)
            .order_by("id")
            .values_list("setting", "old_value", "new_value", "actor_name", "via", "clinic__slug")
        )

    return _lines


def _stored(clinic, kind: str = "slack") -> str | None:
    row = ChatWebhook.objects.filter(clinic=clinic, kind=kind).first()
    return None if row is None else decrypt_json(row.url_encrypted)["url"]


def _set(world, clinic, changes: dict[str, str | None]) -> dict[str, ChatWebhook]:
    return chat_webhooks_set(
        agency_id=world.agencies["alpha"].pk,
        clinic=clinic,
        changes=changes,
        actor=Actor(user=world.users["alpha_owner"]),
    )


# --- create, read, change, delete ---------------------------------------------------------------


def test_a_manager_creates_reads_changes_and_deletes_a_webhook(manager, clinic_a, history):
    # when
    created = _json(manager, "POST", API, {"kind": "slack", "url": SLACK})
    # then the answer shows the webhook, its URL only as host and last four characters
    assert created.status_code == 201
    body = created.json()
    hook = ChatWebhook.objects.get(clinic=clinic_a, kind="slack")
    assert body == {
        "id": hook.pk, "kind": "slack", "kind_words": "Slack", "url_hint": "hooks.slack.com …wxyz",
        "last_test_at": None, "last_test_by_name": "", "last_test_ok": None,
        "last_test_result": "", "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }  # fmt: skip
    assert _stored(clinic_a) == SLACK and SLACK not in hook.url_encrypted
    # and it is listed and read with the same shape
    listed = manager.get(API).json()
    assert listed == {"next": None, "previous": None, "results": [body]}
    assert manager.get(f"{API}{hook.pk}/").json() == body
    # when its URL is replaced
    changed = _json(manager, "PATCH", f"{API}{hook.pk}/", {"url": f"  {SLACK_2} "})
    assert changed.status_code == 200
    assert changed.json()["url_hint"] == "hooks.slack.com …mnop"
    assert changed.json()["id"] == hook.pk and _stored(clinic_a) == SLACK_2
    # when it is deleted
    assert _json(manager, "DELETE", f"{API}{hook.pk}/").status_code == 204
    assert not ChatWebhook.objects.filter(clinic=clinic_a).exists()
    assert manager.get(API).json()["results"] == []
    assert manager.get(f"{API}{hook.pk}/").status_code == 404
    # and each change is in the settings history as the manager's, through the API, no URL
    who = ("Alpha Manager", "api", "clinic-a")
    assert history() == [
        ("Slack webhook", "not set", "set (hidden)", *who),
        ("Slack webhook", "set (hidden)", "replaced (hidden)", *who),
        ("Slack webhook", "set (hidden)", "removed", *who),
    ]


def test_a_clinic_has_one_webhook_of_each_kind(manager, clinic_a, history):
    assert _json(manager, "POST", API, {"kind": "teams", "url": TEAMS}).status_code == 201
    slack = _json(manager, "POST", API, {"kind": "slack", "url": SLACK}).json()
    # when a second Slack webhook is created
    again = _json(manager, "POST", API, {"kind": "slack", "url": SLACK_2})
    # then it is refused, and the first stays as it was
    assert again.status_code == 409
    assert again.json() == {
        "detail": "A Slack webhook is saved here already: change its URL, or remove it first.",
        "code": "exists",
    }
    assert _stored(clinic_a) == SLACK and len(history()) == 2
    assert [h["kind"] for h in manager.get(API).json()["results"]] == ["slack", "teams"]
    assert manager.get(f"{API}{slack['id']}/").json() == slack


def test_the_same_url_again_changes_nothing_and_keeps_the_last_test(
    manager, clinic_a, world, history
):
    hook = _set(world, clinic_a, {"slack": SLACK})["slack"]
    ChatWebhook.objects.filter(pk=hook.pk).update(last_test_ok=True, last_test_result="Posted.")
    start = len(history())
    # when
    same = _json(manager, "PATCH", f"{API}{hook.pk}/", {"url": SLACK, "kind": "slack"})
    nothing = _json(manager, "PATCH", f"{API}{hook.pk}/", {})
    # then
    assert same.status_code == nothing.status_code == 200
    assert same.json()["last_test_ok"] is True and same.json()["last_test_result"] == "Posted."
    assert nothing.json() == same.json() and len(history()) == start
    # and a new URL clears the last test (it was another address's)
    fresh = _json(manager, "PATCH", f"{API}{hook.pk}/", {"url": SLACK_2}).json()
    assert (fresh["last_test_ok"], fresh["last_test_result"], fresh["last_test_at"]) == (
        None, "", None,
    )  # fmt: skip


def test_the_url_is_never_answered_nor_recorded(manager, clinic_a, fake_chat):
    local = f"{fake_chat.base_url}/clinic/SECRETslack"
    answers = [_json(manager, "POST", API, {"kind": "slack", "url": SLACK})]
    hook_id = answers[0].json()["id"]
    answers += [
        manager.get(API),
        manager.get(f"{API}{hook_id}/"),
        _json(manager, "PATCH", f"{API}{hook_id}/", {"url": local}),
        _json(manager, "POST", f"{API}{hook_id}/test/"),
        manager.get("/clinics/clinic-a/api/v1/settings-history/"),
    ]
    assert [a.status_code for a in answers] == [201, 200, 200, 200, 200, 200]
    for answer in answers:
        assert "SECRET" not in answer.content.decode()
    texts = SettingChange.objects.values_list("setting", "old_value", "new_value")
    assert texts and not any("SECRET" in " ".join(row) for row in texts)
    assert answers[3].json()["url_hint"] == "127.0.0.1 …lack"


# --- bad input: a 400 naming the field, and nothing changes --------------------------------------

CREATE_REFUSED = {
    "unknown-kind": ({"kind": "irc", "url": SLACK}, {"kind": ["Unknown chat; choose one of slack, teams."]}),
    "no-kind": ({"url": SLACK}, {"kind": ["This field is required."]}),
    "no-url": ({"kind": "slack"}, {"url": ["Paste the webhook URL."]}),
    "blank-url": ({"kind": "slack", "url": "   "}, {"url": ["Paste the webhook URL."]}),
    "not-a-url": ({"kind": "slack", "url": "hooks"}, {"url": ["This is not a URL."]}),
    "plain-http": (
        {"kind": "slack", "url": SLACK.replace("https:", "http:")},
        {"url": ["Use the https:// address the chat gave you."]},
    ),
    "another-host": (
        {"kind": "slack", "url": "https://evil.example/services/x"},
        {"url": ["This is not a Slack incoming-webhook address (hooks.slack.com, hooks.slack-gov.com)."]},
    ),
    "teams-url-as-slack": (
        {"kind": "slack", "url": TEAMS},
        {"url": ["This is not a Slack incoming-webhook address (hooks.slack.com, hooks.slack-gov.com)."]},
    ),
    "slack-url-as-teams": (
        {"kind": "teams", "url": SLACK},
        {"url": ["This is not a Microsoft Teams incoming-webhook address (webhook.office.com, "
                 "outlook.office.com, outlook.office365.com, logic.azure.com, api.powerplatform.com)."]},
    ),
    "too-long": (
        {"kind": "slack", "url": SLACK + "x" * 500},
        {"url": ["Ensure this field has no more than 500 characters."]},
    ),
    "url-not-text": ({"kind": "slack", "url": [SLACK]}, {"url": ["Must be a string."]}),
    "unknown-field": (
        {"kind": "slack", "url": SLACK, "channel": "#alerts"}, {"channel": ["Unknown field."]},
    ),
    "the-hint-sent-back": (
        {"kind": "slack", "url": SLACK, "url_hint": "x"}, {"url_hint": ["Unknown field."]},
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CREATE_REFUSED, ids=list(CREATE_REFUSED))
def test_bad_input_to_create_is_a_400_that_stores_nothing(manager, clinic_a, history, case):
    body, fields = CREATE_REFUSED[case]
    response = _json(manager, "POST", API, body)
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid", "fields": fields}
    assert not ChatWebhook.objects.filter(clinic=clinic_a).exists() and history() == []


UPDATE_REFUSED = {
    "blank-url": ({"url": ""}, {"url": ["Paste the webhook URL."]}),
    "null-url": ({"url": None}, {"url": ["This field may not be null."]}),
    "wrong-host": (
        {"url": "https://hooks.slack.com.evil.example/x"},
        {"url": ["This is not a Slack incoming-webhook address (hooks.slack.com, hooks.slack-gov.com)."]},
    ),
    "another-kind": (
        {"kind": "teams", "url": TEAMS},
        {"kind": ["This is a Slack webhook and stays one: delete it and create a Microsoft Teams "
                  "webhook instead."]},
    ),
    "unknown-kind": ({"kind": "irc"}, {"kind": ["Unknown chat; choose one of slack, teams."]}),
    "unknown-field": ({"url": SLACK_2, "enabled": False}, {"enabled": ["Unknown field."]}),
    "not-an-object": (["url"], {"body": ["Invalid data. Expected a dictionary, but got list."]}),
}  # fmt: skip


@pytest.mark.parametrize("case", UPDATE_REFUSED, ids=list(UPDATE_REFUSED))
def test_bad_input_to_change_is_a_400_that_changes_nothing(manager, clinic_a, world, history, case):
    hook = _set(world, clinic_a, {"slack": SLACK})["slack"]
    before = ChatWebhook.objects.filter(pk=hook.pk).values().get()
    start = len(history())
    body, fields = UPDATE_REFUSED[case]
    response = _json(manager, "PATCH", f"{API}{hook.pk}/", body)
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid input.", "code": "invalid", "fields": fields}
    assert ChatWebhook.objects.filter(pk=hook.pk).values().get() == before
    assert len(history()) == start


def test_the_service_refuses_what_changed_meanwhile(world, clinic_a, history):
    # the API passes what it saw (`expect`); a webhook saved or removed since is a 409
    hook = _set(world, clinic_a, {"slack": SLACK})["slack"]
    start = len(history())
    owner = Actor(user=world.users["alpha_owner"])
    agency_id = world.agencies["alpha"].pk
    with pytest.raises(Conflict) as saved:
        chat_webhooks_set(agency_id=agency_id, clinic=clinic_a, changes={"slack": SLACK_2},
                          actor=owner, expect={"slack": None})  # fmt: skip
    with pytest.raises(Conflict) as removed:
        chat_webhooks_set(agency_id=agency_id, clinic=clinic_a, changes={"slack": None},
                          actor=owner, expect={"slack": hook.pk + 1000})  # fmt: skip
    assert (saved.value.code, removed.value.code) == ("exists", "changed")
    assert _stored(clinic_a) == SLACK and len(history()) == start


# --- another clinic's, or the agency's own webhook: not found ------------------------------------


@pytest.mark.parametrize("whose", ["clinic-b", "agency"])
def test_a_webhook_this_clinic_does_not_own_is_not_found(
    manager, world, clinic_b, fake_chat, history, whose
):
    clinic = clinic_b if whose == "clinic-b" else None
    hook = _set(world, clinic, {"slack": f"{fake_chat.base_url}/{whose}/slack"})["slack"]
    before = ChatWebhook.objects.filter(pk=hook.pk).values().get()
    start = len(history())
    calls = [
        ("GET", f"{API}{hook.pk}/", None),
        ("PATCH", f"{API}{hook.pk}/", {"url": SLACK_2}),
        ("DELETE", f"{API}{hook.pk}/", None),
        ("POST", f"{API}{hook.pk}/test/", None),
    ]
    for method, url, body in calls:
        response = _json(manager, method, url, body)
        assert response.status_code == 404, (method, response.content)
        assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert manager.get(API).json()["results"] == []
    # and nothing of it changed, nor was anything sent
    assert ChatWebhook.objects.filter(pk=hook.pk).values().get() == before
    assert fake_chat.posts == [] and len(history()) == start


# --- "Send test message" -------------------------------------------------------------------------


@pytest.fixture
def local_hooks(world, clinic_a, fake_chat):
    """Clinic A's Slack and Teams webhooks at the local fake receivers."""
    return _set(
        world, clinic_a, {k: f"{fake_chat.base_url}/clinic/{k}" for k in ("slack", "teams")}
    )


@pytest.mark.parametrize("kind", ["slack", "teams"])
def test_a_test_message_arrives_and_the_answer_says_where_to_look(
    manager, local_hooks, fake_chat, kind
):
    hook = local_hooks[kind]
    # when
    response = _json(manager, "POST", f"{API}{hook.pk}/test/")
    # then the page's notice went to the channel, through the real alert path
    assert response.status_code == 200
    [post] = fake_chat.posts
    assert post["path"] == f"/clinic/{kind}"
    title = "Test message · Clinic A: no incident"
    if kind == "slack":
        assert post["json"]["text"] == title
        assert post["json"]["blocks"][0]["text"]["text"].startswith(
            f"*{title}*\nAlpha Manager sent this test"
        )
    else:
        assert post["json"]["attachments"][0]["content"]["body"][0]["text"] == title
    # and the answer says so in words, with the webhook and its last test
    hook.refresh_from_db()
    at = hook.last_test_at.strftime("%H:%M")
    words = f"Test message posted to {LABEL[kind]} at {at} (UTC): check the channel this webhook posts to."
    body = response.json()
    assert (body["ok"], body["result"]) == (True, words)
    assert body["webhook"]["id"] == hook.pk and body["webhook"]["last_test_ok"] is True
    assert body["webhook"]["last_test_by_name"] == "Alpha Manager"
    assert body["webhook"]["last_test_result"] == words
    assert (hook.last_test_ok, hook.last_test_by_name) == (True, "Alpha Manager")


@pytest.mark.parametrize("case", FAILURES, ids=list(FAILURES))
def test_a_failed_test_says_what_the_platform_answered(manager, local_hooks, fake_chat, case):
    kind, status, answer, words = FAILURES[case]
    fake_chat.answers[f"/clinic/{kind}"] = (status, answer, 0.0)
    response = _json(manager, "POST", f"{API}{local_hooks[kind].pk}/test/")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False
    assert body["result"].startswith(f"The test message to {LABEL[kind]} failed: {words}")
    assert body["webhook"]["last_test_ok"] is False
    assert body["webhook"]["last_test_result"].startswith(words)
    assert len(fake_chat.posts) == 1


def test_one_test_per_webhook_every_10_seconds(manager, local_hooks, fake_chat):
    slack, teams = local_hooks["slack"], local_hooks["teams"]
    assert _json(manager, "POST", f"{API}{slack.pk}/test/").status_code == 200
    first = ChatWebhook.objects.get(pk=slack.pk).last_test_at
    # when: again at once
    again = _json(manager, "POST", f"{API}{slack.pk}/test/")
    # then a 429 that says how long to wait, and nothing sent
    assert again.status_code == 429
    assert again.json()["code"] == "too_soon"
    assert again.json()["detail"].startswith(
        "A test message was just tried on this Slack webhook: wait "
    )
    assert 1 <= int(again["Retry-After"]) <= 10
    assert len(fake_chat.posts) == 1 and ChatWebhook.objects.get(pk=slack.pk).last_test_at == first
    # the limit is per webhook
    assert _json(manager, "POST", f"{API}{teams.pk}/test/").status_code == 200
    # 10 seconds later the Slack webhook may be tested again
    ChatWebhook.objects.filter(pk=slack.pk).update(last_test_at=first - timedelta(seconds=10))
    assert _json(manager, "POST", f"{API}{slack.pk}/test/").status_code == 200
    assert [p["path"] for p in fake_chat.posts] == [
        "/clinic/slack",
        "/clinic/teams",
        "/clinic/slack",
    ]


def test_a_test_takes_no_body(manager, local_hooks, fake_chat):
    response = _json(manager, "POST", f"{API}{local_hooks['slack'].pk}/test/", {"text": "hi"})
    assert response.status_code == 400
    assert response.json()["fields"] == {"text": ["Unknown field."]}
    assert fake_chat.posts == []


# --- the OpenAPI document ------------------------------------------------------------------------


def test_the_chat_webhooks_api_is_documented():
    schema = openapi_schema()
    base = "/clinics/{clinic}/api/v1/chat-webhooks/"
    operations = {
        f"{method.upper()} {path}": operation
        for path, item in schema["paths"].items()
        if path.startswith(base)
        for method, operation in item.items()
    }
    assert {name: op["operationId"] for name, op in operations.items()} == {
        f"GET {base}": "chat_webhook_list",
        f"POST {base}": "chat_webhook_create",
        f"GET {base}{{webhook_id}}/": "chat_webhook_retrieve",
        f"PATCH {base}{{webhook_id}}/": "chat_webhook_update",
        f"DELETE {base}{{webhook_id}}/": "chat_webhook_delete",
        f"POST {base}{{webhook_id}}/test/": "chat_webhook_test",
    }
    assert {tag for op in operations.values() for tag in op["tags"]} == {"chat-webhooks"}
    assert "chat-webhooks" in {tag["name"] for tag in schema["tags"]}
    assert {"409", "429"} <= set(operations[f"POST {base}{{webhook_id}}/test/"]["responses"])
    assert "409" in operations[f"POST {base}"]["responses"]
    components = schema["components"]["schemas"]
    # the URL goes in, and never comes out
    assert "url" not in components["ChatWebhookOutput"]["properties"]
    assert components["ChatWebhookInput"]["properties"]["url"]["writeOnly"] is True
    assert components["ChatWebhookInput"]["required"] == ["kind", "url"]
    assert components["ChatKindEnum"]["enum"] == ["slack", "teams"]
