""" "Send test message" next to a saved Slack / Teams webhook (agency's and clinic's alert
settings): a clearly labelled notice through the real alert path, to the suite's local fake
Slack and Teams receivers; the result in words on the page and remembered on the webhook (when,
by whom, what happened) until its URL changes; one test per webhook every 10 seconds."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest

from accounts.actors import Actor
from clinics.alerting import chat_webhooks_set
from clinics.models import ChatWebhook, Clinic
from tests.crisis.fake_chat import FakeChat

AGENCY_CHAT = "/agency/settings/chat/"
CLINIC_ALERTS = "/clinics/clinic-a/settings/alerts/"
PLACES = {"agency": AGENCY_CHAT, "clinic": CLINIC_ALERTS}


@pytest.fixture
def fake_chat():
    chat = FakeChat().start()
    yield chat
    chat.stop()


@pytest.fixture
def hooks(world, clinic_a, fake_chat):
    """Slack and Teams webhooks of the agency and of clinic A, each at its own fake path."""
    agency_id = world.agencies["alpha"].pk
    for clinic, scope in ((None, "agency"), (clinic_a, "clinic")):
        chat_webhooks_set(
            agency_id=agency_id,
            clinic=clinic,
            changes={k: f"{fake_chat.base_url}/{scope}/{k}" for k in ("slack", "teams")},
            actor=Actor(user=world.users["alpha_owner"]),
        )
    return fake_chat


def _hook(place: str, kind: str) -> ChatWebhook:
    return ChatWebhook.objects.get(clinic__isnull=place == "agency", kind=kind)


def _said(client, page: str) -> str:
    return client.get(page).content.decode()


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("kind", ["slack", "teams"])
def test_a_test_message_arrives_as_a_real_alert_would_and_the_page_says_so(
    login, hooks, place, kind
):
    client = login("alpha_manager")
    page = PLACES[place]
    # when
    response = client.post(page, {"action": "test", "kind": kind})
    # then one clearly labelled notice, in the platform's own format, and nothing else
    assert response.status_code == 302 and response["Location"] == page
    [post] = hooks.posts
    assert post["path"] == f"/{place}/{kind}"
    title = (
        "Test message · " + ("Alpha Agency" if place == "agency" else "Clinic A") + ": no incident"
    )
    if kind == "slack":
        assert post["json"]["text"] == title
        section = post["json"]["blocks"][0]["text"]["text"]
        assert section.startswith(f"*{title}*\nAlpha Manager sent this test")
        assert "no action is needed" in section
        assert post["json"]["blocks"][1]["elements"][0]["url"].endswith(page)
    else:
        [attachment] = post["json"]["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        card = attachment["content"]
        assert card["type"] == "AdaptiveCard" and card["body"][0]["text"] == title
        assert card["actions"][0]["title"] == "Open the alert settings"
    # and the page says where to look, and remembers the test on the webhook
    hook = _hook(place, kind)
    at = hook.last_test_at.strftime("%H:%M")
    label = "Slack" if kind == "slack" else "Microsoft Teams"
    html = _said(client, page)
    assert (
        f"Test message posted to {label} at {at} (UTC): check the channel this webhook posts to."
        in html
    )
    assert (hook.last_test_ok, hook.last_test_by_name) == (True, "Alpha Manager")
    row = html[html.index(f'data-last-test="{kind}"') :]
    assert row.startswith(f'data-last-test="{kind}" class="muted">Last test: posted <time')
    assert f"{at}</time> by Alpha Manager</span>" in row[:300]
    # the message was shown once
    assert "Test message posted" not in _said(client, page)


FAILURES = {
    "slack-no-service": (
        "slack", 404, "no_service",
        "Slack says this webhook no longer exists (HTTP 404, “no_service”): it was deleted, or "
        "the Slack app that made it was removed. Create a new incoming webhook in Slack, paste "
        "its URL here and save.",
    ),
    "slack-invalid-token": (
        "slack", 403, "invalid_token",
        "Slack says this webhook no longer exists (HTTP 403, “invalid_token”)",
    ),
    "slack-archived": (
        "slack", 410, "channel_is_archived",
        "Slack says the webhook's channel is gone or archived (HTTP 410, “channel_is_archived”): "
        "unarchive the channel, or create a webhook for another channel",
    ),
    "slack-prohibited": (
        "slack", 403, "action_prohibited",
        "Slack's workspace settings stop this webhook from posting to its channel",
    ),
    "slack-bad-payload": (
        "slack", 400, "invalid_payload",
        "Slack refused the test message (HTTP 400, “invalid_payload”). Check that the URL is an "
        "incoming-webhook address Slack gave you",
    ),
    "slack-down": (
        "slack", 503, "service unavailable",
        "Slack had a problem on its side (HTTP 503, “service unavailable”): send the test again "
        "in a few minutes",
    ),
    "teams-workflow-400": (
        "teams", 400,
        '{"error": {"code": "InvalidRequestContent", "message": "The input body for trigger '
        "'manual' of type 'Request' did not match its schema definition.\"}}",
        "Teams refused the test message (HTTP 400, “The input body for trigger 'manual' of "
        "type 'Request' did not match its schema definition.”): the address may belong to a "
        "Workflow that expects a different message.",
    ),
    "teams-gone": (
        "teams", 404, "",
        "Teams says this webhook no longer exists (HTTP 404): it was removed, or it was an "
        "Office 365 connector, which Microsoft has retired.",
    ),
    "teams-forbidden": (
        "teams", 403, '{"error": {"code": "WorkflowTriggerIsNotEnabled", "message": '
        '"The workflow is disabled."}}',
        "Teams refused access (HTTP 403, “The workflow is disabled.”): the webhook or its "
        "Workflow was turned off",
    ),
    "teams-throttled": (
        "teams", 429, "Too many requests",
        "Microsoft Teams is limiting posts to this channel right now (HTTP 429, “Too many "
        "requests”): wait a minute and send the test again.",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", FAILURES, ids=list(FAILURES))
def test_a_failed_test_says_what_the_platform_said_and_what_to_do(login, hooks, case):
    kind, status, body, words = FAILURES[case]
    hooks.answers[f"/clinic/{kind}"] = (status, body, 0.0)
    client = login("alpha_owner")
    # when
    assert client.post(CLINIC_ALERTS, {"action": "test", "kind": kind}).status_code == 302
    # then
    label = "Slack" if kind == "slack" else "Microsoft Teams"
    html = _said(client, CLINIC_ALERTS)
    assert f'<p class="flash error" role="alert">The test message to {label} failed: ' in html
    assert words in html.replace("&#x27;", "'").replace("&quot;", '"')
    hook = _hook("clinic", kind)
    assert hook.last_test_ok is False and words in hook.last_test_result
    row = html[html.index(f'data-last-test="{kind}"') :]
    assert row.startswith(f'data-last-test="{kind}" class="late">Last test: failed <time')
    shown = row[: row.index("</span>")].replace("&#x27;", "'").replace("&quot;", '"')
    assert f"</time> by Alpha Owner — {words}" in shown


@pytest.mark.parametrize("kind", ["slack", "teams"])
def test_a_channel_that_does_not_answer_in_time_is_said_as_such(login, hooks, kind, monkeypatch):
    monkeypatch.setattr("clinics.alerting.CHAT_TIMEOUT", 1)
    hooks.answers[f"/agency/{kind}"] = (200, "ok", 2.5)
    client = login("alpha_owner")
    assert client.post(AGENCY_CHAT, {"action": "test", "kind": kind}).status_code == 302
    label = "Slack" if kind == "slack" else "Microsoft Teams"
    assert (
        f"The test message to {label} failed: {label} did not answer within 1 second: it may be "
        "slow or down right now." in _said(client, AGENCY_CHAT)
    )
    assert _hook("agency", kind).last_test_ok is False


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(("kind", "error"), [("slack", "URLError"), ("teams", "ConnectError")])
def test_a_channel_that_cannot_be_reached_is_said_as_such(
    login, world, clinic_a, kind, error, caplog
):
    chat_webhooks_set(
        agency_id=clinic_a.agency_id,
        clinic=clinic_a,
        changes={kind: f"http://127.0.0.1:{_closed_port()}/{kind}"},
        actor=Actor(user=world.users["alpha_owner"]),
    )
    client = login("alpha_manager")
    assert client.post(CLINIC_ALERTS, {"action": "test", "kind": kind}).status_code == 302
    label = "Slack" if kind == "slack" else "Microsoft Teams"
    short = "Slack" if kind == "slack" else "Teams"
    html = _said(client, CLINIC_ALERTS)
    assert (
        f"{label} could not be reached: the address may be wrong, or {short} or the network "
        "is down." in html
    )
    # the exception's name is for the log, not for the people reading the page
    assert error not in html and "Error" not in _hook("clinic", kind).last_test_result
    assert error in caplog.text


CLINIC_MATRIX = {
    "alpha_owner": 302, "alpha_manager": 302, "alpha_writer": 403, "alpha_analyst": 403,
    "a_approver": 403, "a_viewer": 403, "a_legal": 403, "beta_owner": 404,
}  # fmt: skip
AGENCY_MATRIX = {
    "alpha_owner": 302, "alpha_manager": 302, "alpha_writer": 403, "alpha_analyst": 403,
    "a_approver": 404,
}  # fmt: skip


@pytest.mark.parametrize("who", CLINIC_MATRIX)
def test_who_may_test_a_clinic_webhook(login, hooks, who):
    client = login(who)
    response = client.post(CLINIC_ALERTS, {"action": "test", "kind": "slack"})
    assert response.status_code == CLINIC_MATRIX[who]
    allowed = CLINIC_MATRIX[who] == 302
    assert len(hooks.posts) == (1 if allowed else 0)
    assert (_hook("clinic", "slack").last_test_at is not None) is allowed
    if who.startswith("alpha_"):  # the staff who read the page see the button only if allowed
        assert ("Send test message" in _said(client, CLINIC_ALERTS)) is allowed


@pytest.mark.parametrize("who", AGENCY_MATRIX)
def test_who_may_test_an_agency_webhook(login, hooks, who):
    client = login(who)
    response = client.post(AGENCY_CHAT, {"action": "test", "kind": "teams"})
    assert response.status_code == AGENCY_MATRIX[who]
    allowed = AGENCY_MATRIX[who] == 302
    assert len(hooks.posts) == (1 if allowed else 0)
    assert (_hook("agency", "teams").last_test_at is not None) is allowed
    if who.startswith("alpha_"):
        assert ("Send test message" in _said(client, AGENCY_CHAT)) is allowed


def test_another_agency_tests_only_its_own_webhooks(login, hooks):
    # Beta's owner on the agency page acts in Beta, which has no webhook: nothing of Alpha's
    response = login("beta_owner").post(AGENCY_CHAT, {"action": "test", "kind": "slack"})
    assert response.status_code == 400
    assert "No Slack webhook is saved here: paste its URL, save, then send a test." in (
        response.content.decode()
    )
    assert hooks.posts == [] and _hook("agency", "slack").last_test_at is None


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("slack", "No Slack webhook is saved here: paste its URL, save, then send a test."),
        ("", "Choose Slack or Microsoft Teams to send a test message to."),
        ("irc", "Choose Slack or Microsoft Teams to send a test message to."),
    ],
)
def test_no_webhook_of_that_kind_is_a_400_with_a_message(login, fake_chat, kind, message):
    response = login("alpha_manager").post(CLINIC_ALERTS, {"action": "test", "kind": kind})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert fake_chat.posts == []


def test_one_test_per_webhook_every_10_seconds(login, hooks):
    client = login("alpha_manager")
    assert client.post(CLINIC_ALERTS, {"action": "test", "kind": "slack"}).status_code == 302
    first = _hook("clinic", "slack").last_test_at
    assert "Test message posted" in _said(client, CLINIC_ALERTS)
    # when: again at once
    again = client.post(CLINIC_ALERTS, {"action": "test", "kind": "slack"}, follow=True)
    # then a message on the page, not an error page, and nothing sent
    assert again.status_code == 200
    html = again.content.decode()
    assert (
        '<p class="flash warning" role="alert">A test message was just tried on this Slack '
        "webhook: " in (html)
    )
    assert "before sending another." in html and "Test message posted" not in html
    assert len(hooks.posts) == 1 and _hook("clinic", "slack").last_test_at == first
    # the limit is per webhook: the clinic's Teams channel may be tested now
    assert client.post(CLINIC_ALERTS, {"action": "test", "kind": "teams"}).status_code == 302
    assert len(hooks.posts) == 2
    # 10 seconds later the Slack webhook may be tested again
    ChatWebhook.objects.filter(pk=_hook("clinic", "slack").pk).update(
        last_test_at=first - timedelta(seconds=10)
    )
    assert client.post(CLINIC_ALERTS, {"action": "test", "kind": "slack"}).status_code == 302
    assert [p["path"] for p in hooks.posts] == ["/clinic/slack", "/clinic/teams", "/clinic/slack"]


def test_the_wait_after_a_failed_test_does_not_say_a_message_was_sent(login, hooks):
    hooks.answers["/clinic/teams"] = (500, "down", 0.0)
    client = login("alpha_manager")
    assert client.post(CLINIC_ALERTS, {"action": "test", "kind": "teams"}).status_code == 302
    again = client.post(CLINIC_ALERTS, {"action": "test", "kind": "teams"}, follow=True)
    html = again.content.decode()
    assert "A test message was just tried on this Microsoft Teams webhook: wait " in html
    assert "was just sent" not in html and len(hooks.posts) == 1


def test_the_last_test_is_cleared_when_the_url_changes(login, hooks):
    client = login("alpha_manager")
    hooks.answers["/agency/slack"] = (404, "no_service", 0.0)
    assert client.post(AGENCY_CHAT, {"action": "test", "kind": "slack"}).status_code == 302
    html = _said(client, AGENCY_CHAT)
    assert 'class="late">Last test: failed <time' in html
    assert "by Alpha Manager — Slack says this webhook no longer exists (HTTP 404" in html
    # the same URL saved again changes nothing: its last test still holds
    same = f"{hooks.base_url}/agency/slack"
    assert client.post(AGENCY_CHAT, {"slack": same}).status_code == 302
    assert _hook("agency", "slack").last_test_ok is False
    # when: a new URL is pasted
    assert client.post(
        AGENCY_CHAT, {"slack": f"{hooks.base_url}/agency/slack-new"}
    ).status_code == (302)
    # then the old URL's test is gone, and the new one may be tested at once
    hook = _hook("agency", "slack")
    assert (hook.last_test_at, hook.last_test_by_name, hook.last_test_ok, hook.last_test_result) == (
        None, "", None, "",
    )  # fmt: skip
    html = _said(client, AGENCY_CHAT)
    assert "Last test:" not in html
    assert "Not tested yet: send a test message to see that alerts arrive." in html
    assert client.post(AGENCY_CHAT, {"action": "test", "kind": "slack"}).status_code == 302
    assert hooks.posts[-1]["path"] == "/agency/slack-new" and _hook("agency", "slack").last_test_ok


def test_writers_read_the_last_test_without_the_button(login, hooks):
    login("alpha_owner").post(CLINIC_ALERTS, {"action": "test", "kind": "teams"})
    html = _said(login("alpha_writer"), CLINIC_ALERTS)
    assert 'data-last-test="teams" class="muted">Last test: posted' in html
    assert "by Alpha Owner" in html and "Send test message" not in html
    assert 'data-last-test="slack">Not tested yet.</span>' in html


def test_a_clinic_name_ending_in_s_takes_the_apostrophe_alone(login, hooks, clinic_a):
    Clinic.objects.filter(pk=clinic_a.pk).update(name="Harbor Dental & Implants")

    login("alpha_manager").post(CLINIC_ALERTS, {"action": "test", "kind": "slack"})

    [post] = hooks.posts
    section = post["json"]["blocks"][0]["text"]["text"]
    # (Slack's text escapes "&")
    assert "that Harbor Dental &amp; Implants’ incident alerts reach this channel" in section
    assert "Implants's" not in section and "Implants’s" not in section
