"""An incident's alert never goes to agency staff limited to other clinics (the agency's people
page), even one still on the clinic's on-call list: the list skips them (and, left empty, falls
back to the owners and managers), and no incident role is offered to them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clinics.models import Notification, OnCall
from crisis.selectors import people_assignable, people_eligible
from crisis.services import detector_settings_update, detectors_run, incident_notify_opened
from crisis.services.alerting import escalation_recipients, incident_recipients
from tests.crisis.conftest import NOW, acting


@pytest.fixture
def incident(stream):
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    stream.add(NOW - timedelta(minutes=5), label="negative", text="Measles outbreak at the clinic")
    [incident] = detectors_run(now=NOW, notify=False)
    return incident


def _agency_side(recipients) -> dict[str, list[str]]:
    return {r.user.email: r.why for r in recipients if r.side == "agency"}


def test_the_on_call_list_skips_someone_who_no_longer_reaches_the_clinic(clinic_a, world, limit_to):
    writer, manager = world.users["alpha_writer"], world.users["alpha_manager"]
    limit_to("alpha_writer", world.clinics["b"])
    # given the limited writer first on clinic A's list, the manager second
    OnCall.objects.create(clinic=clinic_a, user=writer, position=0)
    OnCall.objects.create(clinic=clinic_a, user=manager, position=1)
    # then the manager alone is alerted as on call
    assert _agency_side(incident_recipients(clinic_a)) == {"manager@alpha.test": ["on call"]}
    # and with the writer alone on it, the alert falls back to the owners and managers
    OnCall.objects.filter(user=manager).delete()
    assert _agency_side(incident_recipients(clinic_a)) == {
        "manager@alpha.test": ["agency owner/manager"],
        "owner@alpha.test": ["agency owner/manager"],
    }
    assert "writer@alpha.test" not in _agency_side(escalation_recipients(clinic_a))


def test_an_opened_incident_tells_nobody_limited_to_other_clinics(
    clinic_a, world, limit_to, incident, mailoutbox, django_capture_on_commit_callbacks
):
    writer = world.users["alpha_writer"]
    limit_to("alpha_writer", world.clinics["b"])
    OnCall.objects.create(clinic=clinic_a, user=writer, position=0)
    with django_capture_on_commit_callbacks(execute=True):
        incident_notify_opened(incident_id=incident.pk)
    assert writer.email not in [m.to[0] for m in mailoutbox]
    assert "owner@alpha.test" in [m.to[0] for m in mailoutbox]
    assert not Notification.objects.filter(user=writer).exists()


def test_incident_roles_are_not_offered_to_staff_limited_to_other_clinics(
    clinic_a, world, limit_to
):
    writer = world.users["alpha_writer"]
    assert writer.pk in dict(people_assignable(clinic_a))
    assert writer.pk in dict(people_eligible(clinic_a, "comms"))
    limit_to("alpha_writer", world.clinics["b"])
    assert writer.pk not in dict(people_assignable(clinic_a))
    assert writer.pk not in dict(people_eligible(clinic_a, "comms"))
    assert writer.pk in dict(people_eligible(world.clinics["b"], "comms"))
