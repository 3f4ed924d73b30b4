from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from drf_spectacular.extensions import (
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from clinics.models import Clinic
from core.api import (
    AnonymousAPIView,
    ClinicAPIView,
    HookRateThrottle,
    deprecation_mark,
    paginated_response,
)
from core.errors import TooLarge
from core.parsers import JsonParser
from core.permissions import Permission
from feeds.models import ImportJob, ItemKind, Source, SourceKind
from feeds.selectors import connection_state
from feeds.services import (
    MAX_BATCH,
    MAX_IDEMPOTENCY_KEY,
    batch_items,
    import_job_create,
    items_ingest_idempotent,
    json_hash,
    request_hash,
    source_create,
    source_update,
    webhook_receive,
    webhook_secret_ensure,
    webhook_url,
)
from feeds.source_settings import source_settings_schemas
from feeds.validation import MAX_COUNT, MAX_TEXT


class ReviewIngestItemInputSerializer(serializers.Serializer):
    """One review or mention. `feeds.validation.parse_item` validates it (a 1,000-item batch
    must validate fast); this serializer describes it."""

    source = serializers.ChoiceField(
        choices=SourceKind.choices,
        required=False,
        help_text="The platform: the clinic's source of this kind that is turned on (else its "
        "only one; created on first use). Several turned on: send `source_id`. Send `source` "
        "or `source_id`.",
    )
    source_id = serializers.IntegerField(required=False, help_text="One of the clinic's sources.")
    external_id = serializers.CharField(max_length=255, help_text="The platform's id of the item.")
    kind = serializers.ChoiceField(choices=ItemKind.choices, required=False, default="review")
    author_name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="The reviewer's name as the platform shows it (`author` is accepted until "
        "the next release, with a `Deprecation` header).",
    )
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    text = serializers.CharField(
        max_length=MAX_TEXT,
        required=False,
        allow_blank=True,
        help_text="Empty or null counts as not sent: an update keeps the stored text.",
    )
    language = serializers.CharField(max_length=16, required=False, allow_blank=True)
    url = serializers.URLField(max_length=1000, required=False, allow_blank=True)
    published_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(required=False, allow_null=True)
    likes = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False)
    shares = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False)
    replies = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False)
    parent_external_id = serializers.CharField(max_length=255, required=False, allow_blank=True)
    deleted = serializers.BooleanField(required=False, default=False)


class ReviewIngestBatchInputSerializer(serializers.Serializer):
    items = ReviewIngestItemInputSerializer(many=True, max_length=MAX_BATCH, min_length=1)


class ReviewIngestInputSerializer(serializers.Serializer):
    """The ingest body: one item, a list of items, or `{"items": [...]}`. An object without
    any field of an item is read as a batch, whose `items` is then missing."""


class ReviewIngestInputSchema(OpenApiSerializerExtension):
    target_class = "feeds.apis.ReviewIngestInputSerializer"

    def map_serializer(self, auto_schema, direction):
        item = auto_schema.resolve_serializer(ReviewIngestItemInputSerializer, direction).ref
        batch = auto_schema.resolve_serializer(ReviewIngestBatchInputSerializer, direction).ref
        many = {"type": "array", "items": item, "minItems": 1, "maxItems": MAX_BATCH}
        return {"oneOf": [item, many, batch]}


class IngestItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The item's position in the batch.")
    external_id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged", "rejected"])
    id = serializers.IntegerField(required=False, help_text="The review's id (not if rejected).")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Rejected: the messages of each field, as `fields` of every error.",
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Deprecated: `fields` (the same messages; sent until the next release).",
    )


class IngestResultSerializer(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField())
    results = IngestItemResultSerializer(many=True)
    replayed = serializers.BooleanField(
        required=False,
        help_text="True when this is the stored answer to an earlier call with the same "
        "`Idempotency-Key` and body: nothing was changed this time.",
    )


TOO_LARGE = "Request body too large."


def _json_body(request):
    try:
        return request.data
    except RequestDataTooBig:
        raise TooLarge(TOO_LARGE) from None


