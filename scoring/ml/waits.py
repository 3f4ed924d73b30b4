"""How long the wait was, when a review says it in words a reader takes at face value.

The topic head learned the `wait_time` label from reviewers' punctuality ratings, and reviewers
who like their doctor rate punctuality 4-5 after a two-hour wait. A reader does not: "Dr Lee
is wonderful. The wait was over two hours." is positive overall and negative for the wait. So
when a wait sentence states the wait plainly, that statement decides the topic's label:

* a wait of 45 minutes or more ("over two hours", "65 minutes past our appointment",
  "running 2 hours behind", "all afternoon", "took forever") is negative, forgiven or not;
* no wait, a short one, or being seen on time ("no wait at all", "waited maybe five minutes",
  "the wait? Non-existent", "seen right on time") is positive;
* a wait of 10 to 40 minutes stated without a judgement ("waited about 15 minutes", "the 40
  minute wait was about what I expected") is neutral.

Anything else (no duration, a judgement beside a moderate wait, both a long and a short wait
in one sentence) is left to the model. Pure Python; the rule was written from the reader
convention in bench/sentiment/topics_text.py and checked on that set's dev half only.
"""

from __future__ import annotations

import re

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90, "several": 2,
    "a couple of": 2, "couple of": 2, "a few": 3, "few": 3,
}  # fmt: skip
_AMOUNT = (
    r"(?P<n>\d+(?:\.\d+)?|"
    + "|".join(re.escape(w) for w in sorted(_NUMBER_WORDS, key=len, reverse=True))
    + r")"
)
_DURATION = re.compile(
    r"\b"
    + _AMOUNT
    + r"(?:\s*(?:\+|plus|or (?:so|more)))?[\s-]*(?P<unit>hours?|hrs?|minutes?|mins?)\b"
)
# a duration that bounds something else than the wait ("called back within an hour")
_NOT_A_WAIT = re.compile(
    r"\b(?:within|in under|under|less than|in less than|after only|up to|every|for the next|half)\s*$"
)
_SHORT_WORDS = re.compile(r"\b(?:only|barely)(?: \w+){0,3}? ?$|\b(?:just|at most|no more than) ?$")
_HALF_HOUR = re.compile(r"\bhalf an? hour\b")
# "not a short wait", "wasn't quick": the short-wait words said of something else
_NEGATED = re.compile(r"(?:\bnot|n't|\bnever|\bhardly)(?: \w+){0,2} ?$")
_LONG_WORDS = re.compile(
    r"\b(?:took|waited|wait(?:ing)?|sat|sit(?:ting)?) (?:\w+ ){0,3}?"
    r"(?:forever|ages|an eternity|all (?:day|morning|afternoon|evening))\b"
    r"|\b(?:all (?:day|morning|afternoon|evening)) (?:in|at) the (?:waiting room|lobby|office)\b"
    r"|\b(?:long|endless|excessive|ridiculous|insane|horrendous|terrible|awful|crazy) waits?\b"
    r"|\bwait(?:s|ing)?(?: times?)? (?:is|are|was|were|can be|tends? to be) (?:always |usually |very |"
    r"really |so |extremely |way too |too )*(?:long|ridiculous|excessive|insane|terrible|awful|"
    r"horrendous|endless)\b"
)
_NO_WAIT = re.compile(
    r"\bno wait(?:ing)?\b(?! (?:times? )?(?:was|is) (?:too|that))"
    r"|\b(?:didn't|did not|don't|do not|never) (?:have to |had to |even )?wait\b"
    r"|\bwait(?:ing)?(?: time)?\?? (?:was |is )?(?:non-?existent|minimal|nil|zero)\b"
    r"|\b(?:short|quick|brief|minimal|no) waits?\b"
    r"|\bbarely (?:had to )?wait(?:ed)?\b|\bhardly (?:any|a) wait\b"
    r"|\b(?:seen|called (?:back|in)|taken (?:back|in))(?: (?:right|exactly|almost))? "
    r"(?:on time|early|right away|immediately|straight away|promptly)\b"
    r"|\b(?:right|exactly|always|perfectly) on time\b"
)
_JUDGED = re.compile(
    r"\b(?:too long|ridiculous|frustrat|annoy|unacceptable|terrible|awful|horrible|insane|"
    r"excessive|forever|long|quick|fast|great|excellent|amazing|impressive|short|improv|"
    r"don't like|complain|unhappy|disappoint)\w*"
)
_NEGATED_NO = re.compile(r"\bno(?: [\w-]+?)?[ -]?$")
# a bound on the wait: "never waited more than 10 minutes", "15 min tops"
_AT_MOST_BEFORE = re.compile(
    r"\b(?:never|not|n't|rarely|seldom)\b(?: \w+){0,3} (?:more than|longer than|over) ?$"
)
_AT_MOST_AFTER = re.compile(
    r"(?:,? tops\b|,? max(?:imum)?\b|,? at (?:the )?most\b|,? or less\b|,? if that\b)"
)
# a wait counted past the appointment: "40 minutes past my appointment time", "30 min late"
_PAST_TIME = re.compile(
    r"(?:\s*\w+){0,2}?\s*(?:past|late|behind|after (?:my|our|the) (?:appointment|appt|scheduled))\b"
)
# the length of the visit or of a journey, not a wait: "spent 45 minutes with me", "10 mins
# with her", "an hour drive", "the surgery lasted 2 hours"
_NOT_WAITING_BEFORE = re.compile(
    r"\b(?:spent|spend|spends|spending|lasted|lasts|last|drove|drive|travel(?:l?ed)?|commute|"
    r"procedure|surgery|session|visit|consult(?:ation)?|exam|appointment) (?:[\w-]+ ){0,3}?"
    r"(?:about |around |over |almost |nearly )?$"
)
# the reader's own lateness or earliness: "I was 10 mins late", "we arrived 30 minutes early"
_SELF_BEFORE = re.compile(r"\b(?:i|we) (?:was|were|arrived|got there|showed up)(?: \w+)? ?$")
_SELF_AFTER = re.compile(r"\s*(?:late|early)\b")
_NOT_WAITING_AFTER = re.compile(
    r"[\s-]*(?:(?:[\w-]+ ){0,2}?(?:with (?:me|us|her|him|them|my|our|the|each|dr\b)|drive|"
    r"away|travel|commute|flight|trip|before|ago|later|earlier|in advance|notice)|"
    r"(?:long )?(?:visit|appointment|session|consult|exam|procedure|surgery)\b)"
)
# a sentence about a wait: a duration is read only in one
_WAIT_WORDS = re.compile(
    r"\b(?:wait\w*|sat|sit(?:ting)?|delay\w*|late|behind|lobby|waiting room|on hold|finally|"
    r"(?:to|until|before) (?:be|being|get|getting) (?:seen|called|taken)|called back|"
    r"past (?:my|our|the) (?:appointment|appt|scheduled))\b"
)
_NOT_ME = re.compile(r"\b(?:used to|expect(?:ed)?|elsewhere|another|other)\b")


