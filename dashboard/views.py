"""The dashboard pages: every clinic of the agency on one screen (/agency/), and one clinic's
overview (/clinics/<slug>/)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.views.generic.base import TemplateResponseMixin

from agency.selectors import agencies_for_user
from agency.views import StaffView
from clinics.models import ClinicMembership
from core.permissions import PERMISSION_WORDS, Permission
from core.views import ClinicView
from crisis.selectors import incident_figures
from dashboard.selectors import (
    awaiting_reply_across,
    clinic_setup_steps,
    dashboard_clinics,
    dashboard_clinics_deactivated,
    dashboard_sort_parse,
    dashboard_totals,
)
from feeds.models import ReviewStatus
from feeds.selectors import review_status_counts
from inbox.selectors import SLA_LOOKBACK_DAYS, reviews_recent

DASHBOARD_PAGE = 100


class DashboardView(StaffView):
    """Every clinic of the agency on one screen, read from the snapshot rollup (one query for
    the rows, one for the totals), sortable by any column."""

    template_name = "dashboard/dashboard.html"

    def get(self, request):
        sort, descending = dashboard_sort_parse(request.GET.get("sort"))
        q = request.GET.get("q", "").strip()[:100]
        clinics = dashboard_clinics(agency=self.agency, sort=sort, descending=descending, q=q)
        page = Paginator(clinics, DASHBOARD_PAGE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return self.render_to_response(
            self.context(
                page=page,
                totals=dashboard_totals(agency=self.agency),
                deactivated=dashboard_clinics_deactivated(agency=self.agency),
                clinic_count=page.paginator.count,
                agencies=list(agencies_for_user(request.user).order_by("name")),
                sort=sort,
                descending=descending,
                sort_raw=("-" if descending else "") + sort,
                q=q,
                query=query.urlencode(),
                columns=[
                    ("name", "Clinic"),
                    ("severity", "Severity"),
                    ("new", "New reviews"),
                    ("rating", "Avg rating (90 d)"),
                    ("trend", "Sentiment (14 d)"),
                    ("incidents", "Open incidents"),
                    ("approvals", "Awaiting approval"),
                    ("failed", "Failed deliveries"),
                    ("sla", "SLA breaches"),
                ],
            )
        )


class AwaitingReplyView(StaffView):
    """Every clinic's unanswered negative reviews on one screen, past the reply target first:
    where the agency's writers start their day (see `awaiting_reply_across`)."""

    template_name = "dashboard/awaiting.html"

    def get(self, request):
        return self.render_to_response(
            self.context(
                waiting=awaiting_reply_across(agency=self.agency),
                totals=dashboard_totals(agency=self.agency),
                lookback_days=SLA_LOOKBACK_DAYS,
            )
        )


class ClinicOverviewView(TemplateResponseMixin, ClinicView):
    template_name = "dashboard/clinic_overview.html"

    def get(self, request, *args, **kwargs):
        context = {
            "clinic": self.clinic,
            "access": self.access,
            "permissions": [
                PERMISSION_WORDS[p] for p in Permission if p in self.access.permissions
            ],
            "incidents": incident_figures(),
            "reviews": reviews_recent(limit=25),
            "status_counts": {
                ReviewStatus(status).label: n for status, n in review_status_counts().items()
            },
            "setup": clinic_setup_steps(self.clinic)
            if self.access.can(Permission.MANAGE)
            else None,
            "people": ClinicMembership.objects.filter(clinic=self.clinic)
            .select_related("user")
            .order_by("user__full_name")
            if self.access.can(Permission.MANAGE)
            else None,
        }
        return self.render_to_response(context)
