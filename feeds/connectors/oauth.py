"""OAuth 2 authorization-code flow and token upkeep for Google Business Profile and Facebook
pages (pure Python, no Django): the addresses and app credentials come in an `OAuthApp`.

Google (web server flow, with PKCE): the consent page at `authorize_url` with scopes
`openid email https://www.googleapis.com/auth/business.manage`, `access_type=offline` and
`prompt=consent` (so that a refresh token is issued every time); the code is exchanged at
`token_url` (grant_type=authorization_code) for an access token (about an hour), a refresh token
and an OpenID `id_token` (who signed in). Locations: GET `accounts_url` (Account Management
API v1, `accounts[].name` "accounts/1"), then for each account GET
`{locations_url}/accounts/1/locations?readMask=name,title,storefrontAddress,metadata` (Business
Information API v1). Renewal: grant_type=refresh_token. Revocation: POST `revoke_url`
token=<refresh token>; it ends the whole grant (every token Google issued to this app for that
person).

Facebook (manual login flow): the dialog at `authorize_url` with the page scopes below; the
code is exchanged at `token_url` for a short-lived user token, which is exchanged at once
(grant_type=fb_exchange_token) for a long-lived one (about 60 days). GET /me (who signed in),
GET /debug_token (its data access expiry: after about 90 days a person must sign in again),
GET /me/accounts?fields=id,name,access_token,tasks,instagram_business_account{id,username}:
the pages with their page tokens (which do not expire when made from a long-lived user token)
and each page's Instagram business account. Renewal: the long-lived user token is exchanged
again before it expires and the page token read again with it. Revocation:
DELETE /me/permissions ends the app's whole authorization by that person.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from feeds.connectors.errors import (
    AuthExpired,
    ConnectorError,
    NotFound,
    PermanentError,
    TransientError,
)
from feeds.connectors.facebook import classify_facebook
from feeds.connectors.google import classify_google, classify_oauth
from feeds.connectors.http import HttpOptions, JsonHttpClient

GOOGLE_SCOPES = "openid email https://www.googleapis.com/auth/business.manage"
FACEBOOK_SCOPES = ",".join(
    [
        "pages_show_list",
        "pages_read_engagement",
        "pages_read_user_content",
        "pages_manage_engagement",
        "pages_manage_posts",
        "pages_messaging",
        "instagram_basic",
        "instagram_manage_comments",
        "business_management",
    ]
)
PAGE_FIELDS = "id,name,access_token,tasks,instagram_business_account{id,username}"
MAX_LISTED = 500  # locations or pages offered at most (Google lists 100 a page)


@dataclass(frozen=True)
class OAuthApp:
    """The agency's app on one platform and the platform's addresses."""

    platform: str  # "google" | "facebook"
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    revoke_url: str = ""  # Google
    accounts_url: str = ""  # Google: Account Management API, .../v1/accounts
    locations_url: str = ""  # Google: Business Information API, .../v1
    graph_url: str = ""  # Facebook: https://graph.facebook.com/v21.0

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)


@dataclass
class Grant:
    """What the code exchange (or a renewal) gave. `user_token` is Facebook's long-lived user
    token; for Google the access and refresh tokens are the source's own credentials."""

    access_token: str
    expires_at: datetime | None
    refresh_token: str = ""
    user_id: str = ""
    user_name: str = ""  # shown: an e-mail address or a Facebook name
    reconnect_by: datetime | None = None  # Facebook data access expiry

    def secrets(self) -> dict:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": _stamp(self.expires_at),
            "reconnect_by": _stamp(self.reconnect_by),
            "user_id": self.user_id,
            "user_name": self.user_name,
        }

    @classmethod
    def from_secrets(cls, data: dict) -> Grant:
        return cls(
            access_token=str(data.get("access_token") or ""),
            expires_at=_unstamp(data.get("expires_at")),
            refresh_token=str(data.get("refresh_token") or ""),
            user_id=str(data.get("user_id") or ""),
            user_name=str(data.get("user_name") or ""),
            reconnect_by=_unstamp(data.get("reconnect_by")),
        )


