"""Reply drafts (versions, guard findings, approvals, audit trail, SLA). Private follow-ups
are in `followups.py`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.api import ClinicAPIView, Pagination, paginated_response, query_params_validated
from core.permissions import Permission
from responses.apis.serializers import (
    ApproveSerializer,
    AuditEntrySerializer,
    DraftCreateSerializer,
    DraftDetailSerializer,
    DraftFilterSerializer,
    DraftOutputSerializer,
    DraftUpdateSerializer,
    ExpectSerializer,
    OverrideSerializer,
    RejectSerializer,
    TakeBackSerializer,
    WaitingOutputSerializer,
)
from responses.selectors import audit_for, draft_get, drafts_list, text_visible_to, visible_to
from responses.services.approvals import approval_remind
from responses.services.replies import (
    reply_approve,
    reply_discard,
    reply_draft_create,
    reply_draft_update,
    reply_override,
    reply_reject,
    reply_submit,
    reply_take_back,
)


class _DraftApi(ClinicAPIView):
    def detail(self, draft_id: int, *, code=status.HTTP_200_OK) -> Response:
        draft = draft_get(draft_id)
        if draft is None:
            raise NotFound()
        data = DraftDetailSerializer(draft, context={"clinic": self.clinic}).data
        return Response(data, status=code)


class DraftListApi(_DraftApi):
    """Reply drafts, most recently changed first. POST starts the reply to a review: from
    `text`, from the template `template_key`, or (neither given) from the suggested template;
    a review has at most one open draft (409 `draft_exists`)."""

    pagination_class = Pagination

    @extend_schema(parameters=[DraftFilterSerializer], responses=DraftOutputSerializer(many=True))
    def get(self, request):
        filters = query_params_validated(DraftFilterSerializer, request.query_params)
        drafts = visible_to(self.access, drafts_list(**filters))
        return paginated_response(self, drafts, DraftOutputSerializer)

    @extend_schema(request=DraftCreateSerializer, responses={201: DraftDetailSerializer})
    def post(self, request):
        data = DraftCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        draft = reply_draft_create(access=self.access, **data.validated_data)
        return self.detail(draft.pk, code=status.HTTP_201_CREATED)


class DraftDetailApi(_DraftApi):
    """A draft with every version (its guard verdict and findings), the audit trail and the
    SLA clock. PATCH saves a new version (send `expected_version` to refuse overwriting a
    newer one: 409); a draft under review goes back to draft."""

    @extend_schema(responses=DraftDetailSerializer)
    def get(self, request, draft_id: int):
        if not text_visible_to(self.access, "reply", draft_id):
            raise NotFound()
        return self.detail(draft_id)

    @extend_schema(request=DraftUpdateSerializer, responses=DraftDetailSerializer)
    def patch(self, request, draft_id: int):
        data = DraftUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply_draft_update(draft_id=draft_id, access=self.access, **data.validated_data)
        return self.detail(draft_id)


class DraftSubmitApi(_DraftApi):
    """Send the draft for approval. A version the guard blocks (no legal override covering
    it) goes to legal instead: it stays a draft and legal is asked to lift or keep the block
    (`waiting.step` `guard`); 409 `legal_asked` when legal was asked about this version
    already, 422 `guard_blocked` when legal kept its block. A reply legal sent back before
    (kept the block, or rejected it at the legal step) goes to the legal step again, whatever
    the guard says."""

    @extend_schema(request=ExpectSerializer, responses=DraftDetailSerializer)
    def post(self, request, draft_id: int):
        data = ExpectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply_submit(
            draft_id=draft_id,
            access=self.access,
            expected_version=data.validated_data.get("expected_version"),
        )
        return self.detail(draft_id)


class DraftApproveApi(_DraftApi):
    """Approve the current step (agency: approve_agency; legal: legal_override; clinician:
    the clinician crisis role; clinic: approve_client). Nobody approves their own draft (403
    `separation_of_duties`); send `expected_status` / `expected_version` as you saw them: if someone acted
    first the answer is 409 `stale`. The last approval queues the reply for publishing."""

    write_permission = Permission.VIEW  # the step decides; checked by the service

    @extend_schema(request=ApproveSerializer, responses=DraftDetailSerializer)
    def post(self, request, draft_id: int):
        data = ApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply_approve(draft_id=draft_id, access=self.access, **data.validated_data)
        return self.detail(draft_id)


class DraftRejectApi(_DraftApi):
    """Send the draft back to its writer with a comment (required)."""

    write_permission = Permission.VIEW  # the step decides; checked by the service

    @extend_schema(request=RejectSerializer, responses=DraftDetailSerializer)
    def post(self, request, draft_id: int):
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply_reject(draft_id=draft_id, access=self.access, **data.validated_data)
        return self.detail(draft_id)


class DraftTakeBackApi(_DraftApi):
    """Take back your own approval of the current version, before the next step acts on it:
    it waits at your step again (for you or another of its people), the next step's people
    lose their notice and its writers are told. Never once the last step approved it (its
    publishing is on its way). 409 `not_taken_back` (with why) when it is not your approval,
    something happened since, or it is approved; 409 `stale` as for approving; 403 for a role
    that gives no approval step (a viewer, a writer, an analyst)."""

    write_permission = Permission.VIEW  # the step decides; checked by the service

    @extend_schema(request=TakeBackSerializer, responses=DraftDetailSerializer)
    def post(self, request, draft_id: int):
        data = TakeBackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply_take_back(draft_id=draft_id, access=self.access, **data.validated_data)
        return self.detail(draft_id)


class DraftOverrideApi(_DraftApi):
    """Lift the guard's block on the current version, with a reason (legal role only;
    audited). A later edit is checked anew."""

    write_permission = Permission.LEGAL_OVERRIDE

    @extend_schema(request=OverrideSerializer, responses=DraftDetailSerializer)
    def post(self, request, draft_id: int):
        data = OverrideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply_override(draft_id=draft_id, access=self.access, **data.validated_data)
        return self.detail(draft_id)


class DraftDiscardApi(_DraftApi):
    """Give up a draft that is not approved yet (the review may then get a new one)."""

    @extend_schema(request=None, responses=DraftDetailSerializer)
    def post(self, request, draft_id: int):
        reply_discard(draft_id=draft_id, access=self.access)
        return self.detail(draft_id)


class DraftRemindApi(_DraftApi):
    """Remind the people the draft waits for.

    They are told again, in-app and by e-mail, as the "Remind them" button of the approval
    pages does: for those who write (`write`), at most once each 30 minutes for one version,
    and recorded in the audit trail (`reminded`). No body is needed; `expected_status` /
    `expected_version` as you read the draft make it 409 `stale` when it changed since.
    Answers whom it waits for, with the reminder. 409 `reminded_recently` (who reminded them
    and when you may again), `not_waiting` (a draft not submitted, sent back, approved or
    finished waits for nobody) or `nobody_to_remind` (everyone who may give the step wrote or
    already approved this version)."""

    @extend_schema(request=ExpectSerializer, responses=WaitingOutputSerializer)
    def post(self, request, draft_id: int):
        data = ExpectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        waiting = approval_remind(
            kind="reply", pk=draft_id, access=self.access, **data.validated_data
        )
        return Response(WaitingOutputSerializer(waiting, context={"clinic": self.clinic}).data)


class DraftAuditApi(_DraftApi):
    """The draft's audit trail, oldest first."""

    @extend_schema(responses=AuditEntrySerializer(many=True))
    def get(self, request, draft_id: int):
        if not text_visible_to(self.access, "reply", draft_id):
            raise NotFound()
        return paginated_response(self, audit_for("reply", draft_id), AuditEntrySerializer)
