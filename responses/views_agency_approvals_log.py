"""The agency's approvals log page (mounted under /agency/ by config.urls_public): every
clinic's approval decisions in one list, newest first, for the agency's owners and managers
(the rule of the agency's privacy requests log, `agency.views.StaffView` with `manage_get`),
filtered, in pages, and as a CSV file with the same filters."""

from __future__ import annotations

from dataclasses import replace
from itertools import islice

from django.utils import timezone

from accounts.naming import names_told_apart
from agency.views import StaffView
from core.csv_download import csv_download, csv_time
from responses.agency_approvals_log import (
    AgencyLogFilters,
    agency_approvals_log,
    agency_approvals_log_page,
    agency_approvals_log_rows,
    approvals_log_clinics,
)
from responses.forms import AgencyApprovalsLogFilterForm
from responses.views_approvals_log import findings_words

PAGE_SIZE = 50
CSV_CHUNK = 500
CSV_COLUMNS = (
    "decided_at", "clinic", "clinic_slug", "person", "person_label", "email", "role", "step",
    "decision", "reason", "kind", "what", "version", "text", "reply_id", "batch_id",
    "statement_id", "review_id", "entry_id", "clinic_log", "decision_code", "step_code",
    "findings",
)  # fmt: skip


def _utc(at) -> str:
    return csv_time(at)


class AgencyApprovalsLogView(StaffView):
    """Every decision of the agency's clinics (active and paused) a reader may see in each
    clinic's own log, newest first, each naming its clinic and linking to it; `?format=csv`
    downloads what the filters keep. A filter that cannot be read is a 400 naming it, with
    nothing listed."""

    template_name = "responses/agency_approvals_log.html"
    manage_get = True

    def get(self, request):
        reachable = approvals_log_clinics(user=request.user, agency=self.agency)
        form = AgencyApprovalsLogFilterForm(
            request.GET, clinics=[(c.slug, c.name) for c, _access in reachable]
        )
        context = {"section": "approvals-log", "form": form}
        if not form.is_valid():
            return self.render_to_response(self.context(**context), status=400)
        filters = AgencyLogFilters(**{k: form.cleaned_data[k] for k in form.FILTERS})
        if request.GET.get("format") == "csv":
            return self._csv(reachable, filters)
        page = agency_approvals_log_page(
            reachable, filters, after=form.cleaned_data["after"], size=PAGE_SIZE
        )
        items, next_cursor = page.items, page.after
        rows = agency_approvals_log_rows(items)
        named = names_told_apart(
            (r.row.person_label, r.row.person_name, r.row.person_email) for r in rows
        )
        rows = [replace(r, row=replace(r.row, person_name=named[r.row.person_label])) for r in rows]
        kept = request.GET.copy()
        for key in ("after", "format"):
            kept.pop(key, None)
        return self.render_to_response(
            self.context(
                **context,
                rows=rows,
                next_after=next_cursor.token() if next_cursor else "",
                paged=bool(form.cleaned_data["after"]),
                filtered=any(request.GET.get(k) for k in form.FILTERS),
                query=kept.urlencode(),
            )
        )

    def _csv(self, reachable, filters: AgencyLogFilters):
        def rows():
            stream = agency_approvals_log(reachable, filters, chunk=CSV_CHUNK)
            while chunk := list(islice(stream, CSV_CHUNK)):
                for r in agency_approvals_log_rows(chunk):
                    row = r.row
                    yield (
                        _utc(row.at), r.clinic.name, r.clinic.slug, row.person_name,
                        row.person_label, row.person_email, row.role, row.step_label,
                        row.decision_words, row.reason, row.kind, row.what, row.version,
                        row.text, row.reply_id, row.batch_id, row.statement_id, row.review_id,
                        row.id, r.clinic_log_link, row.decision, row.step,
                        findings_words(row.findings),
                    )  # fmt: skip

        day = timezone.now().date().isoformat()
        return csv_download(
            CSV_COLUMNS, rows(), filename=f"approvals-log-{self.agency.slug}-{day}.csv"
        )
