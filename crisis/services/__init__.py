"""Writes for crisis. Other apps call `detectors_run` (inside a clinic's schema)."""

from crisis.services.detection import detectors_run
from crisis.services.incidents import (
    TRANSITIONS,
    incident_acknowledge,
    incident_assign,
    incident_note_add,
    incident_resolve,
    incident_statement_draft,
    incident_status_set,
    incident_team_set,
)
from crisis.services.notifications import incident_notify_opened, incidents_escalate_due
from crisis.services.reviews import (
    detector_settings_update,
    response_plan_save,
    review_apply_to_plan,
    review_draft,
    review_for_incident,
    review_metrics_current,
    review_send,
    review_update,
)

__all__ = [
    "TRANSITIONS",
    "detector_settings_update",
    "detectors_run",
    "incident_acknowledge",
    "incident_assign",
    "incident_note_add",
    "incident_resolve",
    "incident_statement_draft",
    "incident_notify_opened",
    "incident_status_set",
    "incident_team_set",
    "incidents_escalate_due",
    "response_plan_save",
    "review_apply_to_plan",
    "review_draft",
    "review_for_incident",
    "review_metrics_current",
    "review_send",
    "review_update",
]
