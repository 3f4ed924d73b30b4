"""A person leaving the agency's staff and the clinics' on-call lists (`core.leavers`): the
on-call slots they hold are listed before the removal and taken off with it, so nobody who
left is alerted about a client's crisis again."""

from __future__ import annotations

from collections import defaultdict

from accounts.models import User
from clinics.models import Clinic, OnCall
from core.leavers import Departure, Left


def _clinics(departure: Departure):
    clinics = Clinic.objects.filter(agency_id=departure.agency_id)
    if departure.clinic_id is not None:
        clinics = clinics.filter(pk=departure.clinic_id)
    return clinics


def _name(user: User) -> str:
    return user.full_name or user.email


def on_call_left_behind(departure: Departure) -> list[Left]:
    """The clinics whose on-call list holds the person, each with who stays on it once they
    are taken off (an empty list means the agency's owners and managers are alerted)."""
    slots = list(
        OnCall.objects.filter(user_id=departure.user_id, clinic__in=_clinics(departure))
        .select_related("clinic")
        .order_by("clinic__name", "clinic_id")
    )
    if not slots:
        return []
    lists: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for row in (
        OnCall.objects.filter(clinic_id__in=[s.clinic_id for s in slots])
        .select_related("user")
        .order_by("position", "pk")
    ):
        lists[row.clinic_id].append((row.user_id, _name(row.user)))
    items = []
    for slot in slots:
        clinic, people = slot.clinic, lists[slot.clinic_id]
        position = [uid for uid, _ in people].index(departure.user_id) + 1
        staying = [name for uid, name in people if uid != departure.user_id]
        then = (
            f"Taken off the list; {', '.join(staying)} stay{'s' if len(staying) == 1 else ''} "
            "on it."
            if staying
            else "Taken off the list, which is then empty: the clinic's alerts go to the "
            "agency's owners and managers until you choose someone."
        )
        items.append(
            Left(
                kind="on_call",
                clinic_name=clinic.name,
                clinic_slug=clinic.slug,
                count=1,
                what=f"On call for {clinic.name} ({_ordinal(position)} of {len(people)}).",
                then=then,
                gap=not staying,
                links=(("On-call list", f"/clinics/{clinic.slug}/settings/alerts/"),),
            )
        )
    return items


def on_call_leave(departure: Departure, *, by) -> list[Left]:
    """Take the person off every on-call list of the clinics they leave (in the caller's
    transaction); returns the slots as `on_call_left_behind` described them."""
    items = on_call_left_behind(departure)
    if items:
        OnCall.objects.filter(user_id=departure.user_id, clinic__in=_clinics(departure)).delete()
    return items


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