class ReviewIngestApi(ClinicAPIView):
    """Push reviews and mentions: one item, a list, or {"items": [...]} of at most 1,000.
    Each item names its `source` (a kind; the clinic's source of that kind, created on first
    use) or `source_id`. Per-item results: created / updated / unchanged / rejected with the
    reasons. Send an `Idempotency-Key` header to make a retry safe."""

    parser_classes = [JsonParser]
    # each item's values are checked by `feeds.validation.parse_item`, which rejects that item
    # alone (a NUL, a number too large): InputTextMiddleware leaves them to it
    values_checked_per_item = True

    @extend_schema(
        request=ReviewIngestInputSerializer,
        responses={200: IngestResultSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                {"type": "string", "maxLength": MAX_IDEMPOTENCY_KEY},
                OpenApiParameter.HEADER,
                description="Makes a retry safe: the same key and body answer the first answer "
                f"again (`replayed`); at most {MAX_IDEMPOTENCY_KEY} characters.",
            )
        ],
    )
    def post(self, request):
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise TooLarge(TOO_LARGE)
        try:
            body_hash = request_hash(request.body)  # read first: the parser then reads a copy
        except RequestDataTooBig:
            raise TooLarge(TOO_LARGE) from None
        items = batch_items(_json_body(request))
        if len(items) > MAX_BATCH:
            raise TooLarge(
                f"A batch holds at most {MAX_BATCH:,} items (got {len(items):,}).",
                fields={"items": [f"At most {MAX_BATCH:,} items (got {len(items):,})."]},
            )
        response = items_ingest_idempotent(
            raw_items=items,
            idempotency_key=request.headers.get("Idempotency-Key", "").strip() or None,
            body_hashes=(json_hash(_json_body(request)), body_hash),
        )
        answer = Response(response, status=status.HTTP_200_OK)
        old_names = any(isinstance(item, dict) and "author" in item for item in items)
        deprecation_mark(answer, used=["author"] if old_names else [])
        return answer


class SourceSettingsField(serializers.DictField):
    """A source's `settings`: the keys of its kind (`feeds.source_settings`), checked by the
    services (a key its kind does not take is a 400 on `settings.<key>` naming those it
    takes); documented as one object per kind."""


class SourceSettingsFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "feeds.apis.SourceSettingsField"

    def map_serializer_field(self, auto_schema, direction):
        refs = []
        for name, schema in source_settings_schemas().items():
            component = ResolvedComponent(
                name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
            )
            auto_schema.registry.register_on_missing(component)
            refs.append(component.ref)
        described = (
            "The settings of the source's `kind`, one object per kind (GoogleSourceSettings, "
            "FacebookSourceSettings, InstagramSourceSettings, YelpSourceSettings; "
            "NoSourceSettings for the others). Every key may be left out; a key the kind does "
            "not take, or a value of another type, is a 400 on `settings.<key>` that names the "
            "keys it takes."
        )
        if self.target.help_text:
            described = f"{self.target.help_text} {described}"
        if direction == "response":  # as stored: a source added before the check keeps its keys
            return {"type": "object", "additionalProperties": {}, "description": described}
        # anyOf, not oneOf: the kinds share keys (a page_id), and {} is every kind's
        return {"anyOf": refs, "description": described}


class SourceConnectionSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["connected", "lost", "by_hand", "not_connected", "not_applicable"],
        help_text="connected: signed in with OAuth; lost: the platform refused to renew "
        "(reconnect on the sources page); by_hand: credentials entered through the API; "
        "not_connected: replies cannot be posted until someone connects it; not_applicable: "
        "CSV, webhook and other kinds that need no account.",
    )
    account_name = serializers.CharField(help_text="The location or page it posts to.")
    grantee = serializers.CharField(help_text="Who signed in at the platform.")
    connected_at = serializers.DateTimeField(allow_null=True)
    connected_by = serializers.CharField(help_text="Who connected it in Carewatch.")
    access_ends_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When access ends unless someone reconnects (Facebook); null when it renews "
        "by itself.",
    )
    renewal_failures = serializers.IntegerField()
    error = serializers.CharField(help_text="The platform's answer when renewing failed.")


