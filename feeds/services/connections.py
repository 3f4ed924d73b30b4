"""Connecting a source with OAuth ("Connect Google Business Profile", "Connect Facebook /
Instagram"), keeping its tokens alive, warning before they die, and disconnecting it.

The flow, for a person with MANAGE in the clinic:

1. `connect_start` makes a `ConnectAttempt` whose random `state` is bound to this clinic (the
   attempt lives in its schema; the state carries the clinic's slug so that the one public
   callback URL finds it), the person and their session; it expires after ATTEMPT_TTL and is
   used once. It returns the platform's consent URL.
2. The platform sends the browser back to `/oauth/<platform>/callback/` (the redirect URI the
   agency registers once), which hands it to the clinic's return page: `connect_return`
   consumes the state, exchanges the code, lists the Google locations or Facebook pages, and
   keeps the tokens encrypted on the attempt.
3. `connect_choose` stores the chosen location or page on its source (found or created; the
   page's Instagram business account on the clinic's Instagram source), the tokens encrypted in
   `Source.credentials_encrypted`, a `SourceConnection`, and tells the outbox (port
   `core.pipeline.source_credentials_changed`).

Every refusal raises `ConnectFailed` with a sentence for the page, and changes no source; a
location or page another clinic reads already is the sources' own refusal, `AccountElsewhere`
(`feeds.services.sources.source_account_claim`, one rule for every way a source gets an
account), whose `text()` is the sentence.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.actors import Actor
from accounts.models import User
from accounts.services import security_event_record
from clinics.history import settings_changed, value_words
from clinics.models import Clinic, clinic_zone
from clinics.notifications import notifications_close
from core.crypto import decrypt_json, encrypt_json
from core.errors import DomainError
from core.pipeline import source_credentials_changed
from core.tenancy import clinic_schemas_select, current_clinic
from feeds.connectors.errors import (
    AuthExpired,
    ConnectorError,
    RateLimited,
    TransientError,
)
from feeds.connectors.http import HttpOptions
from feeds.connectors.oauth import Choice, Grant, OAuthApp, OAuthClient, pkce_pair
from feeds.models import (
    AttemptStatus,
    ConnectAttempt,
    Platform,
    Source,
    SourceConnection,
    SourceKind,
)
from feeds.services.outages import (
    source_managers_tell,
    source_notice_ref,
    source_outages_sync,
)
from feeds.services.sources import (
    SOURCE_SECRET,
    backlog_added_words,
    source_account_claim,
    source_backlog_choose,
    source_has_credentials,
    source_setting_names,
    source_settings_words,
)

logger = logging.getLogger(__name__)

ATTEMPT_TTL = timedelta(minutes=10)  # from the button to the platform's answer
CHOOSE_TTL = timedelta(minutes=30)  # from the button to the choice of a location or page
ATTEMPT_KEEP = timedelta(days=1)  # ended attempts are deleted after this
GOOGLE_RENEW_BEFORE = timedelta(minutes=15)  # access tokens last about an hour
FACEBOOK_RENEW_BEFORE = timedelta(days=10)  # long-lived user tokens last about 60 days
WARN_STAGES = (("7d", timedelta(days=7)), ("1d", timedelta(days=1)))
NOTIFY_AFTER_FAILURES = 3
REFRESH_CLAIM = timedelta(minutes=5)
MAX_REFRESH_BACKOFF = timedelta(hours=1)
KINDS = {
    Platform.GOOGLE: (SourceKind.GOOGLE,),
    Platform.FACEBOOK: (SourceKind.FACEBOOK, SourceKind.INSTAGRAM),
}
NAMES = {Platform.GOOGLE: "Google", Platform.FACEBOOK: "Facebook"}


class ConnectFailed(DomainError):
    """Connecting or disconnecting could not go on; `detail` is the sentence to show."""

    code = "connect_failed"


@dataclass(frozen=True)
class Connected:
    sources: list[Source]
    choice_name: str


# ----------------------------------------------------------------------------- settings
def oauth_app(platform: str) -> OAuthApp:
    if platform == Platform.GOOGLE:
        return OAuthApp(
            platform="google",
            client_id=settings.GOOGLE_OAUTH_CLIENT_ID,
            client_secret=settings.GOOGLE_OAUTH_CLIENT_SECRET,
            authorize_url=settings.GOOGLE_OAUTH_AUTHORIZE_URL,
            token_url=settings.GOOGLE_OAUTH_TOKEN_URL,
            revoke_url=settings.GOOGLE_OAUTH_REVOKE_URL,
            accounts_url=settings.GOOGLE_ACCOUNTS_URL,
            locations_url=settings.GOOGLE_LOCATIONS_URL,
        )
    return OAuthApp(
        platform="facebook",
        client_id=settings.FACEBOOK_APP_ID,
        client_secret=settings.FACEBOOK_APP_SECRET,
        authorize_url=settings.FACEBOOK_OAUTH_AUTHORIZE_URL,
        token_url=settings.FACEBOOK_OAUTH_TOKEN_URL,
        graph_url=settings.FACEBOOK_GRAPH_URL,
    )


def connecting_set_up(kind: str) -> bool:
    """Whether a person can connect a source of this kind on this server by signing in (its
    platform's OAuth app is configured: the Sources page's "Connect ..." button). False: the
    page says "connecting is not set up on this server", and so does every place that asks
    whether a channel could be connected here (a kind no sign-in connects: False too)."""
    platform = next((p for p, kinds in KINDS.items() if kind in kinds), None)
    return platform is not None and oauth_app(platform).configured


def oauth_client(platform: str) -> OAuthClient:
    options = {"timeout": 10.0, "max_retries": 1, **settings.CONNECTOR_HTTP_OPTIONS}
    return OAuthClient(oauth_app(platform), options=HttpOptions(**options))


def redirect_uri(platform: str) -> str:
    """The one callback address per platform, registered in the agency's app."""
    return f"{settings.PUBLIC_BASE_URL}/oauth/{platform}/callback/"


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _grant_ref(platform: str, user_id: str, token: str) -> str:
    return _hash(f"{platform}:{user_id}" if user_id else f"{platform}:token:{token}")


