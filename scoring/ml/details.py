"""A wrong detail: a post that states a price, an opening time or an opening day the clinic's
fact says otherwise.

The claim judge (``judge.py``) reads a post against a fact as a whole, and it reads numbers
poorly: a post that gets one detail wrong ("Bright Smile closes at 4 every weekday", when the
fact says 6pm) reads to it as *about* the fact and close to agreeing, and a post that gets it
right while denying the rumour ("they don't close at 5, it's 6") as a contradiction. Prices and
opening hours are the facts a clinic's sheet is most full of (they are in every onboarding set),
and they can be checked exactly:

* **price** — an amount the fact does not give for the service the post names ("cleaning $250"
  against "adult cleaning $189"), nor a range it states, a sum of two of its prices, a per-unit
  multiple with its count ("20 units at $13 came to $260"), or another fact's price; co-pays,
  deductibles, rebates, parking and refunds are not prices;
* **time** — a time bound to opening or closing ("closes at 4", "doesn't open until 9", "open
  9-1") that is none of the fact's times, on a 12-hour clock, and when the post names days,
  not those days' own hours ("open til 6 on Fridays" against "Friday 8am-2pm");
* **day** — open on a day the fact's hours leave closed, or closed on a day they open;
* **duration** — a span of time for what the fact times ("the trial is only 14 days" against
  "a 45-day trial", "3 weeks for results" against "within 10 business days") outside what the
  fact allows: within X, at least X, about X (half to twice), a range, or X (a tenth either way).
  The reader's own history ("shots for four years"), other places' waits and "24 hours a day"
  are not read, and a span the fact allows does not clear a post (it says too little).

Only what the post says in its own words counts: a wish or a question ("I wish they were open on
Saturdays", "are they open Sundays?") states nothing, a denial ("they don't close at 4") states
nothing, and a post that states the fact's own detail while reporting or refuting the wrong one
("someone said $18 a unit. It's $13") is not wrong. ``check(text, statement, sheet)`` returns
(the first wrong ``Detail`` or None, whether the post states the fact's details right);
``conflict`` the first part alone. Pure string work, microseconds a pair.

The rules were written from the judge's training clinics (``bench/misinformation/
claims_train_a`` / ``_b``) and a development set written for them
(``bench/misinformation/details_dev.jsonl``), never from a measuring set.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Detail", "check", "conflict", "PATTERNS", "RULES_VERSION"]

RULES_VERSION = "details-1.0.0"
MAX_CHARS = 2000

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)s?"
_DAY_RE = re.compile(rf"\b{_DAY}\b", re.I)
_RANGE_RE = re.compile(rf"\b({_DAY})\s*(?:-|–|—|to|through|thru|until|till)\s*({_DAY})\b", re.I)
_ALL_WEEK_RE = re.compile(r"\b(?:7|seven) days(?: a| per)? week\b|\bevery day\b|\bdaily\b", re.I)
_WEEKEND_RE = re.compile(r"\bweekends?\b", re.I)
_WEEKDAY_RE = re.compile(r"\bweekdays?\b", re.I)

_CURRENCY = r"(?:[$£€]|\b(?:A|AU|C|CA|NZ|US)\$|\b(?:USD|CAD|AUD|NZD|GBP|EUR)\s?)"
_AMOUNT = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?"
_MONEY_RE = re.compile(
    rf"{_CURRENCY}\s?{_AMOUNT}(\s?k\b)?|\b{_AMOUNT}\s?(?:dollars|bucks|pounds|quid|euros)\b",
    re.I,
)
_CLOCK = r"(\d{1,2})(?::(\d{2}))?\s*(a\.?\s?m\.?|p\.?\s?m\.?)?"
_TIME_RE = re.compile(rf"\b{_CLOCK}(?![\d%$])|\b(noon|midday|midnight)\b", re.I)
# a time bound to opening or closing: "closes at 4", "open until 9pm", "open 9-1", "from 8 to 5"
_BOUND_RE = re.compile(
    r"\b(?:open(?:s|ed|ing)?|clos(?:e|es|ed|ing)|shut(?:s|ting)?|start(?:s|ing)?|"
    r"(?:first|last) (?:appointment|patient|slot)s?|hours)"
    r"(?:\s+(?:at|by|from|until|till|til|'til|before|after|around|only|now|still|up|"
    r"every\s+\w+|on\s+\w+|\w+days?))*"
    r"\s+(?:at\s+|by\s+|from\s+|until\s+|till\s+|til\s+|'til\s+|before\s+|after\s+|around\s+)?"
    rf"{_CLOCK}(?:\s*(?:-|–|to|until|till)\s*{_CLOCK})?"
    r"|\b(?:until|till|til|'til)\s+" + _CLOCK,
    re.I,
)
_UNIT_AFTER_RE = re.compile(
    r"\s*(?:%|/|(?:percent|min|mins|minutes?|hours?|hrs?|days?|weeks?|months?|years?|yrs?|"
    r"units?|patients?|people|times|x|th|st|nd|rd)\b)",
    re.I,
)
_UNSTATED_RE = re.compile(
    r"\b(?:wish|hope|hoping|if only|should|shouldn't|would|wouldn't|could|couldn't|might|"
    r"maybe|need(?:s|ed)? to|please|does anyone|anyone know|is it true|are they|do they|"
    r"will they|can they)\b|\?",
    re.I,
)
_CLOSED_RE = re.compile(
    r"\b(?:closed|not open|isn't open|is not open|aren't open|are not open|isnt open|arent open|"
    r"no (?:\w+ )?(?:hours|appointments|shots|monitoring|sessions))\b"
    # "doesn't open on Sundays" is a closed day; "doesn't open until 9" a time
    r"|\b(?:doesn't|doesnt|does not|don't|dont|do not|never) (?:open|work|do|offer|have|see)\b"
    r"(?!\s+(?:until|till|til|'til|before|after|at)\b)",
    re.I,
)
_OPEN_RE = re.compile(r"\b(?:open(?:s|ed)?|hours|appointments?|see (?:patients|people))\b", re.I)
_ELSEWHERE_RE = re.compile(
    r"\b(?:after[- ]hours|on[- ]call|line|phones?|answered|answers|answering|triage|reach a|text|portal|"
    r"online|nurse)\b",
    re.I,
)
# the post says the clinic is open, or sees people, on a day
_OPEN_CLAIM_RE = re.compile(
    r"\b(?:open(?:s|ed)?|hours|appointments?|does|do|doing|offers?|offering|runs?|available)\b",
    re.I,
)
_NEGATED_BEFORE_RE = re.compile(
    r"(?:\bnot|\bnever|n't|\b(?:dont|doesnt|didnt|isnt|arent|wont|cant)|\bno longer)"
    r"\s+(?:\w+\s+)?$",
    re.I,
)
_UNTIL_RE = re.compile(r"\b(?:until|till|til)\b", re.I)
_NOT_CLOSED_RE = re.compile(
    r"(?:\bnot|\bnever|n't|\b(?:isnt|arent|wasnt))\s+(?:\w+\s+)?closed\b", re.I
)
_REFUTE_RE = re.compile(
    r"\b(?:not true|untrue|false|myth|wrong|fake|lies?|lying|nonsense|incorrect|"
    r"misinformation|debunk\w*|actually|in fact|nope|nah)\b",
    re.I,
)
_SENTENCE_RE = re.compile(r"(?<=[.!?;])\s+|\n+")


@dataclass(frozen=True)
class Detail:
    """What the post says and what the fact says, about one kind of detail."""

    kind: str  # "price" | "time" | "day" | "duration"
    post: str
    fact: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "post": self.post, "fact": self.fact}


def conflict(text: str, statement: str, sheet: Sequence[str] = ()) -> Detail | None:
    """The first detail of `text` that `statement` (a fact) says otherwise, or None. `sheet`:
    the clinic's other facts; a price one of them states is no conflict ("the $150 fitting
    fee" is not the hearing test's price)."""
    return check(text, statement, sheet)[0]


