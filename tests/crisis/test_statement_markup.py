"""A statement drafted from an incident is published as plain text: markup is refused at the
field, naming what was found, nothing is drafted, and the incident room keeps what was typed;
text that merely holds "<" or ">" is drafted."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from django_tenants.utils import schema_context

from crisis.models import EventKind, IncidentEvent, IncidentStatement
from crisis.services import detector_settings_update, detectors_run
from responses.models import Statement
from tests.crisis.conftest import NOW, acting

pytestmark = pytest.mark.django_db

MIN = timedelta(minutes=1)
BASE = "/clinics/clinic-a/api/v1"
REFUSED = "Statements are published as plain text: remove the markup <b> and </b>."


@pytest.fixture
def incident(stream):
    detector_settings_update(actor=acting("test"), watch_words=["outbreak", "lawsuit"])
    stream.add(NOW - 9 * MIN, label="negative", text="An outbreak here?")
    stream.add(NOW - 5 * MIN, label="negative", text="Lawsuit coming")
    return {i.key: i for i in detectors_run(now=NOW, notify=False)}["outbreak"]


def _drafted(incident) -> tuple[int, int, int]:
    with schema_context("clinic_clinic_a"):
        return (
            Statement.objects.count(),
            IncidentStatement.objects.filter(incident=incident).count(),
            IncidentEvent.objects.filter(
                incident=incident, kind=EventKind.STATEMENT_DRAFTED
            ).count(),
        )


def test_markup_in_a_statement_from_an_incident_is_refused_through_the_api(incident, login):
    writer = login("alpha_writer")
    url = f"{BASE}/incidents/{incident.pk}/statements/"
    before = _drafted(incident)

    refused = writer.post(
        url, {"title": "About the <b>outbreak</b>", "body": "There is <b>no</b> outbreak."},
        "application/json",
    )  # fmt: skip

    assert refused.status_code == 400
    assert refused.json()["fields"] == {"title": [REFUSED], "body": [REFUSED]}
    assert _drafted(incident) == before
    fine = writer.post(
        url, {"title": "About the outbreak", "body": "No outbreak -> open as usual <3"},
        "application/json",
    )  # fmt: skip
    assert fine.status_code == 201, fine.json()


def test_the_incident_room_refuses_markup_and_keeps_the_typed_statement(incident, login):
    before = _drafted(incident)

    page = login("alpha_writer").post(
        f"/clinics/clinic-a/incidents/{incident.pk}/",
        {
            "action": "statement",
            "title": "About the outbreak",
            "body": "There is <b>no</b> outbreak.",
        },
    )

    assert page.status_code == 400
    html = unescape(page.content.decode())
    assert REFUSED in html
    assert 'value="About the outbreak"' in html
    assert ">There is <b>no</b> outbreak.</textarea>" in html
    assert _drafted(incident) == before
