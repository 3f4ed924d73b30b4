"""The incident pages: list, room, review, response plan."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from crisis.models import Incident
from crisis.services import detector_settings_update, detectors_run, incident_status_set
from tests.crisis.conftest import ANYWAY, NOW, acting

MIN = timedelta(minutes=1)


@pytest.fixture
def incident(stream):
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    stream.add(NOW - 5 * MIN, label="negative", text="An outbreak in the waiting room")
    [opened] = detectors_run(now=NOW, notify=False)
    return opened


def _status(incident) -> str:
    with schema_context("clinic_clinic_a"):
        return Incident.objects.get(pk=incident.pk).status


def test_the_list_shows_the_unacknowledged_count(incident, login):
    page = login("alpha_analyst").get("/clinics/clinic-a/incidents/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "1 unacknowledged incident" in html
    assert f'href="/clinics/clinic-a/incidents/{incident.pk}/"' in html
    assert '<th scope="col">Severity</th>' in html
    filtered = login("alpha_analyst").get("/clinics/clinic-a/incidents/?status=resolved")
    assert "No incidents match these filters." in filtered.content.decode()


def test_the_room_shows_the_trigger_timeline_team_and_mentions(incident, login):
    html = login("alpha_writer").get(f"/clinics/clinic-a/incidents/{incident.pk}/").content.decode()
    assert "watch word “outbreak”" in html
    assert "An outbreak in the waiting room" in html
    assert 'value="acknowledge"' in html
    assert '<label for="note">Add a note</label>' in html
    assert "A Legal — Legal / compliance" in html  # the crisis team, its roles in words
    # an analyst sees it all but no buttons
    analyst = login("alpha_analyst").get(f"/clinics/clinic-a/incidents/{incident.pk}/")
    assert "An outbreak in the waiting room" in analyst.content.decode()
    assert 'value="acknowledge"' not in analyst.content.decode()
    # the clinic's viewer reads the incident in the portal (walk 9 #31)
    viewer = login("a_viewer").get(f"/clinics/clinic-a/incidents/{incident.pk}/")
    assert viewer["Location"] == f"/clinics/clinic-a/portal/incidents/{incident.pk}/"


def test_acknowledging_and_noting_from_the_room(incident, login):
    client = login("alpha_writer")
    url = f"/clinics/clinic-a/incidents/{incident.pk}/"
    assert client.post(url, {"action": "acknowledge"}).status_code == 302
    assert _status(incident) == "acknowledged"
    client.post(url, {"action": "note", "message": "Posted a holding statement."})
    page = client.get(url).content.decode()
    assert "Posted a holding statement." in page
    refused = client.post(url, {"action": "status", "status": "open"}, follow=True)
    assert "cannot become open" in refused.content.decode()
    assert _status(incident) == "acknowledged"


def test_the_room_timeline_has_what_was_done_for_the_incident(incident, login):
    client = login("alpha_writer")
    url = f"/clinics/clinic-a/incidents/{incident.pk}/"
    drafted = client.post(
        url,
        {"action": "statement", "title": "About the waiting room", "body": "We are open."},
    )
    assert drafted.status_code == 302
    page = client.get(url).content.decode()
    timeline = page[page.index('id="timeline-h"') : page.index('id="statement-h"')]
    # the incident's own event and the statement drafted for it, in one table
    assert "Opened" in timeline
    assert "version 1: About the waiting room" in timeline
    assert "Privacy check" in timeline


def test_a_viewer_cannot_act_in_the_room(incident, login):
    response = login("a_viewer").post(
        f"/clinics/clinic-a/incidents/{incident.pk}/", {"action": "acknowledge"}
    )
    assert response.status_code == 403
    assert _status(incident) == "open"


def test_the_review_page_draws_charts_from_data_and_saves_lessons(incident, login):
    client = login("alpha_writer")
    url = f"/clinics/clinic-a/incidents/{incident.pk}/review/"
    running = client.get(url)
    assert running.status_code == 409  # not resolved yet
    assert "is not resolved yet" in running.content.decode()
    assert client.get("/clinics/clinic-a/incidents/999999/review/").status_code == 404
    with schema_context("clinic_clinic_a"):
        incident_status_set(
            incident_id=incident.pk, status="resolved", override_reason=ANYWAY, actor=acting("Sam")
        )
    html = client.get(url).content.decode()
    # the same server-drawn SVG charts as the exports, as images with alt text
    assert html.count('src="data:image/svg+xml;base64,') == 2
    assert (
        'alt="Volume in each period. Items in each period, stacked by sentiment; each period '
        "has its own scale." in html
    )
    assert 'alt="Sentiment curve. Mean sentiment score per period' in html
    assert "<script>" not in html and "style=" not in html  # nothing inline: the CSP
    assert (
        '<h2 id="summary-h">Summary</h2>' in html and '<label for="lessons">Lessons</label>' in html
    )
    client.post(url, {"lessons": "Too slow.", "prevention": "Rota."})
    client.post(url, {"action": "apply_plan"})
    plan = client.get("/clinics/clinic-a/response-plan/").content.decode()
    assert "Rota." in plan and "Version 1" in plan
    # the form's own "add to the plan" button saves what is typed first, then adds it (walk
    # 14: a separate form added the saved steps and the typed ones were lost)
    form = html[html.index('<form method="post" data-leave-guard>') :]
    form = form[: form.index("</form>")]
    assert 'name="action" value="apply_plan"' in form and 'name="prevention"' in form
    client.post(
        url, {"action": "apply_plan", "lessons": "Too slow.", "prevention": "Rota. Call at 8."}
    )
    plan = client.get("/clinics/clinic-a/response-plan/").content.decode()
    assert "Rota. Call at 8." in plan
    assert "Rota. Call at 8." in client.get(url).content.decode()  # kept on the review


def test_the_response_plan_page_saves_versions(in_clinic_a, login):
    client = login("alpha_writer")
    client.post("/clinics/clinic-a/response-plan/", {"text": "Call comms first.", "note": "v1"})
    client.post("/clinics/clinic-a/response-plan/", {"text": "Call legal first.", "note": "v2"})
    html = client.get("/clinics/clinic-a/response-plan/?version=1").content.decode()
    assert "Call comms first." in html and "(current is 2)" in html
    assert (
        login("a_viewer").post("/clinics/clinic-a/response-plan/", {"text": "x"}).status_code == 403
    )


def test_the_rooms_title_names_the_incident_and_where_it_stands(clinic_a, rows, login):
    # two rooms open in two tabs tell themselves apart (were both "Incident #n · Clinic A")
    r = rows(clinic_a)
    running = r.incident(title="Surge of complaints about parking")
    resolved = r.incident(status="resolved", title="Records lost, says a post")
    client = login("alpha_analyst")
    one = client.get(f"/clinics/clinic-a/incidents/{running.pk}/").content.decode()
    two = client.get(f"/clinics/clinic-a/incidents/{resolved.pk}/").content.decode()
    assert (
        f"<title>Incident #{running.pk}: Surge of complaints about parking (open) · Clinic A"
        "</title>" in one
    )
    assert f"<title>Incident #{resolved.pk}: Records lost, says a post (resolved) · Clinic A" in two
