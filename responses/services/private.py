"""Private follow-up: a complaint moved off the public page. The public reply only invites
contact (the "move to private" template); what is said privately is noted here, internally."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.actors import Actor
from clinics.access import ClinicAccess
from core.errors import NotFound, ValidationFailed
from core.permissions import Permission
from feeds.models import Review
from responses.models import ConversationStatus, PrivateChannel, PrivateConversation
from responses.services.common import audit_record, require

MAX_NOTES = 10_000


def _audit(conversation: PrivateConversation, action: str, who: Actor, before: str = "") -> None:
    audit_record(
        object_type="private_conversation",
        object_id=conversation.pk,
        review_id=conversation.review_id,
        action=action,
        who=who,
        from_status=before,
        to_status=conversation.status,
        detail={"channel": conversation.channel},
    )


def _notes(notes: str | None) -> str:
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES:
        raise ValidationFailed("Notes too long.", fields={"notes": [f"At most {MAX_NOTES}."]})
    return notes


@transaction.atomic
def private_conversation_open(
    *, review_id: int, access: ClinicAccess, channel: str, notes: str = ""
) -> PrivateConversation:
    require(access, Permission.WRITE)
    who = access.actor
    if channel not in PrivateChannel.values:
        raise ValidationFailed(
            "Unknown channel.", fields={"channel": [f"Choose {', '.join(PrivateChannel.values)}."]}
        )
    review = Review.objects.filter(pk=review_id).first()
    if review is None:
        raise NotFound("No such review.")
    conversation = PrivateConversation.objects.create(
        review=review,
        channel=channel,
        notes=_notes(notes),
        opened_by_label=who.label,
        opened_by_name=who.name[:200],
    )
    _audit(conversation, "opened", who)
    return conversation


@transaction.atomic
def private_conversation_update(
    *,
    conversation_id: int,
    access: ClinicAccess,
    status: str | None = None,
    notes: str | None = None,
    channel: str | None = None,
) -> PrivateConversation:
    require(access, Permission.WRITE)
    who = access.actor
    conversation = (
        PrivateConversation.objects.select_for_update().filter(pk=conversation_id).first()
    )
    if conversation is None:
        raise NotFound("Not found.")
    before = conversation.status
    if status is not None:
        if status not in ConversationStatus.values:
            raise ValidationFailed("Unknown status.", fields={"status": ["open or closed."]})
        conversation.status = status
        conversation.closed_at = timezone.now() if status == ConversationStatus.CLOSED else None
    if channel is not None:
        if channel not in PrivateChannel.values:
            raise ValidationFailed("Unknown channel.", fields={"channel": ["Unknown."]})
        conversation.channel = channel
    if notes is not None:
        conversation.notes = _notes(notes)
    conversation.save()
    action = "closed" if before != conversation.status and status == "closed" else "updated"
    _audit(conversation, action, who, before=before)
    return conversation
