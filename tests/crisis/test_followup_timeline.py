"""Private follow-ups on the incident timeline: responses tells crisis through
`core.pipeline.followup_changed`; crisis copies each step once onto every incident that holds
the review, without the words exchanged. The incident room links each mention to its
follow-up, or offers to start one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from crisis.models import EventKind, IncidentEvent
from crisis.services import detector_settings_update, detectors_run
from crisis.services.followups import incident_followup_events, incident_followup_events_sweep
from feeds.services.privacy import reviews_redact
from tests.crisis.conftest import NOW, acting

MIN = timedelta(minutes=1)


@pytest.fixture
def incident(stream):
    detector_settings_update(actor=acting("test"), watch_words=["needles"])
    stream.add(NOW - 9 * MIN, label="negative", text="They reuse needles, I saw it")
    stream.add(NOW - 5 * MIN, label="negative", text="Reuse needles? asking", engagement=(5, 0, 0))
    return max(detectors_run(now=NOW, notify=False), key=lambda i: i.links.count())


def _start(client: Client, review_id: int, **body) -> dict:
    answer = client.post(
        f"/clinics/clinic-a/api/v1/reviews/{review_id}/private-conversations/",
        {"channel": "phone", "notes": "Asked for the lot number of the syringe", **body},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.json()
    return answer.json()


def _here():
    """Back in clinic A's schema (a request through the test client ends on public)."""
    return schema_context("clinic_clinic_a")


def test_follow_up_steps_reach_the_incident_timeline_once_and_without_words(incident, login):
    writer = login("alpha_writer")
    review = incident.mentions.order_by("published_at").first()
    conversation = _start(writer, review.pk)
    note = writer.post(
        f"/clinics/clinic-a/api/v1/private-conversations/{conversation['id']}/notes/",
        {"text": "She said her arm still hurts", "from_person": True},
        content_type="application/json",
    )
    assert note.status_code == 201
    resolved = writer.patch(
        f"/clinics/clinic-a/api/v1/private-conversations/{conversation['id']}/",
        {"outcome": "explained"},
        content_type="application/json",
    )
    assert resolved.json()["status"] == "resolved"

    with _here():
        check_events(incident, review, conversation)


def check_events(incident, review, conversation):
    assert incident_followup_events(conversation_id=conversation["id"]) == 3
    assert incident_followup_events(conversation_id=conversation["id"]) == 0  # idempotent
    assert incident_followup_events_sweep() == 0  # the sweep finds nothing missing

    events = list(IncidentEvent.objects.filter(incident=incident, kind=EventKind.FOLLOW_UP))
    assert [e.message for e in events] == [
        f"Private follow-up of mention #{review.pk} started (Phone), owner Alpha Writer",
        f"The author of mention #{review.pk} answered (noted by staff)",
        f"Private follow-up of mention #{review.pk} resolved: Explained; nothing more to do",
    ]
    assert {e.actor for e in events} == {"Alpha Writer"}
    assert [e.data["action"] for e in events] == ["opened", "answer_noted", "resolved"]
    text = " ".join(e.message + str(e.data) for e in events)
    assert "arm" not in text and "syringe" not in text


def test_the_sweep_adds_steps_a_lost_message_left_off(incident, login):
    review = incident.mentions.order_by("published_at").first()
    conversation = _start(login("alpha_writer"), review.pk)
    with _here():
        check_sweep(incident, conversation)


def check_sweep(incident, conversation):
    assert not IncidentEvent.objects.filter(kind=EventKind.FOLLOW_UP).exists()
    assert incident_followup_events_sweep() == 1
    [event] = IncidentEvent.objects.filter(incident=incident, kind=EventKind.FOLLOW_UP)
    assert event.data["conversation_id"] == conversation["id"]


def test_the_room_links_mentions_to_their_follow_up_or_offers_one(incident, login):
    writer = login("alpha_writer")
    first, second = incident.mentions.order_by("published_at")
    conversation = _start(writer, first.pk)
    html = writer.get(f"/clinics/clinic-a/incidents/{incident.pk}/").content.decode()
    assert f'href="/clinics/clinic-a/follow-ups/{conversation["id"]}/">Started</a>' in html
    assert f'href="/clinics/clinic-a/replies/review/{second.pk}/#follow-up"' in html
    assert "Follow up privately" in html
    viewer = login("a_viewer", otp=False)
    html = viewer.get(f"/clinics/clinic-a/incidents/{incident.pk}/").content.decode()
    assert "Follow up privately" not in html


def test_a_follow_up_a_privacy_request_closed_says_so_on_the_timeline(incident, login):
    review = incident.mentions.order_by("published_at").first()
    conversation = _start(login("alpha_writer"), review.pk)

    with _here():
        reviews_redact(review_ids=[review.pk])
        incident_followup_events(conversation_id=conversation["id"])
        events = IncidentEvent.objects.filter(incident=incident, kind=EventKind.FOLLOW_UP)
        last = events.order_by("at", "id").last()

    assert (last.data["action"], last.actor) == ("redacted", "Privacy request")
    assert last.message == (
        f"Private follow-up of mention #{review.pk} closed and cleared because of a privacy request"
    )
    assert "syringe" not in last.message + str(last.data)