def _platform_words(platform: str) -> str:
    return NAMES.get(platform, platform)


# ----------------------------------------------------------------------------- 1. start
def connect_start(
    *, clinic: Clinic, platform: str, user: User, session_key: str, source_id: int | None = None
) -> str:
    """A new attempt; returns the consent URL to send the browser to."""
    if platform not in Platform.values:
        raise ConnectFailed("Unknown platform.")
    app = oauth_app(platform)
    if not app.configured:
        setting = "GOOGLE_OAUTH_CLIENT_ID" if platform == "google" else "FACEBOOK_APP_ID"
        raise ConnectFailed(
            f"Connecting with {_platform_words(platform)} is not set up on this server: its "
            f"administrator must set {setting} and the secret (see the README). Nothing was "
            "changed."
        )
    if not session_key:
        raise ConnectFailed("Your session has ended. Sign in again, then connect.")
    source = None
    if source_id is not None:
        source = Source.objects.filter(pk=source_id, kind__in=KINDS[platform]).first()
        if source is None:
            raise ConnectFailed("That source does not exist or is not of this platform.")
    token = secrets.token_urlsafe(32)
    state = f"{clinic.slug}.{token}"
    verifier, challenge = pkce_pair() if platform == Platform.GOOGLE else ("", "")
    uri = redirect_uri(platform)
    ConnectAttempt.objects.create(
        platform=platform,
        source=source,
        state_hash=_hash(state),
        user_id=user.pk,
        session_hash=_hash(session_key),
        redirect_uri=uri,
        expires_at=timezone.now() + ATTEMPT_TTL,
        secrets_encrypted=encrypt_json({"verifier": verifier}),
    )
    return oauth_client(platform).authorize_url(
        redirect_uri=uri, state=state, code_challenge=challenge
    )


def state_clinic_slug(state: str) -> str:
    """The clinic slug a state names ("" when it names none)."""
    slug, dot, rest = (state or "").partition(".")
    return slug if dot and rest and len(slug) <= 50 else ""


