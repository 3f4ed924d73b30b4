from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts.credentials import ROTATION_GRACE_HELP, api_key_create, api_key_revoke, api_key_rotate
from accounts.models import ApiKey, RotationGrace, Scope
from agency.selectors import agency_memberships_managing, api_keys_listed
from clinics.alerting import (
    ChatTestTooSoon,
    chat_url_refusal,
    chat_webhook_test,
    chat_webhooks_of_clinic,
    chat_webhooks_set,
)
from clinics.models import (
    ChatKind,
    ChatWebhook,
    Clinic,
    SettingChange,
    clinic_zone,
    validate_clinic_slug,
)
from clinics.selectors import (
    clinic_api_keys_listed,
    clinics_for_actor,
    settings_history,
    settings_history_changed_by,
)
from clinics.services import clinic_api_key_create, clinic_create
from core.api import (
    ACTOR_LABEL,
    ACTOR_LABEL_INVALID,
    ClinicAPIView,
    Pagination,
    PublicAPIView,
    day_filter_param,
    paginated_response,
    query_params_validated,
)
from core.permissions import Permission
from core.settings_history import AREA_WORDS


class ClinicOutputSerializer(serializers.ModelSerializer):
    agency = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    url = serializers.SerializerMethodField()
    active = serializers.SerializerMethodField(
        help_text="False once the agency deactivated the clinic: its API keys then get 403 "
        "`clinic_deactivated` on every call, and its staff's writes 409 `clinic_deactivated`."
    )
    deactivated_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When it was deactivated; null while active."
    )

    class Meta:
        model = Clinic
        fields = [
            "slug",
            "name",
            "agency",
            "timezone",
            "specialties",
            "phone",
            "email",
            "contact_url",
            "reply_target_minutes",
            "created_at",
            "active",
            "deactivated_at",
            "url",
        ]

    def get_url(self, clinic) -> str:
        return f"/clinics/{clinic.slug}/api/v1/"

    def get_active(self, clinic) -> bool:
        return not clinic.is_deactivated


class ClinicListApi(PublicAPIView):
    """The clinics the caller may reach; agency owners and managers create clinics here. A
    create for a slug the agency's clinic has already answers that clinic (201) when every
    value sent is the clinic's (a retry), else a 409 `clinic_exists` whose `fields` name the
    values that differ; nothing is changed. A new clinic named as one of the agency's is a 400
    on `name`."""

    pagination_class = Pagination

    class ClinicListInputSerializer(serializers.Serializer):
        agency = serializers.SlugField(
            required=False, help_text="Needed only for staff of several agencies."
        )
        name = serializers.CharField(max_length=200)
        slug = serializers.CharField(
            validators=[validate_clinic_slug],
            help_text="The web address: 3-50 lowercase letters, digits and hyphens, e.g. "
            "harbor-dental (/clinics/harbor-dental/).",
        )
        timezone = serializers.CharField(max_length=64, default="UTC")
        specialties = serializers.ListField(
            child=serializers.CharField(max_length=64), default=list
        )
        phone = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)
        email = serializers.EmailField(max_length=254, required=False, default="", allow_blank=True)
        contact_url = serializers.URLField(required=False, default="", allow_blank=True)
        reply_target_minutes = serializers.IntegerField(min_value=5, default=24 * 60)

    @extend_schema(responses=ClinicOutputSerializer(many=True))
    def get(self, request):
        clinics = clinics_for_actor(self.actor).order_by("name")
        return paginated_response(self, clinics, ClinicOutputSerializer)

    @extend_schema(request=ClinicListInputSerializer, responses={201: ClinicOutputSerializer})
    def post(self, request):
        data = self.ClinicListInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        agency_slug = values.pop("agency", None)
        agency = self._agency_for_create(agency_slug)
        clinic = clinic_create(agency=agency, **values)
        return Response(ClinicOutputSerializer(clinic).data, status=status.HTTP_201_CREATED)

    def _agency_for_create(self, agency_slug):
        actor = self.actor
        if actor.api_key is not None:
            # Creating a clinic is managing the agency: owners and managers, in person (or
            # with their personal token). A key's `write` is about a clinic's content.
            raise PermissionDenied("API keys cannot create clinics: an owner or manager does.")
        memberships = agency_memberships_managing(actor.user)
        if agency_slug:
            memberships = memberships.filter(agency__slug=agency_slug)
        found = list(memberships[:2])
        if not found:
            raise PermissionDenied("Only an agency owner or manager creates clinics.")
        if len(found) > 1:
            raise PermissionDenied("You manage several agencies: name one in “agency”.")
        return found[0].agency


