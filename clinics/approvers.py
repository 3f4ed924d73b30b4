"""A clinic without an approver, and the clinic that has one again.

The clinic's approval step is given only by its own approvers (`Permission.APPROVE_CLIENT`).
When it has none (its only approver left, or it never had one), whatever a writer submits for
it waits there for nobody: the agency's owners and managers get one "Waiting for you" line
saying so (`no_approver_tell`: in-app and e-mailed as waiting notices are, once while it is
open), each writer whose texts wait at that step when its only approver leaves is told once,
naming them (`no_approver_writers_tell`; the same when the only approver's role changes to
another, `approver_role_ended_tell`), and a writer who submits meanwhile finds a line in
their history besides what the page said. When a person is given the approver role (added, invited or their role changed), each
person who was told gets a notice for their information that the clinic can approve again, and
the managers' line closes (`approver_back_tell`); what waits is pointed out to the new approver
by `core.arrivals`."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Max

from accounts.models import User
from clinics.access import clinics_where_people_can, people_who_can
from clinics.models import Clinic, Notification
from clinics.notifications import absolute_url, notifications_close, people_notify
from core.leavers import Departure, approver_gone
from core.permissions import Permission

NO_APPROVER = "no_approver"  # the notices' kind: told the clinic has no approver
APPROVER_AGAIN = "approver_again"  # the notices' kind: told it has one again


def no_approver_ref(clinic: Clinic) -> str:
    return f"clinic:{clinic.pk}:{NO_APPROVER}"


def approver_again_ref(clinic: Clinic) -> str:
    return f"clinic:{clinic.pk}:{APPROVER_AGAIN}"


def clinic_has_approver(clinic: Clinic) -> bool:
    """Whether someone may give the clinic's approval step: an active approver of its own
    people (an invited one counts: they are told by e-mail)."""
    return bool(people_who_can(clinic, permission=Permission.APPROVE_CLIENT))


def clinics_with_approver(clinic_ids) -> set[int]:
    """`clinic_has_approver` for many clinics in one query: those of `clinic_ids` that have
    one (`clinics.access.clinics_where_people_can`, the rule of `people_who_can`)."""
    return clinics_where_people_can(clinic_ids, permission=Permission.APPROVE_CLIENT)


def no_approver_tell(
    *,
    clinic: Clinic,
    why: str = "",
    writers: Iterable[User] = (),
    what: str = "",
    email: bool = True,
) -> dict[int, list[str]]:
    """The clinic has no approver: its agency's owners and managers (those who manage it)
    find one "Waiting for you" line (kind `no_approver`), e-mailed as waiting notices are
    (`email=False`: the caller e-mails them itself), until it has an approver again; a repeat
    while it is open tells nothing. `why`: since when, in words ("since Ann Lee left").
    `writers`: people who submitted `what` ("a reply to review 12") meanwhile; the page told
    them, their history keeps it (no e-mail), so they are told when it can approve again.
    Returns user id → channels of the managers told."""
    managers = people_who_can(clinic, permission=Permission.MANAGE)
    told = people_notify(
        users=managers,
        clinic=clinic,
        kind=NO_APPROVER,
        ref=no_approver_ref(clinic),
        title=f"{clinic.name} has no approver{f' {why}' if why else ''}: nothing can get the "
        "clinic's approval",
        detail="Whatever is submitted for the clinic's approval waits at that step until the "
        "clinic has an approver again. Add one of the clinic's people as its approver on its "
        "people page (or an agency owner switches the clinic's approval step off, with a "
        "reason). Whoever was told is told when it can approve again.",
        url=f"/clinics/{clinic.slug}/settings/people/",
        severity="high",
        email=email,
    )
    manager_ids = {u.pk for u in managers}
    others = [u for u in writers if u is not None and u.pk not in manager_ids]
    if others and what:
        people_notify(
            users=others,
            clinic=clinic,
            kind=NO_APPROVER,
            ref=no_approver_ref(clinic),
            title=f"{what[:1].upper()}{what[1:]} waits for {clinic.name}'s approval, and the "
            "clinic has no approver now",
            url=f"/clinics/{clinic.slug}/replies/",
            waits=False,
            email=False,
        )
    return told


def no_approver_writers_tell(
    *, clinic: Clinic, why: str = "", stranded: Iterable[tuple[User, list[tuple[str, str]]]]
) -> dict[int, list[str]]:
    """The clinic's only approver was removed and what some people wrote waits at its approval
    step, where nobody may give it now: each writer is told once (kind `no_approver`, so they
    are told when it can approve again, `approver_back_tell`), naming each of their texts
    stranded there, for their information (their history, and an e-mail unless they chose
    none for such notices). `stranded`: (writer, [(the text in words, its page)]). The
    clinic's owners and managers are left out: they are told by `no_approver_tell`, and each
    stranded text waits for them. Returns user id → channels."""
    managers = {u.pk for u in people_who_can(clinic, permission=Permission.MANAGE)}
    told: dict[int, list[str]] = {}
    for writer, texts in stranded:
        if writer is None or writer.pk in managers or not texts:
            continue
        (first, first_url), count = texts[0], len(texts)
        what = (
            f"{first[:1].upper()}{first[1:]} you wrote waits"
            if count == 1
            else f"{count} texts you wrote wait"
        )
        listed = "\n".join(f"- {words}: {absolute_url(url)}" for words, url in texts)
        told |= people_notify(
            users=[writer],
            clinic=clinic,
            kind=NO_APPROVER,
            ref=no_approver_ref(clinic),
            title=f"{what} for {clinic.name}'s approval, and the clinic has no approver"
            f"{f' {why}' if why else ' now'}",
            detail=f"Waiting at the clinic's approval step:\n{listed}\n\nThey keep waiting "
            "there until the clinic has an approver again: the agency's owners and managers "
            "were told. You are told when it can approve again.",
            url=first_url if count == 1 else f"/clinics/{clinic.slug}/replies/",
            waits=False,
        )
    return told


def approver_role_ended_tell(*, clinic: Clinic, user: User) -> bool:
    """`user` stays in the clinic but is no longer its approver (their role changed). When the
    clinic has no approver left, it is told as when its only approver is removed: the
    owners' and managers' line (`no_approver_tell`, e-mailed: no removal e-mail says it),
    what waits at its approval step stuck for them and its writers told
    (`core.leavers.approver_gone`), under the same refs, so `approver_back_tell` closes them.
    Returns whether it was told."""
    if clinic_has_approver(clinic):
        return False
    name = user.full_name or user.email
    why = f"since {name} is no longer its approver"
    no_approver_tell(clinic=clinic, why=why)
    approver_gone(
        Departure(user_id=user.pk, agency_id=clinic.agency_id, clinic_id=clinic.pk, name=name),
        why=why,
    )
    return True


def _told_since_last_approver(clinic: Clinic) -> list[int]:
    """Who was told the clinic has no approver since it last had one again."""
    rows = Notification.objects.filter(clinic=clinic, kind=NO_APPROVER)
    since = Notification.objects.filter(clinic=clinic, kind=APPROVER_AGAIN).aggregate(
        at=Max("created_at")
    )["at"]
    if since is not None:
        rows = rows.filter(created_at__gt=since)
    return sorted(set(rows.values_list("user_id", flat=True)))


def approver_back_tell(*, clinic: Clinic, approver: User, waiting: int = 0) -> int:
    """`approver` was just given the clinic's approver role. When they are its only approver
    (it had none), each person told that it had none (`no_approver_tell`, the removal of its
    only approver) gets a notice for their information (their history, and an e-mail unless
    they chose none for such notices) that it can approve again, and the managers' "no
    approver" lines close. `waiting`: how many things were pointed out to the approver
    (`core.arrivals.arrived`). Returns how many people were told."""
    approvers = {u.pk for u in people_who_can(clinic, permission=Permission.APPROVE_CLIENT)}
    if approvers != {approver.pk}:
        return 0
    ids = [pk for pk in _told_since_last_approver(clinic) if pk != approver.pk]
    notifications_close(clinic=clinic, ref=no_approver_ref(clinic))
    if not ids:
        return 0
    name = approver.full_name or approver.email
    detail = f"{name} now gives the clinic's approval step" + (
        f"; the {waiting} thing{'s' if waiting != 1 else ''} already waiting for it "
        f"{'were' if waiting != 1 else 'was'} pointed out to them."
        if waiting
        else "."
    )
    if not approver.has_usable_password():
        detail += (
            " They were invited and can approve once they choose their password (an owner or "
            "manager can send the invitation again from the clinic's people page)."
        )
    told = people_notify(
        users=User.objects.filter(pk__in=ids),
        clinic=clinic,
        kind=APPROVER_AGAIN,
        ref=approver_again_ref(clinic),
        title=f"{clinic.name} can approve again: {name} is its approver now",
        detail=detail,
        url=f"/clinics/{clinic.slug}/replies/",
        waits=False,
    )
    return len(told)