def check(text: str, statement: str, sheet: Sequence[str] = ()) -> tuple[Detail | None, bool]:
    """(the first wrong detail or None, whether the text states one of the fact's own details,
    right, and gets none wrong). Reads the first MAX_CHARS of the text: a claim about a price or
    the hours is a sentence or two, and the work stays bounded whatever arrives."""
    text = text[:MAX_CHARS]
    agrees = False
    for kind in (_price, _time, _day, _duration):
        found, kind_agrees = kind(text, statement, sheet)
        wrong = _decide(text, found, kind_agrees)
        if wrong is not None:
            return wrong, False
        # a span of time within what the fact allows ("within 10 days") says too little to
        # clear a post; a right price, time or day does
        agrees = agrees or (kind_agrees and kind is not _duration)
    return None, agrees


def _stated(text: str) -> list[str]:
    """The sentences of `text` that state something (not a wish or a question)."""
    return [s for s in _SENTENCE_RE.split(text) if s.strip() and not _UNSTATED_RE.search(s)]


# --- prices ---------------------------------------------------------------------------------


def _amounts(text: str) -> list[tuple[float, str, int]]:
    """(value, as written, position) of every amount of money in `text`."""
    out = []
    for m in _MONEY_RE.finditer(text):
        whole, cents, thousand = m.group(1), m.group(2), m.group(3)
        if whole is None:
            whole, cents, thousand = m.group(4), m.group(5), None
        value = float(whole.replace(",", "")) + (float(f"0.{cents}") if cents else 0.0)
        if thousand:
            value *= 1000
        out.append((value, m.group(0).strip(), m.start()))
    return out


