"""Walk 14 #27, #21, #11: the clinic's own people and keys read an incident's timeline in the
API as their portal shows it (the portal's own lines: words, no figures, no agency staff by
name, the agency's brand); the post-crisis review only once it was sent to them; a second
acknowledgement is a 409 naming who and when; a note's POST answers the note."""

from __future__ import annotations

import json
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from accounts.credentials import api_key_create
from accounts.services import user_token_issue
from agency.branding import brand_name
from crisis.models import EventKind, Incident, IncidentAssignment, IncidentEvent
from crisis.services import detector_settings_update, detectors_run
from crisis.services.common import SYSTEM, event_add
from crisis.timeline import after_title, clinic_incident_lines
from tests.crisis.conftest import NOW, acting, resolved_anyway

MIN = timedelta(minutes=1)
BASE = "/clinics/clinic-a/api/v1/incidents"
TOLD = "Alpha Owner (owner: e-mail), Alpha Manager (manager: e-mail), A Approver (comms)"


@pytest.fixture
def incident(stream, world):
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    stream.add(NOW - 5 * MIN, label="negative", text="An outbreak in the waiting room")
    [opened] = detectors_run(now=NOW, notify=False)
    staff = [world.users[n].pk for n in ("alpha_owner", "alpha_manager")]
    with schema_context("clinic_clinic_a"):
        event_add(incident=opened, kind=EventKind.NOTIFIED, actor=SYSTEM, at=NOW + MIN,
                  message=f"Alerted 3 people: {TOLD}. E-mails sent: 3.",
                  data={"emails": 3, "people": [*staff, world.users["a_approver"].pk]})  # fmt: skip
    return opened


def _clinic_side(world, clinic_a) -> dict[str, Client]:
    _, token = user_token_issue(user=world.users["a_approver"], name="walk14")
    _, key = api_key_create(
        agency=world.agencies["alpha"], clinic=clinic_a, name="clinic's own",
        scopes=["read", "write"], created_by=world.users["a_approver"],
    )  # fmt: skip
    return {
        "approver's token": Client(HTTP_AUTHORIZATION=f"Bearer {token.secret}"),
        "clinic key": Client(HTTP_AUTHORIZATION=f"Bearer {key.secret}"),
    }


def test_the_clinic_reads_the_portals_timeline_and_the_agency_its_own(
    incident, world, clinic_a, login
):
    # given the portal's lines for the clinic
    with schema_context(clinic_a.schema_name):
        lines = clinic_incident_lines(incident, clinic_a)
    portal = [line["text"] for line in lines]
    page = unescape(login("a_approver").get(f"/clinics/clinic-a/portal/incidents/{incident.pk}/")
                    .content.decode())  # fmt: skip
    # the page says each line's title once, bold, then the rest of its text
    assert all(after_title(line["title"], line["text"]) in page for line in lines)
    brand = brand_name(clinic_a.agency)
    for who, client in _clinic_side(world, clinic_a).items():
        # when the clinic's side reads the incident
        timeline = client.get(f"{BASE}/{incident.pk}/").json()["timeline"]
        # then it reads the portal's lines, and nothing of the agency's room
        assert [e["message"] for e in timeline] == portal, who
        said = json.dumps(timeline, ensure_ascii=False)
        for leak in ("Alpha Owner", "Alpha Manager", "alerts at", "p =", "Carewatch"):
            assert leak not in said, (who, leak)
        assert "2 people at your agency and 1 of your team were alerted." in said
        assert all(e["data"] == {} for e in timeline), who
        assert any(e["actor"].startswith(brand) for e in timeline), who
    # the agency's staff keep the staff copy, unchanged
    with schema_context(clinic_a.schema_name):
        kept = list(IncidentEvent.objects.filter(incident=incident).values_list("message", "actor"))
    staff = login("alpha_manager").get(f"{BASE}/{incident.pk}/").json()["timeline"]
    assert [(e["message"], e["actor"]) for e in staff] == kept
    assert any(TOLD in e["message"] for e in staff)


