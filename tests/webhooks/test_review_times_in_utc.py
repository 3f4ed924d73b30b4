"""Integrator walk-through finding: a review pushed with its sender's offset
(`2026-12-05T08:00:00-05:00`) went to `review.created` / `review.updated` with that offset,
while the API and a later event gave the same instant in UTC; and the same instant pushed
again with another offset was "updated" each time (its `updated_at` moved). Times are kept,
compared and sent in UTC, as the docs say."""

from __future__ import annotations

from django_tenants.utils import schema_context

from webhooks.models import WebhookDelivery
from webhooks.services import subscription_create

INGEST = "/clinics/clinic-a/api/v1/reviews/ingest/"
ITEM = {"source": "google", "external_id": "g-tz-1", "rating": 2, "text": "Waited an hour."}


def _push(client, **fields) -> str:
    body = {"items": [{**ITEM, **fields}]}
    answer = client.post(INGEST, body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    return answer.json()["results"][0]["status"]


def _payloads(clinic, event: str) -> list[dict]:
    with schema_context(clinic.schema_name):
        return list(
            WebhookDelivery.objects.filter(event=event)
            .order_by("pk")
            .values_list("payload", flat=True)
        )


def test_times_pushed_with_an_offset_reach_webhooks_in_utc(api, clinic_a, receiver):
    # given a subscription to new and changed reviews
    with schema_context(clinic_a.schema_name):
        subscription_create(url=receiver.url, events=["review.created", "review.updated"])
    client = api("key_a")

    # when a review is pushed with New York's offset, then edited with it
    assert _push(client, published_at="2026-12-05T08:00:00-05:00") == "created"
    assert (
        _push(
            client,
            published_at="2026-12-05T08:00:00-05:00",
            edited_at="2026-12-05T10:00:00-05:00",
            text="Waited an hour, then they called back.",
        )
        == "updated"
    )

    # then both events give the times in UTC, as the API does
    [created] = _payloads(clinic_a, "review.created")
    assert created["review"]["published_at"] == "2026-12-05T13:00:00Z"
    [updated] = _payloads(clinic_a, "review.updated")
    assert updated["review"]["published_at"] == "2026-12-05T13:00:00Z"
    assert updated["review"]["edited_at"] == "2026-12-05T15:00:00Z"
    assert updated["changes"]["edited_at"] == {"before": None, "after": "2026-12-05T15:00:00Z"}
    detail = client.get(f"/clinics/clinic-a/api/v1/reviews/{created['review']['id']}/").json()
    assert (detail["published_at"], detail["edited_at"]) == (
        "2026-12-05T13:00:00Z",
        "2026-12-05T15:00:00Z",
    )


def test_the_same_instant_with_another_offset_is_unchanged(api, clinic_a):
    client = api("key_a")
    first = {"published_at": "2026-12-05T08:00:00-05:00", "edited_at": "2026-12-05T09:00:00-05:00"}
    assert _push(client, **first) == "created"

    # when the same instants come back in UTC, and with yet another offset
    again_utc = {"published_at": "2026-12-05T13:00:00Z", "edited_at": "2026-12-05T14:00:00Z"}
    again_paris = {
        "published_at": "2026-12-05T14:00:00+01:00",
        "edited_at": "2026-12-05T15:00:00+01:00",
    }

    # then nothing changed
    assert _push(client, **again_utc) == "unchanged"
    assert _push(client, **again_paris) == "unchanged"
    assert _push(client, **first) == "unchanged"