_PRICE_RANGE_RE = re.compile(
    rf"{_CURRENCY}?\s?{_AMOUNT}\s*(?:-|–|—|to)\s*{_CURRENCY}?\s?{_AMOUNT}", re.I
)
_FROM_RE = re.compile(
    rf"\b(?:from|starting at|at least)\s+{_CURRENCY}\s?{_AMOUNT}(?!\s*(?:-|–|—|to)\s*\S?\d)",
    re.I,
)
_UP_TO_RE = re.compile(rf"\b(?:up to|at most|max(?:imum)?)\s+{_CURRENCY}\s?{_AMOUNT}", re.I)
_PER_UNIT_RE = re.compile(
    r"\bper\s+(?:unit|syringe|vial|session|dose|shot|area|part|body part|tooth|visit|ear)\b"
    r"|\beach\b|\ba (?:unit|syringe|vial|session|dose)\b",
    re.I,
)
_COUNT_RE = re.compile(
    r"\b(?:\d+|two|three|four|five|six|both|several)\s+(?:units?|syringes?|vials?|sessions?|"
    r"visits?|shots?|doses?|treatments?|parts?|areas?|teeth|ears)\b|\bneed\s+(?:\d+|two|three)\b"
    r"|\bx\s?\d+\b",
    re.I,
)
# money that is not the clinic's price: what insurance paid or left, parking, a tip
_NOT_A_PRICE_RE = re.compile(
    r"\b(?:co-?pays?|deductibles?|rebates?|reimburs\w*|excess|gap|back from|covered|"
    r"coinsurance|parking|tips?|refund\w*|benefits?)\b",
    re.I,
)
_PRICE_WORD_RE = re.compile(
    r"\b(?:charg\w*|costs?|costing|price[sd]?|fees?|pa(?:y|id|ys|ying)|bill\w*|rates?|"
    r"cash|self[- ]pay|out of pocket)\b",
    re.I,
)
_REPORTED_RE = re.compile(
    r"\b(?:say|says|said|saying|claim|claims|claimed|claiming|posted|posting|rumou?rs?|"
    r"heard|hear|reckon\w*|swore|swear\w*|apparently|supposedly|thinks?|thought)\b",
    re.I,
)
_WORD_RE = re.compile(r"[a-z]{3,}")
_GENERIC_WORDS = frozenset(
    re.findall(
        r"\w+",
        """the and for with without our your their they them this that from are was were has
        have had not per each any all only just also plus includes including include included
        costs cost price prices priced fee fees charge charges charged pay paid pays paying
        self cash insurance insured uninsured most many some other new after before then than
        about who what when which while will can may out pocket total whole full appointment
        appointments patient patients clinic office time get got took take takes""",
    )
)
_PRICE_CLAUSE_RE = re.compile(r"[.;:!?]\s+|,\s+|\s+(?:and|but|while)\s+", re.I)


