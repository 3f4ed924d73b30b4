"""The private channels a follow-up speaks on: a Facebook private reply (Messenger) and
answers to the person's messages, an e-mail, a text message (Twilio's Messages API). Each
sender takes the text as the guard passed it and returns the platform's id of the message,
or raises `SendFailed` with the platform's reason in plain words.

Inbound, the same channels: Messenger's signed webhook (X-Hub-Signature-256), Twilio's signed
form post (X-Twilio-Signature) and an inbound-mail provider's JSON post, signed like the
feeds' inbound webhooks (X-Carewatch-Signature)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from email.utils import make_msgid, parseaddr

import httpx
from django.conf import settings
from django.core.mail import get_connection

from clinics.models import Clinic
from core.errors import ValidationFailed
from core.mail import Mail
from core.text import one_line
from feeds.connectors import make_connector
from feeds.connectors.base import parse_time
from feeds.connectors.errors import AlreadyReplied, ConnectorError
from feeds.models import Source
from feeds.services import source_credentials

SIGNATURE_TOLERANCE_SECONDS = 300


class SendFailed(Exception):
    """The platform refused or could not be reached; the message says why, for a person."""


@dataclass(frozen=True)
class Sent:
    external_id: str
    recipient_id: str = ""


# --- Facebook ------------------------------------------------------------------------------


def _facebook(source: Source):
    return make_connector(
        source.kind,
        source.settings,
        source_credentials(source),
        base_url=settings.CONNECTOR_BASE_URLS.get(source.kind),
        **settings.CONNECTOR_HTTP_OPTIONS,
    )


def _connector_reason(exc: ConnectorError) -> str:
    if isinstance(exc, AlreadyReplied):
        return (
            "Facebook allows one private reply per comment and one was already sent. Wait "
            "for the person to answer, or propose the public reply instead."
        )
    kind = exc.__class__.__name__
    advice = {
        "AuthExpired": "Reconnect the Facebook page (its token expired), then retry.",
        "ConfigurationError": "The Facebook source is not fully set up (page or token).",
        "RateLimited": "Facebook is limiting requests; retry in a few minutes.",
        "TransientError": "Facebook did not answer properly; retry in a few minutes.",
        "NotFound": "Facebook no longer has this comment (deleted or hidden).",
    }.get(kind, "")
    return f"Facebook said: {exc}. {advice}".strip()


def facebook_private_reply(*, source: Source, comment_id: str, text: str, key: str) -> Sent:
    """The invitation: Messenger's private reply to the author of a comment."""
    try:
        posted = _facebook(source).private_reply(comment_id, text, idempotency_key=key)
    except ConnectorError as exc:
        raise SendFailed(_connector_reason(exc)) from exc
    recipient = str((posted.raw or {}).get("recipient_id") or "")
    return Sent(external_id=posted.external_reply_id, recipient_id=recipient)


def facebook_message(*, source: Source, recipient_id: str, text: str, key: str) -> Sent:
    """A further message to a person who answered (Messenger's 24-hour window)."""
    try:
        posted = _facebook(source).send_message(recipient_id, text, idempotency_key=key)
    except ConnectorError as exc:
        raise SendFailed(_connector_reason(exc)) from exc
    return Sent(external_id=posted.external_reply_id, recipient_id=recipient_id)


def facebook_person_messages(*, source: Source, recipient_id: str) -> list[dict]:
    """The person's own Messenger messages to the page, oldest first: {"id", "text", "at"}."""
    try:
        rows = _facebook(source).person_messages(recipient_id)
    except ConnectorError as exc:
        raise SendFailed(_connector_reason(exc)) from exc
    own = [
        {
            "id": str(r.get("id") or ""),
            "text": str(r.get("message") or ""),
            "at": parse_time(r["created_time"]) if r.get("created_time") else None,
        }
        for r in rows
        if str((r.get("from") or {}).get("id") or "") == recipient_id and r.get("id")
    ]
    return list(reversed(own))


def messenger_signature_ok(*, source: Source, header: str, body: bytes) -> bool:
    """Meta signs each webhook delivery: X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw
    body with the app secret>."""
    secret = source_credentials(source).get("app_secret") or ""
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len("sha256=") :])


def messenger_verify_token(source: Source) -> str:
    """What Meta's subscription handshake must send as hub.verify_token for this source: a
    value derived from the app secret, shown on the source page."""
    secret = source_credentials(source).get("app_secret") or ""
    if not secret:
        return ""
    return hmac.new(secret.encode(), b"carewatch-messenger-verify", hashlib.sha256).hexdigest()[:32]


# --- e-mail ----------------------------------------------------------------------------------

REPLY_ADDRESS_RE = re.compile(r"fu-(?P<slug>[a-z0-9_-]+?)-(?P<pk>\d+)-(?P<sig>[0-9a-f]{12})@")


