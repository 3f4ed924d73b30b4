"""Where a clinic's incident alerts go, as its staff configure them: the Slack / Teams
incoming webhooks of the agency and of each clinic (stored encrypted, shown masked), the
clinic's on-call list, and each person's notification preference. The settings pages
(clinics.views) and crisis's alert routing both use these; each function checks every input
first and changes nothing when one is wrong (`ValidationFailed` with field messages)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import httpx
from django.conf import settings
from django.db import transaction
from slack_sdk.webhook import WebhookClient

from accounts.models import User
from agency.models import AgencyMembership
from clinics.access import user_access
from clinics.models import ChatKind, ChatWebhook, Clinic, Digest, NotificationPreference, OnCall
from core.crypto import decrypt_json, encrypt_json
from core.errors import ValidationFailed

# The hosts Slack and Microsoft Teams (incoming webhooks, Workflows / Power Automate) post from.
CHAT_HOSTS: dict[str, tuple[str, ...]] = {
    ChatKind.SLACK: ("hooks.slack.com", "hooks.slack-gov.com"),
    ChatKind.TEAMS: (
        "webhook.office.com",
        "outlook.office.com",
        "outlook.office365.com",
        "logic.azure.com",
        "api.powerplatform.com",
    ),
}
ON_CALL_MAX = 6
CHAT_TIMEOUT = 5.0
logger = logging.getLogger(__name__)


def _host_matches(host: str, allowed: Sequence[str]) -> bool:
    return any(host == a or host.endswith("." + a) for a in allowed)


def chat_url_problem(kind: str, url: str) -> str:
    """Why `url` cannot be the `kind` channel's webhook ("" when it can). Plain http and any
    host are accepted only for the configured test hosts (CHAT_WEBHOOK_TEST_HOSTS: the local
    fake receivers of the tests and the demo; empty in production)."""
    try:
        parsed = httpx.URL(url)
    except Exception:  # noqa: BLE001 - any unparsable text is simply not a URL
        return "This is not a URL."
    host = (parsed.host or "").lower()
    if not host:
        return "This is not a URL."
    if host in settings.CHAT_WEBHOOK_TEST_HOSTS and parsed.scheme in ("http", "https"):
        return ""
    if parsed.scheme != "https":
        return "Use the https:// address the chat gave you."
    if not _host_matches(host, CHAT_HOSTS[kind]):
        label = dict(ChatKind.choices)[kind]
        return f"This is not a {label} incoming-webhook address ({', '.join(CHAT_HOSTS[kind])})."
    return ""


def chat_hint(url: str) -> str:
    """What the pages show of a stored URL: its host and last four characters."""
    return f"{httpx.URL(url).host} …{url[-4:]}"


def chat_webhooks_set(*, agency_id: int, clinic: Clinic | None, changes: dict[str, str | None]):
    """Apply {kind: url} for the agency (clinic None) or one clinic: a URL stores (replaces)
    that channel's webhook, encrypted; None removes it; a kind left out stays as it is. All
    URLs are checked before anything is stored."""
    errors: dict[str, list[str]] = {}
    for kind, url in changes.items():
        if kind not in ChatKind.values:
            errors[kind] = [f"Unknown chat; choose one of {', '.join(ChatKind.values)}."]
        elif url is not None:
            url = url.strip()
            problem = "Paste the webhook URL." if not url else chat_url_problem(kind, url)
            if problem:
                errors[kind] = [problem]
    if errors:
        raise ValidationFailed("Some webhook URLs cannot be used.", fields=errors)
    with transaction.atomic():
        for kind, url in changes.items():
            scope = {"agency_id": agency_id, "clinic": clinic, "kind": kind}
            if url is None:
                ChatWebhook.objects.filter(**scope).delete()
                continue
            url = url.strip()
            ChatWebhook.objects.update_or_create(
                **scope,
                defaults={"url_encrypted": encrypt_json({"url": url}), "url_hint": chat_hint(url)},
            )


def chat_webhooks_of(*, agency_id: int, clinic: Clinic | None) -> dict[str, ChatWebhook]:
    """The webhooks of one scope by kind (never the URL: pages show `url_hint`)."""
    rows = ChatWebhook.objects.filter(agency_id=agency_id, clinic=clinic).defer("url_encrypted")
    return {row.kind: row for row in rows}


def chat_webhooks_for(clinic: Clinic) -> list[ChatWebhook]:
    """Where a clinic's alerts go in chat: the agency's channels and the clinic's own."""
    return list(
        ChatWebhook.objects.filter(agency_id=clinic.agency_id, clinic__isnull=True)
        | ChatWebhook.objects.filter(clinic=clinic)
    )


