"""The port through which the apps below `crisis` ask about incidents: `responses` names the
incident a statement was drafted from, so the statement's page links back to its incident
room, and the running incidents a mention belongs to, so its reply editor does too; the inbox asks whether one is running, so its claims and statement nudges come forward
only then or for a flagged claim; clinics lists a clinic's running incidents to the people a
new on-call list puts on call (`incidents_running_in`), and asks whom each still alerts for the
people it takes off (`incidents_alerted`), whose alert and growth notices (`alert_ref`,
`grew_ref`) then close. The selectors are named, not imported: `crisis` owns them."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.module_loading import import_string
from django_tenants.utils import schema_context

INCIDENT_OF_STATEMENT_SELECTOR = "crisis.selectors.incident_of_statement"
INCIDENTS_OF_REVIEW_SELECTOR = "crisis.selectors.incidents_of_review"
INCIDENTS_ACTIVE_SELECTOR = "crisis.selectors.incidents_active"
INCIDENTS_ALERTED_SELECTOR = "crisis.services.alerting.incidents_alerted"


def alert_ref(incident_id: int) -> str:
    """The ref of an incident's alert notice (what its alert opens in each person's banner,
    closed once it is acknowledged): one rule for the alert, its growth and an on-call
    handover, whichever app sends it."""
    return f"incident:{incident_id}"


def grew_ref(incident_id: int) -> str:
    """The ref of an incident's growth notice ("Incident grew: …", each step replacing the one
    before; closed when it is resolved, or for a person an on-call list takes off whom it no
    longer alerts)."""
    return f"incident:{incident_id}:grew"


def incident_id_of_ref(ref: str) -> int | None:
    """The incident a notice is about, by its ref (`alert_ref`, `grew_ref`), or None: what a
    history reads to say where the incident stands now rather than where the notice does."""
    parts = (ref or "").split(":")
    if parts[0] != "incident" or len(parts) not in (2, 3) or not parts[1].isdigit():
        return None
    return int(parts[1]) if len(parts) == 2 or parts[2] == "grew" else None


def alert_title(severity_label: str, title: str) -> str:
    """The alert notice's line: "Critical incident: Negative surge: 19 in 2 h"."""
    return f"{severity_label} incident: {title}"


@dataclass(frozen=True)
class IncidentRef:
    id: int
    title: str
    status_label: str


def incident_of_statement(statement_id: int) -> IncidentRef | None:
    """The current clinic's incident that statement `statement_id` belongs to, or None."""
    incident = import_string(INCIDENT_OF_STATEMENT_SELECTOR)(statement_id)
    if incident is None:
        return None
    return IncidentRef(incident.pk, incident.title, incident.get_status_display())


def incidents_of_review(review_id: int) -> list[IncidentRef]:
    """The current clinic's running incidents that review `review_id` is a mention of, oldest
    first."""
    return [
        IncidentRef(i.pk, i.title, i.get_status_display())
        for i in import_string(INCIDENTS_OF_REVIEW_SELECTOR)(review_id)
    ]


@dataclass(frozen=True)
class IncidentRunning:
    id: int
    title: str
    severity: str
    severity_label: str
    acknowledged: bool
    url: str  # the incident room, a path


def incidents_running_in(clinic) -> list[IncidentRunning]:
    """`clinic`'s incidents still running (open, acknowledged or responding), oldest first,
    read in its schema whichever schema the caller is in."""
    with schema_context(clinic.schema_name):
        return [
            IncidentRunning(
                id=i.pk,
                title=i.title,
                severity=i.severity,
                severity_label=i.get_severity_display(),
                acknowledged=i.acknowledged_at is not None,
                url=f"/clinics/{clinic.slug}/incidents/{i.pk}/",
            )
            for i in import_string(INCIDENTS_ACTIVE_SELECTOR)().order_by("opened_at", "pk")
        ]


def incidents_alerted(clinic, incident_ids) -> dict[int, set[int]]:
    """{incident id: the ids of the people its alerts reach now} for `clinic`'s incidents
    `incident_ids`, by crisis's one recipient rule (`crisis.services.alerting.
    incidents_alerted`, named), read in its schema whichever schema the caller is in. A
    person an on-call list takes off who is not among them no longer has the incident's
    alert notice to act on."""
    with schema_context(clinic.schema_name):
        return import_string(INCIDENTS_ALERTED_SELECTOR)(clinic, list(incident_ids))


def incident_running() -> bool:
    """Whether the current clinic has an incident still running (open, acknowledged or
    responding)."""
    return import_string(INCIDENTS_ACTIVE_SELECTOR)().exists()
