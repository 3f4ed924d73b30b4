"""A person leaving (`core.leavers`): their team roles in the clinics' running incidents are
listed before the removal and ended with it (on each incident's timeline), so the incident
room and the API agree that the role falls back to the clinic's crisis team."""

from __future__ import annotations

from django_tenants.utils import schema_context

from accounts.actors import Actor
from clinics.models import Clinic, CrisisRole
from core.leavers import Departure, Left
from crisis.models import ACTIVE_STATUSES, EventKind, IncidentAssignment
from crisis.services.common import event_add


def _clinics(departure: Departure) -> list[Clinic]:
    clinics = Clinic.objects.filter(agency_id=departure.agency_id)
    if departure.clinic_id is not None:
        clinics = clinics.filter(pk=departure.clinic_id)
    return list(clinics.order_by("name", "pk"))


def _assignments(departure: Departure):
    return (
        IncidentAssignment.objects.filter(
            user_id=departure.user_id, incident__status__in=ACTIVE_STATUSES
        )
        .select_related("incident")
        .order_by("incident_id", "role")
    )


def _item(clinic: Clinic, rows: list[IncidentAssignment]) -> Left:
    roles = [
        f"{CrisisRole(a.role).label if a.role in CrisisRole.values else a.role} of "
        f"“{a.incident.title}” ({a.incident.get_status_display().lower()})"
        for a in rows
    ]
    return Left(
        kind="incident_role",
        clinic_name=clinic.name,
        clinic_slug=clinic.slug,
        count=len(rows),
        what=f"Incident team in {clinic.name}: {'; '.join(roles)}.",
        then="Ended: each role falls back to the clinic's crisis team; assign someone else in "
        "the incident room.",
        links=tuple(
            (f"Incident “{a.incident.title}”", f"/clinics/{clinic.slug}/incidents/{a.incident_id}/")
            for a in rows
        ),
    )


def roles_left_behind(departure: Departure) -> list[Left]:
    """The person's roles in running incidents (open, acknowledged, responding), per clinic:
    one query per clinic schema of the agency (or of the one clinic they leave)."""
    items = []
    for clinic in _clinics(departure):
        with schema_context(clinic.schema_name):
            rows = list(_assignments(departure))
        if rows:
            items.append(_item(clinic, rows))
    return items


def roles_leave(departure: Departure, *, by) -> list[Left]:
    """End the person's roles in running incidents, each with a line on the incident's
    timeline by `by` (in the caller's transaction: the schemas share its connection)."""
    actor = Actor(user=by) if by is not None else Actor.of_system("people", "Carewatch")
    who = departure.name or f"user {departure.user_id}"
    items = []
    for clinic in _clinics(departure):
        with schema_context(clinic.schema_name):
            rows = list(_assignments(departure))
            for assignment in rows:
                label = CrisisRole(assignment.role).label if assignment.role in CrisisRole.values \
                    else assignment.role  # fmt: skip
                event_add(
                    incident=assignment.incident,
                    kind=EventKind.ASSIGNED,
                    message=f"{label}: unassigned ({who} no longer has access).",
                    actor=actor,
                    data={"role": assignment.role, "user_id": None, "left": departure.user_id},
                )
            IncidentAssignment.objects.filter(pk__in=[a.pk for a in rows]).delete()
        if rows:
            items.append(_item(clinic, rows))
    return items
