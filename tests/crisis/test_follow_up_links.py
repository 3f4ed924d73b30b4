"""A follow-up incident (a new wave of a false claim an incident resolved shortly before held:
`Incident.continues`) says which incident it continues wherever it is read: the API
(`continues`, `continued_by`), the agency's incident room and the clinic's portal page (the
same sentence, each linking to the earlier incident where its reader goes), the alert and
escalation e-mails, the chat alerts and the `incident.opened` / `incident.resolved` webhook
payloads (`continues`, as the API gives it). Times in the clinic's zone."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.conf import settings

from agency.brand_links import brand_link
from clinics.models import Clinic
from crisis.models import Incident
from crisis.services import incident_notify_opened, incident_resolve, incidents_escalate_due
from crisis.services.alerting import chat_webhook_set
from tests.crisis.conftest import ANYWAY, NOW, acting
from tests.crisis.fake_chat import FakeChat
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import verify
from webhooks.deliver import delivery_attempt
from webhooks.services import subscription_create
from webhooks.tasks import delivery_attempt_task

MIN = timedelta(minutes=1)
A = "/clinics/clinic-a"
TITLE = "False claim: the clinic reuses needles"
# resolved at NOW - 30 min = 14:30 UTC, 09:30 in New York (EST until March 8)
SAID = f"(“{TITLE}”): a new wave of a false claim it held, resolved 2026-03-04 09:30 EST."
AGENCY_SIDE = {"owner@alpha.test", "manager@alpha.test"}


@pytest.fixture
def waves(clinic_a, in_clinic_a) -> tuple[Incident, Incident]:
    """Clinic A on New York time, with an incident resolved half an hour ago and the one that
    continues it, opened now."""
    Clinic.objects.filter(pk=clinic_a.pk).update(timezone="America/New_York")
    first = Incident.objects.create(
        kind="misinformation", title=TITLE, severity="high", status="resolved",
        opened_at=NOW - 3 * 60 * MIN, last_detected_at=NOW - 2 * 60 * MIN,
        resolved_at=NOW - 30 * MIN,
    )  # fmt: skip
    second = Incident.objects.create(
        kind="misinformation", title=f"{TITLE} (again)", severity="high", continues=first,
        opened_at=NOW, last_detected_at=NOW,
    )  # fmt: skip
    return first, second


@pytest.fixture
def fake_chat():
    chat = FakeChat().start()
    yield chat
    chat.stop()


@pytest.fixture
def receiver(settings):
    """A real HTTP endpoint on 127.0.0.1 (tests/webhooks/receiver.py) the deliveries reach."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    endpoint = Receiver().start()
    yield endpoint
    endpoint.stop()


def _follow_up_paragraph(html: str) -> str | None:
    found = re.search(r'<p data-testid="follow-up-of">.*?</p>', html)
    return found.group(0) if found else None


def test_the_api_gives_the_incident_it_continues_and_those_that_continue_it(waves, api):
    first, second = waves
    client = api("key_a")

    listed = {i["id"]: i for i in client.get(f"{A}/api/v1/incidents/").json()["results"]}
    later = client.get(f"{A}/api/v1/incidents/{second.pk}/").json()
    earlier = client.get(f"{A}/api/v1/incidents/{first.pk}/").json()

    assert (listed[second.pk]["continues"], listed[second.pk]["continued_by"]) == (first.pk, [])
    assert (listed[first.pk]["continues"], listed[first.pk]["continued_by"]) == (None, [second.pk])
    assert (later["continues"], later["continued_by"]) == (first.pk, [])
    assert (earlier["continues"], earlier["continued_by"]) == (None, [second.pk])


def test_the_openapi_document_describes_both_fields():
    from tests.api.test_examples import openapi_schema

    fields = openapi_schema()["components"]["schemas"]["IncidentOutput"]["properties"]

    assert fields["continues"]["type"] == "integer" and fields["continues"]["nullable"] is True
    assert fields["continued_by"]["items"] == {"type": "integer"}
    assert "continues" in fields["continues"]["description"]
    assert "continue this one" in fields["continued_by"]["description"]


def test_the_portal_page_says_it_as_the_room_does_linking_to_the_portals_page(waves, login):
    first, second = waves

    portal = login("a_approver").get(f"{A}/portal/incidents/{second.pk}/").content.decode()
    room = login("alpha_writer").get(f"{A}/incidents/{second.pk}/").content.decode()
    not_a_follow_up = login("a_approver").get(f"{A}/portal/incidents/{first.pk}/")

    shown = _follow_up_paragraph(portal)
    assert shown == (
        f'<p data-testid="follow-up-of">Follow-up of <a href="{A}/portal/incidents/{first.pk}/">'
        f"incident #{first.pk}</a> {SAID}</p>"
    )
    # the same words as the agency's room, which links to its own room
    assert _follow_up_paragraph(room) == shown.replace(
        f"{A}/portal/incidents/{first.pk}/", f"{A}/incidents/{first.pk}/"
    )
    assert _follow_up_paragraph(not_a_follow_up.content.decode()) is None


