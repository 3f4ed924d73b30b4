"""Per-clinic data (lives in each clinic's schema): reply drafts and their versions, pinned
statements, the fact sheet, the clinic's own reply templates, private follow-ups, the
publishing outbox and the append-only audit trail."""

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.models import BaseModel
from core.text import address_problem


class Verdict(models.TextChoices):
    OK = "ok", "OK"
    NEEDS_REVIEW = "needs_review", "Needs review"
    BLOCK = "block", "Blocked"


class Step(models.TextChoices):
    AGENCY = "agency", "Agency approval"
    LEGAL = "legal", "Legal review"
    CLINICIAN = "clinician", "Clinician review"
    CLIENT = "client", "Clinic approval"


class ApprovalStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_AGENCY = "pending_agency", "Waiting for the agency"
    PENDING_LEGAL = "pending_legal", "Waiting for legal review"
    PENDING_CLINICIAN = "pending_clinician", "Waiting for clinician review"
    PENDING_CLIENT = "pending_client", "Waiting for the clinic"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    UNPINNED = "unpinned", "Unpinned"  # statements only
    DISCARDED = "discarded", "Discarded"


class ResponseSettings(models.Model):
    """The clinic's reply settings: one row per clinic schema (id 1)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    require_agency_approval = models.BooleanField(default=True)
    legal_review_on_needs_review = models.BooleanField(default=True)
    clinician_review_on_health_detail = models.BooleanField(default=True)
    require_client_approval = models.BooleanField(default=True)
    # What the guard may allow in a reply: the clinic's own people and address.
    staff_names = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    clinic_address = models.CharField(max_length=300, blank=True, default="")
    allow_reviewer_name = models.BooleanField(default=False)
    # Why approval steps are off (owner only, with a reason; shown as a banner while any is).
    steps_off_reason = models.TextField(blank=True, default="")
    steps_off_by_name = models.CharField(max_length=200, blank=True, default="")
    steps_off_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="response_settings_single")]

    STEP_FLAGS = {
        "require_agency_approval": "the agency's approval",
        "legal_review_on_needs_review": "legal review",
        "clinician_review_on_health_detail": "clinician review",
        "require_client_approval": "the clinic's approval",
    }

    def __str__(self) -> str:
        return "Reply settings"

    @property
    def steps_off(self) -> list[str]:
        return [label for flag, label in self.STEP_FLAGS.items() if not getattr(self, flag)]


class TemplateCategory(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", "Acknowledge"
    THANK = "thank", "Thank"
    MOVE_PRIVATE = "move_private", "Move to private"
    FACTUAL_CORRECTION = "factual_correction", "Factual correction"
    APOLOGY = "apology", "Apology without admission"


TEMPLATE_KEY_EXAMPLE = "warm-thanks"


def validate_template_key(value: str) -> None:
    """A reply template's key as the clinic gets it (trimmed, lowercased), shaped like the
    built-ins' ("thank-acknowledge"): at most 80 lowercase letters, digits and hyphens
    (`core.text.address_problem`). The one rule of the template form, the reply-templates API
    and `responses.services.library.template_create`."""
    if problem := address_problem(value, example=TEMPLATE_KEY_EXAMPLE, most=80):
        raise ValidationError(problem)


class ReplyTemplate(BaseModel):
    """A clinic's own reply template. The built-in library (`responses.templates_library`)
    is every clinic's too; a clinic template with a built-in's key replaces it here."""

    key = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=24, choices=TemplateCategory.choices)
    body = models.TextField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "name"]

    def __str__(self) -> str:
        return self.key


class Approvable(BaseModel):
    """What a reply draft and a statement share: versions, the approval route decided at
    submission, the guard's verdict on the current version and a legal override."""

    status = models.CharField(
        max_length=24,
        choices=ApprovalStatus.choices,
        default=ApprovalStatus.DRAFT,
        db_index=True,
    )
    version = models.PositiveIntegerField(default=0)
    route = ArrayField(models.CharField(max_length=16, choices=Step.choices), default=list)
    author_label = models.CharField(max_length=100)
    author_name = models.CharField(max_length=200, blank=True, default="")
    guard_verdict = models.CharField(max_length=16, choices=Verdict.choices, default=Verdict.OK)
    override_version = models.PositiveIntegerField(null=True, blank=True)
    override_reason = models.TextField(blank=True, default="")
    override_by_label = models.CharField(max_length=100, blank=True, default="")
    override_by_name = models.CharField(max_length=200, blank=True, default="")
    override_at = models.DateTimeField(null=True, blank=True)
    # legal kept the guard's block of this version and sent it back to its writer: it no
    # longer waits for legal (a new version is checked, and asks, anew)
    override_refused_version = models.PositiveIntegerField(null=True, blank=True)
    # its writer submitted this version while the guard blocked it: it waits for legal to
    # lift (or keep) the block; a blocked version merely saved asks nobody
    legal_asked_version = models.PositiveIntegerField(null=True, blank=True)
    last_comment = models.TextField(blank=True, default="")
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_overridden(self) -> bool:
        return self.override_version is not None and self.override_version == self.version

    @property
    def is_override_refused(self) -> bool:
        return (
            self.override_refused_version is not None
            and self.override_refused_version == self.version
        )

    @property
    def is_legal_asked(self) -> bool:
        return self.legal_asked_version is not None and self.legal_asked_version == self.version

    @property
    def is_blocked(self) -> bool:
        return self.guard_verdict == Verdict.BLOCK and not self.is_overridden


