"""Rules for text that people and integrators send, shared by the API, the forms and the
services: one place, so that every field answers the same way.

- `text_problem`: NUL bytes and lone surrogates cannot be stored by PostgreSQL or hashed as
  UTF-8; such input is refused with a 400 naming the field, never a 500.
- `json_decoded`: a body that is not JSON is refused in words a sender can act on (where the
  JSON breaks, or that it is not UTF-8), never the decoder's own message.
- `json_problem`: a JSON value nested or sized beyond reason is refused before anything walks
  it recursively.
- `markup_problem`: text that is published as plain text (a reply, a statement, a reply
  template) or quoted into it as it is (a fact) holds no HTML or XML markup: a tag (`<b>`,
  `<script>`, `</p>`) or a comment is refused, a lone `<` or `>` ("<3", "a < b", "->") is not;
  nor link markup of the lightweight syntaxes (`[words](https://…)`, `[url=…]…[/url]`, wiki and
  reStructuredText links), while "[sic]", "[1]" and a bare address are plain text.
  `markup_removed` turns such text into plain text (the guard's apply-all fix).
- `reason_problem`: a reason that must explain something (a legal override, switching an
  approval step off) says something: three words or more, not one word or character repeated.

- `one_line_problem` / `one_line`: a name that goes into an e-mail header (an agency's or a
  clinic's name, a person's name; the sender name, the subject) holds no line break, tab or
  other control character: refused where it is typed, and made one line where a header is
  built, so a stored bad value cannot stop mail (Django refuses a header with a line break).

- `control_problem`: text holds no control character. A one-line field (a name, a title, an
  id, a key) refuses every C0 and C1 control (tabs and line breaks among them) and the Unicode
  line and paragraph separators; a multi-line field (a reply, a statement, a body, a note)
  allows line breaks and tabs (\n, \r, \t) and refuses the other controls (an escape
  sequence, a bell, DEL). The forms and the API apply it to every text field they read: the
  input check (`core.middleware`) refuses the controls in any page form, the API its
  serializers' text fields, each as one line or not (`ONE_LINE_MAX`).

- `address_problem`: a key that goes into web addresses and placeholders (a clinic's web
  address, a reply template's key) is lowercase letters, digits and hyphens.
  `address_from` makes one from a name ("Clinique médicale de l'Île-d'Orléans":
  clinique-medicale-de-lile-dorleans).

And one rule for text we write about people and clinics:

- `possessive`: "Clinic A’s", but "Lakeview Pediatrics’" for a name that ends in s.
- `initials`: the initials a person's name is written with ("M.S." and "M.A.S." for "Mary
  Ann Smith"): the reply guard flags them, a privacy request removes them.
"""

from __future__ import annotations

import json
import re
import unicodedata

MAX_JSON_DEPTH = 32
MAX_JSON_ITEMS = 10_000
MIN_REASON_CHARS = 10
MIN_REASON_WORDS = 3
# The rule of `reason_problem` in the words every form shows (its help text, the browser's
# message; `{% reason_rule %}`) and the server answers: one rule, said one way.
REASON_RULE = (
    f"Say why in at least {MIN_REASON_WORDS} words ({MIN_REASON_CHARS} characters or more), "
    "not one word repeated."
)

