"""The evidence gate (gate 1.0.0): a misinformation flag that no fact of the clinic's sheet
decided must be about a matter a false claim can be about. Pure string work, microseconds a text.

The claim judge and the wrong-detail rules flag a text *citing the fact it contradicts*; every
other flag comes from the heads and the veracity model, which were trained on COVID-era posts and
read any bare, negative statement as suspect: "Harbor PT never picks up the phone." read 0.80
with no reference at all, "Smith Dental front desk never picks up the phone." cited the myth
"Dental hygienists have no medical training" at similarity 0.60 with not one word in common. So
such a flag (``judge`` not ``contradicts`` / ``wrong_detail``) is dropped when:

1. **below the claim gate**: its claim probability is under ``CLAIM_AT`` (the claim judge's gate,
   0.28). Those texts are never read by the judge or the veracity model; the stacked heads alone
   flagged them. On the training data (claims_train_a/b, the clinic claims' train split, 1,800
   CONSTRAINT train and 1,700 rumour train posts) not one flagged false claim is below it, while
   29 of 69 flagged sentences of negative and neutral RateMDs / Healthgrades training reviews
   are ("She does not listen", "they are never reachable").
2. **a service complaint or an opinion**: the text speaks of phones and call-backs, the front
   desk, rudeness and bedside manner, waiting, parking, appointments and scheduling, billing
   mistakes or money-grabbing (``SERVICE``), names no health, safety, treatment, licence, price
   or public-health matter (``MATTER``), and its reference does not support it (``supported``:
   at least ``min_similarity`` near *and* one specific content word in common, the clinic's name
   and generic words such as "doctor", "staff" or "dental" left out).

A text that names a matter ("the receptionist told me the vaccine is expired") is never dropped
by rule 2, nor is a flag a fact decided. ``version()`` (a digest of the patterns and the numbers)
is part of the misinformation heads' version, so a changed rule is a new model version and the
sweeper rescores.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re

VERSION = "gate-1.0.0"
# the claim judge's gate (judge 1.0.0, artifacts/judge/card.json): texts under it are read by
# neither the judge nor the veracity model
CLAIM_AT = 0.28
# decided by a fact of the clinic's sheet: never gated
FACT_DECISIONS = ("contradicts", "wrong_detail")

_SERVICE = [
    # phones, call-backs, messages
    r"phones?",
    r"pick(?:s|ed|ing)? up",
    r"answer(?:s|ed|ing)?(?: the| their| my| your| a)? (?:phones?|calls?)",
    r"voice ?mails?",
    r"on hold",
    r"call(?:s|ed|ing)? (?:me |us |you |him |her |them )?back",
    r"call ?backs?",
    r"(?:return|returns|returned|returning)(?: my| your| our| any| phone| the)* calls?",
    r"(?:never|not|n't|un)[- ]?reachable",
    r"(?:reach|get through to) (?:them|anyone|anybody|the office|a person|a human|someone)",
    r"(?:respond|responded|reply|replied|answer|answered) to (?:my |our )?(?:e-?mails?|messages?)",
    r"(?:e-?mails?|messages?) (?:go|went) unanswered",
    # the front desk, rudeness, bedside manner
    r"front desk",
    r"front office",
    r"reception(?:ist)?s?",
    r"office (?:staff|manager)",
    r"rude(?:ly|ness)?",
    r"unprofessional",
    r"condescending",
    r"dismissive",
    r"arrogant",
    r"attitude",
    r"bedside manners?",
    r"(?:do|does|did|would|will)(?:n't| not| never) listen",
    r"never listens?",
    r"(?:doesn't|don't|didn't|does not|do not|never) care",
    # waiting, parking, scheduling
    r"wait(?:ed|ing)",
    r"waiting room",
    r"wait(?:ing)? times?",
    r"hours? late",
    r"running late",
    r"on time",
    r"kept (?:me|us) waiting",
    r"park(?:ing)?",
    r"parking lot",
    r"appointments?",
    r"appts?",
    r"schedul\w*",
    r"reschedul\w*",
    r"double[- ]booked",
    r"no[- ]shows?",
    # billing mistakes
    r"billing(?: office| department| error| mistake| issue| problem)?s?",
    r"billed (?:me|my insurance|us|him|her)",
    r"charged (?:me |us )?twice",
    r"double[- ]charged",
    r"overcharg\w*",
    r"invoices?",
    # money-grabbing (an opinion, not a price)
    r"after (?:your|the|our) money",
    r"(?:take|takes|took|taking) your money",
    r"money[- ]?grab\w*",
    r"cash[- ]?grab\w*",
    r"rip(?:s|ped)?[- ]?off",
    r"thie(?:f|ves)",
    r"rob(?:s|bed|bing)? (?:you|people|patients|us)",
    r"all about (?:the )?money",
]
_SERVICE_SYMBOLS = [r"\${2,}"]  # "It's all about the $$$$"

_MATTER = [
    # public health
    r"covid\w*",
    r"corona\w*",
    r"virus\w*",
    r"viral",
    r"pandemic\w*",
    r"epidemic\w*",
    r"outbreaks?",
    r"vacc?in\w*",
    r"vax\w*",
    r"jabs?",
    r"immun\w*",
    r"infect\w*",
    r"diseases?",
    r"flu",
    r"influenza",
    r"measles",
    r"hiv",
    r"cancer\w*",
    r"tumou?rs?",
    r"autism\w*",
    r"diabet\w*",
    r"quarantin\w*",
    r"lockdowns?",
    r"masks?",
    r"germs?",
    r"bacteri\w*",
    r"contagio\w*",
    r"transmi\w*",
    r"symptom\w*",
    r"deaths?",
    r"die[sd]?",
    r"dying",
    r"kill\w*",
    r"dead(?:ly)?",
    r"fatal\w*",
    r"hospitali[sz]\w*",
    r"icu",
    r"ventilat\w*",
    r"intubat\w*",
    r"5g",
    r"bleach",
    r"\w*chloroquine",
    r"ivermectin",
    r"health",
    r"medical",
    r"tests?",
    r"testing",
    r"positive",
    r"cases",
    # treatments and drugs
    r"cur(?:e|es|ed|ing)",
    r"remed\w*",
    r"treat\w*",
    r"therap\w*",
    r"drugs?",
    r"medicin\w*",
    r"medicat\w*",
    r"pills?",
    r"dos(?:e|es|age)",
    r"prescri\w*",
    r"antibiotic\w*",
    r"opioid\w*",
    r"oxy\w*",
    r"fentanyl",
    r"steroids?",
    r"inject\w*",
    r"shots?",
    r"x-?rays?",
    r"radiat\w*",
    r"an(?:a)?esthe\w*",
    r"sedat\w*",
    r"surg\w*",
    r"implants?",
    r"fillers?",
    r"botox",
    r"lasers?",
    r"chemo\w*",
    r"biops\w*",
    r"mammogra\w*",
    r"blood",
    r"pregnan\w*",
    r"births?",
    r"breastfe\w*",
    r"fertil\w*",
    r"embryos?",
    # safety and hygiene
    r"needles?",
    r"syringes?",
    r"gloves?",
    r"instruments?",
    r"equipment",
    r"autoclav\w*",
    r"sani?ti[sz]\w*",
    r"disinfect\w*",
    r"sterili[sz]\w*",
    r"steril\w*",
    r"hygien\w*",
    r"dirty",
    r"clean\w*",
    r"wash\w*",
    r"contaminat\w*",
    r"unsafe",
    r"safe(?:ty)?",
    r"expir\w*",
    r"toxi\w*",
    r"poison\w*",
    r"mercury",
    r"fluorid\w*",
    r"amalgam",
    # licences, records
    r"licen[cs]\w*",
    r"unlicen[cs]\w*",
    r"certifi\w*",
    r"accredit\w*",
    r"qualifi\w*",
    r"fake",
    r"hipaa",
    r"records?",
    r"charts?",
    r"confidential\w*",
    r"privacy",
    # prices (a fact sheet's matter, not a billing mistake)
    r"prices?",
    r"pricing",
    r"costs?",
    r"fees?",
    r"cash",
    r"deposits?",
    r"financ\w*",
    r"refund\w*",
    r"dollars?",
]
_MATTER_SYMBOLS = [r"[$£€]\s?\d"]

# words that say nothing about what a reference is about: shared with a myth or a fact they do
# not support its citation
GENERIC = frozenset(
    " ".join(
        [
            "doctor doctors dr patient patients clinic clinics practice office staff medical ",
            "health healthcare care dental dentist dentists nurse nurses people person time money ",
            "take takes took give gave need needs make made want work works worked cause causes ",
            "caused thing things way year years day days week weeks month months back place call ",
            "called calls don didn doesn won isn aren wasn can cannot good bad better best worse ",
            "worst new old first last visit visits appointment appointments front desk phone ",
            "family children child kids kid man woman guy lady against free full",
        ]
    ).split()
)

PATTERNS = {
    "claim_at": CLAIM_AT,
    "fact_decisions": list(FACT_DECISIONS),
    "service": [*_SERVICE, *_SERVICE_SYMBOLS],
    "matter": [*_MATTER, *_MATTER_SYMBOLS],
    "generic": sorted(GENERIC),
}


def _compile(words: list[str], symbols: list[str]) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(words) + r")\b|" + "|".join(symbols), re.IGNORECASE)


SERVICE = _compile(_SERVICE, _SERVICE_SYMBOLS)
MATTER = _compile(_MATTER, _MATTER_SYMBOLS)


@functools.cache
def version() -> str:
    """The gate's share of the misinformation heads' version: its number and a digest of its
    patterns and numbers."""
    blob = json.dumps(PATTERNS, sort_keys=True).encode()
    return f"{VERSION}+{hashlib.sha256(blob).hexdigest()[:8]}"


def supported(text_words: frozenset[str], ref_words: frozenset[str], near: bool) -> bool:
    """Whether a cited reference supports the flag: near enough (`near`: at least the heads'
    min_similarity) and sharing a specific content word with the text (`text_words`: stemmed,
    the clinic's name already left out)."""
    if not near:
        return False
    generic = _generic()
    return bool((text_words - generic) & (ref_words - generic))


@functools.cache
def _generic() -> frozenset[str]:
    """GENERIC as claims.content_words stems it."""
    from scoring.ml.claims import stem

    return frozenset(stem(w) for w in GENERIC)


def service_only(text: str) -> bool:
    """A service complaint or an opinion that names no matter a false claim is about."""
    return bool(SERVICE.search(text or "")) and not MATTER.search(text or "")


def blocks(
    text: str,
    claim_probability: float,
    decided_by: str | None,
    text_words: frozenset[str],
    ref_words: frozenset[str],
    near: bool,
) -> str | None:
    """Why a raised flag is dropped ("below_claim_gate", "service_complaint"), or None to keep
    it. `decided_by`: the assessment's ``judge`` part (a fact decision is never gated)."""
    if decided_by in FACT_DECISIONS:
        return None
    if claim_probability < CLAIM_AT:
        return "below_claim_gate"
    if service_only(text) and not supported(text_words, ref_words, near):
        return "service_complaint"
    return None
