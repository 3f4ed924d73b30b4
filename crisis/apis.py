"""Crisis API under /clinics/<slug>/api/v1/: incidents, their timeline and team, post-crisis
reviews, the response plan, detector settings. Reads need `view`, changes `write`, settings
`manage`."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from clinics.models import CrisisRole
from core.api import (
    ClinicAPIView,
    DayOrInstantField,
    Pagination,
    paginated_response,
    query_params_validated,
)
from core.errors import NotFound as NotSent
from core.permissions import Permission
from core.tenancy import current_clinic
from crisis.models import (
    DetectorSettings,
    EventKind,
    Incident,
    IncidentAssignment,
    IncidentEvent,
    IncidentKind,
    IncidentStatus,
    PostCrisisReview,
    ResponsePlanVersion,
    ReviewQuestion,
    Severity,
)
from crisis.selectors import (
    detector_settings_get,
    incident_counts,
    incident_followups_prefetch,
    incident_get,
    incident_mention_count,
    incident_mentions_shown,
    incident_statements,
    incidents_filtered,
    resolve_checklist,
    response_plan_current,
    review_questions_of,
    review_sent_to_clinic,
)
from crisis.services import (
    detector_settings_update,
    incident_acknowledge,
    incident_assign,
    incident_note_add,
    incident_resolve,
    incident_statement_draft,
    incident_status_set,
    response_plan_save,
    review_apply_to_plan,
    review_for_incident,
    review_metrics_current,
    review_send,
    review_update,
)
from crisis.services.review_questions import MAX_ANSWER, review_question_answer
from crisis.timeline import (
    CATEGORIES,
    clinic_incident_assignments,
    clinic_incident_lines,
    clinic_response_steps,
    review_timeline,
)
from responses.apis.serializers import (
    StatementDetailSerializer,
    StatementInputSerializer,
    StatementOutputSerializer,
)
from responses.selectors import statement_get

# The incident's detail holds its latest events; `incidents/<id>/timeline/` pages through all.
TIMELINE_SHOWN = 100


# --- serializers --------------------------------------------------------------------------


class IncidentTriggerSerializer(serializers.Serializer):
    kind = serializers.CharField(required=False, help_text="The detector that fired.")
    explanation = serializers.CharField(
        required=False, help_text="What the detector saw, in one or two sentences."
    )
    numbers = serializers.DictField(
        required=False, help_text="The detector's figures (counts, baseline, p-value, …)."
    )


class IncidentOutputSerializer(serializers.ModelSerializer):
    trigger = IncidentTriggerSerializer(
        read_only=True, help_text="Why the incident was opened, as the detector saw it then."
    )
    mention_count = serializers.IntegerField(
        read_only=True,
        help_text="How many mentions are linked (`mentions` in the detail lists the newest 200).",
    )
    continues = serializers.IntegerField(
        source="continues_id",
        read_only=True,
        allow_null=True,
        help_text="The id of the earlier incident this one continues: a new wave of a false "
        "claim that incident held, or the same kind of crisis back (a surge resolved while it "
        "still fired), opened within the clinic's `new_wave_hours` of its resolution; null "
        "when it continues none.",
    )
    continued_by = serializers.SerializerMethodField(
        help_text="The ids of the later incidents that continue this one (new waves of a false "
        "claim it held, or of the same crisis), oldest first; empty when none."
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "kind",
            "key",
            "title",
            "severity",
            "status",
            "trigger",
            "opened_at",
            "last_detected_at",
            "acknowledged_at",
            "acknowledged_by",
            "responding_at",
            "resolved_at",
            "reviewed_at",
            "escalated_at",
            "mention_count",
            "continues",
            "continued_by",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_continued_by(self, incident) -> list[int]:
        later = incident.followed_by.all()  # prefetched by the incidents' selectors
        return [i.pk for i in sorted(later, key=lambda i: (i.opened_at, i.pk))]


# The steps of what went out in public that the clinic's copy of a timeline adds to its
# events (`crisis.timeline.clinic_response_steps`), each with a kind of its own.
CLIENT_STEP_KINDS = [
    ("statement_approved", "Statement approved"),
    ("statement_published", "Statement published"),
    ("statement_taken_down", "Statement taken down"),
    ("replies_published", "Replies published"),
    ("review_question", "Question on the post-crisis review"),
    ("review_answer", "Answer to a question on the post-crisis review"),
]


class IncidentEventSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(
        choices=[*EventKind.choices, *CLIENT_STEP_KINDS],
        help_text="What happened; the clinic's copy adds the steps of what went out in public "
        "(`statement_approved`, `statement_published`, …), which have no `id`.",
    )
    id = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The event's id; null in the clinic's copy for a step of what went out in "
        "public (a statement published, the replies, a question on the review).",
    )

    class Meta:
        model = IncidentEvent
        fields = ["id", "kind", "message", "actor", "data", "at", "shared_with_clinic"]


def _clinic_timeline(incident: Incident, clinic) -> list[dict]:
    """The timeline as the clinic's portal shows it (`clinic_incident_lines`, the portal's own
    function): its words, the agency named by its brand, no figures in `data`; a step of what
    went out in public (a statement published, the replies, a question on the review) has no
    `id` and its own `kind`."""
    return IncidentEventSerializer(
        [
            {
                "id": line["event_id"],
                "kind": line["kind"],
                "message": line["text"],
                "actor": line["actor"],
                "data": {},
                "at": line["at"],
                "shared_with_clinic": line["shared_with_clinic"],
            }
            for line in clinic_incident_lines(incident, clinic)
        ],
        many=True,
    ).data


def _agency_timeline(incident: Incident, clinic) -> list[dict]:
    """The agency's copy of the timeline, oldest first: every event of the incident, and the
    steps of what went out in public that the clinic's copy has too (a statement approved,
    published, taken down; the replies published; questions on the review and their
    answers: `clinic_response_steps`, in the agency's words, no `id`), so an agency mirror
    built from it misses nothing the clinic's copy says."""
    events = list(IncidentEvent.objects.filter(incident=incident).order_by("at", "id"))
    steps = [
        {"id": None, "kind": step["kind"], "message": f"{step['title']}: {step['text']}",
         "actor": step["actor"], "data": {}, "at": step["at"], "shared_with_clinic": True}
        for step in clinic_response_steps(incident, clinic, for_agency=True)
    ]  # fmt: skip
    lines = sorted(
        [*events, *steps],
        key=lambda line: (line["at"], 1) if isinstance(line, dict) else (line.at, 0),
    )
    return IncidentEventSerializer(lines, many=True).data


class IncidentAssignmentSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(
        allow_null=True,
        help_text="The person's user id; null in the clinic's copy for a role held by the "
        "agency's staff.",
    )
    user_label = serializers.CharField(
        help_text="The person's name; in the clinic's copy (its own people and keys), a role "
        "held by the agency's staff names the agency by its brand, as the portal does."
    )

    class Meta:
        model = IncidentAssignment
        fields = ["role", "user_id", "user_label", "updated_at"]


class IncidentMentionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    source = serializers.CharField(source="source.kind")
    kind = serializers.CharField()
    author_name = serializers.CharField()
    rating = serializers.IntegerField(allow_null=True)
    text = serializers.CharField()
    url = serializers.CharField()
    published_at = serializers.DateTimeField()
    likes = serializers.IntegerField()
    shares = serializers.IntegerField()
    replies = serializers.IntegerField()
    status = serializers.CharField()
    sentiment = serializers.SerializerMethodField()

    def get_sentiment(self, review) -> str | None:
        scores = getattr(review, "score_list", None)
        return scores[0].label if scores else None


class IncidentDetailSerializer(IncidentOutputSerializer):
    last_evaluation = serializers.JSONField()
    timeline = serializers.SerializerMethodField(
        help_text=f"The latest {TIMELINE_SHOWN} lines of the timeline, oldest first "
        "(`timeline_count` says how many there are in all; `timeline_url` pages through "
        "every one)."
    )
    timeline_count = serializers.SerializerMethodField(
        help_text="How many lines the whole timeline has."
    )
    timeline_url = serializers.SerializerMethodField(
        help_text="The whole timeline, newest first, a page at a time: `incidents/<id>/timeline/`."
    )
    assignments = IncidentAssignmentSerializer(many=True)
    mentions = serializers.SerializerMethodField()
    has_review = serializers.SerializerMethodField()

    class Meta(IncidentOutputSerializer.Meta):
        fields = [
            *IncidentOutputSerializer.Meta.fields,
            "last_evaluation",
            "timeline",
            "timeline_count",
            "timeline_url",
            "assignments",
            "mentions",
            "has_review",
        ]

    def _lines(self, incident) -> list[dict]:
        """The caller's copy of the timeline, oldest first (read once per incident): the
        clinic's own people and keys read the portal's (`_clinic_timeline`), the agency its
        own (`_agency_timeline`)."""
        if getattr(self, "_lines_of", (None,))[0] != incident.pk:
            access, clinic = self.context.get("access"), current_clinic()
            lines = (
                _clinic_timeline(incident, clinic)
                if access is not None and access.is_clinic_side
                else _agency_timeline(incident, clinic)
            )
            self._lines_of = (incident.pk, lines)
        return self._lines_of[1]

    @extend_schema_field(IncidentEventSerializer(many=True))
    def get_timeline(self, incident):
        return self._lines(incident)[-TIMELINE_SHOWN:]

    def get_timeline_count(self, incident) -> int:
        return len(self._lines(incident))

    def get_timeline_url(self, incident) -> str:
        path = f"/clinics/{current_clinic().slug}/api/v1/incidents/{incident.pk}/timeline/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(IncidentMentionSerializer(many=True))
    def get_mentions(self, incident):
        """The newest linked mentions (at most 200; `mention_count` has them all)."""
        return IncidentMentionSerializer(incident_mentions_shown(incident), many=True).data

    def get_has_review(self, incident) -> bool:
        return PostCrisisReview.objects.filter(incident=incident).exists()


class IncidentFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=IncidentStatus.choices, required=False)
    kind = serializers.ChoiceField(choices=IncidentKind.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    opened_from = DayOrInstantField(
        required=False,
        help_text="A day (`2026-12-01`: from its start in the clinic's time zone) or an "
        "instant (ISO 8601 with its offset), inclusive.",
    )
    opened_to = DayOrInstantField(
        required=False,
        help_text="A day (`2026-12-01`: to its end in the clinic's time zone, the whole day "
        "included) or an instant (ISO 8601 with its offset), inclusive.",
    )

    date_ranges = (("opened_from", "opened_to"),)  # query_params_validated


class IncidentStatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    message = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    override_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, default="",
        help_text="Resolving only: why to resolve although the checklist is not all clear.",
    )  # fmt: skip


class IncidentResolveInputSerializer(serializers.Serializer):
    override_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, default="",
        help_text="Needed when the checklist is not all clear: why to resolve anyway.",
    )  # fmt: skip


class ResolveChecklistItemSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=["mentions", "deliveries", "statement", "detector"])
    label = serializers.CharField()
    open = serializers.BooleanField()
    detail = serializers.CharField()


class ResolveChecklistSerializer(serializers.Serializer):
    clear = serializers.BooleanField()
    items = ResolveChecklistItemSerializer(many=True)
    open = serializers.ListField(child=serializers.CharField())
    failed_deliveries = serializers.IntegerField()


class IncidentNoteInputSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=5000)
    shared_with_clinic = serializers.BooleanField(
        default=False,
        help_text="The clinic reads a shared note in its portal and in the post-crisis review "
        "sent to it; by default a note is the agency's own.",
    )


class IncidentAssignInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=CrisisRole.choices)
    user_id = serializers.IntegerField(allow_null=True, min_value=1)


class IncidentCountsSerializer(serializers.Serializer):
    unacknowledged = serializers.IntegerField()
    active = serializers.IntegerField()


class ReviewTimelineLineSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    category = serializers.ChoiceField(choices=list(CATEGORIES.items()))
    category_label = serializers.CharField()
    what = serializers.CharField()
    who = serializers.CharField()
    details = serializers.CharField()
    source = serializers.ChoiceField(
        choices=["incident", "audit", "statement_version", "notification", "review_question"]
    )
    visibility = serializers.ChoiceField(
        choices=["", "internal", "shared"],
        help_text="A note's readers in the agency's copy: `internal` (the agency only) or "
        "`shared` (the clinic reads it too); empty for every other line and in the clinic's copy.",
    )


class PostCrisisReviewSerializer(serializers.ModelSerializer):
    incident = serializers.SerializerMethodField()
    metrics = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()

    class Meta:
        model = PostCrisisReview
        fields = [
            "incident",
            "lessons",
            "prevention",
            "metrics",
            "metrics_frozen_at",
            "timeline",
            "edited_by",
            "plan_version",
            "sent_at",
            "sent_by",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(IncidentOutputSerializer)
    def get_incident(self, review):
        incident = review.incident
        if not hasattr(incident, "mention_count"):
            incident.mention_count = incident_mention_count(incident)
        return IncidentOutputSerializer(incident).data

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_metrics(self, review):
        return review_metrics_current(review)

    @extend_schema_field(ReviewTimelineLineSerializer(many=True))
    def get_timeline(self, review):
        return review_timeline(
            review.incident,
            self.context.get("clinic") or current_clinic(),
            for_client=self.context.get("for_client", False),
        )


class PostCrisisReviewInputSerializer(serializers.Serializer):
    lessons = serializers.CharField(required=False, allow_blank=True, max_length=50_000)
    prevention = serializers.CharField(required=False, allow_blank=True, max_length=50_000)


class ReviewQuestionOutputSerializer(serializers.ModelSerializer):
    asked_by = serializers.CharField(
        source="asked_by_name", help_text="The clinic's person who asked, as named then."
    )
    asked_at = serializers.DateTimeField(source="created_at")
    answer = serializers.CharField(help_text="The agency's answer; empty until answered.")
    answered_by = serializers.CharField(
        source="answered_by_name",
        help_text="Who of the agency answered (a person, or an API key's name), as named then; "
        "empty until answered.",
    )

    class Meta:
        model = ReviewQuestion
        fields = ["id", "text", "asked_by", "asked_at", "answer", "answered_by", "answered_at"]


class ReviewQuestionAnswerInputSerializer(serializers.Serializer):
    # blank and length are the service's to refuse, in the review page's words
    answer = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"The answer the clinic reads on the review in its portal: at most "
        f"{MAX_ANSWER} characters (surrounding spaces are dropped).",
    )


class ResponsePlanVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ResponsePlanVersion
        fields = ["version", "text", "note", "author", "from_review", "created_at"]


class ResponsePlanVersionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = ResponsePlanVersion
        fields = ["version", "note", "author", "created_at"]


class ResponsePlanSerializer(serializers.Serializer):
    current = ResponsePlanVersionSerializer(allow_null=True)
    versions = ResponsePlanVersionSummarySerializer(many=True)


class ResponsePlanInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=50_000)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class DetectorSettingsSerializer(serializers.ModelSerializer):
    watch_words = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=100
    )
    updated_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Null while the clinic uses the defaults."
    )

    class Meta:
        model = DetectorSettings
        exclude = ["id"]


# --- APIs ---------------------------------------------------------------------------------


def _incident(incident_id: int) -> Incident:
    incident = incident_get(incident_id)
    if incident is None:
        raise NotFound()
    return incident


def _detail(incident_id: int, access, request=None) -> Response:
    """The incident as the caller may read it: the clinic's own people and keys read its
    timeline as the portal shows it (`_clinic_timeline`: no internal notes, no plumbing, no
    figures, no agency staff by name, the agency's brand), and its assignments so too
    (`clinic_incident_assignments`); the agency reads its own copy. Either way the latest
    `TIMELINE_SHOWN` lines, with the count of all and the link to them."""
    incident = _incident(incident_id)
    incident.mention_count = incident_mention_count(incident)
    data = IncidentDetailSerializer(incident, context={"request": request, "access": access}).data
    if access.is_clinic_side:
        data["assignments"] = IncidentAssignmentSerializer(
            clinic_incident_assignments(incident, current_clinic()), many=True
        ).data
    return Response(data)


