"""The approvals log page of a clinic: every approval decision, newest first, filtered, in pages
of 50, and the filtered log as a CSV file. The agency's staff page is here; the portal shows
the same log to the clinic's own people (`portal.views.PortalApprovalsLogView`) through
`approvals_log_page`."""

from __future__ import annotations

from dataclasses import replace
from itertools import islice

from django.utils import timezone
from django.views.generic.base import TemplateResponseMixin
from django_tenants.utils import schema_context

from accounts.naming import names_told_apart
from agency.branding import brand_name
from clinics.models import clinic_zone
from core.branding import as_brand
from core.csv_download import csv_download, csv_time
from core.errors import ValidationFailed
from core.paging import page_get
from core.permissions import Permission
from core.views import ClinicView
from responses.apis.serializers import ApprovalsLogFilterSerializer
from responses.selectors import (
    LOG_DECISION_CHOICES,
    LOG_KIND_CHOICES,
    LOG_STEP_CHOICES,
    approvals_log,
    approvals_log_people,
    approvals_log_rows,
)

PAGE_SIZE = 50
CSV_CHUNK = 500
# What the log's address may carry besides its filters.
PAGE_PARAMS_OTHER = ("page", "format")
UNKNOWN_FILTER = "The log has no such filter."
CSV_COLUMNS = (
    "decided_at", "person", "person_label", "email", "role", "step", "decision", "reason", "kind",
    "what", "version", "text", "reply_id", "batch_id", "batch_size", "statement_id", "review_id",
    "changed_after", "withdrawn_by_edit", "published_at", "published_on", "published_how",
    "findings",
)  # fmt: skip
FIELD_WORDS = {
    "decided_from": "From",
    "decided_to": "To",
    "person": "Person",
    "step": "Step",
    "decision": "Decision",
    "kind": "Kind",
    "format": "Download",
}


def _filters(query) -> tuple[dict, dict[str, list[str]]]:
    """The filters of the page's address and, for each one it cannot read, why (an unknown
    parameter too: a misspelt filter is named, never dropped while the rest is listed)."""
    given = {k: v for k, v in query.items() if v not in ("", None) and k not in PAGE_PARAMS_OTHER}
    filters = ApprovalsLogFilterSerializer(data=given)
    errors = {} if filters.is_valid() else {k: list(v) for k, v in filters.errors.items()}
    known = {*filters.fields, *PAGE_PARAMS_OTHER}
    errors.update({k: [UNKNOWN_FILTER] for k in query if k not in known})
    if query.get("format") not in (None, "", "csv"):
        errors["format"] = ["The log downloads as csv only."]
    return ({} if errors else dict(filters.validated_data)), errors


def approvals_log_page(view, request, *, for_clinic: bool):
    """The log page of `view` (a staff page or the portal's): the CSV file with `format=csv`,
    else the page; 400 with the problem named when a filter cannot be read (nothing listed:
    a log filtered wrongly must not pass for the whole log)."""
    access, clinic = view.access, view.clinic
    chosen, errors = _filters(request.GET)
    entries = None
    if not errors:
        try:
            entries = approvals_log(access, **chosen)
        except ValidationFailed as exc:
            errors = exc.fields
    if entries is not None and request.GET.get("format") == "csv":
        return _csv(entries, clinic=clinic, for_clinic=for_clinic)
    page = None
    if entries is not None:
        page = page_get(request, entries, PAGE_SIZE)
        page.rows = _told_apart(
            approvals_log_rows(page.object_list, clinic=clinic, for_clinic=for_clinic)
        )
    query = request.GET.copy()
    for key in PAGE_PARAMS_OTHER:
        query.pop(key, None)
    people = approvals_log_people(access)
    if for_clinic:
        brand = brand_name(clinic.agency)
        people = [(label, as_brand(name, brand)) for label, name in people]
    return {
        "page": page,
        "filters": request.GET,
        "filter_errors": [
            (FIELD_WORDS.get(k, k), " ".join(map(str, v))) for k, v in errors.items()
        ],
        # each said at its field too (the end before the start: on To)
        "field_errors": {k: [str(m) for m in v] for k, v in errors.items()},
        "query": query.urlencode(),
        "people": people,
        "steps": LOG_STEP_CHOICES,
        "decisions": LOG_DECISION_CHOICES,
        "kinds": LOG_KIND_CHOICES,
        "status": 400 if errors else 200,
    }


def _told_apart(rows):
    """The page's rows, two people of one name each named with their e-mail (where the
    reader may see it: `accounts.naming.names_told_apart`)."""
    named = names_told_apart((r.person_label, r.person_name, r.person_email) for r in rows)
    return [replace(r, person_name=named[r.person_label]) for r in rows]


def findings_words(findings) -> str:
    """What the privacy check found, one line each: "block identifier (person) at 14-18:
    “Lee”" (the file's cell, in the clinic's log and the agency's; the API gives them as
    objects)."""
    lines = []
    for f in findings:
        what = f"{f['severity']} {f['kind']}".strip() + (
            f" ({f['subtype']})" if f["subtype"] else ""
        )
        where = f" at {f['start']}-{f['end']}" if f["start"] is not None else ""
        words = f": “{f['text']}”" if f["text"] else ""
        lines.append(f"{what}{where}{words}")
    return "\n".join(lines)


def _at(at, tz) -> str:
    return csv_time(at, tz)


def _published_at(row, tz) -> str:
    """When the version decided on went out; a batch's, per mention's reply, one line each
    (as its `published_on` and `published_how` say where and how)."""
    if not row.publications:
        return _at(row.published_at, tz)
    return "\n".join(f"Reply {p.reply_id}: {_at(p.at, tz)}" for p in row.publications if p.at)


def _csv(entries, *, clinic, for_clinic: bool):
    tz = clinic_zone(clinic)

    def rows():
        # the file streams after the request's middleware set the schema back to the public
        # one: it reads the clinic's schema itself
        with schema_context(clinic.schema_name):
            stream = entries.iterator(chunk_size=CSV_CHUNK)
            while chunk := list(islice(stream, CSV_CHUNK)):
                for row in approvals_log_rows(chunk, clinic=clinic, for_clinic=for_clinic):
                    yield (
                        _at(row.at, tz),
                        row.person_name, row.person_label, row.person_email, row.role,
                        row.step_label,
                        row.decision_words, row.reason, row.kind, row.what, row.version,
                        row.text, row.reply_id, row.batch_id, row.batch_size, row.statement_id,
                        row.review_id, row.changed_after, row.withdrawn_by_edit,
                        _published_at(row, tz), row.published_on, row.published_how,
                        findings_words(row.findings),
                    )  # fmt: skip

    day = timezone.localdate(timezone=tz).isoformat()
    return csv_download(CSV_COLUMNS, rows(), filename=f"approvals-log-{clinic.slug}-{day}.csv")


class ApprovalsLogView(TemplateResponseMixin, ClinicView):
    """The agency's approvals log of the clinic (owners and managers). The clinic's own people
    who may read it are sent to the portal's."""

    template_name = "responses/approvals_log.html"
    permission = Permission.APPROVALS_LOG
    portal_path = "portal/approvals-log/"

    def get(self, request, *args, **kwargs):
        context = approvals_log_page(self, request, for_clinic=False)
        if not isinstance(context, dict):
            return context  # the CSV file
        status = context.pop("status")
        return self.render_to_response({"clinic": self.clinic, **context}, status=status)
