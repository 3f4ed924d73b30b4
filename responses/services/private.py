"""Private follow-up that reaches the person.

A follow-up starts from a review. Where a private channel reaches its author - a Facebook
comment's private reply (Messenger), or an e-mail address or mobile number the person agreed
to be contacted at (`ContactConsent`: who recorded it, when, how) - Carewatch sends an
invitation from a template, which the guard checks first: a blocked text is never stored as
sent and never leaves. Where none does, the answer is a 400 that says why and proposes the
public "please contact us" reply, which is an ordinary reply draft through the normal
approval chain (channel `public_reply`).

The follow-up is tracked: an owner, a due date, a status (started → invited → replied →
resolved / no response), an outcome, and a thread of messages both ways. The person's answers
arrive through the platforms' signed webhooks (`followup_inbound_*`); the owner is told (in
the app and by e-mail, `clinics.notifications`) when the person answers and when a follow-up
passes its due date (`followups_sweep`, beat). The review's status follows: in follow-up while
it is open, resolved when it is. Every step is audited and reported to crisis (an incident
that holds the review shows it on its timeline) through `core.pipeline.followup_changed`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.naming import people_names
from clinics.access import ClinicAccess, people_who_can
from clinics.models import Clinic, ClinicMembership, clinic_zone
from core.errors import Conflict, NotFound, ValidationFailed
from core.permissions import Permission
from core.pipeline import followup_changed
from core.rollup import figures_changed
from core.tenancy import current_clinic
from core.text import markup_problem
from feeds.models import ItemKind, Review, ReviewStatus, Source, SourceKind
from feeds.services import source_credentials
from responses.models import (
    OPEN_STATUSES,
    PERSON_OUTCOMES,
    SENDING_CHANNELS,
    ApprovalStatus,
    ContactConsent,
    ConversationStatus,
    FollowUpMessage,
    FollowUpOutcome,
    MessageDirection,
    MessageStatus,
    PrivateChannel,
    PrivateConversation,
    ReplyDraft,
    Verdict,
)
from responses.services import messaging
from responses.services.common import SYSTEM, audit_record, require
from responses.services.followup_notices import followup_notices_close, followup_owner_tell
from responses.services.guarding import guard_check, guard_refusal
from responses.services.settling import reviews_settled_close
from responses.services.templating import placeholders_left, text_render

logger = logging.getLogger("responses.followup")

MAX_NOTES = 10_000
MAX_TEXT = {"facebook": 2000, "sms": 1000, "email": 10_000}
# what `markup_problem` says of a follow-up's message: every channel sends it as plain text
MESSAGES_SENT = "Messages are sent"
MAX_DUE = timedelta(days=90)
FACEBOOK_PRIVATE_REPLY_WINDOW = timedelta(days=7)
STALE_SENDING = timedelta(minutes=5)
CS = ConversationStatus
CH = PrivateChannel

# The invitations (channel → text). Each invites the person to answer and never names them,
# their visit or their health: the guard checks the rendered text before it leaves.
INVITATIONS: dict[str, str] = {
    CH.FACEBOOK: (
        "Hello, this is the team at {clinic_name}. Thank you for your comment. We would like "
        "to understand what happened and help. Could you reply here with the best time to "
        "reach you? You can also contact us at {contact_line}."
    ),
    CH.EMAIL: (
        "Hello,\n\nThis is the team at {clinic_name}, following up on your feedback as you "
        "agreed. We would like to understand what happened and help. Please reply to this "
        "e-mail with a good time to talk, or contact us at {contact_line}.\n\nThank you,\n"
        "The team at {clinic_name}"
    ),
    CH.SMS: (
        "{clinic_name}: thank you for your feedback. We would like to help. Reply here with a "
        "good time to talk, or contact us at {contact_line}. Reply STOP to opt out."
    ),
}
PUBLIC_REPLY_TEMPLATE = "move-private"


# --- what can reach this person ----------------------------------------------------------


@dataclass(frozen=True)
class ChannelOption:
    channel: str
    label: str
    available: bool
    detail: str  # where it goes when available, why not otherwise


def _mask(address: str) -> str:
    if "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    return f"{address[:3]}***{address[-2:]}"


def consent_active(review_id: int, channel: str) -> ContactConsent | None:
    return (
        ContactConsent.objects.filter(review_id=review_id, channel=channel, revoked_at=None)
        .order_by("-recorded_at", "-id")
        .first()
    )


def _facebook_option(review: Review, now: datetime) -> ChannelOption:
    label = CH.FACEBOOK.label
    source = review.source
    if source.kind != SourceKind.FACEBOOK:
        platform = source.get_kind_display()
        why = (
            "Google Business Profile has no way to message a reviewer privately"
            if source.kind == SourceKind.GOOGLE
            else f"{platform} offers no private message that Carewatch can send"
        )
        return ChannelOption(CH.FACEBOOK, label, False, why + ".")
    if review.kind != ItemKind.COMMENT:
        return ChannelOption(
            CH.FACEBOOK,
            label,
            False,
            "Facebook allows a private reply to a comment only; this is a "
            f"{review.get_kind_display().lower()}.",
        )
    if not source.enabled or not source_credentials(source).get("access_token"):
        return ChannelOption(
            CH.FACEBOOK, label, False, "The Facebook page is not connected (no page token)."
        )
    if review.published_at < now - FACEBOOK_PRIVATE_REPLY_WINDOW:
        return ChannelOption(
            CH.FACEBOOK,
            label,
            False,
            "Facebook allows a private reply only within 7 days of the comment.",
        )
    return ChannelOption(
        CH.FACEBOOK,
        label,
        True,
        "A Messenger message to the author of this comment (one private reply per comment).",
    )


def _consent_option(review: Review, channel: str) -> ChannelOption:
    label = PrivateChannel(channel).label
    consent = consent_active(review.pk, channel)
    if consent is None:
        what = "e-mail address" if channel == CH.EMAIL else "mobile number"
        return ChannelOption(
            channel,
            label,
            False,
            f"No {what} the person agreed to be contacted at: record their consent first.",
        )
    if channel == CH.SMS and not messaging.sms_configured():
        return ChannelOption(
            channel, label, False, "Text messages are not set up on this server (Twilio)."
        )
    when = timezone.localtime(consent.recorded_at).strftime("%Y-%m-%d")
    return ChannelOption(
        channel,
        label,
        True,
        f"To {_mask(consent.address)} (consent recorded by {consent.recorded_by_name} on {when}).",
    )


def followup_channels(review: Review, *, now: datetime | None = None) -> list[ChannelOption]:
    """The private channels that could reach the author of `review`, best first, each with
    where it goes or why it cannot; then the public reply, which is always possible."""
    now = now or timezone.now()
    return [
        _facebook_option(review, now),
        _consent_option(review, CH.EMAIL),
        _consent_option(review, CH.SMS),
        ChannelOption(
            CH.PUBLIC_REPLY,
            CH.PUBLIC_REPLY.label,
            True,
            "A public reply that asks the person to contact the clinic; it goes through the "
            "normal approval chain and never holds patient details.",
        ),
    ]


def invitation_text(*, channel: str, clinic: Clinic, review: Review | None = None) -> str:
    """The invitation of `channel` with the clinic's details filled in (the public reply's is
    the "move to private" template, in the wording that fits `review`'s platform)."""
    if channel == CH.PUBLIC_REPLY:
        from responses.selectors import template_fitting, template_get

        template = template_get(PUBLIC_REPLY_TEMPLATE)
        if template and review is not None:
            return template_fitting(template, review=review, clinic=clinic)[1].text
        body = template["body"] if template else INVITATIONS[CH.FACEBOOK]
    else:
        body = INVITATIONS.get(channel, "")
    return text_render(body, clinic=clinic).text if body else ""