def test_the_alert_e_mails_and_chat_say_it_with_a_link_where_each_reader_goes(
    waves, clinic_a, mailoutbox, fake_chat, django_capture_on_commit_callbacks
):
    first, second = waves
    for kind in ("slack", "teams"):
        chat_webhook_set(
            agency_id=clinic_a.agency_id, clinic=None, kind=kind,
            url=f"{fake_chat.base_url}/{kind}", actor=acting("test"),
        )  # fmt: skip
    room = f"{settings.PUBLIC_BASE_URL}{A}/incidents/{first.pk}/"
    # the clinic's people's link carries the brand signature (agency.brand_links)
    portal = f"{settings.PUBLIC_BASE_URL}{brand_link(f'{A}/portal/incidents/{first.pk}/')}"

    # when the follow-up's alert goes out
    with django_capture_on_commit_callbacks(execute=True):
        incident_notify_opened(incident_id=second.pk)

    # then each e-mail says it under the trigger, linking the agency's people to the room and
    # the clinic's to the portal
    mails = {m.to[0]: m.body for m in mailoutbox}
    assert sorted(mails) == [
        "a_approver@clinics.test",
        "a_legal@clinics.test",
        *sorted(AGENCY_SIDE),
    ]
    for to, body in mails.items():
        url = room if to in AGENCY_SIDE else portal
        assert f"\nFollow-up of incident #{first.pk} {SAID} Open incident #{first.pk}: {url}\n" in (
            body
        ), (to, body)
    # and Slack and Teams say it with a link to the room
    [slack] = fake_chat.to("/slack")
    [teams] = fake_chat.to("/teams")
    section = slack["json"]["blocks"][1]["text"]["text"]
    assert section.endswith(f"\nFollow-up of <{room}|incident #{first.pk}> {SAID}")
    texts = [b.get("text") for b in teams["json"]["attachments"][0]["content"]["body"]]
    assert f"Follow-up of [incident #{first.pk}]({room}) {SAID}" in texts


def test_an_incident_that_continues_none_says_nothing_of_it(
    waves, mailoutbox, django_capture_on_commit_callbacks
):
    first, _ = waves
    with django_capture_on_commit_callbacks(execute=True):
        incident_notify_opened(incident_id=first.pk)
    assert mailoutbox and not [m for m in mailoutbox if "Follow-up of" in m.body]


def test_the_escalation_e_mail_says_it_too(waves, mailoutbox, django_capture_on_commit_callbacks):
    first, second = waves
    with django_capture_on_commit_callbacks(execute=True):
        assert incidents_escalate_due(now=NOW + 60 * MIN) == [second]
    assert mailoutbox
    for mail in mailoutbox:
        assert f"Follow-up of incident #{first.pk} {SAID}" in mail.body, mail.body


def test_the_incident_webhooks_give_the_incident_it_continues_as_the_api_does(
    waves, clinic_a, receiver, api, monkeypatch, django_capture_on_commit_callbacks
):
    first, second = waves
    # given the crisis team's ticketing tool subscribed to the incident events
    _, secret = subscription_create(
        url=receiver.url, events=["incident.opened", "incident.resolved"]
    )
    queued: list[int] = []
    monkeypatch.setattr(
        delivery_attempt_task, "apply_async", lambda args, **kw: queued.append(args[0])
    )

    # when the follow-up and the incident it continues are alerted, and the follow-up resolved
    with django_capture_on_commit_callbacks(execute=True):
        incident_notify_opened(incident_id=second.pk)
        incident_notify_opened(incident_id=first.pk)
        incident_resolve(incident_id=second.pk, actor=acting("Sam"), override_reason=ANYWAY)
    # and the worker sends what was queued
    assert len(queued) == 3
    for delivery_id in queued:
        assert delivery_attempt(delivery_id=delivery_id).status == "delivered"

    # then each signed body names the incident it continues, or null, as the API does
    received = []
    for request in receiver.requests:
        verify(secret, request.headers["X-Carewatch-Signature"], request.body)
        body = json.loads(request.body)
        received.append((body["event"], body["data"]["incident"]["id"], body["data"]["incident"]))
    assert [(event, pk, sent["continues"]) for event, pk, sent in received] == [
        ("incident.opened", second.pk, first.pk),
        ("incident.opened", first.pk, None),
        ("incident.resolved", second.pk, first.pk),
    ]
    client = api("key_a")
    for _, pk, sent in received:
        from_api = client.get(f"{A}/api/v1/incidents/{pk}/").json()
        assert sent["continues"] == from_api["continues"]
