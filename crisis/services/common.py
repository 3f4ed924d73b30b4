from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.utils import timezone

from accounts.actors import Actor
from crisis.models import Incident, IncidentEvent

SYSTEM = Actor.of_system("crisis", "Carewatch")
DETECTOR = Actor.of_system("detectors", "Carewatch detectors")

# pg_advisory_xact_lock(hashtext(schema), key) keys: negative, so they never meet the source
# ids that feeds uses as the second key.
LOCK_DETECTORS = -1001
LOCK_PLAN = -1002

# The in-app message that an open incident grew (`notifications.incident_notify_grew`): one
# open per person and incident, the latest step; it closes when the incident is resolved.
INCIDENT_GREW = "incident_grew"


def schema_lock(key: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema()), %s)", [key])


def event_add(
    *,
    incident: Incident,
    kind: str,
    message: str,
    actor: Actor = SYSTEM,
    data: dict | None = None,
    at: datetime | None = None,
    shared_with_clinic: bool = False,
) -> IncidentEvent:
    return IncidentEvent.objects.create(
        incident=incident,
        kind=kind,
        message=message,
        actor=actor.name[:200],
        data=data or {},
        at=at or timezone.now(),
        shared_with_clinic=shared_with_clinic,
    )
