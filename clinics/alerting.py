"""Where a clinic's incident alerts go, as its staff configure them: the Slack / Teams
incoming webhooks of the agency and of each clinic (stored encrypted, shown masked), the
clinic's on-call list, and each person's notification preference. The settings pages
(clinics.views) and crisis's alert routing both use these; each function checks every input
first and changes nothing when one is wrong (`ValidationFailed` with field messages)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.error import URLError

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from slack_sdk.webhook import WebhookClient

from accounts.actors import Actor
from accounts.models import User
from agency.models import Agency, AgencyMembership
from agency.selectors import staff_reaching
from clinics.access import user_access
from clinics.history import settings_changed
from clinics.models import (
    ChatKind,
    ChatWebhook,
    Clinic,
    OnCall,
    clinic_zone,
)
from clinics.notifications import absolute_url, notifications_close, people_notify
from clinics.preferences import ON_CALL
from core.crypto import decrypt_json, encrypt_json
from core.errors import Conflict, DomainError, ValidationFailed
from core.incidents import (
    IncidentRunning,
    alert_ref,
    alert_title,
    grew_ref,
    incidents_alerted,
    incidents_running_in,
)
from core.settings_history import Setting, SettingArea
from core.text import possessive

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
EMPTY_ON_CALL = "nobody: the agency's owners and managers"
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


def chat_url_refusal(kind: str, url: str) -> str:
    """Why `url`, as pasted, cannot be the `kind` channel's webhook ("" when it can): the one
    check of the alert settings pages and the chat webhooks API."""
    url = url.strip()
    return "Paste the webhook URL." if not url else chat_url_problem(kind, url)


def chat_hint(url: str) -> str:
    """What the pages show of a stored URL: its host and last four characters."""
    return f"{httpx.URL(url).host} …{url[-4:]}"


# How the settings history names each channel's webhook (never its URL).
CHAT_SETTINGS = {
    ChatKind.SLACK: Setting(SettingArea.CHAT, "Slack webhook"),
    ChatKind.TEAMS: Setting(SettingArea.CHAT, "Microsoft Teams webhook"),
}


def _chat_conflict(kind: str, *, exists: bool) -> Conflict:
    label = ChatKind(kind).label
    if exists:
        return Conflict(
            f"A {label} webhook is saved here already: change its URL, or remove it first.",
            code="exists",
        )
    return Conflict(
        f"This {label} webhook was changed or removed meanwhile: reload it and try again.",
        code="changed",
    )


def chat_webhooks_set(
    *,
    agency_id: int,
    clinic: Clinic | None,
    changes: dict[str, str | None],
    actor: Actor,
    expect: Mapping[str, int | None] | None = None,
) -> dict[str, ChatWebhook]:
    """Apply {kind: url} for the agency (clinic None) or one clinic: a URL stores (replaces)
    that channel's webhook, encrypted; None removes it; a kind left out stays as it is. All
    URLs are checked before anything is stored. The settings history records each webhook
    added, replaced or removed as `actor`'s, never its URL.

    `expect` ({kind: id, or None for "none saved"}) is what the caller saw, for the API's
    create, change and delete of one webhook: when a kind's webhook is no longer that row
    (one was saved or removed meanwhile), nothing is stored (`Conflict`: `exists`, `changed`).
    Returns the scope's webhooks by kind afterwards (without their URL)."""
    expect = expect or {}
    errors: dict[str, list[str]] = {}
    for kind, url in changes.items():
        if kind not in ChatKind.values:
            errors[kind] = [f"Unknown chat; choose one of {', '.join(ChatKind.values)}."]
        elif url is not None and (problem := chat_url_refusal(kind, url)):
            errors[kind] = [problem]
    if errors:
        raise ValidationFailed("Some webhook URLs cannot be used.", fields=errors)
    with transaction.atomic():
        stored = dict(
            ChatWebhook.objects.select_for_update()
            .filter(agency_id=agency_id, clinic=clinic)
            .values_list("kind", "pk")
        )
        for kind, seen in expect.items():
            if stored.get(kind) != seen:
                raise _chat_conflict(kind, exists=seen is None)
        done: dict[str, bool] = {}  # kind: a new URL stored (True) or removed (False)
        for kind, url in changes.items():
            scope = {"agency_id": agency_id, "clinic": clinic, "kind": kind}
            if url is None:
                ChatWebhook.objects.filter(**scope).delete()
                done[kind] = False
                continue
            url = url.strip()
            saved = ChatWebhook.objects.filter(**scope).only("url_encrypted").first()
            if saved is not None and decrypt_json(saved.url_encrypted).get("url") == url:
                continue  # the same address again: nothing changes, its last test still holds
            values = {
                "url_encrypted": encrypt_json({"url": url}),
                "url_hint": chat_hint(url),
                **CHAT_TEST_CLEARED,
            }
            if kind in expect and expect[kind] is None:
                try:  # a second one saved meanwhile is refused, not replaced
                    with transaction.atomic():
                        ChatWebhook.objects.create(**scope, **values)
                except IntegrityError:
                    raise _chat_conflict(kind, exists=True) from None
            else:
                ChatWebhook.objects.update_or_create(**scope, defaults=values)
            done[kind] = True
        settings_changed(
            actor=actor,
            settings=CHAT_SETTINGS,
            before={kind: kind in stored for kind in ChatKind.values},
            after=done,
            clinic=clinic,
            agency_id=agency_id,
            hidden=ChatKind.values,
        )
    return chat_webhooks_of(agency_id=agency_id, clinic=clinic)


