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
from accounts.models import ApiKey, SecurityEventCode
from agency.models import AgencyMembership, AgencyRole
from clinics.models import (
    ChatWebhook,
    Clinic,
    ClinicMembership,
    Domain,
    Notification,
    OnCall,
)
from clinics.notifications import people_notify
from clinics.selectors import clinic_people
from core.errors import Conflict, PermissionDenied, ValidationFailed
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
                f"{row.name} is already deactivated (since {row.deactivated_at:%Y-%m-%d}).",
                code="already_deactivated",
            )
        _name_check(row, confirm_name)
        _deactivated_set(row, now, actor.label, actor.name)
        clinic_event_record(
            SecurityEventCode.CLINIC_DEACTIVATED, clinic=row, actor=actor, request=request
        )
        people_notify(
            users=clinic_people(row),
            clinic=row,
            kind="clinic",
            ref=f"clinic-paused:{now:%Y%m%d%H%M%S}",
            title=f"{row.agency.name} has paused the {row.name} portal",
            url="/start/",
            detail=(
                f"{row.agency.name} has paused the portal of {row.name}: you cannot sign in "
                "to it, and its reviews are no longer watched. Ask the agency "
                f"({row.agency.support_email or row.agency.name}) if this is unexpected."
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
                f"({row.deactivated_at:%Y-%m-%d}): it can be exported or deleted, "
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
            detail=f"{row.agency.name} has reopened the portal of {row.name}.",
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
    return {"clinic": clinic.slug, "schema": schema, **removed}
