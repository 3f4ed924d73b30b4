"""Walk 9 #21: a note the agency writes in the incident room is its own unless it shares it with
the clinic. Only shared notes reach the clinic's copy of the timeline (the portal's incident
page, the post-crisis review sent to it and its PDF, the API for the clinic's own people); the
room marks each note. The clinic's copy says who was alerted without naming the agency's
people."""

from __future__ import annotations

import io
from datetime import timedelta
from html import unescape

import pypdf
import pytest
from django.test import Client
from django_tenants.utils import schema_context

from accounts.services import user_token_issue
from crisis.export import review_html, review_pdf
from crisis.models import EventKind, Incident, IncidentEvent, PostCrisisReview
from crisis.services import detector_settings_update, detectors_run, incident_note_add
from crisis.services.common import SYSTEM, event_add
from crisis.timeline import review_timeline
from tests.crisis.conftest import NOW, acting, resolved_anyway

MIN = timedelta(minutes=1)
INTERNAL = "INTERNAL: client owner is difficult; do not mention the billing dispute"
SHARED = "We called the local paper; a correction runs tomorrow."


@pytest.fixture
def incident(stream):
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    stream.add(NOW - 5 * MIN, label="negative", text="An outbreak in the waiting room")
    [opened] = detectors_run(now=NOW, notify=False)
    return opened


def _notes(incident) -> list[tuple[str, bool]]:
    with schema_context("clinic_clinic_a"):
        return list(
            IncidentEvent.objects.filter(incident=incident, kind=EventKind.NOTE).values_list(
                "message", "shared_with_clinic"
            )
        )


def test_the_note_form_says_notes_are_internal_unless_shared(incident, login):
    html = login("alpha_manager").get(f"/clinics/clinic-a/incidents/{incident.pk}/").content
    html = html.decode()
    assert (
        '<input type="checkbox" id="note-shared" name="shared_with_clinic" '
        'aria-describedby="note-help"> <label for="note-shared">Share with the clinic</label>'
    ) in html  # unticked
    assert (
        "A note is for the agency only unless you share it. The clinic reads shared notes on "
        "this incident's timeline in its portal"
    ) in html


def test_an_internal_note_stays_in_the_room_and_a_shared_one_reaches_the_portal(incident, login):
    manager = login("alpha_manager")
    room = f"/clinics/clinic-a/incidents/{incident.pk}/"
    # when the agency adds a note without sharing it, then one shared with the clinic
    added = manager.post(room, {"action": "note", "message": INTERNAL}, follow=True)
    assert "Note added, for the agency only." in added.content.decode()
    shared = manager.post(
        room, {"action": "note", "message": SHARED, "shared_with_clinic": "on"}, follow=True
    )
    assert "Note added and shared with the clinic" in shared.content.decode()
    assert _notes(incident) == [(INTERNAL, False), (SHARED, True)]
    # then the room shows both, each marked
    html = manager.get(room).content.decode()
    assert INTERNAL in html and SHARED in html
    assert html.count('data-testid="note-internal">Internal</span>') == 1
    assert html.count('data-testid="note-shared">Shared with the clinic</span>') == 1
    # and the clinic's portal shows only the shared one
    for person in ("a_approver", "a_viewer"):
        portal = login(person).get(f"/clinics/clinic-a/portal/incidents/{incident.pk}/")
        assert portal.status_code == 200
        body = portal.content.decode()
        assert SHARED in body, person
        assert INTERNAL not in body and "billing dispute" not in body, person