class IncidentListApi(ClinicAPIView):
    """The clinic's incidents, newest first; filter by `status`, `kind`, `severity` and when
    they opened (`opened_from`, `opened_to`). A value it cannot read, a parameter it does not
    know or `opened_to` before `opened_from` is a 400 naming it."""

    pagination_class = Pagination

    @extend_schema(
        parameters=[IncidentFilterSerializer], responses=IncidentOutputSerializer(many=True)
    )
    def get(self, request):
        filters = query_params_validated(IncidentFilterSerializer, request.query_params)
        incidents = incidents_filtered(**filters).prefetch_related(incident_followups_prefetch())
        return paginated_response(self, incidents, IncidentOutputSerializer)


class IncidentCountsApi(ClinicAPIView):
    """How many incidents nobody acknowledged yet, and how many are active."""

    @extend_schema(responses=IncidentCountsSerializer)
    def get(self, request):
        return Response(incident_counts())


class IncidentDetailApi(ClinicAPIView):
    """An incident with its timeline, assignees and linked mentions."""

    @extend_schema(responses=IncidentDetailSerializer)
    def get(self, request, incident_id: int):
        return _detail(incident_id, self.access, request)


class IncidentTimelineListApi(ClinicAPIView):
    """The incident's whole timeline, newest first, a page at a time (`next` goes back in
    time; `page_size` up to 1000): the agency's events as the detail lists them; for the
    clinic's own people and keys, its copy as the portal shows it (`_clinic_timeline`). The
    incident's detail holds only the latest lines. A `cursor` the API did not give is a
    400."""

    @extend_schema(responses=IncidentEventSerializer(many=True))
    def get(self, request, incident_id: int):
        incident = _incident(incident_id)
        if self.access.is_clinic_side:
            lines = _clinic_timeline(incident, current_clinic())
        else:
            lines = _agency_timeline(incident, current_clinic())
        return paginated_response(self, list(reversed(lines)), _TimelineLineSerializer)


class _TimelineLineSerializer(serializers.Serializer):
    """A line of the clinic's copy, already serialized (`_clinic_timeline`), as it is."""

    def to_representation(self, instance):
        return instance


class IncidentAcknowledgeApi(ClinicAPIView):
    """Acknowledge an open incident (stops the escalation). 409 `already_acknowledged` (naming
    who and when; nothing changes) when it is acknowledged already; 400 `invalid_transition`
    when it moved on (responding, resolved). Who may: whoever may act on the clinic's
    incidents (`ClinicAccess.acts_on_incidents`: `write`, or a crisis role in the clinic, as
    the portal's button and the one-click links); anyone else is a 403."""

    write_permission = Permission.VIEW  # acknowledging is decided by `acts_on_incidents`

    @extend_schema(request=None, responses=IncidentDetailSerializer)
    def post(self, request, incident_id: int):
        _incident(incident_id)
        if not self.access.acts_on_incidents:
            raise PermissionDenied(self.access.refusal(Permission.WRITE))
        incident_acknowledge(incident_id=incident_id, actor=self.actor, channel="api")
        return _detail(incident_id, self.access, request)


class IncidentStatusApi(ClinicAPIView):
    """Change the status: open → acknowledged → responding → resolved → reviewed (forward
    only; 400 `invalid_transition` otherwise). Resolving drafts the post-crisis review and
    follows the resolve checklist's rule (see `incidents/<id>/resolve/`)."""

    @extend_schema(request=IncidentStatusInputSerializer, responses=IncidentDetailSerializer)
    def post(self, request, incident_id: int):
        data = IncidentStatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        incident_status_set(
            incident_id=incident_id, actor=self.actor, channel="api", **data.validated_data
        )
        return _detail(incident_id, self.access, request)