def chat_webhooks_of(*, agency_id: int, clinic: Clinic | None) -> dict[str, ChatWebhook]:
    """The webhooks of one scope by kind (never the URL: pages show `url_hint`)."""
    rows = ChatWebhook.objects.filter(agency_id=agency_id, clinic=clinic).defer("url_encrypted")
    return {row.kind: row for row in rows}


def chat_webhooks_of_clinic(clinic: Clinic) -> QuerySet[ChatWebhook]:
    """A clinic's own webhooks (the agency's reach it too, but are the agency's), Slack first,
    without their URL: what the chat webhooks API lists and finds by id."""
    return (
        ChatWebhook.objects.filter(agency_id=clinic.agency_id, clinic=clinic)
        .defer("url_encrypted")
        .order_by("kind", "pk")
    )


def chat_webhooks_for(clinic: Clinic) -> list[ChatWebhook]:
    """Where a clinic's alerts go in chat: the agency's channels and the clinic's own, in the
    order they were added (every caller posts and reports in one stable order)."""
    return list(
        (
            ChatWebhook.objects.filter(agency_id=clinic.agency_id, clinic__isnull=True)
            | ChatWebhook.objects.filter(clinic=clinic)
        ).order_by("pk")
    )


@dataclass(frozen=True)
class ChatSent:
    """What one post to a channel came to: `ok`, else the platform's HTTP `status` and what it
    answered (`body`, on one line, trimmed), or, when it did not answer, the `error` (the
    exception's class name, for the log only) and whether that was a timeout. `kind`: the
    channel's (`ChatKind`), to name it."""

    ok: bool
    status: int | None = None
    body: str = ""
    error: str = ""
    timed_out: bool = False
    kind: str = ""

    @property
    def reason(self) -> str:
        """Why it was not posted, in words the people who read a timeline understand ("" when
        it was): never an exception's name (`chat_send` logs that for the engineers)."""
        if self.ok:
            return ""
        who = ChatKind(self.kind).label if self.kind in ChatKind.values else "the chat service"
        if self.timed_out:
            seconds = f"{CHAT_TIMEOUT:g} second{'' if CHAT_TIMEOUT == 1 else 's'}"
            return f"{who} did not answer within {seconds}"
        if self.status is None:
            return f"{who} could not be reached (a wrong address, or it or the network is down)"
        if self.status == 429:
            return f"{who} is limiting posts to this channel right now (HTTP 429)"
        if self.status >= 500:
            return f"{who} had a problem on its side (HTTP {self.status})"
        if self.status in (404, 410):
            return f"{who} says this webhook no longer exists (HTTP {self.status})"
        return f"{who} refused the message (HTTP {self.status})"

    @property
    def outcome(self) -> str:
        """ "posted" or why not, in a few plain words (incident timelines, outbox notices):
        "not posted — Slack refused the message (HTTP 403)"."""
        return "posted" if self.ok else f"not posted — {self.reason}"


