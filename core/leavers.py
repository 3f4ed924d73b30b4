"""The port through which `agency` and `clinics` (low floors) ask the apps above them what a
person leaves behind when they are removed, and end what must end with their access.

Removing someone from the agency's staff (or a person from a clinic) happens on a low floor,
but what they hold lives higher up: their on-call slots (`clinics`), the replies and
statements they wrote (`responses`, in each clinic's schema) and their incident roles
(`crisis`). The confirmation page lists it all before anything changes (`left_behind`); the
removal ends, in its own transaction, what must not outlive their access (`leave`), hands
their open work to the agency's owners and managers and tells them once (`left_tell`). The
selectors and services are named, not imported: each app owns its part."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.module_loading import import_string

# What each app says a person leaves behind (`f(departure) -> list[Left]`).
LEFT_BEHIND_SELECTORS = (
    "clinics.leavers.on_call_left_behind",
    "clinics.leavers.crisis_team_left_behind",
    "crisis.leavers.roles_left_behind",
    "responses.leavers.work_left_behind",
)
# What each app ends when they go (`f(departure, by=user) -> list[Left]`, what it ended).
LEAVE_SERVICES = (
    "clinics.leavers.on_call_leave",
    "crisis.leavers.roles_leave",
    "responses.leavers.work_hand_over",  # ends nothing: their open work waits for managers
    "clinics.leavers.notices_leave",  # ends nothing listed: what waited for them closes
)
# Telling the agency's owners and managers, once, what the person left
# (`f(departure, left, by=user) -> int`).
LEFT_TELL = "clinics.leavers.left_behind_tell"
# What waits at a clinic's approval step when its only approver stays but no longer approves
# (their role changed; a removal does it in `LEAVE_SERVICES`): `f(departure, why=...) -> None`.
APPROVER_GONE = "responses.leavers.approver_gone_tell"


@dataclass(frozen=True)
class Departure:
    """Who leaves, and from where: the agency's staff (`clinic_id` None: every clinic of the
    agency) or one clinic's people."""

    user_id: int
    agency_id: int
    clinic_id: int | None = None
    name: str = ""  # the person, as pages and timelines name them
    # their role in the clinic they leave (`clinics.models.ClinicRole`); "" for staff of the
    # agency (they never give the clinic's approval step)
    clinic_role: str = ""


@dataclass(frozen=True)
class Left:
    """One thing a person leaves behind in one clinic, in words: `what` it is, `then` what the
    removal does to it; `gap` when the clinic is left without someone who acts (an emptied
    on-call list, a crisis-team role nobody else holds, replies nobody else may approve, facts
    nobody else may confirm); `links` (label, url) to act on it."""

    # on_call | crisis_team | incident_role | work | followup | waiting_client | waiting_facts
    # | waiting_legal
    kind: str
    clinic_name: str
    clinic_slug: str
    count: int
    what: str
    then: str
    gap: bool = False
    links: tuple[tuple[str, str], ...] = field(default=())


def left_behind(departure: Departure) -> list[Left]:
    """Everything `departure`'s person leaves behind, by app, then by clinic name."""
    items: list[Left] = []
    for name in LEFT_BEHIND_SELECTORS:
        items.extend(import_string(name)(departure))
    return items


def leave(departure: Departure, *, by) -> list[Left]:
    """End what must not outlive the person's access (their on-call slots, their roles in
    running incidents), in the caller's transaction; returns what was ended."""
    ended: list[Left] = []
    for name in LEAVE_SERVICES:
        ended.extend(import_string(name)(departure, by=by))
    return ended


def left_tell(departure: Departure, left: list[Left], *, by) -> int:
    """After the removal: the agency's owners and managers are e-mailed once what the person
    left (`left`, read by `left_behind` before anything ended), with links to take it over."""
    return import_string(LEFT_TELL)(departure, left, by=by)


def approver_gone(departure: Departure, *, why: str) -> None:
    """`departure`'s person is no longer the only approver of its clinic but stays (their role
    changed): what waits at the clinic's approval step is told as when they leave, in the
    caller's transaction. `why`: since when, in words."""
    import_string(APPROVER_GONE)(departure, why=why)
