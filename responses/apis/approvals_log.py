"""The approvals log: who approved what, when, at which step, and what was overridden."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema

from core.api import ClinicAPIView, Pagination, query_params_validated
from core.permissions import Permission
from responses.apis.serializers import (
    ApprovalsLogEntryOutputSerializer,
    ApprovalsLogFilterSerializer,
)
from responses.selectors import approvals_log, approvals_log_rows


class ApprovalsLogListApi(ClinicAPIView):
    """List who approved what, when and at which step.

    Every approval decision of the clinic's replies, batches and statements, newest first:
    who decided (with their role then), at which step, the decision (approved, approved as a
    batch of N, rejected and sent back with the reason, the privacy block kept or overridden
    with the reason, discarded while it waited at the step, or withdrawn because its review
    was settled, with the reason), what it was about and the text of the version decided on.
    Who submitted each version for approval is listed too (`submitted`, with who wrote it when
    someone else did), and a privacy block overridden or kept carries what the privacy check
    found (`findings`). `person.email` tells apart two people of one name.

    Filters: `decided_from` / `decided_to` (days of the clinic's time zone, inclusive),
    `person` (`person.label` of an entry), `step`, `decision`, `kind`. A value it cannot use,
    or a parameter it does not know, is a 400 naming it. Read by the agency's owners and
    managers, the clinic's approvers and its legal and clinician people, and keys with the
    `approve` scope; the clinic's own people (and their keys) read the decisions on what
    reached the clinic, as `audit/` does."""

    pagination_class = Pagination
    read_permission = Permission.APPROVALS_LOG

    @extend_schema(
        parameters=[ApprovalsLogFilterSerializer],
        responses=ApprovalsLogEntryOutputSerializer(many=True),
    )
    def get(self, request):
        filters = query_params_validated(ApprovalsLogFilterSerializer, request.query_params)
        entries = approvals_log(self.access, **filters)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(entries, request, view=self)
        # the clinic's own people read the log as the portal shows it (the agency's brand)
        rows = approvals_log_rows(page, clinic=self.clinic, for_clinic=self.access.is_clinic_side)
        return paginator.get_paginated_response(
            ApprovalsLogEntryOutputSerializer(rows, many=True).data
        )