def chat_post(hook: ChatWebhook, message: dict) -> str:
    """Post to one channel; "posted" or why not. Slack through slack-sdk's WebhookClient (it
    knows Slack's answers and retries), Teams as a plain JSON POST."""
    url = decrypt_json(hook.url_encrypted).get("url", "")
    try:
        if hook.kind == ChatKind.SLACK:
            response = WebhookClient(url, timeout=int(CHAT_TIMEOUT)).send_dict(message)
            ok, status = response.status_code == 200, response.status_code
        else:
            answer = httpx.post(
                url, content=json.dumps(message), timeout=CHAT_TIMEOUT,
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
            ok, status = 200 <= answer.status_code < 300, answer.status_code
    except Exception as exc:  # noqa: BLE001 - the caller records the outcome
        logger.warning("chat %s post failed: %s", hook.kind, exc)
        return f"failed ({exc.__class__.__name__})"
    return "posted" if ok else f"failed (HTTP {status})"


def chat_notice(kind: str, *, title: str, text: str, button: str, url: str) -> dict:
    """A short notice with one link button, as Slack (Block Kit) or Teams (Adaptive Card)
    takes it: what alerts other than an incident's opening send."""
    if kind == ChatKind.SLACK:
        return {
            "text": title,
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*\n{text}"}},
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": button},
                            "url": url,
                            "action_id": "open",
                        }
                    ],
                },
            ],
        }
    return teams_card(
        body=[
            {"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True},
            {"type": "TextBlock", "text": text, "wrap": True},
        ],
        links=[(button, url)],
    )


def teams_card(*, body: list[dict], links: Sequence[tuple[str, str]]) -> dict:
    """The message Teams incoming webhooks (and Workflows) take: one Adaptive Card 1.4 with
    the given body blocks and one Action.OpenUrl per (title, url) link."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": body,
                    "actions": [
                        {"type": "Action.OpenUrl", "title": title, "url": url}
                        for title, url in links
                    ],
                },
            }
        ],
    }


def _agency_staff(clinic: Clinic) -> list[User]:
    memberships = (
        AgencyMembership.objects.filter(agency_id=clinic.agency_id, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    return [m.user for m in memberships]


def _cannot_act(user: User, clinic: Clinic) -> str:
    """Why `user` cannot act on the clinic's incidents ("" when they can), by the rule of
    `ClinicAccess.acts_on_incidents`."""
    access = user_access(user, clinic)
    if access is not None and access.acts_on_incidents:
        return ""
    role = access.role_label if access is not None else "no access"
    return f"{user.full_name or user.email} cannot act on incidents in this clinic ({role})"


def on_call_candidates(clinic: Clinic) -> list[User]:
    """Who may be on a clinic's on-call list: the active staff of its agency who may act on
    its incidents (an analyst only reads: they could not acknowledge what they are called
    for)."""
    return [u for u in _agency_staff(clinic) if not _cannot_act(u, clinic)]


def on_call_set(*, clinic: Clinic, entries: Sequence[str]) -> list[User]:
    """Replace the clinic's on-call list with `entries` (user ids, first = first called).
    Empty positions at the end are ignored; a gap, a repeat, someone not on the agency's
    staff or someone who may not act on incidents (`ClinicAccess.acts_on_incidents`) refuses
    the whole list. An empty list means: the agency's owners and managers."""
    entries = [str(e or "").strip() for e in entries]
    while entries and not entries[-1]:
        entries.pop()
    if len(entries) > ON_CALL_MAX:
        raise ValidationFailed(
            "Too many people.", fields={"on_call": [f"At most {ON_CALL_MAX} people."]}
        )
    staff = {str(u.pk): u for u in _agency_staff(clinic)}
    problems: list[str] = []
    seen: set[str] = set()
    for position, raw in enumerate(entries, start=1):
        if not raw:
            problems.append(f"Position {position} is empty: choose someone or move people up.")
        elif raw not in staff:
            problems.append(f"Position {position}: this person is not on the agency's staff.")
        elif raw in seen:
            problems.append(f"Position {position}: {staff[raw].email} is already on the list.")
        elif why := _cannot_act(staff[raw], clinic):
            problems.append(f"Position {position}: {why}, so they cannot be on call.")
        seen.add(raw)
    if problems:
        raise ValidationFailed("The on-call list cannot be saved.", fields={"on_call": problems})
    people = [staff[raw] for raw in entries]
    with transaction.atomic():
        OnCall.objects.filter(clinic=clinic).delete()
        OnCall.objects.bulk_create(
            [OnCall(clinic=clinic, user=u, position=i) for i, u in enumerate(people)]
        )
    return people


def on_call_of(clinic: Clinic) -> list[User]:
    return [o.user for o in OnCall.objects.filter(clinic=clinic).select_related("user")]


def preference_update(*, user: User, email: bool, in_app: bool, digest: str) -> None:
    if digest not in Digest.values:
        raise ValidationFailed(
            "Unknown digest.",
            fields={"digest": [f"Choose one of {', '.join(Digest.values)}."]},
        )
    NotificationPreference.objects.update_or_create(
        user=user, defaults={"email": email, "in_app": in_app, "digest": digest}
    )