# --- owners and due dates ---------------------------------------------------------------------


def followup_owners(clinic: Clinic) -> list[tuple[int, str]]:
    """(user id, name) of who may own a follow-up: the people who may write in the clinic
    (agency owners, managers, writers) and the clinic's crisis team."""
    people = {u.pk: u for u in people_who_can(clinic, permission=Permission.WRITE)}
    team = ClinicMembership.objects.filter(clinic=clinic, user__is_active=True).exclude(
        crisis_roles=[]
    )
    for m in team.select_related("user"):
        people.setdefault(m.user_id, m.user)
    named = people_names(people.values())
    return sorted(named.items(), key=lambda p: p[1].lower())


def _owner(clinic: Clinic, owner_id: int | None) -> tuple[int, str]:
    names = dict(followup_owners(clinic))
    if owner_id not in names:
        raise ValidationFailed(
            "This person cannot own a follow-up of this clinic.",
            fields={"owner_id": ["Choose one of the clinic's or the agency's people who write."]},
        )
    return owner_id, names[owner_id]


def _due(due_at: datetime | None, now: datetime) -> datetime:
    if due_at is None:
        return now + timedelta(hours=settings.FOLLOWUP_DEFAULT_DUE_HOURS)
    if timezone.is_naive(due_at):
        raise ValidationFailed(
            "Invalid due date.", fields={"due_at": ["Give a time zone (e.g. 2026-12-04T17:00Z)."]}
        )
    if due_at <= now:
        raise ValidationFailed("Invalid due date.", fields={"due_at": ["Must be in the future."]})
    if due_at > now + MAX_DUE:
        raise ValidationFailed(
            "Invalid due date.", fields={"due_at": ["At most 90 days from now."]}
        )
    return due_at


def _notes(notes: str | None) -> str:
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES:
        raise ValidationFailed("Notes too long.", fields={"notes": [f"At most {MAX_NOTES}."]})
    return notes


# --- the audit trail, the review, crisis -----------------------------------------------------


def _audit(
    conversation: PrivateConversation,
    action: str,
    who: Actor,
    *,
    before: str = "",
    comment: str = "",
    **detail,
) -> None:
    audit_record(
        object_type="private_conversation",
        object_id=conversation.pk,
        review_id=conversation.review_id,
        action=action,
        who=who,
        from_status=before,
        to_status=conversation.status,
        comment=comment,
        detail={"channel": conversation.channel, **detail},
    )
    followup_changed(conversation.pk)


def _review_status(review_id: int, status: str) -> None:
    changed = (
        Review.objects.filter(pk=review_id)
        .exclude(status=status)
        .update(status=status, updated_at=timezone.now())
    )
    if changed:
        figures_changed()


# --- starting one --------------------------------------------------------------------------


