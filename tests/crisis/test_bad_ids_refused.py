"""A number typed in an incident page's form or the response plan's address that is not one
("²" passes `str.isdigit()` but `int()` refuses it) is never a 500 (review 13, #1): the plan's
version reads as none; a person id in the team forms is a 400 naming the field, never "nobody"
(which would clear the role and tell its holder so: review 14, #11)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from clinics.models import CrisisRole, Notification
from crisis.models import EventKind, IncidentAssignment
from crisis.services import detector_settings_update, detectors_run
from tests.crisis.conftest import NOW, acting

MIN = timedelta(minutes=1)
ODD = ["²", "①", "9" * 30]


@pytest.fixture
def incident(stream):
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    stream.add(NOW - 5 * MIN, label="negative", text="An outbreak in the waiting room")
    [opened] = detectors_run(now=NOW, notify=False)
    return opened


@pytest.mark.parametrize("raw", ODD)
def test_the_response_plan_ignores_an_odd_version(clinic_a, login, raw):
    answer = login("alpha_manager").get("/clinics/clinic-a/response-plan/", {"version": raw})

    assert answer.status_code == 200


@pytest.mark.parametrize("raw", [*ODD, "abc", "12x"])
def test_an_odd_person_id_in_the_incident_team_forms_is_refused_and_clears_nobody(
    incident, world, clinic_a, login, raw, mailoutbox, django_capture_on_commit_callbacks
):
    # given the writer as Comms / PR
    writer = world.users["alpha_writer"]
    IncidentAssignment.objects.create(
        incident=incident, role=CrisisRole.COMMS, user_id=writer.pk, user_label="Alpha Writer"
    )
    client = login("alpha_manager")
    room = f"/clinics/clinic-a/incidents/{incident.pk}/"

    # when a form carries a person id that is not a number
    with django_capture_on_commit_callbacks(execute=True):
        one = client.post(room, {"action": "assign", "role": CrisisRole.COMMS, "user_id": raw})
        every = client.post(room, {"action": "assign_all", "role_comms": raw, "role_legal": ""})

    # then each is a 400 naming the field, and the writer is still Comms, told nothing
    assert (one.status_code, every.status_code) == (400, 400)
    assert "Invalid input. “user_id”: A number." in one.content.decode()
    assert "Invalid input. “role_comms”: A number." in every.content.decode()
    with schema_context(clinic_a.schema_name):
        team = list(IncidentAssignment.objects.filter(incident=incident).values_list("user_id"))
        assert not incident.events.filter(kind=EventKind.ASSIGNED).exists()
    assert team == [(writer.pk,)]
    assert not Notification.objects.filter(user=writer, ref__contains=":role:").exists()
    assert mailoutbox == []


def test_a_blank_person_in_the_team_form_still_means_nobody(incident, world, clinic_a, login):
    writer = world.users["alpha_writer"]
    IncidentAssignment.objects.create(
        incident=incident, role=CrisisRole.COMMS, user_id=writer.pk, user_label="Alpha Writer"
    )
    room = f"/clinics/clinic-a/incidents/{incident.pk}/"

    answer = login("alpha_manager").post(room, {"action": "assign_all", "role_comms": " "})

    assert answer.status_code == 302
    with schema_context(clinic_a.schema_name):
        assert not IncidentAssignment.objects.filter(incident=incident).exists()
