"""The connector interface: one class per platform, no Django.

A sync is::

    connector = make_connector(source.kind, source.settings, credentials)
    for page in connector.list_items(source.cursor or None):
        upsert(page.items)                      # idempotent on (source, external_id)
        if page.next_cursor is not None:        # only the last page carries it
            source.cursor = page.next_cursor    # store it after the items are stored

The cursor is an opaque string (at most CURSOR_MAX_LENGTH characters) that the connector
produced; pass None (or "") for a full sync. A sync always ends with a Page carrying the new
cursor (its items may be empty), and only that last page carries one,
because platforms list newest first: committing the watermark before the older pages were
stored would lose them if the sync died half-way. A cursor the connector cannot read (from
another platform, an older format, corrupted) is ignored with a warning: the sync is then a
full one, which the idempotent upsert absorbs.
"""

from __future__ import annotations

import abc
import hashlib
import json
import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from feeds.connectors.errors import ConfigurationError, NotSupported
from feeds.connectors.http import HttpOptions

log = logging.getLogger("feeds.connectors")

ITEM_KINDS = ("review", "comment", "mention")
CURSOR_MAX_LENGTH = 500  # feeds.Source.cursor is a CharField(max_length=500)


# ----------------------------------------------------------------------------- values
@dataclass(frozen=True)
class OwnerReply:
    """The business's public reply as the platform shows it (Google's reviewReply)."""

    text: str
    updated_at: datetime | None