def _service_words(text: str) -> frozenset[str]:
    """The words that say what a price is for ("cleaning", "flu shot"), stemmed crudely."""
    return frozenset(
        w.rstrip("s") for w in _WORD_RE.findall(text.lower()) if w not in _GENERIC_WORDS
    )


def _clause_at(text: str, at: int, cuts: list[re.Match]) -> str:
    """The clause of `text` around position `at`; `cuts`: _PRICE_CLAUSE_RE's matches in it."""
    start = max([0, *(m.end() for m in cuts if m.end() <= at)])
    end = min([len(text), *(m.start() for m in cuts if m.start() >= at)])
    return text[start:end]


def _bounds(statement: str) -> list[tuple[float, float]]:
    """The price ranges a fact states: "$25 to $120", "from $160", "up to $90"."""

    def value(whole: str) -> float:
        return float(whole.replace(",", ""))

    out = [(value(m.group(1)), value(m.group(3))) for m in _PRICE_RANGE_RE.finditer(statement)]
    out += [(value(m.group(1)), float("inf")) for m in _FROM_RE.finditer(statement)]
    out += [(0.0, value(m.group(1))) for m in _UP_TO_RE.finditer(statement)]
    return out


def _priced_items(statement: str) -> list[tuple[frozenset[str], set[float], list]]:
    """What a fact prices, one item per clause: (its service words, its amounts, its ranges)."""
    items = []
    for clause in re.split(r"[.;]\s+|,\s+(?=[^,]*[$£€\d])", statement):
        amounts = _amounts(clause)
        if amounts:
            items.append((_service_words(clause), {v for v, _, _ in amounts}, _bounds(clause)))
    return items


def _price(text: str, statement: str, sheet: Sequence[str] = ()) -> tuple[list[Detail], bool]:
    stated = _amounts(statement)
    if not stated:
        return [], False
    values = [v for v, _, _ in stated]
    elsewhere = {v for other in sheet for v, _, _ in _amounts(other)}
    per_unit = bool(_PER_UNIT_RE.search(statement))
    items = _priced_items(statement)
    sentences = _stated(text)
    agrees = any(v in values for s in sentences for v, _, _ in _amounts(s))
    found = []
    for sentence in sentences:
        priced = _amounts(sentence)
        if not priced:
            continue
        # the fact's prices of the service the post names; if it names none of them, the
        # fact's one price when the post speaks of a price
        words = _service_words(sentence)
        named = [item for item in items if item[0] & words]
        if not named:
            if len(stated) > 1 or not _PRICE_WORD_RE.search(sentence):
                continue
            named = items
        amounts = {v for _, vs, _ in named for v in vs}
        amounts |= {a + b for a in amounts for b in values if a != b}
        ranges = [r for *_, rs in named for r in rs]
        counted = per_unit and bool(_COUNT_RE.search(sentence))
        cuts = list(_PRICE_CLAUSE_RE.finditer(sentence))
        for value, said, at in priced:
            if value == 0 or value in elsewhere or value in amounts:
                continue
            if any(lo <= value <= hi for lo, hi in ranges):
                continue
            # "20 units at $13" = $260: a whole multiple of a price per unit, with the count
            if counted and any(
                v and v < value <= 100 * v and abs(value / v - round(value / v)) < 1e-9
                for v in amounts
            ):
                continue
            if _NOT_A_PRICE_RE.search(_clause_at(sentence, at, cuts)):
                continue
            found.append(Detail("price", said, ", ".join(s for _, s, _ in stated)))
    return found, agrees


# --- opening times --------------------------------------------------------------------------


def _clock(hour: str, minute: str | None, half: str | None) -> tuple[int, int] | None:
    h = int(hour)
    if h > 24 or (minute and int(minute) > 59):
        return None
    return h % 12, int(minute or 0)


