"""The guard check, the template library, reply settings, suggestions and the
audit trail."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.api import ClinicAPIView, Pagination, paginated_response, query_params_validated
from core.permissions import Permission
from feeds.models import Review
from responses.apis.serializers import (
    AuditEntrySerializer,
    AuditFilterSerializer,
    ComplianceCheckInputSerializer,
    ComplianceFixInputSerializer,
    ComplianceFixOutputSerializer,
    GuardResultSerializer,
    SettingsSerializer,
    SuggestionSerializer,
    TemplateFilterSerializer,
    TemplateInputSerializer,
    TemplateOutputSerializer,
    TemplateUpdateSerializer,
)
from responses.models import ReplyTemplate
from responses.selectors import (
    audit_list,
    audit_visible_to,
    reply_suggest,
    template_checker,
    templates_available,
)
from responses.services.guarding import guard_check, guard_fix, response_settings_get
from responses.services.library import (
    response_settings_update,
    template_create,
    template_update,
)
from responses.services.replies import REPLIES_POSTED, with_markup_finding
from responses.services.statements import PUBLISHED as STATEMENTS_PUBLISHED


class ComplianceCheckApi(ClinicAPIView):
    """The guard's verdict on a draft text, in this clinic's context (its phone, e-mail,
    contact page and staff names are allowed). With `review_id`, health details repeated from
    that review are caught too. Markup (HTML, Markdown or BBCode links), which saving refuses,
    is a blocking finding of kind `markup` in the words of that refusal (the compliance fix
    takes it out). Stores nothing."""

    write_permission = Permission.VIEW

    @extend_schema(request=ComplianceCheckInputSerializer, responses=GuardResultSerializer)
    def post(self, request):
        data = ComplianceCheckInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = None
        if data.validated_data.get("review_id"):
            review = Review.objects.filter(pk=data.validated_data["review_id"]).first()
            if review is None:
                raise NotFound("No such review.")
        result = guard_check(
            data.validated_data["text"],
            clinic=self.clinic,
            review=review,
            purpose=data.validated_data["purpose"],
        )
        published = (
            STATEMENTS_PUBLISHED
            if data.validated_data["purpose"] == "statement"
            else REPLIES_POSTED
        )
        result = with_markup_finding(result, data.validated_data["text"], published=published)
        return Response(GuardResultSerializer(result).data)


class ComplianceFixApi(ClinicAPIView):
    """A draft text with the guard's suggested fixes applied, checked again: flagged sentences
    rewritten or taken out whole, a greeting by name dropped, one invitation to contact the
    clinic added, so the result reads as written and (for all findings) passes the guard. With
    `start`/`end`, only the findings overlapping that span. Stores nothing."""

    write_permission = Permission.VIEW

    @extend_schema(request=ComplianceFixInputSerializer, responses=ComplianceFixOutputSerializer)
    def post(self, request):
        data = ComplianceFixInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        review = None
        if values.get("review_id"):
            review = Review.objects.filter(pk=values["review_id"]).first()
            if review is None:
                raise NotFound("No such review.")
        only = (values["start"], values["end"]) if "start" in values else None
        fixed = guard_fix(
            values["text"], clinic=self.clinic, review=review, purpose=values["purpose"], only=only
        )
        return Response(ComplianceFixOutputSerializer(fixed).data)


class TemplateListApi(ClinicAPIView):
    """The reply template library: the built-in templates every clinic has plus this clinic's
    own (one with a built-in's key replaces it), each with what the privacy check finds in it
    (`guard`). Variables: {clinic_name}, {clinic_phone}, {clinic_email}, {contact_url},
    {contact_line}, {statement_url}, {relevant_facts}, {concerns}, {fact:<slug>}
    (`responses.services.templating.VARIABLES`)."""

    write_permission = Permission.MANAGE

    @extend_schema(
        parameters=[TemplateFilterSerializer], responses=TemplateOutputSerializer(many=True)
    )
    def get(self, request):
        filters = query_params_validated(TemplateFilterSerializer, request.query_params)
        return paginated_response(
            self,
            templates_available(category=filters.get("category")),
            TemplateOutputSerializer,
            context={"template_check": template_checker(clinic=self.clinic)},
        )

    @extend_schema(request=TemplateInputSerializer, responses={201: TemplateOutputSerializer})
    def post(self, request):
        """Add a clinic template (its text may use the variables the list names). It is saved
        even when the privacy check blocks or flags it, as the templates page saves it, and
        the answer says what the check finds (`guard`). Invalid input (a key in another
        shape, a variable that does not exist, an empty name or text) is a 400 naming the
        field, a key the clinic already uses a 409; nothing is saved."""
        data = TemplateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        template = template_create(access=self.access, **data.validated_data)
        return Response(_template_out(template, clinic=self.clinic), status=status.HTTP_201_CREATED)


def _template_out(template, *, clinic) -> dict:
    row = {
        "key": template.key,
        "name": template.name,
        "category": template.category,
        "body": template.body,
        "builtin": False,
        "id": template.pk,
    }
    context = {"template_check": template_checker(clinic=clinic)}
    return TemplateOutputSerializer(row, context=context).data


class TemplateDetailApi(ClinicAPIView):
    write_permission = Permission.MANAGE

    @extend_schema(responses=TemplateOutputSerializer)
    def get(self, request, template_id: int):
        """One of the clinic's own templates (also one not in use), with what the privacy
        check finds in it now (`guard`)."""
        template = ReplyTemplate.objects.filter(pk=template_id).first()
        if template is None:
            raise NotFound()
        return Response(_template_out(template, clinic=self.clinic))

    @extend_schema(request=TemplateUpdateSerializer, responses=TemplateOutputSerializer)
    def patch(self, request, template_id: int):
        """Change a clinic template; the privacy check runs on what it says after the change
        (`guard`), and a template it blocks or flags is saved all the same, as on the
        templates page. Invalid input is a 400 naming the field, and nothing changes."""
        data = TemplateUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        template = template_update(
            template_id=template_id, access=self.access, **data.validated_data
        )
        return Response(_template_out(template, clinic=self.clinic))


class ResponseSettingsApi(ClinicAPIView):
    """The clinic's approval workflow (which steps apply) and what the guard may allow (staff
    names, the clinic's address, greeting the reviewer by name)."""

    write_permission = Permission.MANAGE

    @extend_schema(responses=SettingsSerializer)
    def get(self, request):
        return Response(SettingsSerializer(response_settings_get()).data)

    @extend_schema(request=SettingsSerializer, responses=SettingsSerializer)
    def patch(self, request):
        data = SettingsSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        row = response_settings_update(access=self.access, **data.validated_data)
        return Response(SettingsSerializer(row).data)


class ReviewSuggestionApi(ClinicAPIView):
    """The suggested reply for a review, chosen from its sentiment, topics and risk flags,
    with the clinic's details filled in and the reason it was chosen."""

    @extend_schema(responses=SuggestionSerializer)
    def get(self, request, review_id: int):
        review = Review.objects.filter(pk=review_id, is_deleted=False).first()
        if review is None:
            raise NotFound()
        return Response(reply_suggest(review=review, clinic=self.clinic))


class AuditListApi(ClinicAPIView):
    """The append-only audit trail of replies, statements, the outbox, templates and reply
    settings, newest first (the fact sheet's history is facts/<id>/versions/)."""

    pagination_class = Pagination

    @extend_schema(parameters=[AuditFilterSerializer], responses=AuditEntrySerializer(many=True))
    def get(self, request):
        filters = query_params_validated(AuditFilterSerializer, request.query_params)
        entries = audit_visible_to(self.access, audit_list(**filters))
        return paginated_response(self, entries, AuditEntrySerializer)