@dataclass(frozen=True)
class Choice:
    """A location or page the person may connect. `secret` (a page token) never leaves the
    encrypted store; the rest is shown."""

    id: str
    name: str
    detail: str
    settings: dict = field(default_factory=dict)
    secret: str = ""
    instagram: dict | None = None  # {"id", "username"} of the page's Instagram account

    def public(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "detail": self.detail,
            "settings": self.settings,
            "instagram": self.instagram,
        }


def _stamp(value: datetime | None) -> int | None:
    return int(value.timestamp()) if value else None


def _unstamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def _expiry(seconds: Any, now: datetime) -> datetime | None:
    try:
        return now + timedelta(seconds=int(seconds)) if seconds else None
    except (TypeError, ValueError):
        return None


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge) of RFC 7636."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


class OAuthClient:
    """One platform's flow. Every method raises the connectors' errors (errors.py) with the
    platform's own message, credentials redacted."""

    def __init__(
        self,
        app: OAuthApp,
        *,
        options: HttpOptions | None = None,
        now=lambda: datetime.now(UTC),
    ) -> None:
        self.app = app
        self.now = now
        classify = classify_google if app.platform == "google" else classify_facebook
        self.http = JsonHttpClient(
            app.token_url,
            platform=app.platform,
            classify=classify,
            secrets=[app.client_secret],
            options=options or HttpOptions(),
        )

    def _secret(self, *values: str) -> None:
        for value in values:
            self.http.add_secret(value)

    # ------------------------------------------------------------------ consent
    def authorize_url(self, *, redirect_uri: str, state: str, code_challenge: str = "") -> str:
        if self.app.platform == "google":
            query = {
                "client_id": self.app.client_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": GOOGLE_SCOPES,
                "access_type": "offline",
                "prompt": "consent",
                "include_granted_scopes": "true",
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        else:
            query = {
                "client_id": self.app.client_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": FACEBOOK_SCOPES,
                "state": state,
            }
        joiner = "&" if "?" in self.app.authorize_url else "?"
        return f"{self.app.authorize_url}{joiner}{urlencode(query)}"

    # ------------------------------------------------------------- code → grant
    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str = "") -> Grant:
        self._secret(code, code_verifier)
        if self.app.platform == "google":
            return self._google_exchange(code, redirect_uri, code_verifier)
        return self._facebook_exchange(code, redirect_uri)

    def _google_exchange(self, code: str, redirect_uri: str, verifier: str) -> Grant:
        now = self.now()
        data = self.http.request(
            "POST",
            self.app.token_url,
            form={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": self.app.client_id,
                "client_secret": self.app.client_secret,
                "code_verifier": verifier or None,
            },
            idempotent=False,  # a code is single use
            classify=classify_oauth,
        )
        access = str(data.get("access_token") or "") if isinstance(data, dict) else ""
        if not access:
            raise TransientError("Google's token endpoint returned no access token.")
        refresh = str(data.get("refresh_token") or "")
        self._secret(access, refresh)
        if not refresh:
            raise PermanentError(
                "Google gave no refresh token, so the connection could not be renewed. "
                "Remove Carewatch's access in the Google account (Security → Third-party "
                "access) and connect again.",
                platform="google",
            )
        claims = _id_token_claims(data.get("id_token"))
        return Grant(
            access_token=access,
            refresh_token=refresh,
            expires_at=_expiry(data.get("expires_in"), now),
            user_id=str(claims.get("sub") or ""),
            user_name=str(claims.get("email") or ""),
        )

    def _facebook_exchange(self, code: str, redirect_uri: str) -> Grant:
        short = self.http.request(
            "GET",
            self.app.token_url,
            params={
                "client_id": self.app.client_id,
                "client_secret": self.app.client_secret,
                "redirect_uri": redirect_uri,
                "code": code,
            },
        )
        token = str(short.get("access_token") or "") if isinstance(short, dict) else ""
        if not token:
            raise TransientError("Facebook's token endpoint returned no access token.")
        self._secret(token)
        return self.facebook_extend(token)

    def facebook_extend(self, user_token: str) -> Grant:
        """A long-lived user token for `user_token` (short- or long-lived), with who it is
        and when its data access ends."""
        now = self.now()
        data = self.http.request(
            "GET",
            self.app.token_url,
            params={
                "grant_type": "fb_exchange_token",
                "client_id": self.app.client_id,
                "client_secret": self.app.client_secret,
                "fb_exchange_token": user_token,
            },
        )
        token = str(data.get("access_token") or "") if isinstance(data, dict) else ""
        if not token:
            raise TransientError("Facebook returned no long-lived token.", platform="facebook")
        self._secret(token)
        me = self._graph("GET", "me", token, params={"fields": "id,name"})
        debug = self._graph(
            "GET",
            "debug_token",
            f"{self.app.client_id}|{self.app.client_secret}",
            params={"input_token": token},
        ).get("data", {})
        expires = _expiry(data.get("expires_in"), now)
        if not expires and debug.get("expires_at"):
            expires = _unstamp(debug["expires_at"])
        return Grant(
            access_token=token,
            expires_at=expires,
            user_id=str(me.get("id") or ""),
            user_name=str(me.get("name") or ""),
            reconnect_by=_unstamp(debug.get("data_access_expires_at")),
        )

    # ----------------------------------------------------------------- listings
    def choices(self, grant: Grant) -> list[Choice]:
        if self.app.platform == "google":
            return self._google_locations(grant.access_token)
        return self._facebook_pages(grant.access_token)

    def _google_get(self, url: str, token: str, params: dict) -> dict:
        data = self.http.request(
            "GET", url, params=params, headers={"Authorization": f"Bearer {token}"}
        )
        return data if isinstance(data, dict) else {}

    def _google_locations(self, token: str) -> list[Choice]:
        self._secret(token)
        accounts: list[dict] = []
        page: str | None = None
        while len(accounts) < MAX_LISTED:
            data = self._google_get(self.app.accounts_url, token, {"pageToken": page})
            accounts += [a for a in data.get("accounts") or [] if isinstance(a, dict)]
            page = data.get("nextPageToken") or None
            if not page:
                break
        out: list[Choice] = []
        for account in accounts:
            account_name = str(account.get("name") or "")
            if not account_name.startswith("accounts/"):
                continue
            page = None
            while len(out) < MAX_LISTED:
                data = self._google_get(
                    f"{self.app.locations_url.rstrip('/')}/{account_name}/locations",
                    token,
                    {
                        "readMask": "name,title,storefrontAddress,metadata",
                        "pageSize": 100,
                        "pageToken": page,
                    },
                )
                for location in data.get("locations") or []:
                    choice = _google_choice(account, location)
                    if choice is not None:
                        out.append(choice)
                page = data.get("nextPageToken") or None
                if not page:
                    break
        return out

    def _graph(self, method: str, path: str, token: str, params: dict | None = None) -> dict:
        self._secret(token)
        url = path if path.startswith("http") else f"{self.app.graph_url.rstrip('/')}/{path}"
        data = self.http.request(method, url, params={**(params or {}), "access_token": token})
        return data if isinstance(data, dict) else {}

    def _facebook_pages(self, user_token: str) -> list[Choice]:
        out: list[Choice] = []
        url = "me/accounts"
        params: dict | None = {"fields": PAGE_FIELDS, "limit": 100}
        while len(out) < MAX_LISTED:
            data = self._graph("GET", url, user_token, params)
            for page in data.get("data") or []:
                choice = _facebook_choice(page)
                if choice is not None:
                    self._secret(choice.secret)
                    out.append(choice)
            after = ((data.get("paging") or {}).get("cursors") or {}).get("after")
            if not (data.get("paging") or {}).get("next") or not after:
                break
            params = {"fields": PAGE_FIELDS, "limit": 100, "after": after}
        return out

    # ------------------------------------------------------------------ upkeep
    def google_refresh(self, refresh_token: str) -> Grant:
        now = self.now()
        self._secret(refresh_token)
        data = self.http.request(
            "POST",
            self.app.token_url,
            form={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self.app.client_id,
                "client_secret": self.app.client_secret,
            },
            idempotent=True,  # asking for a fresh token twice is harmless
            classify=classify_oauth,
        )
        access = str(data.get("access_token") or "") if isinstance(data, dict) else ""
        if not access:
            raise TransientError("Google's token endpoint returned no access token.")
        return Grant(
            access_token=access,
            refresh_token=str(data.get("refresh_token") or refresh_token),
            expires_at=_expiry(data.get("expires_in"), now),
        )

    def facebook_page(self, user_token: str, page_id: str) -> Choice:
        """The page as `user_token` sees it now, with a fresh page token."""
        data = self._graph("GET", page_id, user_token, {"fields": PAGE_FIELDS})
        choice = _facebook_choice(data)
        if choice is None:
            raise NotFound(
                "Facebook no longer gives this person a token for the page (they may have "
                "lost their role on it).",
                platform="facebook",
            )
        self._secret(choice.secret)
        return choice

    def revoke(self, token: str) -> bool:
        """Ends the grant at the platform. True when the platform confirmed it or says the
        token is already dead; raises on anything else (nothing is known to be revoked)."""
        self._secret(token)
        try:
            if self.app.platform == "google":
                self.http.request(
                    "POST",
                    self.app.revoke_url,
                    form={"token": token},
                    idempotent=True,
                    classify=classify_oauth,
                )
            else:
                self._graph("DELETE", "me/permissions", token)
        except AuthExpired:
            return True  # already revoked or expired: nothing left to end
        except PermanentError as exc:
            if _already_invalid(exc):
                return True
            raise
        return True


