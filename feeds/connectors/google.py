"""Google Business Profile (My Business API v4): reviews of one location, and the owner's
reply to them.

Settings: `account_id`, `location_id` (bare ids or "accounts/1"/"locations/2" names),
optional `page_size` (1..50, default 50) and `profile_url` (put on every item as its link:
the API gives reviews no public URL).
Credentials: `access_token` (OAuth 2, scope business.manage); optionally `refresh_token`,
`client_id`, `client_secret` (and `token_uri`, default Google's) to renew it: on a 401 the
connector refreshes once, retries, and leaves the new credentials in
`connector.updated_credentials` for the caller to store (encrypted).

Listing: GET /v4/accounts/{a}/locations/{l}/reviews?pageSize=50&orderBy=updateTime desc,
following nextPageToken. Cursor: a watermark on `updateTime` (newest seen + the ids seen at
that instant), never later than our clock less its skew (`Watermark.not_after`). As the list is newest-updated first, paging stops at the first review older
than the watermark; a review whose text or stars change gets a new updateTime and is listed
again. Reviews deleted on Google just stop appearing: an incremental sync cannot tell; a full
sync (cursor None) lists every review there is, so polling sweeps: now and then it lists them
all and asks Google about each stored review it did not list (`item_exists`: a GET, 404 when
deleted), and marks those Google no longer has as taken down (`feeds.polling`).

Items: external_id = reviewId; rating from starRating ONE..FIVE; edited_at = updateTime when
it differs from createTime; `owner_reply` = reviewReply. language is None (v4 has no field).

Replies: GET .../reviews/{id} first (gone: NotFound; a reply there that the caller did not
write: AnsweredElsewhere, nothing written), then PUT .../reviews/{id}/reply {"comment": text}
(idempotent: a review has one reply, a second PUT replaces it, so retries are safe); DELETE
.../reviews/{id}/reply. Google has no pin, hide or private reply.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

from feeds.connectors.base import (
    Capabilities,
    Connector,
    ExternalItem,
    OwnerReply,
    Page,
    PostedReply,
    Watermark,
    WatermarkBuilder,
    decode_cursor,
    encode_cursor,
    items_past_mark,
    parse_time,
    with_last_cursor,
)
from feeds.connectors.errors import (
    AnsweredElsewhere,
    AuthExpired,
    ConfigurationError,
    ConnectorError,
    NotFound,
    PermanentError,
    RateLimited,
    TransientError,
)
from feeds.connectors.http import HttpErrorInfo, JsonHttpClient, generic_error

log = logging.getLogger("feeds.connectors.google")

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret
STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
REPLY_MAX_CHARS = 4096


def classify_google(info: HttpErrorInfo) -> ConnectorError:
    """Google's error JSON: {"error": {"code": 401, "message": "...", "status": "..."}}."""
    err = info.data.get("error") if isinstance(info.data, dict) else None
    if not isinstance(err, dict):
        return generic_error(
            info, info.text or f"HTTP {info.status}", platform="google", platform_code=None
        )
    message = str(err.get("message") or f"HTTP {info.status}")
    status = str(err.get("status") or "")
    kw = {"platform": "google", "status": info.status, "platform_code": status or err.get("code")}
    if info.status == 401 or status == "UNAUTHENTICATED":
        return AuthExpired(message, **kw)
    if info.status == 429 or status == "RESOURCE_EXHAUSTED":
        return RateLimited(message, retry_after_seconds=info.retry_after, **kw)
    if info.status == 404 or status == "NOT_FOUND":
        return NotFound(message, **kw)
    if info.status >= 500 or status in ("UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED"):
        return TransientError(message, **kw)
    return PermanentError(message, **kw)


def classify_oauth(info: HttpErrorInfo) -> ConnectorError:
    """The token endpoint: {"error": "invalid_grant", "error_description": "..."}."""
    data = info.data if isinstance(info.data, dict) else {}
    code = data.get("error")
    if isinstance(code, str):
        message = str(data.get("error_description") or code)
        kw = {"platform": "google", "status": info.status, "platform_code": code}
        if code in ("invalid_grant", "invalid_client", "unauthorized_client"):
            return AuthExpired(message, **kw)
        if info.status >= 500:
            return TransientError(message, **kw)
        return PermanentError(message, **kw)
    return classify_google(info)