def _fact_times(statement: str) -> set[tuple[int, int]]:
    """The times of day a fact states: marked ones ("8am", "5:30 p.m.", "noon") and those bound
    to opening or closing ("open 7:30 to 5pm"); a bare number ("within 10 business days") is
    not a time."""
    times = {p[0] for p in _post_times(statement)}
    for m in _TIME_RE.finditer(statement):
        if m.group(4):
            times.add((0, 0))
            continue
        if not m.group(3) and not m.group(2):
            continue
        t = _clock(m.group(1), m.group(2), m.group(3))
        if t is not None:
            times.add(t)
    return times


def _post_times(sentence: str) -> list[tuple[tuple[int, int], str, str, int, int]]:
    """(time, as written, "open" | "close", start, end) of each time `sentence` binds to opening
    or closing: "opens at 9" / "doesn't open until 9" open at 9, "closes at 4" / "open till 6"
    close, "open 9-1" both."""
    out = []
    for m in _BOUND_RE.finditer(sentence):
        # "they don't close at 4": denied, not stated ("doesn't open until 9" is stated: 9)
        negated = bool(_NEGATED_BEFORE_RE.search(sentence, max(0, m.start() - 16), m.start()))
        said = m.group(0)
        if negated and not _UNTIL_RE.search(said):
            continue
        groups = m.groups()
        if groups[3] is not None:  # a range: "open 9-1", "from 8 to 5"
            roles = ("open", "close", None)
        elif groups[6] is not None or (_CLOSING_RE.search(said) and not negated):
            roles = ("close", None, "close")
        else:
            roles = ("open", None, "close")
        for at, role in zip((0, 3, 6), roles, strict=True):
            hour, minute, half = groups[at : at + 3]
            if hour is None:
                continue
            # "open 24 hours", "until 30 minutes before": a duration, not a time of day
            end = m.end(at + 3) if half else (m.end(at + 2) if minute else m.end(at + 1))
            if _UNIT_AFTER_RE.match(sentence, end):
                continue
            t = _clock(hour, minute, half)
            if t is not None:
                out.append((t, " ".join(said.split()), role, m.start(), m.end()))
    # "hours: mon-thu 8 to 6, saturday 9-1": a range of times in a sentence about opening
    if _OPEN_CLAIM_RE.search(sentence):
        for m in _TIME_RANGE_RE.finditer(sentence):
            if any(a < m.end() and m.start() < b for *_, a, b in out):
                continue
            said = " ".join(m.group(0).split())
            opens = _clock(m.group(1), m.group(2), m.group(3))
            closes = (0, 0) if m.group(7) else _clock(m.group(4), m.group(5), m.group(6))
            if opens is not None and not _UNIT_AFTER_RE.match(sentence, m.end()):
                out.append((opens, said, "open", m.start(), m.end()))
                if closes is not None:
                    out.append((closes, said, "close", m.start(), m.end()))
    return out


_CLOSING_RE = re.compile(r"\b(?:clos\w*|shut\w*|until|till|til|last)\b|'til\b", re.I)
_TIME_RANGE_RE = re.compile(
    rf"\b{_CLOCK}\s*(?:-|–|—|to|until|till)\s*(?:{_CLOCK}|(noon|midday|midnight))", re.I
)


_UNTIL_DAY_RE = re.compile(rf"\b(?:until|till)\s+{_CLOCK}\s+(?:on\s+|every\s+)?({_DAY})", re.I)


def _schedule(statement: str) -> dict[int, set[tuple[tuple[int, int], tuple[int, int]]]]:
    """day -> {(opens, closes)} as the fact's hours give them ("Monday to Thursday 8am-6pm,
    Friday 8am-2pm": the days named before each range of times)."""
    out: dict[int, set] = {}
    for sentence in _SENTENCE_RE.split(statement):
        if _ELSEWHERE_RE.search(sentence):
            continue
        last = 0
        for m in _TIME_RANGE_RE.finditer(sentence):
            days = _days_in(sentence[last : m.start()])
            last = m.end()
            opens = _clock(m.group(1), m.group(2), m.group(3))
            closes = (0, 0) if m.group(7) else _clock(m.group(4), m.group(5), m.group(6))
            if opens is None or closes is None:
                continue
            for d in days:
                out.setdefault(d, set()).add((opens, closes))
        # "extended hours until 7pm on Tuesdays"
        for m in _UNTIL_DAY_RE.finditer(sentence):
            closes = _clock(m.group(1), m.group(2), m.group(3))
            for d in _days_in(m.group(4)):
                opens = {pair[0] for pair in out.get(d, ())} or {(-1, -1)}
                out.setdefault(d, set()).update((o, closes) for o in opens)
    return out