class ReplyDraft(Approvable):
    """A public reply to one review or mention, from first draft to published."""

    review = models.ForeignKey(
        "feeds.Review", on_delete=models.PROTECT, related_name="reply_drafts"
    )
    # One answer for many: a draft made by a batch is approved through the batch only.
    batch = models.ForeignKey(
        "ReplyBatch", null=True, blank=True, on_delete=models.PROTECT, related_name="drafts"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review"],
                condition=~Q(status__in=["published", "discarded"]),
                name="reply_draft_one_open_per_review",
            ),
        ]

    def __str__(self) -> str:
        return f"reply {self.pk} v{self.version} ({self.status})"


class VersionBase(models.Model):
    number = models.PositiveIntegerField()
    guard_verdict = models.CharField(max_length=16, choices=Verdict.choices)
    guard_findings = models.JSONField(default=list)
    author_label = models.CharField(max_length=100)
    author_name = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        abstract = True


class ReplyVersion(VersionBase):
    draft = models.ForeignKey(ReplyDraft, on_delete=models.CASCADE, related_name="versions")
    text = models.TextField()
    template_key = models.CharField(max_length=80, blank=True, default="")

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "number"], name="reply_version_unique"),
        ]

    def __str__(self) -> str:
        return f"reply {self.draft_id} v{self.number}"


class BatchKind(models.TextChoices):
    CORRECTION = "correction", "Factual correction"
    STATEMENT = "statement", "Pointer to the official statement"
    REPLY = "reply", "Reply"


class ReplyBatch(Approvable):
    """One answer for many mentions: one text, rendered per mention into one `ReplyDraft`
    each (per-platform variables, length limits), approved once per step for all of them;
    each draft is then published on its own. Its `version` changes whenever the text or the
    list of mentions changes: an approval names the version it saw."""

    kind = models.CharField(max_length=16, choices=BatchKind.choices, default=BatchKind.REPLY)
    cluster = models.ForeignKey(
        "scoring.ClaimCluster", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    statement = models.ForeignKey(
        "Statement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"batch {self.pk} v{self.version} ({self.status})"


class ReplyBatchVersion(VersionBase):
    """The batch's text and its mentions as one version: what each approval step saw."""

    batch = models.ForeignKey(ReplyBatch, on_delete=models.CASCADE, related_name="versions")
    text = models.TextField()
    template_key = models.CharField(max_length=80, blank=True, default="")
    review_ids = ArrayField(models.BigIntegerField(), default=list)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="reply_batch_version_unique"),
        ]

    def __str__(self) -> str:
        return f"batch {self.batch_id} v{self.number}"


class Statement(Approvable):
    """An official statement, pinned to the channels that can pin and shown on the clinic's
    public statement page once published."""

    title = models.CharField(max_length=200)
    published_version = models.ForeignKey(
        "StatementVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_pinned = models.BooleanField(default=False, db_index=True)
    unpinned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class StatementVersion(VersionBase):
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="versions")
    title = models.CharField(max_length=200)
    body = models.TextField()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "number"], name="statement_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"statement {self.statement_id} v{self.number}"