_WINDOW = 60  # characters read on either side of a match


def _before(low: str, m: re.Match) -> str:
    return low[max(0, m.start() - _WINDOW) : m.start()]


def _minutes(m: re.Match) -> float:
    raw = m.group("n")
    n = float(raw) if raw[0].isdigit() else float(_NUMBER_WORDS[raw])
    return n * 60 if m.group("unit").startswith("h") else n


def stated_wait(sentence: str) -> str | None:
    """negative / neutral / positive when `sentence` (one that mentions the wait) states the
    wait plainly; None when the model should judge it."""
    low = sentence.lower().replace("\u2019", "'")
    long_wait = short_wait = False
    for m in _LONG_WORDS.finditer(low):  # "no hour-long waits", "never a long wait": short
        before = _before(low, m)
        if _NEGATED.search(before) or _NEGATED_NO.search(before):
            short_wait = True
        else:
            long_wait = True
    short_wait |= any(not _NEGATED.search(_before(low, m)) for m in _NO_WAIT.finditer(low))
    moderate = bool(_HALF_HOUR.search(low))
    durations = _DURATION.finditer(low) if _WAIT_WORDS.search(low) else ()
    for m in durations:
        before, after = _before(low, m), low[m.end() : m.end() + _WINDOW]
        minutes = _minutes(m)
        if _NOT_WAITING_BEFORE.search(before) or _NOT_WAITING_AFTER.match(after):
            continue
        if _SELF_BEFORE.search(before) and _SELF_AFTER.match(after):
            continue
        if _AT_MOST_BEFORE.search(before) or _AT_MOST_AFTER.match(after):
            # "never waited more than 10 minutes", "15 min tops": a bound on a short wait
            short_wait |= minutes < 45
            continue
        if _NOT_A_WAIT.search(before):
            # "never been seen less than 45 min late": a floor under a long wait
            long_wait |= minutes >= 30 and "never" in before[-40:]
            continue
        if minutes >= 45 or (minutes >= 30 and _PAST_TIME.match(after)):
            if _NOT_ME.search(before[-40:]):  # "I'm used to an hour": another office's wait
                continue
            long_wait = True
        elif minutes < 10 or _SHORT_WORDS.search(before):
            short_wait = True
        else:
            moderate = True
    if long_wait and short_wait:
        return None
    if long_wait:
        return "negative"
    if short_wait:
        return "positive"
    if moderate and not _JUDGED.search(low):
        return "neutral"
    return None


# Every pattern above, for the rules' share of the model version (topics.rules_version).
PATTERNS: tuple[str, ...] = tuple(
    v.pattern for k, v in sorted(globals().items()) if isinstance(v, re.Pattern)
) + (repr(sorted(_NUMBER_WORDS.items())),)