_SURROGATE = re.compile("[\ud800-\udfff]")
_WORD = re.compile(r"\w+", re.UNICODE)
# An opening, closing or self-closing tag (`<b>`, `</p>`, `<img src=x/>`), a comment or a
# declaration; a tag left open, with an attribute (`<img src=x onerror=alert(1)//`, to the end
# of its line) or at the very end (`… <script`); "2 < 3", "<3" and "a -> b" are plain text.
_MARKUP = re.compile(
    r"</?[A-Za-z][^<>]*>|<!|<[A-Za-z][\w:-]*\s+[\w:-]+\s*=[^<>\n]*|</?[A-Za-z][\w:-]*\s*$"
)


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None."""
    if "\x00" in value:
        return "Contains a NUL character (\\u0000), which cannot be stored."
    if _SURROGATE.search(value):
        return "Contains an unpaired surrogate (\\ud800-\\udfff), which is not valid text."
    return None


# A name on one line holds no control character (Cc: C0 and C1, line breaks and tabs among
# them), no format character (Cf: bidi overrides that reorder a sender's name on screen, the
# BOM, invisible separators) other than the joiners some scripts need, and no Unicode line or
# paragraph separator (Zl, Zp).
_NOT_ON_ONE_LINE = frozenset({"Cc", "Cf", "Zl", "Zp"})
_JOINERS = frozenset({"\u200c", "\u200d"})  # ZWNJ, ZWJ: Persian, Indic scripts, emoji
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _off_line(char: str) -> bool:
    return unicodedata.category(char) in _NOT_ON_ONE_LINE and char not in _JOINERS


def one_line_problem(value: str) -> str | None:
    """Why `value` cannot be a name written on one line (it goes into e-mail headers: the
    sender name, the subject), or None: it holds a line break, a tab or another control or
    format character. The message names the first such character."""
    for char in value or "":
        if _off_line(char):
            return _off_line_message(char)
    return None


def _off_line_message(char: str) -> str:
    what = (
        "a line break" if char in _LINE_BREAKS
        else "a tab" if char == "\t"
        else "a control character"
    )  # fmt: skip
    return (
        f"Contains {what} (U+{ord(char):04X}): write the name on one line, without "
        "line breaks, tabs or other control characters."
    )


# A text field is one line when it holds at most this many characters (a name, a title, an
# id, a key, a URL's description); a longer one, or one without a limit, may hold lines.
ONE_LINE_MAX = 300
_LINE_CONTROLS = frozenset("\n\r\t")
_SEPARATORS = frozenset("\u2028\u2029")


def _control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code < 0xA0


def control_problem(value: str, *, one_line: bool) -> str | None:
    """Why `value` holds a character that is not text for its field (`one_line`: a name, a
    title, an id), or None. The message names the first such character."""
    for char in value or "":
        if one_line and (_control(char) or char in _SEPARATORS):
            return _off_line_message(char)  # as `one_line_problem` words it
        if not one_line and _control(char) and char not in _LINE_CONTROLS:
            return (
                f"Contains a control character (U+{ord(char):04X}), which is not text: remove "
                "it (it often comes with text pasted from a terminal or another program)."
            )
    return None


def text_cleaned(value: str) -> str:
    """`value` without what `text_problem` and a multi-line `control_problem` refuse: NUL
    bytes, unpaired surrogates and control characters other than line breaks and tabs. A
    refused form shows the typed text back this way (`core.middleware.InputTextMiddleware`),
    for the person to check and send again; nothing is ever stored cleaned unseen."""
    value = _SURROGATE.sub("", value.replace("\x00", ""))
    return "".join(c for c in value if not _control(c) or c in _LINE_CONTROLS)


def one_line(value: str) -> str:
    """`value` as one line that an e-mail header can carry: each control or format character
    (`one_line_problem`'s) becomes a space, and runs of spaces one. For text stored before
    it was checked, or built from several sources (a subject): mail is never stopped by it."""
    return " ".join("".join(" " if _off_line(c) else c for c in str(value or "")).split())


# Link markup of the lightweight syntaxes, which platforms also post as typed (or as a link
# nobody meant to give): Markdown's `[words](address)`, `![image](address)`, `[words][ref]` and
# `[ref]: address`, BBCode's `[url=…]words[/url]`, wiki links (`[[Page|words]]`,
# `[https://… words]`), reStructuredText's `` `words <address>`_ `` and Textile's
# `"words":https://…`. "[sic]", "[1]", "(see above)" and a bare https://… address are plain text.
_LINK_MARKUP = re.compile(
    r"!?\[(?P<md>[^\[\]\n]{1,200})\]\(\s*(?:<[^<>\n]*>|[^()\s]+(?:\([^()\s]*\)[^()\s]*)*)"
    r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)"
    r"|\[(?P<ref>[^\[\]\n]{1,200})\]\[[^\[\]\n]{0,100}\]"
    r"|^[ \t]{0,3}\[[^\[\]\n]{1,100}\]:[ \t]*\S+[^\n]*"
    r"|\[(?:url|link|img|email)(?:=[^\]\n]*)?\](?P<bb>[^\[\n]{0,200})\[/(?:url|link|img|email)\]"
    r"|\[/?(?:url|link|img|email)(?:=[^\]\n]*)?\]"
    r"|\[\[(?P<wiki>[^\[\]\n]{1,200})\](?:\[(?P<org>[^\[\]\n]{0,200})\])?\]"
    r"|\[(?:https?://|www\.|mailto:)[^\s\]]+(?:\s+(?P<ext>[^\]\n]{1,200}))?\]"
    r"|`(?P<rst>[^`<\n]{1,200}?)\s*<[^<>`\n]+>`__?"
    r"|\"(?P<tx>[^\"\n]{1,200})\":(?:https?://|www\.)[^\s\"<>]*[^\s\"<>.,;:!?)]",
    re.IGNORECASE | re.MULTILINE,
)
# a link whose words mean nothing once it is plain text: "click here", "this link", "more"
_BARE_LINK_WORDS = re.compile(
    r"^(?:(?:please\s+)?(?:click|tap|press|follow|open|visit|see|go|read|learn|find\s+out)"
    r"(?:\s+(?:more|on|to|it))?\s*)?(?:here|there|this(?:\s+(?:link|page))?|(?:the|this)\s+"
    r"(?:link|page)|link|more|details|more\s+(?:details|info(?:rmation)?))?$",
    re.IGNORECASE,
)
_HTML_LINK = re.compile(r"<a\b[^<>]*>(?P<words>[^<>]*)</a\s*>", re.IGNORECASE)
_HIDDEN = re.compile(r"<(script|style)\b[^<>]*>.*?</\1\s*>|<!--.*?(?:-->|$)", re.I | re.S)
_LINE_TAGS = re.compile(r"^</?(?:br|p|div|li|ul|ol|h[1-6]|tr|table)\b", re.IGNORECASE)


def _markup_spans(value: str) -> list[re.Match]:
    """The markup of `value` (tags, comments, declarations, link markup), in order, none
    inside another."""
    found = sorted(
        [*_MARKUP.finditer(value), *_LINK_MARKUP.finditer(value)],
        key=lambda m: (m.start(), -m.end()),
    )
    out: list[re.Match] = []
    for match in found:
        if not out or match.start() >= out[-1].end():
            out.append(match)
    return out


def markup_found(value: str, *, most: int = 3) -> list[str]:
    """The markup in `value` as it was typed, each once, at most `most`: a tag (`<b>`,
    `<a href="…">` shortened past 40 characters), a comment or declaration (`<!-- x -->`), link
    markup (`[words](https://…)`, `[url=…]`)."""
    found: list[str] = []
    for match in _markup_spans(value or ""):
        piece = match.group(0)
        if piece == "<!":  # a comment or declaration: up to its end, as far as it goes
            end = value.find(">", match.start())
            piece = value[match.start() : end + 1] if end >= 0 else value[match.start() :]
        piece = " ".join(piece.split())
        if len(piece) > 40:
            piece = f"{piece[:38]}…{piece[-1]}"
        if piece not in found:
            found.append(piece)
            if len(found) == most:
                break
    return found


def markup_span(value: str) -> tuple[int, int] | None:
    """Where the first markup of `value` (`markup_found`'s first) stands, or None."""
    spans = _markup_spans(value or "")
    return (spans[0].start(), spans[0].end()) if spans else None


def markup_removed(value: str) -> tuple[str, list[tuple[int, int]]]:
    """`value` as plain text, and where in it a link's words stand that mean nothing without
    the link ("click here", "this link"): their sentence is for the caller to take out. A tag
    goes (a line-break tag leaves a line break), a script, style or comment goes with what it
    holds, a link leaves its words ("visit [our website](…)" → "visit our website"), an image
    or a bare link definition leaves nothing."""
    value = _HIDDEN.sub(" ", value or "")
    out: list[str] = []
    bare: list[tuple[int, int]] = []
    at = 0
    length = 0
    matches = sorted(
        [*_HTML_LINK.finditer(value), *_markup_spans(value)], key=lambda m: (m.start(), -m.end())
    )
    for match in matches:
        if match.start() < at:
            continue
        out.append(value[at : match.start()])
        length += match.start() - at
        piece = match.group(0)
        groups = match.groupdict()
        words = next(
            (groups[k] for k in ("words", "md", "ref", "bb", "wiki", "ext", "rst", "tx")
             if groups.get(k)),
            None,
        )  # fmt: skip
        if groups.get("org"):
            words = groups["org"]
        elif groups.get("wiki") and "|" in words:
            words = words.rsplit("|", 1)[1]
        if piece.startswith("!") or words is None:
            words = (
                "\n"
                if _LINE_TAGS.match(piece) and "\n" not in value[match.end() : match.end() + 1]
                else ""
            )
        words = " ".join(words.split()) if words.strip() else words
        if words.strip() and _BARE_LINK_WORDS.match(words.strip()):
            bare.append((length, length + len(words)))
        out.append(words)
        length += len(words)
        at = match.end()
    out.append(value[at:])
    text = "".join(out)
    return text, bare


def markup_problem(value: str, *, published: str = "") -> str | None:
    """Why `value` is not plain text (it holds markup), or None. `published` says what is
    posted as plain text ("Replies are posted", "Statements are published"): the message then
    names the markup found, for the writer to remove."""
    found = markup_found(value)
    if not found:
        return None
    if not published:
        if not any(_MARKUP.match(piece) for piece in found):
            return "Write plain text: link markup such as [words](https://…) is not allowed."
        return "Write plain text: HTML tags such as <b> or <script> are not allowed."
    named = ", ".join(found[:-1]) + f" and {found[-1]}" if len(found) > 1 else found[0]
    return f"{published} as plain text: remove the markup {named}."


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
    except JsonUnreadable:
        raise
    except ValueError:  # an integer longer than Python reads (sys.get_int_max_str_digits)
        raise JsonUnreadable("The body is not valid JSON: a number has too many digits.") from None


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
        return REASON_RULE
    if len(set(words)) < 2 or len(set(reason.replace(" ", ""))) < 3:
        return "Say why in words: a repeated word or character is not a reason."
    return None


_ADDRESS = re.compile(r"[a-z0-9-]+", re.A)


def address_problem(value: str, *, example: str, most: int, least: int = 1) -> str | None:
    """Why `value`, taken as it is stored (trimmed, lowercased: "Harbor-Dental" is
    harbor-dental), is not `least` to `most` lowercase letters, digits and hyphens that begin
    and end with a letter or digit; or None. `example` shows a good one in the message."""
    key = (value or "").strip().lower()
    if not _ADDRESS.fullmatch(key):
        return f"Use lowercase letters, digits and hyphens, e.g. {example}."
    if not least <= len(key) <= most:
        length = f"{least}-{most}" if least > 1 else f"at most {most}"
        return f"Use {length} characters: lowercase letters, digits and hyphens, e.g. {example}."
    if key[0] == "-" or key[-1] == "-":
        return f"Begin and end with a letter or digit, e.g. {example}."
    return None


def possessive(name: str) -> str:
    """`name` with the possessive ending, in the typographic apostrophe the pages use:
    "Clinic A’s", "Lakeview Pediatrics’" (a name ending in s takes the apostrophe alone)."""
    name = str(name).rstrip()
    if not name:
        return name
    return f"{name}’" if name[-1] in "sS" else f"{name}’s"


# letters that Unicode does not decompose into a plain letter and a mark
_ASCII_LETTERS = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th",
     "ı": "i"}
)  # fmt: skip
_APOSTROPHES = re.compile("['’`´]")
_NOT_ADDRESS = re.compile(r"[^a-z0-9]+")


