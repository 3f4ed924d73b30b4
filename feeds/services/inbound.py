"""Signed inbound webhooks: a source's secret, the signature, and receiving a delivery."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import timedelta

from django.db import IntegrityError, transaction

from accounts.models import SecurityEventCode
from accounts.services import security_event_record
from core.crypto import encrypt_json
from core.errors import Conflict, ValidationFailed
from core.text import MAX_JSON_DEPTH, JsonUnreadable, json_decoded, json_depth_exceeds
from feeds.models import (
    Source,
    WebhookReceipt,
)
from feeds.services.ingest import MAX_BATCH, batch_items, items_ingest
from feeds.services.sources import source_credentials

WEBHOOK_TOLERANCE = timedelta(minutes=5)


def webhook_secret_ensure(*, source: Source) -> str:
    credentials = source_credentials(source)
    if not credentials.get("webhook_secret"):
        import secrets

        credentials["webhook_secret"] = secrets.token_urlsafe(32)
        source.credentials_encrypted = encrypt_json(credentials)
        source.save(update_fields=["credentials_encrypted", "updated_at"])
        security_event_record(
            event=SecurityEventCode.SOURCE_SECRET_CHANGED, detail={"source_id": source.pk}
        )
    return credentials["webhook_secret"]


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


SIGNATURE_HEADER = "X-Carewatch-Signature"


def _signature_refused(detail: str, *, code: str = "bad_signature") -> ValidationFailed:
    return ValidationFailed(detail, code=code, fields={SIGNATURE_HEADER: [detail]})


def webhook_receive(*, source: Source, header: str, body: bytes) -> dict:
    """Verify `X-Carewatch-Signature: t=<unix time>,v1=<hex hmac>` over "<t>.<body>" with the
    source's secret, refuse replays, then ingest the body (what the ingest API takes:
    {"items": [...]}, a list of items or one item), each item accepted or rejected on its own.
    Every refusal is a 400 naming the header or the body (`fields`), and stores nothing."""
    if not header:
        raise _signature_refused(f"Missing {SIGNATURE_HEADER} header.")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    secret = source_credentials(source).get("webhook_secret")
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        raise _signature_refused(
            "Signature header must look like t=<unix time>,v1=<hex>."
        ) from None
    if not secret or not hmac.compare_digest(
        webhook_signature(secret, timestamp, body), parts.get("v1", "")
    ):
        raise _signature_refused("Signature does not match.")
    if abs(int(time.time()) - timestamp) > WEBHOOK_TOLERANCE.total_seconds():
        raise _signature_refused(
            "Signature timestamp is more than 5 minutes off.", code="stale_signature"
        )
    if json_depth_exceeds(body):
        raise ValidationFailed(
            "Invalid input.", fields={"body": [f"Nested deeper than {MAX_JSON_DEPTH} levels."]}
        )
    try:
        payload = json_decoded(body)
    except JsonUnreadable as exc:
        raise ValidationFailed(str(exc), code="parse_error", fields={"body": [str(exc)]}) from None
    items = batch_items(payload)
    if len(items) > MAX_BATCH:
        raise ValidationFailed(
            f"A delivery holds at most {MAX_BATCH:,} items (got {len(items):,}).",
            fields={"items": [f"At most {MAX_BATCH:,} items (got {len(items):,})."]},
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                WebhookReceipt.objects.create(source=source, signature=parts["v1"])
        except IntegrityError:
            raise Conflict("This delivery was already received.", code="replayed") from None
        return items_ingest(raw_items=items, source=source).as_dict()