# ---------------------------------------------------------------------------- 2. return
def connect_return(*, platform: str, params: dict, user: User, session_key: str) -> ConnectAttempt:
    """The platform's answer (the query of the redirect). Consumes the state, then exchanges
    the code and lists what can be connected. Returns the attempt, now CHOOSING."""
    state = str(params.get("state") or "")
    words = _platform_words(platform)
    with transaction.atomic():
        attempt = (
            ConnectAttempt.objects.select_for_update()
            .filter(state_hash=_hash(state), platform=platform)
            .first()
            if state
            else None
        )
        if attempt is None or attempt.user_id != user.pk:
            raise ConnectFailed(
                f"This answer from {words} does not match a connection you started here. "
                "Nothing was changed; start again with the Connect button."
            )
        if attempt.session_hash != _hash(session_key or ""):
            raise ConnectFailed(
                "This connection was started in another sign-in session. Nothing was changed; "
                "start again with the Connect button."
            )
        if attempt.status != AttemptStatus.STARTED:
            raise ConnectFailed(
                f"This answer from {words} was already used. Nothing was changed; start again "
                "with the Connect button if the source is not connected."
            )
        expired = attempt.expires_at <= timezone.now()
        stored = decrypt_json(attempt.secrets_encrypted)  # the PKCE verifier, read before erasing
        _fail(attempt, "expired" if expired else "The platform's answer is being processed.")
    if expired:
        raise ConnectFailed(
            f"The sign-in at {words} took longer than {int(ATTEMPT_TTL.total_seconds() // 60)} "
            "minutes, so it expired. Nothing was changed; start again."
        )
    try:
        denied = str(params.get("error") or "")
        if denied:
            reason = str(params.get("error_description") or params.get("error_reason") or "")
            if denied == "access_denied" or params.get("error_reason") == "user_denied":
                message = f"Access was not allowed at {words}, so nothing was connected."
            else:
                message = (
                    f"{words} refused the connection ({denied}{': ' + reason if reason else ''})."
                )
            raise ConnectFailed(message + " Nothing was changed.")
        code = str(params.get("code") or "")
        if not code:
            raise ConnectFailed(f"{words} sent no authorization code. Nothing was changed.")
        client = oauth_client(platform)
        grant = _platform_call(
            words,
            lambda: client.exchange_code(
                code=code,
                redirect_uri=attempt.redirect_uri,
                code_verifier=stored.get("verifier", ""),
            ),
        )
        choices = _platform_call(words, lambda: client.choices(grant))
        if not choices:
            what = (
                "manages no Business Profile locations"
                if platform == Platform.GOOGLE
                else "manages no Facebook pages (or did not allow Carewatch to see them)"
            )
            raise ConnectFailed(
                f"The {words} account {grant.user_name or 'you signed in with'} {what}. Nothing "
                f"was changed; sign in with an account that manages the clinic's "
                f"{'profile' if platform == Platform.GOOGLE else 'page'}."
            )
    except ConnectFailed as exc:
        _fail(attempt, exc.detail)
        raise
    attempt.status = AttemptStatus.CHOOSING
    attempt.error = ""
    attempt.grantee = grant.user_name[:300]
    attempt.choices = [c.public() for c in choices]
    attempt.secrets_encrypted = encrypt_json(
        {"grant": grant.secrets(), "pages": {c.id: c.secret for c in choices if c.secret}}
    )
    attempt.save(update_fields=["status", "error", "grantee", "choices", "secrets_encrypted"])
    return attempt


def _platform_call(words: str, call):
    try:
        return call()
    except RateLimited as exc:
        raise ConnectFailed(
            f"{words} is limiting requests right now ({_said(exc)}). Nothing was changed; try again in "
            f"{max(1, int(exc.retry_after_seconds // 60))} minute(s)."
        ) from None
    except TransientError as exc:
        raise ConnectFailed(
            f"{words} did not answer properly ({_said(exc)}). Nothing was changed; try again in a few "
            "minutes."
        ) from None
    except AuthExpired as exc:
        raise ConnectFailed(
            f"{words} refused the sign-in ({_said(exc)}). Nothing was changed; start again."
        ) from None
    except ConnectorError as exc:
        raise ConnectFailed(f"{words} refused: {_said(exc)}. Nothing was changed.") from None


def _said(exc: Exception) -> str:
    """The platform's own words, without a closing full stop (they go inside a sentence)."""
    return str(exc).strip().rstrip(".") or exc.__class__.__name__


def _fail(attempt: ConnectAttempt, message: str) -> None:
    attempt.status = AttemptStatus.FAILED
    attempt.error = message[:2000]
    attempt.secrets_encrypted = ""
    attempt.finished_at = timezone.now()
    attempt.save(update_fields=["status", "error", "secrets_encrypted", "finished_at"])


def attempt_for(*, attempt_id: int, user: User, session_key: str) -> ConnectAttempt:
    """The person's attempt waiting for a choice, or ConnectFailed saying why not."""
    attempt = ConnectAttempt.objects.filter(pk=attempt_id).first()
    if (
        attempt is None
        or attempt.user_id != user.pk
        or attempt.session_hash != _hash(session_key or "")
    ):
        raise ConnectFailed(
            "This connection is not one you started in this session. Nothing was changed."
        )
    if attempt.status != AttemptStatus.CHOOSING:
        raise ConnectFailed("This connection has already ended. Nothing was changed.")
    if attempt.created_at + CHOOSE_TTL <= timezone.now():
        raise ConnectFailed(
            "This connection waited too long for a choice and expired. Nothing was changed; "
            "start again."
        )
    return attempt