def address_from(text: str, *, most: int) -> str:
    """A web address made from a name, as `address_problem` wants it: accents left off
    ("é": e), an apostrophe joining its words ("l'Île": lile), every other run of characters
    that are not ASCII letters or digits one hyphen, at most `most` characters, never a
    hyphen first or last. "" when the name has no such letter or digit."""
    folded = unicodedata.normalize("NFKD", (text or "").casefold().translate(_ASCII_LETTERS))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii")
    key = _NOT_ADDRESS.sub("-", _APOSTROPHES.sub("", ascii_text)).strip("-")
    return key[:most].rstrip("-")


# titles: words before or in a name that are not the name, lower case, without a dot; no part
# of its initials ("Dr Ann Lee": A.L.), of the first name a greeting uses
# (`accounts.User.get_short_name`: "Cam" for "Dr Cam Clinician") or of the name words the reply
# guard matches; the French titles too ("Me" for Maître, "Dre" and "Pr" in Québec, "Mme",
# "Mlle")
NAME_TITLES = frozenset(
    {"dr", "dre", "doc", "doctor", "prof", "professor", "pr", "mr", "mrs", "ms", "miss", "mx",
     "mister", "sir", "dame", "rev", "nurse", "me", "maître", "maitre", "mme", "mlle",
     "madame", "monsieur"}
)  # fmt: skip
# letters that, written with dots in lower case, are an abbreviation ("9 a.m.", "e.g.",
# "a.k.a."), never someone's initials
DOTTED_ABBREVIATIONS = frozenset(
    ["am", "pm", "eg", "ie", "ps", "nb", "us", "vs", "cc", "dr", "aka"]
)
# what separates the words of a name: spaces, and the underscores and dots of a handle or of a
# name written as initials ("reese_bramwell", "D.W.")
_NAME_SEPARATORS = re.compile(r"[\s_.]+")