def _already_invalid(exc: ConnectorError) -> bool:
    return str(exc.platform_code or "") in ("invalid_token", "190")


def _id_token_claims(id_token: Any) -> dict:
    """The claims of the OpenID id_token that came straight from Google's token endpoint over
    TLS (which is why its signature need not be checked: Google's own guidance)."""
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        return {}
    body = id_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, TypeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _google_choice(account: dict, location: Any) -> Choice | None:
    if not isinstance(location, dict):
        return None
    name = str(location.get("name") or "")  # "locations/456"
    location_id = name.rsplit("/", 1)[-1]
    account_id = str(account.get("name") or "").removeprefix("accounts/")
    if not location_id or not account_id:
        return None
    address = location.get("storefrontAddress") or {}
    parts = [
        *(address.get("addressLines") or []),
        address.get("locality") or "",
        address.get("postalCode") or "",
    ]
    detail = ", ".join(str(p) for p in parts if p)
    metadata = location.get("metadata") or {}
    settings = {"account_id": account_id, "location_id": location_id}
    if metadata.get("mapsUri"):
        settings["profile_url"] = str(metadata["mapsUri"])
    account_label = str(account.get("accountName") or "")
    return Choice(
        id=f"accounts/{account_id}/locations/{location_id}",
        name=str(location.get("title") or location_id),
        detail=" · ".join(p for p in (detail, account_label) if p),
        settings=settings,
    )


def _facebook_choice(page: Any) -> Choice | None:
    if not isinstance(page, dict) or not page.get("id") or not page.get("access_token"):
        return None
    instagram = page.get("instagram_business_account")
    ig = None
    if isinstance(instagram, dict) and instagram.get("id"):
        ig = {"id": str(instagram["id"]), "username": str(instagram.get("username") or "")}
    detail = f"Instagram @{ig['username']}" if ig and ig["username"] else ""
    if ig and not detail:
        detail = "with its Instagram business account"
    return Choice(
        id=str(page["id"]),
        name=str(page.get("name") or page["id"]),
        detail=detail or "no Instagram business account linked",
        settings={"page_id": str(page["id"])},
        secret=str(page["access_token"]),
        instagram=ig,
    )
