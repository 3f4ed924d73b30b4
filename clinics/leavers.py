"""A person leaving the agency's staff and the clinics' on-call lists (`core.leavers`): the
on-call slots they hold are listed before the removal and taken off with it, so nobody who
left is alerted about a client's crisis again."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from agency.branding import brand_sender
from agency.models import Agency, AgencyRole
from clinics.access import people_who_can
from clinics.models import (
    Clinic,
    ClinicMembership,
    CrisisRole,
    NoticeTold,
    Notification,
    OnCall,
)
from clinics.notifications import absolute_url, mails_send_quietly
from core.leavers import Departure, Left
from core.mail import Mail
from core.text import one_line


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


def crisis_team_left_behind(departure: Departure) -> list[Left]:
    """Leaving one clinic: the roles they hold on its crisis team (alerted when an incident
    opens; Comms / PR, legal, clinician, social media), each with who else holds it. A role
    nobody else holds is a gap: the clinic's incidents and the steps it gives (legal, the
    clinician) then have nobody of the clinic for it."""
    if departure.clinic_id is None:
        return []  # staff hold no clinic roles (`clinic_member_add` refuses them)
    membership = (
        ClinicMembership.objects.filter(clinic_id=departure.clinic_id, user_id=departure.user_id)
        .select_related("clinic")
        .first()
    )
    if membership is None or not membership.crisis_roles:
        return []
    clinic = membership.clinic
    alone, shared = [], []
    for value, label in CrisisRole.choices:  # the pickers' order
        if value not in membership.crisis_roles:
            continue
        others = [_name(u) for u in people_who_can(clinic, crisis_role=value)
                  if u.pk != departure.user_id]  # fmt: skip
        if others:
            shared.append(
                f"{label} ({', '.join(others)} also hold{'s' if len(others) == 1 else ''} it)"
            )
        else:
            alone.append(label)
    then = "Ended with the removal."
    if alone:
        then += (
            f" Nobody else of the clinic holds {', '.join(alone)}: give "
            f"{'it' if len(alone) == 1 else 'each'} to another of its people on this page."
        )
    return [
        Left(
            kind="crisis_team",
            clinic_name=clinic.name,
            clinic_slug=clinic.slug,
            count=len(membership.crisis_roles),
            what=f"Crisis team of {clinic.name}: {'; '.join(alone + shared)}.",
            then=then,
            gap=bool(alone),
            links=(("People", f"/clinics/{clinic.slug}/settings/people/"),),
        )
    ]


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


def notices_leave(departure: Departure, *, by) -> list[Left]:
    """What waited for the person in the clinics they leave closes (banner, badge, the next
    hourly digest), and an e-mail still owed to them is not sent: it is no longer theirs to
    do, and their managers are told what it was (`left_behind_tell`). Their history keeps each
    notice. Ends nothing listed: returns []."""
    Notification.objects.filter(
        Q(open=True) | Q(email_pending=True),
        user_id=departure.user_id,
        clinic__in=_clinics(departure),
    ).update(open=False, email_pending=False, updated_at=timezone.now())
    NoticeTold.objects.filter(user_id=departure.user_id, clinic__in=_clinics(departure)).delete()
    return []


def left_behind_tell(departure: Departure, left: list[Left], *, by) -> int:
    """Once the person is removed: each of the agency's owners and managers (not the person)
    gets one e-mail saying what they left (`left`, as the confirmation listed it before the
    removal: drafts, replies sent back, follow-ups, incident roles, on-call slots), with the
    links to take each over. The in-app side is each app's (`responses.leavers.work_hand_over`).
    Sent after commit, never failing the caller. Returns how many e-mails were queued."""
    if not left:
        return 0
    agency = Agency.objects.get(pk=departure.agency_id)
    managers = list(
        User.objects.filter(
            is_active=True,
            agency_memberships__agency=agency,
            agency_memberships__role__in=(AgencyRole.OWNER, AgencyRole.MANAGER),
        )
        .exclude(pk=departure.user_id)
        .distinct()
        .order_by("pk")
    )
    if not managers:
        return 0
    name = departure.name or "A person"
    where = agency.name
    if departure.clinic_id is not None:
        where = Clinic.objects.get(pk=departure.clinic_id).name
    remover = (by.full_name or by.email) if by is not None else "Someone"
    lines = [
        f"{remover} removed {name} from {where}. What they held now needs someone to take it over:",
        "",
    ]
    for item in left:
        lines.append(f"- {item.what} {item.then}")
        lines.extend(f"  {label}: {absolute_url(url)}" for label, url in item.links)
    if any(item.kind in ("work", "followup") for item in left):
        lines += [
            "",
            "Their drafts not submitted, the replies sent back to them and the follow-ups they "
            "owned also wait in your “Waiting for you” until someone takes each over.",
        ]
    if any(item.kind == "waiting_client" and item.count for item in left):
        lines += [
            "",
            "What waits at the clinic's approval step waits in your “Waiting for you” too, "
            "until the clinic has an approver again or each is settled.",
        ]
    subject = f"{name} left: what they held needs someone to take it over"
    messages = [
        Mail(
            subject=one_line(subject)[:250],
            body="\n".join(
                [
                    f"Hello {u.full_name or u.email},",
                    "",
                    *lines,
                    "",
                    agency.display_name or agency.name,
                ]
            ),
            from_email=brand_sender(agency),
            to=[u.email],
        )
        for u in managers
    ]
    transaction.on_commit(lambda: mails_send_quietly(messages, what="handover"))
    return len(messages)