def _address_sig(slug: str, pk: int) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"followup:{slug}:{pk}".encode(), hashlib.sha256
    ).hexdigest()[:12]


def reply_address(*, clinic: Clinic, conversation_id: int) -> str:
    """The Reply-To of a follow-up e-mail: it names the clinic and the conversation and is
    signed, so an answer finds its thread and nobody can guess another's."""
    sig = _address_sig(clinic.slug, conversation_id)
    return f"fu-{clinic.slug}-{conversation_id}-{sig}@{settings.FOLLOWUP_REPLY_DOMAIN}"


def reply_address_parse(value: str) -> tuple[str, int] | None:
    """(clinic slug, conversation id) of a genuine reply address in `value`, else None."""
    for match in REPLY_ADDRESS_RE.finditer((value or "").lower()):
        slug, pk = match["slug"], int(match["pk"])
        if hmac.compare_digest(_address_sig(slug, pk), match["sig"]):
            return slug, pk
    return None


def email_send(*, clinic: Clinic, conversation_id: int, to: str, text: str) -> Sent:
    message_id = make_msgid(domain=settings.FOLLOWUP_REPLY_DOMAIN)
    message = Mail(
        subject=one_line(f"{clinic.name}: following up on your feedback"),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[reply_address(clinic=clinic, conversation_id=conversation_id)],
        headers={"Message-ID": message_id},
    )
    try:
        sent = get_connection(fail_silently=False).send_messages([message])
    except Exception as exc:  # noqa: BLE001 - any mail server failure is this message's failure
        raise SendFailed(f"The mail server refused the message: {exc}") from exc
    if not sent:
        raise SendFailed("The mail server did not accept the message; retry.")
    return Sent(external_id=message_id.strip("<>"))


def carewatch_signature_ok(*, secret: str, header: str, body: bytes) -> bool:
    """`X-Carewatch-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, within five
    minutes (the scheme of the feeds' inbound webhooks)."""
    parts = dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if not secret or abs(time.time() - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
        return False
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


_QUOTE_START = re.compile(r"^(On .+ wrote:|-{2,} ?Original Message ?-{2,}|>)", re.MULTILINE)


def email_reply_text(text: str) -> str:
    """The person's own words: the answer above the quoted earlier message."""
    match = _QUOTE_START.search(text or "")
    own = (text or "")[: match.start()] if match else (text or "")
    return own.strip() or (text or "").strip()


def email_address_of(value: str) -> str:
    return parseaddr(value or "")[1].strip().lower()


# --- SMS (Twilio) ------------------------------------------------------------------------------

PHONE_RE = re.compile(r"^\+[1-9]\d{6,14}$")


def sms_configured() -> bool:
    return bool(
        settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM_NUMBER
    )


def phone_normalise(value: str) -> str:
    """E.164 (+15550100123) from what a person typed; ValidationFailed when it is not one."""
    digits = re.sub(r"[\s().-]", "", value or "")
    if not PHONE_RE.match(digits):
        raise ValidationFailed(
            "Not a phone number.",
            fields={"address": ["A mobile number in international form, e.g. +15550100123."]},
        )
    return digits


def sms_send(*, to: str, text: str) -> Sent:
    """POST /2010-04-01/Accounts/{AccountSid}/Messages.json (To, From, Body; HTTP basic auth
    with the account SID and auth token); Twilio answers 201 with the message's `sid`."""
    if not sms_configured():
        raise SendFailed("Text messages are not set up on this server (Twilio account).")
    sid = settings.TWILIO_ACCOUNT_SID
    url = f"{settings.TWILIO_API_BASE.rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"
    try:
        answer = httpx.post(
            url,
            data={"To": to, "From": settings.TWILIO_FROM_NUMBER, "Body": text},
            auth=(sid, settings.TWILIO_AUTH_TOKEN),
            timeout=15,
        )
    except httpx.HTTPError as exc:
        raise SendFailed(f"Twilio could not be reached ({exc.__class__.__name__}); retry.") from exc
    try:
        data = answer.json()
    except ValueError:
        data = {}
    if answer.status_code >= 300:
        message = data.get("message") if isinstance(data, dict) else None
        raise SendFailed(f"Twilio said: {message or f'HTTP {answer.status_code}'}")
    return Sent(external_id=str(data.get("sid") or ""))


def twilio_signature(*, url: str, params: dict[str, str], token: str) -> str:
    """Twilio's request signature: base64 HMAC-SHA1 of the full URL followed by every POST
    parameter's name and value, sorted by name."""
    payload = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_signature_ok(*, url: str, params: dict[str, str], header: str) -> bool:
    token = settings.TWILIO_AUTH_TOKEN
    if not token or not header:
        return False
    return hmac.compare_digest(twilio_signature(url=url, params=params, token=token), header)
