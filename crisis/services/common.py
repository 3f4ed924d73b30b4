from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.utils import timezone

from crisis.models import Incident, IncidentEvent

SYSTEM = "Carewatch"
DETECTOR = "Carewatch detectors"

# pg_advisory_xact_lock(hashtext(schema), key) keys: negative, so they never meet the source
# ids that feeds uses as the second key.
LOCK_DETECTORS = -1001
LOCK_PLAN = -1002


def schema_lock(key: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema()), %s)", [key])


def actor_label(actor) -> str:
    """How a person or API key is named on the timeline."""
    if actor is None:
        return SYSTEM
    if isinstance(actor, str):
        return actor
    if getattr(actor, "api_key", None) is not None:
        return f"API key {actor.api_key.name} ({actor.api_key.prefix}…)"
    user = getattr(actor, "user", None)
    if user is not None:
        return user.full_name or user.email
    return SYSTEM


def event_add(
    *,
    incident: Incident,
    kind: str,
    message: str,
    actor: str = SYSTEM,
    data: dict | None = None,
    at: datetime | None = None,
) -> IncidentEvent:
    return IncidentEvent.objects.create(
        incident=incident,
        kind=kind,
        message=message,
        actor=actor[:200],
        data=data or {},
        at=at or timezone.now(),
    )