def initials(name: str) -> list[str]:
    """The letters a person's initials are written with, in capitals: the first and last
    word's ("Mary Ann Smith": "MS"), then, for a name of three words or more, every word's
    ("MAS"; "Anna de la Cruz": "AC", "ADLC"). None for a name of one word. Words are what
    spaces, underscores and dots separate ("reese_bramwell" and "D.W." have two), a handle's
    "@" left off, less a title ("Dr", "Mrs") and anything that does not begin with a letter
    ("Guest 42" has one word). The one rule: the reply guard flags these as the reviewer's
    initials and a privacy request removes them, each writing them its way ("M.S.", "M. S.",
    "m.s.", "MS")."""
    words = [w.strip(",").lstrip("@") for w in _NAME_SEPARATORS.split(name or "")]
    words = [w for w in words if w[:1].isalpha() and w.lower() not in NAME_TITLES]
    if len(words) < 2:
        return []
    first_last = f"{words[0][0]}{words[-1][0]}".upper()
    every = "".join(w[0] for w in words).upper()
    return [first_last] if every == first_last else [first_last, every]


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
    review): "under a minute", "45 minutes", "70 minutes", "2 hours", "about 2.5 hours", "2
    days" (never "1.16667 h", nor "0 hours")."""
    minutes = int(round(float(minutes)))
    if minutes < 1:
        return "under a minute"  # never "0 hours"
    if minutes < 120 and minutes % 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    if minutes < 48 * 60:
        return _about(minutes / 60, "hour")
    return _about(minutes / (24 * 60), "day")


def _about(value: float, unit: str) -> str:
    if value == int(value):
        return f"{int(value)} {unit}{'s' if value != 1 else ''}"
    return f"about {round(value * 2) / 2:g} {unit}s"


# Words that open an English sentence and are never a name ("We", "Thank", "Please"): after a
# greeting ("Hello,") such a word goes on in lower case ("Hello, we have…"); a name keeps its
# capital. The batch editor's {greeting} and the guard's apply-all fix read the same list.
NEVER_NAMES = (
    "We|Our|Us|Thank|Thanks|Please|Sorry|It|Its|This|That|These|Those|You|Your|There|Here|As|"
    "At|In|On|If|When|Since|After|Before|To|For|With|Many|Some|All|Every|Any|Nothing|No"
)