class MeApi(ClinicAPIView):
    """What the caller may do in this clinic."""

    class MeOutputSerializer(serializers.Serializer):
        clinic = ClinicOutputSerializer()
        actor = serializers.CharField()
        agency_role = serializers.CharField(allow_null=True)
        clinic_role = serializers.CharField(allow_null=True)
        crisis_roles = serializers.ListField(child=serializers.CharField())
        permissions = serializers.ListField(child=serializers.CharField())

    @extend_schema(responses=MeOutputSerializer)
    def get(self, request):
        access = self.access
        return Response(
            self.MeOutputSerializer(
                {
                    "clinic": access.clinic,
                    "actor": access.actor.label,
                    "agency_role": access.agency_role,
                    "clinic_role": access.clinic_role,
                    "crisis_roles": sorted(access.crisis_roles),
                    "permissions": sorted(p.value for p in access.permissions),
                }
            ).data
        )


class ApiKeyOutputSerializer(serializers.ModelSerializer):
    prefix = serializers.CharField(
        read_only=True,
        help_text="What tells the key apart, not secret: the part of the secret between `cwk_` "
        "and the next `_` (the secret is `cwk_<prefix>_<random>`). The key pages show it as "
        "`cwk_<prefix>_…`; `me/`'s `actor` and the logs as `api-key:<prefix>`.",
    )
    replaced_by_id = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The key that rotating this one issued (null unless it was rotated).",
    )
    created_by_id = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The person who created the key, or rotated it last (rotating makes them its "
        "creator); null when unknown.",
    )
    created_by_name = serializers.SerializerMethodField(
        help_text="That person's name (or e-mail); null when unknown."
    )
    created_by_has_left = serializers.SerializerMethodField(
        help_text="True when the creator is unknown or holds no place in the agency any more "
        "(not its staff, nor one of the people of the key's clinic): the key still works "
        "until it is revoked."
    )
    expires_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the key stops working by itself: set on the old key of a rotation "
        "with a grace period (its old secret works until then; when it was stopped early, the "
        "moment it stopped, as `revoked_at`); null otherwise.",
    )
    is_active = serializers.SerializerMethodField(
        help_text="Whether the secret works now: not revoked and not past `expires_at`."
    )

    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at",
                  "expires_at", "is_active", "replaced_by_id", "created_by_id",
                  "created_by_name", "created_by_has_left"]  # fmt: skip

    def to_representation(self, key):
        data = super().to_representation(key)
        if key.revoked_at is not None and key.expires_at is not None:
            # an old secret stopped before its grace ended (keys stopped before
            # `api_key_revoke` moved `expires_at` too): it ended when it was revoked
            ended = min(key.expires_at, key.revoked_at)
            data["expires_at"] = self.fields["expires_at"].to_representation(ended)
        return data

    def get_is_active(self, key) -> bool:
        return key.works()

    def get_created_by_name(self, key) -> str | None:
        user = key.created_by
        return (user.full_name or user.email) if user is not None else None

    def get_created_by_has_left(self, key) -> bool:
        left = getattr(key, "creator_left", None)
        if left is None:  # a key not read through the listing selectors (create, rotate)
            listed = clinic_api_keys_listed(
                ApiKey.objects.filter(pk=key.pk), agency_id=key.agency_id
            )
            left = listed.values_list("creator_left", flat=True).first() is not False
        return bool(left)