@dataclass(frozen=True)
class ExternalItem:
    """One review, comment or mention as the platform shows it now. Built only from the
    platform's answer, so the same answer always gives an equal item (for "unchanged")."""

    external_id: str
    kind: str  # "review" | "comment" | "mention"
    author_name: str
    rating: int | None  # 1..5, None when the platform has no stars
    text: str
    language: str | None
    url: str  # "" when the platform gives no link
    published_at: datetime  # aware
    edited_at: datetime | None = None  # aware; None when never edited (or unknown)
    likes: int = 0
    shares: int = 0
    replies: int = 0
    parent_external_id: str | None = None
    deleted: bool = False
    by_owner: bool = False  # written by the business itself (e.g. the page's own reply)
    owner_reply: OwnerReply | None = None
    raw: dict = field(default_factory=dict, hash=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in ITEM_KINDS:
            raise ValueError(f"kind must be one of {ITEM_KINDS}, not {self.kind!r}")
        if self.rating is not None and not 1 <= self.rating <= 5:
            raise ValueError(f"rating must be 1..5 or None, not {self.rating!r}")
        for name in ("published_at", "edited_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")
        if not self.external_id:
            raise ValueError("external_id is required")


@dataclass(frozen=True)
class Page:
    """Items from one platform page. `next_cursor` is None except on the last page of a sync,
    where it is the cursor to store once the items are stored."""

    items: list[ExternalItem]
    next_cursor: str | None = None


@dataclass(frozen=True)
class SyncResult:
    items: list[ExternalItem]
    next_cursor: str
    pages: int


@dataclass(frozen=True)
class Capabilities:
    can_reply: bool = False
    can_private_reply: bool = False
    can_pin: bool = False
    can_hide: bool = False
    can_delete_reply: bool = False
    can_publish_post: bool = False
    read_only_reason: str | None = None  # the plain sentence to show when nothing is possible


@dataclass(frozen=True)
class PostedReply:
    """`external_reply_id`: the platform's id of what we posted (Google: the review id, as a
    review has one reply). `already_existed`: an identical reply by the business was found
    and nothing new was posted (a retry after an ambiguous failure)."""

    external_reply_id: str
    url: str | None = None
    already_existed: bool = False
    raw: dict = field(default_factory=dict, hash=False, repr=False, compare=False)


# ---------------------------------------------------------------------- watermark cursor
MAX_SEEN = 8
# How far a platform's clock may differ from ours (feeds.validation.FUTURE_TOLERANCE is this).
CLOCK_SKEW = timedelta(minutes=5)


def _short(external_id: str) -> str:
    return hashlib.sha256(external_id.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Watermark:
    """The newest time seen, plus (short hashes of) the ids seen exactly at that time, so
    that an item sharing the newest timestamp is neither lost nor repeated. `seen` is None
    when too many items shared it: those are then all listed again (never lost)."""

    at: datetime | None = None
    seen: frozenset[str] | None = frozenset()

    def admits(self, when: datetime, external_id: str) -> bool:
        if self.at is None or when > self.at:
            return True
        if when < self.at:
            return False
        return self.seen is None or _short(external_id) not in self.seen

    def not_after(self, ceiling: datetime) -> Watermark:
        """This mark, or `ceiling` (with no ids seen) when the mark is later. A platform's time
        ahead of ours must not become the mark: an item the platform dates between our clock
        and that time (another of its servers, a clock put right) would be older than the mark
        and never listed. Items past the ceiling are listed again on the next sync, which the
        upsert by platform id absorbs."""
        if self.at is None or self.at <= ceiling:
            return self
        return Watermark(ceiling, frozenset())

    def is_behind(self, when: datetime) -> bool:
        """True when `when` is older than the watermark (newest-first lists stop there)."""
        return self.at is not None and when < self.at

    def to_json(self) -> dict | None:
        if self.at is None:
            return None
        out: dict[str, Any] = {"t": format_time(self.at)}
        out["s"] = None if self.seen is None else sorted(self.seen)
        return out

    @classmethod
    def from_json(cls, data: Any) -> Watermark:
        if not data:
            return cls()
        seen = data.get("s")
        return cls(
            at=parse_time(data["t"]), seen=None if seen is None else frozenset(map(str, seen))
        )


class WatermarkBuilder:
    def __init__(self, start: Watermark) -> None:
        self.at = start.at
        self.seen: set[str] | None = None if start.seen is None else set(start.seen)

    def observe(self, when: datetime, external_id: str) -> None:
        if self.at is None or when > self.at:
            self.at, self.seen = when, {_short(external_id)}
        elif when == self.at and self.seen is not None:
            self.seen.add(_short(external_id))

    def build(self, *, not_after: datetime | None = None) -> Watermark:
        if self.seen is not None and len(self.seen) > MAX_SEEN:
            mark = Watermark(self.at, None)
        else:
            mark = Watermark(self.at, None if self.seen is None else frozenset(self.seen))
        return mark if not_after is None else mark.not_after(not_after)


def _published_at(item: ExternalItem) -> datetime:
    return item.published_at


def items_past_mark(
    items: Iterable[ExternalItem],
    mark: Watermark,
    builder: WatermarkBuilder,
    *,
    changed_at: Callable[[ExternalItem], datetime] = _published_at,
) -> tuple[list[ExternalItem], bool]:
    """Of one page of a newest-first list, the items `mark` admits (each observed by
    `builder`), and whether the page reached an item older than `mark` (the list can stop
    after it). An item's time is `changed_at(item)`: when it was published, unless the
    platform lists by when it was last changed."""
    admitted, reached_old = [], False
    for item in items:
        when = changed_at(item)
        if mark.is_behind(when):
            reached_old = True
        elif mark.admits(when, item.external_id):
            admitted.append(item)
            builder.observe(when, item.external_id)
    return admitted, reached_old


def encode_cursor(kind: str, **parts: Any) -> str:
    body = {"k": kind, "v": 1, **{k: v for k, v in parts.items() if v is not None}}
    text = json.dumps(body, separators=(",", ":"), sort_keys=True)
    if len(text) > CURSOR_MAX_LENGTH:  # cannot happen with MAX_SEEN; guard anyway
        raise ValueError(f"cursor of {len(text)} characters is too long")
    return text


def decode_cursor(kind: str, cursor: str | None) -> dict:
    """The parts of a cursor made by `encode_cursor(kind, ...)`; {} for None/"" or for a
    cursor this connector cannot read (logged; the sync becomes a full one)."""
    if not cursor:
        return {}
    try:
        body = json.loads(cursor)
        if not isinstance(body, dict) or body.get("k") != kind or body.get("v") != 1:
            raise ValueError("not a cursor of this connector")
        for value in body.values():
            if isinstance(value, dict):
                Watermark.from_json(value)  # validates
    except (ValueError, TypeError, KeyError) as exc:
        log.warning("%s: ignoring unreadable cursor (%s); doing a full sync", kind, exc)
        return {}
    return body


# ----------------------------------------------------------------------------- times
def parse_time(value: str) -> datetime:
    """An aware datetime from an ISO 8601 / RFC 3339 string ("Z", "+0000" and fractions of
    any length accepted); naive input is taken as UTC."""
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-4:].isdigit() and ":" not in text[-5:]:
        text = text[:-2] + ":" + text[-2:]  # +0000 -> +00:00 (Graph API)
    if "." in text:  # fractions longer than 6 digits (Google sends nanoseconds)
        head, _, tail = text.partition(".")
        digits = "".join(c for c in tail if c.isdigit())
        zone = tail[len(digits) :]
        text = f"{head}.{(digits + '000000')[:6]}{zone}"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# ----------------------------------------------------------------------------- interface
class Connector(abc.ABC):
    """One platform account (a Google location, a Facebook page, a Yelp business)."""

    kind: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    default_base_url: ClassVar[str]

    def __init__(
        self,
        settings: Mapping[str, Any],
        credentials: Mapping[str, Any],
        *,
        base_url: str | None = None,
        options: HttpOptions | None = None,
    ) -> None:
        self.settings = dict(settings or {})
        self.credentials = dict(credentials or {})
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.options = options or HttpOptions()
        # Set when the connector renewed its credentials (Google refresh): store them.
        self.updated_credentials: dict | None = None
        self.now = lambda: datetime.now(UTC)

    def watermark_ceiling(self) -> datetime:
        """The latest a watermark may be after a sync that starts now: our clock less the
        skew a platform's clock may have, so that no item the platform dates at or after it
        is skipped, whichever way the clocks differ (`Watermark.not_after`)."""
        return self.now() - CLOCK_SKEW

    # -- reading
    @abc.abstractmethod
    def list_items(self, since_cursor: str | None) -> Iterator[Page]:
        """Items new or changed since the cursor (all items for None), page by page; the last
        page (possibly empty) carries the next cursor."""

    def check(self) -> None:
        """One cheap authenticated call; raises AuthExpired etc. when the source is broken."""
        next(iter(self.list_items(None)), None)

    # -- deletions an incremental sync cannot see (`feeds.polling`'s sweep)
    # True where an item deleted on the platform just stops being listed: polling then lists
    # everything now and then and asks `item_exists` about each stored item not listed.
    sweeps_for_deletions: ClassVar[bool] = False

    def item_exists(self, external_id: str) -> bool:
        """Whether the platform still has the item (False: deleted there). Only connectors that
        sweep for deletions answer it."""
        raise NotImplementedError

    # -- writing (NotSupported unless the platform can)
    def post_reply(
        self,
        external_id: str,
        text: str,
        *,
        idempotency_key: str,
        may_replace: Collection[str] = (),
    ) -> PostedReply:
        """Reply as the business. On a platform that keeps one reply per item (Google), a
        reply already there is replaced only when it is `text` itself or one of
        `may_replace` (what the caller posted there before); any other raises
        AnsweredElsewhere and writes nothing."""
        raise NotSupported(self._cannot("post replies"), platform=self.kind)

    def private_reply(self, external_id: str, text: str, *, idempotency_key: str) -> PostedReply:
        raise NotSupported(self._cannot("send private replies"), platform=self.kind)

    def delete_reply(self, external_reply_id: str) -> None:
        raise NotSupported(self._cannot("delete replies"), platform=self.kind)

    def hide(self, external_id: str, *, hidden: bool = True) -> None:
        raise NotSupported(self._cannot("hide items"), platform=self.kind)

    def pin(self, external_id: str, *, pinned: bool = True) -> None:
        raise NotSupported(self._cannot("pin items"), platform=self.kind)

    def publish_post(self, text: str, *, idempotency_key: str) -> PostedReply:
        raise NotSupported(self._cannot("publish posts"), platform=self.kind)

    # -- helpers
    def _cannot(self, what: str) -> str:
        reason = self.capabilities.read_only_reason
        return reason or f"{self.display_name} does not let Carewatch {what}."

    display_name: ClassVar[str] = "This platform"

    def _require(self, mapping: Mapping[str, Any], key: str, what: str) -> str:
        value = str(mapping.get(key) or "").strip()
        if not value:
            raise ConfigurationError(f"{self.display_name}: {what} is missing.", platform=self.kind)
        return value

    @staticmethod
    def _check_text(text: str, limit: int) -> str:
        if not text or not text.strip():
            raise ValueError("reply text is empty")
        if len(text) > limit:
            raise ValueError(f"reply text is longer than {limit} characters")
        return text


# ----------------------------------------------------------------------------- factory
SUPPORTED_KINDS = ("google", "facebook", "yelp")


def make_connector(
    kind: str,
    settings: Mapping[str, Any],
    credentials: Mapping[str, Any],
    base_url: str | None = None,
    **http_options: Any,
) -> Connector:
    """The connector for a source kind ("google", "facebook", "yelp" - feeds.SourceKind
    values). `base_url` points it elsewhere (the fake platforms in tests and the demo);
    `http_options` are HttpOptions fields (timeout, max_retries, backoff_base, backoff_max,
    max_retry_after, sleep, ...). Raises ValueError for a kind without connector and
    ConfigurationError for missing settings/credentials."""
    from feeds.connectors.facebook import FacebookConnector
    from feeds.connectors.google import GoogleConnector
    from feeds.connectors.yelp import YelpConnector

    classes: dict[str, type[Connector]] = {
        "google": GoogleConnector,
        "facebook": FacebookConnector,
        "yelp": YelpConnector,
    }
    if kind not in classes:
        raise ValueError(f"No connector for source kind {kind!r}.")
    return classes[kind](
        settings, credentials, base_url=base_url, options=HttpOptions(**http_options)
    )


def collect(connector: Connector, since_cursor: str | None = None) -> SyncResult:
    """All pages of one sync in memory (tests, small sources); stream pages otherwise."""
    items: list[ExternalItem] = []
    cursor, pages = since_cursor or "", 0
    for page in connector.list_items(since_cursor):
        pages += 1
        items.extend(page.items)
        if page.next_cursor is not None:
            cursor = page.next_cursor
    return SyncResult(items=items, next_cursor=cursor, pages=pages)


def with_last_cursor(pages: Iterator[list[ExternalItem]], cursor_of) -> Iterator[Page]:
    """Turn a generator of item lists into Pages, each yielded as soon as it is fetched, then
    a closing Page (items possibly empty) carrying `cursor_of()`, called once every list was
    produced so that it sees the whole sync."""
    for items in pages:
        if items:
            yield Page(items)
    yield Page([], next_cursor=cursor_of())
