"""The dashboard pages: every clinic of the agency on one screen (/agency/), and one clinic's
overview (/clinics/<slug>/)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import QueryDict
from django.views.generic.base import TemplateResponseMixin

from agency.selectors import agencies_for_user
from agency.views import StaffView
from clinics.models import Clinic, ClinicMembership
from core.permissions import PERMISSION_WORDS, Permission
from core.views import ClinicView
from crisis.selectors import incident_figures
from dashboard.filters import DashboardFilterForm
from dashboard.selectors import (
    DASHBOARD_DEFAULT_SORT,
    DASHBOARD_PAUSED,
    DASHBOARD_STATUSES,
    DASHBOARD_URGENCY,
    URGENCY_WORDS,
    awaiting_reply_across,
    clinic_setup_steps,
    dashboard_clinics,
    dashboard_clinics_deactivated,
    dashboard_sort_parse,
    dashboard_totals,
    drafts_unsubmitted_of,
)
from dashboard.services import SPARK_DAYS, TREND_WINDOW_DAYS
from feeds.models import ReviewStatus
from feeds.selectors import review_status_counts
from inbox.selectors import SLA_LOOKBACK_DAYS, reviews_recent

DASHBOARD_PAGE = 100
# The sentiment column says the period of the figure it shows: the mean of the last
# TREND_WINDOW_DAYS days (`spark_mean`); the line beside it spans SPARK_DAYS days.
SENTIMENT_HEADING = f"Sentiment ({TREND_WINDOW_DAYS} d)"
SENTIMENT_HELP = (
    f"{SENTIMENT_HEADING}: the mean sentiment of the last {TREND_WINDOW_DAYS} days, from −1 "
    f"(negative) to +1 (positive), each day weighted by its reviews; the line shows each of the "
    f"last {SPARK_DAYS} days, and the arrow compares the last {TREND_WINDOW_DAYS} days with the "
    f"first {TREND_WINDOW_DAYS}."
)
# The table's columns: (sort key, heading). A row's cells come in this order
# (`dashboard_tags.clinic_row`), and on a phone each is labelled with its heading by the
# stylesheet (`.table.dashboard td:nth-child(n)::before`, checked against this list).
DASHBOARD_COLUMNS = [
    ("name", "Clinic"),
    ("severity", "Severity"),
    ("new", "Unread (all time)"),
    ("rating", "Avg rating (90 d)"),
    ("trend", SENTIMENT_HEADING),
    ("incidents", "Open incidents"),
    ("approvals", "Awaiting approval"),
    ("failed", "Failed deliveries"),
    ("sla", "SLA breaches"),
]
# How the page names the clinics a status lists: "3 clinics with an open incident", "No clinic
# named like “north” has an open incident".
STATUS_WITH = {
    "attention": "needing attention",
    "incident": "with an open incident",
    "sla": "with SLA breaches",
    "approvals": "with replies or statements waiting for approval",
    "failed": "with failed deliveries",
    "calm": "that are calm (no incident, breach, approval or failure)",
    "paused": "paused or deactivated",
}
STATUS_VERB = {
    "attention": "needs attention",
    "incident": "has an open incident",
    "sla": "has SLA breaches",
    "approvals": "has replies or statements waiting for approval",
    "failed": "has failed deliveries",
    "calm": "is calm (no incident, breach, approval or failure)",
    "paused": "is paused or deactivated",
}


def _in_sentence(label: str) -> str:
    """A status's label inside a sentence: "Open incident" -> "open incident", an initialism
    kept as written ("SLA breaches")."""
    first = label.split(" ", 1)[0]
    return label if first.isupper() and len(first) > 1 else label[:1].lower() + label[1:]


class DashboardView(StaffView):
    """Every clinic of the agency on one screen, read from the snapshot rollup (one query for
    the rows, one for the totals): found by name, narrowed by status, most urgent first or
    sorted by any column. The choice lives in the address (a link to share, the back button);
    a parameter it cannot read is named on the page (400) and nothing is listed."""

    template_name = "dashboard/dashboard.html"

    def get(self, request):
        form = DashboardFilterForm(request.GET)
        problems = form.problems()
        chosen = form.cleaned_data if not problems else {}
        sort, descending = dashboard_sort_parse(chosen.get("sort"))
        q = chosen.get("q", "")
        status = chosen.get("status", "")
        # who reaches only some clinics sees those; anyone else reaches every clinic of the
        # agency, and the rows, totals and paused list need no filter of theirs
        viewer = request.user if self.clinics_limited else None
        if problems:  # a filter it cannot read lists nothing, not every clinic
            clinics = Clinic.objects.none()
        else:
            clinics = dashboard_clinics(
                agency=self.agency,
                sort=sort,
                descending=descending,
                q=q,
                status=status,
                viewer=viewer,
            )
        page = Paginator(clinics, DASHBOARD_PAGE).get_page(chosen.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        agencies = list(agencies_for_user(request.user).order_by("name"))
        # "clear filters" keeps the agency chosen (staff of several agencies); the sort links
        # keep the filters the page could read, nothing else
        clear = f"?agency={self.agency.slug}" if len(agencies) > 1 else ""
        kept = QueryDict(mutable=True)
        if len(agencies) > 1:
            kept["agency"] = self.agency.slug
        for name in ("q", "status"):
            readable = name not in form.errors and len(request.GET.getlist(name)) == 1
            if readable and form.cleaned_data.get(name):
                kept[name] = form.cleaned_data[name]
        deactivated = (
            dashboard_clinics_deactivated(agency=self.agency, q=q, viewer=viewer)
            if status != DASHBOARD_PAUSED and not problems
            else []
        )
        return self.render_to_response(
            self.context(
                page=page,
                # the figures of the clinics listed (every page of them); an address it
                # cannot read lists nothing, and the agency's figures show
                totals=dashboard_totals(agency=self.agency, viewer=viewer, q=q, status=status),
                deactivated=deactivated,
                clinic_count=page.paginator.count,
                agencies=agencies,
                sort=sort,
                sort_raw=("-" if descending else "") + sort,
                # the column whose heading says how the rows are sorted: most urgent first is
                # the most severe incident first
                sort_column="severity" if sort == DASHBOARD_URGENCY else sort,
                descending=descending or sort == DASHBOARD_URGENCY,
                default_sort=DASHBOARD_DEFAULT_SORT,
                urgency_words=URGENCY_WORDS,
                q=q,
                status=status,
                status_label=DASHBOARD_STATUSES[status][0] if status else "",
                status_words=_in_sentence(DASHBOARD_STATUSES[status][0]) if status else "",
                status_with=STATUS_WITH.get(status, ""),
                status_verb=STATUS_VERB.get(status, ""),
                statuses=[(k, v[0]) for k, v in DASHBOARD_STATUSES.items()],
                paused=status == DASHBOARD_PAUSED,
                filtered=bool(q or status),
                problems=problems,
                # what the form shows: the values it could read, the name search as typed
                shown_q=form.cleaned_data.get("q", request.GET.get("q", "")[:200]),
                shown_status=form.cleaned_data.get("status", ""),
                clear_url=f"/agency/{clear}",
                query=query.urlencode(),
                filter_query=kept,
                sentiment_help=SENTIMENT_HELP,
                columns=DASHBOARD_COLUMNS,
            ),
            status=400 if problems else 200,
        )


class AwaitingReplyView(StaffView):
    """Every clinic's unanswered negative reviews on one screen, past the reply target first:
    where the agency's writers start their day (see `awaiting_reply_across`)."""

    template_name = "dashboard/awaiting.html"

    def get(self, request):
        return self.render_to_response(
            self.context(
                waiting=awaiting_reply_across(agency=self.agency, viewer=request.user),
                my_drafts=drafts_unsubmitted_of(request.user),
                totals=dashboard_totals(agency=self.agency, viewer=request.user),
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
