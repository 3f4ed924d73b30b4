"""Who is told, when, and only once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from clinics.models import Clinic, OnCall
from crisis import tasks
from crisis.models import EventKind, Incident
from crisis.services import (
    detector_settings_update,
    detectors_run,
    incident_acknowledge,
    incidents_escalate_due,
)
from crisis.services.alerting import ack_token_make
from tests.crisis.conftest import NOW, acting

MIN = timedelta(minutes=1)


@pytest.fixture
def outbreak(stream):
    """An incident opened at NOW (nobody told yet)."""
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    stream.add(NOW - 5 * MIN, label="negative", text="Measles outbreak at the clinic, my son")
    [incident] = detectors_run(now=NOW, notify=False)
    return incident


def test_the_crisis_team_is_emailed_and_the_webhook_emitted_at_once(
    clinic_a, stream, mailoutbox, crisis_webhook, django_capture_on_commit_callbacks
):
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    stream.add(NOW - 5 * MIN, label="negative", text="Measles outbreak at the clinic, my son")
    # when the detectors open an incident
    with django_capture_on_commit_callbacks(execute=True):
        [incident] = detectors_run(now=NOW)
    # then the agency's owner and manager (no on-call list: the fallback) and each member of
    # clinic A's crisis team (comms and legal) got one e-mail
    print(sorted(m.to for m in mailoutbox))
    assert sorted(m.to for m in mailoutbox) == [
        ["a_approver@clinics.test"],
        ["a_legal@clinics.test"],
        ["manager@alpha.test"],
        ["owner@alpha.test"],
    ]
    mail = next(m for m in mailoutbox if m.to == ["a_approver@clinics.test"])
    assert mail.subject.startswith("[Clinic A] Medium incident: Watch word “outbreak”")
    assert f"/clinics/clinic-a/portal/incidents/{incident.pk}/" in mail.body
    assert "/alerts/ack/" in mail.body
    assert "within 15 minutes" in mail.body
    assert "Measles" not in mail.body  # never the text of a review
    # and the webhook delivery was stored in clinic A's schema with the incident's numbers
    assert connection.schema_name == clinic_a.schema_name
    [delivery] = crisis_webhook.deliveries()
    assert (delivery.event, delivery.status) == ("incident.opened", "pending")
    assert crisis_webhook.queued == [delivery.pk]
    payload = delivery.payload
    assert payload["incident"]["id"] == incident.pk
    # the API's names: trigger {kind, explanation, numbers} and mention_count
    assert payload["incident"]["trigger"] == {
        "kind": incident.trigger["kind"],
        "explanation": incident.trigger["explanation"],
        "numbers": incident.trigger["numbers"],
    }
    assert payload["incident"]["trigger"]["numbers"]["word"] == "outbreak"
    assert payload["incident"]["mention_count"] == incident.links.count()
    # and, deprecated for one release, the old names with the same values
    old = {k: payload["incident"][k] for k in ("explanation", "numbers", "mentions")}
    assert old == {
        "explanation": incident.trigger["explanation"],
        "numbers": incident.trigger["numbers"],
        "mentions": payload["incident"]["mention_count"],
    }
    assert "Measles" not in str(payload)
    # and both are on the timeline
    messages = list(
        incident.events.filter(kind=EventKind.NOTIFIED).values_list("message", flat=True)
    )
    print(messages)
    assert messages[0].startswith("Alerted 4 people: ")
    assert "(crisis team: Legal / compliance: e-mail + in-app)" in messages[0]
    assert messages[0].endswith("E-mails sent: 4.")
    assert messages[1:] == ["Webhook incident.opened: emitted."]


def test_a_person_who_has_not_chosen_a_password_is_told_the_acknowledge_link_works_anyway(
    world, stream, mailoutbox, django_capture_on_commit_callbacks
):
    from accounts.models import User

    invited = User.objects.get(pk=world.users["a_legal"].pk)  # not the shared copy
    invited.set_unusable_password()
    invited.save(update_fields=["password"])
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    stream.add(NOW - 5 * MIN, label="negative", text="Measles outbreak at the clinic, my son")
    with django_capture_on_commit_callbacks(execute=True):
        detectors_run(now=NOW)
    mails = {m.to[0]: m.body for m in mailoutbox}
    assert "/alerts/ack/" in mails["a_legal@clinics.test"]
    assert (
        "You have not chosen your password yet, so opening the incident asks you to "
        "sign in first (the acknowledge link works without it)"
    ) in " ".join(mails["a_legal@clinics.test"].split())
    assert "password" not in mails["a_approver@clinics.test"]


def test_the_portal_timeline_leaves_out_the_agencys_plumbing(
    clinic_a, stream, login, crisis_webhook, django_capture_on_commit_callbacks
):
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    stream.add(NOW - 5 * MIN, label="negative", text="Measles outbreak at the clinic, my son")
    with django_capture_on_commit_callbacks(execute=True):
        [incident] = detectors_run(now=NOW)
    url = f"/clinics/clinic-a/portal/incidents/{incident.pk}/"
    page = login("a_approver", otp=False).get(url).content.decode()
    # the client reads who was alerted, not the webhook's delivery (nor, on a failure, the
    # agency's instruction to fix its settings)
    assert "2 people at your agency and 2 of your team were alerted." in page
    assert "Webhook" not in page and "incident.opened" not in page
    # the agency's room keeps the whole timeline
    room = login("alpha_manager").get(f"/clinics/clinic-a/incidents/{incident.pk}/")
    assert "Webhook incident.opened: emitted." in room.content.decode()


def test_nothing_is_sent_when_notify_is_false(
    stream, mailoutbox, django_capture_on_commit_callbacks
):
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    stream.add(NOW - 5 * MIN, label="negative", text="outbreak")
    with django_capture_on_commit_callbacks(execute=True):
        assert len(detectors_run(now=NOW, notify=False)) == 1
    assert mailoutbox == []


def test_the_portal_counts_unacknowledged_incidents(outbreak, api):
    body = api("key_a").get("/clinics/clinic-a/api/v1/incidents/counts/").json()
    assert body == {"unacknowledged": 1, "active": 1}


def test_an_unacknowledged_incident_escalates_once_to_the_agencys_owners_and_managers(
    outbreak, mailoutbox, django_capture_on_commit_callbacks
):
    # not yet: 14 minutes
    with django_capture_on_commit_callbacks(execute=True):
        assert incidents_escalate_due(now=NOW + 14 * MIN) == []
    assert mailoutbox == []
    # at 15 minutes: the agency's owner and manager (also the first alert's fallback) and the
    # crisis team first alerted are e-mailed, each once
    with django_capture_on_commit_callbacks(execute=True):
        assert [i.pk for i in incidents_escalate_due(now=NOW + 15 * MIN)] == [outbreak.pk]
    assert sorted(m.to[0] for m in mailoutbox) == [
        "a_approver@clinics.test",
        "a_legal@clinics.test",
        "manager@alpha.test",
        "owner@alpha.test",
    ]
    assert "within 15 minutes" in mailoutbox[0].body
    # and never again
    with django_capture_on_commit_callbacks(execute=True):
        assert incidents_escalate_due(now=NOW + 60 * MIN) == []
    assert len(mailoutbox) == 4
    [event] = outbreak.events.filter(kind=EventKind.ESCALATED)
    assert event.message.startswith("Nobody acknowledged within 15 min: escalated to the agency")
    outbreak.refresh_from_db()
    assert outbreak.escalated_at == NOW + 15 * MIN


@pytest.mark.parametrize(
    ("name", "team"),
    [
        ("Lakeview Pediatrics", "Nobody on Lakeview Pediatrics’ crisis team"),
        ("Clinic A", "Nobody on Clinic A’s crisis team"),
    ],
    ids=["ends-in-s", "other"],
)
def test_the_escalation_e_mail_writes_the_clinics_possessive(
    name, team, outbreak, clinic_a, mailoutbox, django_capture_on_commit_callbacks
):
    Clinic.objects.filter(pk=clinic_a.pk).update(name=name)
    # when the incident escalates
    with django_capture_on_commit_callbacks(execute=True):
        incidents_escalate_due(now=NOW + 15 * MIN)
    # then
    assert len(mailoutbox) == 4
    assert f"{team} has acknowledged" in mailoutbox[0].body


def _ack_path(mail) -> str:
    line = next(x for x in mail.body.splitlines() if "/alerts/ack/" in x)
    return "/alerts/ack/" + line.split("/alerts/ack/", 1)[1].strip()


def test_the_escalation_tells_the_people_first_alerted_and_the_owners_each_with_a_link(
    outbreak, clinic_a, world, mailoutbox, django_capture_on_commit_callbacks
):
    # given the writer on call (so the first alert went to the writer and the crisis team)
    OnCall.objects.create(clinic=clinic_a, user=world.users["alpha_writer"])
    # when nobody acknowledges in time
    with django_capture_on_commit_callbacks(execute=True):
        incidents_escalate_due(now=NOW + 15 * MIN)
    # then everyone first alerted and the owner and manager get one e-mail each
    mails = {m.to[0]: m for m in mailoutbox}
    assert len(mailoutbox) == 5
    assert sorted(mails) == [
        "a_approver@clinics.test",
        "a_legal@clinics.test",
        "manager@alpha.test",
        "owner@alpha.test",
        "writer@alpha.test",
    ]
    # each with its own one-click acknowledge link
    paths = {to: _ack_path(m) for to, m in mails.items()}
    assert len(set(paths.values())) == 5
    assert "escalated to the agency's owners and managers" in mails["writer@alpha.test"].body
    assert "because you are crisis team: Legal / compliance" in mails["a_legal@clinics.test"].body
    [event] = outbreak.events.filter(kind=EventKind.ESCALATED)
    assert event.data["people"] == [
        world.users[n].pk
        for n in ("alpha_writer", "a_approver", "a_legal", "alpha_manager", "alpha_owner")
    ]
    # when the writer acknowledges with the escalation's link
    page = Client().post(paths["writer@alpha.test"])
    # then the page says it was escalated and is now acknowledged, not that escalation stopped
    html = page.content.decode()
    assert page.status_code == 200
    assert "It was escalated at 2026-03-04 15:15 UTC to the agency's owners and managers" in html
    assert "escalation is stopped" not in html
    with schema_context(clinic_a.schema_name):
        outbreak.refresh_from_db()
        assert (outbreak.status, outbreak.acknowledged_by) == ("acknowledged", "Alpha Writer")


def test_acknowledging_before_the_escalation_says_it_is_stopped(
    outbreak, clinic_a, world, django_capture_on_commit_callbacks
):
    token = ack_token_make(
        clinic=clinic_a, incident=outbreak, channel="email", user_id=world.users["a_legal"].pk
    )
    html = Client().post(f"/alerts/ack/{token}/").content.decode()
    assert "escalation is stopped" in html and "It was escalated" not in html


def test_the_escalation_delay_is_a_clinic_setting(outbreak):
    detector_settings_update(actor=acting("test"), escalation_minutes=45)
    assert incidents_escalate_due(now=NOW + 30 * MIN) == []
    assert len(incidents_escalate_due(now=NOW + 45 * MIN)) == 1


def test_an_acknowledged_incident_is_not_escalated(outbreak, mailoutbox):
    incident_acknowledge(incident_id=outbreak.pk, actor=acting("Sam"), now=NOW + 3 * MIN)
    assert incidents_escalate_due(now=NOW + 60 * MIN) == []
    assert not outbreak.events.filter(kind=EventKind.ESCALATED).exists()


def test_the_beat_task_escalates_in_every_clinic(outbreak, clinic_a):
    assert tasks.escalations_check_task() == 1
    with schema_context(clinic_a.schema_name):
        assert Incident.objects.get().escalated_at is not None
        assert tasks.escalations_check_task() == 0


def test_detectors_run_all_queues_one_task_per_clinic(world, db, monkeypatch):
    queued = []
    monkeypatch.setattr(
        tasks.detectors_run_clinic_task,
        "apply_async",
        lambda *a, **k: queued.append(connection.schema_name),
    )
    assert tasks.detectors_run_all_task() == len(queued) >= 3
    assert {"clinic_clinic_a", "clinic_clinic_b", "clinic_clinic_c"} <= set(queued)
