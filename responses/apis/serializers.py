"""Input and output serializers of the responses API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinics.access import people_role_words
from core.api import ACTOR_LABEL, ACTOR_LABEL_INVALID, UtcInstantField, day_filter_param
from core.http import NOT_A_NUMBER
from core.tenancy import current_clinic
from responses.models import (
    PERSON_OUTCOMES,
    ApprovalStatus,
    AuditEntry,
    BatchKind,
    ContactConsent,
    ConversationStatus,
    FollowUpMessage,
    FollowUpOutcome,
    MessageDirection,
    MessageStatus,
    OutboxItem,
    OutboxKind,
    OutboxStatus,
    PrivateChannel,
    PrivateConversation,
    ReplyBatch,
    ReplyDraft,
    ReplyVersion,
    ResponseSettings,
    Statement,
    StatementVersion,
    Step,
    TemplateCategory,
    Verdict,
    validate_template_key,
)
from responses.selectors import (
    FOLLOWUP_SHOWS,
    ITEM_STATES,
    LOG_DECISION_CHOICES,
    LOG_KIND_CHOICES,
    LOG_STEP_CHOICES,
    audit_for,
    channel_plan_reply,
    delivery_rows,
    reply_batch_items,
    reply_batch_tally,
    sla_for,
    template_checker,
)
from responses.services.approvals import waiting_for
from responses.services.replies import over_limit, platform_limit
from responses.services.review_edits import review_change
from responses.services.workflow import STUCK_CHOICES
from scoring.apis import ScoreFlagOutputSerializer, ScoreTopicOutputSerializer


class FindingSerializer(serializers.Serializer):
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    text = serializers.CharField()
    kind = serializers.CharField(
        help_text="What the finding is about: `identifier`, `patient_confirmation`, "
        "`health_detail`, `tone`, or `markup` (HTML or link markup a platform would not show "
        "as plain text; only the live check reports it, and no override lifts it)."
    )
    subtype = serializers.CharField()
    severity = serializers.CharField(help_text="`block` or `needs_review`.")
    message = serializers.CharField()
    suggestion = serializers.CharField(allow_blank=True)
    probability = serializers.FloatField(
        read_only=True,
        allow_null=True,
        min_value=0,
        max_value=1,
        help_text="For a finding of the guard's learned check (`subtype` `backstop`; it quotes "
        "the sentence that weighs most): how likely it judged that the reply has the problem "
        "`kind` names (a defensive `tone`, a `patient_confirmation`, a `health_detail`), from 0 "
        "to 1, rounded to 3 places; `message` says it in words. Null when a rule found it (every "
        "other `subtype`): a rule finds or does not, with no number.",
    )


class GuardResultSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=Verdict.choices)
    findings = FindingSerializer(many=True)


class ComplianceCheckInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=20_000, allow_blank=True, trim_whitespace=False)
    review_id = serializers.IntegerField(required=False, min_value=1)
    purpose = serializers.ChoiceField(
        choices=["reply", "statement"],
        default="reply",
        help_text="`statement`: a public statement, where a plain factual denial is not "
        "defensive tone. A reply that quotes a confirmed fact is treated as a correction.",
    )


class ComplianceFixInputSerializer(ComplianceCheckInputSerializer):
    start = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="With `end`: fix only the findings overlapping this span (one round).",
    )
    end = serializers.IntegerField(required=False, min_value=0)

    def validate(self, data):
        if ("start" in data) != ("end" in data):
            raise serializers.ValidationError({"end": ["Give both start and end, or neither."]})
        if "start" in data and data["end"] <= data["start"]:
            raise serializers.ValidationError({"end": ["end must be after start."]})
        return data


class ComplianceFixOutputSerializer(GuardResultSerializer):
    text = serializers.CharField(help_text="The text with the fixes applied.")
    changes = serializers.ListField(
        child=serializers.CharField(), help_text="What was changed, one line each."
    )


# --- library -------------------------------------------------------------------------------


class TemplateGuardOutputSerializer(GuardResultSerializer):
    blocked = serializers.BooleanField(
        help_text="The check blocks it: a reply from it cannot be submitted until a person "
        "with the legal role lifts the block (as a draft's `guard.blocked`)."
    )
    to_legal = serializers.BooleanField(
        help_text="A reply started from it waits for legal review (a block, or a flag while "
        "the clinic's `legal_review_on_needs_review` is on), so it is never the suggested "
        "reply where the check says so."
    )


class TemplateOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    category = serializers.ChoiceField(choices=TemplateCategory.choices)
    body = serializers.CharField()
    builtin = serializers.BooleanField()
    id = serializers.IntegerField(allow_null=True)
    guard = serializers.SerializerMethodField(
        help_text="What the privacy check finds in the template as a reply, its variables "
        "filled in with the clinic's details (those only a review gives, such as "
        "{concerns}, stay as written), read now: a change to the clinic's details or reply "
        "settings (`staff_names`) changes it. The check the templates page shows after a "
        "save, in the shape of a draft's `guard`. A template it blocks or flags is saved all "
        "the same, as on the page: change its words to make it usable."
    )

    @extend_schema_field(TemplateGuardOutputSerializer)
    def get_guard(self, template: dict) -> dict:
        check = self.context.get("template_check") or template_checker(clinic=current_clinic())
        return TemplateGuardOutputSerializer(check(template)).data


class TemplateInputSerializer(serializers.Serializer):
    key = serializers.CharField(
        validators=[validate_template_key],
        help_text="At most 80 lowercase letters, digits and hyphens, e.g. warm-thanks; a "
        "built-in template's key replaces it for this clinic.",
    )
    name = serializers.CharField(max_length=200)
    category = serializers.ChoiceField(choices=TemplateCategory.choices)
    body = serializers.CharField(max_length=4000)
    is_active = serializers.BooleanField(default=True)


class TemplateUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    category = serializers.ChoiceField(choices=TemplateCategory.choices, required=False)
    body = serializers.CharField(max_length=4000, required=False)
    is_active = serializers.BooleanField(required=False)


class SettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = ResponseSettings
        fields = [
            "require_agency_approval",
            "legal_review_on_needs_review",
            "clinician_review_on_health_detail",
            "require_client_approval",
            "staff_names",
            "clinic_address",
            "allow_reviewer_name",
            "reason",
            "steps_off",
            "steps_off_reason",
            "steps_off_by_name",
            "steps_off_at",
            "updated_at",
        ]
        read_only_fields = ["steps_off_reason", "steps_off_by_name", "steps_off_at", "updated_at"]

    reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Why an approval step is switched off (an agency owner only; three words or "
        "more). Shown to everyone in the clinic while any step is off.",
    )
    steps_off = serializers.ListField(child=serializers.CharField(), read_only=True)


class SuggestionSerializer(serializers.Serializer):
    template_key = serializers.CharField()
    template_name = serializers.CharField()
    category = serializers.CharField()
    reason = serializers.CharField()
    body = serializers.CharField()
    text = serializers.CharField()
    unresolved = serializers.ListField(child=serializers.CharField())
    unresolved_messages = serializers.ListField(
        child=serializers.CharField(),
        help_text="Why each unresolved variable has no value; a draft holding one is refused.",
    )
    facts = serializers.ListField(child=serializers.CharField())
    sentiment = serializers.CharField(allow_null=True)
    topics = ScoreTopicOutputSerializer(
        many=True, help_text="The review's care topics, as in its score."
    )
    flags = ScoreFlagOutputSerializer(
        many=True, help_text="The review's risk flags, as in its score."
    )
    alternatives = serializers.ListField(child=serializers.CharField())


# --- audit, outbox -------------------------------------------------------------------------


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "object_type",
            "object_id",
            "review_id",
            "action",
            "actor_label",
            "actor_name",
            "version",
            "from_status",
            "to_status",
            "comment",
            "detail",
        ]


class DeliverySerializer(serializers.Serializer):
    """One channel's delivery of a reply or statement: queued, posted (with the platform's id
    and link), failed (the platform's reason and what to do), to post by hand, cancelled."""

    outbox_id = serializers.IntegerField()
    source_id = serializers.IntegerField()
    source_kind = serializers.CharField()
    source_name = serializers.CharField()
    state = serializers.ChoiceField(choices=["queued", "posted", "failed", "by_hand", "cancelled"])
    state_label = serializers.CharField()
    external_id = serializers.CharField(allow_blank=True)
    external_url = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(allow_blank=True)
    what_to_do = serializers.CharField(allow_blank=True)
    failure_kind = serializers.CharField(allow_blank=True)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    sent_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()


class OutboxFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OutboxStatus.choices, required=False)


class OutboxItemSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=OutboxKind.choices, read_only=True)
    status = serializers.ChoiceField(choices=OutboxStatus.choices, read_only=True)
    source_kind = serializers.CharField(source="source.kind", read_only=True)
    source_name = serializers.CharField(source="source.name", read_only=True)
    review_url = serializers.SerializerMethodField()

    class Meta:
        model = OutboxItem
        fields = [
            "id",
            "kind",
            "status",
            "idempotency_key",
            "source_id",
            "source_kind",
            "source_name",
            "review_id",
            "review_url",
            "draft_id",
            "statement_id",
            "version",
            "text",
            "attempts",
            "next_attempt_at",
            "last_error",
            "last_error_at",
            "failure_kind",
            "manual_reason",
            "external_id",
            "external_url",
            "sent_at",
            "done_by_name",
            "done_note",
            "created_at",
            "updated_at",
        ]

    def get_review_url(self, item) -> str:
        return item.review.url if item.review_id and item.review else ""


class MarkPostedInputSerializer(serializers.Serializer):
    url = serializers.URLField(
        max_length=1000, required=False, allow_blank=True, default="",
        help_text="The link to the post. `url` or `external_id` (or both) is required: with "
        "neither, a 400 names both and nothing changes.",
    )  # fmt: skip
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    external_id = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default="",
        help_text="The platform's id of the post, as the person found it (`url` or this is "
        "required).",
    )  # fmt: skip


# --- replies -------------------------------------------------------------------------------


class ReplyVersionSerializer(serializers.ModelSerializer):
    guard_verdict = serializers.ChoiceField(choices=Verdict.choices, read_only=True)

    class Meta:
        model = ReplyVersion
        fields = [
            "number",
            "text",
            "template_key",
            "guard_verdict",
            "guard_findings",
            "author_label",
            "author_name",
            "created_at",
        ]