class ApiKeyCreatedSerializer(ApiKeyOutputSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown once; only a digest is kept.")

    class Meta(ApiKeyOutputSerializer.Meta):
        fields = [*ApiKeyOutputSerializer.Meta.fields, "secret"]


class ApiKeyRotatedSerializer(ApiKeyCreatedSerializer):
    replaces_id = serializers.IntegerField(read_only=True, help_text="The key rotated.")
    old_secret_expires_at = serializers.DateTimeField(
        read_only=True,
        help_text="When the old secret stops working: the end of the grace period chosen, or "
        "the moment of the rotation with `grace` none.",
    )

    class Meta(ApiKeyCreatedSerializer.Meta):
        fields = [*ApiKeyCreatedSerializer.Meta.fields, "replaces_id", "old_secret_expires_at"]


class ApiKeyRotateInputSerializer(serializers.Serializer):
    grace = serializers.ChoiceField(
        choices=RotationGrace.choices,
        default=RotationGrace.NONE,
        help_text="How long the old secret keeps working: none (it stops at once), 1h, 24h or "
        "7d. Default none, as before grace periods existed (the pages offer 24h first).",
        error_messages={"invalid_choice": ROTATION_GRACE_HELP},
    )


def rotated(request, key: ApiKey, by) -> Response:
    """Rotate `key` with the body's grace period; 201 with the new key, its secret once, and
    when the old secret stops working."""
    data = ApiKeyRotateInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    new_key, issued = api_key_rotate(api_key=key, by=by, grace=data.validated_data["grace"])
    new_key.secret = issued.secret
    new_key.replaces_id = key.pk
    new_key.old_secret_expires_at = key.expires_at or key.revoked_at
    return Response(ApiKeyRotatedSerializer(new_key).data, status=status.HTTP_201_CREATED)


class ApiKeyListApi(ClinicAPIView):
    """This clinic's API keys. Creating one returns its secret once; only a digest is kept.
    A clinic key has `read` and/or `write`: `approve` is refused (400 on `scopes`), since a key
    the agency's staff create never gives the clinic's approval step."""

    read_permission = Permission.MANAGE
    write_permission = Permission.MANAGE

    class ApiKeyCreateInputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100)
        scopes = serializers.ListField(
            child=serializers.ChoiceField(choices=Scope.choices),
            min_length=1,
            help_text="`read`, `write`, `approve`. `approve` is for agency keys (the agency's "
            "approval step, and the approvals log); a clinic key cannot have it (400 on "
            "`scopes`): the clinic's own approval step is given by an approver of the clinic who "
            "is not agency staff, in the portal or with their personal token.",
        )

    @extend_schema(responses=ApiKeyOutputSerializer(many=True))
    def get(self, request):
        keys = clinic_api_keys_listed(
            ApiKey.objects.filter(clinic=self.clinic), agency_id=self.clinic.agency_id
        ).order_by("-created_at")
        return paginated_response(self, keys, ApiKeyOutputSerializer)

    @extend_schema(request=ApiKeyCreateInputSerializer, responses={201: ApiKeyCreatedSerializer})
    def post(self, request):
        if self.actor.api_key is not None:
            raise PermissionDenied("API keys cannot create API keys.")
        data = self.ApiKeyCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key, issued = clinic_api_key_create(
            clinic=self.clinic,
            name=data.validated_data["name"],
            scopes=data.validated_data["scopes"],
            created_by=self.actor.user,
        )
        key.secret = issued.secret
        return Response(ApiKeyCreatedSerializer(key).data, status=status.HTTP_201_CREATED)


class ApiKeyRevokeApi(ClinicAPIView):
    """Revoke a key: it stops working at once, and so does the old secret of its rotation
    if that still works. On the old key of a rotation still in its grace period, this stops
    the old secret now (the new key keeps working). A key that no longer works is a 409
    `already_revoked`; for a rotated one the message names the key that replaced it (revoke
    that one to stop access)."""

    read_permission = Permission.MANAGE
    write_permission = Permission.MANAGE

    @extend_schema(request=None, responses=ApiKeyOutputSerializer)
    def post(self, request, key_id: int):
        key = ApiKey.objects.filter(clinic=self.clinic, pk=key_id).first()
        if key is None:
            raise NotFound()
        return Response(ApiKeyOutputSerializer(api_key_revoke(api_key=key)).data)


