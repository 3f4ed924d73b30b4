"""Pages of private follow-ups: what the reply editor's section shows of them (the incident
room links to it), the clinic's list of follow-ups, and one follow-up's page (its thread;
write again, note a call, set the owner, due date, status and outcome). Starting one from the
editor: `responses.views_followup_start`; recording the person's consent to be contacted:
`responses.views_consent`."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.utils import timezone
from django.views.generic.base import TemplateResponseMixin
from rest_framework.exceptions import ValidationError

from clinics.models import clinic_zone
from core.api import query_params_validated
from core.errors import DomainError, ValidationFailed
from core.http import int_param, positive_int
from core.permissions import Permission
from core.views import ClinicView
from responses.apis.serializers import FollowUpShowSerializer
from responses.models import (
    OPEN_STATUSES,
    PERSON_OUTCOMES,
    SENDING_CHANNELS,
    ConversationStatus,
    MessageStatus,
    PrivateChannel,
)
from responses.selectors import (
    contact_consents_for,
    followup_counts,
    followup_get,
    followups_shown,
    private_conversations_list,
)
from responses.services.private import (
    UNSET,
    followup_channels,
    followup_message_add,
    followup_message_retry,
    followup_note_add,
    followup_owners,
    followup_update,
    invitation_text,
    messenger_window_open,
)

DUE_FORMAT = "%Y-%m-%dT%H:%M"


# The forms' fields as their labels say them (a field name such as "due_at" reads as a code).
FIELD_WORDS = {
    "due_at": "Due", "owner_id": "Owner", "channel": "Channel", "text": "Message",
    "notes": "Notes", "status": "Status", "outcome": "Outcome", "outcome_note": "How it ended",
    "consent": "Consent", "message_id": "Message",
}  # fmt: skip


def _error(request, exc: DomainError) -> None:
    details = [exc.detail]
    for field, errors in (exc.fields or {}).items():
        if field == "proposal":
            continue
        label = FIELD_WORDS.get(field)
        for error in errors if isinstance(errors, list | tuple) else [errors]:
            details.append(f"{label}: {error}" if label else str(error))
    messages.error(request, " ".join(str(d) for d in details))


def due_parse(value: str, clinic) -> datetime | None:
    """A `datetime-local` field's value, in the clinic's time zone; blank → None."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        naive = datetime.strptime(value[:16], DUE_FORMAT)
    except ValueError:
        raise ValidationFailed(
            "Invalid due date.", fields={"due_at": ["A date and time, e.g. 2026-12-04 17:00."]}
        ) from None
    return timezone.make_aware(naive, clinic_zone(clinic))


def due_value(at: datetime | None, clinic) -> str:
    return timezone.localtime(at, clinic_zone(clinic)).strftime(DUE_FORMAT) if at else ""


def owner_id_read(request) -> int | None:
    """The forms' owner field: blank → None (the service's default); anything but a person's
    id is refused on the field."""
    raw = request.POST.get("owner_id", "")
    if raw == "":
        return None
    owner = positive_int(raw)
    if owner is None:
        raise ValidationFailed("Invalid owner.", fields={"owner_id": ["Choose a person."]})
    return owner


def followup_section(*, review, clinic, access) -> dict:
    """What the reply editor shows of a review's follow-ups (its "Private follow-up" card)."""
    options = followup_channels(review)
    can_write = access.can(Permission.WRITE)
    me = access.actor.user.pk if access.actor.user is not None else None
    default_due = timezone.now() + timedelta(hours=48)
    owners = followup_owners(clinic) if can_write else []
    return {
        "conversations": list(private_conversations_list(review_id=review.pk)),
        "open_followup": next(
            (c for c in private_conversations_list(review_id=review.pk, open_only=True)), None
        ),
        "channel_options": options,
        "any_private": any(o.available and o.channel in SENDING_CHANNELS for o in options),
        "invitations": [
            {
                "channel": o.channel,
                "label": o.label,
                "text": invitation_text(channel=o.channel, clinic=clinic, review=review),
            }
            for o in options
            if o.available
        ],  # fmt: skip
        "owners": owners,
        "me": me,
        # the person is on the list, selected and marked "(you)": no second "You" entry
        "me_is_owner": any(pk == me for pk, _ in owners),
        "default_due": due_value(default_due, clinic),
        "consents": list(contact_consents_for(review.pk)),
        "manual_channels": [
            (c.value, c.label)
            for c in (PrivateChannel.PHONE, PrivateChannel.MESSAGE, PrivateChannel.OTHER)
        ],
    }


