"""`incident.grew`: an open incident that grows tells integrators what grew, at the moments its
people are alerted again (`notifications.incident_notify_grew`) and never more often: not for
growth the throttle holds back, not to another clinic's subscriptions. Its `incident` is the
object `incident.opened` sends; `growth` says the severity, the mentions and the detectors
before (at the alert before) and now. The real detectors, with time passed as `now`."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from crisis.models import EventKind
from crisis.services import detectors_run
from crisis.services.notifications import incident_payload
from tests.crisis.conftest import NOW, calm_baseline
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.services import PayloadEncoder, subscription_create
from webhooks.tasks import delivery_attempt_task

MIN = timedelta(minutes=1)


@pytest.fixture
def queued(settings, monkeypatch) -> list[int]:
    """Delivery tasks are recorded, not sent to Redis."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    sent: list[int] = []
    monkeypatch.setattr(
        delivery_attempt_task, "apply_async", lambda args, **kw: sent.append(args[0])
    )
    return sent


@pytest.fixture
def crisis(stream, in_utc, queued):
    """A busy clinic's month, then 19 negatives in the 2 hours before NOW: the surge incident
    opened at NOW (its alert not under test here); clinic A subscribed to `incident.grew`,
    and to `incident.opened` only."""
    calm_baseline(stream)
    for n in range(18):
        stream.item(NOW - (95 - 5 * n) * MIN, label="negative", kind="mention")
    stream.flush()
    [incident] = detectors_run(now=NOW, notify=False)
    grew, _ = subscription_create(url="http://127.0.0.1:9/grew", events=["incident.grew"])
    subscription_create(url="http://127.0.0.1:9/opened", events=["incident.opened"])
    incident.grew_subscription = grew
    return incident


def _run(capture, at):
    with capture(execute=True):
        return detectors_run(now=at)


def _grew_deliveries() -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(event="incident.grew").order_by("pk"))


def test_it_fires_once_per_growth_alert_and_never_for_throttled_growth(
    crisis, social, mailoutbox, queued, django_capture_on_commit_callbacks
):
    run = lambda at: _run(django_capture_on_commit_callbacks, at)  # noqa: E731
    # given six more negative mentions 13 minutes in, one of them going viral
    for n in range(5):
        social.item(NOW + (8 + n) * MIN, label="negative", kind="mention", engagement=(90, 8, 5))
    social.item(NOW + 12 * MIN, label="negative", kind="mention", engagement=(200, 40, 13))
    social.flush()
    # when the detectors run inside the 15 minutes of the throttle
    run(NOW + 14 * MIN)
    # then nobody is alerted, and no webhook goes either
    assert mailoutbox == [] and _grew_deliveries() == []
    # when they run past it
    run(NOW + 16 * MIN)
    # then one growth alert, and one `incident.grew` to the subscription that chose it
    assert len(mailoutbox) > 0
    [delivery] = _grew_deliveries()
    assert delivery.subscription_id == crisis.grew_subscription.pk
    assert delivery.status == "pending" and queued == [delivery.pk]
    assert not WebhookDelivery.objects.exclude(event="incident.grew").exists()
    crisis.refresh_from_db()
    data = delivery.payload
    assert data["growth"] == {
        "summary": (
            "6 more mentions linked (25 in all, 6 of them with 100+ likes, shares and "
            "replies); also detected: viral post — A post gained 253 likes, shares and replies "
            "in 15 minutes (253 in all), about 1012 times faster than the clinic's busiest posts"
        ),
        "since": "2026-03-04T15:00:00Z",  # NOW, as every time of a payload is sent
        "previous": {"severity": "critical", "mention_count": 19, "detector_kinds": ["surge"]},
        "current": {
            "severity": "critical",
            "mention_count": 25,
            "detector_kinds": ["surge", "viral"],
        },
    }
    assert crisis.severity == "critical"  # as it opened: the detectors raised nothing
    # and the timeline says it was emitted (the agency's: the clinic's copy drops webhooks)
    said = crisis.events.filter(kind=EventKind.NOTIFIED, data__webhook="incident.grew")
    assert [e.message for e in said] == ["Webhook incident.grew: emitted."]
    # when they run again with nothing new, and when ten more come inside the throttle
    run(NOW + 21 * MIN)
    for n in range(10):
        social.item(NOW + (22 + n * 0.2) * MIN, label="negative", kind="mention")
    social.flush()
    run(NOW + 26 * MIN)
    # then nothing more is sent
    assert len(_grew_deliveries()) == 1
    # until the next growth alert, which sends the second, from the first's counts
    mails = len(mailoutbox)
    run(NOW + 32 * MIN)
    assert len(mailoutbox) > mails
    first, second = _grew_deliveries()
    assert second.event_id != first.event_id
    assert second.payload["growth"]["since"] == "2026-03-04T15:16:00Z"  # NOW + 16 minutes
    assert second.payload["growth"]["previous"]["mention_count"] == 25
    assert second.payload["growth"]["current"]["mention_count"] == 35
    assert second.payload["incident"]["mention_count"] == 35
    assert second.payload["incident"]["title"] == "Negative surge: 19 in 2 h, 35 so far"
    # one delivery per growth alert, as many as the timeline's growth steps
    steps = crisis.events.filter(kind=EventKind.NOTIFIED, data__has_key="grew").count()
    assert steps == len(_grew_deliveries()) == 2


