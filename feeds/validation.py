"""Turning untrusted input (API JSON, CSV rows, webhook bodies) into `ItemIn`, or a clear
reason per field. Hand-written rather than DRF serializers: a 10,000-item batch must validate
in a fraction of a second."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from core.text import printable, text_problem
from feeds.connectors.base import CLOCK_SKEW
from feeds.models import ItemKind, SourceKind
from feeds.services import ItemIn

MAX_TEXT = 20_000
ITEM_KINDS = frozenset(ItemKind.values)
SOURCE_KINDS = frozenset(SourceKind.values)
MAX_COUNT = 2_147_483_647
MAX_ID = 2**63 - 1  # a database id (bigint)
# A sender's clock may run a little ahead of ours; a time further ahead would show as a long
# wait that has not begun, so the item is refused.
FUTURE_TOLERANCE = CLOCK_SKEW
UNKNOWN_FIELD = "Unknown field."
ITEM_FIELDS = {
    "source",
    "source_id",
    "external_id",
    "kind",
    "author",
    "author_name",
    "rating",
    "text",
    "language",
    "url",
    "published_at",
    "edited_at",
    "likes",
    "shares",
    "replies",
    "parent_external_id",
    "deleted",
}


# A sent field's name as ItemIn calls it (`given`: what an update changes).
GIVEN_AS = {"author": "author_name"}
AUTHOR_TWICE = "The old name of author_name, sent with another value: send author_name alone."
# Sent empty (null, "", spaces), these count as not given: an update keeps the stored text and
# counts (a new item has none), so a push never blanks what a review says.
KEPT_WHEN_EMPTY = frozenset({"text", "likes", "shares", "replies"})
NOT_INTEGER = "Must be an integer."
RATING_EMPTY = "A rating is 1 to 5 (null: no rating)."


class ItemInvalid(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _str(value, field, errors, *, max_len, required=False) -> str:
    if _blank(value):
        if required:
            errors[field] = "This field is required."
        return ""
    if not isinstance(value, str):  # a number is not read as its digits: a JSON type mistake
        errors[field] = "Must be a string."
        return ""
    if problem := text_problem(value):  # the one text rule (core.text): NUL, lone surrogates
        errors[field] = problem
        return ""
    value = value.strip()
    if len(value) > max_len:
        errors[field] = f"At most {max_len:,} characters (got {len(value):,})."
        return ""
    return value


def _int(value, field, errors, *, low, high, allow_none=False, empty=None) -> int | None:
    """`empty`: the message for a string with nothing in it ("", spaces), where a number
    cannot be left empty (JSON); otherwise it counts as not given (a CSV cell)."""
    if _blank(value):
        if empty is not None and value is not None:
            errors[field] = empty
            return None
        if allow_none:
            return None
        return 0
    if isinstance(value, bool):
        errors[field] = "Must be an integer."
        return None
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            errors[field] = f"Must be an integer, not {value.strip()[:20]!r}."
            return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        errors[field] = "Must be an integer."
        return None
    if not low <= value <= high:
        errors[field] = f"Must be between {low} and {high:,}."
        return None
    return value


def _time(value, field, errors, *, required, now) -> datetime | None:
    if _blank(value):
        if required:
            errors[field] = "This field is required."
        return None
    if not isinstance(value, str):
        errors[field] = "Must be an ISO 8601 time, like 2026-03-01T14:30:00Z."
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        errors[field] = f"Not an ISO 8601 time: {value.strip()[:40]!r} (use 2026-03-01T14:30:00Z)."
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # documented: times without an offset are UTC
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-14:00 in UTC is past the last day Python holds
        errors[field] = (
            "Is before 1990."
            if parsed.year < 1990
            else "Is in the future: give the time it happened, with its offset."
        )
        return None
    if parsed > now + FUTURE_TOLERANCE:
        at = parsed.astimezone(UTC)
        errors[field] = (
            f"Is in the future: {at:%Y-%m-%d %H:%M:%S} UTC is after now "
            f"({now.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC). Give the time it happened, with "
            "its offset (a clock up to 5 minutes ahead is accepted)."
        )
        return None
    if parsed.year < 1990:
        errors[field] = "Is before 1990."
        return None
    return parsed


def _url(value, errors) -> str:
    url = _str(value, "url", errors, max_len=1000)
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors["url"] = "Must be an http(s) URL."
            return ""
    return url


def _bool(value, field, errors, *, words: bool) -> bool:
    """`true` or `false`; a CSV cell (`words`) may also be empty (false) or say it in words.
    In JSON null and "" are neither: an item that is not deleted leaves the field out or
    sends `false`, so a sender's missing value never reads as a decision."""
    if isinstance(value, bool):
        return value
    if words and _blank(value):
        return False
    if words and isinstance(value, str) and value.strip().lower() in {"true", "1", "yes"}:
        return True
    if words and isinstance(value, str) and value.strip().lower() in {"false", "0", "no"}:
        return False
    errors[field] = "Must be true or false."
    return False


