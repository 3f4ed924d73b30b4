"""Routing an opened incident to the people who act, chat messages to local fake Slack and
Teams receivers, the one-click acknowledge link (once only) and the banner."""

from __future__ import annotations

import pytest
from django.core import signing
from django.test import Client
from django_tenants.utils import schema_context

from clinics.models import Notification, OnCall
from clinics.notifications import preference_set
from crisis.models import AckTokenUse, EventKind, Incident
from crisis.services import incident_notify_opened
from crisis.services.alerting import (
    ACK_SALT,
    ack_token_make,
    chat_webhook_set,
    incident_recipients,
)
from tests.crisis.conftest import acting
from tests.crisis.fake_chat import FakeChat


@pytest.fixture
def fake_chat():
    chat = FakeChat().start()
    yield chat
    chat.stop()


def _fresh(incident: Incident, clinic) -> Incident:
    # A request to a public page leaves the connection on the public schema.
    with schema_context(clinic.schema_name):
        incident.refresh_from_db()
    return incident


def _in(clinic, fn):
    with schema_context(clinic.schema_name):
        return fn()


def _token(mail) -> str:
    line = next(x for x in mail.body.splitlines() if "/alerts/ack/" in x)
    return line.split("/alerts/ack/", 1)[1].strip().rstrip("/")


def test_the_on_call_list_replaces_the_owner_and_manager_fallback(clinic_a, world):
    # given the writer on call for clinic A
    OnCall.objects.create(clinic=clinic_a, user=world.users["alpha_writer"])
    # then the writer and the crisis team are alerted, not the owner and manager
    people = {r.user.email: (r.side, r.why) for r in incident_recipients(clinic_a)}
    assert people == {
        "writer@alpha.test": ("agency", ["on call"]),
        "a_approver@clinics.test": ("clinic", ["crisis team: Comms / PR"]),
        "a_legal@clinics.test": ("clinic", ["crisis team: Legal / compliance"]),
    }


def test_an_incident_reaches_email_in_app_slack_and_teams_with_ack_links(
    clinic_a, world, incident, mailoutbox, fake_chat, django_capture_on_commit_callbacks
):
    # given the agency's Slack channel and the clinic's Teams channel (stored encrypted)
    chat_webhook_set(
        agency_id=clinic_a.agency_id, clinic=None, kind="slack",
        url=f"{fake_chat.base_url}/slack", actor=acting("test"),
    )  # fmt: skip
    chat_webhook_set(
        agency_id=clinic_a.agency_id, clinic=clinic_a, kind="teams",
        url=f"{fake_chat.base_url}/teams", actor=acting("test"),
    )  # fmt: skip
    from clinics.models import ChatWebhook

    assert all("127.0.0.1" not in h.url_encrypted for h in ChatWebhook.objects.all())
    # and the legal person wants no in-app messages
    preference_set(user=world.users["a_legal"], email=True, in_app=False, digest="immediate")
    # when the alert goes out
    with django_capture_on_commit_callbacks(execute=True):
        incident_notify_opened(incident_id=incident.pk)
    # then four e-mails, each with its own acknowledge link
    assert len(mailoutbox) == 4
    assert len({_token(m) for m in mailoutbox}) == 4
    # and in-app messages for everyone but legal
    assert sorted(
        Notification.objects.filter(ref=f"incident:{incident.pk}").values_list(
            "user__email", flat=True
        )
    ) == ["a_approver@clinics.test", "manager@alpha.test", "owner@alpha.test"]
    # and one Slack message with blocks and one Teams card, each with both links
    [slack] = fake_chat.to("/slack")
    [teams] = fake_chat.to("/teams")
    assert slack["json"]["blocks"][0]["text"]["text"] == "Medium · Clinic A"
    buttons = slack["json"]["blocks"][2]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Acknowledge", "Open incident room"]
    assert "/alerts/ack/" in buttons[0]["url"]
    assert buttons[1]["url"].endswith(f"/clinics/clinic-a/incidents/{incident.pk}/")
    card = teams["json"]["attachments"][0]["content"]
    assert [a["title"] for a in card["actions"]] == ["Acknowledge", "Open incident room"]
    chat_events = list(
        incident.events.filter(data__has_key="chat").values_list("message", flat=True)
    )
    assert sorted(chat_events) == [
        "Microsoft Teams (clinic channel): posted.",
        "Slack (agency channel): posted.",
    ]