class ApiKeyRotateApi(ClinicAPIView):
    """Issue a key's successor: a new key, with a new `id` and secret (shown in this answer
    only), the same name and scopes. The old secret keeps working for the grace period chosen
    (`grace`: none, 1h, 24h, 7d; default none: choose one so the integration can switch without
    a gap); then it is refused (401, as a revoked key). The old key points to the new one
    (`replaced_by_id`) and says when it stops (`expires_at`). A key rotated already is a 409
    `already_rotated`; one that no longer works (revoked, or an old secret that stopped) is a
    409 `already_revoked` saying which key to rotate instead, if any."""

    read_permission = Permission.MANAGE
    write_permission = Permission.MANAGE

    @extend_schema(request=ApiKeyRotateInputSerializer, responses={201: ApiKeyRotatedSerializer})
    def post(self, request, key_id: int):
        if self.actor.api_key is not None:
            raise PermissionDenied("API keys cannot rotate API keys.")
        key = ApiKey.objects.filter(clinic=self.clinic, pk=key_id).first()
        if key is None:
            raise NotFound()
        return rotated(request, key, self.actor.user)


class _AgencyKeysMixin:
    def _agency(self):
        if self.actor.api_key is not None:
            raise PermissionDenied("API keys cannot manage API keys.")
        membership = agency_memberships_managing(self.actor.user).first()
        if membership is None:
            raise PermissionDenied("Only an agency owner or manager manages agency keys.")
        return membership.agency


class AgencyApiKeyListApi(_AgencyKeysMixin, PublicAPIView):
    """Agency-wide API keys (reach every clinic of the agency): owners and managers only."""

    @extend_schema(responses=ApiKeyOutputSerializer(many=True))
    def get(self, request):
        agency = self._agency()
        keys = api_keys_listed(
            ApiKey.objects.filter(agency=agency, clinic__isnull=True), agency_id=agency.pk
        ).order_by("-created_at")
        return paginated_response(self, keys, ApiKeyOutputSerializer)

    @extend_schema(
        request=ApiKeyListApi.ApiKeyCreateInputSerializer, responses={201: ApiKeyCreatedSerializer}
    )
    def post(self, request):
        agency = self._agency()
        data = ApiKeyListApi.ApiKeyCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key, issued = api_key_create(
            agency=agency,
            name=data.validated_data["name"],
            scopes=data.validated_data["scopes"],
            created_by=self.actor.user,
        )
        key.secret = issued.secret
        return Response(ApiKeyCreatedSerializer(key).data, status=status.HTTP_201_CREATED)


class AgencyApiKeyRevokeApi(_AgencyKeysMixin, PublicAPIView):
    """Revoke an agency key: it stops working at once, with the old secret of its rotation if
    that still works (on the old key of a rotation: stops the old secret now). A key that no
    longer works is a 409 `already_revoked`."""

    @extend_schema(request=None, responses=ApiKeyOutputSerializer)
    def post(self, request, key_id: int):
        key = ApiKey.objects.filter(agency=self._agency(), clinic__isnull=True, pk=key_id).first()
        if key is None:
            raise NotFound()
        return Response(ApiKeyOutputSerializer(api_key_revoke(api_key=key)).data)


class AgencyApiKeyRotateApi(_AgencyKeysMixin, PublicAPIView):
    """Issue an agency key's successor, as a clinic key's `rotate/`: a new key with a new `id`
    and secret (shown in this answer only), the same name and scopes, issued to (and created
    by) the person rotating it. The old secret keeps working for the grace period chosen
    (`grace`: none, 1h, 24h, 7d; default none), then is refused; the old key points to the new
    one (`replaced_by_id`). A key rotated already, or that no longer works, is a 409, as a
    clinic key's."""

    @extend_schema(request=ApiKeyRotateInputSerializer, responses={201: ApiKeyRotatedSerializer})
    def post(self, request, key_id: int):
        key = ApiKey.objects.filter(agency=self._agency(), clinic__isnull=True, pk=key_id).first()
        if key is None:
            raise NotFound()
        return rotated(request, key, self.actor.user)


