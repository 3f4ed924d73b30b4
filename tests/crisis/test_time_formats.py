"""Times on the incident pages (the staff list and room, the portal's list and incident) read
as every clinic page writes them: "2026-03-04 10:00" in a `<time datetime="…">`, the clinic's
zone named once under the breadcrumbs and after a time only where it differs from that line
(`core.templatetags.local_time`) — never "Mar. 4, 2026, 10 a.m.", "Mar 4, 10:00 EST" or
"4 Mar 2026" beside it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from clinics.models import Clinic
from crisis.models import Incident
from crisis.services import (
    detector_settings_update,
    detectors_run,
    incident_acknowledge,
    incident_note_add,
)
from tests.crisis.conftest import NOW, acting

MIN = timedelta(minutes=1)
NEW_YORK = ZoneInfo("America/New_York")  # clinic A's zone
# what a `<time>` may say: a day, or a day and a time of day with its zone where it differs
SHOWN = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}(?: [A-Z]{3,4})?)?")
# the formats that are not the house style: Django's default, "Mar 4, 10:00", "4 Mar 2026"
OTHER_FORMATS = re.compile(
    r"\b(?:a\.m\.|p\.m\.|noon|midnight)|"
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d|"
    r"\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{4}"
)


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
def incident(stream, new_york):
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    stream.add(NOW - 5 * MIN, label="negative", text="An outbreak in the waiting room")
    [opened] = detectors_run(now=NOW, notify=False)
    incident_acknowledge(incident_id=opened.pk, actor=acting("Sam"), now=NOW + 4 * MIN)
    incident_note_add(incident_id=opened.pk, actor=acting("Sam"), message="Calling the clinic")
    with schema_context("clinic_clinic_a"):
        return Incident.objects.get(pk=opened.pk)


def _times(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<time datetime="([^"]+)">([^<]*)</time>', html)


def _assert_house_style(html: str) -> None:
    for machine, shown in _times(html):
        assert SHOWN.fullmatch(shown), (machine, shown)
        assert datetime.fromisoformat(machine)  # machine-readable
    visible = re.sub(r"<[^>]+>", " ", html)
    assert not OTHER_FORMATS.search(visible), OTHER_FORMATS.search(visible)


def _local(at) -> str:
    """`at` as the page writes it: its own zone only where it differs from now's."""
    local, now = at.astimezone(NEW_YORK), timezone.now().astimezone(NEW_YORK)
    zone = "" if local.tzname() == now.tzname() else f" {local.tzname()}"
    return f"{local:%Y-%m-%d %H:%M}{zone}"


def test_the_incident_list_shows_when_each_opened_in_the_house_style(incident, login):
    html = login("alpha_analyst").get("/clinics/clinic-a/incidents/").content.decode()
    opened = incident.opened_at.astimezone(NEW_YORK)
    assert f'<time datetime="{opened.isoformat()}">{_local(opened)}</time>' in html
    _assert_house_style(html)


def test_the_incident_room_writes_every_time_alike(incident, login):
    html = login("alpha_writer").get(f"/clinics/clinic-a/incidents/{incident.pk}/").content.decode()
    assert "Times are Clinic A" in html and "local time (" in html  # the zone, said once
    shown = [text for _, text in _times(html)]
    # opened, acknowledged, three clocks' due times, the timeline's lines, the mention
    assert _local(incident.opened_at) in shown
    assert _local(incident.acknowledged_at) in shown
    for clock in re.findall(r'data-due="([^"]+)"', html):
        due = datetime.fromisoformat(clock)
        assert f'<time datetime="{due.astimezone(NEW_YORK).isoformat()}">{_local(due)}</time>' in (
            html
        )
    timeline = html[html.index('id="timeline-h"') :]
    timeline = timeline[: timeline.index("</table>")]
    assert timeline.count('<tr class="timeline-') == timeline.count("<time datetime=") >= 3
    assert "(last checked <time datetime=" in html  # the detector's last look
    mentions = html[html.index('id="mentions-h"') :]
    assert f">{_local(NOW - 5 * MIN)}</time>" in mentions
    _assert_house_style(html)


def test_the_portal_incident_list_and_page_write_times_as_the_room(incident, login):
    client = login("a_approver", otp=False)
    listed = client.get("/clinics/clinic-a/portal/incidents/").content.decode()
    assert f">{_local(incident.opened_at)}</time>" in listed
    _assert_house_style(listed)
    page = client.get(f"/clinics/clinic-a/portal/incidents/{incident.pk}/").content.decode()
    assert "Acknowledged by Sam at <time datetime=" in page
    assert f">{_local(incident.acknowledged_at)}</time>." in page
    assert f">{_local(incident.opened_at)}</time> <strong>Opened</strong>" in page
    _assert_house_style(page)
