"""The first alert's e-mail names when the incident is escalated as a time of day in the
clinic's time zone ("within 15 minutes of its opening (by 2026-03-04 10:10 EST)"), not "within
15 minutes" of whenever it is read, and only while an escalation runs: an incident acknowledged
before its alert goes has no deadline, and its e-mail names none."""

from __future__ import annotations

from datetime import timedelta

from clinics.models import clinic_zone
from crisis.room import local
from crisis.selectors import detector_settings_get
from crisis.services import incident_acknowledge, incident_notify_opened
from tests.crisis.conftest import acting


def _bodies(incident, mailoutbox, capture) -> dict[str, str]:
    with capture(execute=True):
        incident_notify_opened(incident_id=incident.pk)
    return {m.to[0]: m.body for m in mailoutbox}


def test_the_alert_names_the_escalation_time_in_the_clinics_zone(
    incident, clinic_a, mailoutbox, django_capture_on_commit_callbacks
):
    minutes = detector_settings_get().escalation_minutes
    at = local(incident.opened_at + timedelta(minutes=minutes), clinic_zone(clinic_a))

    bodies = _bodies(incident, mailoutbox, django_capture_on_commit_callbacks)

    assert len(bodies) >= 2
    for person, body in bodies.items():
        assert (
            "If nobody acknowledges it or acts on it (a reply, a statement, assigning the team) "
            f"within {minutes} minutes of its opening (by {at}), "
        ) in body, person


def test_an_incident_acknowledged_before_its_alert_goes_names_no_deadline(
    incident, clinic_a, mailoutbox, django_capture_on_commit_callbacks
):
    incident_acknowledge(incident_id=incident.pk, actor=acting("Sam"))

    bodies = _bodies(incident, mailoutbox, django_capture_on_commit_callbacks)

    assert bodies
    opened = local(incident.opened_at, clinic_zone(clinic_a))
    for person, body in bodies.items():
        assert f"Opened: {opened}.\n" in body, person
        assert "of its opening" not in body and "escalated" not in body, person