def _current_version(obj):
    """The draft's or statement's current version: from `current_versions` when the selector
    prefetched it (drafts_list, statements_list: no query per row), else one query, kept."""
    prefetched = getattr(obj, "current_versions", None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    cache = getattr(obj, "_current_cache", None)
    if cache is None:
        cache = obj.versions.filter(number=obj.version).first()
        obj._current_cache = cache
    return cache


class _OverrideMixin:
    def get_override(self, obj) -> dict | None:
        if obj.override_version is None:
            return None
        return {
            "version": obj.override_version,
            "current": obj.is_overridden,
            "reason": obj.override_reason,
            "by": obj.override_by_name,
            "by_label": obj.override_by_label,
            "at": obj.override_at,
        }


# --- whom a text waits for (the approval workflow) -------------------------------------------


class WaitingPersonOutputSerializer(serializers.Serializer):
    label = serializers.CharField(
        help_text='The person as the audit trail names them: "user:<id>".'
    )
    name = serializers.CharField(help_text="Their name (never their e-mail address).")
    role = serializers.CharField(
        help_text="Their role in this clinic, in words, with the crisis roles it holds, as the "
        'approvals log names it: "owner", "manager", "approver (Comms / PR)", "Legal / '
        'compliance" (one of the clinic\'s people who holds the legal role), "Clinician".'
    )


def _people(users, clinic) -> list[dict]:
    if not users:
        return []
    roles = people_role_words(clinic, [u.pk for u in users])
    return [{"label": f"user:{u.pk}", "name": u.full_name, "role": roles[u.pk]} for u in users]


class WaitingOutputSerializer(serializers.Serializer):
    """Whom a reply, statement or batch waits for now, as the approval pages say it."""

    step = serializers.ChoiceField(
        choices=[*Step.choices, ("guard", "Legal review of the privacy block")],
        help_text="The step it waits for; `guard`: the privacy check blocks it and a person with "
        "the legal role must lift the block.",
    )
    label = serializers.CharField(help_text='The step in words ("clinic approval").')
    people = serializers.SerializerMethodField(
        help_text="The people who may give the step now, who are told (and reminded). Empty: "
        "nobody can (see `barred`), and nobody can be reminded."
    )
    barred = serializers.SerializerMethodField(
        help_text="The people who could give the step but wrote or already approved this "
        "version: nobody gives two steps of one version."
    )
    told_at = serializers.DateTimeField(
        allow_null=True, help_text="When they were last told (in-app and by e-mail)."
    )
    reminded_at = serializers.DateTimeField(
        allow_null=True, help_text="The last reminder about this version (null: none yet)."
    )
    reminded_by = serializers.CharField(help_text="Who sent the last reminder (empty: none yet).")
    stuck = serializers.ChoiceField(
        choices=STUCK_CHOICES,
        allow_null=True,
        help_text="Why nobody can ever give the step as things stand (null: someone can). "
        "`no_clinic_approver`: it waits for the clinic approval and the clinic has no approver "
        "(`people` is empty): add one of the clinic's people as its approver (the clinic's "
        "people page); the agency's owners and managers were told. `all_barred`: everyone who "
        "may give the step wrote or approved this version (`barred`): add another person for "
        "the step. `no_one_with_role`: it waits for the legal or clinician review and nobody of "
        "the clinic holds that crisis role: give it to one of the clinic's people.",
    )
    remind_from = serializers.DateTimeField(
        allow_null=True,
        help_text="From when one may remind them again (one reminder each 30 minutes for one "
        "version); null: not reminded yet, so now.",
    )

    def _clinic(self):
        return self.context.get("clinic") or current_clinic()

    @extend_schema_field(WaitingPersonOutputSerializer(many=True))
    def get_people(self, waiting) -> list[dict]:
        return _people(waiting.people, self._clinic())

    @extend_schema_field(WaitingPersonOutputSerializer(many=True))
    def get_barred(self, waiting) -> list[dict]:
        return _people(waiting.barred, self._clinic())


WAITING_HELP = (
    "Whom it waits for now, as the approval pages say it; null when it waits for nobody: a "
    "draft or one sent back (unless the privacy check blocks it: then legal), approved, "
    "finished. `POST …/remind/` reminds them."
)


def _waiting(kind: str, obj, context) -> dict | None:
    waiting = waiting_for(kind, obj)
    return WaitingOutputSerializer(waiting, context=context).data if waiting else None


class ReplyChannelOutputSerializer(serializers.Serializer):
    """The channel a reply goes to once approved, as the editor and the approval pages show it
    before the last approval: posted by Carewatch, or to be posted by hand."""

    source_id = serializers.IntegerField()
    source_name = serializers.CharField()
    source_kind = serializers.CharField()
    replies_by_hand = serializers.BooleanField(
        help_text="The agency posts replies on this channel by hand (“We post replies on this "
        "channel by hand”, the Sources page)."
    )
    by_hand = serializers.BooleanField(
        help_text="The reply goes to “To post by hand” (`delivery` state `by_hand`): a person "
        "copies it, posts it and marks it posted. Because the platform takes no replies from "
        "Carewatch, the agency posts on this channel by hand (`replies_by_hand`), or it is not "
        "connected and connecting its platform is not set up on this server; `problem` says "
        "which."
    )
    connected = serializers.BooleanField(help_text="Carewatch can post there now.")
    problem = serializers.CharField(
        allow_blank=True,
        help_text="Why Carewatch does not post it there now (empty when it does): why it is "
        "posted by hand, or what is missing (not connected: it fails until connected).",
    )


class DraftReviewOutputSerializer(serializers.Serializer):
    """The review a reply answers."""

    id = serializers.IntegerField()
    source = serializers.CharField(help_text="The platform.")
    kind = serializers.CharField()
    author_name = serializers.CharField(allow_blank=True)
    rating = serializers.IntegerField(allow_null=True)
    text = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)
    published_at = serializers.DateTimeField()
    status = serializers.CharField()
    imported_as_past = serializers.BooleanField(
        help_text="A past review, imported as history: no reply clock runs for it (`sla` is null)."
    )


class ReviewChangedOutputSerializer(serializers.Serializer):
    """The review changed (its text or rating) after the reply's current version was written:
    the reply may answer words the review no longer says. Approving stays possible."""

    at = UtcInstantField(help_text="When Carewatch last saw the review change.")
    rating_before = serializers.IntegerField(
        allow_null=True, help_text="The rating when the reply's current version was written."
    )
    rating_now = serializers.IntegerField(allow_null=True, help_text="The rating now.")
    text_before = serializers.CharField(
        allow_blank=True,
        help_text="The review's text when the reply's current version was written.",
    )
    text_changed = serializers.BooleanField()
    rating_changed = serializers.BooleanField()
    words = serializers.CharField(
        help_text="The same in one plain line, as the pages say it: “The review was changed after "
        "this reply was written: it now says … (was 1★, now 4★).”"
    )


