"""The incident's team: Legal / compliance is the clinic's own role, and the "You are <role>
for the incident" message closes when the incident is resolved."""

from __future__ import annotations

import re
import threading
import time

import pytest
from django.db import connection, transaction
from django_tenants.utils import schema_context

from accounts.actors import Actor
from accounts.models import User
from clinics.models import ClinicMembership, Notification
from core.errors import ValidationFailed
from crisis.models import EventKind, Incident, IncidentAssignment
from crisis.selectors import people_eligible
from crisis.services import (
    incident_assign,
    incident_resolve,
    incident_team_set,
)
from tests.crisis.conftest import ANYWAY, NOW, acting


def _names(pairs) -> list[str]:
    return [name for _, name in pairs]


def test_legal_is_offered_only_to_the_clinics_people_with_the_legal_role(clinic_a):
    assert _names(people_eligible(clinic_a, "legal")) == ["A Legal"]
    # the other roles still offer the agency's writing staff
    assert _names(people_eligible(clinic_a, "comms")) == [
        "A Approver",
        "Alpha Manager",
        "Alpha Owner",
        "Alpha Writer",
    ]


def test_naming_agency_staff_legal_is_refused_and_changes_nothing(incident, world, clinic_a):
    writer = world.users["alpha_writer"]
    with pytest.raises(ValidationFailed) as refused:
        incident_assign(
            incident_id=incident.pk,
            clinic=clinic_a,
            role="legal",
            user_id=writer.pk,
            actor=acting("Max Manager"),
        )
    assert refused.value.fields == {
        "user_id": [
            "Alpha Writer is the agency's staff: Legal / compliance is the clinic's own role, "
            "for its people who hold the legal crisis role."
        ]
    }
    assert not IncidentAssignment.objects.filter(incident=incident).exists()
    assert not incident.events.filter(kind=EventKind.ASSIGNED).exists()
    assert not Notification.objects.filter(user=writer, ref__startswith="incident:").exists()


def test_the_team_form_offers_legal_only_to_the_clinics_legal_people(incident, login):
    page = login("alpha_manager").get(f"/clinics/clinic-a/incidents/{incident.pk}/")
    html = page.content.decode()
    legal = re.search(r'<select id="assign-legal".*?</select>', html, re.S).group(0)
    comms = re.search(r'<select id="assign-comms".*?</select>', html, re.S).group(0)
    assert "A Legal" in legal and "Alpha Writer" not in legal
    assert "Alpha Writer" in comms


def test_resolving_closes_the_you_are_role_messages(incident, world, clinic_a):
    # given the writer named Comms / PR and the clinic's legal person named Legal / compliance
    for role, name in (("comms", "alpha_writer"), ("legal", "a_legal")):
        incident_assign(
            incident_id=incident.pk,
            clinic=clinic_a,
            role=role,
            user_id=world.users[name].pk,
            actor=acting("Max Manager"),
        )
    waiting = Notification.objects.filter(ref__startswith=f"incident:{incident.pk}:role:")
    assert sorted(waiting.filter(open=True).values_list("title", flat=True)) == [
        f"You are Comms / PR for the incident “{incident.title}”",
        f"You are Legal / compliance for the incident “{incident.title}”",
    ]
    # each is led where they read the incident: the writer to the room, the clinic's legal
    # person to the clinic's portal (its branded sign-in), not to a room that is not theirs
    assert dict(waiting.values_list("user__email", "url")) == {
        world.users["alpha_writer"].email: f"/clinics/clinic-a/incidents/{incident.pk}/",
        world.users["a_legal"].email: f"/clinics/clinic-a/portal/incidents/{incident.pk}/",
    }
    # when the incident is resolved
    incident_resolve(incident_id=incident.pk, actor=acting("Max Manager"), override_reason=ANYWAY)
    # then nothing waits for them any more
    assert waiting.count() == 2
    assert not waiting.filter(open=True).exists()


@pytest.fixture
def a_clinician(world, clinic_a):
    """A clinic person of clinic A who holds the clinician crisis role (this test's row)."""
    user = User.objects.create_user(email="cam.clinician@a.example", full_name="Cam Clinician")
    ClinicMembership.objects.create(
        clinic=clinic_a, user=user, role="viewer", crisis_roles=["clinician"]
    )
    return user


def test_clinician_is_offered_only_to_the_clinics_clinicians(incident, a_clinician, login):
    # walk 13 #12: the clinician step of a reply is given by the clinic's own clinicians only,
    # so agency staff are not offered the role
    html = login("alpha_manager").get(f"/clinics/clinic-a/incidents/{incident.pk}/").content
    select = re.search(r'<select id="assign-clinician".*?</select>', html.decode(), re.S)
    assert "Cam Clinician" in select.group(0)
    for staff in ("Alpha Manager", "Alpha Owner", "Alpha Writer"):
        assert staff not in select.group(0)


def test_naming_agency_staff_clinician_is_refused_and_changes_nothing(incident, world, clinic_a):
    manager = world.users["alpha_manager"]
    with pytest.raises(ValidationFailed) as refused:
        incident_assign(
            incident_id=incident.pk,
            clinic=clinic_a,
            role="clinician",
            user_id=manager.pk,
            actor=acting("Max Manager"),
        )
    assert refused.value.fields == {
        "user_id": [
            "Alpha Manager is the agency's staff: Clinician is the clinic's own role, for its "
            "people who hold the clinician crisis role (they check replies that state health "
            "details)."
        ]
    }
    assert not IncidentAssignment.objects.filter(incident=incident).exists()
    assert not incident.events.filter(kind=EventKind.ASSIGNED).exists()


