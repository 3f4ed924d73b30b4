"""Integrator walk-through finding: the delivery log's `body` (documented as "exactly as your
receiver got it") gave `created_at` to the microsecond, while the receiver got it to the
millisecond ("…:48.344977Z" against "…:48.344Z"). The log now reads back the very bytes sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django_tenants.utils import schema_context

from webhooks.deliver import delivery_attempt
from webhooks.models import WebhookDelivery
from webhooks.services import subscription_create, webhook_event_emit

URL = "/clinics/clinic-a/api/v1/webhooks/"


def test_the_log_shows_the_body_as_the_receiver_got_it(login, clinic_a, receiver):
    with schema_context(clinic_a.schema_name):
        subscription, _ = subscription_create(url=receiver.url, events=["review.created"])
        # an event that happened at a time with microseconds, as every real one does
        webhook_event_emit(
            event="review.created",
            payload={"review": {"id": 7, "published_at": "2026-12-05T13:00:00Z"}},
        )
        delivery = WebhookDelivery.objects.get()
        delivery.occurred_at = datetime(2026, 12, 6, 17, 20, 48, 344977, tzinfo=UTC)
        delivery.save(update_fields=["occurred_at"])
        delivery_attempt(delivery_id=delivery.pk)

    log = login("alpha_manager").get(f"{URL}{subscription.pk}/deliveries/").json()

    [logged] = log["results"]
    received = json.loads(receiver.requests[-1].body)
    assert received["created_at"] == "2026-12-06T17:20:48.344Z"
    assert logged["body"] == received
    assert logged["occurred_at"] == "2026-12-06T17:20:48.344Z"  # its deprecated copy
