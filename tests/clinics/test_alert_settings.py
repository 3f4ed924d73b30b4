"""The alert settings pages: chat webhooks of the agency and of a clinic (stored encrypted,
shown masked), a clinic's on-call list, each person's notification preference; bad input is a
400 with field messages and changes nothing."""

from __future__ import annotations

import pytest

from clinics.models import ChatWebhook, NotificationPreference, OnCall
from core.crypto import decrypt_json
from tests.fixtures.forms import rendered_form_data

AGENCY_CHAT = "/agency/settings/chat/"
CLINIC_ALERTS = "/clinics/clinic-a/settings/alerts/"
SLACK = "https://hooks.slack.com/services/T000/B000/abcdefSECRETwxyz"
TEAMS = "https://contoso.webhook.office.com/webhookb2/aaaa/IncomingWebhook/bbbb/SECRET9876"


def _stored(**scope) -> dict[str, str]:
    return {
        h.kind: decrypt_json(h.url_encrypted)["url"] for h in ChatWebhook.objects.filter(**scope)
    }


def test_agency_chat_saved_encrypted_and_shown_masked(login, world):
    client = login("alpha_manager")
    response = client.post(AGENCY_CHAT, {"slack": SLACK, "teams": TEAMS})
    assert response.status_code == 302
    agency = world.users["alpha_manager"].agency_memberships.first().agency
    assert _stored(agency=agency, clinic=None) == {"slack": SLACK, "teams": TEAMS}
    assert all("SECRET" not in h.url_encrypted for h in ChatWebhook.objects.all())
    html = client.get(AGENCY_CHAT).content.decode()
    assert "SECRET" not in html and "hooks.slack.com …wxyz" in html
    assert "webhook.office.com …9876" in html
    # An empty field keeps the saved address; the remove box deletes it.
    assert client.post(AGENCY_CHAT, {"slack": "", "remove_teams": "on"}).status_code == 302
    assert _stored(agency=agency, clinic=None) == {"slack": SLACK}


@pytest.mark.parametrize(
    ("field", "url", "message"),
    [
        ("slack", "http://hooks.slack.com/services/T/B/x", "https://"),
        ("slack", "https://evil.example/services/T/B/x", "not a Slack"),
        ("teams", "https://hooks.slack.com/services/T/B/x", "not a Microsoft Teams"),
        ("slack", "not a url", "not a URL"),
    ],
)
def test_agency_chat_bad_url_is_400_and_changes_nothing(login, field, url, message):
    client = login("alpha_owner")
    assert client.post(AGENCY_CHAT, {"slack": SLACK}).status_code == 302
    before = list(ChatWebhook.objects.values_list("url_encrypted", flat=True))
    other = "teams" if field == "slack" else "slack"
    good = TEAMS if other == "teams" else SLACK
    response = client.post(AGENCY_CHAT, {field: url, other: good})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and "nothing was saved" in html
    assert list(ChatWebhook.objects.values_list("url_encrypted", flat=True)) == before


def test_agency_chat_writers_read_only_and_clients_refused(login):
    writer = login("alpha_writer")
    assert writer.get(AGENCY_CHAT).status_code == 200
    assert writer.post(AGENCY_CHAT, {"slack": SLACK}).status_code == 403
    assert login("a_approver").get(AGENCY_CHAT).status_code == 404  # outside the agency
    assert not ChatWebhook.objects.exists()


def test_local_test_hosts_are_accepted(login, clinic_a):
    client = login("alpha_manager")
    response = client.post(CLINIC_ALERTS, {"action": "chat", "slack": "http://127.0.0.1:9/x"})
    assert response.status_code == 302
    assert _stored(clinic=clinic_a) == {"slack": "http://127.0.0.1:9/x"}


def test_clinic_chat_saved_masked_and_bad_input_400(login, clinic_a):
    client = login("alpha_manager")
    assert client.post(CLINIC_ALERTS, {"action": "chat", "teams": TEAMS}).status_code == 302
    assert _stored(clinic=clinic_a) == {"teams": TEAMS}
    html = client.get(CLINIC_ALERTS).content.decode()
    assert "SECRET" not in html and "…9876" in html
    bad = client.post(CLINIC_ALERTS, {"action": "chat", "teams": "ftp://x.webhook.office.com/a"})
    assert bad.status_code == 400 and "https://" in bad.content.decode()
    assert _stored(clinic=clinic_a) == {"teams": TEAMS}


def test_clinic_alerts_refused_to_clients_and_writers_cannot_change(login, clinic_a):
    client = login("a_approver")  # the clinic's people: to their portal, refused a change
    assert client.get(CLINIC_ALERTS)["Location"] == "/clinics/clinic-a/portal/"
    assert client.post(CLINIC_ALERTS, {"action": "chat", "slack": SLACK}).status_code == 403
    assert login("beta_owner").get(CLINIC_ALERTS).status_code == 404
    writer = login("alpha_writer")
    assert writer.get(CLINIC_ALERTS).status_code == 200
    assert writer.post(CLINIC_ALERTS, {"action": "chat", "slack": SLACK}).status_code == 403
    assert not ChatWebhook.objects.exists()