class SettingChangeOutputSerializer(serializers.ModelSerializer):
    changed_at = serializers.DateTimeField(source="created_at")
    where = serializers.SerializerMethodField(
        help_text="`clinic`: this clinic's setting; `agency`: the agency's own (its chat "
        "channels, its brand), which reaches every clinic."
    )
    area_words = serializers.CharField(source="get_area_display", help_text="`area` in words.")
    by = serializers.CharField(
        source="actor_label",
        help_text="Who changed it, stable: `user:<id>`, `api-key:<prefix>`, or `system:<part>` "
        "for Carewatch itself (the `person` filter takes it).",
    )
    by_name = serializers.CharField(source="actor_name", help_text="Who changed it, in words.")

    class Meta:
        model = SettingChange
        fields = ["id", "changed_at", "where", "area", "area_words", "setting", "old_value",
                  "new_value", "by", "by_name", "via"]  # fmt: skip
        extra_kwargs = {
            "setting": {"help_text": "The setting, in words (“Reply target for reviews "
                        "(minutes)”)."},
            "old_value": {"help_text": "Its value before, in words; a secret is never shown "
                          "(“set (hidden)”)."},
            "new_value": {"help_text": "Its value after, in words (“replaced (hidden)” for a "
                          "secret given anew)."},
            "via": {"help_text": "Where it was changed: `page` (a settings page), `api`, or "
                    "`other` (Carewatch itself)."},
        }  # fmt: skip

    def get_where(self, change) -> str:
        return change.where


class SettingsHistoryFilterSerializer(serializers.Serializer):
    person = serializers.RegexField(
        ACTOR_LABEL,
        required=False,
        max_length=80,
        error_messages={"invalid": ACTOR_LABEL_INVALID},
        help_text="Only the changes of this person, key or part of Carewatch (`by` of a change: "
        "`user:12`, `api-key:ab12cd34`, `system:<part>`); one who changed nothing here is a 400.",
    )
    area = serializers.ChoiceField(
        choices=[(a.value, words) for a, words in AREA_WORDS.items()],
        required=False,
        help_text="Only this kind of setting.",
    )
    changed_from = day_filter_param(
        "From this day (YYYY-MM-DD, the clinic's time zone), inclusive; 1970-01-01 to 2999-12-31."
    )
    changed_to = day_filter_param(
        "To this day (YYYY-MM-DD, the clinic's time zone), inclusive; 1970-01-01 to 2999-12-31."
    )

    date_ranges = (("changed_from", "changed_to"),)  # query_params_validated


PERSON_CHANGED_NOTHING = "Nobody by that label changed a setting here."


class SettingsHistoryApi(ClinicAPIView):
    """Who changed which setting, when: this clinic's settings (general, reply target, alert
    routing, chat webhooks, detector thresholds, reply settings and templates, monthly report,
    sources) and the agency's own (chat webhooks, branding), newest first, each with its old
    and new value in words (secrets never: only whether one was set, replaced or removed) and
    whether it was changed on a page or through the API. Owners and managers (`manage`). An
    unknown parameter, a bad value, a day outside 1970-01-01 to 2999-12-31, `changed_to`
    before `changed_from` or a `person` who changed nothing here is a 400 naming it."""

    read_permission = Permission.MANAGE

    @extend_schema(
        parameters=[SettingsHistoryFilterSerializer],
        responses=SettingChangeOutputSerializer(many=True),
    )
    def get(self, request):
        filters = query_params_validated(SettingsHistoryFilterSerializer, request.query_params)
        person = filters.get("person")
        if person and not settings_history_changed_by(
            agency_id=self.clinic.agency_id, clinic=self.clinic, person=person
        ):
            raise ValidationError({"person": [PERSON_CHANGED_NOTHING]})
        rows = settings_history(
            agency_id=self.clinic.agency_id,
            clinic=self.clinic,
            zone=clinic_zone(self.clinic),
            **filters,
        )
        return paginated_response(self, rows, SettingChangeOutputSerializer)