def test_the_ack_link_acknowledges_once_and_names_who_and_the_channel(
    clinic_a, world, incident, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident_notify_opened(incident_id=incident.pk)
    mail = next(m for m in mailoutbox if m.to == ["a_legal@clinics.test"])
    url = f"/alerts/ack/{_token(mail)}/"
    client = Client()
    # when the link is opened (a mail scanner, a link preview): nothing changes
    page = client.get(url)
    assert page.status_code == 200
    assert b"Acknowledge as A Legal" in page.content
    assert _fresh(incident, clinic_a).status == "open"
    # when the button is pressed
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url)
    assert done.status_code == 200 and b"Acknowledged" in done.content
    _fresh(incident, clinic_a)
    assert (incident.status, incident.acknowledged_by) == ("acknowledged", "A Legal")
    event = _in(clinic_a, lambda: incident.events.get(kind=EventKind.ACKNOWLEDGED))
    assert event.message == "Acknowledged by A Legal via e-mail link."
    assert event.data["channel"] == "email"
    # and the incident left everyone's banner
    assert not Notification.objects.filter(ref=f"incident:{incident.pk}", open=True).exists()
    # when the link is used again: a clear page, nothing changes
    again = client.post(url)
    assert again.status_code == 410
    assert b"already used" in again.content
    assert _in(clinic_a, AckTokenUse.objects.count) == 1
    assert _in(clinic_a, incident.events.filter(kind=EventKind.ACKNOWLEDGED).count) == 1


@pytest.mark.parametrize("how", ["tampered", "garbage", "expired", "other-salt"])
def test_a_bad_ack_link_answers_a_clear_page_and_changes_nothing(clinic_a, incident, how):
    token = ack_token_make(clinic=clinic_a, incident=incident, channel="email", user_id=None)
    if how == "tampered":
        token = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    elif how == "garbage":
        token = "not-a-token"
    elif how == "expired":
        signer = signing.TimestampSigner(salt=ACK_SALT)
        value = signing.loads(token, salt=ACK_SALT)
        import time
        from unittest import mock

        with mock.patch.object(time, "time", return_value=time.time() - 25 * 3600):
            token = signing.dumps(value, salt=ACK_SALT, compress=True)
        assert signer  # same salt, stamped 25 h ago
    elif how == "other-salt":
        token = signing.dumps({"c": clinic_a.pk, "i": incident.pk, "ch": "email", "n": "x"})
    client = Client()
    for method in (client.get, client.post):
        page = method(f"/alerts/ack/{token}/")
        assert page.status_code in (400, 410)
        assert b"Nothing was changed." in page.content
    assert _fresh(incident, clinic_a).status == "open"
    assert _in(clinic_a, AckTokenUse.objects.count) == 0


def test_a_chat_link_used_by_a_signed_in_person_names_them(
    clinic_a, world, incident, login, django_capture_on_commit_callbacks
):
    token = ack_token_make(clinic=clinic_a, incident=incident, channel="slack")
    client = login("alpha_manager")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/alerts/ack/{token}/")
    event = _in(clinic_a, lambda: incident.events.get(kind=EventKind.ACKNOWLEDGED))
    assert event.message == "Acknowledged by Alpha Manager via Slack."


