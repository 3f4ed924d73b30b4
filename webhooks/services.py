"""Writes for outbound webhooks: subscriptions, their secrets, and events to deliver.

Other apps call `webhook_event_emit` inside a clinic's schema; the delivery itself (signing,
the SSRF re-check, the POST, the retries) lives in `webhooks.deliver`.
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from accounts.models import SecurityEventCode
from accounts.services import security_event_record
from core.crypto import decrypt_json, encrypt_json
from core.errors import Conflict, ValidationFailed
from core.queueing import enqueue_on_commit, tasks_enqueue
from webhooks.models import (
    PAUSED_ERROR,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from webhooks.ssrf import UnsafeTarget, target_check

logger = logging.getLogger(__name__)

WEBHOOK_SECRET = SecurityEventCode.WEBHOOK_SECRET_CHANGED
SECRET_PREFIX = "cwhs_"  # noqa: S105 - a prefix that secret scanners can match, not a secret
# After a rotation the previous secret also signs deliveries for a while, so that receivers
# can switch without dropping any.
PREVIOUS_SECRET_GRACE = timedelta(hours=24)
MAX_PAYLOAD_BYTES = 256 * 1024
MAX_SUBSCRIPTIONS = 50


# --- subscriptions -------------------------------------------------------------------------


def _url_clean(url: str) -> str:
    try:
        target_check(url, resolve=True)
    except UnsafeTarget as exc:
        raise ValidationFailed(
            "This URL cannot receive webhooks.", fields={"url": [str(exc)]}
        ) from None
    return url.strip()


_LOCK_CREATE = -3101  # pg_advisory_xact_lock(hashtext(schema), key): creating a subscription


def _events_clean(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events or []))
    unknown = [e for e in chosen if e not in WebhookEvent.values]
    if unknown or not chosen:
        message = (
            f"Unknown event(s): {', '.join(map(str, unknown))}."
            if unknown
            else "Choose at least one event."
        )
        raise ValidationFailed(
            "Choose the events to send.",
            fields={"events": [f"{message} Choose from {', '.join(WebhookEvent.values)}."]},
        )
    return chosen


def _secret_new() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def subscription_secrets(subscription: WebhookSubscription) -> list[str]:
    """The secrets that sign this subscription's deliveries now: the current one first, then
    the previous one during its grace period after a rotation."""
    stored = decrypt_json(subscription.secret_encrypted)
    out = [stored["secret"]]
    until = stored.get("previous_until")
    if stored.get("previous") and until and datetime.fromisoformat(until) > timezone.now():
        out.append(stored["previous"])
    return out


@transaction.atomic
def subscription_create(
    *, url: str, events: Iterable[str], description: str = "", is_active: bool = True
) -> tuple[WebhookSubscription, str]:
    """Create a subscription; returns it and its signing secret, which is stored encrypted and
    never shown again (rotate it to get a new one). The URL must pass the SSRF guard."""
    url = _url_clean(url)
    events = _events_clean(events)
    with connection.cursor() as cursor:  # one creation at a time per clinic: a double submit
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(current_schema()), %s)", [_LOCK_CREATE]
        )
    same = next(
        (s for s in WebhookSubscription.objects.filter(url=url) if set(s.events) == set(events)),
        None,
    )
    if same is not None:
        raise Conflict(
            f"Subscription {same.pk} already sends these events to this URL: change it "
            "instead of adding another (each event would be delivered twice).",
            code="subscription_exists",
            fields={"subscription_id": [str(same.pk)]},
        )
    if WebhookSubscription.objects.count() >= MAX_SUBSCRIPTIONS:
        raise Conflict(
            f"A clinic has at most {MAX_SUBSCRIPTIONS} webhook subscriptions.",
            code="too_many_subscriptions",
        )
    secret = _secret_new()
    subscription = WebhookSubscription.objects.create(
        url=url,
        events=events,
        description=(description or "").strip()[:200],
        secret_encrypted=encrypt_json({"secret": secret}),
        is_active=is_active,
    )
    security_event_record(event=WEBHOOK_SECRET, detail={"subscription_id": subscription.pk})
    return subscription, secret


@transaction.atomic
def subscription_update(*, subscription: WebhookSubscription, **changes) -> WebhookSubscription:
    """Change `url` (checked again by the SSRF guard), `events`, `description`, `is_active`.
    Pending deliveries go to the new URL. Pausing (`is_active` False) gives up every pending
    delivery at once (failed, "Not sent: the subscription is paused."; replay them after
    resuming), so the log never shows as pending what will not be sent."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    pausing = subscription.is_active and changes.get("is_active") is False
    fields = []
    if "url" in changes:
        subscription.url = _url_clean(changes["url"])
        fields.append("url")
    if "events" in changes:
        subscription.events = _events_clean(changes["events"])
        fields.append("events")
    if "description" in changes:
        subscription.description = (changes["description"] or "").strip()[:200]
        fields.append("description")
    if "is_active" in changes:
        subscription.is_active = bool(changes["is_active"])
        fields.append("is_active")
    if fields:
        subscription.save(update_fields=[*fields, "updated_at"])
    if pausing:
        WebhookDelivery.objects.filter(
            subscription=subscription, status=DeliveryStatus.PENDING
        ).update(
            status=DeliveryStatus.FAILED,
            next_attempt_at=None,
            last_error=PAUSED_ERROR,
            updated_at=timezone.now(),
        )
    return subscription