class PrivateChannel(models.TextChoices):
    """How a follow-up reaches the person. The first four send an invitation from Carewatch;
    the public reply is a "please contact us" reply draft through the normal approval chain;
    phone and other are conversations staff hold themselves and note here."""

    FACEBOOK = "facebook", "Facebook private message"
    EMAIL = "email", "E-mail"
    SMS = "sms", "Text message (SMS)"
    PUBLIC_REPLY = "public_reply", "Public reply inviting contact"
    PHONE = "phone", "Phone"
    MESSAGE = "message", "Private message"
    OTHER = "other", "Other"


SENDING_CHANNELS = frozenset({PrivateChannel.FACEBOOK, PrivateChannel.EMAIL, PrivateChannel.SMS})


class ConversationStatus(models.TextChoices):
    OPEN = "open", "Started"
    INVITED = "invited", "Invited"
    REPLIED = "replied", "Replied"
    RESOLVED = "resolved", "Resolved"
    NO_RESPONSE = "no_response", "No response"


OPEN_STATUSES = (ConversationStatus.OPEN, ConversationStatus.INVITED, ConversationStatus.REPLIED)
CLOSED_STATUSES = (ConversationStatus.RESOLVED, ConversationStatus.NO_RESPONSE)


class FollowUpOutcome(models.TextChoices):
    NONE = "", "Not yet"
    SOLVED = "solved", "Problem solved"
    REVIEW_UPDATED = "review_updated", "Reviewer updated or removed the review"
    EXPLAINED = "explained", "Explained; nothing more to do"
    NOT_SOLVED = "not_solved", "Could not solve it"
    NO_ANSWER = "no_answer", "No answer"
    # Carewatch's, never a person's choice: the review was settled outside the follow-up
    # (resolved or set aside from the inbox, taken down) while it was open
    SETTLED = "settled", "Settled with the review"


# How a person may say a follow-up ended (the forms and the API offer these).
PERSON_OUTCOMES = [
    (v, label) for v, label in FollowUpOutcome.choices if v != FollowUpOutcome.SETTLED
]


class ContactConsent(BaseModel):
    """The reviewer's own permission for the clinic to contact them on one channel at one
    address: who recorded it, when, and how it was given. A revoked consent stays as a
    record; only an active one lets Carewatch send an e-mail or a text."""

    review = models.ForeignKey(
        "feeds.Review", on_delete=models.PROTECT, related_name="contact_consents"
    )
    channel = models.CharField(max_length=16, choices=PrivateChannel.choices)
    address = models.CharField(max_length=254)
    basis = models.TextField()
    recorded_by_label = models.CharField(max_length=100)
    recorded_by_name = models.CharField(max_length=200, blank=True, default="")
    recorded_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by_name = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=["email", "sms"]), name="contact_consent_channel"
            ),
            models.UniqueConstraint(
                fields=["review", "channel"],
                condition=Q(revoked_at__isnull=True),
                name="contact_consent_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"consent {self.pk} ({self.channel})"


class PrivateConversation(BaseModel):
    """A private follow-up of a review: the invitation sent to the person on a private
    channel (or the public "please contact us" reply), their answers threaded in, and who
    owns it until when. Its notes and messages never reach a public reply, a webhook or a
    public page."""

    review = models.ForeignKey(
        "feeds.Review", on_delete=models.PROTECT, related_name="private_conversations"
    )
    channel = models.CharField(max_length=16, choices=PrivateChannel.choices)
    status = models.CharField(
        max_length=12,
        choices=ConversationStatus.choices,
        default=ConversationStatus.OPEN,
        db_index=True,
    )
    notes = models.TextField(blank=True, default="")
    opened_by_label = models.CharField(max_length=100)
    opened_by_name = models.CharField(max_length=200, blank=True, default="")
    closed_at = models.DateTimeField(null=True, blank=True)
    # The person who owns it (a user of the public schema, by id) and until when.
    owner_id = models.BigIntegerField(null=True, blank=True)
    owner_name = models.CharField(max_length=200, blank=True, default="")
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    outcome = models.CharField(
        max_length=16, choices=FollowUpOutcome.choices, blank=True, default=""
    )
    outcome_note = models.TextField(blank=True, default="")
    consent = models.ForeignKey(
        ContactConsent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reply_draft = models.ForeignKey(
        "ReplyDraft", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who the platform says the person is (a Messenger page-scoped id), once known.
    recipient_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review"],
                condition=Q(status__in=["open", "invited", "replied"]),
                name="private_conversation_one_open_per_review",
            ),
        ]

    def __str__(self) -> str:
        return f"private {self.pk} ({self.channel}, {self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now=None) -> bool:
        now = now or timezone.now()
        return self.is_open and self.due_at is not None and self.due_at < now


class MessageDirection(models.TextChoices):
    OUT = "out", "Sent to the person"
    IN = "in", "From the person"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    RECEIVED = "received", "Received"
    LOGGED = "logged", "Noted by staff"


class FollowUpMessage(models.Model):
    """One message of a follow-up's thread, either way. An outbound one is checked by the
    guard before it is stored and sent; an inbound one is stored once per platform id."""

    conversation = models.ForeignKey(
        PrivateConversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=4, choices=MessageDirection.choices)
    channel = models.CharField(max_length=16, choices=PrivateChannel.choices)
    status = models.CharField(max_length=12, choices=MessageStatus.choices)
    text = models.TextField()
    guard_verdict = models.CharField(max_length=16, choices=Verdict.choices, blank=True, default="")
    guard_findings = models.JSONField(default=list, blank=True)
    author_label = models.CharField(max_length=100, blank=True, default="")
    author_name = models.CharField(max_length=200, blank=True, default="")
    external_id = models.CharField(max_length=255, blank=True, default="")
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "direction", "external_id"],
                condition=~Q(external_id=""),
                name="followup_message_external_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.channel} ({self.status})"