def _checked_text(text: str, *, channel: str, clinic: Clinic, review: Review) -> dict:
    """The guard's verdict on an outbound text; a block (or a placeholder left) refuses it."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("Write the message.", fields={"text": ["Required."]})
    limit = MAX_TEXT.get(channel, 10_000)
    if len(text) > limit:
        raise ValidationFailed(
            "Message too long.", fields={"text": [f"At most {limit} characters on this channel."]}
        )
    if left := placeholders_left(text):
        raise ValidationFailed(
            "Fill in the placeholders first.",
            fields={"text": [f"{', '.join(left)} has no value for this clinic."]},
        )
    if problem := markup_problem(text, published=MESSAGES_SENT):
        # a text message, an e-mail and Messenger show the text as it is: "<b>" would be sent
        raise ValidationFailed("The message holds markup.", fields={"text": [problem]})
    result = guard_check(text, clinic=clinic, review=review)
    if result["verdict"] == Verdict.BLOCK:
        raise guard_refusal(result)
    return {"text": text, **result}


def _no_channel(review: Review, options: list[ChannelOption], clinic: Clinic) -> ValidationFailed:
    reasons = [f"{o.label}: {o.detail}" for o in options if o.channel in SENDING_CHANNELS]
    return ValidationFailed(
        "No private channel reaches this person. Propose the public reply that invites them "
        "to contact the clinic instead (channel public_reply); it goes through the normal "
        "approval chain.",
        code="no_private_channel",
        fields={
            "channel": reasons,
            "proposal": [invitation_text(channel=CH.PUBLIC_REPLY, clinic=clinic, review=review)],
        },
    )


def followup_start(
    *,
    review_id: int,
    access: ClinicAccess,
    channel: str | None = None,
    text: str | None = None,
    owner_id: int | None = None,
    due_at: datetime | None = None,
    notes: str = "",
    now: datetime | None = None,
) -> PrivateConversation:
    """Start the follow-up of a review and, on a private channel, send the invitation.

    `channel` None picks the first private channel that reaches the person (Facebook, then a
    consented e-mail, then a consented mobile number); none → 400 `no_private_channel` with
    the public reply as `proposal`. `public_reply` makes a reply draft from the "move to
    private" template for the approval chain. `phone` / `message` / `other`: a conversation
    staff hold themselves, noted here. The owner defaults to the person starting it (when
    they may own it), the due date to FOLLOWUP_DEFAULT_DUE_HOURS from now. The invitation's
    text (the channel's template unless given) must pass the guard: a block is refused (422)
    and nothing is stored. One open follow-up per review (409). Sending happens after the
    rows are committed; a refusal by the platform leaves the message failed with its reason,
    to retry."""
    require(access, Permission.WRITE)
    who = access.actor
    now = now or timezone.now()
    clinic = current_clinic()
    review = Review.objects.select_related("source").filter(pk=review_id).first()
    if review is None or review.is_deleted:
        raise NotFound("No such review in this clinic.")
    existing = PrivateConversation.objects.filter(review=review, status__in=OPEN_STATUSES).first()
    if existing is not None:
        raise Conflict(
            f"This review already has an open follow-up (#{existing.pk}).",
            code="follow_up_open",
        )
    if owner_id is None and who.user is not None:
        owner_id = who.user.pk if who.user.pk in dict(followup_owners(clinic)) else None
    owner = _owner(clinic, owner_id) if owner_id is not None else (None, "")
    due = _due(due_at, now)
    notes = _notes(notes)
    options = {o.channel: o for o in followup_channels(review, now=now)}
    if not channel:
        chosen = next(
            (o for o in options.values() if o.available and o.channel in SENDING_CHANNELS), None
        )
        if chosen is None:
            raise _no_channel(review, list(options.values()), clinic)
        channel = chosen.channel
    if channel not in CH.values:
        raise ValidationFailed(
            "Unknown channel.", fields={"channel": [f"Choose {', '.join(CH.values)}."]}
        )
    option = options.get(channel)
    if option is not None and not option.available:
        others = [
            o.label for o in options.values()
            if o.available and o.channel in SENDING_CHANNELS and o.channel != channel
        ]  # fmt: skip
        if not others:
            raise _no_channel(review, list(options.values()), clinic)
        raise ValidationFailed(
            f"{option.label} cannot reach this person: {option.detail} "
            f"Use {' or '.join(others)} instead.",
            code="channel_unavailable",
            fields={"channel": [option.detail]},
        )
    checked = None
    if channel in SENDING_CHANNELS:
        checked = _checked_text(
            text or invitation_text(channel=channel, clinic=clinic, review=review),
            channel=channel,
            clinic=clinic,
            review=review,
        )
    with transaction.atomic():
        draft = None
        if channel == CH.PUBLIC_REPLY:
            draft = _public_reply_draft(review=review, access=access, text=text, clinic=clinic)
        try:
            with transaction.atomic():
                conversation = PrivateConversation.objects.create(
                    review=review,
                    channel=channel,
                    notes=notes,
                    opened_by_label=who.label,
                    opened_by_name=who.name[:200],
                    owner_id=owner[0],
                    owner_name=owner[1][:200],
                    due_at=due,
                    consent=consent_active(review.pk, channel)
                    if channel in (CH.EMAIL, CH.SMS)
                    else None,
                    reply_draft=draft,
                )
        except IntegrityError:
            raise Conflict(
                "This review already has an open follow-up.", code="follow_up_open"
            ) from None
        message = None
        if checked is not None:
            message = FollowUpMessage.objects.create(
                conversation=conversation,
                direction=MessageDirection.OUT,
                channel=channel,
                status=MessageStatus.PENDING,
                text=checked["text"],
                guard_verdict=checked["verdict"],
                guard_findings=checked["findings"],
                author_label=who.label,
                author_name=who.name[:200],
            )
        _audit(conversation, "opened", who, owner=owner[1], due_at=due.isoformat())
        _review_status(review.pk, ReviewStatus.IN_FOLLOW_UP)
        if owner[0] is not None and (who.user is None or who.user.pk != owner[0]):
            followup_owner_tell(
                conversation,
                clinic,
                kind="follow_up",
                title=_yours_title(conversation, clinic),
            )
    if message is not None:
        followup_message_send(message_id=message.pk)
        conversation.refresh_from_db()
    return conversation


def _public_reply_draft(
    *, review: Review, access: ClinicAccess, text: str | None, clinic: Clinic
) -> ReplyDraft:
    """The public "please contact us" reply, as an ordinary draft (the guard checks it; the
    approval chain publishes it). An open draft of the review is a 409, to finish there."""
    from responses.services.replies import reply_draft_create

    if text:
        return reply_draft_create(
            review_id=review.pk, access=access, text=text, template_key=PUBLIC_REPLY_TEMPLATE
        )
    return reply_draft_create(
        review_id=review.pk, access=access, template_key=PUBLIC_REPLY_TEMPLATE
    )


def _when(at: datetime, clinic: Clinic) -> str:
    return timezone.localtime(at, clinic_zone(clinic)).strftime("%Y-%m-%d %H:%M %Z")


def _yours_title(
    conversation: PrivateConversation, clinic: Clinic, *, now_yours: bool = False
) -> str:
    """What its owner is told when a follow-up becomes theirs (opened for them, or handed to
    them: `now_yours`): its due time, in the clinic's time zone, when it has one, and no
    deadline words when it has none (its due date was cleared)."""
    title = "A private follow-up is now yours" if now_yours else "A private follow-up is yours"
    due = conversation.due_at
    return f"{title}, due {_when(due, clinic)}" if due is not None else title


# --- sending ---------------------------------------------------------------------------------


def _claim(message_id: int, now: datetime) -> FollowUpMessage | None:
    with transaction.atomic():
        message = (
            FollowUpMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, direction=MessageDirection.OUT, status=MessageStatus.PENDING)
            .first()
        )
        if message is None:
            return None
        message.status = MessageStatus.SENDING
        message.attempts += 1
        message.save(update_fields=["status", "attempts"])
    return FollowUpMessage.objects.select_related(
        "conversation", "conversation__review", "conversation__review__source",
        "conversation__consent",
    ).get(pk=message_id)  # fmt: skip


def _deliver(message: FollowUpMessage, clinic: Clinic) -> messaging.Sent:
    conversation = message.conversation
    review = conversation.review
    key = f"followup-message-{message.pk}"
    if message.channel == CH.FACEBOOK:
        source: Source = review.source
        if conversation.recipient_id:
            return messaging.facebook_message(
                source=source, recipient_id=conversation.recipient_id, text=message.text, key=key
            )
        return messaging.facebook_private_reply(
            source=source, comment_id=review.external_id, text=message.text, key=key
        )
    consent = conversation.consent
    if consent is None or consent.revoked_at is not None:
        raise messaging.SendFailed("The person's consent to be contacted is no longer active.")
    if message.channel == CH.EMAIL:
        return messaging.email_send(
            clinic=clinic, conversation_id=conversation.pk, to=consent.address, text=message.text
        )
    if message.channel == CH.SMS:
        return messaging.sms_send(to=consent.address, text=message.text)
    raise messaging.SendFailed(f"Carewatch does not send on {message.get_channel_display()}.")


def followup_message_send(*, message_id: int, now: datetime | None = None) -> str:
    """Send one pending outbound message (claimed under a row lock: sent once however often
    this runs). Returns sent, failed or skipped."""
    now = now or timezone.now()
    message = _claim(message_id, now)
    if message is None:
        return "skipped"
    clinic = current_clinic()
    try:
        sent = _deliver(message, clinic)
    except messaging.SendFailed as exc:
        with transaction.atomic():
            FollowUpMessage.objects.filter(pk=message.pk).update(
                status=MessageStatus.FAILED, error=str(exc)[:2000]
            )
            conversation = PrivateConversation.objects.select_for_update().get(
                pk=message.conversation_id
            )
            _audit(
                conversation, "send_failed", SYSTEM, before=conversation.status, comment=str(exc)
            )
        return "failed"
    with transaction.atomic():
        FollowUpMessage.objects.filter(pk=message.pk).update(
            status=MessageStatus.SENT, external_id=sent.external_id[:255], sent_at=timezone.now(),
            error="",
        )  # fmt: skip
        conversation = PrivateConversation.objects.select_for_update().get(
            pk=message.conversation_id
        )
        before = conversation.status
        fields = ["updated_at"]
        if conversation.status == CS.OPEN:
            conversation.status = CS.INVITED
            conversation.invited_at = timezone.now()
            fields += ["status", "invited_at"]
        if sent.recipient_id and not conversation.recipient_id:
            conversation.recipient_id = sent.recipient_id[:255]
            fields.append("recipient_id")
        conversation.save(update_fields=fields)
        action = "invitation_sent" if before == CS.OPEN else "message_sent"
        _audit(conversation, action, SYSTEM, before=before)
    return "sent"


@transaction.atomic
def _message_for_retry(message_id: int, conversation_id: int) -> FollowUpMessage:
    message = (
        FollowUpMessage.objects.select_for_update()
        .filter(pk=message_id, conversation_id=conversation_id, direction=MessageDirection.OUT)
        .first()
    )
    if message is None:
        raise NotFound("No such message in this follow-up.")
    if message.status != MessageStatus.FAILED:
        raise Conflict(
            f"Only a failed message can be retried; this one is {message.get_status_display()}.",
            code="not_failed",
        )
    message.status = MessageStatus.PENDING
    message.error = ""
    message.save(update_fields=["status", "error"])
    return message


def followup_message_retry(
    *, conversation_id: int, message_id: int, access: ClinicAccess
) -> FollowUpMessage:
    require(access, Permission.WRITE)
    message = _message_for_retry(message_id, conversation_id)
    followup_message_send(message_id=message.pk)
    message.refresh_from_db()
    return message


MESSENGER_WINDOW = timedelta(hours=24)


def messenger_window_open(conversation: PrivateConversation, now: datetime | None = None) -> bool:
    """Messenger's standard window: the page may answer a person within 24 hours of their
    last message."""
    now = now or timezone.now()
    return bool(
        conversation.recipient_id
        and conversation.last_inbound_at
        and conversation.last_inbound_at > now - MESSENGER_WINDOW
    )


def followup_message_add(
    *, conversation_id: int, access: ClinicAccess, text: str
) -> FollowUpMessage:
    """Write to the person again on the follow-up's channel (checked by the guard like the
    invitation). On Facebook this answers a person who wrote back (Messenger's window)."""
    require(access, Permission.WRITE)
    who = access.actor
    clinic = current_clinic()
    with transaction.atomic():
        conversation = _locked(conversation_id)
        if conversation.channel not in SENDING_CHANNELS:
            raise ValidationFailed(
                "Carewatch does not send on this follow-up's channel.",
                fields={"text": [f"{conversation.get_channel_display()}: note it instead."]},
            )
        if not conversation.is_open:
            raise Conflict("This follow-up is closed; reopen it to write.", code="closed")
        if conversation.channel == CH.FACEBOOK and not messenger_window_open(conversation):
            raise Conflict(
                "Facebook lets the page write again only within 24 hours of the person's last "
                "message (one private reply per comment before that): wait for them to answer.",
                code="awaiting_answer",
            )
        checked = _checked_text(
            text, channel=conversation.channel, clinic=clinic, review=conversation.review
        )
        message = FollowUpMessage.objects.create(
            conversation=conversation,
            direction=MessageDirection.OUT,
            channel=conversation.channel,
            status=MessageStatus.PENDING,
            text=checked["text"],
            guard_verdict=checked["verdict"],
            guard_findings=checked["findings"],
            author_label=who.label,
            author_name=who.name[:200],
        )
    followup_message_send(message_id=message.pk)
    message.refresh_from_db()
    return message


def is_owner(access: ClinicAccess, conversation: PrivateConversation) -> bool:
    user = access.actor.user
    return user is not None and conversation.owner_id == user.pk


def _require_writer_or_owner(access: ClinicAccess, conversation: PrivateConversation) -> None:
    """Writers act on every follow-up. Its owner acts on their own even without writing: one of
    the clinic's crisis team who calls the person back notes the call and closes it with how
    it ended (they do not reassign it, move its due date or change its channel)."""
    if access.can(Permission.WRITE) or (
        access.can(Permission.VIEW) and is_owner(access, conversation)
    ):
        return
    require(access, Permission.WRITE)


def followup_note_add(
    *, conversation_id: int, access: ClinicAccess, text: str, from_person: bool = False
) -> FollowUpMessage:
    """Note what was said outside Carewatch (a phone call, the person calling in after the
    public reply). `from_person` notes it as their answer (the follow-up becomes replied).
    A writer, or the follow-up's owner."""
    who = access.actor
    text = (text or "").strip()
    with transaction.atomic():
        conversation = _locked(conversation_id)
        _require_writer_or_owner(access, conversation)
        if not text:
            raise ValidationFailed("Write the note.", fields={"text": ["Required."]})
        if len(text) > MAX_NOTES:
            raise ValidationFailed("Note too long.", fields={"text": [f"At most {MAX_NOTES}."]})
        message = FollowUpMessage.objects.create(
            conversation=conversation,
            direction=MessageDirection.IN if from_person else MessageDirection.OUT,
            channel=conversation.channel,
            status=MessageStatus.LOGGED,
            text=text,
            author_label=who.label,
            author_name=who.name[:200],
        )
        before = conversation.status
        if from_person and conversation.status in (CS.OPEN, CS.INVITED):
            conversation.status = CS.REPLIED
            conversation.last_inbound_at = timezone.now()
            conversation.save(update_fields=["status", "last_inbound_at", "updated_at"])
        _audit(conversation, "answer_noted" if from_person else "noted", who, before=before)
    return message


# --- the person's answers ---------------------------------------------------------------------


def followup_inbound_record(
    *,
    conversation: PrivateConversation,
    text: str,
    external_id: str,
    sender: str = "",
    at: datetime | None = None,
) -> FollowUpMessage | None:
    """Thread the person's answer into the follow-up (once per platform message id: a
    redelivery returns None and tells nobody again); the follow-up becomes replied and its
    owner is told."""
    clinic = current_clinic()
    text = (text or "").strip()[:MAX_NOTES] or "(an empty message)"
    with transaction.atomic():
        conversation = _locked(conversation.pk)
        try:
            with transaction.atomic():
                message = FollowUpMessage.objects.create(
                    conversation=conversation,
                    direction=MessageDirection.IN,
                    channel=conversation.channel,
                    status=MessageStatus.RECEIVED,
                    text=text,
                    author_name=sender[:200],
                    external_id=external_id[:255],
                    created_at=at or timezone.now(),
                )
        except IntegrityError:
            return None
        before = conversation.status
        conversation.last_inbound_at = timezone.now()
        fields = ["last_inbound_at", "updated_at"]
        reopen = conversation.status == CS.NO_RESPONSE and not (
            PrivateConversation.objects.filter(
                review_id=conversation.review_id, status__in=OPEN_STATUSES
            ).exists()
        )
        if conversation.status in (CS.OPEN, CS.INVITED) or reopen:
            conversation.status = CS.REPLIED
            conversation.closed_at = None
            fields += ["status", "closed_at"]
        conversation.save(update_fields=fields)
        if conversation.status in OPEN_STATUSES:
            _review_status(conversation.review_id, ReviewStatus.IN_FOLLOW_UP)
        _audit(conversation, "answered", Actor.of_system("followup", "The person"), before=before)
        followup_owner_tell(
            conversation,
            clinic,
            kind="follow_up_answer",
            title="The person answered your private follow-up",
        )
    return message


def followup_inbound_messenger(*, source: Source, payload: dict) -> dict:
    """Messenger's webhook body ({"object": "page", "entry": [{"messaging": [...]}]}): each
    message from a person whose page-scoped id matches an open Facebook follow-up is threaded;
    the page's own echoes and unknown senders are counted and left."""
    threaded = ignored = 0
    for entry in payload.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        for event in entry.get("messaging") or []:
            message = event.get("message") if isinstance(event, dict) else None
            if not isinstance(message, dict) or message.get("is_echo"):
                ignored += 1
                continue
            sender = str((event.get("sender") or {}).get("id") or "")
            conversation = (
                PrivateConversation.objects.filter(
                    channel=CH.FACEBOOK, recipient_id=sender, review__source=source
                )
                .order_by("-created_at", "-id")
                .first()
                if sender
                else None
            )
            if conversation is None:
                ignored += 1
                continue
            at = None
            if isinstance(event.get("timestamp"), (int, float)):
                at = datetime.fromtimestamp(event["timestamp"] / 1000, tz=UTC)
            recorded = followup_inbound_record(
                conversation=conversation,
                text=str(message.get("text") or ""),
                external_id=str(message.get("mid") or ""),
                sender="Facebook user",
                at=at,
            )
            threaded += recorded is not None
            ignored += recorded is None
    return {"threaded": threaded, "ignored": ignored}


def followup_poll_messenger(*, conversation: PrivateConversation) -> int:
    """Read the person's Messenger messages through the Graph API and thread the new ones:
    answers arrive even where Meta's webhooks are not set up or a delivery was lost. Returns
    how many were new."""
    if conversation.channel != CH.FACEBOOK or not conversation.recipient_id:
        return 0
    try:
        found = messaging.facebook_person_messages(
            source=conversation.review.source, recipient_id=conversation.recipient_id
        )
    except messaging.SendFailed as exc:
        logger.warning("messenger poll of follow-up %s failed: %s", conversation.pk, exc)
        return 0
    known = set(
        FollowUpMessage.objects.filter(
            channel=CH.FACEBOOK, direction=MessageDirection.IN, external_id__in=[m["id"] for m in found]
        ).values_list("external_id", flat=True)
    )  # fmt: skip
    threaded = 0
    since = (conversation.invited_at or conversation.created_at) - timedelta(minutes=1)
    for message in found:
        if message["id"] in known or (message["at"] is not None and message["at"] < since):
            continue
        recorded = followup_inbound_record(
            conversation=conversation,
            text=message["text"],
            external_id=message["id"],
            sender="Facebook user",
            at=message["at"],
        )
        threaded += recorded is not None
    return threaded


def followup_inbound_email(*, conversation_id: int, sender: str, text: str, message_id: str):
    """An e-mail answer to a follow-up's reply address. Only from the consented address."""
    conversation = (
        PrivateConversation.objects.select_related("consent")
        .filter(pk=conversation_id, channel=CH.EMAIL)
        .first()
    )
    if conversation is None or conversation.consent is None:
        raise NotFound("No such follow-up.")
    if messaging.email_address_of(sender) != conversation.consent.address.lower():
        raise ValidationFailed(
            "The sender is not the address the person agreed to be contacted at.",
            fields={"from": ["Not the follow-up's address."]},
        )
    recorded = followup_inbound_record(
        conversation=conversation,
        text=messaging.email_reply_text(text),
        external_id=message_id or "",
        sender=messaging.email_address_of(sender),
    )
    return {"threaded": int(recorded is not None), "conversation_id": conversation.pk}


def followup_inbound_sms(*, sender: str, text: str, message_sid: str) -> dict:
    """A text to the clinic's number: threaded into the newest open SMS follow-up whose
    consented number is the sender's."""
    try:
        number = messaging.phone_normalise(sender)
    except ValidationFailed:
        return {"threaded": 0}
    conversation = (
        PrivateConversation.objects.filter(
            channel=CH.SMS, consent__address=number, status__in=[*OPEN_STATUSES, CS.NO_RESPONSE]
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if conversation is None:
        return {"threaded": 0}
    recorded = followup_inbound_record(
        conversation=conversation, text=text, external_id=message_sid, sender=_mask(number)
    )
    return {"threaded": int(recorded is not None), "conversation_id": conversation.pk}


# --- owner, due date, status, outcome ------------------------------------------------------


def _locked(conversation_id: int) -> PrivateConversation:
    conversation = (
        PrivateConversation.objects.select_for_update()
        .select_related("review")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise NotFound("No such follow-up.")
    return conversation


OUTCOME_STATUS = {FollowUpOutcome.NO_ANSWER: CS.NO_RESPONSE}
UNSET = object()


def followup_update(
    *,
    conversation_id: int,
    access: ClinicAccess,
    status: str | None = None,
    notes: str | None = None,
    channel: str | None = None,
    owner_id=UNSET,
    due_at=UNSET,
    outcome: str | None = None,
    outcome_note: str | None = None,
    now: datetime | None = None,
) -> PrivateConversation:
    """Change the owner, the due date, the status or the outcome. An outcome closes the
    follow-up (resolved; no response for "No answer") unless a status is given; closing it
    marks the review resolved, reopening it puts the review back in follow-up. A writer; or
    the follow-up's owner, for its status, notes and outcome only."""
    who = access.actor
    now = now or timezone.now()
    clinic = current_clinic()
    with transaction.atomic():
        conversation = _locked(conversation_id)
        _require_writer_or_owner(access, conversation)
        if not access.can(Permission.WRITE) and (
            owner_id is not UNSET or due_at is not UNSET or channel is not None
        ):
            require(access, Permission.WRITE)  # the owner closes it; a writer reassigns it
        before = conversation.status
        changes: dict = {}
        if owner_id is not UNSET:
            if owner_id is None:
                conversation.owner_id, conversation.owner_name = None, ""
            else:
                conversation.owner_id, name = _owner(clinic, owner_id)
                conversation.owner_name = name[:200]
            changes["owner"] = conversation.owner_name
        if due_at is not UNSET:
            conversation.due_at = _due(due_at, now) if due_at is not None else None
            conversation.overdue_notified_at = None
            changes["due_at"] = conversation.due_at.isoformat() if conversation.due_at else None
        if channel is not None:
            if channel not in CH.values:
                raise ValidationFailed("Unknown channel.", fields={"channel": ["Unknown."]})
            if channel != conversation.channel and conversation.messages.exists():
                raise ValidationFailed(
                    "Messages were already exchanged on this channel.",
                    fields={"channel": ["Start a new follow-up for another channel."]},
                )
            conversation.channel = channel
        if notes is not None:
            conversation.notes = _notes(notes)
        if outcome_note is not None:
            conversation.outcome_note = _notes(outcome_note)
        if outcome is not None:
            if outcome not in dict(PERSON_OUTCOMES):
                raise ValidationFailed(
                    "Unknown outcome.",
                    fields={"outcome": [f"Choose {', '.join(v for v, _ in PERSON_OUTCOMES if v)}."]},
                )  # fmt: skip
            conversation.outcome = outcome
            changes["outcome"] = outcome
            if outcome and status is None:
                status = OUTCOME_STATUS.get(outcome, CS.RESOLVED)
        if status is not None:
            if status not in CS.values:
                raise ValidationFailed(
                    "Unknown status.", fields={"status": [f"Choose {', '.join(CS.values)}."]}
                )
            if status in OPEN_STATUSES and before not in OPEN_STATUSES:
                clash = (
                    PrivateConversation.objects.filter(
                        review_id=conversation.review_id, status__in=OPEN_STATUSES
                    )
                    .exclude(pk=conversation.pk)
                    .exists()
                )
                if clash:
                    raise Conflict(
                        "Another follow-up of this review is open.", code="follow_up_open"
                    )
            conversation.status = status
        if conversation.status in (CS.RESOLVED,) and not conversation.outcome:
            raise ValidationFailed(
                "Say how it ended.", fields={"outcome": ["Choose an outcome to resolve it."]}
            )
        closing = conversation.status not in OPEN_STATUSES
        conversation.closed_at = (conversation.closed_at or now) if closing else None
        conversation.save()
        if before != conversation.status:
            action = {CS.RESOLVED: "resolved", CS.NO_RESPONSE: "no_response"}.get(
                conversation.status, "reopened" if before not in OPEN_STATUSES else "status"
            )
        else:
            action = "updated"
        _audit(conversation, action, who, before=before, **changes)
        if closing:
            _review_status(
                conversation.review_id,
                ReviewStatus.RESOLVED if conversation.status == CS.RESOLVED else ReviewStatus.NEEDS_REPLY,
            )  # fmt: skip
            followup_notices_close(conversation, clinic)
            # its public reply no longer waits for an approval, nor (sent back) for its writer
            reviews_settled_close(
                review_ids=[conversation.review_id],
                who=who,
                how="resolved in its private follow-up",
            )
        else:
            _review_status(conversation.review_id, ReviewStatus.IN_FOLLOW_UP)
        if (
            "owner" in changes
            and conversation.owner_id is not None
            and (who.user is None or who.user.pk != conversation.owner_id)
        ):
            followup_owner_tell(
                conversation,
                clinic,
                kind="follow_up",
                title=_yours_title(conversation, clinic, now_yours=True),
            )
    return conversation


# --- consent -----------------------------------------------------------------------------


def contact_consent_record(
    *, review_id: int, access: ClinicAccess, channel: str, address: str, basis: str
) -> ContactConsent:
    """Record that the author of a review agreed to be contacted at `address` on `channel`
    (e-mail or sms), how they agreed (`basis`: "asked us by phone on 3 Dec to e-mail them"),
    and who recorded it. A newer consent of the same channel replaces the active one."""
    require(access, Permission.WRITE)
    who = access.actor
    if channel not in (CH.EMAIL, CH.SMS):
        raise ValidationFailed("Unknown channel.", fields={"channel": ["Choose email or sms."]})
    address = (address or "").strip()
    if len(address) > 254:  # the column's size (an e-mail address may pass validate_email to 320)
        raise ValidationFailed("Too long.", fields={"address": ["At most 254 characters."]})
    if channel == CH.EMAIL:
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationFailed(
                "Not an e-mail address.", fields={"address": ["Enter a valid e-mail address."]}
            ) from None
        address = address.lower()
    else:
        address = messaging.phone_normalise(address)
    basis = (basis or "").strip()
    if len(basis.split()) < 3:
        raise ValidationFailed(
            "Say how the person agreed.",
            fields={"basis": ["How and when the person agreed (three words or more)."]},
        )
    if len(basis) > 2000:
        raise ValidationFailed("Too long.", fields={"basis": ["At most 2000 characters."]})
    with transaction.atomic():
        # the review's row is held: two consents recorded at once follow one another (the
        # second replaces the first, as when sent after it), never two active ones
        review = Review.objects.select_for_update().filter(pk=review_id, is_deleted=False).first()
        if review is None:
            raise NotFound("No such review in this clinic.")
        now = timezone.now()
        ContactConsent.objects.select_for_update().filter(
            review=review, channel=channel, revoked_at=None
        ).update(revoked_at=now, revoked_by_name=f"replaced by {who.name}"[:200])
        consent = ContactConsent.objects.create(
            review=review,
            channel=channel,
            address=address,
            basis=basis,
            recorded_by_label=who.label,
            recorded_by_name=who.name[:200],
            recorded_at=now,
        )
        audit_record(
            object_type="contact_consent",
            object_id=consent.pk,
            review_id=review.pk,
            action="recorded",
            who=who,
            detail={"channel": channel},
        )
    return consent


def contact_consent_revoke(*, consent_id: int, access: ClinicAccess) -> ContactConsent:
    require(access, Permission.WRITE)
    who = access.actor
    with transaction.atomic():
        consent = ContactConsent.objects.select_for_update().filter(pk=consent_id).first()
        if consent is None:
            raise NotFound("No such consent.")
        if consent.revoked_at is not None:
            raise Conflict("This consent was already withdrawn.", code="revoked")
        consent.revoked_at = timezone.now()
        consent.revoked_by_name = who.name[:200]
        consent.save(update_fields=["revoked_at", "revoked_by_name", "updated_at"])
        audit_record(
            object_type="contact_consent",
            object_id=consent.pk,
            review_id=consent.review_id,
            action="revoked",
            who=who,
            detail={"channel": consent.channel},
        )
    return consent


# --- the sweeper (beat) ----------------------------------------------------------------------


def followups_sweep(*, now: datetime | None = None) -> dict:
    """In the current clinic: send what a stopped process left pending, give up on sends
    that hang, read Messenger answers the webhook did not bring, and tell each owner once
    when their follow-up passes its due date."""
    now = now or timezone.now()
    clinic = current_clinic()
    stale = FollowUpMessage.objects.filter(
        direction=MessageDirection.OUT, status=MessageStatus.SENDING, created_at__lt=now - STALE_SENDING
    ).update(status=MessageStatus.FAILED, error="Sending was interrupted; retry to send it again.")  # fmt: skip
    pending = list(
        FollowUpMessage.objects.filter(
            direction=MessageDirection.OUT,
            status=MessageStatus.PENDING,
            created_at__lt=now - timedelta(minutes=1),
        ).values_list("pk", flat=True)
    )
    sent = sum(followup_message_send(message_id=pk) == "sent" for pk in pending)
    answers = 0
    for conversation in (
        PrivateConversation.objects.select_related("review__source")
        .filter(channel=CH.FACEBOOK, status__in=OPEN_STATUSES)
        .exclude(recipient_id="")
    ):
        answers += followup_poll_messenger(conversation=conversation)
    overdue = 0
    due = PrivateConversation.objects.filter(
        status__in=OPEN_STATUSES, due_at__lt=now, overdue_notified_at=None
    )
    for conversation in due:
        with transaction.atomic():
            updated = PrivateConversation.objects.filter(
                pk=conversation.pk, overdue_notified_at=None
            ).update(overdue_notified_at=now)
            if not updated:
                continue
            _audit(conversation, "overdue", SYSTEM, before=conversation.status)
            followup_owner_tell(
                conversation,
                clinic,
                kind="follow_up_overdue",
                title=f"A private follow-up is overdue (due {_when(conversation.due_at, clinic)})",
            )
            overdue += 1
    return {"stale": stale, "sent": sent, "answers": answers, "overdue": overdue}


def followup_approval_state(conversation: PrivateConversation) -> str:
    """For the public reply: where its draft stands, in words."""
    draft = conversation.reply_draft
    if draft is None:
        return ""
    if draft.status == ApprovalStatus.PUBLISHED:
        return "Published"
    return draft.get_status_display()
