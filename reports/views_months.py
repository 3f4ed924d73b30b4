"""The agency's "Month across clinics" (/agency/reports/month/): one month of every clinic the
person reads, one row each, from the figures of each clinic's own monthly report
(`reports.selectors.months_across`), sortable by any column, each clinic linking to its report;
`?format=csv` downloads the same table. Its API twin is `GET /api/v1/reports/months/`."""

from __future__ import annotations

from django.http import QueryDict

from agency.views import StaffView
from clinics.access import month_across_clinics
from core.csv_download import csv_download
from core.errors import ValidationFailed
from core.templatetags.carewatch import percent, signed
from core.text import duration_prose, duration_words
from reports.export import month_words
from reports.selectors import month_query, months_across, months_across_parse, previous_month

# The table's columns: (sort key, heading, the row's value it sorts by). The CSV has these and
# the figures behind each (`CSV_COLUMNS`).
COLUMNS = [
    ("clinic", "Clinic", lambda r: r["clinic"].name.casefold()),
    ("reviews", "Reviews received", lambda r: r["volume"]),
    ("reviews_change", "Change in reviews", lambda r: r["change"]["volume"]),
    ("rating", "Average rating", lambda r: r["average_rating"]),
    ("rating_change", "Change in rating", lambda r: r["change"]["average_rating"]),
    ("negative", "Negative", lambda r: r["negative_share"]),
    ("negative_change", "Change in negative", lambda r: r["change"]["negative_share"]),
    ("replied", "Replied", lambda r: r["answered_share"]),
    ("replied_change", "Change in replied", lambda r: r["change"]["answered_share"]),
    ("within", "Within reply target", lambda r: r["within_target_share"]),
    ("median", "Median reply time", lambda r: r["median_response_minutes"]),
    ("median_change", "Change in median", lambda r: r["change"]["median_response_minutes"]),
    ("incidents", "Incidents opened", lambda r: r["incidents_opened"]),
]
SORTS = {key: value for key, _, value in COLUMNS}
DEFAULT_SORT = "clinic"
SORT_ERROR = "Choose a column of the table (for example “reviews” or “-reviews”)."

CSV_COLUMNS = [
    "clinic", "clinic_name", "active", "month", "timezone", "in_progress", "reviews",
    "reviews_previous", "reviews_change", "reviews_change_pct", "average_rating",
    "average_rating_change", "negative_share", "negative_share_change", "replied",
    "replied_share", "replied_share_change", "replies_through_agency", "target_minutes",
    "target_counted", "within_target", "within_target_share", "median_reply_minutes",
    "median_reply_minutes_change", "incidents_opened", "report_url",
]  # fmt: skip


def sort_parse(value: str) -> tuple[str, bool]:
    """`sort` of the address: a column's key, descending with a leading "-"; none: by clinic.
    ValidationFailed for any other value."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value[1:] if descending else value
    if not key:
        return DEFAULT_SORT, False
    if key not in SORTS:
        raise ValidationFailed("Invalid sort.", fields={"sort": [SORT_ERROR]})
    return key, descending


def format_parse(params: QueryDict) -> bool:
    """Whether the address asks for the CSV file (`format=csv`); ValidationFailed for any other
    format, or one given twice."""
    values = params.getlist("format")
    if len(values) > 1:
        raise ValidationFailed("Invalid format.", fields={"format": ["Give one value."]})
    if values and values[0].strip() not in ("", "csv"):
        raise ValidationFailed("Invalid format.", fields={"format": ["Leave it out, or “csv”."]})
    return bool(values) and values[0].strip() == "csv"


def rows_sorted(rows: list[dict], key: str, descending: bool) -> list[dict]:
    """`rows` by the column `key`; a clinic without the figure (no review, no reply) last
    either way, ties by name."""
    value = SORTS[key]
    by_name = sorted(rows, key=lambda r: r["clinic"].name.casefold())
    known = [r for r in by_name if value(r) is not None]
    unknown = [r for r in by_name if value(r) is None]
    return sorted(known, key=value, reverse=descending) + unknown


def _points(share_change) -> str:
    """A change of a share, in percentage points: "+12.5 pts"."""
    return "–" if share_change is None else f"{signed(share_change * 100, 1)} pts"


def _minutes_change(value) -> str:
    if value is None:
        return "–"
    words = duration_words(abs(value))
    return f"−{words}" if value < 0 else f"+{words}"


def cells(row: dict) -> list[str]:
    """The row's cells as the page shows them, in the order of `COLUMNS` after the clinic."""
    change = row["change"]
    reviews_change = signed(change["volume"])
    if change["volume_pct"] is not None:
        reviews_change += f" ({signed(change['volume_pct'], 1)} %)"
    rating = row["average_rating"]
    within = (
        f"{row['within_target']} of {row['target_counted']} ({percent(row['within_target_share'])})"
        if row["target_counted"]
        else "–"
    )
    return [
        str(row["volume"]),
        reviews_change,
        "–" if rating is None else f"{rating} ★",
        signed(change["average_rating"], 2),
        percent(row["negative_share"]),
        _points(change["negative_share"]),
        percent(row["answered_share"]),
        _points(change["answered_share"]),
        within,
        duration_words(row["median_response_minutes"]),
        _minutes_change(change["median_response_minutes"]),
        str(row["incidents_opened"]),
    ]


