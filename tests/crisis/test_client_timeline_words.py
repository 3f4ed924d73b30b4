"""The clinic's copy of the post-crisis review says the trigger in words and who was alerted
without naming the agency's people, as its portal does: no p-value, baseline or threshold, no
agency routing; the agency's copy keeps them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django_tenants.utils import schema_context

from crisis.models import EventKind, Incident
from crisis.services.common import DETECTOR, SYSTEM, event_add
from crisis.timeline import after_title, review_timeline

NOW = datetime(2026, 12, 5, 11, 23, tzinfo=UTC)
EXPLANATION = (
    "13 negative reviews and mentions in 2 h against a baseline of 0.0 ± 0.2 for this weekday "
    "and time of day (last 28 days, 0 negatives); 482.1× the usual, p = 4.5e-27 (alerts at ≥ 5 "
    "and p ≤ 0.0001)."
)
ROUTING = "Max Manager (agency owner/manager: e-mail + in-app), Lee Legal (legal: e-mail)"


def test_the_clinics_timeline_says_the_trigger_in_words_and_no_routing(clinic_a):
    trigger = {"kind": "surge", "explanation": EXPLANATION,
               "numbers": {"count": 13, "window_minutes": 120, "ratio": 482.1, "p_value": 4.5e-27}}  # fmt: skip
    with schema_context(clinic_a.schema_name):
        incident = Incident.objects.create(
            kind="surge", title="Negative surge: 13 in 2 h", severity="critical",
            trigger=trigger, opened_at=NOW, last_detected_at=NOW,
        )  # fmt: skip
        event_add(incident=incident, kind=EventKind.OPENED, actor=DETECTOR, data=trigger, at=NOW,
                  message=f"Opened (critical): {EXPLANATION} 13 mention(s) linked.")  # fmt: skip
        event_add(incident=incident, kind=EventKind.NOTIFIED, actor=SYSTEM, at=NOW,
                  message=f"Alerted 2 people: {ROUTING}. E-mails sent: 2.")  # fmt: skip
        client = review_timeline(incident, clinic_a, for_client=True)
        staff = review_timeline(incident, clinic_a)

    said = " ".join(line["details"] for line in client)
    assert "13 negative mentions in 2 hours — usually none for a Saturday morning" in said
    # who was alerted without the agency's people's names (walk 9 #21): this older line has no
    # ids of the people alerted
    assert "Your agency and your crisis team were alerted." in said
    assert "Max Manager" not in said
    for plumbing in ("p = ", "±", "alerts at", "baseline", "e-mail + in-app", "E-mails sent"):
        assert plumbing not in said, plumbing
    kept = " ".join(line["details"] for line in staff)
    assert "p = 4.5e-27" in kept and ROUTING in kept


@pytest.mark.parametrize(
    ("title", "text", "said"),
    [
        (
            "Opened",
            "Opened (critical): 13 negative mentions.",
            " (critical): 13 negative mentions.",
        ),
        ("Also detected", "Also detected (viral): a post…", " (viral): a post…"),
        ("Statement drafted", "Statement drafted: About waiting", ": About waiting"),
        ("Assigned", "Comms / PR: Clinic Approver.", " — Comms / PR: Clinic Approver."),
        ("Note", "Notes taken at the call.", " — Notes taken at the call."),  # not "Note" + "s…"
        ("Notified", "", ""),
    ],
)
def test_a_timeline_line_says_its_title_once(title, text, said):
    assert after_title(title, text) == said