class FollowUpListView(TemplateResponseMixin, ClinicView):
    """The clinic's follow-ups: open ones first (overdue marked), then closed ones."""

    template_name = "responses/followups.html"
    portal_path = "portal/follow-ups/"

    def get(self, request, *args, **kwargs):
        # a view it cannot read (or an unknown parameter) is named, and nothing is listed
        try:
            filters = query_params_validated(FollowUpShowSerializer, request.GET, also=())
        except ValidationError as exc:
            filters, errors = None, dict(exc.detail)
        else:
            errors = {}
        show = filters.get("show", "open") if filters is not None else None
        me = self.access.actor.user.pk if self.access.actor.user is not None else None
        conversations = list(followups_shown(show=show, user_id=me)[:300]) if show else []
        return self.render_to_response(
            {
                "clinic": self.clinic,
                "conversations": conversations,
                "show": show,
                "filter_errors": errors,
                "counts": followup_counts(),
                "now": timezone.now(),
                "tz": clinic_zone(self.clinic),
            },
            status=400 if errors else 200,
        )


class FollowUpDetailView(TemplateResponseMixin, ClinicView):
    """One follow-up: the thread, and (for those who write) write again, note a call, set the
    owner, due date, status and outcome, retry a failed send."""

    template_name = "responses/followup.html"
    portal_path = "portal/follow-ups/"

    def _conversation(self, conversation_id: int):
        conversation = followup_get(conversation_id)
        if conversation is None:
            raise Http404("No such follow-up.")
        return conversation

    def get(self, request, conversation_id: int, *args, **kwargs):
        conversation = self._conversation(conversation_id)
        can_write = self.access.can(Permission.WRITE)
        thread = list(conversation.messages.all())
        return self.render_to_response(
            {
                "clinic": self.clinic,
                "c": conversation,
                "thread": thread,
                "review": conversation.review,
                "is_open": conversation.status in OPEN_STATUSES,
                "overdue": conversation.is_overdue(),
                "can_write": can_write,
                "can_send": can_write
                and conversation.channel in SENDING_CHANNELS
                and conversation.status in OPEN_STATUSES
                and (conversation.channel != PrivateChannel.FACEBOOK or messenger_window_open(conversation)),
                "awaiting_facebook": conversation.channel == PrivateChannel.FACEBOOK
                and not messenger_window_open(conversation),
                "owners": followup_owners(self.clinic) if can_write else [],
                "statuses": ConversationStatus.choices,
                "outcomes": [(v, label) for v, label in PERSON_OUTCOMES if v],
                "due": due_value(conversation.due_at, self.clinic),
                "failed": MessageStatus.FAILED,
                "tz": clinic_zone(self.clinic),
            }
        )  # fmt: skip

    def post(self, request, conversation_id: int, *args, **kwargs):
        conversation = self._conversation(conversation_id)
        here = f"/clinics/{self.clinic.slug}/follow-ups/{conversation.pk}/"
        action = request.POST.get("action", "")
        message_id = int_param(request.POST, "message_id") if action == "retry" else None
        try:
            if action == "send":
                message = followup_message_add(
                    conversation_id=conversation.pk,
                    access=self.access,
                    text=request.POST.get("text", ""),
                )
                if message.status == MessageStatus.SENT:
                    messages.success(request, "Message sent.")
                else:
                    messages.error(request, f"Not sent: {message.error}")
            elif action == "note":
                followup_note_add(
                    conversation_id=conversation.pk,
                    access=self.access,
                    text=request.POST.get("text", ""),
                    from_person=request.POST.get("from_person") == "on",
                )
                messages.success(request, "Note added.")
            elif action == "retry":
                message = followup_message_retry(
                    conversation_id=conversation.pk,
                    message_id=message_id or 0,
                    access=self.access,
                )
                if message.status == MessageStatus.SENT:
                    messages.success(request, "Sent.")
                else:
                    messages.error(request, f"Not sent: {message.error}")
            elif action == "update":
                outcome = request.POST.get("outcome", "")
                status = request.POST.get("status") or None
                if status == conversation.status:
                    status = None
                owner = owner_id_read(request)
                followup_update(
                    conversation_id=conversation.pk,
                    access=self.access,
                    owner_id=owner if owner != conversation.owner_id else UNSET,
                    due_at=(
                        due_parse(request.POST.get("due_at", ""), self.clinic)
                        if request.POST.get("due_at", "") != due_value(conversation.due_at, self.clinic)
                        else UNSET
                    ),
                    status=status,
                    outcome=outcome if outcome != conversation.outcome else None,
                    outcome_note=request.POST.get("outcome_note"),
                )  # fmt: skip
                messages.success(request, "Follow-up saved.")
            else:
                messages.error(request, "Unknown action.")
        except DomainError as exc:
            _error(request, exc)
        return HttpResponseRedirect(here)
