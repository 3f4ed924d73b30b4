"""The publishing outbox: what was sent, what waits, what failed (with the platform's own
message), and what must be posted by hand."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.api import ClinicAPIView, Pagination, paginated_response, query_params_validated
from responses.apis.serializers import (
    MarkPostedInputSerializer,
    OutboxFilterSerializer,
    OutboxItemSerializer,
)
from responses.selectors import outbox_list
from responses.services.outbox import outbox_mark_posted, outbox_retry


class OutboxListApi(ClinicAPIView):
    pagination_class = Pagination

    @extend_schema(parameters=[OutboxFilterSerializer], responses=OutboxItemSerializer(many=True))
    def get(self, request):
        filters = query_params_validated(OutboxFilterSerializer, request.query_params)
        return paginated_response(
            self, outbox_list(status=filters.get("status")), OutboxItemSerializer
        )


class OutboxDetailApi(ClinicAPIView):
    @extend_schema(responses=OutboxItemSerializer)
    def get(self, request, item_id: int):
        item = outbox_list().filter(pk=item_id).first()
        if item is None:
            raise NotFound()
        return Response(OutboxItemSerializer(item).data)


class OutboxMarkPostedApi(ClinicAPIView):
    """A person posted the text by hand (Yelp, sources without a connector, after a failure,
    or while it waits to be sent: held back by a rate limit or an outage, or waiting for its
    channel to be connected; it is then never sent): the reply counts as published from now,
    with the link and/or the platform's id they pasted; one of the two is required (neither:
    a 400 naming `url` and `external_id`, nothing changes). An item already posted, or being
    sent at this moment, answers 409 and nothing changes."""

    @extend_schema(request=MarkPostedInputSerializer, responses=OutboxItemSerializer)
    def post(self, request, item_id: int):
        data = MarkPostedInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = outbox_mark_posted(item_id=item_id, access=self.access, **data.validated_data)
        return Response(OutboxItemSerializer(item).data)


class OutboxRetryApi(ClinicAPIView):
    """Send a failed item again."""

    @extend_schema(request=None, responses=OutboxItemSerializer)
    def post(self, request, item_id: int):
        item = outbox_retry(item_id=item_id, access=self.access)
        return Response(OutboxItemSerializer(item).data)