def report_path(row: dict) -> str:
    return f"/clinics/{row['clinic'].slug}/report/?month={row['month']}"


def csv_cells(row: dict) -> list:
    change, previous = row["change"], row["previous"]
    return [
        row["clinic"].slug, row["clinic"].name, row["clinic"].deactivated_at is None,
        row["month"], row["timezone"], row["in_progress"], row["volume"], previous["volume"],
        change["volume"], change["volume_pct"], row["average_rating"], change["average_rating"],
        row["negative_share"], change["negative_share"], row["answered"],
        row["answered_share"], change["answered_share"], row["replies"], row["target_minutes"],
        row["target_counted"], row["within_target"], row["within_target_share"],
        row["median_response_minutes"], change["median_response_minutes"],
        row["incidents_opened"], report_path(row),
    ]  # fmt: skip


class MonthAcrossClinicsView(StaffView):
    """One month, every clinic the person reads (`clinics.access.month_across_clinics`): the
    headline figures of each clinic's monthly report against the month before, sortable, each
    row linking to the clinic's report. Opens on the last complete month; a month or a sort it
    cannot read is a 400 naming it, and lists nothing."""

    template_name = "reports/months_across.html"

    def get(self, request):
        clinics = month_across_clinics(request.actor, self.agency)
        try:
            month = months_across_parse(month_query(request.GET), clinics)
            sorts = request.GET.getlist("sort")
            if len(sorts) > 1:
                raise ValidationFailed("Invalid sort.", fields={"sort": ["Give one value."]})
            sort, descending = sort_parse(sorts[0] if sorts else "")
            wants_csv = format_parse(request.GET)
        except ValidationFailed as exc:
            return self.render_to_response(
                self.context(
                    problems=[(field, " ".join(m)) for field, m in exc.fields.items()],
                    month_value=request.GET.get("month", ""),
                    section="month",
                ),
                status=400,
            )
        rows = rows_sorted(months_across(clinics, month), sort, descending)
        if wants_csv:
            return csv_download(
                CSV_COLUMNS,
                (csv_cells(row) for row in rows),
                filename=f"month-across-clinics-{self.agency.slug}-{month:%Y-%m}.csv",
            )
        for row in rows:
            row["report_url"] = report_path(row)
            row["target_words"] = duration_prose(row["target_minutes"])
            row["cells"] = cells(row)
        active = [row for row in rows if row["clinic"].deactivated_at is None]
        deactivated = [row for row in rows if row["clinic"].deactivated_at is not None]
        return self.render_to_response(
            self.context(
                rows=active,
                deactivated=deactivated,
                month=month,
                month_value=f"{month:%Y-%m}",
                month_text=month_words(month),
                previous_text=month_words(previous_month(month)),
                in_progress=any(row["in_progress"] for row in rows),
                columns=[(key, heading) for key, heading, _ in COLUMNS],
                sort=sort,
                descending=descending,
                sort_links=self._sort_links(request.GET, sort, descending),
                csv_query=self._query(request.GET, format="csv"),
                section="month",
            )
        )

    @staticmethod
    def _query(params: QueryDict, **changes) -> str:
        query = params.copy()
        for name, value in changes.items():
            query[name] = value
        return query.urlencode()

    def _sort_links(self, params: QueryDict, sort: str, descending: bool) -> dict[str, str]:
        """Each column's link: ascending first, the other way when it is the column sorted
        on."""

        def chosen(key: str) -> str:
            return f"-{key}" if key == sort and not descending else key

        return {key: self._query(params, sort=chosen(key)) for key in SORTS}
