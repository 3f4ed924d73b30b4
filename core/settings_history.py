"""The settings history's vocabulary, and the port through which `agency` (below `clinics`)
records a change of the agency's settings.

Every service that saves a setting (a clinic's general settings and reply target, its alert
routing and chat webhooks, detector thresholds, reply settings and templates, report settings,
sources, the agency's branding) records what it changed, in its own transaction, through one
function: `clinics.history.settings_changed`. The apps above `clinics` call it; `agency` calls
`settings_changed` here, which names it instead of importing it (docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from enum import StrEnum
from typing import Any, NamedTuple

from django.utils.module_loading import import_string

SETTINGS_CHANGED_RECORDER = "clinics.history.settings_changed"


class SettingArea(StrEnum):
    GENERAL = "general"
    SLA = "sla"
    DETECTORS = "detectors"
    ALERTS = "alerts"
    CHAT = "chat"
    REPLIES = "replies"
    TEMPLATES = "templates"
    REPORTS = "reports"
    SOURCES = "sources"
    BRANDING = "branding"


# The areas in words, in the order the filters offer them.
AREA_WORDS = {
    SettingArea.GENERAL: "General (name, contact details, time zone)",
    SettingArea.SLA: "Response targets (SLA)",
    SettingArea.DETECTORS: "Crisis detectors",
    SettingArea.ALERTS: "On-call list",
    SettingArea.CHAT: "Chat webhooks (Slack, Teams)",
    SettingArea.REPLIES: "Reply approvals, staff names and practice contacts",
    SettingArea.TEMPLATES: "Reply templates",
    SettingArea.REPORTS: "Monthly report",
    SettingArea.SOURCES: "Sources",
    SettingArea.BRANDING: "Agency branding",
}


class Setting(NamedTuple):
    """One setting as the history names it: its area and what it is, in plain words
    ("Reply target (minutes)")."""

    area: SettingArea
    words: str


def settings_changed(
    *,
    actor,
    settings: Mapping[str, Setting],
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    agency_id: int | None = None,
    hidden: Collection[str] = (),
) -> int:
    """Record the agency-wide settings of `settings` whose value differs between `before`
    and `after` (see `clinics.history.settings_changed`); returns how many were recorded."""
    record = import_string(SETTINGS_CHANGED_RECORDER)
    return len(
        record(
            actor=actor,
            settings=settings,
            before=before,
            after=after,
            agency_id=agency_id,
            hidden=hidden,
        )
    )