class IncidentResolveApi(ClinicAPIView):
    """GET: what is still open before resolving (unanswered high-reach mentions, failed or
    unconfirmed deliveries, no published statement, the detector still firing). POST: resolve
    when all clear, or anyway with `override_reason` (kept on the timeline event's `data`).
    409 `checklist_open` (with `fields.open_items`) when not all clear and no reason; 409
    `already_resolved` when it is resolved already; nothing changes either way."""

    @extend_schema(responses=ResolveChecklistSerializer)
    def get(self, request, incident_id: int):
        return Response(ResolveChecklistSerializer(resolve_checklist(_incident(incident_id))).data)

    @extend_schema(request=IncidentResolveInputSerializer, responses=IncidentDetailSerializer)
    def post(self, request, incident_id: int):
        _incident(incident_id)
        data = IncidentResolveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        incident_resolve(
            incident_id=incident_id, actor=self.actor, channel="api", **data.validated_data
        )
        return _detail(incident_id, self.access, request)


class IncidentNoteApi(ClinicAPIView):
    """Add a note to the timeline; answers the note (201), as the timeline lists it. A note is
    internal to the agency (its room and this API) unless `shared_with_clinic` is true: the
    clinic then reads it in its portal and in the post-crisis review sent to it."""

    @extend_schema(request=IncidentNoteInputSerializer, responses={201: IncidentEventSerializer})
    def post(self, request, incident_id: int):
        data = IncidentNoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = incident_note_add(
            incident_id=incident_id,
            message=data.validated_data["message"],
            shared_with_clinic=data.validated_data["shared_with_clinic"],
            actor=self.actor,
        )
        return Response(IncidentEventSerializer(note).data, status=status.HTTP_201_CREATED)


