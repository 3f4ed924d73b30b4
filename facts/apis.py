"""The fact sheet over HTTP: list, add, read, edit, confirm, deactivate, ask the clinic to
confirm drafts, and each fact's history with restore. Serializers live here (STYLE: one
placement)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from agency.branding import brand_name
from core.api import ClinicAPIView, Pagination, paginated_response
from core.branding import as_brand
from core.permissions import Permission
from facts.models import Fact, FactStatus, FactVersion
from facts.selectors import fact_get, fact_versions, facts_list
from facts.services import (
    ASK_MAX,
    fact_confirm,
    fact_create,
    fact_delete,
    fact_restore,
    fact_update,
    facts_ask_clinic,
)

STATEMENT_HELP = "One or two short sentences, plain text (no {variables}), 500 characters at most."


def _reader(view) -> dict:
    """The serializers' context: for the clinic's own people (`is_clinic_side`), the agency's
    brand, after which Carewatch's own parts are named ("Carewatch at set-up" reads
    "<brand> at set-up", as the pages say it: `core.branding.as_brand`)."""
    access = view.access
    return {"brand": brand_name(access.clinic.agency)} if access.is_clinic_side else {}


class _Branded:
    """Names of who did something, as the reader knows them (`_reader`)."""

    branded_fields: tuple[str, ...] = ()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        brand = self.context.get("brand")
        if brand:
            for field in self.branded_fields:
                if isinstance(data.get(field), str):
                    data[field] = as_brand(data[field], brand)
        return data


class FactOutputSerializer(_Branded, serializers.ModelSerializer):
    branded_fields = ("updated_by", "confirmed_by", "clinic_asked_by", "clinic_comment_by")
    placeholder = serializers.SerializerMethodField()
    citable = serializers.SerializerMethodField()
    confirmed_as = serializers.SerializerMethodField()
    clinic_review = serializers.SerializerMethodField()

    class Meta:
        model = Fact
        fields = [
            "id",
            "slug",
            "title",
            "statement",
            "source",
            "source_url",
            "verified_on",
            "topics",
            "is_active",
            "status",
            "citable",
            "prompt",
            "version",
            "updated_by",
            "confirmed_by",
            "confirmed_at",
            "confirmed_as",
            "clinic_review",
            "clinic_asked_at",
            "clinic_asked_by",
            "clinic_comment",
            "clinic_comment_by",
            "clinic_comment_at",
            "placeholder",
            "created_at",
            "updated_at",
        ]

    def get_confirmed_as(self, fact) -> str | None:
        """Who confirmed it: `clinic` (one of the clinic's own approvers, in the portal),
        `agency` (the agency's staff, for the clinic); null while it is a draft."""
        if fact.status != FactStatus.CONFIRMED:
            return None
        return fact.confirmed_as or None

    def get_clinic_review(self, fact) -> str | None:
        """`waiting`: the clinic was asked to confirm it (`clinic_asked_at`, `clinic_asked_by`)
        and has not answered; `change_requested`: the clinic answered that it needs a change
        (`clinic_comment`); null when the clinic was not asked or it is confirmed."""
        return fact.clinic_review or None

    def get_placeholder(self, fact) -> str:
        return fact.placeholder

    def get_citable(self, fact) -> bool:
        """True when replies may cite it and claims are matched against it (active and
        confirmed)."""
        return fact.is_citable


class FactInputSerializer(serializers.Serializer):
    slug = serializers.SlugField(max_length=80, required=False, allow_blank=True, default="")
    title = serializers.CharField(max_length=200)
    statement = serializers.CharField(max_length=2000, help_text=STATEMENT_HELP)
    source = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    source_url = serializers.URLField(max_length=1000, required=False, allow_blank=True)
    verified_on = serializers.DateField(required=False, allow_null=True)
    topics = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, default=list
    )
    is_active = serializers.BooleanField(default=True)
    status = serializers.ChoiceField(
        choices=FactStatus.choices,
        default=FactStatus.CONFIRMED,
        help_text="`draft`: to be confirmed, never cited; `confirmed` (default): cited.",
    )


class FactUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    statement = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, help_text=STATEMENT_HELP
    )
    source = serializers.CharField(max_length=300, required=False, allow_blank=True)
    source_url = serializers.URLField(max_length=1000, required=False, allow_blank=True)
    verified_on = serializers.DateField(required=False, allow_null=True)
    topics = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    is_active = serializers.BooleanField(required=False)
    expected_version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The version you edited; a fact changed since answers 409.",
    )


class FactVersionOutputSerializer(_Branded, serializers.ModelSerializer):
    branded_fields = ("actor_name",)

    class Meta:
        model = FactVersion
        fields = [
            "number",
            "action",
            "changed",
            "restored_from",
            "title",
            "statement",
            "source",
            "source_url",
            "verified_on",
            "topics",
            "is_active",
            "status",
            "actor_label",
            "actor_name",
            "by_clinic",
            "comment",
            "created_at",
        ]


