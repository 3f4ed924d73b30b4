"""Rules for text that people and integrators send, shared by the API, the forms and the
services: one place, so that every field answers the same way.

- `text_problem`: NUL bytes and lone surrogates cannot be stored by PostgreSQL or hashed as
  UTF-8; such input is refused with a 400 naming the field, never a 500.
- `json_decoded`: a body that is not JSON is refused in words a sender can act on (where the
  JSON breaks, or that it is not UTF-8), never the decoder's own message.
- `json_problem`: a JSON value nested or sized beyond reason is refused before anything walks
  it recursively.
- `markup_problem`: text that is quoted into public replies as it is (a fact) holds no HTML or
  XML markup: a tag (`<b>`, `<script>`, `</p>`) or a comment is refused, a lone `<` or `>` is
  not.
- `reason_problem`: a reason that must explain something (a legal override, switching an
  approval step off) says something: three words or more, not one word or character repeated.

And one rule for text we write about people and clinics:

- `possessive`: "Clinic A’s", but "Lakeview Pediatrics’" for a name that ends in s.
"""

from __future__ import annotations

import json
import re

MAX_JSON_DEPTH = 32
MAX_JSON_ITEMS = 10_000
MIN_REASON_CHARS = 10
MIN_REASON_WORDS = 3

_SURROGATE = re.compile("[\ud800-\udfff]")
_WORD = re.compile(r"\w+", re.UNICODE)
# An opening, closing or self-closing tag (`<b>`, `</p>`, `<img src=x/>`), a comment or a
# declaration; "2 < 3", "<3" and "a -> b" are plain text.
_MARKUP = re.compile(r"</?[A-Za-z][^<>]*>|<!")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None."""
    if "\x00" in value:
        return "Contains a NUL character (\\u0000), which cannot be stored."
    if _SURROGATE.search(value):
        return "Contains an unpaired surrogate (\\ud800-\\udfff), which is not valid text."
    return None


def markup_problem(value: str) -> str | None:
    """Why `value` is not plain text (it holds markup), or None."""
    if _MARKUP.search(value):
        return "Write plain text: HTML tags such as <b> or <script> are not allowed."
    return None


class JsonUnreadable(ValueError):
    """A body that is not JSON; the message says why, for the sender."""


def _no_constant(name: str):
    raise JsonUnreadable(f"The body is not valid JSON: {name} is not a JSON number.")


def json_decoded(raw: bytes, *, encoding: str = "utf-8"):
    """The JSON value of the body `raw`, or `JsonUnreadable` saying in words why there is none:
    "The body is not valid JSON (line 1, column 12)." or "The body is not UTF-8."."""
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        named = "UTF-8" if encoding.lower().replace("-", "") == "utf8" else encoding
        raise JsonUnreadable(f"The body is not {named}.") from None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise JsonUnreadable(
            f"The body is not valid JSON (line {exc.lineno}, column {exc.colno})."
        ) from None
    except RecursionError:
        raise JsonUnreadable(f"The body is nested deeper than {MAX_JSON_DEPTH} levels.") from None


def json_problem(
    value, *, max_depth: int = MAX_JSON_DEPTH, max_items: int = MAX_JSON_ITEMS
) -> tuple[str, str] | None:
    """Where and why a decoded JSON value cannot be accepted (too deep, too many values, bad
    text in a key or string, a number beyond 64 bits), as (field path, message), or None.
    Iterative: it never recurses, whatever the input."""
    stack = [(value, 1, "")]
    items = 0
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, dict | list):
            if depth > max_depth:
                return path or "body", f"Nested deeper than {max_depth} levels."
            items += len(node)
            if items > max_items:
                return path or "body", f"More than {max_items} values."
            if isinstance(node, dict):
                for key, child in node.items():
                    name = f"{path}.{key}" if path else str(key)
                    if isinstance(key, str) and (problem := text_problem(key)):
                        return printable(name), problem
                    stack.append((child, depth + 1, name))
            else:
                stack.extend((c, depth + 1, f"{path}[{i}]") for i, c in enumerate(node))
        elif isinstance(node, str):
            if problem := text_problem(node):
                return printable(path) or "body", problem
        elif isinstance(node, int) and not isinstance(node, bool) and abs(node) > 2**63 - 1:
            return path or "body", "The number is too large."
    return None


def printable(name: str) -> str:
    """A field name that can be shown (a key may hold the bad character itself)."""
    return _SURROGATE.sub("?", name.replace("\x00", "?"))


def json_depth_exceeds(raw: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether raw JSON text opens more than `max_depth` brackets at once: checked before
    `json.loads`, whose decoder recurses (a deep enough body is a RecursionError)."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    depth = 0
    in_string = escaped = False
    for char in raw:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif char in "]}":
            depth -= 1
    return False


def reason_problem(reason: str) -> str | None:
    """Why `reason` does not explain anything, or None."""
    reason = (reason or "").strip()
    words = [w.lower() for w in _WORD.findall(reason)]
    if len(reason) < MIN_REASON_CHARS or len(words) < MIN_REASON_WORDS:
        return (
            f"Give the reason in at least {MIN_REASON_WORDS} words "
            f"({MIN_REASON_CHARS} characters or more)."
        )
    if len(set(words)) < 2 or len(set(reason.replace(" ", ""))) < 3:
        return "Say why in words: a repeated word or character is not a reason."
    return None


def possessive(name: str) -> str:
    """`name` with the possessive ending, in the typographic apostrophe the pages use:
    "Clinic A’s", "Lakeview Pediatrics’" (a name ending in s takes the apostrophe alone)."""
    name = str(name).rstrip()
    if not name:
        return name
    return f"{name}’" if name[-1] in "sS" else f"{name}’s"


def duration_words(minutes: float | None) -> str:
    """A span of time, short: "5 min", "3 h 5 min", "4 h", "2 d 4 h"; "–" when there is none.
    One form for every page (the portal's figures, the reply clocks)."""
    if minutes is None or minutes == "":
        return "–"
    total = abs(int(round(float(minutes))))
    days, rest = divmod(total, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def duration_prose(minutes: int) -> str:
    """A span of time inside a sentence: 45 → "45 minutes", 90 → "1.5 hours", 1440 →
    "24 hours"."""
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes / 60
    return f"{hours:g} hour{'s' if hours != 1 else ''}"


def duration_said(minutes: float) -> str:
    """A span of time inside a sentence the clinic reads (alerts, the portal, the post-crisis
    review): "45 minutes", "70 minutes", "2 hours", "about 2.5 hours", "2 days" (never
    "1.16667 h")."""
    minutes = int(round(float(minutes)))
    if minutes < 120 and minutes % 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    if minutes < 48 * 60:
        return _about(minutes / 60, "hour")
    return _about(minutes / (24 * 60), "day")


def _about(value: float, unit: str) -> str:
    if value == int(value):
        return f"{int(value)} {unit}{'s' if value != 1 else ''}"
    return f"about {round(value * 2) / 2:g} {unit}s"