class DraftOutputSerializer(_OverrideMixin, serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=ApprovalStatus.choices, read_only=True)
    route = serializers.ListField(
        child=serializers.ChoiceField(choices=Step.choices), read_only=True
    )
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    review = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField()
    guard = serializers.SerializerMethodField()
    override = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()
    outbox = serializers.SerializerMethodField()
    delivery = serializers.SerializerMethodField()
    channel = serializers.SerializerMethodField()
    review_changed_since_draft = serializers.SerializerMethodField(
        help_text="Null, or how the review changed after the reply's current version was written "
        "(null once the reply is published or discarded)."
    )

    class Meta:
        model = ReplyDraft
        fields = [
            "id",
            "review_id",
            "review",
            "review_changed_since_draft",
            "channel",
            "status",
            "status_label",
            "version",
            "text",
            "guard",
            "route",
            "author_label",
            "author_name",
            "override",
            "last_comment",
            "sla",
            "outbox",
            "delivery",
            "submitted_at",
            "approved_at",
            "published_at",
            "created_at",
            "updated_at",
        ]

    def _current(self, draft):
        return _current_version(draft)

    @extend_schema_field(DraftReviewOutputSerializer)
    def get_review(self, draft) -> dict:
        review = draft.review
        return {
            "id": review.pk,
            "source": review.source.kind,
            "kind": review.kind,
            "author_name": review.author_name,
            "rating": review.rating,
            "text": review.text,
            "url": review.url,
            "published_at": review.published_at,
            "status": review.status,
            "imported_as_past": review.imported_as_past,
        }

    @extend_schema_field(ReviewChangedOutputSerializer(allow_null=True))
    def get_review_changed_since_draft(self, draft) -> dict | None:
        change = review_change(draft)
        if change is None:
            return None
        return ReviewChangedOutputSerializer(change).data

    @extend_schema_field(ReplyChannelOutputSerializer)
    def get_channel(self, draft) -> dict:
        """Where it goes once approved, and whether Carewatch posts it or a person posts it
        by hand (the editor's and the approval pages' "It will be sent to")."""
        [channel] = channel_plan_reply(draft.review)
        return ReplyChannelOutputSerializer(channel).data

    def get_text(self, draft) -> str:
        version = self._current(draft)
        return version.text if version else ""

    def get_guard(self, draft) -> dict:
        version = self._current(draft)
        return {
            "verdict": draft.guard_verdict,
            "findings": version.guard_findings if version else [],
            "blocked": draft.is_blocked,
        }

    def get_sla(self, draft) -> dict | None:
        return sla_for(draft, self.context.get("clinic") or current_clinic())

    def get_outbox(self, draft) -> list[dict]:
        return [
            {"id": i.pk, "status": i.status, "last_error": i.last_error, "attempts": i.attempts}
            for i in draft.outbox_items.all()
        ]

    @extend_schema_field(DeliverySerializer(many=True))
    def get_delivery(self, draft) -> list[dict]:
        return DeliverySerializer(delivery_rows(draft.outbox_items.all()), many=True).data


class DraftDetailSerializer(DraftOutputSerializer):
    waiting = serializers.SerializerMethodField(help_text=WAITING_HELP)
    versions = serializers.SerializerMethodField()
    audit = serializers.SerializerMethodField()

    class Meta(DraftOutputSerializer.Meta):
        fields = [*DraftOutputSerializer.Meta.fields, "waiting", "versions", "audit"]

    @extend_schema_field(WaitingOutputSerializer(allow_null=True))
    def get_waiting(self, draft) -> dict | None:
        return _waiting("reply", draft, self.context)

    def get_versions(self, draft) -> list[dict]:
        return ReplyVersionSerializer(draft.versions.order_by("-number"), many=True).data

    def get_audit(self, draft) -> list[dict]:
        from responses.selectors import audit_for

        return AuditEntrySerializer(audit_for("reply", draft.pk), many=True).data


class DraftCreateSerializer(serializers.Serializer):
    review_id = serializers.IntegerField(min_value=1)
    text = serializers.CharField(
        max_length=20_000, required=False, allow_blank=True, trim_whitespace=False
    )
    template_key = serializers.CharField(max_length=80, required=False, allow_blank=True)


class DraftUpdateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=20_000, trim_whitespace=False)
    expected_version = serializers.IntegerField(required=False, min_value=1)
    template_key = serializers.CharField(
        max_length=80, required=False, allow_blank=True, default=""
    )


class ExpectSerializer(serializers.Serializer):
    expected_status = serializers.ChoiceField(choices=ApprovalStatus.choices, required=False)
    expected_version = serializers.IntegerField(required=False, min_value=1)


class ApproveSerializer(ExpectSerializer):
    comment = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class RejectSerializer(ExpectSerializer):
    comment = serializers.CharField(max_length=4000)


class TakeBackSerializer(ExpectSerializer):
    comment = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, default="",
        help_text="Why, for the trail (optional).",
    )  # fmt: skip


class OverrideSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=4000)
    expected_version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The version you read: if its writer saved another since, 409 `stale` and "
        "nothing changes (nobody lifts a block on words they did not see).",
    )


class DraftFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ApprovalStatus.choices, required=False)
    review_id = serializers.IntegerField(required=False, min_value=1)
    pending = serializers.BooleanField(
        required=False, default=False, help_text="Waiting for approval."
    )


# --- private follow-ups ---------------------------------------------------------------------


class FollowUpMessageOutputSerializer(serializers.ModelSerializer):
    direction = serializers.ChoiceField(choices=MessageDirection.choices, read_only=True)
    channel = serializers.ChoiceField(choices=PrivateChannel.choices, read_only=True)
    status = serializers.ChoiceField(choices=MessageStatus.choices, read_only=True)

    class Meta:
        model = FollowUpMessage
        fields = [
            "id",
            "direction",
            "channel",
            "status",
            "text",
            "guard_verdict",
            "guard_findings",
            "author_name",
            "error",
            "created_at",
            "sent_at",
        ]


class PrivateConversationFilterSerializer(serializers.Serializer):
    """The filters of the API's list of follow-ups (`query_params_validated`)."""

    status = serializers.ChoiceField(choices=ConversationStatus.choices, required=False)
    owner_id = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=10**18 - 1,
        error_messages=dict.fromkeys(
            ("invalid", "min_value", "max_value", "max_string_length"), NOT_A_NUMBER
        ),
    )
    overdue = serializers.BooleanField(
        required=False,
        help_text="Only open ones past their due date.",
        error_messages={"invalid": "true or false."},
    )


class FollowUpShowSerializer(serializers.Serializer):
    """The filter of the staff page's list of follow-ups (`responses.selectors.
    followups_shown`): which of its views; the open ones when absent."""

    show = serializers.ChoiceField(
        choices=list(FOLLOWUP_SHOWS.items()),
        required=False,
        error_messages={
            "invalid_choice": "“{input}” is not a view of this list: choose "
            f"{', '.join(FOLLOWUP_SHOWS)}."
        },
    )


