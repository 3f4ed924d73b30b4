"""The port through which `responses` (below `crisis`) names the incident a statement was
drafted from, so the statement's page links back to its incident room. The selector is named,
not imported: `crisis` owns it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.module_loading import import_string

INCIDENT_OF_STATEMENT_SELECTOR = "crisis.selectors.incident_of_statement"


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