ROTATING = (
    "Another call is rotating this webhook's signing secret at this moment: the new secret is "
    "in that call's answer, and this one changed nothing. Rotating again now would retire the "
    "secret that call returns to its 24-hour grace period; rotate again only if you need to."
)
# A rotation answers after its transaction commits: a retry fired before that answer came can
# reach the row just after it is free. Within this long of a rotation another is that retry.
ROTATION_SETTLE = timedelta(seconds=10)
ROTATED_JUST_NOW = (
    "This webhook's signing secret was rotated {ago} s ago: the new secret is in that call's "
    "answer, and this one changed nothing. Rotating again now would retire that secret to its "
    "24-hour grace period; if you do need another, rotate again after {wait} s."
)


@transaction.atomic
def subscription_rotate_secret(*, subscription: WebhookSubscription) -> str:
    """Issue a new secret and return it (shown once). For `PREVIOUS_SECRET_GRACE` deliveries
    carry a second signature made with the previous secret. One rotation at a time: a second
    one while the first holds the row, or within `ROTATION_SETTLE` of it (a retry fired before
    the first answer came reaches the row just after the first commits), is `Conflict` (409
    `rotation_in_progress`), nothing changed, rather than rotating again, which would answer
    two "current" secrets of which the first is already the previous one."""
    try:
        subscription = (
            # NO KEY: a delivery being queued for it (a foreign key's share lock) is no conflict
            WebhookSubscription.objects.select_for_update(nowait=True, no_key=True).get(
                pk=subscription.pk
            )
        )
    except OperationalError:  # the row is held: another rotation (or a change) is under way
        raise Conflict(ROTATING, code="rotation_in_progress") from None
    stored = decrypt_json(subscription.secret_encrypted)
    now = timezone.now()
    since = now - datetime.fromisoformat(stored["rotated_at"]) if "rotated_at" in stored else None
    if since is not None and since < ROTATION_SETTLE:
        ago = max(0, int(since.total_seconds()))
        wait = int(ROTATION_SETTLE.total_seconds()) - ago
        raise Conflict(ROTATED_JUST_NOW.format(ago=ago, wait=wait), code="rotation_in_progress")
    secret = _secret_new()
    subscription.secret_encrypted = encrypt_json(
        {
            "secret": secret,
            "previous": stored["secret"],
            "previous_until": (now + PREVIOUS_SECRET_GRACE).isoformat(),
            "rotated_at": now.isoformat(),
        }
    )
    subscription.save(update_fields=["secret_encrypted", "updated_at"])
    security_event_record(
        event=WEBHOOK_SECRET, detail={"subscription_id": subscription.pk, "rotated": True}
    )
    return secret


def subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Delete a subscription with its delivery log; pending deliveries are dropped."""
    subscription.delete()


# --- events and deliveries -----------------------------------------------------------------


class PayloadEncoder(DjangoJSONEncoder):
    """A payload's JSON: every time in the one format of docs/webhooks.md, ISO 8601 in UTC
    ending in `Z`, to the millisecond (`2026-11-29T04:20:00.123Z`; no fraction on a whole
    second), whatever offset the datetime had."""

    def default(self, o):
        if isinstance(o, datetime) and o.tzinfo is not None:
            o = o.astimezone(UTC)
        return super().default(o)


def webhook_time(value: datetime | str | None) -> datetime | None:
    """A time a payload holds as text (an ISO 8601 string kept in a JSON field, such as an
    incident timeline's), read back as a datetime for `PayloadEncoder` to write; None stays
    None."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _payload_clean(event: str, payload: dict) -> dict:
    if event not in WebhookEvent.values:
        raise ValueError(f"Unknown webhook event {event!r}; add it to WebhookEvent first.")
    resource = event.split(".", 1)[0]
    if not isinstance(payload, dict) or not isinstance(payload.get(resource), dict):
        raise ValueError(f"A {event} payload is a dict with a {resource!r} object in it.")
    text = json.dumps(payload, cls=PayloadEncoder, ensure_ascii=False)
    if len(text.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"A webhook payload is at most {MAX_PAYLOAD_BYTES} bytes.")
    return json.loads(text)


def deliveries_queue(*, delivery_ids: list[int], schema_name: str) -> int:
    """Queue one delivery task per id in the clinic's schema. Returns how many were queued; if
    the broker is unreachable the deliveries stay pending and the sweeper queues them."""
    from webhooks.tasks import delivery_attempt_task  # the task module imports this one

    calls = [(delivery_id,) for delivery_id in delivery_ids]
    return tasks_enqueue(delivery_attempt_task, calls, schema_name=schema_name)


def _queue_on_commit(delivery_ids: list[int]) -> None:
    from webhooks.tasks import delivery_attempt_task  # the task module imports this one

    enqueue_on_commit(delivery_attempt_task, [(delivery_id,) for delivery_id in delivery_ids])


def webhook_event_emit(*, event: str, payload: dict) -> int:
    """Send `event` to every active subscription of the current clinic that chose it.

    Call it inside the clinic's schema (a clinic request or task), in the transaction that
    made the change: one pending delivery per subscription is stored with it, and their
    tasks are queued after commit (nothing is sent if it rolls back). `payload` is the
    event's `data`: a JSON-serialisable dict (datetimes, UUIDs and decimals are converted)
    holding the resource under its name - `review`, `incident`, `reply`, `statement`,
    `privacy_request` - see docs/webhooks.md. Returns the number of deliveries created (0,
    after one query, when nobody subscribed). Never fails because the broker is down (the
    sweeper sends them later); raises ValueError for an unknown event or a malformed payload
    (a bug)."""
    return webhook_events_emit(event=event, payloads=[payload])


def webhook_events_emit(*, event: str, payloads: Sequence[dict]) -> int:
    """`webhook_event_emit` for many events of one kind at once (a batch of new reviews):
    one query for the subscriptions, one insert; each payload is its own event."""
    if connection.schema_name == get_public_schema_name():
        raise RuntimeError("webhook_event_emit must be called inside a clinic's schema.")
    data = [_payload_clean(event, payload) for payload in payloads]
    if not data:
        return 0
    subscription_ids = list(
        WebhookSubscription.objects.filter(is_active=True, events__contains=[event]).values_list(
            "pk", flat=True
        )
    )
    if not subscription_ids:
        return 0
    now = timezone.now()
    rows = []
    for payload in data:
        event_id = uuid.uuid4()
        rows += [
            WebhookDelivery(
                subscription_id=subscription_id,
                event=event,
                event_id=event_id,
                occurred_at=now,
                payload=payload,
                next_attempt_at=now,
            )
            for subscription_id in subscription_ids
        ]
    with transaction.atomic():
        deliveries = WebhookDelivery.objects.bulk_create(rows, batch_size=1000)
        _queue_on_commit([d.pk for d in deliveries])
    return len(deliveries)


@transaction.atomic
def delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a logged delivery again, as a new delivery of the same event (same `event_id`,
    `created_at` and data; a fresh signature and a new 24-hour retry window)."""
    subscription = delivery.subscription
    if not subscription.is_active:
        raise Conflict(
            "This subscription is paused; resume it before replaying.",
            code="subscription_inactive",
        )
    now = timezone.now()
    replay = WebhookDelivery.objects.create(
        subscription=subscription,
        event=delivery.event,
        event_id=delivery.event_id,
        occurred_at=delivery.occurred_at,
        payload=delivery.payload,
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        replay_of=delivery,
    )
    _queue_on_commit([replay.pk])
    return replay