# --- chat webhooks: where the clinic's incident alerts and delivery failures are posted -------

CHAT_KIND_REFUSED = f"Unknown chat; choose one of {', '.join(ChatKind.values)}."
CHAT_URL_HELP = (
    "The incoming-webhook URL the chat gave you: https on Slack's (hooks.slack.com) or Teams' "
    "(*.webhook.office.com, Workflows on logic.azure.com / api.powerplatform.com) hosts. A "
    "secret: stored encrypted, never returned (only `url_hint`)."
)


class ChatWebhookOutputSerializer(serializers.ModelSerializer):
    kind_words = serializers.CharField(source="get_kind_display", help_text="`kind` in words.")

    class Meta:
        model = ChatWebhook
        fields = ["id", "kind", "kind_words", "url_hint", "last_test_at", "last_test_by_name",
                  "last_test_ok", "last_test_result", "created_at", "updated_at"]  # fmt: skip
        extra_kwargs = {
            "url_hint": {"help_text": "What is shown of the URL, a secret: its host and last "
                         "four characters."},
            "last_test_at": {"help_text": "When a test message was last sent (`test/`); null "
                             "until then, and again once the URL changes."},
            "last_test_by_name": {"help_text": "Who sent it, in words."},
            "last_test_ok": {"help_text": "Whether it arrived; null while it is being sent or "
                             "before any test."},
            "last_test_result": {"help_text": "What happened, in words: where to look, or what "
                                 "the platform answered and what to do."},
        }  # fmt: skip


class ChatWebhookInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=ChatKind.choices,
        help_text="The chat: one webhook of each per clinic.",
        error_messages={"invalid_choice": CHAT_KIND_REFUSED},
    )
    url = serializers.CharField(
        max_length=500,
        write_only=True,
        help_text=CHAT_URL_HELP,
        error_messages={"blank": "Paste the webhook URL.", "required": "Paste the webhook URL."},
    )

    def validate(self, data):
        if problem := chat_url_refusal(data["kind"], data["url"]):
            raise serializers.ValidationError({"url": [problem]})
        return data


class ChatWebhookUpdateSerializer(serializers.Serializer):
    # validated against the webhook's own kind (context `kind`)

    kind = serializers.ChoiceField(
        choices=ChatKind.choices,
        required=False,
        help_text="The webhook's own kind (it cannot change: delete it and create one of the "
        "other kind).",
        error_messages={"invalid_choice": CHAT_KIND_REFUSED},
    )
    url = serializers.CharField(
        max_length=500,
        required=False,
        write_only=True,
        help_text=CHAT_URL_HELP,
        error_messages={"blank": "Paste the webhook URL."},
    )

    def validate(self, data):
        kind = self.context["kind"]
        if data.get("kind", kind) != kind:
            raise serializers.ValidationError(
                {"kind": [f"This is a {ChatKind(kind).label} webhook and stays one: delete it "
                          f"and create a {ChatKind(data['kind']).label} webhook instead."]}
            )  # fmt: skip
        if "url" in data and (problem := chat_url_refusal(kind, data["url"])):
            raise serializers.ValidationError({"url": [problem]})
        return data


class ChatWebhookTestOutputSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text="Whether the platform took the test message.")
    result = serializers.CharField(
        help_text="What happened, in words: where to look for the message, or what the "
        "platform answered (its HTTP status and message) and what to do."
    )
    tested_at = serializers.DateTimeField()
    webhook = ChatWebhookOutputSerializer(help_text="The webhook, with this test as its last.")


def _chat_webhook(clinic: Clinic, webhook_id: int) -> ChatWebhook:
    hook = chat_webhooks_of_clinic(clinic).filter(pk=webhook_id).first()
    if hook is None:
        raise NotFound()
    return hook


