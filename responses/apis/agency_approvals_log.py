"""The agency's approvals log in the API (`GET /api/v1/approvals-log/`): every clinic's approval
decisions in one list, newest first, each naming its clinic; the twin of the agency's page
(`responses.views_agency_approvals_log`), read the same way (`responses.agency_approvals_log`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError

from clinics.access import agency_approvals_log_access
from core.api import PublicAPIView, TokenPagination, query_params_validated
from responses.agency_approvals_log import (
    AgencyLogFilters,
    LogCursor,
    agency_approvals_log_page,
    agency_approvals_log_rows,
    approvals_log_clinics,
)
from responses.apis.serializers import (
    AgencyApprovalsLogEntryOutputSerializer,
    AgencyApprovalsLogFilterSerializer,
)

UNKNOWN_CLINIC = "No such clinic in this agency."


class AgencyApprovalsLogListApi(PublicAPIView):
    """List every approval decision of the agency's clinics, newest first.

    The decisions of each clinic's approvals log (`/clinics/<slug>/api/v1/approvals-log/`, the
    same fields, as the agency reads them) of every clinic of the agency, active and paused,
    merged by time, each with its `clinic` (slug, name and its own log's page at the decision).

    Filters, as on the agency's page: `clinic` (a slug), `decision`, `step`, `kind`,
    `decided_from` / `decided_to` (whole UTC days: the log is agency-wide). A value it cannot
    use, or a parameter it does not know, is a 400 naming it. Paged by `cursor`: `next` and
    `previous` (null on the first page; a `previous` that reaches the start answers the first
    page, full); each page asks each clinic for at most `page_size` + 1 decisions.
    Read by the agency's owners and managers (in person or with a personal token; `agency`
    names one when they manage several) and by the agency's keys with the `approve` scope;
    never a clinic key."""

    pagination_class = TokenPagination

    @extend_schema(
        parameters=[AgencyApprovalsLogFilterSerializer],
        responses=AgencyApprovalsLogEntryOutputSerializer(many=True),
    )
    def get(self, request):
        # who may read, before the input: a caller who may not is a 403 whatever it sent
        access = agency_approvals_log_access(
            self.actor, agency_slug=str(request.query_params.get("agency") or "")
        )
        if access.unknown_agency:
            raise ValidationError({"agency": [access.refusal]})
        if access.agency is None:
            raise PermissionDenied(access.refusal)
        chosen = query_params_validated(AgencyApprovalsLogFilterSerializer, request.query_params)
        reachable = approvals_log_clinics(actor=self.actor, agency=access.agency)
        if (slug := chosen.get("clinic")) and slug not in {c.slug for c, _ in reachable}:
            raise ValidationError({"clinic": [UNKNOWN_CLINIC]})
        chosen.pop("agency", None)
        filters = AgencyLogFilters(**chosen)

        def fetch(after, before, size):
            page = agency_approvals_log_page(
                reachable, filters, after=after, before=before, size=size
            )
            return (
                agency_approvals_log_rows(page.items),
                page.after.token() if page.after else None,
                page.before.token() if page.before else None,
            )

        paginator = self.pagination_class()
        rows = paginator.paginate_tokens(request, self, fetch, LogCursor.parse)
        return paginator.get_paginated_response(
            AgencyApprovalsLogEntryOutputSerializer(rows, many=True).data
        )
