"""The dashboard pages: every clinic of the agency on one screen (/agency/), and one clinic's
overview (/clinics/<slug>/)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.views import View
from django.views.generic.base import TemplateResponseMixin

from agency.models import AGENCY_ROLE_HELP, AgencyMembership, AgencyRole
from agency.selectors import agencies_for_user, agency_for_staff
from agency.services import staff_role_help
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
    START_HERE_READ_STEPS,
    URGENCY_WORDS,
    awaiting_reply_across,
    clinic_setup_steps,
    dashboard_clinics,
    dashboard_clinics_deactivated,
    dashboard_sort_parse,
    dashboard_totals,
    drafts_unsubmitted_of,
    start_here_keys,
    start_here_state,
    start_here_steps,
)
from dashboard.services import (
    SPARK_DAYS,
    TREND_WINDOW_DAYS,
    start_here_dismiss,
    start_here_opened,
    start_here_reopen,
)
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
        totals = dashboard_totals(agency=self.agency, viewer=viewer, q=q, status=status)
        return self.render_to_response(
            self.context(
                page=page,
                # the figures of the clinics listed (every page of them); an address it
                # cannot read lists nothing, and the agency's figures show
                totals=totals,
                start_here=self._start_here(viewer, totals if not (q or status) else None),
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

    def _start_here(self, viewer, totals: dict | None) -> dict | None:
        """The "Start here" panel for the person's role, None once they put it away."""
        state = start_here_state(self.request.user)
        if state is not None and state.dismissed_at is not None:
            return None
        if totals is None:  # the page's figures are of a filtered list: the panel's are not
            totals = dashboard_totals(agency=self.agency, viewer=viewer)
        steps = start_here_steps(
            user=self.request.user,
            agency=self.agency,
            role=self.role,
            totals=totals,
            viewer=viewer,
            opened=state.opened if state is not None else (),
        )
        return {
            "steps": steps,
            "done": sum(1 for step in steps if step["done"]),
            "role": AgencyRole(self.role).label,
            "role_help": self._role_help(),
        }

    def _role_help(self) -> str:
        """What the viewer's role does, of the clinics chosen for them if they reach only
        those (a writer limited to one clinic does not read "every clinic")."""
        if not self.clinics_limited:  # every clinic: no query
            return AGENCY_ROLE_HELP[self.role]
        membership = AgencyMembership.objects.filter(
            agency=self.agency, user=self.request.user
        ).first()
        return staff_role_help(membership) if membership else AGENCY_ROLE_HELP[self.role]


START_HERE_ACTIONS = {"dismiss": start_here_dismiss, "reopen": start_here_reopen}


def _staff_or_404(request):
    agency, role = agency_for_staff(request.user, request.GET.get("agency"))
    if agency is None:
        raise Http404("Not found.")
    return agency, role


class _StaffOnly(LoginRequiredMixin, View):
    """A staff member's own page: anyone outside the agency's staff gets 404 whatever the
    method, as `StaffView` answers them; every staff role may use it."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.agency, self.role = _staff_or_404(request)
        return super().dispatch(request, *args, **kwargs)


class StartHereView(_StaffOnly):
    """Put the dashboard's "Start here" panel away (`action=dismiss`, the panel's button) or
    show it again (`action=reopen`, the account page). Each staff member's own choice: any
    role may, unlike the agency's settings (`StaffView` asks owner or manager for a POST)."""

    def post(self, request):
        action = request.POST.get("action", "")
        if action not in START_HERE_ACTIONS:
            return render(
                request,
                "400_param.html",
                {"text": "“action”: choose “dismiss” or “reopen”.", "field": "action"},
                status=400,
            )
        START_HERE_ACTIONS[action](user=request.user)
        return HttpResponseRedirect("/agency/" + ("#start-here" if action == "reopen" else ""))


class StartHereOpenView(_StaffOnly):
    """A step of the panel, opened from it: a step done by reading it is marked done, then the
    person goes to the step's page (the address the panel computes, never one from the link).
    A step the person's role is not offered answers 404."""

    def get(self, request, key: str):
        agency, role = self.agency, self.role
        if key not in start_here_keys(role):
            raise Http404("Not found.")
        if key in START_HERE_READ_STEPS:
            start_here_opened(user=request.user, key=key)
        [step] = start_here_steps(
            user=request.user, agency=agency, role=role, totals={}, viewer=request.user, only=key
        )
        return HttpResponseRedirect(step["url"])


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