class ChatWebhookListApi(ClinicAPIView):
    """This clinic's Slack and Microsoft Teams channels, at most one of each: where its incident
    alerts and delivery failures are posted, on top of the agency's own channels (set on the
    agency's chat settings page). A webhook's URL is a secret: stored encrypted and never
    returned, only its host and last four characters (`url_hint`). Changes need `manage`
    (owners and managers), are checked as on the alert settings page, and are kept in the
    settings history without the URL. A second webhook of a kind is a 409 `exists`."""

    write_permission = Permission.MANAGE

    @extend_schema(responses=ChatWebhookOutputSerializer(many=True))
    def get(self, request):
        return paginated_response(
            self, chat_webhooks_of_clinic(self.clinic), ChatWebhookOutputSerializer
        )

    @extend_schema(request=ChatWebhookInputSerializer, responses={201: ChatWebhookOutputSerializer})
    def post(self, request):
        data = ChatWebhookInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kind = data.validated_data["kind"]
        hooks = chat_webhooks_set(
            agency_id=self.clinic.agency_id,
            clinic=self.clinic,
            changes={kind: data.validated_data["url"]},
            actor=self.actor,
            expect={kind: None},
        )
        return Response(
            ChatWebhookOutputSerializer(hooks[kind]).data, status=status.HTTP_201_CREATED
        )


class ChatWebhookDetailApi(ClinicAPIView):
    """One of this clinic's chat webhooks. A new `url` replaces its address (the same address
    again changes nothing) and clears its last test; deleting it stops this clinic's alerts to
    that channel. A webhook changed or removed meanwhile is a 409 `changed`."""

    write_permission = Permission.MANAGE

    @extend_schema(responses=ChatWebhookOutputSerializer)
    def get(self, request, webhook_id: int):
        return Response(ChatWebhookOutputSerializer(_chat_webhook(self.clinic, webhook_id)).data)

    @extend_schema(request=ChatWebhookUpdateSerializer, responses=ChatWebhookOutputSerializer)
    def patch(self, request, webhook_id: int):
        hook = _chat_webhook(self.clinic, webhook_id)
        data = ChatWebhookUpdateSerializer(data=request.data, context={"kind": hook.kind})
        data.is_valid(raise_exception=True)
        if "url" in data.validated_data:
            hook = chat_webhooks_set(
                agency_id=self.clinic.agency_id,
                clinic=self.clinic,
                changes={hook.kind: data.validated_data["url"]},
                actor=self.actor,
                expect={hook.kind: hook.pk},
            )[hook.kind]
        return Response(ChatWebhookOutputSerializer(hook).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, webhook_id: int):
        hook = _chat_webhook(self.clinic, webhook_id)
        chat_webhooks_set(
            agency_id=self.clinic.agency_id,
            clinic=self.clinic,
            changes={hook.kind: None},
            actor=self.actor,
            expect={hook.kind: hook.pk},
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChatWebhookTestApi(ClinicAPIView):
    """Send a test message to a chat webhook's channel, as the alert settings page's "Send test
    message" does: a short notice labelled "Test message · <clinic>: no incident", through
    the same path as real alerts. The answer says, in words, whether it arrived and, if not,
    what the platform answered and what to do (`ok` false is still a 200: the test ran); the
    webhook remembers it as its last test until its URL changes. One test per webhook every
    10 seconds: sooner is a 429 `too_soon` with `Retry-After`, and nothing is sent. Needs
    `manage`."""

    write_permission = Permission.MANAGE

    @extend_schema(request=None, responses=ChatWebhookTestOutputSerializer)
    def post(self, request, webhook_id: int):
        hook = _chat_webhook(self.clinic, webhook_id)
        tested = chat_webhook_test(hook=hook, by=self.actor)
        return Response(
            ChatWebhookTestOutputSerializer(
                {
                    "ok": tested.ok,
                    "result": tested.words,
                    "tested_at": tested.at,
                    "webhook": chat_webhooks_of_clinic(self.clinic).filter(pk=hook.pk).first()
                    or hook,
                }
            ).data
        )

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, ChatTestTooSoon):
            response["Retry-After"] = str(exc.wait)
        return response