def test_the_clinic_reads_the_review_only_once_it_was_sent(
    incident, world, clinic_a, login, django_capture_on_commit_callbacks
):
    with schema_context(clinic_a.schema_name):
        resolved_anyway(incident, django_capture_on_commit_callbacks)
    clinic = [*_clinic_side(world, clinic_a).values(), login("a_approver")]
    for path in ("review/", "review/questions/", "review/export/?format=html"):
        for client in clinic:
            refused = client.get(f"{BASE}/{incident.pk}/{path}")
            assert refused.status_code == 404, (path, refused.content)
            assert refused.json()["code"] == "review_not_sent"
        # the agency reads its draft
        assert login("alpha_manager").get(f"{BASE}/{incident.pk}/{path}").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert login("alpha_manager").post(f"{BASE}/{incident.pk}/review/send/").status_code == 200
    for client in clinic:
        assert client.get(f"{BASE}/{incident.pk}/review/").status_code == 200
        assert client.get(f"{BASE}/{incident.pk}/review/questions/").status_code == 200


def test_acknowledging_twice_is_a_409_naming_who_and_when(incident, api):
    url = f"{BASE}/{incident.pk}/acknowledge/"
    first = api("key_a").post(url)
    assert first.status_code == 200
    with schema_context("clinic_clinic_a"):
        before = list(IncidentEvent.objects.filter(incident=incident).values_list("pk", flat=True))
        done = Incident.objects.get(pk=incident.pk)
    second = api("key_alpha").post(url)
    assert second.status_code == 409
    body = second.json()
    assert body["code"] == "already_acknowledged"
    assert body["detail"] == (
        f"The incident is already acknowledged by {done.acknowledged_by} at "
        f"{done.acknowledged_at.isoformat()}: nothing changed."
    )
    with schema_context("clinic_clinic_a"):
        after = list(IncidentEvent.objects.filter(incident=incident).values_list("pk", flat=True))
    assert after == before


def test_adding_a_note_answers_the_note(incident, login):
    created = login("alpha_manager").post(
        f"{BASE}/{incident.pk}/notes/",
        {"message": "Called the patient relations lead.", "shared_with_clinic": True},
        content_type="application/json",
    )
    assert created.status_code == 201
    note = created.json()
    with schema_context("clinic_clinic_a"):
        stored = IncidentEvent.objects.get(incident=incident, kind=EventKind.NOTE)
    assert note == {
        "id": stored.pk,
        "kind": "note",
        "message": "Called the patient relations lead.",
        "actor": stored.actor,
        "data": stored.data,
        "at": note["at"],
        "shared_with_clinic": True,
    }


def test_the_clinic_reads_a_role_held_by_agency_staff_as_the_agency_brand(
    incident, world, clinic_a, login
):
    # given a role held by the agency's staff and one by the clinic's own person
    manager, approver = world.users["alpha_manager"], world.users["a_approver"]
    with schema_context(clinic_a.schema_name):
        IncidentAssignment.objects.create(
            incident=incident, role="social", user_id=manager.pk, user_label="Alpha Manager"
        )
        IncidentAssignment.objects.create(
            incident=incident, role="comms", user_id=approver.pk, user_label="A Approver"
        )
    brand = brand_name(clinic_a.agency)
    for who, client in _clinic_side(world, clinic_a).items():
        # when the clinic's side reads the incident
        assignments = client.get(f"{BASE}/{incident.pk}/").json()["assignments"]
        # then the agency's person is the agency's brand, with no id; its own person is named
        held = {a["role"]: (a["user_id"], a["user_label"]) for a in assignments}
        assert held == {"social": (None, brand), "comms": (approver.pk, "A Approver")}, who
    # the agency reads its people by name
    staff = login("alpha_manager").get(f"{BASE}/{incident.pk}/").json()["assignments"]
    assert {a["role"]: (a["user_id"], a["user_label"]) for a in staff} == {
        "social": (manager.pk, "Alpha Manager"),
        "comms": (approver.pk, "A Approver"),
    }