def choice_suggested(attempt: ConnectAttempt) -> str:
    """The choice to preselect: the only one; else the location or page of the source being
    reconnected; else one a source of the clinic is already set to (not connected first)."""
    ids = [c.get("id") for c in attempt.choices]
    if len(ids) == 1:
        return ids[0]
    key = "location_id" if attempt.platform == Platform.GOOGLE else "page_id"
    by_target = {
        str((c.get("settings") or {}).get(key) or ""): c.get("id") for c in attempt.choices
    }
    candidates = [attempt.source] if attempt.source_id else []
    kind = SourceKind.GOOGLE if attempt.platform == Platform.GOOGLE else SourceKind.FACEBOOK
    candidates += list(Source.objects.filter(kind=kind).order_by("credentials_encrypted", "pk"))
    for source in candidates:
        found = by_target.get(str((source.settings or {}).get(key) or ""))
        if found:
            return found
    return ""


# ---------------------------------------------------------------------------- 3. choose
def connect_choose(
    *,
    attempt_id: int,
    choice_id: str,
    user: User,
    session_key: str,
    actor: Actor,
    backlog_as_history: bool = True,
) -> Connected:
    """Connect the chosen location or page. Returns the sources it connected.
    `backlog_as_history` (the default): a source whose next poll reads the platform from the
    start (a new one, or one moved to another location or page) takes what was published
    before now as past reviews (`Source.history_before`): written before the agency answered
    for the clinic, they run no reply clock. False: the backlog counts like new items. The
    rule is every kind's (`feeds.services.sources.source_backlog_choose`); the choice is
    recorded in the settings history with the connection, as the person's."""
    with transaction.atomic():
        attempt = attempt_for(attempt_id=attempt_id, user=user, session_key=session_key)
        attempt = ConnectAttempt.objects.select_for_update().get(pk=attempt.pk)
        if attempt.status != AttemptStatus.CHOOSING:
            raise ConnectFailed("This connection has already ended. Nothing was changed.")
        chosen = next((c for c in attempt.choices if c.get("id") == choice_id), None)
        if chosen is None:
            raise ConnectFailed(
                "Choose one of the listed "
                + ("locations." if attempt.platform == Platform.GOOGLE else "pages.")
            )
        stored = decrypt_json(attempt.secrets_encrypted)
        grant = Grant.from_secrets(stored.get("grant") or {})
        choice = Choice(
            id=chosen["id"],
            name=chosen.get("name") or chosen["id"],
            detail=chosen.get("detail") or "",
            settings=chosen.get("settings") or {},
            secret=(stored.get("pages") or {}).get(chosen["id"], ""),
            instagram=chosen.get("instagram"),
        )
        _accounts_claim(attempt.platform, choice)
        if attempt.platform == Platform.GOOGLE:
            sources = [_google_connect(attempt, grant, choice, actor, backlog_as_history)]
        else:
            sources = _facebook_connect(attempt, grant, choice, actor, backlog_as_history)
        attempt.status = AttemptStatus.CONNECTED
        attempt.secrets_encrypted = ""
        attempt.finished_at = timezone.now()
        attempt.save(update_fields=["status", "secrets_encrypted", "finished_at"])
    return Connected(sources=sources, choice_name=choice.name)


def _accounts_claim(platform: str, choice: Choice) -> None:
    """The chosen location or page, and the page's Instagram account, claimed for this clinic
    (`source_account_claim`: AccountElsewhere when another clinic reads one already), the
    page before its Instagram account."""
    kind = SourceKind.GOOGLE if platform == Platform.GOOGLE else SourceKind.FACEBOOK
    source_account_claim(kind=kind, settings=choice.settings, name=choice.name)
    if choice.instagram:
        username = choice.instagram.get("username") or choice.instagram["id"]
        source_account_claim(
            kind=SourceKind.INSTAGRAM,
            settings={"instagram_account_id": choice.instagram["id"]},
            name=f"Instagram @{username}",
        )


def connect_cancel(*, attempt_id: int, user: User, session_key: str) -> None:
    with transaction.atomic():
        attempt = attempt_for(attempt_id=attempt_id, user=user, session_key=session_key)
        attempt.status = AttemptStatus.CANCELLED
        attempt.secrets_encrypted = ""
        attempt.finished_at = timezone.now()
        attempt.save(update_fields=["status", "secrets_encrypted", "finished_at"])