class PrivateConversationSerializer(serializers.ModelSerializer):
    channel = serializers.ChoiceField(choices=PrivateChannel.choices, read_only=True)
    status = serializers.ChoiceField(choices=ConversationStatus.choices, read_only=True)
    outcome = serializers.ChoiceField(choices=FollowUpOutcome.choices, read_only=True)
    overdue = serializers.SerializerMethodField(
        help_text="Open and past its due date (its owner has been told)."
    )
    reply_draft_id = serializers.IntegerField(read_only=True, allow_null=True)
    consent_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = PrivateConversation
        fields = [
            "id",
            "review_id",
            "channel",
            "status",
            "owner_id",
            "owner_name",
            "due_at",
            "overdue",
            "outcome",
            "outcome_note",
            "notes",
            "reply_draft_id",
            "consent_id",
            "invited_at",
            "last_inbound_at",
            "opened_by_label",
            "opened_by_name",
            "closed_at",
            "created_at",
            "updated_at",
        ]

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue()


class PrivateConversationDetailSerializer(PrivateConversationSerializer):
    messages = FollowUpMessageOutputSerializer(many=True, read_only=True)

    class Meta(PrivateConversationSerializer.Meta):
        fields = [*PrivateConversationSerializer.Meta.fields, "messages"]


class PrivateConversationInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(
        choices=PrivateChannel.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Blank: the first private channel that reaches the person (Facebook, a "
        "consented e-mail, a consented mobile number); none → 400 `no_private_channel` with "
        "the public reply in `fields.proposal`. `public_reply` drafts that reply for approval.",
    )
    text = serializers.CharField(
        max_length=10_000,
        required=False,
        allow_blank=True,
        default="",
        help_text="The invitation; blank: the channel's template. The guard checks it.",
    )
    owner_id = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Default: you."
    )
    due_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Default: in 48 hours."
    )
    notes = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")


class PrivateConversationUpdateSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=PrivateChannel.choices, required=False)
    status = serializers.ChoiceField(choices=ConversationStatus.choices, required=False)
    notes = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    owner_id = serializers.IntegerField(required=False, allow_null=True)
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    outcome = serializers.ChoiceField(
        choices=PERSON_OUTCOMES,
        required=False,
        allow_blank=True,
        help_text="How it ended; it closes the follow-up unless `status` says otherwise.",
    )
    outcome_note = serializers.CharField(max_length=10_000, required=False, allow_blank=True)


class FollowUpMessageInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10_000)


class FollowUpNoteInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10_000)
    from_person = serializers.BooleanField(
        required=False, default=False, help_text="The person's answer (by phone, in person)."
    )


class FollowUpChannelOutputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=PrivateChannel.choices)
    label = serializers.CharField()
    available = serializers.BooleanField()
    detail = serializers.CharField(help_text="Where it goes, or why it cannot be used.")


class ContactConsentOutputSerializer(serializers.ModelSerializer):
    channel = serializers.ChoiceField(choices=PrivateChannel.choices, read_only=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = ContactConsent
        fields = [
            "id",
            "review_id",
            "channel",
            "address",
            "basis",
            "recorded_by_label",
            "recorded_by_name",
            "recorded_at",
            "revoked_at",
            "revoked_by_name",
            "active",
        ]

    def get_active(self, obj) -> bool:
        return obj.revoked_at is None


class ContactConsentInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(
        choices=PrivateChannel.choices, help_text="`email` or `sms` (the others take no consent)."
    )
    address = serializers.CharField(
        max_length=254, help_text="An e-mail address, or a mobile number (+15550100123)."
    )
    basis = serializers.CharField(
        max_length=2000, help_text="How and when the person agreed to be contacted there."
    )


# --- statements ----------------------------------------------------------------------------


class StatementVersionSerializer(serializers.ModelSerializer):
    guard_verdict = serializers.ChoiceField(choices=Verdict.choices, read_only=True)

    class Meta:
        model = StatementVersion
        fields = [
            "number",
            "title",
            "body",
            "guard_verdict",
            "guard_findings",
            "author_label",
            "author_name",
            "created_at",
        ]


class StatementOutputSerializer(_OverrideMixin, serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=ApprovalStatus.choices, read_only=True)
    guard_verdict = serializers.ChoiceField(choices=Verdict.choices, read_only=True)
    route = serializers.ListField(
        child=serializers.ChoiceField(choices=Step.choices), read_only=True
    )
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    current = serializers.SerializerMethodField()
    published = serializers.SerializerMethodField()
    override = serializers.SerializerMethodField()
    delivery = serializers.SerializerMethodField()

    class Meta:
        model = Statement
        fields = [
            "id",
            "title",
            "status",
            "status_label",
            "version",
            "current",
            "published",
            "is_pinned",
            "guard_verdict",
            "route",
            "author_label",
            "author_name",
            "override",
            "last_comment",
            "submitted_at",
            "approved_at",
            "published_at",
            "unpinned_at",
            "delivery",
            "created_at",
            "updated_at",
        ]

    def get_current(self, statement) -> dict | None:
        version = _current_version(statement)
        return StatementVersionSerializer(version).data if version else None

    def get_published(self, statement) -> dict | None:
        version = statement.published_version
        return StatementVersionSerializer(version).data if version else None

    @extend_schema_field(DeliverySerializer(many=True))
    def get_delivery(self, statement) -> list[dict]:
        return DeliverySerializer(delivery_rows(statement.outbox_items.all()), many=True).data


class StatementDetailSerializer(StatementOutputSerializer):
    waiting = serializers.SerializerMethodField(help_text=WAITING_HELP)
    versions = StatementVersionSerializer(many=True, read_only=True)
    outbox = OutboxItemSerializer(source="outbox_items", many=True, read_only=True)
    audit = serializers.SerializerMethodField()

    class Meta(StatementOutputSerializer.Meta):
        fields = [
            *StatementOutputSerializer.Meta.fields,
            "waiting",
            "versions",
            "outbox",
            "audit",
        ]

    @extend_schema_field(WaitingOutputSerializer(allow_null=True))
    def get_waiting(self, statement) -> dict | None:
        return _waiting("statement", statement, self.context)

    def get_audit(self, statement) -> list[dict]:
        from responses.selectors import audit_for

        return AuditEntrySerializer(audit_for("statement", statement.pk), many=True).data


class StatementInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=20_000)