def _on_call(clinic) -> list[str]:
    return [o.user.email for o in OnCall.objects.filter(clinic=clinic).select_related("user")]


def test_on_call_list_saved_in_order(login, world, clinic_a):
    client = login("alpha_owner")
    writer, manager = world.users["alpha_writer"], world.users["alpha_manager"]
    response = client.post(
        CLINIC_ALERTS, {"action": "on_call", "on_call": [writer.pk, manager.pk, "", ""]}
    )
    assert response.status_code == 302
    assert _on_call(clinic_a) == [writer.email, manager.email]
    html = client.get(CLINIC_ALERTS).content.decode()
    start = html.index("oncall-h")
    shown = html[html.index("<ol>", start) : html.index("</ol>", start)]
    names = [u.full_name or u.email for u in (writer, manager)]
    assert shown.index(names[0]) < shown.index(names[1])
    # Emptied: back to the owners and managers.
    assert client.post(CLINIC_ALERTS, {"action": "on_call", "on_call": ["", ""]}).status_code == 302
    assert _on_call(clinic_a) == []


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (["writer", "", "manager"], "Position 2 is empty"),
        (["writer", "writer"], "already on the list"),
        (["writer", "a_approver"], "not on the agency"),
        (["writer", "beta_owner"], "not on the agency"),
        (["writer", "999999"], "not on the agency"),
        (
            ["analyst", "writer"],
            "Position 1: Alpha Analyst cannot act on incidents in this clinic (analyst)",
        ),
    ],
)
def test_on_call_bad_list_is_400_and_changes_nothing(login, world, clinic_a, entries, message):
    client = login("alpha_manager")
    owner = world.users["alpha_owner"]
    assert (
        client.post(CLINIC_ALERTS, {"action": "on_call", "on_call": [owner.pk]}).status_code == 302
    )

    def pk(name):
        if name in ("", "999999"):
            return name
        return world.users.get(f"alpha_{name}", world.users.get(name)).pk

    response = client.post(
        CLINIC_ALERTS, {"action": "on_call", "on_call": [pk(e) for e in entries]}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _on_call(clinic_a) == [owner.email]


def test_an_analyst_is_neither_offered_nor_accepted_on_call(login, world, clinic_a):
    # given the agency's analyst, who only reads incidents
    client = login("alpha_owner")
    analyst = world.users["alpha_analyst"]
    # then the list does not offer them
    html = client.get(CLINIC_ALERTS).content.decode()
    assert f'<option value="{world.users["alpha_writer"].pk}"' in html
    assert f'<option value="{analyst.pk}"' not in html
    # and putting them first anyway is a 400 naming them, with nothing saved
    response = client.post(CLINIC_ALERTS, {"action": "on_call", "on_call": [analyst.pk]})
    assert response.status_code == 400
    assert "Alpha Analyst cannot act on incidents in this clinic (analyst)" in (
        response.content.decode()
    )
    assert _on_call(clinic_a) == []


def test_someone_on_call_who_can_no_longer_act_is_flagged(login, world, clinic_a):
    # given an analyst left on the list from before the rule
    OnCall.objects.create(clinic=clinic_a, user=world.users["alpha_analyst"], position=0)
    # then the page says they cannot act
    html = login("alpha_owner").get(CLINIC_ALERTS).content.decode()
    start = html.index("<ol>", html.index("oncall-h"))
    shown = html[start : html.index("</ol>", start)]
    assert "Alpha Analyst <span" in shown and "cannot act on incidents" in shown


PREFS = "/account/notifications/"


@pytest.mark.parametrize("who", ["alpha_writer", "a_approver"])
def test_each_person_sets_their_own_preferences(login, world, who):
    # the choices per kind of notice: tests/clinics/test_notification_preferences.py
    client = login(who)
    page = client.get(PREFS)
    assert page.status_code == 200 and 'value="hourly"' in page.content.decode()
    assert "/account/notifications/" in client.get("/account/").content.decode()
    data = rendered_form_data(page.content.decode(), "digest")
    data.pop("in_app")
    response = client.post(PREFS, {**data, "digest": "hourly"})
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=world.users[who])
    assert (pref.email, pref.in_app, pref.digest) == (True, False, "hourly")


def test_bad_preference_is_400_and_changes_nothing(login, world):
    client = login("alpha_writer")
    data = rendered_form_data(client.get(PREFS).content.decode(), "digest")
    assert client.post(PREFS, data).status_code == 302
    response = client.post(PREFS, {**data, "digest": "weekly"})
    assert response.status_code == 400 and "nothing was saved" in response.content.decode()
    pref = NotificationPreference.objects.get(user=world.users["alpha_writer"])
    assert (pref.email, pref.in_app, pref.digest) == (True, True, "immediate")


def test_preferences_need_sign_in(client):
    assert client.get(PREFS).status_code == 302
