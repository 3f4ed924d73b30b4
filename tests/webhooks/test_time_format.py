"""Integrator walk-through finding: webhook payloads gave times three ways: `…:51.113Z` (reviews,
replies, statements, privacy requests, the envelope), `…:38.663053+00:00` (an incident's times
and `incident.grew`'s `since`) and a time's own offset where a caller passed one. Every time of
every event is now the one format docs/webhooks.md gives: ISO 8601 in UTC ending in `Z`, to the
millisecond (the fraction left out on a whole second)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from django_tenants.utils import schema_context

from crisis.services.notifications import growth_payload, webhook_emit
from webhooks.models import WebhookDelivery
from webhooks.services import subscription_create, webhook_event_emit

ONE_FORMAT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z")
NEW_YORK = timezone(timedelta(hours=-5))


def _times(value) -> list[str]:
    """Every string in a payload that names a time (starts with a date and holds a `T`)."""
    if isinstance(value, dict):
        return [t for v in value.values() for t in _times(v)]
    if isinstance(value, list):
        return [t for v in value for t in _times(v)]
    return [value] if isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\dT", value) else []


def test_a_time_with_an_offset_and_microseconds_is_sent_in_utc_to_the_millisecond(
    clinic_a, receiver, queued
):
    with schema_context(clinic_a.schema_name):
        subscription_create(url=receiver.url, events=["incident.opened"])
        # when a payload holds a time in New York's offset, to the microsecond
        at = datetime(2026, 12, 5, 8, 0, 1, 123456, tzinfo=NEW_YORK)
        webhook_event_emit(event="incident.opened", payload={"incident": {"opened_at": at}})
        [delivery] = WebhookDelivery.objects.all()
    # then it is sent in UTC, to the millisecond
    assert delivery.payload["incident"]["opened_at"] == "2026-12-05T13:00:01.123Z"


def test_an_incidents_times_are_in_the_one_format(clinic_a, rows, receiver, queued):
    # given an incident acknowledged and resolved, to the microsecond
    incident = rows(clinic_a).incident(status="resolved")
    with schema_context(clinic_a.schema_name):
        incident.opened_at = datetime(2026, 12, 3, 9, 12, 38, 663053, tzinfo=UTC)
        incident.acknowledged_at = datetime(2026, 12, 3, 9, 12, 44, 113936, tzinfo=UTC)
        incident.resolved_at = datetime(2026, 12, 3, 9, 13, tzinfo=UTC)
        incident.trigger = {"numbers": {"since": "2026-12-03T08:12:38.663053+00:00"}}
        incident.save()
        subscription_create(url=receiver.url, events=["incident.resolved"])
        # when `incident.resolved` is sent
        assert webhook_emit(event="incident.resolved", incident=incident, clinic=clinic_a) == (
            "emitted"
        )
        [delivery] = WebhookDelivery.objects.all()
    # then its times are in the one format, as a review's are
    sent = delivery.payload["incident"]
    assert (sent["opened_at"], sent["acknowledged_at"], sent["resolved_at"]) == (
        "2026-12-03T09:12:38.663Z",
        "2026-12-03T09:12:44.113Z",
        "2026-12-03T09:13:00Z",
    )
    assert sent["trigger"]["numbers"]["since"] == "2026-12-03T08:12:38.663Z"
    assert _times(delivery.payload) and all(ONE_FORMAT.fullmatch(t) for t in _times(sent))


def test_growth_since_is_in_the_one_format(clinic_a, rows, receiver, queued):
    # given an incident that grew since an alert at a time to the microsecond
    incident = rows(clinic_a).incident()
    with schema_context(clinic_a.schema_name):
        incident.events.create(
            kind="notified",
            message="The incident grew since the last alert.",
            actor="detector",
            at=incident.opened_at,
            data={"grew": {"since": "2026-12-03T09:40:12.512231+00:00", "mentions": 3}},
        )
        subscription_create(url=receiver.url, events=["incident.grew"])
        # when `incident.grew` is sent
        growth = growth_payload(incident, "3 more mentions")
        webhook_emit(
            event="incident.grew", incident=incident, clinic=clinic_a, extra={"growth": growth}
        )
        [delivery] = WebhookDelivery.objects.all()
    # then its `since` is in the one format, as every other time it holds
    assert delivery.payload["growth"]["since"] == "2026-12-03T09:40:12.512Z"
    assert all(ONE_FORMAT.fullmatch(t) for t in _times(delivery.payload))
