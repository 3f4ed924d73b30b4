"""Signed inbound webhooks: a source's secret, the signature, and receiving a delivery."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

from django.db import IntegrityError, transaction

from accounts.models import SecurityEventCode
from accounts.services import security_event_record
from core.crypto import encrypt_json
from core.errors import Conflict, ValidationFailed
from core.text import MAX_JSON_DEPTH, json_depth_exceeds, json_problem
from feeds.models import (
    Source,
    WebhookReceipt,
)
from feeds.services.ingest import MAX_BATCH, items_ingest
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


def webhook_receive(*, source: Source, header: str, body: bytes) -> dict:
    """Verify `X-Carewatch-Signature: t=<unix time>,v1=<hex hmac>` over "<t>.<body>" with the
    source's secret, refuse replays, then ingest the body ({"items": [...]} or one item)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    secret = source_credentials(source).get("webhook_secret")
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        raise ValidationFailed(
            "Signature header must look like t=<unix time>,v1=<hex>.", code="bad_signature"
        ) from None
    if not secret or not hmac.compare_digest(
        webhook_signature(secret, timestamp, body), parts.get("v1", "")
    ):
        raise ValidationFailed("Signature does not match.", code="bad_signature")
    if abs(time.time() - timestamp) > WEBHOOK_TOLERANCE.total_seconds():
        raise ValidationFailed(
            "Signature timestamp is more than 5 minutes off.", code="stale_signature"
        )
    if json_depth_exceeds(body):
        raise ValidationFailed(
            "Invalid input.", fields={"body": [f"Nested deeper than {MAX_JSON_DEPTH} levels."]}
        )
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("Body is not valid JSON.") from None
    if problem := json_problem(payload):
        raise ValidationFailed("Invalid input.", fields={problem[0]: [problem[1]]})
    items = payload.get("items") if isinstance(payload, dict) and "items" in payload else [payload]
    if not isinstance(items, list) or len(items) > MAX_BATCH:
        raise ValidationFailed(f"items must be a list of at most {MAX_BATCH}.")
    with transaction.atomic():
        try:
            with transaction.atomic():
                WebhookReceipt.objects.create(source=source, signature=parts["v1"])
        except IntegrityError:
            raise Conflict("This delivery was already received.", code="replayed") from None
        return items_ingest(raw_items=items, source=source).as_dict()