def _target(
    attempt: ConnectAttempt, kind: str, key: str, value: str, name: str
) -> tuple[Source, bool]:
    """The source to connect: the one the person started from (if of this kind), else the
    clinic's source of this kind already on this location/page, else its only source of this
    kind that is not connected and names no other location/page, else a new one."""
    if attempt.source_id is not None and attempt.source.kind == kind:
        return Source.objects.select_for_update().get(pk=attempt.source_id), False
    same = Source.objects.select_for_update().filter(kind=kind, **{f"settings__{key}": value})
    if same.exists():
        return same.order_by("pk").first(), False
    loose = [
        s
        for s in Source.objects.select_for_update().filter(kind=kind, credentials_encrypted="")
        if not s.settings.get(key)
    ]
    if len(loose) == 1:
        return loose[0], False
    return Source(kind=kind, name=name[:200], settings={}), True


def _store(
    source: Source,
    *,
    settings_update: dict,
    credentials: dict,
    connection_fields: dict,
    actor: Actor,
    backlog_as_history: bool = True,
) -> Source:
    moved = any(str(source.settings.get(k) or "") != str(v) for k, v in settings_update.items())
    before = {
        "added": "present" if source.pk else None,
        "settings": source_settings_words(source.settings),
        "credentials": bool(source.pk) and source_has_credentials(source),
        "enabled": source.enabled if source.pk else None,
    }
    source.settings = {**(source.settings or {}), **settings_update}
    if moved:
        source.cursor = ""  # another location or page: its items start from nothing
    # its next poll reads the platform from the start: what is there now is the backlog
    backlog_before, backlog_after = source_backlog_choose(source, as_past=backlog_as_history)
    source.credentials_encrypted = encrypt_json({**credentials, "oauth": True})
    source.enabled = True
    source.is_healthy, source.consecutive_failures, source.next_poll_at = True, 0, None
    source.last_error = ""
    source.save()
    after = {
        "settings": source_settings_words(source.settings),
        "credentials": True,
        "enabled": True,
        **backlog_after,
    }
    before.update(backlog_before)
    if before["added"] is None:  # a new source: one line says so, with what it reads
        added = "; ".join(
            [
                source.get_kind_display(),
                "connected by signing in",
                value_words(after["settings"]),
                *backlog_added_words(backlog_after),
            ]
        )
        before = {"added": None}
        after = {"added": f"added: {added}"}
    settings_changed(
        actor=actor,
        settings=source_setting_names(source),
        before=before,
        after=after,
        hidden=("credentials",),
    )
    now = timezone.now()
    SourceConnection.objects.update_or_create(
        source=source,
        defaults={
            **connection_fields,
            "connected_at": now,
            "connected_by_label": actor.label[:64],
            "connected_by_name": actor.name[:200],
            "refreshed_at": now,
            "refresh_failures": 0,
            "refresh_error": "",
            "lost_at": None,
            "warned": "",
        },
    )
    source_outages_sync([source.pk], by=actor.name)
    security_event_record(
        event=SOURCE_SECRET,
        actor=actor.user,
        detail={"source_id": source.pk, "kind": source.kind, "via": "oauth"},
    )
    _close_warnings(source)
    source_credentials_changed(source.pk)
    return source


def _google_connect(
    attempt: ConnectAttempt, grant: Grant, choice: Choice, actor: Actor, backlog_as_history: bool
) -> Source:
    location = choice.settings["location_id"]
    source, _new = _target(attempt, SourceKind.GOOGLE, "location_id", location, choice.name)
    expires = grant.expires_at
    return _store(
        source,
        settings_update=choice.settings,
        credentials={"access_token": grant.access_token, "refresh_token": grant.refresh_token},
        connection_fields={
            "platform": Platform.GOOGLE,
            "account_ref": choice.id[:200],
            "account_name": _label(choice),
            "grantee": grant.user_name[:300],
            "grant_ref": _grant_ref("google", grant.user_id, grant.refresh_token),
            "via": None,
            "token_expires_at": expires,
            "reconnect_by": None,
            "next_refresh_at": (expires - GOOGLE_RENEW_BEFORE) if expires else None,
        },
        actor=actor,
        backlog_as_history=backlog_as_history,
    )


