"""Private follow-ups on the incident timeline. responses owns the follow-up; when one
changes it tells crisis through `core.pipeline.followup_changed`, and this copies the new
steps (from responses' audit trail, read through its selectors) onto the timeline of every
incident that holds the review. Steps carry no message text: the timeline is shown to the
clinic and goes into the post-crisis review."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.actors import Actor
from crisis.models import ACTIVE_STATUSES, EventKind, Incident, IncidentEvent
from crisis.services.common import event_add
from responses.models import FollowUpOutcome, PrivateChannel
from responses.selectors import followup_get, followup_ids_for_reviews, followup_steps

RECENT = timedelta(days=7)


def _message(action: str, channel: str, entry, review_id: int) -> str:
    where = PrivateChannel(channel).label if channel in PrivateChannel.values else channel
    detail = entry.detail or {}
    outcome = detail.get("outcome") or ""
    outcome_label = FollowUpOutcome(outcome).label if outcome in FollowUpOutcome.values else ""
    return {
        "opened": f"Private follow-up of mention #{review_id} started ({where})"
        + (f", owner {detail['owner']}" if detail.get("owner") else ""),
        "invitation_sent": f"Follow-up invitation sent to the author of mention #{review_id} "
        f"({where})",
        "message_sent": f"Follow-up message sent on mention #{review_id} ({where})",
        "send_failed": f"Follow-up invitation on mention #{review_id} failed: {entry.comment}",
        "answered": f"The author of mention #{review_id} answered the private follow-up",
        "answer_noted": f"The author of mention #{review_id} answered (noted by staff)",
        "resolved": f"Private follow-up of mention #{review_id} resolved"
        + (f": {outcome_label}" if outcome_label else ""),
        "no_response": f"Private follow-up of mention #{review_id} closed: no response",
        "overdue": f"Private follow-up of mention #{review_id} is overdue",
        "reopened": f"Private follow-up of mention #{review_id} reopened",
        "redacted": f"Private follow-up of mention #{review_id} "
        + ("closed and " if detail.get("closed") else "")
        + "cleared because of a privacy request",
    }.get(action, f"Private follow-up of mention #{review_id} updated")


def incident_followup_events(*, conversation_id: int) -> int:
    """Copy the follow-up's steps not yet on each incident's timeline that holds its review
    (idempotent: each step once per incident). Returns the events added."""
    conversation = followup_get(conversation_id)
    if conversation is None:
        return 0
    steps = [s for s in followup_steps(conversation_id) if s.action != "noted"]
    added = 0
    incident_ids = list(
        Incident.objects.filter(links__review_id=conversation.review_id).values_list(
            "pk", flat=True
        )
    )
    for incident_id in incident_ids:
        with transaction.atomic():
            incident = Incident.objects.select_for_update().get(pk=incident_id)
            seen = set(
                IncidentEvent.objects.filter(
                    incident=incident, kind=EventKind.FOLLOW_UP,
                    data__conversation_id=conversation_id,
                ).values_list("data__audit_id", flat=True)
            )  # fmt: skip
            for step in steps:
                if step.pk in seen:
                    continue
                event_add(
                    incident=incident,
                    kind=EventKind.FOLLOW_UP,
                    message=_message(
                        step.action, conversation.channel, step, conversation.review_id
                    ),
                    actor=Actor.of_system("followup", step.actor_name or step.actor_label),
                    data={
                        "audit_id": step.pk,
                        "conversation_id": conversation_id,
                        "review_id": conversation.review_id,
                        "action": step.action,
                        "status": step.to_status,
                    },
                    at=step.created_at,
                )
                added += 1
    return added


def incident_followup_events_sweep(*, now=None) -> int:
    """The current clinic's running (or lately resolved) incidents get the follow-up steps
    a lost message left off their timelines."""
    now = now or timezone.now()
    incidents = Incident.objects.filter(
        Q(status__in=ACTIVE_STATUSES) | Q(resolved_at__gte=now - RECENT)
    )
    review_ids = list(
        incidents.values_list("links__review_id", flat=True).exclude(links__review_id=None)
    )
    return sum(
        incident_followup_events(conversation_id=pk)
        for pk in followup_ids_for_reviews(sorted(set(review_ids)))
    )
