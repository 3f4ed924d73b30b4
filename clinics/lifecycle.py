"""A client that leaves: deactivate a clinic (and reactivate it within REACTIVATE_DAYS), then
delete it permanently.

Deactivating changes one row: `Clinic.deactivated_at`. Everything else follows from it, so
that reactivating undoes it all by clearing it:

- every beat sweep over clinics skips it (`clinics.schemas.clinic_schemas_each`): no polling,
  detectors, escalations, outbox or webhook sweeps, follow-up sweeps;
- a task already queued for it does nothing (`clinics.paused.ClinicTask`, the Celery task
  class): a reply's delivery, a webhook's retry, a detector run, an alert;
- its pages and API are read-only for the agency's staff (writes answer 409), closed to its
  own people ("Your agency has paused this portal") and to API keys (403), and its inbound
  hooks answer 404 (`clinics.paused.ClinicPausedMiddleware`);
- the dashboard lists it apart and leaves it out of the totals.

Deleting (only a deactivated clinic) drops its schema and every public row that names it; the
security log keeps the clinic's id, name and slug as plain values."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.audit import security_event_record
from accounts.models import ApiKey, SecurityEvent, SecurityEventCode, User
from accounts.services import invitation_withdraw
from agency.branding import brand_name, brand_sender
from agency.models import AgencyMembership, AgencyRole, StaffClinic
from agency.selectors import staff_reaching
from clinics.models import (
    ChatWebhook,
    Clinic,
    ClinicMembership,
    Domain,
    Notification,
    OnCall,
)
from clinics.notifications import mails_send_quietly, people_notify
from clinics.paused import deactivated_on
from clinics.selectors import clinic_people
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.mail import Mail
from core.rollup import figures_changed

REACTIVATE_DAYS = 30

# What deactivating stops, in words: the confirmation page, the API's description, the README.
WHAT_STOPS = (
    "Polling of its sources: nothing new arrives.",
    "Scoring, crisis detectors, incident alerts and escalations.",
    "The outbox: no reply or statement is posted, and its outbound webhooks stop.",
    "Its people cannot open the portal; its API keys and inbound hooks are refused.",
    "It leaves the dashboard's totals and SLA figures (listed under “Deactivated clinics”).",
    "Staff can still read everything and export its data; nothing can be changed.",
)


def clinic_owner_check(*, actor: Actor, clinic: Clinic) -> None:
    """Deactivating, reactivating and deleting a clinic: an owner of its agency, in person
    (or with their personal token); never an API key."""
    if actor.api_key is not None or actor.user is None:
        raise PermissionDenied("Only an owner of the agency does this, in person.")
    if not AgencyMembership.objects.filter(
        user=actor.user, agency_id=clinic.agency_id, role=AgencyRole.OWNER
    ).exists():
        raise PermissionDenied("Only an owner of the agency deactivates or deletes a clinic.")


def _name_check(clinic: Clinic, typed: str) -> None:
    if (typed or "").strip() != clinic.name:
        raise ValidationFailed(
            "The name typed is not the clinic's name: nothing was changed.",
            code="name_mismatch",
            fields={"confirm_name": [f"Type the clinic's name exactly: {clinic.name}"]},
        )


def reactivate_until(clinic: Clinic):
    """The last moment a deactivated clinic can be reactivated (None while it is active)."""
    if clinic.deactivated_at is None:
        return None
    return clinic.deactivated_at + timedelta(days=REACTIVATE_DAYS)


def clinic_event_record(event: str, *, clinic: Clinic, actor: Actor, request=None, **detail):
    """The security log's line about this clinic's life (deactivated, exported, deleted): its
    name and slug by value, so the line outlives the clinic."""
    security_event_record(
        event=event,
        actor=actor.user,
        agency_id=clinic.agency_id,
        clinic_id=clinic.pk,
        clinic_name=clinic.name,
        detail={"clinic_name": clinic.name, "clinic_slug": clinic.slug, **detail},
        request=request,
    )


def _deactivated_set(row: Clinic, at, label: str, name: str) -> None:
    """Record (or, with None and blanks, clear) when and by whom the clinic was deactivated."""
    row.deactivated_at, row.deactivated_by_label, row.deactivated_by_name = at, label, name
    row.save(
        update_fields=[
            "deactivated_at",
            "deactivated_by_label",
            "deactivated_by_name",
            "updated_at",
        ]
    )


def clinic_deactivate(
    *, clinic: Clinic, actor: Actor, confirm_name: str, request=None, now=None
) -> Clinic:
    """Deactivate `clinic` (an owner; `confirm_name` must be its name): see the module's
    docstring for what stops. Its people are told by e-mail; the security log records it.
    A clinic already deactivated: `Conflict`, nothing changed."""
    clinic_owner_check(actor=actor, clinic=clinic)
    now = now or timezone.now()
    with transaction.atomic():
        row = Clinic.objects.select_for_update().get(pk=clinic.pk)
        if row.deactivated_at is not None:
            raise Conflict(
                f"{row.name} is already deactivated (since {deactivated_on(row)}).",
                code="already_deactivated",
            )
        _name_check(row, confirm_name)
        _deactivated_set(row, now, actor.label, actor.name)
        clinic_event_record(
            SecurityEventCode.CLINIC_DEACTIVATED, clinic=row, actor=actor, request=request
        )
        brand = brand_name(row.agency)  # the name its people know the agency by
        people_notify(
            users=clinic_people(row),
            clinic=row,
            kind="clinic",
            ref=f"clinic-paused:{now:%Y%m%d%H%M%S}",
            title=f"{brand} has paused the {row.name} portal",
            url="/",
            detail=(
                f"{brand} has paused the portal of {row.name}: you cannot open it until "
                f"they reopen it, and its reviews are no longer watched. Its data is kept "
                f"for {REACTIVATE_DAYS} days, then it may be deleted: ask {brand} for a copy "
                "(a data export) before then, or if this is unexpected "
                f"({row.agency.support_email or 'your contact there'})."
            ),
            waits=False,
        )
        figures_changed(clinic_id=row.pk)
    return row


def clinic_reactivate(*, clinic: Clinic, actor: Actor, request=None, now=None) -> Clinic:
    """Undo `clinic_deactivate` within REACTIVATE_DAYS: sweeps, tasks, the portal and the API
    keys work again. An active clinic, or one past the window: `Conflict`, nothing changed."""
    clinic_owner_check(actor=actor, clinic=clinic)
    now = now or timezone.now()
    with transaction.atomic():
        row = Clinic.objects.select_for_update().get(pk=clinic.pk)
        if row.deactivated_at is None:
            raise Conflict(f"{row.name} is active.", code="not_deactivated")
        if now > reactivate_until(row):
            raise Conflict(
                f"{row.name} was deactivated more than {REACTIVATE_DAYS} days ago "
                f"({deactivated_on(row)}): it can be exported or deleted, "
                "not reactivated.",
                code="reactivation_expired",
            )
        since = row.deactivated_at
        _deactivated_set(row, None, "", "")
        clinic_event_record(
            SecurityEventCode.CLINIC_REACTIVATED,
            clinic=row,
            actor=actor,
            request=request,
            deactivated_at=since.isoformat(),
        )
        people_notify(
            users=clinic_people(row),
            clinic=row,
            kind="clinic",
            ref=f"clinic-resumed:{now:%Y%m%d%H%M%S}",
            title=f"The {row.name} portal is open again",
            url=f"/clinics/{row.slug}/",
            detail=f"{brand_name(row.agency)} has reopened the portal of {row.name}.",
            waits=False,
        )
        figures_changed(clinic_id=row.pk)
    return row


def clinic_delete(
    *, clinic: Clinic, actor: Actor, confirm_name: str, confirmed: bool, request=None
) -> dict:
    """Delete a deactivated clinic for good: its schema (reviews, replies, incidents, facts,
    everything in it) and its public rows (memberships, domains, API keys, notifications,
    on-call list, chat webhooks, dashboard snapshot; each a cascade of the clinic row). Needs
    `confirm_name` (its name) and `confirmed` (the second confirmation). The security log
    keeps a line with its id, name and slug. An active clinic: `Conflict`, nothing changed.
    Not undoable except from a backup (`backup_clinic`, docs/operations.md)."""
    clinic_owner_check(actor=actor, clinic=clinic)
    connection.set_schema_to_public()
    with transaction.atomic():
        row = Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
        if row is None:
            raise Conflict("This clinic was already deleted.", code="already_deleted")
        if row.deactivated_at is None:
            raise Conflict(
                f"{row.name} is active: deactivate it first, then delete it.",
                code="not_deactivated",
            )
        _name_check(row, confirm_name)
        if not confirmed:
            raise ValidationFailed(
                "Confirm that the clinic and all its data are deleted for good.",
                code="not_confirmed",
                fields={"confirm": ["Tick the box: this cannot be undone."]},
            )
        told = _deleted_notices(row, actor)
        _invitations_close(row)
        removed = {
            "memberships": ClinicMembership.objects.filter(clinic=row).count(),
            "api_keys": ApiKey.objects.filter(clinic=row).count(),
            "notifications": Notification.objects.filter(clinic=row).count(),
        }
        clinic_event_record(
            SecurityEventCode.CLINIC_DELETED,
            clinic=row,
            actor=actor,
            request=request,
            schema=row.schema_name,
            deactivated_at=row.deactivated_at.isoformat(),
            **removed,
        )
        # The cascades, named so that a new table pointing at a clinic is a conscious choice.
        Notification.objects.filter(clinic=row).delete()
        OnCall.objects.filter(clinic=row).delete()
        ChatWebhook.objects.filter(clinic=row).delete()
        ApiKey.objects.filter(clinic=row).delete()
        ClinicMembership.objects.filter(clinic=row).delete()
        Domain.objects.filter(tenant=row).delete()
        schema = row.schema_name
        Clinic.objects.filter(pk=row.pk).delete()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(schema)} CASCADE")
        transaction.on_commit(lambda: mails_send_quietly(told, what="clinic deleted"))
    return {"clinic": clinic.slug, "schema": schema, "told": len(told), **removed}


def _deleted_notices(clinic: Clinic, actor: Actor) -> list[Mail]:
    """The e-mails that say `clinic` was deleted (read before its rows go): to its own people
    (the portal they last heard was paused is gone for good) and to the agency's staff who
    reached it, the acting owner aside; a staff member who reached only this clinic is told
    they now reach none. There is no in-app message: a notification belongs to a clinic, and
    this one is gone."""
    agency = clinic.agency
    brand = brand_name(agency)
    support = f" ({agency.support_email})" if agency.support_email else ""
    mails = []
    for user in clinic_people(clinic):
        elsewhere = ClinicMembership.objects.filter(user=user).exclude(clinic=clinic).exists()
        lines = [
            f"{brand} has closed the {clinic.name} portal for good: the clinic and all its "
            "data were deleted, and it will not come back.",
            "",
            "Your other clinics are as they were."
            if elsewhere
            else "Your account no longer opens any clinic.",
            "",
            f"If this is unexpected, ask {brand}{support}.",
        ]
        if not user.has_usable_password():
            lines[2:2] = [
                f"The invitation you were sent to {clinic.name} was withdrawn: its link no "
                "longer works.",
                "",
            ]
        mails.append(_mail(agency, user, f"The {clinic.name} portal is closed", lines, brand))
    limited = set(
        StaffClinic.objects.filter(clinic=clinic, membership__all_clinics=False).values_list(
            "membership_id", flat=True
        )
    )
    sent = invitations_pending_by_sender(clinic)
    for membership in staff_reaching(clinic).select_related("user").filter(user__is_active=True):
        user = membership.user
        if user.pk == getattr(actor.user, "pk", None):
            continue
        lines = [
            f"{actor.name or 'An owner'} deleted the clinic {clinic.name} and all its data. "
            "It can be restored only from a backup.",
        ]
        if invited := sent.get(user.pk):
            lines += [
                "",
                f"Your invitation{'s' if len(invited) != 1 else ''} to {clinic.name} that "
                f"{'were' if len(invited) != 1 else 'was'} never accepted "
                f"{'were' if len(invited) != 1 else 'was'} withdrawn: "
                + ", ".join(_person(u) for u in invited)
                + ". Their links no longer work; each person was told the portal is closed.",
            ]
        if membership.pk in limited:
            others = (
                StaffClinic.objects.filter(membership=membership).exclude(clinic=clinic).count()
            )
            lines += [
                "",
                f"You still work on {others} other clinic{'s' if others != 1 else ''}."
                if others
                else "It was the only clinic you worked on: you now reach no clinic until an "
                "owner or manager gives you another on the agency's people page.",
            ]
        mails.append(_mail(agency, user, f"{clinic.name} was deleted", lines, agency.name))
    return mails


def _person(user: User) -> str:
    return f"{user.full_name} ({user.email})" if user.full_name else user.email


def invitations_pending(clinic: Clinic) -> list[User]:
    """The people invited to `clinic` who never chose a password (their invitation is open),
    by name: deleting the clinic withdraws their invitations."""
    return [
        m.user
        for m in ClinicMembership.objects.filter(clinic=clinic)
        .select_related("user")
        .order_by("user__full_name", "user__email")
        if not m.user.has_usable_password()
    ]


def invitations_pending_by_sender(clinic: Clinic) -> dict[int, list[User]]:
    """user id of who sent each open invitation to `clinic` (whoever added the person, as the
    security log says) → the people they invited. An invitation nobody sent in person (a
    seed, a command) is in nobody's list."""
    pending = invitations_pending(clinic)
    added = dict(
        SecurityEvent.objects.filter(
            event=SecurityEventCode.MEMBER_ADDED,
            clinic_id=clinic.pk,
            target_user_id__in=[u.pk for u in pending],
            actor_id__isnull=False,
        )
        .order_by("target_user_id", "created_at", "id")
        .values_list("target_user_id", "actor_id")
    )  # the latest addition of each person wins
    by_sender: dict[int, list[User]] = {}
    for user in pending:
        if (sender := added.get(user.pk)) is not None:
            by_sender.setdefault(sender, []).append(user)
    return by_sender


def _invitations_close(clinic: Clinic) -> None:
    """The invitations to `clinic` nobody accepted stop working: a person who never chose a
    password and has no other clinic or agency gets a new unusable password (a new random
    marker), which is what makes an invitation link invalid (`agency.services.
    user_invite_send`); the link's page then says the invitation was withdrawn
    (`accounts.services.invitation_withdraw`)."""
    for user in invitations_pending(clinic):
        if ClinicMembership.objects.filter(user=user).exclude(clinic=clinic).exists():
            continue
        if AgencyMembership.objects.filter(user=user).exists():
            continue
        invitation_withdraw(user=user, agency_id=clinic.agency_id, place=clinic.name)


def _mail(agency, user, subject: str, lines: list[str], signed: str) -> Mail:
    return Mail(
        subject=subject[:250],
        body="\n".join([f"Hello {user.full_name or user.email},", "", *lines, "", signed]),
        from_email=brand_sender(agency),
        to=[user.email],
        reply_to=[agency.support_email] if agency.support_email else None,
    )
