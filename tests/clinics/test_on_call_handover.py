"""An on-call list that changes is a handover: the people it puts on call are told, with the
clinic's incidents running now; the people it takes off are told they are off call; never the
person who saved it (walk-through 13 A, finding 4)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from accounts.actors import Actor
from agency.services import agency_member_add
from clinics import alerting
from clinics.alerting import on_call_set
from clinics.models import Notification, OnCall
from clinics.notifications import people_notify
from core.incidents import grew_ref
from crisis.models import Incident, IncidentAssignment
from tests.fixtures.tenants import PASSWORD, Client, otp_verify_session

ALERTS = "/clinics/clinic-a/settings/alerts/"
OPENED = datetime(2026, 12, 6, 1, 13, tzinfo=UTC)


@pytest.fixture
def running(clinic_a):
    """Two incidents running in clinic A: one not acknowledged, one acknowledged; and one
    resolved, which is not listed."""
    with schema_context(clinic_a.schema_name):
        made = [
            Incident.objects.create(
                kind=kind,
                title=title,
                severity=severity,
                opened_at=OPENED,
                last_detected_at=OPENED,
                status=status,
                acknowledged_at=acked,
            )  # fmt: skip
            for kind, title, severity, status, acked in (
                ("surge", "Negative surge: 19 in 2 h", "critical", "open", None),
                ("misinformation", "False claim: laser burns", "high", "acknowledged", OPENED),
                ("viral", "Old wave", "medium", "resolved", OPENED),
            )
        ]
    return made


def _save(client, capture, *people) -> None:
    with capture(execute=True):
        response = client.post(ALERTS, {"action": "on_call", "on_call": [u.pk for u in people]})
    assert response.status_code == 302


def test_a_handover_tells_who_comes_on_and_who_goes_off_once_each(
    world, clinic_a, login, running, mailoutbox, django_capture_on_commit_callbacks
):
    writer, manager, owner = (
        world.users[n] for n in ("alpha_writer", "alpha_manager", "alpha_owner")
    )
    client = login("alpha_manager")
    # given the day list: the writer, then the manager (who saves it)
    _save(client, django_capture_on_commit_callbacks, writer, manager)
    assert [m.to for m in mailoutbox] == [["writer@alpha.test"]]
    mailoutbox.clear()
    Notification.objects.all().delete()

    # when the manager hands over to the owner for the night
    _save(client, django_capture_on_commit_callbacks, owner, manager)

    # then the owner is told she is on call, with both running incidents, once
    mails = {m.to[0]: m for m in mailoutbox}
    assert sorted(mails) == ["owner@alpha.test", "writer@alpha.test"]
    on = mails["owner@alpha.test"]
    assert on.subject == "[Clinic A] You are on call for Clinic A: 2 incidents running"
    base = settings.PUBLIC_BASE_URL
    for line in (
        "Alpha Manager put you on Clinic A’s on-call list (number 1 of 2): its incident alerts "
        "come to you first, with the clinic's crisis team.",
        "Running now (2):",
        "- Critical incident “Negative surge: 19 in 2 h”: not acknowledged yet. "
        f"{base}/clinics/clinic-a/incidents/{running[0].pk}/",
        "- High incident “False claim: laser burns”: acknowledged. "
        f"{base}/clinics/clinic-a/incidents/{running[1].pk}/",
    ):
        assert line in on.body, line
    assert "Old wave" not in on.body
    # in-app: in her history, and the unacknowledged incident waits in her banner as its alert
    told = Notification.objects.filter(user=owner).order_by("kind")
    assert [(n.kind, n.open) for n in told] == [("incident", True), ("on_call", False)]
    assert told[0].ref == f"incident:{running[0].pk}"
    # and the writer is told she is off call, and who is on it now
    off = mails["writer@alpha.test"]
    assert off.subject == "[Clinic A] You are no longer on call for Clinic A"
    assert (
        "Alpha Manager changed Clinic A’s on-call list: its incident alerts go to Alpha Owner, "
        "Alpha Manager now." in off.body
    )
    assert list(Notification.objects.filter(user=writer).values_list("kind", "open")) == [
        ("on_call", False)
    ]
    # and the manager, who saved it and stays on it, is told nothing
    assert not Notification.objects.filter(user=manager).exists()

    # when the same list is saved again, nobody is told anything
    mailoutbox.clear()
    _save(client, django_capture_on_commit_callbacks, owner, manager)
    assert mailoutbox == []
    assert OnCall.objects.filter(clinic=clinic_a).count() == 2


def test_no_incident_running_is_said_and_the_saver_is_not_told_about_themself(
    world, clinic_a, login, mailoutbox, django_capture_on_commit_callbacks
):
    writer, manager = world.users["alpha_writer"], world.users["alpha_manager"]
    client = login("alpha_manager")
    _save(client, django_capture_on_commit_callbacks, manager, writer)
    [mail] = mailoutbox
    assert mail.to == ["writer@alpha.test"]
    assert mail.subject == "[Clinic A] You are on call for Clinic A"
    assert "(number 2 of 2): its incident alerts come to you with the clinic's" in mail.body
    assert "No incident is running there now." in mail.body
    # taking herself off tells her nothing; the writer is not told again
    mailoutbox.clear()
    _save(client, django_capture_on_commit_callbacks, writer)
    assert mailoutbox == []


def _alert_open(user, incident) -> bool | None:
    row = Notification.objects.filter(user=user, ref=f"incident:{incident.pk}").first()
    return None if row is None else row.open


def test_people_taken_off_call_hand_over_the_alert_notices_they_no_longer_hold(
    world, clinic_a, login, running, mailoutbox, django_capture_on_commit_callbacks
):
    writer, manager, owner = (
        world.users[n] for n in ("alpha_writer", "alpha_manager", "alpha_owner")
    )
    second = agency_member_add(
        agency=world.agencies["alpha"], email="second@alpha.test", full_name="Second Writer",
        role="writer", password=PASSWORD,
    ).user  # fmt: skip
    surge = running[0]  # not acknowledged: its alert waits in the banners of the people on call
    client = login("alpha_manager")
    # given the two writers and the manager on call, each writer with the surge's alert open
    _save(client, django_capture_on_commit_callbacks, writer, second, manager)
    assert (_alert_open(writer, surge), _alert_open(second, surge)) == (True, True)
    # and the second writer on the surge's team (written directly: assigning through the
    # service acknowledges it, which closes every alert notice)
    with schema_context(clinic_a.schema_name):
        IncidentAssignment.objects.create(
            incident=surge, role="comms", user_id=second.pk, user_label="Second Writer"
        )
    mailoutbox.clear()

    # when the manager hands over to the owner
    _save(client, django_capture_on_commit_callbacks, owner, manager)

    # then the writer's "acknowledge this incident" line leaves her banner, and she is told so
    assert _alert_open(writer, surge) is False
    banner = login("alpha_writer").get("/alerts/banner/").content.decode()
    assert "Negative surge" not in banner
    mails = {m.to[0]: m for m in mailoutbox}
    assert (
        "Alpha Manager changed Clinic A’s on-call list: its incident alerts go to Alpha Owner, "
        "Alpha Manager now. Your open request to acknowledge its incident “Negative surge: 19 "
        "in 2 h” was handed over to them and left your “Waiting for you”."
    ) in mails["writer@alpha.test"].body
    # the second writer, still on the surge's team, keeps hers and is told nothing of it
    assert _alert_open(second, surge) is True
    as_second = Client()
    as_second.force_login(second)
    otp_verify_session(as_second, second)
    assert "Negative surge" in as_second.get("/alerts/banner/").content.decode()
    off = mails["second@alpha.test"]
    assert off.subject == "[Clinic A] You are no longer on call for Clinic A"
    assert "handed over" not in off.body
    # the owner, put on call, gets it; the manager, who saved it, is told nothing
    assert _alert_open(owner, surge) is True
    assert sorted(mails) == ["owner@alpha.test", "second@alpha.test", "writer@alpha.test"]
    assert not Notification.objects.filter(user=manager).exists()
    # the acknowledged incident's alert waited for nobody: nothing of it was opened or closed
    assert not Notification.objects.filter(ref=f"incident:{running[1].pk}").exists()


def _grew_open(user, incident) -> bool | None:
    row = Notification.objects.filter(user=user, ref=grew_ref(incident.pk)).first()
    return None if row is None else row.open


def test_people_taken_off_call_no_longer_hold_the_incident_grew_lines(
    world, clinic_a, login, running, django_capture_on_commit_callbacks
):
    writer, manager, owner = (
        world.users[n] for n in ("alpha_writer", "alpha_manager", "alpha_owner")
    )
    second = agency_member_add(
        agency=world.agencies["alpha"], email="second@alpha.test", full_name="Second Writer",
        role="writer", password=PASSWORD,
    ).user  # fmt: skip
    surge, claim = running[0], running[1]  # not acknowledged; acknowledged
    client = login("alpha_manager")
    # given the two writers and the manager on call, the second writer on the surge's team,
    _save(client, django_capture_on_commit_callbacks, writer, second, manager)
    with schema_context(clinic_a.schema_name):
        IncidentAssignment.objects.create(
            incident=surge, role="comms", user_id=second.pk, user_label="Second Writer"
        )
    # and both incidents' "Incident grew" lines open in the banners of both writers and the owner
    for incident in (surge, claim):
        people_notify(
            users=[writer, second, owner],
            clinic=clinic_a,
            kind="incident_grew",
            ref=grew_ref(incident.pk),
            title=f"Incident grew: {incident.title}",
            url=f"/clinics/clinic-a/incidents/{incident.pk}/",
            email=False,
        )

    # when the manager hands over to the owner
    _save(client, django_capture_on_commit_callbacks, owner, manager)

    # then the writer, whom neither incident alerts now, holds neither growth line
    assert (_grew_open(writer, surge), _grew_open(writer, claim)) == (False, False)
    banner = login("alpha_writer").get("/alerts/banner/").content.decode()
    assert "Incident grew" not in banner
    # the second writer keeps the surge's (she is on its team), not the other one's
    assert (_grew_open(second, surge), _grew_open(second, claim)) == (True, False)
    # the owner, on call and whom every incident alerts, keeps both
    assert (_grew_open(owner, surge), _grew_open(owner, claim)) == (True, True)


def test_an_owner_taken_off_call_keeps_the_alert_that_escalates_to_her(
    world, clinic_a, login, running, mailoutbox, django_capture_on_commit_callbacks
):
    owner, writer = world.users["alpha_owner"], world.users["alpha_writer"]
    client = login("alpha_manager")
    _save(client, django_capture_on_commit_callbacks, owner)
    assert _alert_open(owner, running[0]) is True
    mailoutbox.clear()
    # when the manager puts the writer on call instead
    _save(client, django_capture_on_commit_callbacks, writer)
    # then the owner, whom an unacknowledged incident escalates to, still holds its alert
    assert _alert_open(owner, running[0]) is True
    [off] = [m for m in mailoutbox if m.to == ["owner@alpha.test"]]
    assert "handed over" not in off.body
    assert _alert_open(writer, running[0]) is True


def test_two_people_saving_the_list_at_once_save_one_after_the_other(
    world, committed_clinic, django_db_blocker, mailoutbox, monkeypatch
):
    writer, manager, owner = (
        world.users[n] for n in ("alpha_writer", "alpha_manager", "alpha_owner")
    )
    clinic = committed_clinic

    def save(by, *people):
        actor = Actor(user=by, via_session=True)
        return on_call_set(clinic=clinic, entries=[str(u.pk) for u in people], actor=actor)

    with django_db_blocker.unblock():
        # given the writer on call (committed: each save below has its own connection)
        save(manager, writer)
        mailoutbox.clear()
        # the manager's save holds its transaction open a moment after writing its list
        inside = threading.Event()
        record = alerting.settings_changed

        def record_slowly(**kwargs):
            record(**kwargs)
            if not inside.is_set():
                inside.set()
                time.sleep(1)

        monkeypatch.setattr(alerting, "settings_changed", record_slowly)
        results: dict[str, object] = {}

        def run(name, wait, by, *people):
            try:
                if wait:
                    inside.wait(timeout=10)
                results[name] = save(by, *people)
            except Exception as exc:  # noqa: BLE001 - reported to the test
                results[name] = exc
            finally:
                connection.close()

        # when the manager saves "owner, manager" and the owner, meanwhile, "owner, writer"
        threads = [
            threading.Thread(target=run, args=("manager", False, manager, owner, manager)),
            threading.Thread(target=run, args=("owner", True, owner, owner, writer)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        # then both are saved, one after the other: the owner's, read after the manager's, stays
        assert results == {"manager": [owner, manager], "owner": [owner, writer]}
        stored = list(OnCall.objects.filter(clinic=clinic).values_list("user_id", "position"))
    assert stored == [(owner.pk, 0), (writer.pk, 1)]
    # and each handover is told from the list it replaced: the manager, whom the owner's save
    # took off, is told so; the writer was taken off, then put back on
    told = sorted((m.to[0], m.subject) for m in mailoutbox)
    assert told == [
        ("manager@alpha.test", "[Race Clinic] You are no longer on call for Race Clinic"),
        ("owner@alpha.test", "[Race Clinic] You are on call for Race Clinic"),
        ("writer@alpha.test", "[Race Clinic] You are no longer on call for Race Clinic"),
        ("writer@alpha.test", "[Race Clinic] You are on call for Race Clinic"),
    ]
