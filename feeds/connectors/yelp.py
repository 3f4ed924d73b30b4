"""Yelp Fusion (Places API): reviews of one business. Read-only.

Yelp's public API cannot reply, hide or pin: every write raises NotSupported with
YELP_READ_ONLY, the sentence to show users. It also returns only a few review *excerpts*
(three on the standard plans, up to `limit` on others), each text cut to about 160
characters, ending in "...": the item's `url` leads to the full review on Yelp. Reviews
beyond those Yelp shows cannot be listed.

Settings: `business_id` (id or alias); optional `locale` (e.g. "en_US"; also sets the items'
language), `limit` (1..50, default 20), `time_zone` (default "America/Los_Angeles": Yelp
gives time_created as a local "YYYY-MM-DD HH:MM:SS" in Pacific time).
Credentials: `api_key` (sent as "Authorization: Bearer ...").

Listing: GET /v3/businesses/{id}/reviews?limit=..&offset=..&sort_by=newest, pages by offset
until `total`, a short page, or a review older than the cursor. Cursor: a watermark on
time_created, never later than our clock less its skew (Yelp gives no edit time, so an edited review is seen as changed only when Yelp
moves its time_created or on a full sync).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import ClassVar
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feeds.connectors.base import (
    Capabilities,
    Connector,
    ExternalItem,
    Page,
    Watermark,
    WatermarkBuilder,
    decode_cursor,
    encode_cursor,
    items_past_mark,
    parse_time,
    with_last_cursor,
)
from feeds.connectors.errors import (
    AuthExpired,
    ConfigurationError,
    ConnectorError,
    NotFound,
    PermanentError,
    RateLimited,
    TransientError,
)
from feeds.connectors.http import HttpErrorInfo, JsonHttpClient, generic_error

log = logging.getLogger("feeds.connectors.yelp")

YELP_READ_ONLY = "Yelp Fusion is read-only: replies must be posted by hand in Yelp for Business"
AUTH_CODES = {
    "TOKEN_INVALID",
    "TOKEN_MISSING",
    "UNAUTHORIZED_ACCESS_TOKEN",
    "AUTHORIZATION_ERROR",
    "UNAUTHORIZED",
}
NOT_FOUND_CODES = {"BUSINESS_NOT_FOUND", "NOT_FOUND", "BUSINESS_UNAVAILABLE"}
TRANSIENT_CODES = {"INTERNAL_ERROR", "SERVICE_UNAVAILABLE"}


def classify_yelp(info: HttpErrorInfo) -> ConnectorError:
    """{"error": {"code": "TOKEN_INVALID", "description": "..."}}"""
    err = info.data.get("error") if isinstance(info.data, dict) else None
    if not isinstance(err, dict):
        return generic_error(info, info.text or f"HTTP {info.status}", platform="yelp")
    code = str(err.get("code") or "")
    message = str(err.get("description") or code or f"HTTP {info.status}")
    kw = {"platform": "yelp", "status": info.status, "platform_code": code or None}
    if code in AUTH_CODES or info.status == 401:
        return AuthExpired(message, **kw)
    if code == "TOO_MANY_REQUESTS_PER_SECOND":
        # a per-second limit: a second is enough when Yelp does not say more
        wait = info.retry_after if info.retry_after is not None else 1.0
        return RateLimited(message, retry_after_seconds=wait, **kw)
    if code == "ACCESS_LIMIT_REACHED" or info.status == 429:
        return RateLimited(message, retry_after_seconds=info.retry_after, **kw)
    if code in NOT_FOUND_CODES or info.status == 404:
        return NotFound(message, **kw)
    if code in TRANSIENT_CODES or info.status >= 500:
        return TransientError(message, **kw)
    return PermanentError(message, **kw)


class YelpConnector(Connector):
    kind = "yelp"
    display_name = "Yelp"
    default_base_url = "https://api.yelp.com"
    capabilities: ClassVar[Capabilities] = Capabilities(read_only_reason=YELP_READ_ONLY)

    def __init__(self, settings, credentials, *, base_url=None, options=None) -> None:
        super().__init__(settings, credentials, base_url=base_url, options=options)
        self.business_id = self._require(self.settings, "business_id", "the business id")
        api_key = self._require(self.credentials, "api_key", "the API key")
        try:
            self.limit = max(1, min(50, int(self.settings.get("limit") or 20)))
            self.zone = ZoneInfo(str(self.settings.get("time_zone") or "America/Los_Angeles"))
        except (TypeError, ValueError, ZoneInfoNotFoundError):
            raise ConfigurationError(
                "Yelp: limit must be a number and time_zone a time zone name.", platform="yelp"
            ) from None
        self.locale = str(self.settings.get("locale") or "") or None
        self.language = self.locale.split("_")[0].lower() if self.locale else None
        self.http = JsonHttpClient(
            self.base_url,
            platform="yelp",
            classify=classify_yelp,
            headers={"Authorization": f"Bearer {api_key}"},
            secrets=[api_key],
            options=self.options,
        )
        self.path = f"v3/businesses/{quote(self.business_id, safe='')}/reviews"

    def list_items(self, since_cursor: str | None) -> Iterator[Page]:
        ceiling = self.watermark_ceiling()
        mark = Watermark.from_json(decode_cursor(self.kind, since_cursor).get("w"))
        mark = mark.not_after(ceiling)
        builder = WatermarkBuilder(mark)

        def pages() -> Iterator[list[ExternalItem]]:
            offset = 0
            while True:
                params = {"limit": self.limit, "offset": offset, "sort_by": "newest"}
                if self.locale:
                    params["locale"] = self.locale
                data = self.http.request("GET", self.path, params=params)
                reviews = data.get("reviews") or []
                items, reached_old = items_past_mark(map(self.to_item, reviews), mark, builder)
                yield items
                offset += len(reviews)
                total = int(data.get("total") or 0)
                if reached_old or len(reviews) < self.limit or offset >= total:
                    return

        def cursor() -> str:
            return encode_cursor(self.kind, w=builder.build(not_after=ceiling).to_json())

        return with_last_cursor(pages(), cursor)

    def to_item(self, review: dict) -> ExternalItem:
        user = review.get("user") or {}
        rating = review.get("rating")
        return ExternalItem(
            external_id=str(review["id"]),
            kind="review",
            author_name=str(user.get("name") or ""),
            rating=int(rating) if isinstance(rating, (int, float)) and 1 <= rating <= 5 else None,
            text=str(review.get("text") or ""),
            language=self.language,
            url=str(review.get("url") or ""),
            published_at=self._time(str(review["time_created"])),
            raw=review,
        )

    def _time(self, value: str) -> datetime:
        if "T" in value or value.endswith("Z") or "+" in value:
            return parse_time(value)
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=self.zone)

    def check(self) -> None:
        self.http.request("GET", self.path, params={"limit": 1, "sort_by": "newest"})