def _time(text: str, statement: str, sheet: Sequence[str] = ()) -> tuple[list[Detail], bool]:
    if not _OPEN_RE.search(statement) and not _CLOSED_RE.search(statement):
        return [], False
    stated = _fact_times(statement)
    if not stated:
        return [], False
    schedule = _schedule(statement)
    found, agrees = [], False
    for sentence in _stated(text):
        if _ELSEWHERE_RE.search(sentence):
            continue
        for clause in _clauses(sentence):
            times = _post_times(clause)
            days_of = _days_of_times(clause, times)
            for n, (t, said, role, _, _) in enumerate(times):
                days = {d for d in days_of[n] if d in schedule}
                if days:
                    # "open til 6 on Fridays": that day's hours, when the fact gives them
                    at = 0 if role == "open" else 1
                    right = all(any(pair[at] == t for pair in schedule[d]) for d in days)
                else:
                    right = t in stated
                if right:
                    agrees = True
                else:
                    found.append(Detail("time", said, _hours_summary(statement)))
        # "nope, it's 8pm every day": a time of day said outright agrees too
        agrees = agrees or any(
            _clock(m.group(1), m.group(2), m.group(3)) in stated
            for m in _TIME_RE.finditer(sentence)
            if m.group(3)
        )
    return found, agrees


def _day_segments(text: str) -> list[tuple[int, int, set[int]]]:
    """(start, end, days) of each mention of days in `text`: a range, a day, weekends."""
    out = [(m.start(), m.end(), _days_in(m.group(0))) for m in _RANGE_RE.finditer(text)]
    taken = [(a, b) for a, b, _ in out]
    for pattern in (_DAY_RE, _WEEKEND_RE, _WEEKDAY_RE, _ALL_WEEK_RE):
        for m in pattern.finditer(text):
            if not any(a <= m.start() < b for a, b in taken):
                out.append((m.start(), m.end(), _days_in(m.group(0))))
                taken.append((m.start(), m.end()))
    return out


def _days_of_times(clause: str, times: list) -> list[set[int]]:
    """The days each time of `times` is said of: every mention of days goes to the time it
    is nearest ("open till 6 Mon-Thu and Saturday mornings 9-1")."""
    days: list[set[int]] = [set() for _ in times]
    if not times:
        return days
    for start, end, named in _day_segments(clause):
        gaps = [max(start - t_end, t_start - end, 0) for *_, t_start, t_end in times]
        days[gaps.index(min(gaps))] |= named
    return days


def _decide(text: str, found: list[Detail], agrees: bool) -> Detail | None:
    """The first wrong detail, unless the post also states the fact's own detail of that kind
    and reports or refutes the wrong one ("people say they close at 4 - not true, open till
    6")."""
    if not found:
        return None
    if agrees and (_REFUTE_RE.search(text) or _REPORTED_RE.search(text)):
        return None
    return found[0]


def _hours_summary(statement: str) -> str:
    """The fact's sentences about opening hours, for the evidence."""
    parts = [
        s.strip()
        for s in _SENTENCE_RE.split(statement)
        if _TIME_RE.search(s)
        and (_OPEN_RE.search(s) or _CLOSED_RE.search(s) or _DAY_RE.search(s))
        and not _ELSEWHERE_RE.search(s)
    ]
    return " ".join(parts) or statement


# --- how long something takes -----------------------------------------------------------------

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "forty-five": 45, "sixty": 60, "ninety": 90,
}  # fmt: skip
_MINUTES = {"minute": 1, "min": 1, "hour": 60, "hr": 60, "day": 1440, "week": 10080,
            "month": 43200, "year": 525600, "yr": 525600}  # fmt: skip