class SourceOutputSerializer(serializers.ModelSerializer):
    settings = SourceSettingsField(read_only=True)
    has_credentials = serializers.SerializerMethodField()
    connection = serializers.SerializerMethodField()

    class Meta:
        model = Source
        fields = [
            "id",
            "kind",
            "name",
            "settings",
            "enabled",
            "poll_interval_minutes",
            "has_credentials",
            "connection",
            "replies_by_hand",
            "history_before",
            "next_poll_at",
            "last_success_at",
            "last_error_at",
            "last_error",
            "consecutive_failures",
            "is_healthy",
            "created_at",
        ]
        read_only_fields = ["replies_by_hand", "history_before"]
        extra_kwargs = {
            "history_before": {
                "help_text": "Its items published before this are past reviews: no reply "
                "clock, no SLA breach, left out of the reports' time to reply (the answer to "
                "“the reviews already there are past reviews” when it started reading: "
                "`backlog_past`, or the Connect page's box). `null`: every item counts."
            },
            "replies_by_hand": {
                "help_text": "The agency posts replies on this channel by hand (set on the "
                "Sources page): an approved reply goes to “To post by hand” (`delivery` state "
                "`by_hand`) instead of being sent."
            },
        }

    def get_has_credentials(self, source) -> bool:
        return bool(source.credentials_encrypted)

    @extend_schema_field(SourceConnectionSerializer)
    def get_connection(self, source) -> dict:
        return SourceConnectionSerializer(connection_state(source)).data


class SourceInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    settings = SourceSettingsField(required=False, default=dict)
    credentials = serializers.DictField(required=False, default=dict, write_only=True)
    poll_interval_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60, default=15)
    backlog_past = serializers.BooleanField(
        default=True,
        help_text="“The reviews already there are past reviews (do not count them against the "
        "reply target)”, as on the Sources page: `true` (the default), the items published "
        "before the source is added are past reviews (`history_before`), however they come "
        "in (read from the platform, pushed, posted to its webhook); `false`, every item "
        "counts. Not asked of a `csv` source: each CSV import says it (`past_reviews`).",
    )


class SourceCreatedOutputSerializer(SourceOutputSerializer):
    """A source as created: a webhook source adds where to post and the signing secret, shown
    in this answer only."""

    webhook_url = serializers.CharField(
        required=False,
        help_text="A `webhook` source only: the absolute URL to post signed items to.",
    )
    webhook_secret = serializers.CharField(
        required=False,
        help_text="A `webhook` source only: the signing secret, in this answer only.",
    )

    class Meta(SourceOutputSerializer.Meta):
        fields = [*SourceOutputSerializer.Meta.fields, "webhook_secret", "webhook_url"]


class SourceUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    settings = SourceSettingsField(
        required=False,
        help_text="Replaces the settings as a whole (send every key to keep); checked as when "
        "the source is added.",
    )
    credentials = serializers.DictField(required=False, write_only=True)
    enabled = serializers.BooleanField(required=False)
    poll_interval_minutes = serializers.IntegerField(min_value=1, max_value=24 * 60, required=False)


class SourceListApi(ClinicAPIView):
    """The clinic's sources. Credentials are write-only: stored encrypted, never returned. A
    webhook source's signing secret is in the creation response only. Adding a source the
    clinic has already (the same kind, name and settings) is a 409 `source_exists` naming
    its id; two of a kind differ by name or settings (two Facebook pages)."""

    write_permission = Permission.MANAGE

    @extend_schema(responses=SourceOutputSerializer(many=True))
    def get(self, request):
        return paginated_response(
            self,
            Source.objects.select_related("connection").order_by("name", "pk"),
            SourceOutputSerializer,
        )

    @extend_schema(request=SourceInputSerializer, responses={201: SourceCreatedOutputSerializer})
    def post(self, request):
        data = SourceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        source = source_create(
            **data.validated_data, readable=True, actor=self.actor, refuse_same=True
        )
        body = SourceOutputSerializer(source).data
        if source.kind == SourceKind.WEBHOOK:
            body["webhook_secret"] = webhook_secret_ensure(source=source)
            body["webhook_url"] = webhook_url(self.clinic, source)
        return Response(body, status=status.HTTP_201_CREATED)