class StatementUpdateSerializer(serializers.Serializer):
    """A partial update: what is sent changes, what is left out stays as it is."""

    title = serializers.CharField(
        max_length=200, required=False, help_text="Left out: the title stays as it is."
    )
    body = serializers.CharField(
        max_length=20_000, required=False, help_text="Left out: the text stays as it is."
    )
    expected_version = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs):
        if "title" not in attrs and "body" not in attrs:
            raise serializers.ValidationError(
                {"body": ["Send the new title, the new text, or both."]}
            )
        return attrs


class PublishSerializer(serializers.Serializer):
    expected_version = serializers.IntegerField(required=False, min_value=1)


class AuditFilterSerializer(serializers.Serializer):
    object_type = serializers.ChoiceField(
        choices=[
            "reply",
            "statement",
            "outbox",
            "private_conversation",
            "fact",
            "template",
            "settings",
        ],
        required=False,
    )
    object_id = serializers.IntegerField(required=False, min_value=1)
    review_id = serializers.IntegerField(required=False, min_value=1)


class TemplateFilterSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=TemplateCategory.choices, required=False)


# --- reply batches (one answer for many) ------------------------------------------------------


class BatchCreateSerializer(serializers.Serializer):
    cluster_id = serializers.IntegerField(
        required=False, min_value=1, help_text="Answer the mentions of this claim."
    )
    review_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=500,
        help_text="The mentions to answer (with `cluster_id`: some of the claim's mentions).",
    )
    kind = serializers.ChoiceField(choices=BatchKind.choices, required=False)
    text = serializers.CharField(
        max_length=20_000, required=False, allow_blank=True, trim_whitespace=False,
        help_text="The reply; {greeting}, {reviewer_name}, {statement_url}, {fact:<slug>} and "
        "the clinic's variables are filled per mention. Empty: the suggested correction.",
    )  # fmt: skip
    fact_slug = serializers.SlugField(max_length=80, required=False, allow_blank=True, default="")
    statement_id = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs):
        if "cluster_id" not in attrs and "review_ids" not in attrs:
            raise serializers.ValidationError(
                {"review_ids": ["Choose the mentions to answer, or a claim (cluster_id)."]}
            )
        return attrs


class BatchUpdateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=20_000, trim_whitespace=False)
    expected_version = serializers.IntegerField(required=False, min_value=1)


class BatchApproveSerializer(serializers.Serializer):
    expected_version = serializers.IntegerField(
        min_value=1, help_text="The batch version you read (its text and its mentions)."
    )
    comment = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class BatchExpectSerializer(serializers.Serializer):
    expected_version = serializers.IntegerField(required=False, min_value=1)


class BatchRejectSerializer(BatchExpectSerializer):
    comment = serializers.CharField(max_length=4000)


class BatchFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ApprovalStatus.choices, required=False)
    pending = serializers.BooleanField(required=False, default=False)


class BatchItemOutputSerializer(serializers.Serializer):
    review_id = serializers.IntegerField(source="review.pk")
    source = serializers.CharField(source="review.source.kind")
    author_name = serializers.CharField(source="review.author_name")
    review_text = serializers.CharField(source="review.text")
    url = serializers.CharField(source="review.url")
    reach = serializers.IntegerField()
    draft_id = serializers.IntegerField(source="draft.pk")
    draft_status = serializers.CharField(source="draft.status")
    text = serializers.CharField()
    guard_verdict = serializers.CharField()
    state = serializers.ChoiceField(
        choices=list(ITEM_STATES),
        help_text="Where this mention's reply stands: `removed`, taken out of the batch (or "
        "its delivery cancelled); `withdrawn`, its review was settled since (resolved, set "
        "aside, answered, taken down) and no reply goes to it.",
    )
    why = serializers.CharField(
        help_text='For a reply `withdrawn`: why, as its trail says ("The review was resolved '
        'in bulk from the inbox by Ann Lee."); empty otherwise.'
    )
    outbox_item_id = serializers.IntegerField(source="item.pk", allow_null=True, default=None)
    external_url = serializers.CharField(source="item.external_url", default="")
    last_error = serializers.CharField(source="item.last_error", default="")
    limit = serializers.SerializerMethodField(
        help_text="The most characters a reply may have on this mention's platform."
    )
    too_long_by = serializers.SerializerMethodField(
        help_text="Characters over `limit` (0: it fits). While any mention's reply is over, "
        "submitting the batch is refused (400 `too_long`)."
    )

    def get_limit(self, row) -> int:
        return platform_limit(row["review"].source.kind)

    def get_too_long_by(self, row) -> int:
        return over_limit(row["text"], row["review"].source.kind)


