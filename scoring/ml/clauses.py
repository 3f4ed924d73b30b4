"""Contrasting clauses: the part of a sentence a topic's sentiment reads.

"Great therapists, but the wait at check-in was long." is one sentence with two verdicts; read
whole, the wait takes the praise's polarity. Where a sentence joins contrasting clauses, it is
cut into them and each topic reads the clause that mentions it:

* after ";" and a spaced or long dash ("—", " - ");
* before "but" ("nothing but", "anything but", "but also" excepted), "whereas", "except",
  "otherwise", ", yet", "although" and a "though" that starts a clause;
* before a ", however," that a new clause follows ("Staff were great, however, the wait...";
  not "The wait, however, was long", whose contrast is with the sentence before);
* a sentence that opens with "although", "though", "even though", "while" or "whilst" is cut
  at the comma that closes the opening clause;
* a sentence that ends in "though" or "however" ("Wonderful results, billing was a mess
  though.") is cut at the last comma before it.

A sentence without such a word stays whole: "Friendly staff and great results, parking was
easy." is read as one. Pure Python; chosen on the dev half of bench/sentiment/topics_text.py.
"""

from __future__ import annotations

import re

# a word that joins a contrasting clause, cut before it
_JOINER = re.compile(
    r"(?<!nothing )(?<!anything )(?<!everything )(?<!all )\bbut\b(?! also\b)"
    r"|\b(?:whereas|except|otherwise|although)\b"
    r"|(?<=,) ?\byet\b"
    r"|(?<!even )\bthough\b(?=\s+\w)"
)
# ", however," before a new clause's subject
_HOWEVER = re.compile(
    r",\s*(however)\s*,\s*(?:the|my|our|your|their|his|her|its|this|that|these|those|there|"
    r"it|i|we|they|he|she|you|everything|everyone|nobody|no one)\b"
)
# punctuation that ends a clause: cut after it
_BREAK = re.compile(r";|\s[-\u2013\u2014]{1,2}\s|\u2014|\s--\s")
_OPENING = re.compile(r"^\W*(?:although|even though|though|while|whilst)\b[^,;]*,")
_CLOSING = re.compile(r",[^,;]*\b(?:though|tho|however)\W*$")


def clause_cuts(sentence: str) -> list[int]:
    """The positions in `sentence` where a contrasting clause starts (sorted, inside it)."""
    low = sentence.lower()
    cuts = {m.end() for m in _BREAK.finditer(low)}
    cuts |= {m.start() for m in _JOINER.finditer(low)}
    cuts |= {m.start(1) for m in _HOWEVER.finditer(low)}
    if m := _OPENING.match(low):
        cuts.add(m.end())
    if m := _CLOSING.search(low):
        cuts.add(m.start() + 1)
    return sorted(c for c in cuts if 0 < c < len(sentence))


def clause_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) in `text` of each clause of the sentence text[start:end] that holds a
    letter or digit, whitespace trimmed; the sentence itself when it has no contrast."""
    sentence = text[start:end]
    cuts = clause_cuts(sentence)
    if not cuts:
        return [(start, end)]
    out, pos = [], 0
    for cut in (*cuts, len(sentence)):
        part = sentence[pos:cut]
        if any(ch.isalnum() for ch in part):
            lead = len(part) - len(part.lstrip())
            out.append((start + pos + lead, start + pos + len(part.rstrip())))
        pos = cut
    return out or [(start, end)]


# Every pattern above, for the rules' share of the model version (topics.rules_version).
PATTERNS: tuple[str, ...] = tuple(
    v.pattern for k, v in sorted(globals().items()) if isinstance(v, re.Pattern)
)
