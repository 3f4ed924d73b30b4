"""What every responses service shares: who acted, the audit trail, permission checks,
webhook events, the clinic of the current schema, and a review as notices name it."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from accounts.actors import Actor
from clinics.access import ClinicAccess
from core.errors import DomainError, PermissionDenied
from core.permissions import Permission
from core.text import possessive
from feeds.models import Review
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
        raise PermissionDenied(access.refusal(permission))


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


def _first_name_initial(name: str) -> str:
    """ "Harper Morales" → "Harper M.": the reviewer as the clinic knows them, no more. A last
    word that is no name ("Reviewer 1", "Guest 42") is kept whole: "1." is not an initial."""
    words = [w.strip(",.") for w in (name or "").split() if w.strip(",.")]
    if not words:
        return ""
    first = words[0][:1].upper() + words[0][1:]
    if len(words) == 1:
        return first
    last = words[-1]
    return f"{first} {last[:1].upper()}." if last[:1].isalpha() else f"{first} {last}"


def review_named(review: Review, *, tz) -> str:
    """A review as the clinic's people know it, for notices and e-mails: "Harper M.'s 1★
    Facebook review of 4 Dec 2026" (the reviewer's first name and initial, the stars, the
    platform, the day in the clinic's zone); never its words, an id or anything of a patient."""
    platform = review.source.get_kind_display()
    what = (
        f"{review.rating}★ {platform} review"
        if review.rating
        else f"{platform} {review.get_kind_display().lower()}"
    )
    day = timezone.localtime(review.published_at, tz)
    name = _first_name_initial(review.author_name)
    return (
        f"{possessive(name)} {what} of {day.day} {day:%b %Y}"
        if name
        else f"a {what} of {day.day} {day:%b %Y}"
    )
