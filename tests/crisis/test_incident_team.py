"""The incident's team: Legal / compliance is the clinic's own role, and the "You are <role>
for the incident" message closes when the incident is resolved."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from clinics.models import Notification
from core.errors import ValidationFailed
from crisis.models import EventKind, IncidentAssignment
from crisis.selectors import people_eligible
from crisis.services import (
    detector_settings_update,
    detectors_run,
    incident_assign,
    incident_resolve,
)
from tests.crisis.conftest import ANYWAY, NOW, acting

MIN = timedelta(minutes=1)


@pytest.fixture
def incident(stream):
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    stream.add(NOW - 5 * MIN, label="negative", text="Measles outbreak at the clinic")
    [incident] = detectors_run(now=NOW, notify=False)
    return incident


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
    # when the incident is resolved
    incident_resolve(incident_id=incident.pk, actor=acting("Max Manager"), override_reason=ANYWAY)
    # then nothing waits for them any more
    assert waiting.count() == 2
    assert not waiting.filter(open=True).exists()
