from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts.credentials import ROTATION_GRACE_HELP, api_key_create, api_key_revoke, api_key_rotate
from accounts.models import ApiKey, RotationGrace, Scope
from agency.selectors import agency_memberships_managing, api_keys_listed
from clinics.forms import DATE_HELP
from clinics.models import Clinic, SettingChange, clinic_zone
from clinics.selectors import clinic_api_keys_listed, clinics_for_actor, settings_history
from clinics.services import clinic_create
from core.api import (
    ClinicAPIView,
    Pagination,
    PublicAPIView,
    paginated_response,
    query_params_validated,
)
from core.permissions import Permission
from core.settings_history import AREA_WORDS


class ClinicOutputSerializer(serializers.ModelSerializer):
    agency = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    url = serializers.SerializerMethodField()

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
            "url",
        ]

    def get_url(self, clinic) -> str:
        return f"/clinics/{clinic.slug}/api/v1/"


class ClinicListApi(PublicAPIView):
    """The clinics the caller may reach; agency owners and managers create clinics here."""

    pagination_class = Pagination

    class ClinicListInputSerializer(serializers.Serializer):
        agency = serializers.SlugField(
            required=False, help_text="Needed only for staff of several agencies."
        )
        name = serializers.CharField(max_length=200)
        slug = serializers.SlugField(max_length=50)
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
    """This clinic's API keys. Creating one returns its secret once; only a digest is kept."""

    read_permission = Permission.MANAGE
    write_permission = Permission.MANAGE

    class ApiKeyCreateInputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100)
        scopes = serializers.ListField(
            child=serializers.ChoiceField(choices=Scope.choices), min_length=1
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
        key, issued = api_key_create(
            agency=self.clinic.agency,
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
        return "clinic" if change.clinic_id else "agency"


class SettingsHistoryFilterSerializer(serializers.Serializer):
    person = serializers.CharField(
        required=False, max_length=100, help_text="Only this person's or key's changes (`by`)."
    )
    area = serializers.ChoiceField(
        choices=[(a.value, words) for a, words in AREA_WORDS.items()],
        required=False,
        help_text="Only this kind of setting.",
    )
    changed_from = serializers.DateField(
        required=False,
        help_text="From this day (YYYY-MM-DD, the clinic's time zone), inclusive.",
        error_messages={"invalid": DATE_HELP},
    )
    changed_to = serializers.DateField(
        required=False,
        help_text="To this day (YYYY-MM-DD, the clinic's time zone), inclusive.",
        error_messages={"invalid": DATE_HELP},
    )


HISTORY_PARAMS_OTHER = ("cursor", "page_size", "page", "format")


class SettingsHistoryApi(ClinicAPIView):
    """Who changed which setting, when: this clinic's settings (general, reply target, alert
    routing, chat webhooks, detector thresholds, reply settings and templates, monthly report,
    sources) and the agency's own (chat webhooks, branding), newest first, each with its old
    and new value in words (secrets never: only whether one was set, replaced or removed) and
    whether it was changed on a page or through the API. Owners and managers (`manage`). An
    unknown parameter, a bad value or `changed_to` before `changed_from` is a 400 naming it."""

    read_permission = Permission.MANAGE

    @extend_schema(
        parameters=[SettingsHistoryFilterSerializer],
        responses=SettingChangeOutputSerializer(many=True),
    )
    def get(self, request):
        filters = query_params_validated(
            SettingsHistoryFilterSerializer, request.query_params, also=HISTORY_PARAMS_OTHER
        )
        start, end = filters.get("changed_from"), filters.get("changed_to")
        if start and end and start > end:
            raise ValidationError({"changed_to": ["Must be on or after “changed_from”."]})
        rows = settings_history(
            agency_id=self.clinic.agency_id,
            clinic=self.clinic,
            zone=clinic_zone(self.clinic),
            **filters,
        )
        return paginated_response(self, rows, SettingChangeOutputSerializer)