class OutboxKind(models.TextChoices):
    REPLY = "reply", "Reply"
    STATEMENT_POST = "statement_post", "Statement post and pin"
    STATEMENT_UNPIN = "statement_unpin", "Statement unpin"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    MANUAL = "manual", "To post by hand"
    POSTED_BY_HAND = "posted_by_hand", "Posted by hand"
    CANCELLED = "cancelled", "Cancelled"


class FailureKind(models.TextChoices):
    """Why a delivery failed, in the terms of what a person does about it."""

    NOT_CONNECTED = "not_connected", "Channel not connected"
    AUTH = "auth", "Connection expired"
    PERMISSION = "permission", "No permission to post"
    TRANSIENT = "transient", "Platform unavailable"
    GUARD = "guard", "Stopped by the guard"
    REFUSED = "refused", "Refused by the platform"


# Failures that wait for the source to be (re)connected: retried when its credentials change.
WAITING_FOR_SOURCE = (FailureKind.NOT_CONNECTED, FailureKind.AUTH, FailureKind.PERMISSION)


class OutboxItem(BaseModel):
    """One write to a platform. `idempotency_key` is unique, so an approval queues it once;
    delivery claims it under a row lock, so two workers never send it twice."""

    kind = models.CharField(max_length=16, choices=OutboxKind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING, db_index=True
    )
    source = models.ForeignKey("feeds.Source", on_delete=models.PROTECT, related_name="+")
    review = models.ForeignKey(
        "feeds.Review", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    draft = models.ForeignKey(
        ReplyDraft, null=True, blank=True, on_delete=models.PROTECT, related_name="outbox_items"
    )
    statement = models.ForeignKey(
        Statement, null=True, blank=True, on_delete=models.PROTECT, related_name="outbox_items"
    )
    version = models.PositiveIntegerField(default=0)
    related = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    failure_kind = models.CharField(
        max_length=16, choices=FailureKind.choices, blank=True, default=""
    )
    failure_notified_at = models.DateTimeField(null=True, blank=True)
    manual_reason = models.TextField(blank=True, default="")
    external_id = models.CharField(max_length=255, blank=True, default="")
    external_url = models.URLField(max_length=1000, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    done_by_label = models.CharField(max_length=100, blank=True, default="")
    done_by_name = models.CharField(max_length=200, blank=True, default="")
    done_note = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key} ({self.status})"


class AuditEntry(models.Model):
    """One step of a reply, statement or outbox item. Append-only: a database trigger
    (migration 0002) refuses UPDATE and DELETE. No foreign keys, so that nothing cascades."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    object_type = models.CharField(max_length=24)
    object_id = models.BigIntegerField()
    review_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=32)
    actor_label = models.CharField(max_length=100)
    actor_name = models.CharField(max_length=200, blank=True, default="")
    version = models.PositiveIntegerField(null=True, blank=True)
    from_status = models.CharField(max_length=24, blank=True, default="")
    to_status = models.CharField(max_length=24, blank=True, default="")
    comment = models.TextField(blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "created_at"]),
            # A review's trail: `audit_list(review_id=)`, `texts_audit_q` (incident timeline).
            models.Index(fields=["review_id", "created_at"], name="audit_review_created"),
        ]

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_id}: {self.action} by {self.actor_label}"