def test_the_banner_shows_the_open_incident_until_acknowledged(
    clinic_a, world, incident, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident_notify_opened(incident_id=incident.pk)
    client = login("alpha_manager")
    page = client.get("/alerts/banner/")
    assert b'data-alert-count="1"' in page.content
    assert f"/clinics/clinic-a/incidents/{incident.pk}/".encode() in page.content
    home = client.get("/agency/")
    assert b"<title>(1) " in home.content and b'id="alert-banner"' in home.content
    # the clinic's approver is sent to the portal's page of the incident
    portal = login("a_approver", otp=False).get("/alerts/banner/")
    assert f"/clinics/clinic-a/portal/incidents/{incident.pk}/".encode() in portal.content
    # when acknowledged in the portal by the crisis team
    answer = login("a_legal", otp=False).post(f"/clinics/clinic-a/portal/incidents/{incident.pk}/")
    assert answer.status_code == 302
    assert b'data-alert-count="0"' in client.get("/alerts/banner/").content
    event = _in(clinic_a, lambda: incident.events.get(kind=EventKind.ACKNOWLEDGED))
    assert event.message == "Acknowledged by A Legal via client portal."


def test_a_viewer_without_a_crisis_role_cannot_acknowledge_in_the_portal(clinic_a, incident, login):
    answer = login("a_viewer", otp=False).post(f"/clinics/clinic-a/portal/incidents/{incident.pk}/")
    assert answer.status_code == 403
    assert _fresh(incident, clinic_a).status == "open"


def test_someone_on_call_who_may_not_act_gets_the_alert_without_an_acknowledge_link(
    clinic_a, world, incident, mailoutbox, django_capture_on_commit_callbacks
):
    # given the analyst left first on the on-call list (from before the list refused them)
    OnCall.objects.create(clinic=clinic_a, user=world.users["alpha_analyst"], position=0)
    OnCall.objects.create(clinic=clinic_a, user=world.users["alpha_writer"], position=1)
    # when the alert goes out
    with django_capture_on_commit_callbacks(execute=True):
        incident_notify_opened(incident_id=incident.pk)
    # then the analyst is told, without a link; everyone else gets their own
    mails = {m.to[0]: m.body for m in mailoutbox}
    assert sorted(mails) == [
        "a_approver@clinics.test",
        "a_legal@clinics.test",
        "analyst@alpha.test",
        "writer@alpha.test",
    ]
    assert "/alerts/ack/" not in mails["analyst@alpha.test"]
    assert "not acknowledge it: your role only reads" in mails["analyst@alpha.test"]
    assert all("/alerts/ack/" in body for to, body in mails.items() if to != "analyst@alpha.test")


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_ack_link_for_someone_who_may_not_act_acknowledges_nothing(
    clinic_a, world, incident, method
):
    # given a personal link made out to the analyst (or a clinic viewer without a crisis role)
    for name in ("alpha_analyst", "a_viewer"):
        token = ack_token_make(
            clinic=clinic_a, incident=incident, channel="email", user_id=world.users[name].pk
        )
        # when it is opened or used
        page = getattr(Client(), method)(f"/alerts/ack/{token}/")
        # then the same answer as the API's: refused, and nothing changed
        assert page.status_code == 403, name
        assert b"You cannot acknowledge this incident" in page.content
        assert b"Nothing was changed." in page.content
        assert b"Acknowledge as" not in page.content
    incident = _fresh(incident, clinic_a)
    assert (incident.status, incident.acknowledged_by) == ("open", "")
    assert _in(clinic_a, AckTokenUse.objects.count) == 0
    assert not _in(clinic_a, incident.events.filter(kind=EventKind.ACKNOWLEDGED).exists)


def test_a_chat_link_used_by_a_signed_in_analyst_acknowledges_nothing(clinic_a, incident, login):
    token = ack_token_make(clinic=clinic_a, incident=incident, channel="slack")
    answer = login("alpha_analyst").post(f"/alerts/ack/{token}/")
    assert answer.status_code == 403
    assert _fresh(incident, clinic_a).status == "open"
    assert _in(clinic_a, AckTokenUse.objects.count) == 0
