"""The portal's incident page says the trigger in words, with times in the clinic's zone; the
detector's statistics stay in the agency's room."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import Clinic
from crisis.models import EventKind, Incident
from crisis.services import incident_acknowledge
from crisis.services.common import DETECTOR, event_add
from tests.crisis.conftest import acting

NOW = datetime(2026, 12, 5, 15, 12, tzinfo=UTC)  # a Saturday, 10:12 in New York
EXPLANATION = (
    "13 negative reviews and mentions in 2 h against a baseline of 0.0 ± 0.2 for this weekday "
    "and time of day (last 28 days, 0 negatives); 496.0× the usual, p = 3.1e-27 (alerts at ≥ 5 "
    "and p ≤ 0.0001)."
)
WORDS = "13 negative mentions in 2 hours — usually none for a Saturday morning."


@pytest.fixture
def new_york(clinic_a):
    # saved, not updated: saving clears the web process's cached copy of the clinic's route
    clinic = Clinic.objects.get(pk=clinic_a.pk)
    clinic.timezone = "America/New_York"
    clinic.save(update_fields=["timezone"])
    yield clinic
    clinic.timezone = clinic_a.timezone
    clinic.save(update_fields=["timezone"])


@pytest.fixture
def incident(clinic_a, new_york):
    trigger = {
        "kind": "surge",
        "explanation": EXPLANATION,
        "numbers": {"count": 13, "window_minutes": 120, "ratio": 496.0, "p_value": 3.1e-27},
    }
    with schema_context(clinic_a.schema_name):
        incident = Incident.objects.create(
            kind="surge",
            title="Negative surge: 13 in 2 h",
            severity="critical",
            trigger=trigger,
            opened_at=NOW,
            last_detected_at=NOW,
        )
        event_add(
            incident=incident,
            kind=EventKind.OPENED,
            message=f"Opened (critical): {EXPLANATION} 13 mention(s) linked.",
            actor=DETECTOR,
            data=trigger,
            at=NOW,
        )
        incident_acknowledge(
            incident_id=incident.pk, actor=acting("Lee Legal"), now=NOW + timedelta(minutes=4)
        )
    return incident


def _est() -> str:
    """ " EST" after a time of New York's winter, unless the page's zone line says EST now."""
    now = timezone.localtime(timezone.now(), ZoneInfo("America/New_York"))
    return "" if now.tzname() == "EST" else " EST"


def test_the_portal_incident_page_says_the_trigger_in_words_at_the_clinics_time(incident, login):
    page = login("a_approver", otp=False).get(f"/clinics/clinic-a/portal/incidents/{incident.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'<p data-testid="trigger">{WORDS}</p>' in html
    # the timeline's opening line in words, each line at the clinic's time (its zone named
    # under the breadcrumbs, and after the time only when that differs from now's)
    assert (
        f'<time datetime="2026-12-05T10:12:00-05:00">2026-12-05 10:12{_est()}</time> '
        f"<strong>Opened</strong> (critical): {WORDS} 13 mention(s) linked."
    ) in html
    assert (
        'Acknowledged by Lee Legal at <time datetime="2026-12-05T10:16:00-05:00">'
        f"2026-12-05 10:16{_est()}</time>."
    ) in html
    for statistic in ("p = ", "±", "p ≤", "baseline", "496.0×"):
        assert statistic not in html


def test_the_agency_room_keeps_the_statistics(incident, login):
    html = login("alpha_manager").get(f"/clinics/clinic-a/incidents/{incident.pk}/")
    assert "p = 3.1e-27" in html.content.decode()


def test_the_portal_incident_list_says_the_trigger_in_words_at_the_clinics_time(incident, login):
    html = (
        login("a_approver", otp=False).get("/clinics/clinic-a/portal/incidents/").content.decode()
    )
    assert f'<p data-testid="incident-words">{WORDS}</p>' in html
    assert f'<time datetime="2026-12-05T10:12:00-05:00">2026-12-05 10:12{_est()}</time>' in html
    for statistic in ("p = ", "±", "p ≤", "baseline", "496.0×"):
        assert statistic not in html
