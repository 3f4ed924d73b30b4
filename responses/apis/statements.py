"""Official statements: versions, the approval flow, publishing (public page and pinned
posts) and unpinning."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.api import ClinicAPIView, Pagination, paginated_response
from core.permissions import Permission
from responses.apis.serializers import (
    ApproveSerializer,
    ExpectSerializer,
    OverrideSerializer,
    PublishSerializer,
    RejectSerializer,
    StatementDetailSerializer,
    StatementInputSerializer,
    StatementOutputSerializer,
    StatementUpdateSerializer,
    TakeBackSerializer,
    WaitingOutputSerializer,
)
from responses.selectors import statement_get, statements_list, text_visible_to, visible_to
from responses.services.approvals import approval_remind
from responses.services.statements import (
    statement_approve,
    statement_create,
    statement_discard,
    statement_override,
    statement_publish,
    statement_reject,
    statement_submit,
    statement_take_back,
    statement_unpin,
    statement_update,
)


class _StatementApi(ClinicAPIView):
    def detail(self, statement_id: int, *, code=status.HTTP_200_OK) -> Response:
        statement = statement_get(statement_id)
        if statement is None:
            raise NotFound()
        return Response(StatementDetailSerializer(statement).data, status=code)


class StatementListApi(_StatementApi):
    """The clinic's statements. POST writes a new one (version 1, checked by the guard)."""

    pagination_class = Pagination

    @extend_schema(responses=StatementOutputSerializer(many=True))
    def get(self, request):
        statements = visible_to(self.access, statements_list())
        return paginated_response(self, statements, StatementOutputSerializer)

    @extend_schema(request=StatementInputSerializer, responses={201: StatementDetailSerializer})
    def post(self, request):
        data = StatementInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement = statement_create(access=self.access, **data.validated_data)
        return self.detail(statement.pk, code=status.HTTP_201_CREATED)


class StatementDetailApi(_StatementApi):
    """A statement with its versions, outbox items and audit trail. PATCH saves a new version;
    a published one stays on its page until the new version is approved and published."""

    @extend_schema(responses=StatementDetailSerializer)
    def get(self, request, statement_id: int):
        if not text_visible_to(self.access, "statement", statement_id):
            raise NotFound()
        return self.detail(statement_id)

    @extend_schema(request=StatementUpdateSerializer, responses=StatementDetailSerializer)
    def patch(self, request, statement_id: int):
        data = StatementUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement_update(statement_id=statement_id, access=self.access, **data.validated_data)
        return self.detail(statement_id)


class StatementSubmitApi(_StatementApi):
    @extend_schema(request=ExpectSerializer, responses=StatementDetailSerializer)
    def post(self, request, statement_id: int):
        data = ExpectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement_submit(
            statement_id=statement_id,
            access=self.access,
            expected_version=data.validated_data.get("expected_version"),
        )
        return self.detail(statement_id)


class StatementApproveApi(_StatementApi):
    """As for replies: the step decides who may approve; 403 `separation_of_duties`, 409 `stale`."""

    write_permission = Permission.VIEW  # the step decides; checked by the service

    @extend_schema(request=ApproveSerializer, responses=StatementDetailSerializer)
    def post(self, request, statement_id: int):
        data = ApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement_approve(statement_id=statement_id, access=self.access, **data.validated_data)
        return self.detail(statement_id)


class StatementRejectApi(_StatementApi):
    write_permission = Permission.VIEW  # the step decides; checked by the service

    @extend_schema(request=RejectSerializer, responses=StatementDetailSerializer)
    def post(self, request, statement_id: int):
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement_reject(statement_id=statement_id, access=self.access, **data.validated_data)
        return self.detail(statement_id)


class StatementTakeBackApi(_StatementApi):
    """As for replies (`drafts/{id}/take-back/`): take back your own approval before the next
    step acts; 409 `not_taken_back` with why, 409 `stale`, 403 for a role that gives no
    approval step."""

    write_permission = Permission.VIEW  # the step decides; checked by the service

    @extend_schema(request=TakeBackSerializer, responses=StatementDetailSerializer)
    def post(self, request, statement_id: int):
        data = TakeBackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement_take_back(statement_id=statement_id, access=self.access, **data.validated_data)
        return self.detail(statement_id)


class StatementOverrideApi(_StatementApi):
    write_permission = Permission.LEGAL_OVERRIDE

    @extend_schema(request=OverrideSerializer, responses=StatementDetailSerializer)
    def post(self, request, statement_id: int):
        data = OverrideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement_override(statement_id=statement_id, access=self.access, **data.validated_data)
        return self.detail(statement_id)


class StatementRemindApi(_StatementApi):
    """Remind the people the statement waits for.

    As for replies: told again in-app and by e-mail, at most once each 30 minutes for one
    version, audited (`reminded`); for those who write. No body is needed (`expected_status`
    / `expected_version`: 409 `stale` when it changed since you read it). Answers whom it
    waits for; 409 `reminded_recently`, `not_waiting` or `nobody_to_remind`."""

    @extend_schema(request=ExpectSerializer, responses=WaitingOutputSerializer)
    def post(self, request, statement_id: int):
        data = ExpectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        waiting = approval_remind(
            kind="statement", pk=statement_id, access=self.access, **data.validated_data
        )
        return Response(WaitingOutputSerializer(waiting, context={"clinic": self.clinic}).data)


class StatementDiscardApi(_StatementApi):
    @extend_schema(request=None, responses=StatementDetailSerializer)
    def post(self, request, statement_id: int):
        statement_discard(statement_id=statement_id, access=self.access)
        return self.detail(statement_id)


class StatementPublishApi(_StatementApi):
    """Publish the approved version: the public page /statements/<clinic>/ shows it and the
    channels that can pin (Facebook pages) get it posted and pinned through the outbox."""

    @extend_schema(request=PublishSerializer, responses=StatementDetailSerializer)
    def post(self, request, statement_id: int):
        data = PublishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        statement_publish(statement_id=statement_id, access=self.access, **data.validated_data)
        return self.detail(statement_id)


class StatementUnpinApi(_StatementApi):
    """Take the statement off the public page and unpin its posts; its history stays."""

    @extend_schema(request=None, responses=StatementDetailSerializer)
    def post(self, request, statement_id: int):
        statement_unpin(statement_id=statement_id, access=self.access)
        return self.detail(statement_id)