@pytest.mark.parametrize(
    "data",
    [{"severity_from": "high", "severity_to": "critical"}, {}],
    ids=["recorded", "a-line-from-before-it-was-recorded"],
)
def test_the_payload_is_the_opened_incident_plus_what_grew(
    data, crisis, clinic_a, django_capture_on_commit_callbacks
):
    # given the detectors raised its severity from high to critical 5 minutes in
    crisis.events.create(
        kind=EventKind.SEVERITY_RAISED,
        message="Severity raised from high to critical.",
        actor="Carewatch detectors",
        data=data,
        at=NOW + 5 * MIN,
    )
    crisis.severity = "critical"
    crisis.save(update_fields=["severity"])
    # when the detectors run past the throttle
    _run(django_capture_on_commit_callbacks, NOW + 16 * MIN)
    # then `incident.grew` says the severity before and now, and the same mentions
    [delivery] = _grew_deliveries()
    growth = delivery.payload["growth"]
    assert growth["summary"] == "severity raised to critical"
    assert growth["previous"] == {
        "severity": "high",
        "mention_count": 19,
        "detector_kinds": ["surge"],
    }
    assert growth["current"] == {
        "severity": "critical",
        "mention_count": 19,
        "detector_kinds": ["surge"],
    }
    # and its incident is exactly what `incident.opened` sends of it now
    crisis.refresh_from_db()
    opened = json.loads(json.dumps(incident_payload(crisis, clinic_a), cls=PayloadEncoder))
    assert set(delivery.payload) == {"clinic", "incident", "growth"}
    assert delivery.payload["clinic"] == opened["clinic"] == "clinic-a"
    assert delivery.payload["incident"] == opened["incident"]
    assert delivery.payload["incident"]["severity"] == "critical"


def test_another_clinics_subscription_never_hears_of_it(
    crisis, stream, clinic_b, django_capture_on_commit_callbacks
):
    # given clinic B subscribed to every event
    with schema_context(clinic_b.schema_name):
        subscription_create(url="http://127.0.0.1:9/b", events=WebhookEvent.values)
    # when clinic A's incident grows and its people are alerted
    for n in range(10):
        stream.item(NOW + (5 + n * 0.5) * MIN, label="negative", kind="mention")
    stream.flush()
    _run(django_capture_on_commit_callbacks, NOW + 16 * MIN)
    # then clinic A's subscription gets it, and clinic B's nothing
    assert len(_grew_deliveries()) == 1
    with schema_context(clinic_b.schema_name):
        assert not WebhookDelivery.objects.exists()


def test_integrators_subscribe_to_it_through_the_api_and_the_page(login, settings, clinic_a):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    manager = login("alpha_manager")
    created = manager.post(
        "/clinics/clinic-a/api/v1/webhooks/",
        {"url": "http://127.0.0.1:9/crm", "events": ["incident.opened", "incident.grew"]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["events"] == ["incident.opened", "incident.grew"]
    page = manager.get("/clinics/clinic-a/webhooks/").content.decode()
    assert 'value="incident.grew"' in page