def _timed_out(exc: Exception) -> bool:
    reason = exc.reason if isinstance(exc, URLError) else None
    return isinstance(exc, TimeoutError | httpx.TimeoutException) or isinstance(
        reason, TimeoutError
    )


def chat_send(hook: ChatWebhook, message: dict) -> ChatSent:
    """Post to one channel and say how it went. Slack through slack-sdk's WebhookClient (it
    knows Slack's answers and retries), Teams as a plain JSON POST."""
    url = decrypt_json(hook.url_encrypted).get("url", "")
    try:
        if hook.kind == ChatKind.SLACK:
            response = WebhookClient(url, timeout=int(CHAT_TIMEOUT)).send_dict(message)
            status, body = response.status_code, str(response.body or "")
            ok = status == 200
        else:
            answer = httpx.post(
                url, content=json.dumps(message), timeout=CHAT_TIMEOUT,
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
            status, body = answer.status_code, answer.text
            ok = 200 <= status < 300
    except Exception as exc:  # noqa: BLE001 - the caller records the outcome
        logger.warning("chat %s post failed: %s: %s", hook.kind, exc.__class__.__name__, exc)
        return ChatSent(
            ok=False, error=exc.__class__.__name__, timed_out=_timed_out(exc), kind=hook.kind
        )
    return ChatSent(ok=ok, status=status, body=" ".join(body.split())[:300], kind=hook.kind)


def chat_post(hook: ChatWebhook, message: dict) -> str:
    """Post to one channel; "posted" or why not (`chat_send`)."""
    return chat_send(hook, message).outcome


# --- text in chat messages ------------------------------------------------------------------
# What people typed or reviews said (watch words, names, titles, claims) goes into chat
# messages as literal text, never as markup: in Slack `<!channel>` would notify the whole
# channel and `<https://evil.example|login>` show another site's link as "login"; in a Teams
# card `[login](https://evil.example)` would do the same. Every message builder puts such text
# through these, and only the links Carewatch itself makes through `slack_link`.

_TEAMS_MARKUP = re.compile(r"([\\`*_~\[\]<>])")
_TEAMS_LINE_START = re.compile(r"^(\s*)(?:([-+#])|(\d+)([.)]))(?=\s)", re.M)


def slack_text(value: str) -> str:
    """`value` as literal text in a Slack message's `text` or a `mrkdwn` text object: `&`,
    `<` and `>` as `&amp;`, `&lt;`, `&gt;` (Slack's documented escaping), so no mention,
    link or channel reference can be written with it. (`plain_text` objects need none.)"""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_link(url: str, words: str) -> str:
    """A Slack link to one of Carewatch's own addresses, its words escaped."""
    return f"<{url}|{slack_text(words)}>"


def teams_text(value: str) -> str:
    """`value` as literal text in a Teams card's TextBlock, whose Markdown subset would
    otherwise read bold, italics, lists and `[words](url)` links in it: each markup character
    is escaped with a backslash (CommonMark), and so is a list marker that begins a line."""
    text = _TEAMS_MARKUP.sub(r"\\\1", str(value))
    return _TEAMS_LINE_START.sub(
        lambda m: f"{m[1]}\\{m[2]}" if m[2] else f"{m[1]}{m[3]}\\{m[4]}", text
    )


def chat_notice(kind: str, *, title: str, text: str, button: str, url: str) -> dict:
    """A short notice with one link button, as Slack (Block Kit) or Teams (Adaptive Card)
    takes it: what alerts other than an incident's opening send. `title` and `text` are
    literal text (`slack_text`, `teams_text`)."""
    if kind == ChatKind.SLACK:
        title, text = slack_text(title), slack_text(text)
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
            {"type": "TextBlock", "text": teams_text(title), "weight": "Bolder", "wrap": True},
            {"type": "TextBlock", "text": teams_text(text), "wrap": True},
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


# --- "Send test message" ------------------------------------------------------------------

CHAT_TEST_EVERY = timedelta(seconds=10)  # per webhook
CHAT_TEST_CLEARED = {
    "last_test_at": None,
    "last_test_by_name": "",
    "last_test_ok": None,
    "last_test_result": "",
}
# Slack's answer codes (incoming webhooks, https://api.slack.com/messaging/webhooks) in words
SLACK_GONE = frozenset({"no_service", "no_service_id", "no_team", "team_disabled", "invalid_token"})
SLACK_CHANNEL_GONE = frozenset({"channel_not_found", "channel_is_archived"})
SLACK_PROHIBITED = frozenset({"action_prohibited", "posting_to_general_channel_denied"})
_CODE = re.compile(r"^[a-z][a-z_]{1,60}$")


class ChatTestTooSoon(DomainError):
    """A test of the same webhook less than `CHAT_TEST_EVERY` ago; `wait`: the seconds until
    the next may be sent."""

    status_code = 429
    code = "too_soon"

    def __init__(self, detail: str, *, wait: int):
        super().__init__(detail)
        self.wait = wait


@dataclass(frozen=True)
class ChatTested:
    """A test message's result: whether it arrived, and the words the page shows."""

    ok: bool
    words: str
    at: datetime


def _answer_detail(body: str) -> str:
    """What the platform said, as short plain text: a Workflow's JSON `error.message` (or
    `message`), else its text, trimmed."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error")
        found = error.get("message") if isinstance(error, dict) else data.get("message", error)
        body = str(found or "")
    body = " ".join(body.split())
    return body if len(body) <= 200 else body[:199] + "…"


def _test_failure_words(kind: str, sent: ChatSent) -> str:
    """Why a test did not arrive, and what to do, in words for the person who manages it."""
    label = ChatKind(kind).label
    short = "Teams" if kind == ChatKind.TEAMS else label
    if sent.timed_out:
        seconds = f"{CHAT_TIMEOUT:g} second{'' if CHAT_TIMEOUT == 1 else 's'}"
        return (
            f"{label} did not answer within {seconds}: it may be slow or down right now. Send "
            f"the test again in a few minutes; if it keeps failing, check the {short} status "
            "page."
        )
    if sent.status is None:
        return (
            f"{label} could not be reached: the address may be wrong, or {short} or the "
            "network is down. Check the URL you pasted, or send the test again "
            "in a few minutes."
        )
    status, detail = sent.status, _answer_detail(sent.body)
    said = f"HTTP {status}" + (f", “{detail}”" if detail else "")
    if status == 429:
        return (
            f"{label} is limiting posts to this channel right now ({said}): wait a minute and "
            "send the test again."
        )
    if status >= 500:
        return (
            f"{label} had a problem on its side ({said}): send the test again in a few minutes; "
            f"if it keeps failing, check the {short} status page."
        )
    if kind == ChatKind.SLACK:
        code = detail if _CODE.match(detail) else ""
        if code in SLACK_GONE or (not code and status in (401, 403, 404, 410)):
            return (
                f"Slack says this webhook no longer exists ({said}): it was deleted, or the Slack "
                "app that made it was removed. Create a new incoming webhook in Slack, paste its "
                "URL here and save."
            )
        if code in SLACK_CHANNEL_GONE:
            return (
                f"Slack says the webhook's channel is gone or archived ({said}): unarchive the "
                "channel, or create a webhook for another channel and paste its URL here."
            )
        if code in SLACK_PROHIBITED:
            return (
                f"Slack's workspace settings stop this webhook from posting to its channel "
                f"({said}): ask your Slack admin to allow it, or use a webhook for another channel."
            )
        return (
            f"Slack refused the test message ({said}). Check that the URL is an incoming-webhook "
            "address Slack gave you; if it is, contact support with this message."
        )
    if status in (404, 410):
        return (
            f"Teams says this webhook no longer exists ({said}): it was removed, or it was an "
            "Office 365 connector, which Microsoft has retired. Create a Workflow in Teams "
            "(“Post to a channel when a webhook request is received”), paste its URL here and save."
        )
    if status in (401, 403):
        return (
            f"Teams refused access ({said}): the webhook or its Workflow was turned off, or the "
            "URL is no longer valid. Turn it back on, or create a new one in Teams and paste its "
            "URL here."
        )
    return (
        f"Teams refused the test message ({said}): the address may belong to a Workflow that "
        "expects a different message. Use the Workflow template “Post to a channel when a "
        "webhook request is received” and paste its URL here."
    )


def _at(moment: datetime, zone) -> str:
    local = moment.astimezone(zone)
    return f"{local:%H:%M} ({local.tzname()})"


def chat_webhook_of(*, agency_id: int, clinic: Clinic | None, kind: str) -> ChatWebhook | None:
    """The agency's (clinic None) or a clinic's webhook of one kind, or None."""
    return ChatWebhook.objects.filter(agency_id=agency_id, clinic=clinic, kind=kind).first()


def chat_webhook_test(*, hook: ChatWebhook, by: Actor) -> ChatTested:
    """Post a short, clearly labelled test notice to `hook`'s channel, through the same path
    as real alerts (`chat_notice`, `chat_send`: Slack's blocks, Teams' Adaptive Card), and
    remember it on the row: when, by whom, whether it arrived and why not, in words. At most
    one test per webhook every `CHAT_TEST_EVERY` (`ChatTestTooSoon`, nothing sent). A result
    is dropped when the URL was replaced while the test ran (it was not this URL's)."""
    now = timezone.now()
    who = by.name
    claimed = (
        ChatWebhook.objects.filter(pk=hook.pk, url_encrypted=hook.url_encrypted)
        .filter(Q(last_test_at__isnull=True) | Q(last_test_at__lte=now - CHAT_TEST_EVERY))
        .update(
            last_test_at=now, last_test_by_name=who[:200], last_test_ok=None,
            last_test_result="Sending…",
        )
    )  # fmt: skip
    label = ChatKind(hook.kind).label
    if not claimed:
        row = ChatWebhook.objects.filter(pk=hook.pk).only("url_encrypted", "last_test_at").first()
        if row is None or row.url_encrypted != hook.url_encrypted:
            raise Conflict(
                f"This {label} webhook was changed or removed meanwhile: reload the page and "
                "send the test again.",
                code="changed",
            )
        last = row.last_test_at or now
        wait = max(1, int((last + CHAT_TEST_EVERY - now).total_seconds() + 0.999))
        raise ChatTestTooSoon(
            f"A test message was just tried on this {label} webhook: wait {wait} second"
            f"{'' if wait == 1 else 's'} before sending another.",
            wait=wait,
        )
    if hook.clinic_id is not None:
        clinic = Clinic.objects.only("name", "slug", "timezone").get(pk=hook.clinic_id)
        zone, place = clinic_zone(clinic), clinic.name
        what = f"{possessive(clinic.name)} incident alerts"
        page = f"/clinics/{clinic.slug}/settings/alerts/"
    else:
        zone, place = UTC, Agency.objects.only("name").get(pk=hook.agency_id).name
        what = f"incident alerts of every clinic of {place}"
        page = "/agency/settings/chat/"
    message = chat_notice(
        hook.kind,
        title=f"Test message · {place}: no incident",
        text=(
            f"{who} sent this test from the alert settings at {_at(now, zone)}, to check "
            f"that {what} reach this channel. They do: no action is needed."
        ),
        button="Open the alert settings",
        url=f"{settings.PUBLIC_BASE_URL}{page}",
    )
    sent = chat_send(hook, message)
    if sent.ok:
        result = words = (
            f"Test message posted to {label} at {_at(now, zone)}: check the channel this "
            "webhook posts to."
        )
    else:
        result = _test_failure_words(hook.kind, sent)
        words = f"The test message to {label} failed: {result}"
    ChatWebhook.objects.filter(pk=hook.pk, url_encrypted=hook.url_encrypted).update(
        last_test_ok=sent.ok, last_test_result=result[:600]
    )
    logger.info("chat %s webhook %s tested by %s: %s", hook.kind, hook.pk, by.label, sent.outcome)
    return ChatTested(ok=sent.ok, words=words, at=now)


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
    if access is None:
        return (
            f"{user.full_name or user.email} does not reach this clinic (the agency's people "
            "page limits them to other clinics)"
        )
    role = access.role_label
    return f"{user.full_name or user.email} cannot act on incidents in this clinic ({role})"


def on_call_candidates(clinic: Clinic) -> list[User]:
    """Who may be on a clinic's on-call list: the active staff of its agency who may act on
    its incidents (an analyst only reads: they could not acknowledge what they are called
    for)."""
    return [u for u in _agency_staff(clinic) if not _cannot_act(u, clinic)]


ON_CALL_SETTINGS = {"on_call": Setting(SettingArea.ALERTS, "On-call list (first called first)")}


def _people_words(people: Sequence[User]) -> list[str]:
    return [u.full_name or u.email for u in people]


def on_call_set(*, clinic: Clinic, entries: Sequence[str], actor: Actor) -> list[User]:
    """Replace the clinic's on-call list with `entries` (user ids, first = first called).
    Empty positions at the end are ignored; a gap, a repeat, someone not on the agency's
    staff or someone who may not act on incidents (`ClinicAccess.acts_on_incidents`) refuses
    the whole list. An empty list means: the agency's owners and managers. A list that
    changes is recorded in the settings history as `actor`'s."""
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
        # two people saving at once: the second waits here and reads the first one's list
        Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
        before = [o.user for o in OnCall.objects.filter(clinic=clinic).select_related("user")]
        OnCall.objects.filter(clinic=clinic).delete()
        OnCall.objects.bulk_create(
            [OnCall(clinic=clinic, user=u, position=i) for i, u in enumerate(people)]
        )
        settings_changed(
            actor=actor,
            settings=ON_CALL_SETTINGS,
            before={"on_call": _people_words(before) or EMPTY_ON_CALL},
            after={"on_call": _people_words(people) or EMPTY_ON_CALL},
            clinic=clinic,
        )
        _on_call_handover_tell(clinic=clinic, before=before, after=people, actor=actor)
    return people


def _on_call_handover_tell(
    *, clinic: Clinic, before: Sequence[User], after: Sequence[User], actor: Actor
) -> None:
    """A changed list is a handover: each person it puts on call is told so once, with the
    clinic's incidents running now (severity, acknowledged or not, the room), and each
    unacknowledged one waits in their banner as its alert would; each person it takes off is
    told they are off call, and the alert notices of its running incidents leave their
    banner (`_alerts_hand_over`). In-app and by e-mail at once
    (`clinics.preferences.ON_CALL`); never the person who saved it, about their own change."""
    saver = actor.user.pk if actor.user is not None else None
    was, now = {u.pk for u in before}, {u.pk for u in after}
    added = [(i, u) for i, u in enumerate(after, start=1) if u.pk not in was and u.pk != saver]
    off = [u for u in before if u.pk not in now]
    removed = [u for u in off if u.pk != saver]
    by = actor.name if actor.user is not None else "Someone"
    running = incidents_running_in(clinic) if added or off else []
    handed = _alerts_hand_over(clinic=clinic, running=running, off=off)
    for position, user in added:
        first = "first, " if position == 1 else ""
        lines = [
            f"{by} put you on {possessive(clinic.name)} on-call list (number {position} of "
            f"{len(after)}): its incident alerts come to you {first}with the clinic's crisis "
            "team."
        ]
        if running:
            lines.append(f"Running now ({len(running)}):")
            lines += [
                f"- {i.severity_label} incident “{i.title}”: "
                f"{'acknowledged' if i.acknowledged else 'not acknowledged yet'}. "
                f"{absolute_url(i.url)}"
                for i in running
            ]
        else:
            lines.append("No incident is running there now.")
        said = (
            f": {len(running)} incident{'s' if len(running) != 1 else ''} running"
            if running
            else ""
        )
        people_notify(
            users=[user],
            clinic=clinic,
            kind=ON_CALL,
            ref="on_call",
            title=f"You are on call for {clinic.name}{said}",
            url=running[0].url
            if len(running) == 1
            else f"/clinics/{clinic.slug}/{'incidents' if running else 'settings/alerts'}/",
            detail="\n".join(lines),
            waits=False,
        )
        for i in running:
            if not i.acknowledged:  # what its alert would have opened for them
                people_notify(
                    users=[user],
                    clinic=clinic,
                    kind="incident",
                    ref=alert_ref(i.id),
                    title=alert_title(i.severity_label, i.title),
                    url=i.url,
                    severity=i.severity,
                    email=False,
                )
    goes_to = ", ".join(_people_words(after)) or "the agency's owners and managers"
    for user in removed:
        detail = (
            f"{by} changed {possessive(clinic.name)} on-call list: its incident alerts go to "
            f"{goes_to} now."
        )
        if gone := handed.get(user.pk):
            one = len(gone) == 1
            titles = ", ".join(f"“{i.title}”" for i in gone)
            detail += (
                f" Your open request{'' if one else 's'} to acknowledge "
                f"{'its incident' if one else 'its incidents'} {titles} "
                f"{'was' if one else 'were'} handed over to them and left your “Waiting for "
                "you”."
            )
        people_notify(
            users=[user],
            clinic=clinic,
            kind=ON_CALL,
            ref="on_call",
            title=f"You are no longer on call for {clinic.name}",
            url=f"/clinics/{clinic.slug}/settings/alerts/",
            detail=detail,
            waits=False,
        )


def _alerts_hand_over(
    *, clinic: Clinic, running: Sequence[IncidentRunning], off: Sequence[User]
) -> dict[int, list[IncidentRunning]]:
    """The people an on-call list took off no longer hold the running incidents' alert
    notices ("acknowledge this incident" in their banner) nor their growth notices ("Incident
    grew: …"), unless the incident still alerts them by crisis's recipient rule
    (`core.incidents.incidents_alerted`: its team, the crisis team, the agency's owners and
    managers): theirs close as a role taken away closes its holder's (`notifications_close`).
    Returns, per person, the incidents whose request to acknowledge closed."""
    if not (running and off):
        return {}
    alerted = incidents_alerted(clinic, [i.id for i in running])
    handed: dict[int, list[IncidentRunning]] = {}
    for incident in running:
        for user in off:
            if user.pk in alerted.get(incident.id, ()):
                continue
            if notifications_close(clinic=clinic, ref=alert_ref(incident.id), users=[user]):
                handed.setdefault(user.pk, []).append(incident)
            notifications_close(clinic=clinic, ref=grew_ref(incident.id), users=[user])
    return handed


def on_call_of(clinic: Clinic) -> list[User]:
    return [o.user for o in OnCall.objects.filter(clinic=clinic).select_related("user")]


def on_call_out_of_reach(clinic: Clinic) -> list[User]:
    """The people on the clinic's on-call list who no longer reach it (limited to other
    clinics on the agency's people page): its alerts skip them (`crisis.services.alerting`),
    and the alerts page says so."""
    reaching = staff_reaching(clinic).values("user_id")
    return [
        o.user
        for o in OnCall.objects.filter(clinic=clinic)
        .exclude(user_id__in=reaching)
        .select_related("user")
    ]