def parse_item(raw, *, now: datetime | None = None, strict_fields: bool = True) -> ItemIn:
    """Validate one item. Raises `ItemInvalid` with a message per bad field.

    `strict_fields` (JSON: the API, inbound webhooks): a field it does not know is refused by
    its name, and each value must have its JSON type (a string for text, `true`/`false` for
    `deleted`: null is neither). Otherwise (a CSV row, all text, with columns of its own)
    other columns are ignored and `deleted` may be written true/false, 1/0 or yes/no."""
    if not isinstance(raw, dict):
        raise ItemInvalid({"item": "Must be a JSON object."})
    now = now or datetime.now(UTC)
    errors: dict[str, str] = {}
    if strict_fields:
        for name in sorted(str(name) for name in set(raw) - ITEM_FIELDS):
            errors[printable(name)] = UNKNOWN_FIELD
    # `author` is the deprecated name of `author_name`: read when it is sent alone; sent beside
    # it with another value, the item is refused rather than one of the two silently kept
    author = "author" if "author" in raw and "author_name" not in raw else "author_name"
    if "author" in raw and "author_name" in raw and raw["author"] != raw["author_name"]:
        errors["author"] = AUTHOR_TWICE
    # JSON: a number sent as "" is a mistake, never "no rating" nor 0 (a CSV cell may be empty)
    rating_empty, count_empty = (RATING_EMPTY, NOT_INTEGER) if strict_fields else (None, None)
    rating = _int(
        raw.get("rating"), "rating", errors, low=1, high=5, allow_none=True, empty=rating_empty
    )

    def count(name: str) -> int:
        return _int(raw.get(name), name, errors, low=0, high=MAX_COUNT, empty=count_empty) or 0

    kind = _str(raw.get("kind"), "kind", errors, max_len=16) or (
        ItemKind.REVIEW if rating is not None else ItemKind.MENTION
    )
    if kind not in ITEM_KINDS:
        errors["kind"] = f"Must be one of {', '.join(ItemKind.values)}."
    item = ItemIn(
        external_id=_str(raw.get("external_id"), "external_id", errors, max_len=255, required=True),
        kind=kind,
        author_name=_str(raw.get(author), author, errors, max_len=200),
        rating=rating,
        text=_str(raw.get("text"), "text", errors, max_len=MAX_TEXT),
        language=_str(raw.get("language"), "language", errors, max_len=16),
        url=_url(raw.get("url"), errors),
        published_at=_time(raw.get("published_at"), "published_at", errors, required=True, now=now),
        edited_at=_time(raw.get("edited_at"), "edited_at", errors, required=False, now=now),
        likes=count("likes"),
        shares=count("shares"),
        replies=count("replies"),
        parent_external_id=_str(
            raw.get("parent_external_id"), "parent_external_id", errors, max_len=255
        )
        or None,
        deleted=_bool(raw.get("deleted", False), "deleted", errors, words=not strict_fields),
        given=frozenset(
            GIVEN_AS.get(k, k)
            for k in raw
            if k in ITEM_FIELDS and not (k in KEPT_WHEN_EMPTY and _blank(raw[k]))
        ),
    )
    if errors:
        raise ItemInvalid(errors)
    return item


def parse_source_ref(raw: dict) -> tuple[str | None, int | None, dict[str, str]]:
    """(kind, source_id, errors) for the item's `source` / `source_id`: either is enough; both
    must name the same source (`source_mismatch`)."""
    errors: dict[str, str] = {}
    source_id = _int(raw.get("source_id"), "source_id", errors, low=1, high=MAX_ID, allow_none=True)
    kind = raw.get("source")
    if _blank(kind):
        if source_id is None and "source_id" not in errors:
            errors["source"] = "source is required (a source kind such as google) or source_id."
        return None, source_id, errors
    if not isinstance(kind, str) or kind.strip().lower() not in SOURCE_KINDS:
        shown = str(kind)[:30]
        errors["source"] = f"Unknown source {shown!r}: use one of {', '.join(SourceKind.values)}."
        return None, source_id, errors
    return kind.strip().lower(), source_id, errors


def source_mismatch(kind: str | None, source_id: int | None, source_kind: str) -> str | None:
    """Why an item's `source` (a kind) does not name its `source_id`'s source, or None."""
    if kind is None or source_id is None or kind == source_kind:
        return None
    return (
        f"source “{kind}” does not match source_id {source_id}, a {source_kind} source: send "
        "one of source and source_id, or both naming the same source."
    )
