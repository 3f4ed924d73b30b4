"""Delivering a webhook: claim the delivery, check the target again, sign, POST, record.

An attempt is idempotent and safe to run twice: the row is claimed under a lock
(`select_for_update(skip_locked=True)`) and leased - its `next_attempt_at` moves past the
request's timeout - before the request, so a second task for the same delivery finds it
locked, not due, or done and does nothing. A worker that dies mid-request leaves the lease
to expire and the sweeper queues the delivery again. Failures are retried with exponential
backoff and jitter until `RETRY_WINDOW` after the delivery was created, then given up.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import logging
import random
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from core.tenancy import current_clinic
from webhooks.models import PAUSED_ERROR, DeliveryStatus, WebhookDelivery
from webhooks.ssrf import Target, UnsafeTarget, target_check

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0  # connect, and each read of the response
RETRY_WINDOW = timedelta(hours=24)
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 60 * 60  # below the broker's 2 h visibility timeout for countdown tasks
LEASE = timedelta(seconds=60)  # longer than an attempt can take
MAX_ADDRESSES = 2  # tried in turn when connecting fails
USER_AGENT = "Carewatch-Webhooks/1.0"


# --- signing and the body ------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of "<timestamp>.<body>" with `secret`."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secrets: list[str], timestamp: int, body: bytes) -> str:
    """`t=<unix time>,v1=<hex>`, with one more `v1=` per extra secret (after a rotation)."""
    return ",".join([f"t={timestamp}", *(f"v1={signature(s, timestamp, body)}" for s in secrets)])


def delivery_envelope(delivery: WebhookDelivery, *, clinic_slug: str) -> dict:
    """The event as it is sent (and as the delivery log shows it under `body`)."""
    return {
        "id": str(delivery.event_id),
        "event": delivery.event,
        "clinic": clinic_slug,
        "created_at": delivery.occurred_at,
        "data": delivery.payload,
    }


def delivery_body(delivery: WebhookDelivery, *, clinic_slug: str) -> bytes:
    return json.dumps(
        delivery_envelope(delivery, clinic_slug=clinic_slug),
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def backoff_seconds(attempts: int) -> float:
    """Wait after the `attempts`-th failure: 30 s, 1 min, 2 min, 4 min ... at most 1 h, plus
    up to 20 % jitter so that a receiver coming back is not hit by every retry at once."""
    base = min(BACKOFF_BASE_SECONDS * 2 ** min(max(attempts - 1, 0), 20), BACKOFF_MAX_SECONDS)
    return base * random.uniform(1.0, 1.2)


# --- HTTP, pinned to the checked address ---------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address, verifying the certificate for the URL's host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Outcome:
    status_code: int | None = None
    error: str = ""
    response_ms: int | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"Timed out after {TIMEOUT_SECONDS:g} s."
    if isinstance(exc, ConnectionRefusedError):
        return "Connection refused."
    if isinstance(exc, ConnectionResetError):
        return "Connection reset by the receiver."
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not valid: {exc.verify_message}."
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc.__class__.__name__}."
    if isinstance(exc, http.client.HTTPException):
        return f"Malformed HTTP response ({exc.__class__.__name__})."
    if isinstance(exc, OSError) and exc.strerror:
        return f"Network error: {exc.strerror}."
    return f"Network error ({exc.__class__.__name__})."


def _connect(target: Target):
    last: OSError | None = None
    factory = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    for address in target.addresses[:MAX_ADDRESSES]:
        conn = factory(target.host, target.port, address=address, timeout=TIMEOUT_SECONDS)
        try:
            conn.connect()
            return conn
        except OSError as exc:
            conn.close()
            last = exc
    raise last or OSError("no address")


def http_post(url: str, *, headers: dict[str, str], body: bytes) -> Outcome:
    """POST `body` to `url` after the SSRF guard, to the address it checked. Redirects are
    not followed (a 3xx is a failure)."""
    try:
        target = target_check(url, resolve=True)
    except UnsafeTarget as exc:
        return Outcome(error=f"Refused: {exc}")
    started = time.monotonic()
    conn = None
    try:
        conn = _connect(target)
        conn.request(
            "POST",
            target.path,
            body=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "Connection": "close",
            },
        )
        response = conn.getresponse()
        elapsed = int((time.monotonic() - started) * 1000)
        # A little of the body, then hang up (it is not stored); the status decides, so a
        # slow or broken body does not undo it.
        with contextlib.suppress(OSError, http.client.HTTPException):
            response.read(4096)
        if 200 <= response.status < 300:
            return Outcome(status_code=response.status, response_ms=elapsed)
        reason = (response.reason or "").strip()[:60]
        return Outcome(
            status_code=response.status,
            response_ms=elapsed,
            error=f"HTTP {response.status}{' ' + reason if reason else ''}.",
        )
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Outcome(error=_describe(exc), response_ms=int((time.monotonic() - started) * 1000))
    finally:
        if conn is not None:
            conn.close()


# --- one attempt ---------------------------------------------------------------------------


def _scrub(error: str, secrets: list[str]) -> str:
    for secret in secrets:
        error = error.replace(secret, "[secret]")
    return error[:300]


def _claim(delivery_id: int):
    """Lock, check and lease the delivery; None when there is nothing to do."""
    from webhooks.services import subscription_secrets

    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return None
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return None
        if not delivery.subscription.is_active:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            delivery.last_error = PAUSED_ERROR
            delivery.save(update_fields=["status", "next_attempt_at", "last_error", "updated_at"])
            return None
        try:
            secrets = subscription_secrets(delivery.subscription)
        except (ValueError, KeyError):
            secrets = []
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.next_attempt_at = now + LEASE
        delivery.save(
            update_fields=["attempts", "last_attempt_at", "next_attempt_at", "updated_at"]
        )
    return delivery, secrets


def _record(delivery_id: int, outcome: Outcome, secrets: list[str]) -> WebhookDelivery | None:
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None:  # its subscription was deleted meanwhile
            return None
        now = timezone.now()
        delivery.last_status_code = outcome.status_code
        delivery.response_ms = outcome.response_ms
        if outcome.ok:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            delivery.last_error = ""
        else:
            delivery.last_error = _scrub(outcome.error or "Failed.", secrets)
            deadline = delivery.created_at + RETRY_WINDOW
            if delivery.status != DeliveryStatus.PENDING:  # given up meanwhile (paused)
                delivery.next_attempt_at = None
            elif now >= deadline:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
            else:
                wait = timedelta(seconds=backoff_seconds(delivery.attempts))
                delivery.next_attempt_at = min(now + wait, deadline)
        delivery.save(
            update_fields=[
                "status",
                "delivered_at",
                "next_attempt_at",
                "last_status_code",
                "last_error",
                "response_ms",
                "updated_at",
            ]
        )
    return delivery


def delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Make one attempt of a pending, due delivery of the current clinic's schema and record
    it: delivered on a 2xx; otherwise the error and the next attempt's time, or failed once
    `RETRY_WINDOW` has passed since the delivery was created. Returns the delivery, or None
    when there was nothing to do (missing, claimed by another worker, not due, finished)."""
    claimed = _claim(delivery_id)
    if claimed is None:
        return None
    delivery, secrets = claimed
    if not secrets:
        outcome = Outcome(error="Not sent: the signing secret cannot be decrypted.")
    else:
        body = delivery_body(delivery, clinic_slug=_current_slug())
        headers = {
            "X-Carewatch-Event": delivery.event,
            "X-Carewatch-Delivery": str(delivery.event_id),
            "X-Carewatch-Signature": signature_header(secrets, int(time.time()), body),
        }
        outcome = http_post(delivery.subscription.url, headers=headers, body=body)
    if not outcome.ok:
        logger.info(
            "webhook delivery %s attempt %s failed: %s",
            delivery.pk,
            delivery.attempts,
            _scrub(outcome.error, secrets),
        )
    return _record(delivery.pk, outcome, secrets)


def _current_slug() -> str:
    try:
        return current_clinic().slug
    except RuntimeError:
        return ""
