"""The security log's vocabulary: a change of the clinics a staff member reaches is an event
of its own ("Clinics changed"), stored and validated like every other, never a role change."""

from __future__ import annotations

from accounts.models import SecurityEvent, SecurityEventCode
from accounts.services import security_event_record


def test_a_clinics_change_is_an_event_of_its_own(world, db):
    writer = world.users["alpha_writer"]
    # when a change of clinics is recorded
    recorded = security_event_record(
        event="member.clinics_changed",
        target=writer,
        agency_id=world.agencies["alpha"].pk,
        detail={"clinics_from": "all clinics", "clinics_to": "Clinic B"},
    )
    # then the log stores it under its own code and name, which the model accepts
    event = SecurityEvent.objects.get(pk=recorded.pk)
    event.full_clean()
    assert event.event == SecurityEventCode.MEMBER_CLINICS_CHANGED
    assert event.get_event_display() == "Clinics changed"
    assert SecurityEventCode.MEMBER_ROLE_CHANGED.label == "Role changed"
    field = SecurityEvent._meta.get_field("event")
    assert len("member.clinics_changed") <= field.max_length