CLINICIAN_REFUSED = (
    "Alpha Manager is the agency's staff: Clinician is the clinic's own role, for its people who "
    "hold the clinician crisis role (they check replies that state health details)."
)


def _writer_is_comms(incident, world):
    IncidentAssignment.objects.create(
        incident=incident, role="comms", user_id=world.users["alpha_writer"].pk,
        user_label="Alpha Writer",
    )  # fmt: skip


def test_a_team_with_one_role_refused_saves_nothing_and_tells_nobody(
    incident, world, clinic_a, mailoutbox, django_capture_on_commit_callbacks
):
    # given the writer as Comms / PR
    _writer_is_comms(incident, world)
    manager = world.users["alpha_manager"]
    # when one form hands Comms to the manager and names her Clinician too (agency staff)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationFailed) as no:
        incident_team_set(
            incident_id=incident.pk,
            clinic=clinic_a,
            roles={"comms": manager.pk, "clinician": manager.pk, "legal": None, "social": None},
            actor=acting("Max Manager"),
        )
    # then the refusal names the field, and nothing was written, noted or sent
    assert no.value.detail == "The team cannot be saved: nothing was changed."
    assert no.value.fields == {"role_clinician": [CLINICIAN_REFUSED]}
    team = IncidentAssignment.objects.filter(incident=incident).values_list("role", "user_id")
    assert list(team) == [("comms", world.users["alpha_writer"].pk)]
    assert not incident.events.filter(kind=EventKind.ASSIGNED).exists()
    assert not Notification.objects.filter(ref__startswith=f"incident:{incident.pk}:role:").exists()
    assert mailoutbox == []


def _team(clinic, incident) -> list[tuple[str, int]]:
    with schema_context(clinic.schema_name):
        rows = IncidentAssignment.objects.filter(incident=incident).order_by("role")
        return list(rows.values_list("role", "user_id"))


def test_the_team_form_with_one_role_refused_says_why_and_changes_nothing(
    incident, world, clinic_a, login, mailoutbox, django_capture_on_commit_callbacks
):
    _writer_is_comms(incident, world)
    manager = world.users["alpha_manager"]
    room = f"/clinics/clinic-a/incidents/{incident.pk}/"
    client = login("alpha_manager")
    form = {"action": "assign_all", "role_comms": manager.pk, "role_clinician": manager.pk,
            "role_legal": "", "role_social": ""}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(room, form, follow=True)
    html = answer.content.decode()
    assert "The team cannot be saved: nothing was changed." in html
    assert (
        "Alpha Manager is the agency&#x27;s staff: Clinician is the clinic&#x27;s own role" in html
    )
    assert _team(clinic_a, incident) == [("comms", world.users["alpha_writer"].pk)]
    assert not Notification.objects.filter(ref__startswith=f"incident:{incident.pk}:role:").exists()
    assert mailoutbox == []
    # the same form without the refused role saves Comms, and tells both people
    form["role_clinician"] = ""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(room, form)
    assert _team(clinic_a, incident) == [("comms", manager.pk)]
    assert sorted(m.to[0] for m in mailoutbox) == ["manager@alpha.test", "writer@alpha.test"]


def _waiting_on_locks(at_least: int, timeout: float = 20.0) -> int:
    """How many other connections wait on a lock, once `at_least` do (or the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cursor:
            # inside a transaction the activity view is read once: read it anew each time
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            waiting = cursor.fetchone()[0]
        if waiting >= at_least or time.monotonic() > deadline:
            return waiting
        time.sleep(0.05)


def test_two_team_saves_at_once_go_one_after_the_other(
    world, committed_clinic, django_db_blocker, mailoutbox
):
    clinic = committed_clinic
    writer, manager = world.users["alpha_writer"], world.users["alpha_manager"]
    actor = Actor(user=manager, via_session=True)
    with django_db_blocker.unblock(), schema_context(clinic.schema_name):
        # given an incident of a clinic whose rows other connections see
        incident = Incident.objects.create(
            kind="surge", title="Negative surge", severity="high", opened_at=NOW,
            last_detected_at=NOW, status="open",
        )  # fmt: skip
        results: dict[str, object] = {}

        def save(name):
            try:
                with schema_context(clinic.schema_name):
                    results[name] = incident_team_set(
                        incident_id=incident.pk, clinic=clinic, roles={"comms": writer.pk},
                        actor=actor,
                    )  # fmt: skip
            except Exception as exc:  # noqa: BLE001 - reported to the test
                results[name] = exc
            finally:
                connection.close()

        # when two people save the same team while the incident is held: both wait for it
        threads = [threading.Thread(target=save, args=(n,)) for n in ("first", "second")]
        with transaction.atomic():
            Incident.objects.select_for_update().get(pk=incident.pk)
            for thread in threads:
                thread.start()
            assert _waiting_on_locks(2) == 2, results
        for thread in threads:
            thread.join(timeout=60)

        # then one wrote the role; the other, reading the team after it, changed nothing
        assert sorted(map(str, results.values())) == ["['comms']", "[]"]
        assert _team(clinic, incident) == [("comms", writer.pk)]
        assigned = incident.events.filter(kind=EventKind.ASSIGNED)
        assert list(assigned.values_list("message", flat=True)) == ["Comms / PR: Alpha Writer."]
    # and the writer was told once
    assert [m.to for m in mailoutbox] == [[writer.email]]
