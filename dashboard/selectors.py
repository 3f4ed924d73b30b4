"""The agency dashboard's rows (clinics with their snapshot) and totals."""

from __future__ import annotations

from django.db.models import F, Sum

from agency.models import Agency
from clinics.models import Clinic
from dashboard.models import ClinicSnapshot

# Sortable columns: query value -> the ORM field(s) it orders by (clinics without a snapshot
# yet sort last).
DASHBOARD_SORTS: dict[str, str] = {
    "severity": "snapshot__top_severity",
    "name": "name",
    "new": "snapshot__new_reviews",
    "rating": "snapshot__average_rating",
    "trend": "snapshot__sentiment_trend",
    "incidents": "snapshot__open_incidents",
    "approvals": "snapshot__awaiting_approval",
    "failed": "snapshot__failed_deliveries",
    "sla": "snapshot__sla_breaches",
}
DASHBOARD_DEFAULT_SORT = "-severity"


def dashboard_sort_parse(raw: str | None) -> tuple[str, bool]:
    """("incidents", True) for "-incidents"; the default for anything unknown."""
    raw = (raw or "").strip()
    key = raw.lstrip("-")
    if key not in DASHBOARD_SORTS:
        raw = DASHBOARD_DEFAULT_SORT
        key = raw.lstrip("-")
    return key, raw.startswith("-")


def dashboard_clinics(*, agency: Agency, sort: str, descending: bool, q: str = ""):
    """The agency's clinics with their snapshot, in one query (LEFT JOIN)."""
    field = F(DASHBOARD_SORTS[sort])
    order = field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)
    qs = Clinic.objects.filter(agency=agency).select_related("snapshot")
    if q:
        qs = qs.filter(name__icontains=q)
    # Among equals the oldest unacknowledged incident first, then the SLA breaches.
    oldest = F("snapshot__oldest_unacknowledged_at").asc(nulls_last=True)
    tiebreak = [oldest, "-snapshot__sla_breaches", "name", "pk"] if sort != "name" else ["pk"]
    return qs.order_by(order, *tiebreak)


def dashboard_totals(*, agency: Agency) -> dict:
    totals = ClinicSnapshot.objects.filter(agency=agency).aggregate(
        new=Sum("new_reviews"),
        incidents=Sum("open_incidents"),
        unacknowledged=Sum("unacknowledged_incidents"),
        approvals=Sum("awaiting_approval"),
        failed=Sum("failed_deliveries"),
        sla=Sum("sla_breaches"),
    )
    return {k: v or 0 for k, v in totals.items()}