_DURATION_RE = re.compile(
    r"\b(\d+(?:\.\d+)?|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
    r"(?:\s*-\s*|\s+)(?:business\s+|working\s+|calendar\s+|full\s+)?"
    r"(minute|min|hour|hr|day|week|month|year|yr)s?\b",
    re.I,
)
# "24 hours a day, 7 days a week", "3 years ago", "5 years old": not how long something takes
_NOT_A_DURATION_RE = re.compile(
    r"\s*(?:a|per|each|every)\s+(?:day|week|month|year)\b|\s*/\s*7|\s+(?:ago|old|before|"
    r"earlier|later|running|straight|in a row)\b",
    re.I,
)
_AT_MOST_RE = re.compile(r"\b(?:within|up to|no more than|at most|under|less than|by)\s*$", re.I)
_AT_LEAST_RE = re.compile(r"\b(?:at least|minimum of|no less than|over|more than)\s*$", re.I)
_ABOUT_RE = re.compile(
    r"\b(?:about|around|approximately|roughly|usually|typically|normally|~)\s*$", re.I
)
_DURATION_UNIT_WORDS = frozenset(
    [
        "minute",
        "minutes",
        "min",
        "mins",
        "hour",
        "hours",
        "hr",
        "hrs",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "yr",
        "yrs",
        "business",
        "working",
        "calendar",
        "full",
    ]
)


_DURATION_RANGE_RE = re.compile(r"\b(\d+(?:\.\d+)?)\s*(?:-|–|—|to)\s*$", re.I)
# "I've been getting shots for four years", "3 month waitlists everywhere else": the reader's
# own history, or another place's
_HISTORY_BEFORE_RE = re.compile(r"\b(?:for|been|past|last)\s+(?:the\s+)?$", re.I)
_ELSEWHERE_DURATION_RE = re.compile(
    r"\b(?:everywhere else|elsewhere|other (?:clinics?|places?|offices?|practices?)|"
    r"anywhere else)\b",
    re.I,
)


def _durations(text: str) -> list[tuple[float, str, int, int]]:
    """(minutes, as written, start, minutes in its unit) of each span of time `text` states."""
    out = []
    for m in _DURATION_RE.finditer(text):
        if _NOT_A_DURATION_RE.match(text, m.end()):
            continue
        if m.group(2).lower() in ("year", "yr", "month") and _HISTORY_BEFORE_RE.search(
            text, max(0, m.start() - 12), m.start()
        ):
            continue
        number = m.group(1).lower()
        value = _NUMBER_WORDS[number] if number in _NUMBER_WORDS else float(number)
        unit = _MINUTES[m.group(2).lower()]
        out.append((value * unit, m.group(0), m.start(), unit))
    return out


def _duration(text: str, statement: str, sheet: Sequence[str] = ()) -> tuple[list[Detail], bool]:
    """A span of time the post gives for what the fact times ("the trial is only 14 days"
    against "a 45-day trial"), out of what the fact allows: within X, at least X, about X
    (half to twice), a range ("7-10 business days"), or X (a tenth either way)."""
    items = []  # (service words, minutes, bound) per duration the fact states
    for clause in re.split(r"[.;]\s+|,\s+", statement):
        for minutes, _, start, unit in _durations(clause):
            before = clause[max(0, start - 24) : start]
            words = _service_words(clause) - _DURATION_UNIT_WORDS
            low = _DURATION_RANGE_RE.search(before)
            if low:  # "7-10 business days", "every 15-30 minutes": from low to this
                items.append((words, (float(low.group(1)) * unit, minutes), "range"))
                continue
            bound = (
                "at_most"
                if _AT_MOST_RE.search(before)
                else "at_least"
                if _AT_LEAST_RE.search(before)
                else "about"
                if _ABOUT_RE.search(before)
                else "exact"
            )
            items.append((words, minutes, bound))
    if not items:
        return [], False
    found, agrees = [], False
    for sentence in _stated(text):
        if _ELSEWHERE_DURATION_RE.search(sentence):
            continue
        words = _service_words(sentence) - _DURATION_UNIT_WORDS
        named = [item for item in items if item[0] & words]
        if not named:
            continue
        for minutes, said, _, _ in _durations(sentence):
            if any(_within(minutes, fact, bound) for _, fact, bound in named):
                agrees = True
            else:
                stated = "; ".join(s for s in re.split(r"(?<=[.;])\s+", statement) if _durations(s))
                found.append(Detail("duration", said, stated or statement))
    return found, agrees


