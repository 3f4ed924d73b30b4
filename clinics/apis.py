from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from accounts.credentials import api_key_create, api_key_revoke, api_key_rotate
from accounts.models import ApiKey, Scope
from agency.selectors import agency_memberships_managing, api_keys_listed
from clinics.models import Clinic
from clinics.selectors import clinic_api_keys_listed, clinics_for_actor
from clinics.services import clinic_create
from core.api import ClinicAPIView, Pagination, PublicAPIView, paginated_response
from core.permissions import Permission


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
            raise PermissionDenied("You manage several agencies: name one in `agency`.")
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

    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at",
                  "replaced_by_id", "created_by_id", "created_by_name",
                  "created_by_has_left"]  # fmt: skip

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
    """Revoke a key: it stops working at once. A key already revoked is a 409
    `already_revoked`; a rotated one is revoked already, and the message names the key that
    replaced it (revoke that one to stop access)."""

    read_permission = Permission.MANAGE
    write_permission = Permission.MANAGE

    @extend_schema(request=None, responses=ApiKeyOutputSerializer)
    def post(self, request, key_id: int):
        key = ApiKey.objects.filter(clinic=self.clinic, pk=key_id).first()
        if key is None:
            raise NotFound()
        return Response(ApiKeyOutputSerializer(api_key_revoke(api_key=key)).data)


class ApiKeyRotateApi(ClinicAPIView):
    """Revoke a key and issue its successor: a new key, with a new `id` and secret (shown in
    this answer only), the same name and scopes. The old key stops working at once and
    points to the new one (`replaced_by_id`)."""

    read_permission = Permission.MANAGE
    write_permission = Permission.MANAGE

    @extend_schema(request=None, responses={201: ApiKeyCreatedSerializer})
    def post(self, request, key_id: int):
        if self.actor.api_key is not None:
            raise PermissionDenied("API keys cannot rotate API keys.")
        key = ApiKey.objects.filter(clinic=self.clinic, pk=key_id, revoked_at__isnull=True).first()
        if key is None:
            raise NotFound()
        new_key, issued = api_key_rotate(api_key=key, by=self.actor.user)
        new_key.secret = issued.secret
        return Response(ApiKeyCreatedSerializer(new_key).data, status=status.HTTP_201_CREATED)


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
    """Revoke an agency key: it stops working at once (a key already revoked is a 409
    `already_revoked`)."""

    @extend_schema(request=None, responses=ApiKeyOutputSerializer)
    def post(self, request, key_id: int):
        key = ApiKey.objects.filter(agency=self._agency(), clinic__isnull=True, pk=key_id).first()
        if key is None:
            raise NotFound()
        return Response(ApiKeyOutputSerializer(api_key_revoke(api_key=key)).data)


class AgencyApiKeyRotateApi(_AgencyKeysMixin, PublicAPIView):
    """Revoke an agency key and issue its successor, as a clinic key's `rotate/`: a new key
    with a new `id` and secret (shown in this answer only), the same name and scopes, issued
    to (and created by) the person rotating it. The old key stops working at once and points
    to the new one (`replaced_by_id`)."""

    @extend_schema(request=None, responses={201: ApiKeyCreatedSerializer})
    def post(self, request, key_id: int):
        key = ApiKey.objects.filter(
            agency=self._agency(), clinic__isnull=True, pk=key_id, revoked_at__isnull=True
        ).first()
        if key is None:
            raise NotFound()
        new_key, issued = api_key_rotate(api_key=key, by=self.actor.user)
        new_key.secret = issued.secret
        return Response(ApiKeyCreatedSerializer(new_key).data, status=status.HTTP_201_CREATED)