def _edited_or_published(item: ExternalItem) -> datetime:
    return item.edited_at or item.published_at


class GoogleConnector(Connector):
    kind = "google"
    display_name = "Google Business Profile"
    default_base_url = "https://mybusiness.googleapis.com"
    capabilities: ClassVar[Capabilities] = Capabilities(can_reply=True, can_delete_reply=True)

    def __init__(self, settings, credentials, *, base_url=None, options=None) -> None:
        super().__init__(settings, credentials, base_url=base_url, options=options)
        account = self._require(self.settings, "account_id", "the account id")
        location = self._require(self.settings, "location_id", "the location id")
        self.account_id = account.removeprefix("accounts/").strip("/")
        self.location_id = location.rsplit("locations/", 1)[-1].strip("/")
        try:
            self.page_size = max(1, min(50, int(self.settings.get("page_size") or 50)))
        except (TypeError, ValueError):
            raise ConfigurationError(
                "Google Business Profile: page_size must be a number.", platform="google"
            ) from None
        self.access_token = str(self.credentials.get("access_token") or "")
        self.can_refresh = all(
            self.credentials.get(k) for k in ("refresh_token", "client_id", "client_secret")
        )
        if not self.access_token and not self.can_refresh:
            raise ConfigurationError(
                "Google Business Profile: the access token is missing.", platform="google"
            )
        secrets = [
            str(self.credentials.get(k) or "")
            for k in ("access_token", "refresh_token", "client_secret")
        ]
        self.http = JsonHttpClient(
            self.base_url,
            platform="google",
            classify=classify_google,
            secrets=secrets,
            options=self.options,
        )
        self.token_uri = str(self.credentials.get("token_uri") or GOOGLE_TOKEN_URI)
        self.location_path = (
            f"v4/accounts/{quote(self.account_id, safe='')}"
            f"/locations/{quote(self.location_id, safe='')}"
        )

    # ------------------------------------------------------------------- transport
    def _call(self, method: str, path: str, **kw: Any) -> Any:
        if not self.access_token:
            self._refresh()
        try:
            return self.http.request(method, path, headers=self._auth(), **kw)
        except AuthExpired:
            if not self.can_refresh:
                raise
        self._refresh()
        return self.http.request(method, path, headers=self._auth(), **kw)

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def _refresh(self) -> None:
        if not self.can_refresh:
            raise AuthExpired(
                "Google Business Profile: the access token is missing and cannot be renewed.",
                platform="google",
            )
        data = self.http.request(
            "POST",
            self.token_uri,
            form={
                "grant_type": "refresh_token",
                "refresh_token": self.credentials["refresh_token"],
                "client_id": self.credentials["client_id"],
                "client_secret": self.credentials["client_secret"],
            },
            idempotent=True,  # asking for a fresh token twice is harmless
            classify=classify_oauth,
        )
        token = data.get("access_token") if isinstance(data, dict) else None
        if not token:
            raise TransientError(
                "Google's token endpoint returned no access token.", platform="google"
            )
        self.http.add_secret(token)
        self.access_token = token
        self.credentials["access_token"] = token
        self.updated_credentials = dict(self.credentials)
        log.info("google: access token renewed for location %s", self.location_id)

    # --------------------------------------------------------------------- reading
    def list_items(self, since_cursor: str | None) -> Iterator[Page]:
        state = decode_cursor(self.kind, since_cursor)
        ceiling = self.watermark_ceiling()
        mark = Watermark.from_json(state.get("w")).not_after(ceiling)
        builder = WatermarkBuilder(mark)

        def pages() -> Iterator[list[ExternalItem]]:
            token: str | None = None
            seen_tokens: set[str] = set()
            while True:
                params = {"pageSize": self.page_size, "orderBy": "updateTime desc"}
                if token:
                    params["pageToken"] = token
                data = self._call("GET", f"{self.location_path}/reviews", params=params)
                items, reached_old = items_past_mark(
                    map(self.to_item, data.get("reviews") or []),
                    mark,
                    builder,
                    changed_at=_edited_or_published,  # the list is by updateTime
                )
                yield items
                token = data.get("nextPageToken") or None
                if not token or reached_old or token in seen_tokens:
                    return
                seen_tokens.add(token)

        def cursor() -> str:
            return encode_cursor(self.kind, w=builder.build(not_after=ceiling).to_json())

        return with_last_cursor(pages(), cursor)

    def to_item(self, review: dict) -> ExternalItem:
        review_id = str(review.get("reviewId") or str(review.get("name", "")).rsplit("/", 1)[-1])
        created = parse_time(review["createTime"])
        updated = parse_time(review.get("updateTime") or review["createTime"])
        reviewer = review.get("reviewer") or {}
        reply = review.get("reviewReply")
        owner_reply = None
        if isinstance(reply, dict) and reply.get("comment") is not None:
            owner_reply = OwnerReply(
                text=str(reply["comment"]),
                updated_at=parse_time(reply["updateTime"]) if reply.get("updateTime") else None,
            )
        return ExternalItem(
            external_id=review_id,
            kind="review",
            author_name=str(reviewer.get("displayName") or ""),
            rating=STARS.get(str(review.get("starRating") or "")),
            text=str(review.get("comment") or ""),
            language=None,
            url=str(self.settings.get("profile_url") or ""),
            published_at=created,
            edited_at=updated if updated != created else None,
            owner_reply=owner_reply,
            raw=review,
        )

    def check(self) -> None:
        self._call("GET", f"{self.location_path}/reviews", params={"pageSize": 1})

    # A review deleted on Google just stops being listed (see the module's docstring).
    sweeps_for_deletions = True

    def item_exists(self, external_id: str) -> bool:
        """GET the review: NotFound means Google no longer has it."""
        try:
            self._call("GET", f"{self.location_path}/reviews/{quote(external_id, safe='')}")
        except NotFound:
            return False
        return True

    # --------------------------------------------------------------------- writing
    def _reply_path(self, external_id: str) -> str:
        return f"{self.location_path}/reviews/{quote(external_id, safe='')}/reply"

    def post_reply(
        self,
        external_id: str,
        text: str,
        *,
        idempotency_key: str,
        may_replace: Collection[str] = (),
    ) -> PostedReply:
        """PUT the reply (creates or replaces the one reply). Safe to call again with the same
        key after any failure: the result is the same single reply. The review is read first:
        gone, NotFound; already answered with this text, nothing is written; answered with
        another text that is not one of `may_replace` (the business answered on Google
        itself), AnsweredElsewhere, and its words stay."""
        self._check_text(text, REPLY_MAX_CHARS)
        review = self._call("GET", f"{self.location_path}/reviews/{quote(external_id, safe='')}")
        reply = review.get("reviewReply") if isinstance(review, dict) else None
        there = str(reply.get("comment") or "").strip() if isinstance(reply, dict) else ""
        if there and there == text.strip():
            return PostedReply(
                external_reply_id=external_id, url=None, already_existed=True, raw=reply
            )
        if there and there not in {t.strip() for t in may_replace}:
            raise AnsweredElsewhere(
                "Google Business Profile already shows a reply from the business that "
                f"Carewatch did not post: “{there[:300]}”. Carewatch did not replace it.",
                existing_text=there,
                platform="google",
            )
        data = self._call("PUT", self._reply_path(external_id), json_body={"comment": text})
        log.info("google: replied to review %s (key %s)", external_id, idempotency_key)
        return PostedReply(external_reply_id=external_id, url=None, raw=data or {})

    def delete_reply(self, external_reply_id: str) -> None:
        """Remove the reply of a review (the id post_reply returned). Already gone: done."""
        try:
            self._call("DELETE", self._reply_path(external_reply_id))
        except NotFound:
            log.info("google: no reply to delete on review %s", external_reply_id)