class BatchOutputSerializer(_OverrideMixin, serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=ApprovalStatus.choices, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    route = serializers.ListField(
        child=serializers.ChoiceField(choices=Step.choices), read_only=True
    )
    etag = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField()
    review_ids = serializers.SerializerMethodField()
    guard = serializers.SerializerMethodField()
    override = serializers.SerializerMethodField()

    class Meta:
        model = ReplyBatch
        fields = [
            "id", "kind", "cluster_id", "statement_id", "status", "status_label", "version",
            "etag", "text", "review_ids", "guard", "route", "author_label", "author_name",
            "override", "last_comment", "submitted_at", "approved_at", "created_at",
            "updated_at",
        ]  # fmt: skip

    def get_etag(self, batch) -> str:
        return batch_etag(batch)

    def get_text(self, batch) -> str:
        version = _current_version(batch)
        return version.text if version else ""

    def get_review_ids(self, batch) -> list[int]:
        version = _current_version(batch)
        return list(version.review_ids) if version else []

    def get_guard(self, batch) -> dict:
        version = _current_version(batch)
        return {
            "verdict": batch.guard_verdict,
            "findings": version.guard_findings if version else [],
            "blocked": batch.is_blocked,
        }


class BatchDetailSerializer(BatchOutputSerializer):
    waiting = serializers.SerializerMethodField(help_text=WAITING_HELP)
    items = serializers.SerializerMethodField()
    tally = serializers.SerializerMethodField()
    audit = serializers.SerializerMethodField()

    class Meta(BatchOutputSerializer.Meta):
        fields = [*BatchOutputSerializer.Meta.fields, "waiting", "tally", "items", "audit"]

    @extend_schema_field(WaitingOutputSerializer(allow_null=True))
    def get_waiting(self, batch) -> dict | None:
        return _waiting("batch", batch, self.context)

    def _rows(self, batch):
        if not hasattr(batch, "_rows"):
            batch._rows = reply_batch_items(batch)
        return batch._rows

    @extend_schema_field(BatchItemOutputSerializer(many=True))
    def get_items(self, batch) -> list[dict]:
        return BatchItemOutputSerializer(self._rows(batch), many=True).data

    def get_tally(self, batch) -> dict[str, int]:
        return reply_batch_tally(self._rows(batch))

    def get_audit(self, batch) -> list[dict]:
        return AuditEntrySerializer(audit_for("reply_batch", batch.pk), many=True).data


class BatchLeftOutSerializer(serializers.Serializer):
    review_id = serializers.IntegerField()
    draft_id = serializers.IntegerField(
        allow_null=True,
        help_text="The reply the mention already has; null for a mention that needs no reply "
        "any more (`status` `settled`).",
    )
    batch_id = serializers.IntegerField(
        allow_null=True, help_text="The batch that reply belongs to, if any."
    )
    status = serializers.ChoiceField(
        choices=[*ApprovalStatus.choices, ("settled", "Needs no reply (settled in the inbox)")],
        help_text="Where the mention's own reply stands; `settled`: the mention was marked "
        "replied, resolved or set aside in the inbox, so it needs no reply.",
    )
    why = serializers.CharField(help_text="The mention and where its reply stands, in words.")


class BatchCreatedSerializer(BatchDetailSerializer):
    left_out = serializers.SerializerMethodField(
        help_text="A claim answered as a whole (`cluster_id` without `review_ids`): its "
        "mentions left out because they already have a reply (in progress, approved or "
        "published) or need none any more (settled in the inbox). Empty otherwise."
    )

    class Meta(BatchDetailSerializer.Meta):
        fields = [*BatchDetailSerializer.Meta.fields, "left_out"]

    @extend_schema_field(BatchLeftOutSerializer(many=True))
    def get_left_out(self, batch) -> list[dict]:
        return BatchLeftOutSerializer(self.context.get("left_out", []), many=True).data


def batch_etag(batch) -> str:
    """What an approver saw: the batch and its version (text and mentions)."""
    return f'"batch-{batch.pk}-v{batch.version}"'


# --- the approvals log --------------------------------------------------------------------


class ApprovalsLogFilterSerializer(serializers.Serializer):
    """The approvals log's filters (the API's query string and the log's pages)."""

    decided_from = serializers.DateField(
        required=False, help_text="The first day (YYYY-MM-DD, the clinic's time zone)."
    )
    decided_to = serializers.DateField(
        required=False, help_text="The last day, inclusive (YYYY-MM-DD, the clinic's time zone)."
    )
    person = serializers.RegexField(
        ACTOR_LABEL,
        required=False,
        max_length=80,
        error_messages={"invalid": ACTOR_LABEL_INVALID},
        help_text="Who decided: `person.label` of an entry (`user:12`, `api-key:ab12cd34`, "
        "`system:reviews`: Carewatch withdrew a text whose review was settled).",
    )
    step = serializers.ChoiceField(
        choices=LOG_STEP_CHOICES,
        required=False,
        help_text="The step decided: `legal` includes legal's decisions on a privacy block.",
    )
    decision = serializers.ChoiceField(choices=LOG_DECISION_CHOICES, required=False)
    kind = serializers.ChoiceField(
        choices=LOG_KIND_CHOICES,
        required=False,
        help_text="`reply` includes one answer approved for many mentions (a batch).",
    )


class ApprovalsLogPersonSerializer(serializers.Serializer):
    label = serializers.CharField(
        help_text="`user:<id>` or `api-key:<prefix>`: the filter's value."
    )
    name = serializers.CharField()
    role = serializers.CharField(
        help_text='Their role in the clinic when they decided, in words ("manager", '
        '"viewer (Legal / compliance)", "API key").'
    )
    email = serializers.EmailField(
        allow_null=True,
        help_text="The person's e-mail, to tell apart two people of one name; null for an API "
        "key or Carewatch, and, for the clinic's own people and keys, for the agency's staff "
        "(the agency is one party to the clinic, as in an incident's roles).",
    )


class ApprovalsLogFindingSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="`identifier`, `patient_confirmation`, `health_detail` or `tone`."
    )
    subtype = serializers.CharField(help_text="`person`, `phone`, `date`, `record_number`, …")
    severity = serializers.CharField(help_text="`block` or `needs_review`.")
    start = serializers.IntegerField(
        allow_null=True, help_text="Where it starts in `text` (a character offset)."
    )
    end = serializers.IntegerField(allow_null=True, help_text="Where it ends (exclusive).")
    text = serializers.CharField(
        help_text="The words found; empty when a privacy request changed the text since "
        "(`changed_after`)."
    )


