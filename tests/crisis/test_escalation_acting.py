"""Acting on an incident acknowledges it: a team that is visibly responding (a reply drafted
or posted to one of its mentions, the team assigned, a note, a statement drafted) is not
escalated as if nobody had seen it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from clinics.models import Notification
from crisis import tasks
from crisis.models import EventKind, Incident
from crisis.services import (
    detector_settings_update,
    detectors_run,
    incident_assign,
    incident_note_add,
    incident_notify_opened,
    incidents_escalate_due,
)
from responses.models import ReplyDraft
from tests.crisis.conftest import NOW, acting

MIN = timedelta(minutes=1)


@pytest.fixture
def outbreak(stream, mailoutbox):
    """An incident opened at NOW, its alert sent (banners open), its one mention linked."""
    detector_settings_update(actor=acting("test"), watch_words=["outbreak"])
    stream.add(NOW - 5 * MIN, label="negative", text="Measles outbreak at the clinic, my son")
    [incident] = detectors_run(now=NOW, notify=False)
    incident_notify_opened(incident_id=incident.pk)
    mailoutbox.clear()
    return incident


def _reply(incident, *, author_label="user:9", author_name="Wren Writer", **fields):
    return ReplyDraft.objects.create(
        review=incident.mentions.get(),
        author_label=author_label,
        author_name=author_name,
        version=1,
        **fields,
    )


def _banners(incident) -> int:
    return Notification.objects.filter(ref=f"incident:{incident.pk}", open=True).count()


def test_a_reply_posted_before_the_deadline_acknowledges_it_and_the_beat_escalates_nothing(
    outbreak, clinic_a, mailoutbox, django_capture_on_commit_callbacks
):
    # given a reply to its mention posted 10 minutes after it opened, nobody clicking
    # "Acknowledge"
    _reply(outbreak, status="published", published_at=NOW + 10 * MIN)
    assert _banners(outbreak) == 4
    # when the beat checks for escalations (well after the 15 minutes)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.escalations_check_task() == 0
    # then it was acknowledged by the reply's writer, as of the reply, and nobody was told
    # it was escalated
    with schema_context(clinic_a.schema_name):
        incident = Incident.objects.get(pk=outbreak.pk)
        assert (incident.status, incident.acknowledged_by) == ("acknowledged", "Wren Writer")
        assert incident.acknowledged_at == NOW + 10 * MIN
        assert incident.escalated_at is None
        assert not incident.events.filter(kind=EventKind.ESCALATED).exists()
        [event] = incident.events.filter(kind=EventKind.ACKNOWLEDGED)
        assert event.message == (
            "Acknowledged by Wren Writer (by responding: a reply to one of its mentions was "
            "published)."
        )
        assert (event.actor, event.at) == ("Wren Writer", NOW + 10 * MIN)
        assert _banners(incident) == 0
    assert mailoutbox == []


def test_a_reply_posted_before_the_incident_opened_is_not_acting_on_it(
    outbreak, mailoutbox, django_capture_on_commit_callbacks
):
    # given a reply to the mention published before the incident opened (and drafted later
    # than the check: rows are stamped with the real clock)
    _reply(outbreak, status="published", published_at=NOW - 2 * MIN)
    # then nobody acted on the incident: it escalates
    with django_capture_on_commit_callbacks(execute=True):
        assert incidents_escalate_due(now=NOW + 15 * MIN) == [outbreak]
    outbreak.refresh_from_db()
    assert (outbreak.status, outbreak.acknowledged_at) == ("open", None)
    assert len(mailoutbox) == 4


@pytest.mark.parametrize(
    ("author_label", "author_name", "acknowledged"),
    [("user:9", "Wren Writer", True), ("system:suggestions", "Carewatch", False)],
    ids=["by-a-person", "by-carewatch"],
)
def test_a_reply_drafted_by_a_person_counts_and_carewatchs_own_draft_does_not(
    outbreak, author_label, author_name, acknowledged
):
    draft = _reply(outbreak, author_label=author_label, author_name=author_name)
    ReplyDraft.objects.filter(pk=draft.pk).update(created_at=NOW + 5 * MIN)
    escalated = incidents_escalate_due(now=NOW + 15 * MIN)
    outbreak.refresh_from_db()
    assert (escalated == []) is acknowledged
    if acknowledged:
        assert (outbreak.acknowledged_by, outbreak.acknowledged_at) == (
            "Wren Writer",
            NOW + 5 * MIN,
        )
        assert outbreak.events.get(kind=EventKind.ACKNOWLEDGED).message == (
            "Acknowledged by Wren Writer (by responding: drafted a reply to one of its mentions)."
        )
    else:
        assert outbreak.status == "open"


def test_a_reply_after_the_check_does_not_stop_an_escalation_that_was_due(outbreak):
    # a reply posted at 20 minutes: at the 15-minute check nobody had acted yet
    _reply(outbreak, status="published", published_at=NOW + 20 * MIN)
    assert incidents_escalate_due(now=NOW + 15 * MIN) == [outbreak]


@pytest.mark.parametrize(
    ("act", "what"),
    [
        (
            lambda incident, world, clinic: incident_assign(
                incident_id=incident.pk,
                clinic=clinic,
                role="comms",
                user_id=world.users["alpha_writer"].pk,
                actor=acting("Max Manager"),
            ),
            "assigned the team",
        ),
        (
            lambda incident, world, clinic: incident_note_add(
                incident_id=incident.pk,
                message="On it, calling the clinic.",
                actor=acting("Max Manager"),
            ),
            "added a note",
        ),
    ],
    ids=["assigning", "a-note"],
)
def test_acting_in_the_room_acknowledges_at_once(outbreak, world, clinic_a, act, what):
    # when someone acts in the incident room without clicking "Acknowledge"
    act(outbreak, world, clinic_a)
    # then it is acknowledged at once, by them, saying how; the banners close
    outbreak.refresh_from_db()
    assert (outbreak.status, outbreak.acknowledged_by) == ("acknowledged", "Max Manager")
    assert outbreak.events.get(kind=EventKind.ACKNOWLEDGED).message == (
        f"Acknowledged by Max Manager (by responding: {what})."
    )
    assert _banners(outbreak) == 0
    # and it never escalates
    assert incidents_escalate_due(now=NOW + 60 * MIN) == []
