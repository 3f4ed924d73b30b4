"""Reply batches: one answer for many mentions (a claim's, or a selection), approved once per
step, published per mention with each one's status."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.api import ClinicAPIView, Pagination, paginated_response, query_params_validated
from core.errors import Conflict
from core.permissions import Permission
from responses.apis.serializers import (
    BatchApproveSerializer,
    BatchCreatedSerializer,
    BatchCreateSerializer,
    BatchDetailSerializer,
    BatchExpectSerializer,
    BatchFilterSerializer,
    BatchOutputSerializer,
    BatchRejectSerializer,
    BatchUpdateSerializer,
    OverrideSerializer,
    WaitingOutputSerializer,
    batch_etag,
)
from responses.selectors import (
    reply_batch_get,
    reply_batches_list,
    text_visible_to,
    visible_to,
)
from responses.services.approvals import approval_remind
from responses.services.batches import (
    reply_batch_approve,
    reply_batch_create,
    reply_batch_discard,
    reply_batch_mention_remove,
    reply_batch_override,
    reply_batch_reject,
    reply_batch_submit,
    reply_batch_take_back,
    reply_batch_update,
)


class _BatchApi(ClinicAPIView):
    def detail(self, batch_id: int, *, code=status.HTTP_200_OK, left_out=None) -> Response:
        batch = reply_batch_get(batch_id)
        if batch is None:
            raise NotFound()
        if left_out is not None:
            data = BatchCreatedSerializer(batch, context={"left_out": left_out}).data
        else:
            data = BatchDetailSerializer(batch).data
        response = Response(data, status=code)
        response["ETag"] = batch_etag(batch)
        return response


class BatchListApi(_BatchApi):
    """Reply batches, most recently changed first. POST drafts one reply for many mentions:
    a claim's (`cluster_id`, all its mentions or the chosen `review_ids` among them) or a
    selection (`review_ids`); without `text`, the suggested factual correction citing the fact
    the claim contradicts (or `fact_slug`), with `kind: statement` a pointer to the pinned
    statement, or with `kind: reply` a plain starting text to edit (of the suggested texts,
    the longest whose every reply fits its platform). One draft per mention, variables filled
    per platform, each checked by the guard.

    A claim answered as a whole (`cluster_id` without `review_ids`) answers the mentions not
    yet answered: those that already have a reply (in progress, approved or published) are
    left out and listed in `left_out`; 409 `draft_exists` when none is left. A chosen
    selection is strict: 409 `draft_exists` when a mention already has a reply in progress or
    approved, each named by its author and the start of its text. A reply longer than its
    platform allows (X: 280 characters) is created all the same and marked
    (`items[].too_long_by`), so it can be shortened; submitting is refused until it fits. 400
    and nothing created for an empty selection, a mention that is not this clinic's (or not
    the claim's), or a variable without a value."""

    pagination_class = Pagination

    @extend_schema(parameters=[BatchFilterSerializer], responses=BatchOutputSerializer(many=True))
    def get(self, request):
        filters = query_params_validated(BatchFilterSerializer, request.query_params)
        batches = visible_to(self.access, reply_batches_list(**filters))
        return paginated_response(self, batches, BatchOutputSerializer)

    @extend_schema(request=BatchCreateSerializer, responses={201: BatchCreatedSerializer})
    def post(self, request):
        data = BatchCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch = reply_batch_create(access=self.access, **data.validated_data)
        return self.detail(batch.pk, code=status.HTTP_201_CREATED, left_out=batch.left_out)


class BatchDetailApi(_BatchApi):
    """One batch: its text, its mentions and, per mention, the reply and where its
    publishing stands (`items[].state`, `tally`). The `ETag` (and `etag`) names the version
    an approval must send back. PATCH sets a new text for every mention (a batch under review
    goes back to draft)."""

    @extend_schema(responses=BatchDetailSerializer)
    def get(self, request, batch_id: int):
        if not text_visible_to(self.access, "reply_batch", batch_id):
            raise NotFound()
        return self.detail(batch_id)

    @extend_schema(request=BatchUpdateSerializer, responses=BatchDetailSerializer)
    def patch(self, request, batch_id: int):
        data = BatchUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply_batch_update(batch_id=batch_id, access=self.access, **data.validated_data)
        return self.detail(batch_id)


def _with_if_match(request, data) -> dict:
    """`If-Match: "batch-<id>-v<n>"` (the ETag) may stand for `expected_version`; when both
    are sent they must agree (409 `stale`)."""
    data = dict(data.items()) if hasattr(data, "items") else {}
    header = request.headers.get("If-Match", "").strip()
    if header and header != "*":
        try:
            version = int(header.strip('"').rsplit("-v", 1)[1])
        except (IndexError, ValueError):
            raise Conflict("If-Match does not name a batch version.", code="stale") from None
        if data.get("expected_version") not in (None, "", version, str(version)):
            raise Conflict("If-Match and expected_version disagree.", code="stale")
        data["expected_version"] = version
    return data