class FactVersionActionSerializer(serializers.Serializer):
    expected_version = serializers.IntegerField(required=False, min_value=1)


class FactAskClinicInputSerializer(serializers.Serializer):
    fact_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=ASK_MAX,
        help_text="Drafts of this clinic with a statement, not confirmed, not already waiting.",
    )


class FactAskClinicOutputSerializer(serializers.Serializer):
    facts = FactOutputSerializer(many=True)
    told = serializers.IntegerField(help_text="How many of the clinic's people were told.")


def _fact_or_404(fact_id: int) -> Fact:
    fact = fact_get(fact_id)
    if fact is None:
        raise NotFound()
    return fact


class FactListApi(ClinicAPIView):
    """The clinic's fact sheet: each fact a short statement with an optional source and
    source link. Confirmed facts are cited in replies and statements as {fact:<slug>};
    drafts (the default clinic-safety facts every clinic starts with) wait to be filled in and
    confirmed."""

    pagination_class = Pagination

    write_permission = Permission.MANAGE

    @extend_schema(responses=FactOutputSerializer(many=True))
    def get(self, request):
        return paginated_response(
            self, facts_list().order_by("title"), FactOutputSerializer, context=_reader(self)
        )

    @extend_schema(request=FactInputSerializer, responses={201: FactOutputSerializer})
    def post(self, request):
        data = FactInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fact = fact_create(access=self.access, **data.validated_data)
        return Response(
            FactOutputSerializer(fact, context=_reader(self)).data, status=status.HTTP_201_CREATED
        )


class FactDetailApi(ClinicAPIView):
    write_permission = Permission.MANAGE

    @extend_schema(responses=FactOutputSerializer)
    def get(self, request, fact_id: int):
        return Response(FactOutputSerializer(_fact_or_404(fact_id), context=_reader(self)).data)

    @extend_schema(request=FactUpdateSerializer, responses=FactOutputSerializer)
    def patch(self, request, fact_id: int):
        """Edit a fact; every change is a new version (GET facts/<id>/versions/)."""
        data = FactUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fact = fact_update(fact_id=fact_id, access=self.access, **data.validated_data)
        return Response(FactOutputSerializer(fact, context=_reader(self)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, fact_id: int):
        """Deactivate a fact: no longer cited or matched; its history stays and PATCH
        `is_active: true` brings it back."""
        fact_delete(fact_id=fact_id, access=self.access)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FactConfirmApi(ClinicAPIView):
    """Confirm a fact (with any last edits): from now on replies may cite it."""

    write_permission = Permission.MANAGE

    @extend_schema(request=FactUpdateSerializer, responses=FactOutputSerializer)
    def post(self, request, fact_id: int):
        data = FactUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fact = fact_confirm(fact_id=fact_id, access=self.access, **data.validated_data)
        return Response(FactOutputSerializer(fact, context=_reader(self)).data)


class FactAskClinicApi(ClinicAPIView):
    """Ask the clinic to confirm drafts of its fact sheet: each records who asked and when
    (`clinic_review: "waiting"`, a version `asked_clinic`), and the clinic's approvers (its
    people who give its approval, not the agency's staff) are told once for the request,
    in-app and by e-mail. They confirm each fact in the portal (`confirmed_as: "clinic"`) or
    say what needs a change (`clinic_review: "change_requested"`, `clinic_comment`). An id
    that is not an active draft with a statement of this clinic, or that already waits, is a
    400 naming it, and nothing is changed; 409 `nobody_to_ask` when the clinic has no
    approver."""

    write_permission = Permission.MANAGE

    @extend_schema(
        request=FactAskClinicInputSerializer, responses={200: FactAskClinicOutputSerializer}
    )
    def post(self, request):
        data = FactAskClinicInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        facts, told = facts_ask_clinic(fact_ids=data.validated_data["fact_ids"], access=self.access)
        return Response(
            {
                "facts": FactOutputSerializer(facts, many=True, context=_reader(self)).data,
                "told": len(told),
            }
        )


class FactVersionListApi(ClinicAPIView):
    """A fact's history, newest first: every change with who made it, when, what changed and
    the fact as it then read."""

    pagination_class = Pagination

    @extend_schema(responses=FactVersionOutputSerializer(many=True))
    def get(self, request, fact_id: int):
        _fact_or_404(fact_id)
        return paginated_response(
            self, fact_versions(fact_id), FactVersionOutputSerializer, context=_reader(self)
        )


class FactRestoreApi(ClinicAPIView):
    """Restore a fact as it read in one of its versions (written as a new version)."""

    write_permission = Permission.MANAGE

    @extend_schema(request=FactVersionActionSerializer, responses=FactOutputSerializer)
    def post(self, request, fact_id: int, number: int):
        data = FactVersionActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fact = fact_restore(
            fact_id=fact_id, number=number, access=self.access, **data.validated_data
        )
        return Response(FactOutputSerializer(fact, context=_reader(self)).data)