def _facebook_connect(
    attempt: ConnectAttempt, grant: Grant, choice: Choice, actor: Actor, backlog_as_history: bool
) -> list[Source]:
    if not choice.secret:
        raise ConnectFailed("Facebook gave no token for this page. Nothing was changed.")
    grant_ref = _grant_ref("facebook", grant.user_id, grant.access_token)
    page_id = choice.settings["page_id"]
    page, _new = _target(attempt, SourceKind.FACEBOOK, "page_id", page_id, choice.name)
    expires = grant.expires_at
    common = {
        "platform": Platform.FACEBOOK,
        "grantee": grant.user_name[:300],
        "grant_ref": grant_ref,
        "token_expires_at": expires,
        "reconnect_by": grant.reconnect_by,
    }
    settings_update = {**choice.settings, "page_name": choice.name}
    if choice.instagram:
        settings_update["instagram_account_id"] = choice.instagram["id"]
        settings_update["instagram_username"] = choice.instagram.get("username", "")
    page = _store(
        page,
        settings_update=settings_update,
        credentials={"access_token": choice.secret, "user_access_token": grant.access_token},
        connection_fields={
            **common,
            "account_ref": page_id[:200],
            "account_name": _label(choice),
            "via": None,
            "next_refresh_at": (expires - FACEBOOK_RENEW_BEFORE) if expires else None,
        },
        actor=actor,
        backlog_as_history=backlog_as_history,
    )
    sources = [page]
    if choice.instagram:
        ig = choice.instagram
        username = ig.get("username") or ig["id"]
        insta, _new = _target(
            attempt,
            SourceKind.INSTAGRAM,
            "instagram_account_id",
            ig["id"],
            f"Instagram @{username}",
        )
        sources.append(
            _store(
                insta,
                settings_update={
                    "instagram_account_id": ig["id"],
                    "username": ig.get("username", ""),
                    "page_id": page_id,
                },
                credentials={"access_token": choice.secret},
                connection_fields={
                    **common,
                    "account_ref": ig["id"][:200],
                    "account_name": f"@{username} (through {choice.name})"[:300],
                    "via": page,
                    "next_refresh_at": None,  # renewed with its page
                },
                actor=actor,
                backlog_as_history=backlog_as_history,
            )
        )
    return sources


def _label(choice: Choice) -> str:
    return (f"{choice.name} — {choice.detail}" if choice.detail else choice.name)[:300]


# ------------------------------------------------------------------------ disconnecting
def source_disconnect(*, source: Source, actor: Actor) -> str:
    """Revoke the grant at the platform (unless other sources still use it), delete the
    tokens; the source stays, "not connected". Returns the sentence to show. A platform that
    fails to answer changes nothing (ConnectFailed)."""
    if not source.credentials_encrypted:
        raise ConnectFailed(f"{source.name} is not connected. Nothing was changed.")
    if source.kind not in (SourceKind.GOOGLE, SourceKind.FACEBOOK, SourceKind.INSTAGRAM):
        raise ConnectFailed(
            f"{source.name} keeps a key, not a connection: change it through the API."
        )
    conn = SourceConnection.objects.filter(source=source).first()
    if conn is not None and conn.via_id is not None:
        raise ConnectFailed(
            f"{source.name} is connected through its Facebook page: disconnect the page's "
            "source instead."
        )
    linked = list(Source.objects.filter(connection__via=source).exclude(pk=source.pk))
    every = [source, *linked]
    revoked = ""
    if conn is not None:
        stored = decrypt_json(source.credentials_encrypted)
        token = stored.get("refresh_token") or stored.get("user_access_token") or ""
        words = _platform_words(conn.platform)
        others = grant_users(conn.grant_ref, exclude=[s.pk for s in every])
        if token and others == 0:
            _platform_call(words, lambda: oauth_client(conn.platform).revoke(token))
            revoked = f" Carewatch's access was revoked at {words}."
        elif token:
            revoked = f" The {words} sign-in stays valid because {others} other source(s) use it."
    with transaction.atomic():
        for item in every:
            Source.objects.filter(pk=item.pk).update(
                credentials_encrypted="",
                is_healthy=True,
                consecutive_failures=0,
                last_error="",
                next_poll_at=None,  # not polled any more: no "next poll" to show
            )
            settings_changed(
                actor=actor,
                settings=source_setting_names(item),
                before={"credentials": source_has_credentials(item)},
                after={"credentials": False},
                hidden=("credentials",),
            )
            SourceConnection.objects.filter(source=item).delete()
            source_outages_sync([item.pk], by=actor.name)
            security_event_record(
                event=SOURCE_SECRET,
                actor=actor.user,
                detail={"source_id": item.pk, "kind": item.kind, "disconnected": True},
            )
            _close_warnings(item)
    names = ", ".join(s.name for s in every)
    return f"Disconnected {names}: its tokens were deleted.{revoked}"