def _within(minutes: float, fact, bound: str) -> bool:
    if bound == "range":
        low, high = fact
        return low * 0.9 <= minutes <= high * 1.1
    if bound == "at_most":
        return minutes <= fact * 1.1
    if bound == "at_least":
        return minutes >= fact * 0.9
    if bound == "about":
        return fact / 2 <= minutes <= fact * 2
    return fact * 0.9 <= minutes <= fact * 1.1


# --- opening days ---------------------------------------------------------------------------


def _day_index(word: str) -> int:
    return DAYS.index(word[:3].lower())


def _days_in(clause: str) -> set[int]:
    days: set[int] = set()
    if _ALL_WEEK_RE.search(clause):
        return set(range(7))
    for m in _RANGE_RE.finditer(clause):
        a, b = _day_index(m.group(1)), _day_index(m.group(2))
        i = a
        while True:
            days.add(i)
            if i == b:
                break
            i = (i + 1) % 7
    for m in _DAY_RE.finditer(clause):
        days.add(_day_index(m.group(0)))
    if _WEEKEND_RE.search(clause):
        days |= {5, 6}
    if _WEEKDAY_RE.search(clause):
        days |= {0, 1, 2, 3, 4}
    return days


_CLAUSE_RE = re.compile(
    r"[.;,:]\s+|\s+(?:so|because|since|if|when|which|while|though|although)\s+"
    r"|\s+(?:and|but|&)\s+(?=(?:we|it|they|the|he|she|is|are|isn't|aren't|not|never|closed|"
    r"open|opens|closes|doesn't|don't|only)\b)",
    re.I,
)


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE_RE.split(text) if c and c.strip()]


def _fact_days(statement: str) -> tuple[set[int], set[int]]:
    """(days open, days closed) as the fact's sentences about the clinic's own hours say."""
    opened: set[int] = set()
    closed: set[int] = set()
    for sentence in _SENTENCE_RE.split(statement):
        if _ELSEWHERE_RE.search(sentence):
            continue
        for clause in _clauses(sentence):
            days = _days_in(clause)
            if not days:
                continue
            if _CLOSED_RE.search(clause):
                closed |= days
            elif _TIME_RE.search(clause) or _OPEN_CLAIM_RE.search(clause):
                opened |= days
    return opened - closed, closed


def _day(text: str, statement: str, sheet: Sequence[str] = ()) -> tuple[list[Detail], bool]:
    if not _fact_times(statement):
        return [], False  # not a fact about opening hours ("X-rays on site on weekdays")
    opened, closed = _fact_days(statement)
    if not opened:
        return [], False
    # the fact gives the opening days: every other day is closed
    closed = set(range(7)) - opened
    found, agrees = [], False
    for sentence in _stated(text):
        if _ELSEWHERE_RE.search(sentence):
            continue
        for clause in _clauses(sentence):
            days = _days_in(clause)
            if not days or _ALL_WEEK_RE.search(clause):
                continue
            if _NOT_CLOSED_RE.search(clause):
                says_open = True  # "they're not closed on Saturdays"
            elif _CLOSED_RE.search(clause):
                says_open = False
            elif _OPEN_CLAIM_RE.search(clause):
                says_open = True
            else:
                continue
            wrong = days & (closed if says_open else opened)
            if wrong:
                names = ", ".join(_DAY_NAMES[d] for d in sorted(wrong))
                said = "open" if says_open else "closed"
                found.append(Detail("day", f"{said} on {names}", _hours_summary(statement)))
            else:
                agrees = True
    return found, agrees


_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Every pattern above, for the rules' share of the model version (topics.rules_version): a
# changed rule is a new model version, and the sweeper rescores.
PATTERNS: tuple[str, ...] = tuple(
    v.pattern for k, v in sorted(globals().items()) if isinstance(v, re.Pattern)
) + (RULES_VERSION, f"max_chars={MAX_CHARS}")
