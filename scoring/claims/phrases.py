"""Key phrases of a claim, in pure Python: content words, lightly stemmed, without the
clinic's own name (every mention of the clinic shares it, so it says nothing about *what* is
claimed), and the bigrams of consecutive content words. Two mentions share a claim when they
share most of their key words; the encoder's similarity confirms it (see `match`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_HYPHEN_PREFIX = re.compile(r"\b(re|pre|un|non|over|under|mis)-(?=[a-z])")
STOP = frozenset(
    str.split(
        """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each else
    even ever every few for from further get gets got had has have having he her here hers him
    his how i if in into is it its itself just know let like me more most my no nor not now of
    off on once only or other our ours out over own people really said same say says she should
    so some still such than that the their theirs them then there these they this those through
    to too under until up us very was we were what when where which while who whom why will
    with would you your yours yet apparently heard hear friend friends told someone somebody
    everyone anyone guys lol omg wow please place clinic clinics office practice today
    yesterday week just stay away beware warning avoid go going went"""
    )
)
_SUFFIXES = ("ations", "ation", "ings", "ing", "edly", "ies", "ied", "es", "ed", "ly", "s", "e")
_ALIASES = {"reus": "reus", "resus": "reus", "recycl": "reus", "syring": "needl"}


def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return _ALIASES.get(word, word)


def content_words(text: str, *, ignore: frozenset[str] = frozenset()) -> list[str]:
    """Stems of the words that carry the claim, in order."""
    low = _HYPHEN_PREFIX.sub(r"\1", (text or "").lower())
    out = []
    for word in _WORD.findall(low):
        word = word.replace("’", "'").split("'")[0]
        if len(word) < 2 or word in STOP or word in ignore:
            continue
        out.append(stem(word))
    return out


def name_words(name: str) -> frozenset[str]:
    """The words of the clinic's name (and their stems), left out of key phrases."""
    words = set(_WORD.findall((name or "").lower()))
    return frozenset(words | {stem(w) for w in words})


@dataclass(frozen=True)
class Phrases:
    words: frozenset[str]
    bigrams: tuple[str, ...]

    def as_list(self, limit: int = 12) -> list[str]:
        seen: list[str] = []
        for phrase in [*self.bigrams, *sorted(self.words)]:
            if phrase not in seen:
                seen.append(phrase)
        return seen[:limit]


def key_phrases(text: str, *, ignore: frozenset[str] = frozenset()) -> Phrases:
    words = content_words(text, ignore=ignore)
    bigrams = tuple(dict.fromkeys(f"{a} {b}" for a, b in zip(words, words[1:], strict=False)))
    return Phrases(words=frozenset(words), bigrams=bigrams)


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Shared key words over the smaller set (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\s*\n+\s*")
# Words that turn a sentence against the claim it names ("they do NOT reuse needles", "that
# needle story is a lie"): such a sentence repeats the claim's words, not the claim.
_AGAINST = frozenset(
    str.split("not no never nor false untrue lie lies lying myth rumor rumour fake hoax debunked")
)


def sentences(text: str) -> list[str]:
    """The sentences of a text, stripped, in order (lines count as sentences)."""
    return [s.strip() for s in _SENTENCE.split(text or "") if s and s.strip()]


def against(text: str) -> bool:
    """Whether a sentence negates or disputes what it says (see `_AGAINST`)."""
    low = (text or "").lower().replace("’", "'")
    return "n't" in low or any(w in _AGAINST for w in _WORD.findall(low))


def normalised(text: str) -> str:
    """Case, punctuation and spacing folded: near-duplicates ("…needles!!") compare equal."""
    return " ".join(_WORD.findall((text or "").lower()))


# Thresholds, checked on tests/scoring/claims_pairs.py (paraphrases and different claims about
# the same clinic). The shipped encoder is fine-tuned for sentiment, so two different
# complaints about one clinic can be as close as 0.85: the key words decide, the encoder
# confirms.
MIN_OVERLAP = 0.5
MIN_JACCARD = 0.25
MIN_COSINE = 0.5
STRONG_OVERLAP = 0.75  # most key words shared: a weaker encoder agreement is enough
STRONG_MIN_COSINE = 0.4


REPEAT_MIN_WORDS = 2  # a claim of one key word ("rude") is too thin to be repeated
REPEAT_OVERLAP = 0.9
REPEAT_JACCARD = 0.6


def repeats(words_a: frozenset[str], words_b: frozenset[str]) -> bool:
    """Whether one claim repeats another's words: two key words at least, nearly all of the
    shorter claim's in the longer one, and most of both shared. Words alone decide (as
    without an encoder): "Still hearing Riverside reuses needles" repeats "Riverside
    reuses needles!!"."""
    if len(words_a & words_b) < REPEAT_MIN_WORDS:
        return False
    return overlap(words_a, words_b) >= REPEAT_OVERLAP and jaccard(words_a, words_b) >= (
        REPEAT_JACCARD
    )


def match(*, cosine: float, words_a: frozenset[str], words_b: frozenset[str]) -> bool:
    """Whether two claims are the same claim."""
    ov = overlap(words_a, words_b)
    if ov >= STRONG_OVERLAP and jaccard(words_a, words_b) >= MIN_JACCARD:
        return cosine >= STRONG_MIN_COSINE
    return ov >= MIN_OVERLAP and jaccard(words_a, words_b) >= MIN_JACCARD and cosine >= MIN_COSINE
