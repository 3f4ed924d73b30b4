"""Phrase patterns: confirmation that the reviewer is (or is not) a patient.

Each :class:`Phrase` is a case-insensitive regular expression with a subtype, a severity, a
message for the writer and a suggested safe rewrite. Patterns are written against phrasing, not
single words, and are tested in ``tests/responses/test_guard.py`` and measured by
``bench/compliance/run.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .result import BLOCK, NEEDS_REVIEW


@dataclass(frozen=True)
class Phrase:
    regex: re.Pattern
    subtype: str
    severity: str
    message: str
    suggestion: str
    # optional conditions on the sentence that contains the match (checked in Python, so that
    # no pattern needs an unbounded look-around, which would be quadratic on long text)
    sentence_requires: re.Pattern | None = None
    sentence_excludes: re.Pattern | None = None


def _p(
    pattern: str,
    subtype: str,
    severity: str,
    message: str,
    suggestion: str,
    *,
    requires: str | None = None,
    excludes: str | None = None,
) -> Phrase:
    return Phrase(
        re.compile(pattern, re.IGNORECASE),
        subtype,
        severity,
        message,
        suggestion,
        re.compile(requires, re.IGNORECASE) if requires else None,
        re.compile(excludes, re.IGNORECASE) if excludes else None,
    )


def _alt(words: str) -> str:
    items = sorted({w.strip() for w in words.split("|") if w.strip()}, key=len, reverse=True)
    return "(?:" + "|".join(items) + ")"


# Nouns that, after "your", refer to a specific episode of care, a record or a bill.
CARE_NOUNS = _alt(
    r"""visits?|appointments?|appts?|procedures?|surgery|surgeries|operation|treatments?|exams?|
    examination|check-?ups?|physical|cleanings?|consultations?|consults?|sessions?|therapy|therapies|
    stay|admission|discharge|prescriptions?|medications?|meds|dose|dosage|refills?|chart|
    records?|medical records?|file|history|results?|tests?|labs?|lab\s?work|blood\s?work|
    x-?rays?|scans?|mri|biopsy|biopsies|diagnos[ie]s|condition|prognosis|symptoms?|bills?|
    statements?|invoices?|balance|account|claim|insurance|coverage|benefits|co-?pays?|
    deductible|plan\s+of\s+care|treatment\s+plan|care\s+plan|care|recovery|healing|crowns?|
    fillings?|implants?|braces|aligners|dentures|veneers|retainer|tooth|teeth|gums|smile|
    injections?|vaccines?|vaccinations?|shots?|infusions?|pregnancy|delivery|baby|labor|
    prenatal|postpartum|referrals?|follow-?ups?|provider|doctor|dentist|physician|surgeon|
    hygienist|therapist|nurse|care\s+team|counselor|counsellor|psychiatrist|dermatologist|ob-?gyn|
    midwife|pediatrician|orthodontist|specialist|wait|wait\s+time|check-?in|intake|paperwork|
    forms|pain|stitches|sutures|wound|incision|rash|skin|mole|knee|hip|shoulder|back\s+pain|
    pre-?op|post-?op|rehab|physical\s+therapy|sedation|anesthesia|reaction|side\s+effects|
    test\s+results|lab\s+results|case|notes|progress|health\s+records?|portal\s+messages?|
    vitals|blood\s+pressure|weight|temperature|first\s+time|last\s+time|next\s+time|
    chair|time\s+in\s+the\s+chair|card|payment|payments|charges?|refund|receipt|copays?|
    sample|specimen|swab|impressions|scans|hearing\s+aids?|glasses|contacts|lenses|cpap""".replace(
        "\n", ""
    ).replace(" ", "")
)

# Words that may sit between "your" and the care noun without breaking the phrase.
_GAP_STOP = _alt(
    r"""experience|experiences|feedback|review|reviews|comments?|concerns?|thoughts|time|patience|
    trust|kind|words|about|regarding|on|in|at|with|for|of|to|from|the|a|an|our|their|and|or|
    but|that|this|which|when|who|is|was|are|were|will|be|been|can|could|would|should|family|
    friends|questions?|privacy|convenience|safety|suggestions?|input|message|business|email|
    e-mail|phone|call|honesty|opinion|perspective|story|post|support|loyalty|understanding|
    expectations?|frustration|disappointment|situation|needs|schedule|area|community|""".replace(
        "\n", ""
    )
    .replace(" ", "")
    .strip("|")
)
_GAP = rf"(?:(?!{_GAP_STOP}\b)[\w'’-]+\s+){{0,2}}?"

_STAFF = _alt(
    r"""doctor|dr\.?|dentist|provider|physician|surgeon|hygienist|assistant|nurse|therapist|
    technician|tech|staff|staff\smember|team\smember|receptionist|front\sdesk|team|counselor|
    psychiatrist|dermatologist|midwife|pediatrician|specialist|practitioner|np|pa|
    we|i|our\soffice|our\steam""".replace("\n", "").replace(" ", "")
)

_SUGGEST_EXPERIENCE = "your experience"
_SUGGEST_PRIVATE = (
    "we'd welcome the chance to look into this with you privately — please contact our office"
)

# "We can neither confirm nor deny whether someone is a patient of ours": a sentence that refuses
# to say is not a statement of anyone's patient status
_REFUSES_TO_SAY = (
    r"\bneither\s+confirm\s+nor\s+deny\b|\b(?:cannot|can't|can’t|can\s+not|unable\s+to|won't|"
    r"won’t|will\s+not|do\s+not|don't|don’t)\s+(?:publicly\s+)?(?:confirm\s+or\s+deny|"
    r"confirm\s+(?:or\s+discuss\s+)?whether|discuss\s+whether)\b"
)

# Addressing the reader as a patient ("Dear patient", "Hi valued patient", "to our patient")
# says they are one; "our patients", "patient care", "the patient portal" do not
ADDRESSED_AS_PATIENT = "addressed_as_patient"
_FOND = (
    r"(?:(?:dear|valued|loyal|wonderful|lovely|sweet|esteemed|beloved|treasured|cherished|"
    r"amazing|special|kind|favou?rite|new|regular|long-?time|longtime|former|current)\s+)*"
)
_FOND_VOCATIVE = r"(?:dear|valued|loyal|esteemed|beloved|treasured|cherished)\s+"
_PATIENT_ALONE = (
    r"patient\b(?![-‐'’]|\s+(?:care|portal|relations|experience|services?|advocacy|advocates?|"
    r"support|affairs|accounts?|liaisons?|feedback|safety|privacy|satisfaction|education|"
    r"coordinators?|navigators?|community|team|office|desk|line|forms?|rights|information|"
    r"info|surveys?|cent(?:er|re)|famil(?:y|ies)|reviews?|stories|testimonials?|volume|"
    r"outcomes?|needs|first|focused|centered|centred)\b)"
)
# the reader's (or a relative's) health, said of them: "your child was not infected",
# "you were diagnosed", "your son is allergic"; not advice ("if you are pregnant, tell us")
_READER_OR_RELATIVE = (
    r"(?<!\bif\s)(?<!\bwhen\s)(?<!whenever\s)(?<!unless\s)(?<!whether\s)(?<!\bin\scase\s)"
    r"\b(?:you|your\s+(?:\w+\s+)?(?:mom|mother|dad|father|son|daughter|child|children|kids?|"
    r"husband|wife|partner|spouse|fianc[eé]e?|brother|sister|siblings?|baby|grandmother|"
    r"grandfather|grandma|grandpa|grandparents?|grandson|granddaughter|parents?|aunt|uncle|"
    r"niece|nephew|little\s+one|toddler|infant|newborn|teen|teenager))"
)
_HEALTH_STATE = (
    r"(?:infected|diagnosed|misdiagnosed|sick|ill(?![-‐])|unwell|under\s+the\s+weather|"
    r"injured|contagious|allergic|pregnant|"
    r"immuni[sz]ed|hospitali[sz]ed|overdosed|cured|bleeding|feverish|dehydrated|concussed)\b"
    r"(?!\s+(?:of|and\s+tired|with\s+worry)\b)"
)
# a wish or a hypothetical says nothing of anyone's health: "we hope you are never sick", "we
# pray your son isn't ill this winter", "if you or your child are ever sick, call us"; but "we
# hope you were not infected" is about a day that happened, and "never sick again" or "not
# sick anymore" says that they were
_WISH_LEAD = re.compile(
    r"\b(?:hope|hopes|hoped|hoping|wish|wishes|wishing|pray|prays|praying)\s+(?:that\s+)?"
    r"(?:(?:both|all\s+of|each\s+of|none\s+of)\s+)?(?:you\s+(?:and|or)\s+)?$",
    re.IGNORECASE,
)
_IF_LEAD = re.compile(
    r"\b(?:if|when|whenever|unless|whether|in\s+case|should|any\s*time|every\s+time|"
    r"each\s+time)\s+(?:ever\s+)?(?:(?:both|all\s+of|any\s+of|either\s+of)\s+)?"
    r"(?:you\s+(?:and|or)\s+)?$",
    re.IGNORECASE,
)
_SAYS_THEY_WERE = re.compile(r"\s+(?:again|anymore|any\s+more|any\s+longer)\b", re.IGNORECASE)


def health_wished_not_said(lead: str, m: re.Match, after: str) -> bool:
    """Whether a ``health_status`` match ``m`` is a wish or a hypothetical rather than a
    statement of the reader's (or a relative's) health. ``lead`` is its sentence up to the
    match, ``after`` the text after it."""
    lead = lead[-60:]
    if _IF_LEAD.search(lead):
        return True
    if not _WISH_LEAD.search(lead) or not m.group("now"):
        return False
    negated = m.group("neg") or "n" in m.group("now").lower()
    lingering = (m.group("adv") or "").strip().lower() in ("still", "already")
    return bool(negated) and not lingering and not _SAYS_THEY_WERE.match(after)


# A plain well-wish is no `outcome`: "We hope you feel better soon", "Hoping you're feeling
# better", "wishing you feel well". The line: a *wish* (hope, wish; not "glad", "happy",
# "relieved", which say that something happened) that the reader *feel* better or well, soon
# at most, states nothing about their condition or treatment. It is an outcome, and stays
# flagged, when anything ties it to care or to an episode the clinic knows of: a recovery or
# a healing ("glad your recovery went well", "hope your knee is on the mend"), a treatment or its
# thing as the subject ("Hope the new crown feels better", "hope the medication makes you feel
# better"), care, a body part or an illness named in the sentence ("feel better after the
# extraction"), or words that say they were unwell before or still are ("feeling better
# now", "again", "still", "since", "after").
_WELL_WISH = re.compile(
    r"\b(?:hope|hopes|hoping|wish|wishes|wishing)\s+(?:that\s+)?(?:you(?:\s+all)?|everyone)"
    r"(?:\s+(?:(?:will|can|soon)\s+)?(?:feel|are\s+(?:soon\s+)?feeling|(?:start|begin)\s+"
    r"(?:to\s+feel|feeling))|['’]re\s+(?:soon\s+)?feeling)\s+"
    r"(?:(?:much|a\s+lot|a\s+little|a\s+bit|even)\s+)?(?:better|well)\b"
    r"(?:\s+(?:(?:very\s+)?soon|quickly|shortly|before\s+long|in\s+no\s+time))?",
    re.IGNORECASE,
)
# The everyday idioms for the same wish are as plain: "We hope you're on the mend soon",
# "hoping you are back on your feet", "we hope you're doing better". Said of "you", with no
# body part, treatment or illness, they name nothing; "hope your knee is on the mend", "glad
# you're on the mend" (it happened) and "on the mend after the surgery" (`_WISH_TIED`) are not.
_IDIOM_WISH = re.compile(
    r"\b(?:hope|hopes|hoping|wish|wishes|wishing)\s+(?:that\s+)?(?:you(?:\s+all)?|everyone)"
    r"(?:['’]re|['’]ll\s+be|\s+(?:are|will\s+be|can\s+be|get|will\s+get))\s+(?:soon\s+)?"
    r"(?:(?:well\s+)?on\s+the\s+mend|back\s+on\s+(?:your|their)\s+feet|up\s+and\s+about|"
    r"back\s+to\s+your\s+(?:old\s+)?self|doing\s+(?:(?:much|a\s+lot|a\s+little|a\s+bit)\s+)?"
    r"(?:better|well))\b"
    r"(?:\s+(?:(?:very\s+)?soon|quickly|shortly|before\s+long|in\s+no\s+time))?",
    re.IGNORECASE,
)
_WISH_TIED = re.compile(
    r"\s*(?:again|anymore|any\s+more|any\s+longer|now|still|since|after|following|from|post|"
    r"than|once|with)\b",
    re.IGNORECASE,
)
_CARE_IN_WISH = re.compile(
    r"\b(?:procedures?|surgery|surgeries|operation|treatments?|therapy|medications?|"
    r"medicines?|meds|prescriptions?|antibiotics?|doses?|crowns?|fillings?|implants?|"
    r"extractions?|root\s+canals?|braces|aligners?|dentures?|injections?|shots?|vaccines?|"
    r"stitches|sutures|visits?|appointments?|exams?|cleanings?|check-?ups?|recovery|recovering|"
    r"recover|healing|heal|mend|diagnosis|condition|symptoms?|pain|sore|swelling|illness|"
    r"infection|injury|flu|fever|cough|rash|tooth|teeth|gums|wound|incision|results?|"
    r"doctor|dentist|nurse)\b",
    re.IGNORECASE,
)


# The stock get-well formulas are plain well-wishes too: "Wishing you a speedy recovery",
# "We wish you a full recovery", "Get well soon". A recovery wished to "you" names no
# condition or treatment; one that is the reader's ("your recovery"), wished to someone else
# ("your son"), tied to care ("a speedy recovery from the surgery", "after your visit") or said
# beside a care word in its sentence is not plain (`plain_wishes`).
_RECOVERY_WISH = re.compile(
    r"\b(?:(?:wish|wishes|wishing)\s+(?:you(?:\s+all)?\s+)?|(?:hope|hoping)\s+for\s+|"
    r"here['’]s\s+to\s+)(?:a\s+)?(?:very\s+)?(?:speedy|quick|swift|fast|full|smooth|complete|"
    r"prompt)\s+(?:and\s+(?:speedy|quick|swift|fast|full|smooth|complete)\s+)?recovery\b|"
    r"\bget\s+well\s+soon\b",
    re.IGNORECASE,
)


def plain_wishes(sentence: str) -> list[tuple[int, int]]:
    """The spans of ``sentence`` that are plain well-wishes ("We hope you feel better soon",
    "Wishing you a speedy recovery"), saying nothing of the reader's condition or treatment;
    [] when anything in the sentence ties a wish to care (``_CARE_IN_WISH`` outside the wishes,
    ``_WISH_TIED`` right after one)."""
    spans = sorted(
        w.span()
        for rx in (_WELL_WISH, _IDIOM_WISH, _RECOVERY_WISH)
        for w in rx.finditer(sentence or "")
    )
    if not spans:
        return []
    rest = sentence
    for s, e in spans:
        rest = rest[:s] + " " * (e - s) + rest[e:]
    if _CARE_IN_WISH.search(rest):
        return []
    return [(s, e) for s, e in spans if not _WISH_TIED.match(sentence[e:])]


def outcome_only_wished(sentence: str, start: int, end: int) -> bool:
    """Whether an ``outcome`` match at ``start``:``end`` of ``sentence`` is part of a plain
    well-wish ("We hope you feel better soon") that says nothing of the reader's condition or
    treatment (the line is drawn at ``_WELL_WISH`` and ``_RECOVERY_WISH``)."""
    return any(s <= start and end <= e for s, e in plain_wishes(sentence))


CONFIRMATION_PHRASES: tuple[Phrase, ...] = (
    # --- "your <care noun>" ---------------------------------------------------------------
    _p(
        rf"\byour\s+{_GAP}{CARE_NOUNS}\b",
        "care_reference",
        BLOCK,
        "Refers to the reader's own care, visit, record or bill, which confirms they are a "
        "patient.",
        _SUGGEST_EXPERIENCE,
    ),
    _p(
        r"\byour\s+(?:time|stay)\s+(?:with\s+us|here|at\s+our|in\s+our)\b",
        "care_reference",
        BLOCK,
        "Refers to the reader's time at the clinic, which confirms they were there.",
        _SUGGEST_EXPERIENCE,
    ),
    _p(
        r"\byour\s+(?:very\s+)?(?:first|last|recent|previous|prior|latest|most\s+recent|initial)\s+"
        r"(?:experience|time|trip|set|round|few\s+\w+)\b|\bsince\s+your\s+(?:last|previous|prior|"
        r"most\s+recent)\b",
        "care_reference",
        BLOCK,
        "Refers to the reviewer's earlier visit, which confirms they are a patient.",
        _SUGGEST_EXPERIENCE,
    ),
    # --- records ---------------------------------------------------------------------------
    _p(
        r"\b(?:our|the|my|his|her|their)\s+(?:records?|charts?|files?|notes|system|logs?|"
        r"schedul(?:e|ing\s+system))"
        r"\s+(?:clearly\s+)?(?:shows?|showed|indicates?|indicated|reflects?|confirms?|confirmed|"
        r"says|said|states?|lists?)\b",
        "records",
        BLOCK,
        "Mentions looking up the reviewer in the clinic's records.",
        _SUGGEST_PRIVATE,
    ),
    _p(
        r"\b(?:according\s+to|based\s+on|per|in|from)\s+(?:our|the|your|his|her|their)\s+"
        r"(?:records?|charts?|files?|notes|system|scheduling\s+system|schedule|logs?|"
        r"documentation)\b",
        "records",
        BLOCK,
        "Mentions looking up the reviewer in the clinic's records.",
        _SUGGEST_PRIVATE,
    ),
    _p(
        r"\b(?:review(?:ed|ing)?|check(?:ed|ing)?|look(?:ed|ing)?\s+(?:at|into|over|through|back\s+at)|"
        r"pull(?:ed|ing)?(?:\s+up)?|go(?:ne|ing)?\s+(?:back\s+)?(?:over|through)|went\s+(?:back\s+)?"
        r"(?:over|through)|examin(?:ed|ing)|audit(?:ed|ing)|double-checked|consulted)\s+"
        r"(?:\w+\s+){0,2}?(?:chart|charts|file|records?|notes|account|history|case|logs?|"
        r"visit\s+notes|appointment\s+history|documentation|information|info|details|profile|"
        r"intake\s+forms?|forms|footage|paperwork)\b",
        "records",
        BLOCK,
        "Says the clinic reviewed the reviewer's chart, file or account.",
        _SUGGEST_PRIVATE,
    ),
    _p(
        r"\b(?:the|those|these|our|my)\s+notes\s+from\b",
        "records",
        BLOCK,
        "Refers to clinical notes about the reviewer.",
        _SUGGEST_PRIVATE,
    ),
    # --- treating relationship / status --------------------------------------------------
    _p(
        r"\bas\s+(?:your|his|her|their)\s+(?:\w+\s+)?(?:dentist|doctor|provider|physician|"
        r"surgeon|therapist|counsel(?:l)?or|psychiatrist|dermatologist|ob-?gyn|midwife|"
        r"pediatrician|orthodontist|hygienist|nurse|care\s+team|practitioner)\b",
        "relationship",
        BLOCK,
        "States a treating relationship with the reviewer.",
        "as a clinic",
    ),
    _p(
        r"\b(?:a|our|one\s+of\s+our|such\s+a|being\s+a|being\s+our)\s+(?:\w+\s+)?(?:loyal\s+|"
        r"valued\s+|long-?time\s+|longtime\s+|regular\s+|new\s+|former\s+|current\s+)?"
        r"(?:patients?|famil(?:y|ies))\s+of\s+ours\b",
        "patient_status",
        BLOCK,
        "States that the reviewer is a patient.",
        "a member of our community",
        excludes=_REFUSES_TO_SAY,
    ),
    _p(
        r"\byou(?:'re|’re|\s+are|\s+were|\s+have\s+been|'ve\s+been|’ve\s+been)\s+(?:\w+\s+)?"
        r"(?:a|our|one\s+of\s+our)\s+(?:\w+\s+)?patients?\b",
        "patient_status",
        BLOCK,
        "States that the reviewer is a patient.",
        "you",
        excludes=_REFUSES_TO_SAY,
    ),
    _p(
        # not "recognized as a Patient-Centered Medical Home"
        r"\b(?:thank(?:s|\s+you)\s+for\s+being|as)\s+(?:a|our|such\s+a)\s+(?:\w+\s+)?patient\b"
        r"(?![-‐])",
        "patient_status",
        BLOCK,
        "States that the reviewer is a patient.",
        "thank you for your feedback",
        excludes=_REFUSES_TO_SAY,
    ),
    _p(
        # "Dear patient,", "Hi valued patient", "Good morning, patient": a greeting that opens
        # a sentence (", dear patient!" at the end is the next phrase's)
        r"(?:^|(?<=[.!?\n])|(?<=[.!?\n]\s)|(?<=[.!?]\s\s))(?:dear|hi|hello|hey|greetings|"
        r"good\s+(?:morning|afternoon|evening))\b[\s,]+"
        rf"(?:(?:my|our)\s+)?{_FOND}{_PATIENT_ALONE}",
        ADDRESSED_AS_PATIENT,
        BLOCK,
        "Addresses the reader as a patient, which confirms they are one.",
        "“Hello,” without “patient”",
    ),
    _p(
        # "Thank you for writing, dear patient!"
        # (a fond word or "our" first: "kind, patient." is a list of adjectives)
        rf"(?<=,\s)(?:(?:my|our)\s+{_FOND}|{_FOND_VOCATIVE}{_FOND})patient(?=\s*[.!?]|\s*$)",
        ADDRESSED_AS_PATIENT,
        BLOCK,
        "Addresses the reader as a patient, which confirms they are one.",
        "the sentence without it",
    ),
    _p(
        # "To our patient: we are sorry", "we apologise to our valued patient."
        # ("Our patient, caring nurses": a comma after it only where it is spoken to)
        rf"(?:(?<=\bto\s)|(?<=\bfor\s))(?:our|my)\s+{_FOND}patient(?=\s*,)|"
        rf"\b(?:our|my)\s+{_FOND}patient(?=\s*(?:[.:;!?)\n—–]|$))",
        ADDRESSED_AS_PATIENT,
        BLOCK,
        "Calls the reader the clinic's patient, which confirms they are one.",
        "you",
    ),
    _p(
        # (named groups for `health_wished_not_said`: "now" a present tense, "neg", "adv")
        rf"{_READER_OR_RELATIVE}(?:(?P<now>'re|’re|'s|’s|\s+(?:is|are|isn't|isn’t|aren't|aren’t))"
        r"\s+|\s+(?:was|were|has\s+been|"
        r"have\s+been|had\s+been|got|did\s+not\s+get|didn't\s+get|didn’t\s+get|never\s+got|"
        r"wasn't|wasn’t|weren't|weren’t|hasn't\s+been|hasn’t\s+been|"
        r"haven't\s+been|haven’t\s+been)\s+)(?P<neg>not\s+|never\s+)?(?P<adv>(?:\w+ly|so|very|"
        rf"really|also|still|already|ever|actually)\s+)?{_HEALTH_STATE}",
        "health_status",
        BLOCK,
        "Says something about the health of the reader or their relative, which discloses a "
        "health detail and confirms they are a patient.",
        "we're sorry to hear about your experience",
        excludes=_REFUSES_TO_SAY,
    ),
    _p(
        r"\b(?:you|your\s+(?:\w+\s+)?(?:mom|mother|dad|father|son|daughter|child|children|kids?|"
        r"husband|wife|partner|baby|family|grandmother|grandfather|parents?))(?:'ve|’ve|\s+have|"
        r"\s+has|'s|’s)?\s+been\s+(?:\w+\s+)?(?:with|coming\s+(?:to|here)|seeing|visiting|a\s+part\s+of|"
        r"a\s+patient|treated|seen)\s*(?:us|our|dr\.?|here|by|for)?\b",
        "patient_status",
        BLOCK,
        "States how long the reviewer has been a patient.",
        "you",
        excludes=_REFUSES_TO_SAY,
    ),
    _p(
        r"\b(?:no|any|a)\s+records?\s+of\s+(?:you|your|this\s+(?:person|patient|individual|"
        r"reviewer|visit)|a\s+visit|an\s+appointment|the\s+reviewer|them|him|her|anyone|anybody|"
        r"someone|a\s+patient)\b",
        "patient_status",
        BLOCK,
        "Denying that someone is a patient also discloses patient status.",
        "we're unable to discuss any individual's status publicly",
        excludes=_REFUSES_TO_SAY,
    ),
    _p(
        r"\b(?:never|not)\s+(?:been\s+)?(?:a\s+patient|seen|treated|examined)\s+(?:here|at\s+our|"
        r"by\s+(?:us|our|any))|\bnever\s+been\s+(?:here|in\s+our|a\s+patient|seen|treated)|\b"
        r"(?:is|was|are|were)\s+not\s+(?:a|an|our)\s+(?:current\s+|former\s+|registered\s+)?patient\b",
        "patient_status",
        BLOCK,
        "Denying that someone is a patient also discloses patient status.",
        "we're unable to discuss any individual's status publicly",
        excludes=_REFUSES_TO_SAY,
    ),
    _p(
        # the reviewer's visit history: "you haven't been in since 2019" (not "if you haven't
        # visited since 2020, come and see our new office")
        r"\byou\s+(?:haven't|haven’t|have\s+not|hadn't|hadn’t|had\s+not)\s+(?:been\s+(?:in|here|back|"
        r"seen|by|treated)|visited|come\s+(?:in|back|by))\s+(?:\w+\s+){0,2}?(?:since|in\s+(?:over|"
        r"more\s+than|years|months)|for\s+(?:over|more\s+than|\w+\s+(?:years|months)))\b",
        "patient_status",
        BLOCK,
        "States when the reviewer last visited, which confirms they are a patient.",
        "we're unable to discuss any individual's status publicly",
        excludes=_REFUSES_TO_SAY + r"|\b(?:if|when|whenever|whether)\s+you\b",
    ),
    _p(
        r"\b(?:this|that|the)\s+(?:patient|individual|person|reviewer)\s+(?:was|is|has|had|came|"
        r"arrived|received|did|never|missed|declined|refused|called|presented|left)\b|"
        r"\b(?:this|that)\s+patient\b",
        "third_person",
        BLOCK,
        "Talks about the reviewer as a patient in the third person.",
        "we",
    ),
    _p(
        r"\byour\s+(?:\w+\s+)?(?:mom|mother|dad|father|son|daughter|child|children|kids?|husband|"
        r"wife|partner|baby|grandmother|grandfather|parents?|little\s+one)(?:'s|’s)?\s+(?:was|were|"
        r"is|are|had|has)\s+(?:\w+\s+){0,2}?(?:seen|treated|examined|here|in|a\s+patient|brave|"
        r"a\s+trooper|"
        r"scheduled|booked|vaccinated|diagnosed|prescribed|doing|wait|waited|to\s+wait|been)\b",
        "relative",
        BLOCK,
        "Describes care given to the reviewer's relative.",
        "your family",
    ),
    _p(
        r"\b(?:she|he|they)\s+(?:was|were|came|visited|stopped)\s+(?:in\s+|by\s+)?(?:here|seen|"
        r"treated|in\s+(?:our|the)\s+(?:office|clinic|chair))\b",
        "third_person",
        BLOCK,
        "Describes a patient's visit in the third person.",
        "we",
    ),
    _p(
        r"\b(?:being|become|becoming|became|be)\s+(?:a\s+)?part\s+of\s+our\s+(?:\w+\s+)?"
        r"(?:family|practice|clinic)\b|\bwelcome\s+to\s+(?:the|our)\s+(?:\w+\s+)?"
        r"(?:practice|clinic|family|office)\b",
        "patient_status",
        BLOCK,
        "Calls the reviewer part of the practice, which confirms they are a patient.",
        "thank you for your feedback",
        excludes=_REFUSES_TO_SAY,
    ),
    _p(
        r"\byou\s+(?:were|are)\s+(?:such\s+)?(?:a|an)\s+(?:absolute\s+|real\s+)?(?:pleasure|joy|"
        r"delight|trooper|champ|star)\b|\b(?:a|an)\s+(?:pleasure|joy|delight)\s+to\s+(?:treat|"
        r"see|work\s+with|care\s+for|have)\b",
        "relationship",
        BLOCK,
        "Says the reviewer was pleasant to treat, which confirms they are a patient.",
        "thank you for your kind words",
    ),
    _p(
        r"\b(?:you|your\s+family)\s+(?:staying|sticking)\s+with\s+(?:our\s+(?:practice|clinic|"
        r"office|team|providers?)|us)\b|\bfor\s+(?:staying|sticking)\s+with\s+(?:us|our\s+"
        r"(?:practice|clinic|office))\b|\bremembers?\s+(?:you\b|your\s+(?:visit|appointment|"
        r"family|son|daughter|child|husband|wife)|(?:speaking|talking)\s+(?:to|with)\s+you|"
        r"(?:meeting|seeing|treating)\s+you)\b",
        "relationship",
        BLOCK,
        "Speaks of the reviewer as a known patient, which confirms they are one.",
        "thank you for your feedback",
        excludes=_REFUSES_TO_SAY,
    ),
    _p(
        r"\b(?:person|staff\s+member|team\s+member|nurse|receptionist|doctor|provider|hygienist|"
        r"technician|assistant)\s+(?:who\s+|that\s+)?you\s+(?:spoke|talked|met|dealt|checked\s+in)"
        r"\s+(?:to\s+|with\s+)?(?:at|during|in)\s+(?:the\s+|your\s+|our\s+)?(?:check-?\s?in|"
        r"check-?\s?out|front\s+desk|appointment|visit|office|clinic|lobby|exam)\b",
        "care_event",
        BLOCK,
        "Describes the reviewer's time at the clinic.",
        "we'd welcome the chance to hear about your experience",
    ),
    # --- past events involving "you" -----------------------------------------------------
    _p(
        r"\byou\s+(?:were|got|have\s+been|'ve\s+been|’ve\s+been|had\s+been)\s+(?:\w+\s+)?"
        r"(?:seen|treated|examined|diagnosed|prescribed|given|referred|admitted|discharged|billed|"
        r"charged|scheduled|booked|checked\s+in|roomed|sedated|vaccinated|tested|x-?rayed|"
        r"numbed|operated\s+on|in\s+(?:our|the)\s+(?:office|clinic|chair|lobby|waiting\s+room|"
        r"exam\s+room|hospital)|here|a\s+no-show|late)\b",
        "care_event",
        BLOCK,
        "Describes care or an event at the clinic involving the reviewer.",
        "we'd welcome the chance to discuss your experience privately",
    ),
    _p(
        r"\b(?:when|while|after|before|since|each\s+time|every\s+time|(?:the|that)\s+(?:same\s+|"
        r"first\s+|last\s+|very\s+)?(?:day|time|moment|morning|afternoon|minute|week)|from\s+the\s+"
        r"moment|once|last\s+time|the\s+last\s+time)\s+you\s+(?:first\s+|last\s+|finally\s+)?"
        r"(?:came|come|were|visited|arrived|stopped|checked|walked|left|saw|met|had|got|"
        r"underwent|received|sat|waited|called|phoned|showed|booked|scheduled)\b",
        "care_event",
        BLOCK,
        "Describes the reviewer's time at or contact with the clinic.",
        "we'd welcome the chance to hear about your experience",
    ),
    _p(
        r"\byou\s+(?:came\s+(?:in|by|to\s+see)|stopped\s+by|checked\s+(?:in|out)|walked\s+(?:in|out)|"
        r"visited\s+(?:us|our)|arrived|showed\s+up|no-showed|rescheduled|cancell?ed|missed|"
        r"declined|refused|skipped|underwent|completed\s+(?:your|the)|saw\s+(?:dr|doctor|our|the)|"
        r"met\s+(?:with\s+)?(?:dr|doctor|our)|received\s+(?:your|the|a|an)|signed|"
        r"(?:mentioned|told|said|explained|asked|reported|described)\s+(?:to\s+)?(?:our|the|dr|us|"
        r"me|staff))\b",
        "care_event",
        BLOCK,
        "Describes something the reviewer did at the clinic.",
        "we'd welcome the chance to hear about your experience",
    ),
    _p(
        r"\byou\s+(?:had|got|received|underwent|scheduled|booked|needed)\s+(?:a|an|your|the|that|"
        r"this)\s+(?:\w+\s+){0,2}?(?:procedures?|surgery|treatment|exam|cleaning|filling|crown|"
        r"extraction|root\s+canal|implant|injection|shot|vaccine|biopsy|scan|x-?ray|test|"
        r"consultation|appointment|visit|session|follow-?up|prescription)\b",
        "care_event",
        BLOCK,
        "Describes care the reviewer received.",
        "we'd welcome the chance to hear about your experience",
    ),
    _p(
        rf"\b(?:{_STAFF})\s+(?:\w+\s+)?(?:saw|treated|examined|diagnosed|prescribed|gave|referred|"
        r"admitted|discharged|billed|charged|called|contacted|texted|e-?mailed|messaged|reminded|"
        r"told|informed|advised|warned|instructed|scheduled|booked|rescheduled|cancell?ed|"
        r"cleaned|numbed|sent|mailed|sedated|vaccinated|operated\s+on|worked\s+on|took\s+care\s+of|"
        r"cared\s+for|checked\s+on)\s+(?:you|your|him|her)\b",
        "care_event",
        BLOCK,
        "Says the clinic or a staff member treated or contacted the reviewer.",
        "our team would welcome the chance to speak with you",
    ),
    _p(
        r"\b(?:we|i)(?:'ve|’ve|\s+have|\s+had)\s+(?:already\s+|also\s+)?(?:seen|treated|examined|"
        r"called|contacted|texted|e-?mailed|reminded|told|informed|advised|billed|charged|"
        r"mailed|refunded|credited|reimbursed|tried\s+to\s+(?:call|reach|contact))\s+you\b",
        "care_event",
        BLOCK,
        "Says the clinic has treated or contacted the reviewer.",
        "our team would welcome the chance to speak with you",
    ),
    _p(
        r"\bwho\s+(?:\w+\s+)?(?:treated|saw|cleaned|examined|cared\s+for|took\s+care\s+of|"
        r"worked\s+(?:on|with)|assisted|checked\s+(?:on|in)|operated\s+on|drew|performed|did|"
        r"handled|admitted|discharged|helped|numbed|sedated|seated|roomed|scheduled|took|gave|"
        r"made|put|ran|sent|told|spoke\s+(?:to|with)|called|met|greeted|served|fitted|placed|"
        r"prescribed|[a-z]+ed)\s+(?:you|your)\b",
        "care_event",
        BLOCK,
        "Identifies who cared for the reviewer.",
        "our team",
    ),
    _p(
        r"\b(?:care|treatment|medication|prescription|procedure|surgery|cleaning|exam|"
        r"anesthesia|injection|shot|vaccine|therapy|advice|instructions|diagnosis|results?|"
        r"medicine|dose)\s+(?:that\s+)?(?:you|your\s+\w+)\s+(?:received|got|had|were\s+given|"
        r"underwent|were\s+prescribed)\b",
        "care_event",
        BLOCK,
        "Refers to the care the reviewer received.",
        "the care we provide",
    ),
    _p(
        r"\b(?:is|are|will\s+be)\s+(?:\w+\s+)?(?:booked|scheduled)\s+(?:to|with|for)\s+you\b|"
        r"\b(?:was|were|has\s+been|had\s+been)\s+(?:\w+\s+)?(?:explained|given|shown|described|"
        r"sent|mailed|faxed|e-?mailed|provided|offered|prescribed|recommended|discussed|reviewed|"
        r"booked|scheduled|released|forwarded)\s+(?:to|with|for)\s+you\b",
        "care_event",
        BLOCK,
        "Describes something the clinic gave to or did for the reviewer.",
        "we'd welcome the chance to discuss this with you privately",
    ),
    _p(
        r"\b(?:appointment|appt|visit|procedure|follow-?up|consult(?:ation)?|session|cleaning|"
        r"exam|surgery|referral)\s+(?:\w+\s+){0,3}?(?:was|were|has|had|is)\s+(?:\w+\s+)?(?:been\s+)?"
        r"(?:\w+\s+)?(?:booked|scheduled|reserved|set\s+up|arranged|made|moved|rescheduled|"
        r"cancell?ed|missed|bumped|sent|faxed)\s+(?:\w+\s+){0,3}?(?:for|with|by|from|to)\s+"
        r"(?:you|your)\b",
        "care_event",
        BLOCK,
        "Describes the reviewer's appointment or referral.",
        "we'd welcome the chance to discuss this with you privately",
    ),
    _p(
        r"\b(?:sample|samples|specimen|swab|blood|urine|labs?|lab\s+work|x-?rays?|scans?|biopsy|"
        r"culture|tests?|imaging|impressions?|mou?ld|prescription|referral|photos?|images?|notes)\s+"
        r"(?:that\s+)?(?:we|our\s+(?:\w+\s+)?(?:team|nurse|staff|lab|doctor|office))\s+(?:\w+\s+)?"
        r"(?:collected|took|drew|sent|ran|ordered|did|performed|wrote|made|placed|submitted|"
        r"requested|faxed|processed|reviewed)\b",
        "care_event",
        BLOCK,
        "Refers to a test or sample the clinic took, which confirms care.",
        "we'd welcome the chance to discuss this with you privately",
    ),
    _p(
        r"\byou\s+left\s+without\b|\bwithout\s+paying\b|\b(?:your|the)\s+(?:card|account)\s+"
        r"(?:was|were|has\s+been)\s+(?:\w+\s+)?(?:charged|billed|refunded|credited|debited)\b",
        "billing",
        BLOCK,
        "Discusses the reviewer's payment.",
        "our billing team would be glad to help — please contact our office",
    ),
    _p(
        r"\b(?:denied|approved|processed|submitted|resubmitted|filed|rejected|paid)\s+"
        r"(?:the|your|a)\s+claim\b",
        "billing",
        BLOCK,
        "Discusses the reviewer's insurance claim.",
        "our billing team would be glad to help — please contact our office",
    ),
    _p(
        r"\b(?:bill|statement|invoice|letter|reminder|receipt)\s+(?:was|were|has\s+been|had\s+been)\s+"
        r"(?:\w+\s+)?(?:sent|mailed|e-?mailed|issued)\s+(?:out\s+)?to\s+you\b",
        "billing",
        BLOCK,
        "Discusses the reviewer's bill.",
        "our billing team would be glad to help — please contact our office",
    ),
    _p(
        r"\b(?:voicemail|message|text|letter|reminder|call|e-?mail)s?\s+(?:that\s+)?(?:we|our\s+"
        r"(?:\w+\s+)?(?:team|office|staff|nurse|front\s+desk))\s+(?:left|sent|mailed|made)\b",
        "contact",
        NEEDS_REVIEW,
        "Mentions the clinic's earlier contact with the reviewer.",
        "we'd welcome the chance to speak with you",
    ),
    _p(
        r"\bwe\s+(?:(?:have|had|'ve|’ve)\s+)?(?:reached\s+out|followed\s+up)\s+(?:to\s+you\s+)?"
        r"(?:after|following|since|about|regarding)\s+(?:your|the)\b",
        "contact",
        BLOCK,
        "Mentions follow-up contact after care.",
        "we'd welcome the chance to speak with you",
    ),
    # --- past pleasure of caring for the reader -----------------------------------------
    _p(
        r"\b(?:was|were|has\s+been|have\s+been|'s\s+been|’s\s+been)\s+(?:(?:a|an|so|such|really|"
        r"truly|very|always|absolutely)\s+){0,2}(?:pleasure|glad|nice|great|lovely|wonderful|happy|"
        r"delighted|good|fun|privilege|hono(?:u)?r|joy|thrilled)\s+(?:to\s+)?(?:\w+\s+)?"
        r"(?:see|seeing|meet|meeting|treat|treating|care\s+for|caring\s+for|take\s+care\s+of|"
        r"taking\s+care\s+of|work\s+with|working\s+with|have|having|help|helping|serve|serving)\s+"
        r"you\b",
        "relationship",
        BLOCK,
        "Says the clinic saw or treated the reviewer.",
        "it was a pleasure to read your feedback",
    ),
    _p(
        r"\b(?:enjoyed|loved|appreciated|missed)\s+(?:seeing|meeting|treating|caring\s+for|"
        r"taking\s+care\s+of|working\s+with|having|helping|serving)\s+you\b",
        "relationship",
        BLOCK,
        "Says the clinic saw or treated the reviewer.",
        "it was a pleasure to read your feedback",
    ),
    _p(
        r"\b(?:we\s+|i\s+)?remember(?:s|ed)?\s+(?:you|your|him|her|them)\b",
        "relationship",
        BLOCK,
        "Says staff remember the reviewer.",
        "we appreciate your feedback",
    ),
    _p(
        r"\b(?:see|seeing|saw)\s+you\s+(?:back|again)\s+after\b|\bglad\s+to\s+see\s+you\s+back\b",
        "relationship",
        BLOCK,
        "Says the reviewer returned as a patient.",
        "we appreciate your feedback",
    ),
    # --- implied presence at the clinic -------------------------------------------------
    _p(
        r"\b(?:sitting|waiting|sat|waited|stuck)\s+(?:\w+\s+){0,2}?(?:in|at)\s+(?:our|the)\s+"
        r"(?:lobby|waiting\s+room|exam\s+room|chair|parking\s+lot|front\s+desk|office)\b",
        "presence",
        NEEDS_REVIEW,
        "Implies the reviewer was at the clinic.",
        "we're sorry to hear about your experience",
    ),
    _p(
        r"\b(?:fit|squeeze|squeezed|slot|slotted|work|worked|get|got|bring|brought)\s+(?:you|him|her|"
        r"them|your\s+\w+)\s+(?:in|seen|back)\b|\b(?:roomed|seated)\s+(?:you|by)\b|\b(?:to\s+be|"
        r"being|get|got|getting)\s+seen\s+(?:by|at|in|the\s+same|that|sooner|quickly|today)\b|"
        r"\bhad\s+(?:you|him|her|them|your\s+\w+)\s+(?:down|booked|scheduled|pencil(?:l)?ed\s+in|"
        r"on\s+the\s+(?:schedule|books))\b|\b(?:you|your\s+\w+)\s+(?:are|were|was|is)\s+(?:already\s+)?"
        r"(?:established|registered|on\s+(?:our|the)\s+(?:schedule|books|list|waitlist))\b|"
        r"\b(?:established|existing|current|returning)\s+patients?\s+(?:like\s+you|of)\b",
        "presence",
        NEEDS_REVIEW,
        "Implies the reviewer booked or attended an appointment.",
        "find a time that works",
    ),
    _p(
        r"\bthat\s+(?:day|visit|appointment|consultation|procedure|exam|tooth|cleaning|session|"
        r"surgery|morning|afternoon)\b",
        "presence",
        NEEDS_REVIEW,
        "Refers to a specific visit or body part of the reviewer.",
        "your experience",
    ),
    _p(
        r"\bthe\s+(?:\w+\s+)?(?:exam|procedure|surgery|cleaning|visit|appointment|consultation|"
        r"injection|x-?rays?|scan|test|biopsy|extraction|filling|crown|treatment)\s+(?:\w+\s+){0,6}?"
        r"(?:you|your)\b(?!\s+(?:can|may|might|could|would|will|should)\b)",
        "presence",
        NEEDS_REVIEW,
        "Refers to a specific episode of care involving the reviewer.",
        "your experience",
    ),
    _p(
        r"\b(?:sorry|apologi[sz]e|apologies|regret|glad|happy|pleased|relieved)\s+(?:\w+\s+){0,5}?"
        r"(?:the|that|this)\s+(?:\w+\s+)?(?:appointment|appt|visit|exam|procedure|cleaning|surgery|"
        r"consultation|consult|treatment|injection|biopsy|extraction|filling|crown|x-?rays?|scan|"
        r"check-?up|session|follow-?up|delivery|labor|stay)\s+(?:\w+\s+)?(?:ran|was|went|took|felt|"
        r"got|did|had|didn't|wasn't|turned|seemed|left|caused|hurt)\b",
        "presence",
        NEEDS_REVIEW,
        "Apologises for or comments on a specific visit, which implies the reviewer was a patient.",
        "we're sorry to hear about your experience",
    ),
    _p(
        r"\byou\s+(?:had\s+to\s+)?wait(?:ed)?\s+(?:so\s+long|for|over|more\s+than|almost|nearly|"
        r"\d+|an?\s+)|\b(?:glad|happy|pleased)\s+(?:that\s+)?we\s+(?:could|were\s+able\s+to)\s+"
        r"help\b",
        "presence",
        NEEDS_REVIEW,
        "Implies the reviewer was seen or helped at the clinic.",
        "thank you for sharing your experience",
    ),
    # a definite reference to one episode of care ("the appointment", "the referral", "the
    # knee") in a sentence that addresses the reader, apologises, thanks or hopes
    _p(
        r"\b(?:the|that)\s+(?:\w+\s+)?(?:appointment|appt|visit|exam|procedure|cleaning|surgery|"
        r"consultation|consult|treatment|injection|biopsy|extraction|filling|crown|implant|x-?rays?|"
        r"scan|check-?up|session|follow-?up|referral|prescription|refill|results?|diagnosis|numbing|"
        r"anesthesia|sedation|stitches|knee|hip|shoulder|tooth|back|ankle|wrist|rash|mole|incision|"
        r"wound|doctor|dentist|hygienist|provider|nurse|specialist|surgeon|therapist)\b"
        r"(?!\s+(?:you\s+)?(?:can|may|might|could|will|would|should)\b)",
        "care_episode",
        NEEDS_REVIEW,
        "Refers to a specific appointment, treatment or body part while addressing the reader, "
        "which implies they are a patient.",
        "your experience",
        requires=r"\b(?:you|your|sorry|apologi[sz]e|apologies|thanks|thank|hope|hopes|hoping|glad|"
        r"patience)\b",
        excludes=r"\b(?:every|all|each|any|anyone|everyone|our\s+patients)\b",
    ),
    _p(
        r"\b(?:our|a|my)\s+(?:pleasure|privilege|honou?r|joy)\s+to\s+(?:help|treat|see|care\s+for|"
        r"serve|work\s+with|meet)\s+(?:you|him|her|them|your)\b|\b(?:could|were\s+able\s+to|"
        r"managed\s+to|was\s+able\s+to)\s+(?:finally\s+)?(?:help|treat|fix|diagnose|find|get\s+to\s+"
        r"the\s+bottom)\b[^.!?\n]*\b(?:you|your)\b",
        "relationship",
        BLOCK,
        "Says the clinic helped or treated the reviewer.",
        "thank you for your kind words",
    ),
    _p(
        r"\b(?:noted|recorded|updated|added|flagged|saved|logged|documented)\s+(?:\w+\s+)?your\s+"
        r"(?:\w+\s+)?(?:preference|preferences|request|allergy|allergies|details|information|info|"
        r"number|address|profile|file|chart|record|account|notes?|contact)\b|\bon\s+(?:your\s+)?file\b|"
        r"\bin\s+your\s+(?:file|chart|record|profile|account)\b",
        "records",
        BLOCK,
        "Says the clinic keeps a record about the reviewer.",
        _SUGGEST_PRIVATE,
    ),
    _p(
        r"\b(?:we|our\s+(?:\w+\s+)?(?:staff|team|office|front\s+desk|doctor|nurse))\s+should\s+have\s+"
        r"(?:\w+\s+)?(?:called|told|informed|warned|contacted|explained\s+to|updated|let)\s+(?:you|him|"
        r"her)\b",
        "care_event",
        NEEDS_REVIEW,
        "Admits a specific lapse toward the reviewer, which implies they had an appointment.",
        "we're sorry to hear about your experience",
    ),
    # --- thanks / goodbyes that confirm a visit -----------------------------------------
    _p(
        r"\bthank(?:s|\s+you)\s+(?:so\s+much\s+)?for\s+(?:coming\s+(?:in|by|to\s+see)|visiting\s+"
        r"(?:us|our|with)|your\s+visit|choosing\s+(?:us|our\s+\w+)\s+for|trusting\s+us\s+with\s+"
        r"your|letting\s+us\s+(?:care|treat|take\s+care|be\s+part)|stopping\s+by|seeing\s+us)\b",
        "thanks_for_visit",
        BLOCK,
        "Thanks the reviewer for a visit or for their care, which confirms they are a patient.",
        "thank you for your feedback",
    ),
    _p(
        r"\bpart\s+of\s+(?:your|the|this)\s+(?:\w+\s+)?(?:journey|care|treatment|recovery)\b",
        "relationship",
        BLOCK,
        "Says the clinic took part in the reviewer's care.",
        "thank you for your feedback",
    ),
    _p(
        r"\bcongratulations\s+on\s+(?:your|the)\s+(?:\w+\s+)?(?:baby|arrival|pregnancy|delivery|"
        r"little\s+one|newborn|twins|bundle\s+of\s+joy|recovery|results)\b",
        "relationship",
        BLOCK,
        "Congratulates the reviewer on a health event, which confirms care.",
        "thank you for sharing",
    ),
    _p(
        r"\b(?:see|seeing)\s+you\s+(?:again|back|next\s+time|soon\s+for|at\s+your)\b|\bwelcome\s+"
        r"you\s+back\b|\bnext\s+time\s+you\s+(?:come|visit|are\s+in|stop)\b|\bat\s+your\s+next\b",
        "return_visit",
        NEEDS_REVIEW,
        "Looking forward to the reviewer's next visit implies they are a patient.",
        "we appreciate your feedback",
    ),
    _p(
        # "call us on Tuesday at 3pm as before", "come in again on Friday": a visit, a day or a
        # time said to repeat an earlier one confirms that earlier visit
        r"\bas\s+(?:before|last\s+time|previously|we\s+did\s+(?:before|last\s+time))\b|"
        r"\b(?:like|same\s+as)\s+last\s+time\b|\b(?:come|coming|stop|drop)\s+(?:in|by)\s+again\b|"
        r"\b(?:visit|see|book\s+with)\s+us\s+again\b|\bagain\s+(?:on|at|this|next)\s+(?:"
        r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|\d)",
        "return_visit",
        NEEDS_REVIEW,
        "Says a visit, day or time repeats an earlier one, which confirms the reviewer's visit.",
        "we appreciate your feedback",
        requires=r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|\d\s*(?:am|pm|a\.m|p\.m)\b|"
        r"\d:\d\d|\b(?:appointments?|appts?|visits?|visit|come|coming|stop|drop|see|book|booked|"
        r"schedule|scheduled|slot|seen|chair|call|morning|afternoon|evening)\b",
    ),
    _p(
        # "sorry the restoration didn't hold", "the dental work from earlier this week failed":
        # a treatment said to have failed is the reader's treatment, so the clinic treated them
        r"\b(?:the|that|this|your|those|these)\s+(?:[\w'’-]+\s+)?(?:(?:dental|restorative|crown|"
        r"bridge|implant|orthodontic|cosmetic|gum|root\s+canal)\s+work|work\s+(?:we|our\s+\w+)\s+"
        r"did|restorations?|repairs?|crowns?|fillings?|implants?|bridgework|bridges?|veneers?|"
        r"dentures?|braces|aligners?|trays|retainers?|root\s+canals?|extractions?|treatments?|"
        r"procedures?|surgery|surgeries|operation|stitches|sutures|casts?|splints?|"
        r"prescriptions?|medications?|meds|injections?|fittings?|adjustments?|creams?|"
        r"ointments?|lotions?|drops|pills?|tablets?|antibiotics?|inhalers?|sprays?)\s+"
        r"(?:[\w'’,-]+\s+){0,6}?(?:fail(?:ed|s)?|made\s+(?:it|things|them|everything|"
        r"(?:the|your|my|his|her|their)\s+[\w-]+)\s+worse|(?:didn['’]?t|did\s+not|doesn['’]?t|does\s+not|"
        r"hasn['’]?t|has\s+not|won['’]?t|wouldn['’]?t)\s+(?:hold|last|work|take|help|fit|stay|"
        r"stick|set)|(?:came|come|comes|coming)\s+(?:loose|off|out|apart|undone)|fell\s+(?:out|off|"
        r"apart)|broke|(?:was|got|is)\s+broken|cracked|chipped|went\s+wrong|gone\s+wrong|"
        r"stopped\s+working|gave\s+way|wore\s+off|(?:was|were)\s+(?:unsuccessful|not\s+"
        r"successful))\b",
        "outcome",
        NEEDS_REVIEW,
        "Says the reader's treatment failed, which confirms the clinic treated them.",
        "we're sorry to hear about your experience",
        requires=r"\b(?:you|your|sorry|apologi[sz]e|apologies|regret|hear|hope|fix|redo|"
        r"replace|free|charge|call|contact|we\s+(?:prescribed|recommended|gave|used|applied|"
        r"put|fitted|placed|did))\b",
        excludes=r"\b(?:if|whenever|every|anyone|everyone|rarely|sometimes|occasionally)\b",
    ),
    _p(
        r"\b(?:hope|hoping|glad|happy|pleased|relieved)\s+(?:\w+\s+){0,4}?(?:feeling\s+(?:much\s+"
        r"|a\s+lot\s+)?better|feel\s+better|(?:on\s+the\s+)?mend|recover(?:ing|ed|y)?|heal(?:ing|ed)|"
        r"back\s+on\s+your\s+feet|pain-?free|doing\s+(?:much\s+|a\s+lot\s+)?better|"
        r"working\s+(?:out\s+)?(?:well\s+)?for\s+you|cleared\s+up|(?:smiling|eating|sleeping|"
        r"walking|running|chewing)\s+again|back\s+to\s+normal|good\s+as\s+new|help(?:s|ing)?\s+"
        r"(?:you|him|her)\s+(?:\w+\s+)?(?:sleep|breathe|hear|see|eat|walk|feel|heal|recover)|"
        r"making\s+a\s+difference)",
        "outcome",
        BLOCK,
        "Comments on the reviewer's recovery or treatment outcome.",
        "we appreciate you sharing your experience",
    ),
    _p(
        r"\byou(?:'re|’re|\s+are)\s+(?:\w+\s+)?(?:healing|recovering|feeling\s+(?:much\s+)?better|"
        r"doing\s+(?:much\s+|so\s+much\s+)?better|pain-?free|smiling\s+again|on\s+the\s+mend)\b",
        "outcome",
        BLOCK,
        "Comments on the reviewer's recovery.",
        "we appreciate you sharing your experience",
    ),
    _p(
        r"\b(?:working|worked)\s+(?:out\s+)?(?:so\s+|really\s+)?(?:well\s+|great\s+)?for\s+you\b"
        r"(?=[^.!?]*?\b(?:aligners?|braces|treatment|medication|implant|crown|retainer|"
        r"dentures|therapy|plan|prescription)\b)|\b(?:aligners?|braces|treatment|medication|"
        r"implant|crown|retainer|dentures|therapy|prescription)\b[^.!?]{0,40}?\b(?:working|worked)"
        r"\s+(?:out\s+)?(?:so\s+|really\s+)?(?:well\s+|great\s+)?for\s+you\b",
        "outcome",
        BLOCK,
        "Comments on how the reviewer's treatment is working.",
        "we appreciate you sharing your experience",
    ),
)
