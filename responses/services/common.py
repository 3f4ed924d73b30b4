"""What every responses service shares: who acted, the audit trail, permission checks,
webhook events and the clinic of the current schema."""

from __future__ import annotations

import logging

from django.db import transaction

from accounts.actors import Actor
from clinics.access import ClinicAccess
from core.errors import DomainError, PermissionDenied
from core.permissions import Permission
from responses.models import AuditEntry
from webhooks.services import webhook_event_emit

logger = logging.getLogger("responses")


class GuardBlocked(DomainError):
    """The guard blocks the text and no legal override covers this version."""

    status_code = 422
    code = "guard_blocked"


SYSTEM = Actor.of_system("outbox", "Publishing")


def require(access: ClinicAccess, permission: Permission) -> None:
    if not access.can(permission):
        raise PermissionDenied(
            f"Your role in this clinic does not allow this ({permission.value})."
        )


def audit_record(
    *,
    object_type: str,
    object_id: int,
    action: str,
    who: Actor,
    review_id: int | None = None,
    version: int | None = None,
    from_status: str = "",
    to_status: str = "",
    comment: str = "",
    detail: dict | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        object_type=object_type,
        object_id=object_id,
        review_id=review_id,
        action=action,
        actor_label=who.label,
        actor_name=who.name[:200],
        version=version,
        from_status=from_status,
        to_status=to_status,
        comment=comment,
        detail=detail or {},
    )


def webhook_emit(event: str, payload: dict) -> None:
    """`webhooks.services.webhook_event_emit` in a savepoint: a webhook problem is logged and
    never undoes the change that caused it."""
    try:
        with transaction.atomic():
            webhook_event_emit(event=event, payload=payload)
    except Exception:  # noqa: BLE001 - logged; the reply or statement itself stands
        logger.exception("webhook event %s could not be recorded", event)