def test_the_api_takes_shared_with_clinic_and_shows_the_clinic_only_shared_notes(
    incident, login, world
):
    url = f"/clinics/clinic-a/api/v1/incidents/{incident.pk}"
    manager = login("alpha_manager")
    first = manager.post(f"{url}/notes/", {"message": INTERNAL}, content_type="application/json")
    second = manager.post(
        f"{url}/notes/",
        {"message": SHARED, "shared_with_clinic": True},
        content_type="application/json",
    )
    assert (first.status_code, second.status_code) == (201, 201)
    notes = [
        (e["message"], e["shared_with_clinic"])
        for e in manager.get(f"{url}/").json()["timeline"]
        if e["kind"] == "note"
    ]
    assert notes == [(INTERNAL, False), (SHARED, True)]
    # a clinic person's personal token reads the timeline as the portal shows it
    _, issued = user_token_issue(user=world.users["a_viewer"], name="walk9")
    clinic = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    timeline = clinic.get(f"{url}/").json()["timeline"]
    assert [e["message"] for e in timeline if e["kind"] == "note"] == [SHARED]
    # the agency's key reads every note
    agency = login("alpha_analyst").get(f"{url}/").json()["timeline"]
    assert [e["message"] for e in agency if e["kind"] == "note"] == [INTERNAL, SHARED]


def test_the_review_sent_to_the_clinic_and_its_pdf_hold_only_shared_notes(
    surge, django_capture_on_commit_callbacks, clinic_a
):
    incident, _ = surge
    incident_note_add(incident_id=incident.pk, message=INTERNAL, actor=acting("Max Manager"))
    incident_note_add(
        incident_id=incident.pk,
        message=SHARED,
        actor=acting("Max Manager"),
        shared_with_clinic=True,
    )
    resolved_anyway(incident, django_capture_on_commit_callbacks)
    review = PostCrisisReview.objects.get(incident=incident)
    html = review_html(review, clinic_a)
    assert SHARED in html and INTERNAL not in html
    pdf = pypdf.PdfReader(io.BytesIO(review_pdf(review, clinic_a)))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)
    assert "correction runs tomorrow" in text
    assert "billing dispute" not in text and "INTERNAL" not in text
    # the agency's copy keeps both, marked
    staff = [
        (line["details"], line["visibility"])
        for line in review_timeline(incident, clinic_a)
        if line["category"] == "note"
    ]
    assert staff == [(INTERNAL, "internal"), (SHARED, "shared")]


def test_an_existing_note_is_internal(incident):
    # a note written before notes could be shared (the migration's default): the agency's own
    with schema_context("clinic_clinic_a"):
        IncidentEvent.objects.create(
            incident=incident, kind=EventKind.NOTE, message=INTERNAL, actor="Max", at=NOW
        )
        assert IncidentEvent.objects.get(message=INTERNAL).shared_with_clinic is False


def test_the_clinics_copy_says_who_was_alerted_without_naming_the_agencys_people(
    clinic_a, world, login
):
    staff = [world.users[n].pk for n in ("alpha_owner", "alpha_manager")]
    ours = [world.users["a_approver"].pk]
    told = "Alpha Owner (owner: e-mail), Alpha Manager (manager: e-mail), A Approver (comms)"
    with schema_context(clinic_a.schema_name):
        incident = Incident.objects.create(
            kind="watch_word", title="Watch word", severity="high", opened_at=NOW,
            last_detected_at=NOW,
        )  # fmt: skip
        event_add(incident=incident, kind=EventKind.NOTIFIED, actor=SYSTEM, at=NOW,
                  message=f"Alerted 3 people: {told}. E-mails sent: 3.",
                  data={"emails": 3, "people": staff + ours})  # fmt: skip
        event_add(incident=incident, kind=EventKind.ESCALATED, actor=SYSTEM, at=NOW + MIN,
                  message="Nobody acknowledged within 15 min: escalated to the agency's owners "
                  "and managers (Alpha Owner (owner)). E-mailing them and the people first "
                  "alerted: Alpha Owner, A Approver.", data={"people": staff + ours})  # fmt: skip
        client = " ".join(
            line["details"] for line in review_timeline(incident, clinic_a, for_client=True)
        )
        kept = " ".join(line["details"] for line in review_timeline(incident, clinic_a))
    said = "2 people at your agency and 1 of your team were alerted."
    assert said in client
    assert "escalated to your agency's owners and managers" in client
    portal = login("a_approver").get(f"/clinics/clinic-a/portal/incidents/{incident.pk}/")
    body = unescape(portal.content.decode())
    assert said in body
    for name in ("Alpha Owner", "Alpha Manager"):
        assert name not in client and name not in body, name
    # the agency's room keeps the names
    assert "Alpha Owner (owner: e-mail)" in kept