def grant_users(grant_ref: str, *, exclude: list[int]) -> int:
    """How many connected sources, in any clinic, use the sign-in `grant_ref` (besides the
    sources `exclude` of the current clinic). Read in every clinic's schema at once
    (`core.tenancy.clinic_schemas_select`); if that fails, assumes some do (the grant is then
    kept, never revoked by mistake)."""
    here, left_out = connection.schema_name, set(exclude)
    try:
        with transaction.atomic():
            rows = clinic_schemas_select(
                "SELECT source_id FROM {table} WHERE grant_ref = %s",
                [grant_ref],
                table=SourceConnection._meta.db_table,
            )
    except DatabaseError:
        logger.warning("could not count the sources on a grant; keeping it", exc_info=True)
        return 1
    return sum(1 for schema, source_id in rows if not (schema == here and source_id in left_out))


# ----------------------------------------------------------------------- keeping alive
def connections_claim_due(now: datetime | None = None) -> list[int]:
    """Source ids whose tokens are due for renewal, pushed REFRESH_CLAIM ahead so that the
    next round does not queue them again while their task waits or runs."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            SourceConnection.objects.select_for_update(skip_locked=True)
            .filter(next_refresh_at__lte=now, lost_at__isnull=True, via__isnull=True)
            .values_list("source_id", flat=True)
        )
        SourceConnection.objects.filter(source_id__in=due).update(
            next_refresh_at=now + REFRESH_CLAIM
        )
    return due


def connection_refresh(*, source_id: int, now: datetime | None = None) -> str:
    """Renew one source's tokens (Google: refresh_token grant; Facebook: the long-lived user
    token exchanged again and the page token read with it). Returns "renewed", "failed" or
    "lost"; failures are recorded and the people who can reconnect are told."""
    now = now or timezone.now()
    conn = SourceConnection.objects.select_related("source").filter(source_id=source_id).first()
    if conn is None or conn.lost_at is not None or not conn.source.credentials_encrypted:
        return "skipped"
    source = conn.source
    stored = decrypt_json(source.credentials_encrypted)
    client = oauth_client(conn.platform)
    try:
        if conn.platform == Platform.GOOGLE:
            grant = client.google_refresh(stored.get("refresh_token", ""))
            credentials = {
                **stored,
                "access_token": grant.access_token,
                "refresh_token": grant.refresh_token,
            }
            next_at = (grant.expires_at - GOOGLE_RENEW_BEFORE) if grant.expires_at else None
            page_token = ""
        else:
            grant = client.facebook_extend(stored.get("user_access_token", ""))
            page = client.facebook_page(grant.access_token, source.settings.get("page_id", ""))
            page_token = page.secret
            credentials = {
                **stored,
                "access_token": page_token,
                "user_access_token": grant.access_token,
            }
            next_at = (grant.expires_at - FACEBOOK_RENEW_BEFORE) if grant.expires_at else None
    except (AuthExpired, ConnectorError) as exc:
        return _refresh_failed(conn, exc, now)
    with transaction.atomic():
        Source.objects.filter(pk=source.pk).update(credentials_encrypted=encrypt_json(credentials))
        fields = {
            "token_expires_at": grant.expires_at,
            "next_refresh_at": max(next_at, now + REFRESH_CLAIM) if next_at else None,
            "refreshed_at": now,
            "refresh_failures": 0,
            "refresh_error": "",
        }
        if grant.reconnect_by:
            fields["reconnect_by"] = grant.reconnect_by
        SourceConnection.objects.filter(pk=conn.pk).update(**fields)
        source_credentials_changed(source.pk)
        for linked in SourceConnection.objects.filter(via=source).select_related("source"):
            Source.objects.filter(pk=linked.source_id).update(
                credentials_encrypted=encrypt_json(
                    {
                        **decrypt_json(linked.source.credentials_encrypted),
                        "access_token": page_token,
                    }
                )
            )
            SourceConnection.objects.filter(pk=linked.pk).update(
                **{k: v for k, v in fields.items() if k != "next_refresh_at"}
            )
            source_credentials_changed(linked.source_id)
        notifications_close(clinic=_clinic(), ref=source_notice_ref(source, "renew"))
    return "renewed"


def _refresh_failed(conn: SourceConnection, exc: ConnectorError, now: datetime) -> str:
    source = conn.source
    words = _platform_words(conn.platform)
    failures = conn.refresh_failures + 1
    lost = isinstance(exc, AuthExpired)
    wait = min(timedelta(minutes=5) * (2 ** min(failures, 8)), MAX_REFRESH_BACKOFF)
    if isinstance(exc, RateLimited):
        wait = max(wait, timedelta(seconds=exc.retry_after_seconds))
    fields = {
        "refresh_failures": failures,
        "refresh_error": str(exc)[:2000],
        "next_refresh_at": None if lost else now + wait,
    }
    clinic = _clinic()
    url = f"/clinics/{clinic.slug}/sources/"
    with transaction.atomic():
        if lost:
            fields["lost_at"] = now
            message = f"{words} refused to renew the access ({_said(exc)}). Reconnect the source."
            for item in [source, *Source.objects.filter(connection__via=source)]:
                Source.objects.filter(pk=item.pk).update(
                    is_healthy=False, last_error=message[:2000], last_error_at=now
                )
            SourceConnection.objects.filter(via=source).update(lost_at=now)
        SourceConnection.objects.filter(pk=conn.pk).update(**fields)
        if lost:
            source_outages_sync(
                [
                    source.pk,
                    *Source.objects.filter(connection__via=source).values_list("pk", flat=True),
                ],
                at=now,
            )
        expired = conn.token_expires_at is not None and conn.token_expires_at <= now + wait
        if lost:
            source_managers_tell(
                clinic,
                source,
                "lost",
                f"{source.name} is disconnected: {words} refused to renew access. Reconnect it.",
                url,
                severity="high",
            )
        elif failures >= NOTIFY_AFTER_FAILURES or expired:
            source_managers_tell(
                clinic,
                source,
                "renew",
                f"{source.name}: renewing the {words} access keeps failing ({_said(exc)}).",
                url,
            )
    logger.warning("source %s: token renewal failed (%d): %r", source.pk, failures, exc)
    return "lost" if lost else "failed"


def connections_warn(now: datetime | None = None) -> int:
    """Tell the people who can reconnect that a connection ends soon (7 days, then 1 day before
    `reconnect_by`: Facebook's data access expiry, which only a new sign-in extends). Returns
    how many warnings went out."""
    now = now or timezone.now()
    sent = 0
    clinic = None
    for conn in SourceConnection.objects.select_related("source").filter(
        reconnect_by__isnull=False, lost_at__isnull=True, via__isnull=True
    ):
        stage = next(
            (name for name, before in reversed(WARN_STAGES) if conn.reconnect_by - before <= now),
            "",
        )
        if not stage or stage == conn.warned or (conn.warned == "1d" and stage == "7d"):
            continue
        clinic = clinic or _clinic()
        words = _platform_words(conn.platform)
        local = timezone.localtime(conn.reconnect_by, clinic_zone(clinic))
        ended = conn.reconnect_by <= now
        title = (
            f"{conn.source.name}: the {words} access has ended. Reconnect it."
            if ended
            else f"{conn.source.name}: the {words} access ends on {local:%Y-%m-%d %H:%M %Z}. "
            "Reconnect it before then."
        )
        source_managers_tell(
            clinic, conn.source, f"expires-{stage}", title, f"/clinics/{clinic.slug}/sources/"
        )
        SourceConnection.objects.filter(pk=conn.pk).update(warned=stage)
        sent += 1
    return sent


def attempts_prune(now: datetime | None = None) -> int:
    """Tokens of attempts nobody finished are erased once the choice has expired; attempts
    older than ATTEMPT_KEEP are deleted. Returns how many were deleted."""
    now = now or timezone.now()
    ConnectAttempt.objects.filter(
        created_at__lt=now - CHOOSE_TTL,
        status__in=[AttemptStatus.STARTED, AttemptStatus.CHOOSING],
    ).update(
        status=AttemptStatus.FAILED,
        error="expired",
        secrets_encrypted="",
        finished_at=now,
    )
    deleted, _ = ConnectAttempt.objects.filter(created_at__lt=now - ATTEMPT_KEEP).delete()
    return deleted


def _clinic() -> Clinic:
    return current_clinic()


WARNING_REFS = ("lost", "renew", "expires-7d", "expires-1d")


def _close_warnings(source: Source) -> None:
    clinic = _clinic()
    for what in WARNING_REFS:
        notifications_close(clinic=clinic, ref=source_notice_ref(source, what))