class ApprovalsLogEntryOutputSerializer(serializers.Serializer):
    """One decision of the approvals log."""

    id = serializers.IntegerField(help_text="The audit entry's id.")
    decided_at = serializers.DateTimeField(source="at")
    person = serializers.SerializerMethodField()
    step = serializers.ChoiceField(
        choices=[("", "No step: a submission"), *LOG_STEP_CHOICES],
        help_text="The step decided at; empty for a `submitted` entry, which is no step's.",
    )
    step_label = serializers.CharField()
    decision = serializers.ChoiceField(choices=LOG_DECISION_CHOICES)
    decision_words = serializers.CharField(
        help_text='The decision in words, by `decision`. `approved`: "Approved" or "Approved as '
        'a batch of 16 replies", followed by ", then taken back (Ann Lee, 2026-12-05 20:08)" '
        "when its person took the approval back later (who, and when in the clinic's time "
        'zone): it no longer counts as a step given. `rejected`: "Rejected: sent back for '
        'changes". `block_kept`: "Privacy block kept: sent back". `overridden`: "Privacy block '
        'overridden". `discarded`: "Discarded while waiting for the clinic approval" (or the '
        'agency approval, the legal review, the clinician review), "Discarded while blocked, '
        'waiting for legal review", "Discarded while waiting for approval" (no step known), or '
        '"Withdrawn while waiting for the clinic approval: its review was settled" ("its '
        'mentions were settled" for a batch). `submitted`: "Submitted for approval" or '
        '"Submitted to legal review: the privacy check blocks it", followed by " (written by '
        'Wren Writer)" when someone else wrote the version.'
    )
    reason = serializers.CharField(
        help_text="Why: a rejection's or a kept block's comment, an override's reason, an "
        "approval's comment (often empty), why a text was withdrawn (“The review was resolved "
        "in bulk from the inbox by Ann Lee.”)."
    )
    kind = serializers.ChoiceField(choices=LOG_KIND_CHOICES)
    reply_id = serializers.IntegerField(allow_null=True)
    batch_id = serializers.IntegerField(
        allow_null=True, help_text="One answer approved for many mentions."
    )
    batch_size = serializers.IntegerField(
        allow_null=True, help_text="How many mentions the batch's version answered."
    )
    statement_id = serializers.IntegerField(allow_null=True)
    review_id = serializers.IntegerField(allow_null=True)
    what = serializers.CharField(help_text="What was decided on, in words.")
    version = serializers.IntegerField(allow_null=True, help_text="The version decided on.")
    text = serializers.CharField(help_text="The text of that version.")
    changed_after = serializers.CharField(
        help_text="Empty, or why `text` is no longer the text decided on (“Changed after the "
        "decision: the author's name was removed at their request.”)."
    )
    withdrawn_by_edit = serializers.CharField(
        help_text="Empty, or that a later edit withdrew this version while it waited, by whom "
        "and when (“Version 1 withdrawn by an edit (version 2) — Wren Writer, 2026-12-05 "
        "20:08”): the approvals given were for the old text."
    )
    published_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When this version of the reply was published (as the outbox has it), or "
        "null: not published (another version may have been). A batch: when the first of its "
        "mentions' replies was.",
    )
    published_on = serializers.CharField(
        help_text="Where it was published (or failed to be): the source's name, as the outbox "
        "shows it. A batch: one line per mention's reply (“Reply 41: Google source”)."
    )
    published_how = serializers.CharField(
        help_text="“Posted by Carewatch” (the agency's brand for the clinic's people), “Marked "
        "posted by hand by Max Manager”, or why it failed (“Not posted on Google source: …”). "
        "A batch: one line per mention's reply (“Reply 41: Posted by Carewatch”)."
    )
    findings = ApprovalsLogFindingSerializer(
        many=True,
        help_text="A privacy block overridden or kept (`overridden`, `block_kept`): what the "
        "privacy check found in the version decided on, as the decision recorded it; empty "
        "for the other decisions.",
    )

    @extend_schema_field(ApprovalsLogPersonSerializer)
    def get_person(self, row) -> dict:
        return {
            "label": row.person_label,
            "name": row.person_name,
            "role": row.role,
            "email": row.person_email or None,
        }


# --- the agency's approvals log: every clinic's decisions in one list ----------------------------


class AgencyApprovalsLogFilterSerializer(serializers.Serializer):
    """The agency's approvals log's filters (`GET /api/v1/approvals-log/`), those of its page
    (`responses.forms.AgencyApprovalsLogFilterForm`): the clinic, the decision, the step, the
    kind and whole UTC days (the log is agency-wide)."""

    agency = serializers.SlugField(
        required=False,
        help_text="The agency (slug): needed only by a person who manages several; an agency "
        "key reads its own.",
    )
    clinic = serializers.SlugField(
        required=False,
        help_text="Only this clinic's decisions (its slug; one of the agency's clinics).",
    )
    decision = serializers.ChoiceField(choices=LOG_DECISION_CHOICES, required=False)
    step = serializers.ChoiceField(
        choices=LOG_STEP_CHOICES,
        required=False,
        help_text="The step decided: `legal` includes legal's decisions on a privacy block.",
    )
    kind = serializers.ChoiceField(
        choices=LOG_KIND_CHOICES,
        required=False,
        help_text="`reply` includes one answer approved for many mentions (a batch).",
    )
    # agencies have no time zone of their own: the agency's log's days are UTC days, as its
    # page shows its times ("When (UTC)")
    decided_from = day_filter_param(
        "From this day (YYYY-MM-DD, a whole UTC day: the log is agency-wide), "
        "inclusive; 1970-01-01 to 2999-12-31."
    )
    decided_to = day_filter_param(
        "To this day (YYYY-MM-DD, a whole UTC day), inclusive; 1970-01-01 to 2999-12-31."
    )

    date_ranges = (("decided_from", "decided_to"),)  # query_params_validated


class AgencyApprovalsLogClinicSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    log = serializers.CharField(
        help_text="The clinic's own approvals log page at this decision (that day, at its row)."
    )


class AgencyApprovalsLogEntryOutputSerializer(ApprovalsLogEntryOutputSerializer):
    """One decision of the agency's approvals log: a decision of one clinic's log (as
    `approvals-log/` of the clinic gives it, `id` its audit entry's id there) with its
    clinic."""

    clinic = AgencyApprovalsLogClinicSerializer(help_text="The clinic it was made in.")

    def to_representation(self, instance):
        """`instance`: an `AgencyLogRow` (the clinic, the row in words, the clinic log's link)."""
        data = ApprovalsLogEntryOutputSerializer(instance.row, context=self.context).data
        return {
            "clinic": {
                "slug": instance.clinic.slug,
                "name": instance.clinic.name,
                "log": instance.clinic_log_link,
            },
            **data,
        }