class IncidentStatementListApi(ClinicAPIView):
    """The official statements drafted from this incident. POST drafts one (version 1, checked by
    the guard, then approved and published like any statement); the timeline records it. The
    clinic's own people and keys list those that reached the clinic, as `statements/` does."""

    @extend_schema(responses=StatementOutputSerializer(many=True))
    def get(self, request, incident_id: int):
        incident = incident_get(incident_id)
        if incident is None:
            raise NotFound()
        statements = incident_statements(incident, access=self.access)
        return paginated_response(self, statements, StatementOutputSerializer)

    @extend_schema(request=StatementInputSerializer, responses={201: StatementDetailSerializer})
    def post(self, request, incident_id: int):
        data = StatementInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement = incident_statement_draft(
            incident_id=incident_id, access=self.access, **data.validated_data
        )
        return Response(
            StatementDetailSerializer(statement_get(statement.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class IncidentAssignApi(ClinicAPIView):
    """Give a crisis role of this incident to a person of the clinic or the agency
    (`user_id: null` clears it)."""

    @extend_schema(request=IncidentAssignInputSerializer, responses=IncidentDetailSerializer)
    def post(self, request, incident_id: int):
        data = IncidentAssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        incident_assign(
            incident_id=incident_id,
            clinic=self.clinic,
            actor=self.actor,
            **data.validated_data,
        )
        return _detail(incident_id, self.access, request)


def _review_context(view) -> dict:
    """The clinic's own people and keys read the review's timeline as the clinic's copy has it
    (`review_timeline(for_client=True)`)."""
    return {"clinic": view.clinic, "for_client": view.access.is_clinic_side}


def _review(incident_id: int, access=None) -> PostCrisisReview:
    """404 for an unknown incident, 409 `not_resolved` while it runs (JSON, like every error).
    The clinic's own people and keys (`access`) read it only once the agency sent it, as in
    their portal (`review_sent_to_clinic`): before, 404 `review_not_sent`."""
    review = review_for_incident(incident_id)
    if access is not None and access.is_clinic_side and review_sent_to_clinic(incident_id) is None:
        raise NotSent(
            "Your agency has not sent this incident's post-crisis review yet.",
            code="review_not_sent",
        )
    return review


class IncidentReviewApi(ClinicAPIView):
    """The post-crisis review (drafted on resolve): trigger, timeline, metrics, and the
    lessons and prevention steps the team writes. Windows run from the crisis onset (the first
    mention the alert counted, never after the detection): `before` the week before it (or the
    crisis's length if longer), `during` onset → resolution, `after` a day from the resolution
    (or the crisis's length if longer; `state` `complete`, `in_progress` or `not_yet`), each
    with `days` and `per_day` since their lengths differ, and cut into `buckets` bars in
    `series` (a day each for a window of 2 to 14 whole days, as the week before is; six
    otherwise); a clinic whose history starts inside the week before has `before` from its
    first item (`history_from`). `metrics.publishing` counts what failed to post (replies to
    the mentions, the statements) for good at least once, by reason, and how each ended;
    `metrics.channels_down` lists the channels that stopped delivering while the crisis ran
    (why, who turned it off or disconnected it, from when to when, how long of the crisis, how
    many of its mentions came from each), and `timeline` says when each stopped and came back.
    Response times are measured from
    detection; `metrics.first_public_response` says what counted (the first published
    statement or the first reply to a mention, whichever came first);
    `metrics.statements` lists the official statements drafted from the incident and
    `timeline` every event of the incident and of its replies, deliveries, follow-ups and
    statements. 409 `not_resolved` while the incident is still running; for the clinic's own
    people and keys 404 `review_not_sent` until the agency sent it."""

    may_conflict = True

    @extend_schema(responses=PostCrisisReviewSerializer)
    def get(self, request, incident_id: int):
        review = _review(incident_id, self.access)
        return Response(PostCrisisReviewSerializer(review, context=_review_context(self)).data)

    @extend_schema(request=PostCrisisReviewInputSerializer, responses=PostCrisisReviewSerializer)
    def patch(self, request, incident_id: int):
        _review(incident_id)
        data = PostCrisisReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = review_update(incident_id=incident_id, actor=self.actor, **data.validated_data)
        return Response(PostCrisisReviewSerializer(review, context=_review_context(self)).data)


class _JsonOnlyNegotiation(DefaultContentNegotiation):
    """`?format=` selects the export's format here, not DRF's renderer; errors are JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class IncidentReviewExportApi(ClinicAPIView):
    """The review as a file, branded with the agency's name, logo and colour: `?format=html`
    (default, self-contained) or `?format=pdf` (tagged PDF/UA-1, the same charts). 409
    `not_resolved` while the incident is still running."""

    may_conflict = True

    content_negotiation_class = _JsonOnlyNegotiation

    @extend_schema(
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["html", "pdf"])],
        responses={
            (200, "text/html"): OpenApiResponse(OpenApiTypes.STR),
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )
    def get(self, request, incident_id: int):
        from crisis.export import review_html, review_pdf

        fmt = request.query_params.get("format", "html")
        if fmt not in ("html", "pdf"):
            raise ValidationError({"format": ["Choose html or pdf."]})
        review = _review(incident_id, self.access)
        name = f"incident-{incident_id}-review.{fmt}"
        if fmt == "pdf":
            response = HttpResponse(review_pdf(review, self.clinic), content_type="application/pdf")
        else:
            response = HttpResponse(
                review_html(review, self.clinic), content_type="text/html; charset=utf-8"
            )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class ReviewSendApi(ClinicAPIView):
    """Send the review to the clinic: its people are told (in-app and e-mail, as each chose)
    and read it, with its PDF, in the client portal. Sending again tells them again. 400
    `no_recipients` when the clinic has no people; 409 `not_resolved` while it runs."""

    @extend_schema(request=None, responses=PostCrisisReviewSerializer)
    def post(self, request, incident_id: int):
        review = review_send(incident_id=incident_id, clinic=self.clinic, actor=self.actor)
        return Response(PostCrisisReviewSerializer(review, context=_review_context(self)).data)


class ReviewApplyToPlanApi(ClinicAPIView):
    """Append the review's prevention steps to the response plan as a new version."""

    @extend_schema(request=None, responses={201: ResponsePlanVersionSerializer})
    def post(self, request, incident_id: int):
        _review(incident_id)
        version = review_apply_to_plan(incident_id=incident_id, actor=self.actor)
        return Response(ResponsePlanVersionSerializer(version).data, status=201)


class ReviewQuestionListApi(ClinicAPIView):
    """The clinic's questions or corrections on the post-crisis review, oldest first, each
    with the agency's answer (empty until answered): the clinic's approvers and legal people
    ask them on the review in its portal once it was sent to the clinic. 404 for an unknown
    incident; 409 `not_resolved` while it runs; for the clinic's own people and keys 404
    `review_not_sent` until the agency sent the review."""

    may_conflict = True

    @extend_schema(responses=ReviewQuestionOutputSerializer(many=True))
    def get(self, request, incident_id: int):
        review = _review(incident_id, self.access)
        return paginated_response(
            self, review_questions_of(review.incident), ReviewQuestionOutputSerializer
        )


class ReviewQuestionAnswerApi(ClinicAPIView):
    """Answer the clinic's question on the post-crisis review, as the agency does on the
    review's page (the agency's people and keys with `write`): the clinic reads the answer on
    the review in its portal and the person who asked is told in-app and by e-mail. An answer
    is given once: 409 `already_answered` (naming who answered and when) for a question
    answered already. 400 with `fields.answer` for an empty or over-long answer (nothing
    changes); 404 for a question that is not one of this incident's review."""

    @extend_schema(
        request=ReviewQuestionAnswerInputSerializer, responses=ReviewQuestionOutputSerializer
    )
    def post(self, request, incident_id: int, question_id: int):
        data = ReviewQuestionAnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        question = review_question_answer(
            incident_id=incident_id,
            question_id=question_id,
            clinic=self.clinic,
            actor=self.actor,
            answer=data.validated_data["answer"],
        )
        return Response(ReviewQuestionOutputSerializer(question).data)


class ResponsePlanApi(ClinicAPIView):
    """The clinic's crisis response plan: the current text and every version. PUT stores a
    new version."""

    @extend_schema(responses=ResponsePlanSerializer)
    def get(self, request):
        return Response(
            {
                "current": ResponsePlanVersionSerializer(response_plan_current()).data
                if response_plan_current()
                else None,
                "versions": ResponsePlanVersionSummarySerializer(
                    ResponsePlanVersion.objects.order_by("-version"), many=True
                ).data,
            }
        )

    @extend_schema(
        request=ResponsePlanInputSerializer,
        responses={
            201: ResponsePlanVersionSerializer,
            200: OpenApiResponse(
                ResponsePlanVersionSerializer,
                description="The same text and note as the current version (sent twice): "
                "nothing is stored; the current version.",
            ),
        },
    )
    def put(self, request):
        data = ResponsePlanInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        before = response_plan_current()
        version = response_plan_save(actor=self.actor, **data.validated_data)
        unchanged = before is not None and version.pk == before.pk
        return Response(
            ResponsePlanVersionSerializer(version).data, status=200 if unchanged else 201
        )


class ResponsePlanVersionApi(ClinicAPIView):
    @extend_schema(responses=ResponsePlanVersionSerializer)
    def get(self, request, version: int):
        found = ResponsePlanVersion.objects.filter(version=version).first()
        if found is None:
            raise NotFound()
        return Response(ResponsePlanVersionSerializer(found).data)


class DetectorSettingsApi(ClinicAPIView):
    """The clinic's detector thresholds and watch words (defaults until changed). Changing
    them needs the `manage` permission."""

    write_permission = Permission.MANAGE

    @extend_schema(responses=DetectorSettingsSerializer)
    def get(self, request):
        return Response(DetectorSettingsSerializer(detector_settings_get()).data)

    @extend_schema(request=DetectorSettingsSerializer, responses=DetectorSettingsSerializer)
    def patch(self, request):
        data = DetectorSettingsSerializer(detector_settings_get(), data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        settings = detector_settings_update(actor=self.actor, **data.validated_data)
        return Response(DetectorSettingsSerializer(settings).data)