class BatchSubmitApi(_BatchApi):
    """Send the batch to its first approval step (one route for all its mentions, from the
    worst guard verdict among them). 400 `too_long` and nothing changes while a mention's
    reply is longer than its platform allows (`items[].too_long_by`): each such mention is
    named in `fields.text`; shorten the text (PATCH) or take the mention out. A version the
    guard blocks goes to legal instead, as a draft's does (`drafts/<id>/submit/`)."""

    @extend_schema(request=BatchExpectSerializer, responses=BatchDetailSerializer)
    def post(self, request, batch_id: int):
        data = BatchExpectSerializer(data=_with_if_match(request, request.data))
        data.is_valid(raise_exception=True)
        reply_batch_submit(batch_id=batch_id, access=self.access, **data.validated_data)
        return self.detail(batch_id)


class BatchApproveApi(_BatchApi):
    """Give the current step for every mention of the batch, once. `expected_version` (or
    `If-Match` with the ETag) is the version you read: if the text or the list of mentions
    changed since, 409 `stale` and nothing is approved. Separation of duties as for any
    reply; the last step queues every mention's reply for publishing."""

    write_permission = Permission.VIEW  # the step decides; checked by the service

    @extend_schema(request=BatchApproveSerializer, responses=BatchDetailSerializer)
    def post(self, request, batch_id: int):
        data = BatchApproveSerializer(data=_with_if_match(request, request.data))
        data.is_valid(raise_exception=True)
        reply_batch_approve(batch_id=batch_id, access=self.access, **data.validated_data)
        return self.detail(batch_id)


class BatchTakeBackApi(_BatchApi):
    """As for replies (`drafts/{id}/take-back/`): take back your own approval of the batch
    before the next step acts (`expected_version` or `If-Match` as for approving); its
    mentions' replies follow it. 409 `not_taken_back` with why, 409 `stale`, 403 for a role
    that gives no approval step."""

    write_permission = Permission.VIEW  # the step decides; checked by the service

    @extend_schema(request=BatchApproveSerializer, responses=BatchDetailSerializer)
    def post(self, request, batch_id: int):
        data = BatchApproveSerializer(data=_with_if_match(request, request.data))
        data.is_valid(raise_exception=True)
        reply_batch_take_back(batch_id=batch_id, access=self.access, **data.validated_data)
        return self.detail(batch_id)


class BatchRejectApi(_BatchApi):
    """Send the batch back to its writer with a comment (required)."""

    write_permission = Permission.VIEW  # the step decides; checked by the service

    @extend_schema(request=BatchRejectSerializer, responses=BatchDetailSerializer)
    def post(self, request, batch_id: int):
        data = BatchRejectSerializer(data=_with_if_match(request, request.data))
        data.is_valid(raise_exception=True)
        reply_batch_reject(batch_id=batch_id, access=self.access, **data.validated_data)
        return self.detail(batch_id)


class BatchOverrideApi(_BatchApi):
    """Lift the guard's block on the batch's current version, with a reason (legal role
    only; audited on the batch and on each mention's reply)."""

    write_permission = Permission.LEGAL_OVERRIDE

    @extend_schema(request=OverrideSerializer, responses=BatchDetailSerializer)
    def post(self, request, batch_id: int):
        data = OverrideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply_batch_override(batch_id=batch_id, access=self.access, **data.validated_data)
        return self.detail(batch_id)


class BatchRemindApi(_BatchApi):
    """Remind the people the batch waits for.

    As for a single reply: told again in-app and by e-mail, at most once each 30 minutes for
    one batch version, audited (`reminded`); for those who write. No body is needed
    (`expected_version` or `If-Match` with the ETag: 409 `stale` when the batch changed since
    you read it). Answers whom it waits for; 409 `reminded_recently`, `not_waiting` or
    `nobody_to_remind`."""

    @extend_schema(request=BatchExpectSerializer, responses=WaitingOutputSerializer)
    def post(self, request, batch_id: int):
        data = BatchExpectSerializer(data=_with_if_match(request, request.data))
        data.is_valid(raise_exception=True)
        waiting = approval_remind(
            kind="batch", pk=batch_id, access=self.access, **data.validated_data
        )
        return Response(WaitingOutputSerializer(waiting, context={"clinic": self.clinic}).data)


class BatchDiscardApi(_BatchApi):
    """Discard the batch and every reply it drafted (not once approved)."""

    @extend_schema(request=None, responses=BatchDetailSerializer)
    def post(self, request, batch_id: int):
        reply_batch_discard(batch_id=batch_id, access=self.access)
        return self.detail(batch_id)


class BatchMentionApi(_BatchApi):
    """Take one mention out of the batch (a new version; its draft is discarded, so it can be
    answered on its own)."""

    @extend_schema(
        parameters=[BatchExpectSerializer], request=None, responses={200: BatchDetailSerializer}
    )
    def delete(self, request, batch_id: int, review_id: int):
        filters = query_params_validated(
            BatchExpectSerializer, _with_if_match(request, request.query_params)
        )
        reply_batch_mention_remove(
            batch_id=batch_id, review_id=review_id, access=self.access, **filters
        )
        return self.detail(batch_id)