class SourceDetailApi(ClinicAPIView):
    write_permission = Permission.MANAGE

    def _source(self, source_id: int) -> Source:
        source = Source.objects.filter(pk=source_id).first()
        if source is None:
            raise NotFound()
        return source

    @extend_schema(responses=SourceOutputSerializer)
    def get(self, request, source_id: int):
        return Response(SourceOutputSerializer(self._source(source_id)).data)

    @extend_schema(request=SourceUpdateSerializer, responses=SourceOutputSerializer)
    def patch(self, request, source_id: int):
        source = self._source(source_id)
        data = SourceUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(
            SourceOutputSerializer(
                source_update(source=source, actor=self.actor, **data.validated_data)
            ).data
        )


class ImportLineErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The line of the CSV file.")
    error = serializers.CharField(help_text="What is wrong, in one line.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="The messages of each field, as `fields` of every error (empty when the line "
        "is not CSV).",
    )


class ImportJobSerializer(serializers.ModelSerializer):
    errors = ImportLineErrorSerializer(many=True, read_only=True, help_text="The first 1,000.")

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "filename",
            "status",
            "total_rows",
            "processed_rows",
            "created_count",
            "updated_count",
            "unchanged_count",
            "error_count",
            "errors",
            "warnings",
            "failure",
            "past_reviews",
            "created_at",
            "finished_at",
        ]
        extra_kwargs = {  # noqa: RUF012 - DRF reads it as a class attribute
            "warnings": {
                "help_text": "What the file has that the import does not read, in words (the "
                "columns it ignores); known when the file is accepted."
            },
            "past_reviews": {
                "help_text": "The reviews it created are past reviews: no reply clock runs for "
                "them, and they never count against the reply target."
            },
        }


class ImportListApi(ClinicAPIView):
    """Upload a CSV (multipart field `file`); it is imported by a worker. Poll the job for
    progress and the rejected lines."""

    parser_classes = [MultiPartParser]

    @extend_schema(responses=ImportJobSerializer(many=True))
    def get(self, request):
        return paginated_response(
            self, ImportJob.objects.order_by("-created_at"), ImportJobSerializer
        )

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "past_reviews": {
                        "type": "boolean",
                        "default": False,
                        "description": "`true`: these are the clinic's past reviews (a back-fill "
                        "of its history); the reviews created get no reply clock and never "
                        "count against the reply target.",
                    },
                },
            }
        },
        responses={202: ImportJobSerializer},
    )
    def post(self, request):
        try:
            upload = request.FILES.get("file")
        except RequestDataTooBig:
            raise TooLarge(TOO_LARGE) from None
        if upload is None:
            raise ValidationError({"file": ["Choose a CSV file."]})
        past = request.data.get("past_reviews", "false")
        if str(past).lower() not in ("true", "false"):
            raise ValidationError({"past_reviews": ["Must be true or false."]})
        job = import_job_create(
            filename=upload.name,
            data=upload.read(),
            created_by_id=getattr(self.actor.user, "pk", None),
            past_reviews=str(past).lower() == "true",
        )
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ImportDetailApi(ClinicAPIView):
    @extend_schema(responses=ImportJobSerializer)
    def get(self, request, job_id: int):
        job = ImportJob.objects.filter(pk=job_id).first()
        if job is None:
            raise NotFound()
        return Response(ImportJobSerializer(job).data)


class WebhookReceiveApi(AnonymousAPIView):
    """Inbound webhook of a clinic's `webhook` source: a signed POST of what the ingest API
    takes (one item, a list of items or {"items": [...]}). Header `X-Carewatch-Signature:
    t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the source's secret>`; a
    delivery is accepted once. Throttled per client address (checking a signature costs a
    lookup and an HMAC)."""

    throttle_classes = [HookRateThrottle]
    values_checked_per_item = True  # as the ingest API's (ReviewIngestApi)

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: IngestResultSerializer}, auth=[])
    def post(self, request, clinic_slug: str, source_id: int):
        from django.db import connection

        clinic = Clinic.objects.active().filter(slug=clinic_slug).first()
        if clinic is None:
            raise NotFound()
        if len(request.body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise TooLarge(TOO_LARGE)
        connection.set_tenant(clinic)
        try:
            source = Source.objects.filter(
                pk=source_id, kind=SourceKind.WEBHOOK, enabled=True
            ).first()
            if source is None:
                raise NotFound()
            header = request.headers.get("X-Carewatch-Signature", "")
            return Response(webhook_receive(source=source, header=header, body=request.body))
        finally:
            connection.set_schema_to_public()
