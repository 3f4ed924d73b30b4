"""A webhook subscription posted twice (the same URL and events) is a 409 naming the one that
exists; nothing is stored the second time. Other events to the same URL are a new one."""

from __future__ import annotations

from django_tenants.utils import schema_context

from tests.webhooks.test_api import create
from webhooks.models import WebhookSubscription


def test_the_same_url_and_events_twice_is_a_409_naming_the_first(login, clinic_a, receiver):
    manager = login("alpha_manager")
    first = create(manager, receiver)
    assert first.status_code == 201

    # the same events in another order: the same subscription
    again = create(manager, receiver, events=["incident.opened", "review.created"])

    assert again.status_code == 409
    body = again.json()
    assert body["code"] == "subscription_exists"
    assert body["fields"] == {"subscription_id": [str(first.json()["id"])]}
    with schema_context(clinic_a.schema_name):
        assert WebhookSubscription.objects.count() == 1
    # other events to the same address are another subscription
    assert create(manager, receiver, events=["review.created"]).status_code == 201
