"""An open incident that grows alerts its people again, once per step, with a throttle; its
title and headline give its mentions so far. A surge back after its incident was resolved
opens a follow-up with the normal alerts. The real detectors, with time passed as `now`."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from clinics.models import Notification
from crisis.models import EventKind, Incident, IncidentAssignment
from crisis.room import incident_words, plain_line
from crisis.services import detectors_run, incident_acknowledge, incident_status_set
from crisis.services.alerting import chat_webhook_set
from crisis.services.detection import title_ended
from tests.crisis.conftest import ANYWAY, NOW, acting, calm_baseline
from tests.crisis.fake_chat import FakeChat

MIN = timedelta(minutes=1)
ROOM = "/clinics/clinic-a/incidents/{}/"
UTC_ZONE = ZoneInfo("UTC")


@pytest.fixture
def fake_chat(clinic_a):
    chat = FakeChat().start()
    chat_webhook_set(
        agency_id=clinic_a.agency_id, clinic=None, kind="slack",
        url=f"{chat.base_url}/slack", actor=acting("test"),
    )  # fmt: skip
    yield chat
    chat.stop()


@pytest.fixture
def crisis(stream, in_utc):
    """A busy clinic's month, then 18 negative mentions in the 90 minutes before NOW (19
    negatives in its 2 hours): the surge incident opened at NOW (its alert not under test
    here)."""
    calm_baseline(stream)
    for n in range(18):
        stream.item(NOW - (95 - 5 * n) * MIN, label="negative", kind="mention")
    stream.flush()
    [incident] = detectors_run(now=NOW, notify=False)
    assert incident.title == "Negative surge: 19 in 2 h" and incident.links.count() == 19
    return incident


def _run(capture, at):
    with capture(execute=True):
        return detectors_run(now=at)


def test_a_growing_incident_tells_its_people_and_team_once_per_step(
    crisis, stream, social, world, mailoutbox, fake_chat, django_capture_on_commit_callbacks
):
    run = lambda at: _run(django_capture_on_commit_callbacks, at)  # noqa: E731
    # given the incident acknowledged, and the agency's writer its social media manager
    writer = world.users["alpha_writer"]
    IncidentAssignment.objects.create(
        incident=crisis, role="social", user_id=writer.pk, user_label="Alpha Writer"
    )
    incident_acknowledge(incident_id=crisis.pk, actor=acting("Sam"), now=NOW + 2 * MIN)
    # when, 13 minutes in, six more negative mentions come, one of them going viral
    for n in range(5):
        social.item(NOW + (8 + n) * MIN, label="negative", kind="mention", engagement=(90, 8, 5))
    social.item(NOW + 12 * MIN, label="negative", kind="mention", engagement=(200, 40, 13))
    social.flush()
    assert run(NOW + 14 * MIN) == []
    crisis.refresh_from_db()
    # then the title and the headlines say 25 so far at once; the opening sentence stays
    assert crisis.title == "Negative surge: 19 in 2 h, 25 so far"
    assert plain_line(crisis, UTC_ZONE).endswith("; 25 mentions so far")
    assert incident_words(crisis, UTC_ZONE).endswith(" 25 mentions so far.")
    opened = crisis.events.get(kind=EventKind.OPENED)
    assert "19 negative reviews and mentions in 2 h" in opened.message
    assert [e.data["kind"] for e in crisis.events.filter(kind=EventKind.ALSO_DETECTED)] == ["viral"]
    # but nobody is told yet: the last alert went out 14 minutes ago (at most every 15)
    assert mailoutbox == [] and fake_chat.posts == []
    # (walk 14: once resolved, its title no longer says "so far")
    assert title_ended(crisis.title) == "Negative surge: 19 in 2 h, 25 in all"
    assert title_ended("Negative surge: 19 in 2 h") == "Negative surge: 19 in 2 h"
    # when the detectors run again past the throttle
    run(NOW + 16 * MIN)
    # then one line on the timeline says what grew
    [grew] = crisis.events.filter(kind=EventKind.NOTIFIED, data__has_key="grew")
    assert grew.message == (
        "The incident grew since the last alert: 6 more mentions linked (25 in all, "
        "6 of them with 100+ likes, shares and replies); also detected: viral post — "
        "A post gained 253 likes, shares and replies in 15 minutes (253 in all), about 1012 "
        "times faster than the clinic's busiest posts. Telling the people alerted and the "
        "incident's team again."
    )
    # and everyone the alert goes to, and its team, gets one e-mail with the room's link
    assert sorted(m.to[0] for m in mailoutbox) == [
        "a_approver@clinics.test", "a_legal@clinics.test", "manager@alpha.test",
        "owner@alpha.test", "writer@alpha.test",
    ]  # fmt: skip
    mail = next(m for m in mailoutbox if m.to == ["writer@alpha.test"])
    assert mail.subject == "[Clinic A] Incident grew: Negative surge: 19 in 2 h, 25 so far"
    assert "What grew: 6 more mentions linked (25 in all" in mail.body
    assert "also detected: viral post" in mail.body
    assert [x for x in mail.body.splitlines() if x.startswith("Open the incident: ")][0].endswith(
        ROOM.format(crisis.pk)
    )
    assert "the incident's Social media manager" in mail.body
    assert "/alerts/ack/" not in mail.body  # acknowledged already
    clinic_mail = next(m for m in mailoutbox if m.to == ["a_approver@clinics.test"])
    assert f"/clinics/clinic-a/portal/incidents/{crisis.pk}/" in clinic_mail.body
    # and in-app, one message each
    assert sorted(
        Notification.objects.filter(ref=f"incident:{crisis.pk}:grew", open=True).values_list(
            "user__email", flat=True
        )
    ) == sorted(m.to[0] for m in mailoutbox)
    # and the agency's Slack channel
    [slack] = fake_chat.to("/slack")
    text = slack["json"]["blocks"][1]["text"]["text"]
    assert "Grew since the last alert: 6 more mentions" in text
    crisis.refresh_from_db()
    assert slack["json"]["text"] == (
        f"{crisis.get_severity_display()} incident grew at Clinic A: {crisis.title}"
    )
    # when the detectors run again with nothing new: nobody is told twice
    run(NOW + 21 * MIN)
    assert len(mailoutbox) == 5 and len(fake_chat.posts) == 1
    # when ten more come within the throttle, they wait for it, then go once
    for n in range(10):
        social.item(NOW + (22 + n * 0.2) * MIN, label="negative", kind="mention")
    social.flush()
    run(NOW + 26 * MIN)
    assert len(mailoutbox) == 5
    run(NOW + 31 * MIN + 30 * timedelta(seconds=1))
    assert len(mailoutbox) == 10
    assert "What grew: 10 more mentions linked (35 in all)." in mailoutbox[-1].body
    crisis.refresh_from_db()
    assert crisis.title == "Negative surge: 19 in 2 h, 35 so far"
    # and resolving closes the in-app messages
    incident_status_set(
        incident_id=crisis.pk, status="resolved", override_reason=ANYWAY,
        actor=acting("Sam"), now=NOW + 40 * MIN,
    )  # fmt: skip
    assert not Notification.objects.filter(ref=f"incident:{crisis.pk}:grew", open=True).exists()


def test_a_small_growth_alone_tells_nobody(
    crisis, stream, mailoutbox, django_capture_on_commit_callbacks
):
    # given five more negatives (19 -> 24: under 10 and under half)
    for n in range(5):
        stream.item(NOW + (5 + n) * MIN, label="negative", kind="mention")
    stream.flush()
    _run(django_capture_on_commit_callbacks, NOW + 20 * MIN)
    crisis.refresh_from_db()
    # then the title counts them, and nobody is paged for it
    assert crisis.title == "Negative surge: 19 in 2 h, 24 so far"
    assert mailoutbox == []
    assert not crisis.events.filter(data__has_key="grew").exists()


def test_a_surge_back_after_resolve_anyway_opens_a_follow_up_with_alerts(
    crisis, stream, mailoutbox, fake_chat, django_capture_on_commit_callbacks
):
    # given the incident resolved anyway ten minutes in, while the detector still fired
    assert crisis.last_evaluation["fired"] is True
    incident_status_set(
        incident_id=crisis.pk, status="resolved", override_reason=ANYWAY,
        actor=acting("Sam"), now=NOW + 10 * MIN,
    )  # fmt: skip
    # when six new negative mentions come seven minutes later
    for n in range(6):
        stream.item(NOW + (17 + n * 0.2) * MIN, label="negative", kind="mention")
    stream.flush()
    opened = _run(django_capture_on_commit_callbacks, NOW + 20 * MIN)
    # then a follow-up incident opens, continuing the resolved one
    [follow] = opened
    assert follow.continues_id == crisis.pk
    assert Incident.objects.filter(status="open").count() == 1
    assert follow.title == "Negative surge again: 6 new, 25 in 2 h"
    assert follow.trigger["numbers"]["new"] == 6 and follow.trigger["numbers"]["held"] == 19
    assert follow.links.count() == 6  # the resolved incident keeps its own
    event = follow.events.get(kind=EventKind.OPENED)
    assert event.data["continues"] == crisis.pk and event.data["wave"] == "again"
    assert f"Follow-up of incident #{crisis.pk}, resolved 10 min before" in event.message
    # and the normal alerts go, with the follow-up sentence
    assert len(mailoutbox) == 4
    body = next(m for m in mailoutbox if m.to == ["owner@alpha.test"]).body
    assert (
        f"Follow-up of incident #{crisis.pk} (“Negative surge: 19 in 2 h”): the negative surge "
        "came back after it was resolved 2026-03-04 15:10 UTC." in body
    )
    assert "6 new negative mentions after an incident was resolved; 25 negative mentions" in body
    [slack] = fake_chat.to("/slack")
    assert (
        "the negative surge came back after it was resolved"
        in slack["json"]["blocks"][1]["text"]["text"]
    )
    assert Notification.objects.filter(ref=f"incident:{follow.pk}").count() == 4


def test_the_resolved_incidents_own_mentions_open_nothing_again(
    crisis, stream, mailoutbox, django_capture_on_commit_callbacks
):
    incident_status_set(
        incident_id=crisis.pk, status="resolved", override_reason=ANYWAY,
        actor=acting("Sam"), now=NOW + 10 * MIN,
    )  # fmt: skip
    # four new ones: under the minimum count of new negatives
    for n in range(4):
        stream.item(NOW + (17 + n) * MIN, label="negative", kind="mention")
    stream.flush()
    assert _run(django_capture_on_commit_callbacks, NOW + 25 * MIN) == []
    assert _run(django_capture_on_commit_callbacks, NOW + 60 * MIN) == []
    assert mailoutbox == []


def test_a_resolved_incident_says_its_mentions_in_all(crisis):
    """Walk 14: the review e-mail, the portal and the statement header still said "23 so far"
    after the incident was resolved."""
    Incident.objects.filter(pk=crisis.pk).update(title="Negative surge: 19 in 2 h, 25 so far")
    incident_status_set(
        incident_id=crisis.pk, status="resolved", override_reason=ANYWAY,
        actor=acting("Sam"), now=NOW + 30 * MIN,
    )  # fmt: skip
    crisis.refresh_from_db()
    assert crisis.title == "Negative surge: 19 in 2 h, 25 in all"
