"""Care topics: a lexicon of word-bounded regular expressions per topic, British and American
spellings both. A review can have several topics; each comes with the words that triggered it
(lower-cased, distinct, in order of appearance). Topics say what a review is about, not whether
it is good or bad: "rude" and "friendly" both trigger staff_attitude.

Matching is case-insensitive and word-bounded (``\\b...\\b``), so "parking" matches but
"sparking" does not; patterns allow the common inflections explicitly.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from scoring.ml import clauses, details, flags, waits
from scoring.ml.fastre import ascii_twin

# name -> (label, patterns). Patterns are regex fragments without the surrounding \b.
TOPIC_LEXICON: dict[str, tuple[str, list[str]]] = {
    "wait_time": (
        "Wait time",
        [
            r"wait(?:s|ed|ing)?",
            r"queu(?:e|es|ed|eing|ing)",
            r"delay(?:s|ed)?",
            r"late(?:ness)?",
            r"running (?:late|behind)",
            r"on hold",
            r"took (?:ages|forever|hours)",
            r"(?:\d+|two|three|four|five|six|several|many) hours?",
            r"punctual(?:ity)?",
            r"on time",
            r"prompt(?:ly)?",
            r"seen (?:quickly|promptly|straight away|right away|immediately)",
            r"straight away",
        ],
    ),
    "scheduling_access": (
        "Scheduling and access",
        [
            r"appointments?",
            r"appts?",
            r"book(?:ed|ing|ings)?",
            r"re-?schedul(?:e|ed|ing)",
            r"schedul(?:e|ed|ing)",
            r"cancel(?:l?ed|l?ing|lations?|s)?",
            r"referrals?",
            r"referred",
            r"get through",
            r"got through",
            r"phone lines?",
            r"switchboard",
            r"slots?",
            r"same[- ]day",
            r"walk[- ]in",
            r"out[- ]of[- ]hours",
            r"register(?:ed)?",
            r"registration",
            r"availability",
            r"waiting lists?",
            r"triage",
        ],
    ),
    "staff_attitude": (
        "Staff attitude",
        [
            r"rude(?:ly|ness)?",
            r"(?:un)?friendly",
            r"kind(?:ly|ness)?",
            r"(?:un)?caring",
            r"compassion(?:ate)?",
            r"(?:im)?polite(?:ly|ness)?",
            r"(?:dis)?respect(?:ful|fully)?",
            r"dismissive",
            r"arrogant",
            r"condescending",
            r"patroni[sz](?:ing|ed)",
            r"(?:un)?helpful",
            r"attitudes?",
            r"bedside manner",
            r"manner",
            r"(?:un)?professional(?:ly|ism)?",
            r"courteous",
            r"empath(?:y|etic)",
            r"lovely",
            r"nasty",
            r"abrupt",
            r"sympathetic",
            r"reassur(?:ing|ed|ance)",
            r"sweet(?:est)?",
            r"pleasant",
            r"welcoming",
            r"grump(?:y|iness)",
            r"snapp(?:ed|ing|y)",
            r"yell(?:ed|ing|s)?(?: at)?",
            r"rolled (?:her|his|their) eyes",
            r"angels?",
            r"(?:im)?patient(?:ly)? with (?:me|us|my|our|him|her|them)",
            r"treat(?:s|ed)? (?:you|us|me|everyone) like family",
            # who the staff are, and what they were like: "the hygienist was nice enough"
            r"(?:front desk|reception(?:ist)?s?|nurses?|hygienists?|(?:medical )?assistants?|"
            r"techs?|technicians?|staff|team|office manager|billing (?:lady|staff|office)) "
            r"(?:was|were|is|are|has been|have been) (?:\w+ ){0,2}?(?:nice|great|amazing|"
            r"wonderful|awesome|fantastic|terrible|awful|horrible|warm|cold|fine|excellent|the best)",
        ],
    ),
    "communication": (
        "Communication",
        [
            r"explain(?:s|ed|ing)?",
            r"explanations?",
            r"listen(?:s|ed|ing)?",
            r"(?:well[- ]|kept |keep )?informed",
            r"information",
            r"communicat(?:e|ed|es|ing|ion)",
            r"call(?:ed)? (?:me )?back",
            r"ring back",
            r"rang back",
            r"letters?",
            r"e-?mails?",
            r"updates?",
            r"answer(?:ed)? (?:my |all my |any )?questions",
            r"jargon",
            r"(?:never|didn'?t|did not) (?:tell|told)",
            r"no one told",
            r"nobody told",
            r"questions?",
            r"(?:un)?answered",
            r"return(?:s|ed|ing)? (?:my |our |any |their |the )?(?:phone )?(?:calls?|messages?)",
            r"follow(?:ed|s|ing)?[- ]?up",
            r"talk(?:s|ed)? (?:me |us )?through",
            r"interrupt(?:s|ed|ing)?",
            r"talks? over",
            r"went over",
            r"let (?:me|us|anyone) know",
            r"(?:say|tell|told) (?:us |me )?why",
            r"(?:kept|keep|keeps) (?:me|us) (?:posted|updated|in the loop)",
            r"reminders?",
        ],
    ),
    "clinical_outcome": (
        "Clinical outcome",
        [
            r"treatments?",
            r"diagnos(?:is|ed|e|es)",
            r"misdiagnos(?:is|ed)",
            r"cured?",
            r"recover(?:ed|y|ing)",
            r"heal(?:ed|ing)",
            r"outcomes?",
            r"results?",
            r"surgery",
            r"surgeries",
            r"operations?",
            r"procedures?",
            r"symptoms?",
            r"(?:felt|feel|feeling|getting|got) (?:much )?better",
            r"(?:got|getting|made it|feel|felt) worse",
            r"effective(?:ness)?",
            r"ineffective",
            # the quality of the clinical care itself, as readers of reviews name it
            r"thorough(?:ly|ness)?",
            r"knowledgeable",
            r"(?:in)?competen(?:t|ce)",
            r"skill(?:ed|ful|s)?",
            r"(?:the |my |our |his |her )?care (?:is|was|here is|here was|has been)",
            r"(?:quality|level|standard) of care",
            r"under control",
            r"clear(?:ed)? up",
            r"(?:did|does|do) (?:absolutely )?nothing",
            r"(?:didn't|did not|doesn't|does not|never) (?:help|work)(?:ed)?",
            r"did an? (?:\w+ )?job",
            r"figured out",
            r"caught (?:it|my|the|his|her)",
            r"fillings?",
            r"crowns?",
            r"root canals?",
            r"extractions?",
            r"implants?",
            r"stitches",
            r"scars?",
            r"(?:lab|blood) ?work",
            r"tests? (?:ordered|results?)",
            r"(?:ran|run|running|order|ordered|ordering) (?:any |some |more )?tests?",
        ],
    ),
    "billing_insurance": (
        "Billing and insurance",
        [
            r"bill(?:s|ed|ing)?",
            r"overcharg(?:e|ed|ing)",
            r"charg(?:e|es|ed|ing)",
            r"costs?",
            r"(?:over)?priced?",
            r"expensive",
            r"fees?",
            r"insurance",
            r"insurers?",
            r"co-?pays?",
            r"deductibles?",
            r"invoices?",
            r"refunds?",
            r"payments?",
            r"paid",
            r"out[- ]of[- ]pocket",
        ],
    ),
    "cleanliness": (
        "Cleanliness",
        [
            r"clean(?:ed|er|liness|ing)?",
            r"(?:un)?clean",
            r"dirty",
            r"filthy",
            r"(?:un)?hygien(?:e|ic)",
            r"spotless",
            r"smell(?:s|y|ed|t)?",
            r"stink(?:s|ing)?",
            r"stank",
            r"mess(?:y)?",
            r"(?:un)?tidy",
            r"dust(?:y)?",
            r"infection control",
            r"saniti[sz]ers?",
            r"hand gel",
            r"stains?",
            r"stained",
        ],
    ),
    "facilities_parking": (
        "Facilities and parking",
        [
            r"parking",
            r"car ?parks?",
            r"parking lots?",
            r"parking garage",
            r"waiting (?:room|area)s?",
            r"toilets?",
            r"restrooms?",
            r"bathrooms?",
            r"seat(?:s|ing)",
            r"chairs?",
            r"building",
            r"facilit(?:y|ies)",
            r"equipment",
            r"lifts?",
            r"elevators?",
            r"signage",
            r"sign-?posted",
            r"wheelchair access",
            r"wi-?fi",
            r"temperature",
            r"too (?:hot|cold)",
            r"freezing",
            r"noisy",
            r"noise",
            r"transport",
            r"beds?",
            r"wards?",
        ],
    ),
    "pain_safety": (
        "Pain and safety",
        [
            r"pain(?:s|ful)?",
            r"pain ?killers?",
            r"pain relief",
            r"hurt(?:s|ing)?",
            r"injur(?:y|ies|ed)",
            r"bleed(?:ing)?",
            r"bled",
            r"bruis(?:e|es|ed|ing)",
            r"(?:un)?safe(?:ty)?",
            r"dangerous",
            r"agony",
            r"sore",
            r"infect(?:ion|ions|ed)",
            r"fell",
            r"a fall",
            r"harm(?:ed)?",
        ],
    ),
    "privacy": (
        "Privacy",
        [
            r"privacy",
            r"private",
            r"confidential(?:ity)?",
            r"dignity",
            r"undignified",
            r"overheard?",
            r"in front of (?:everyone|other patients|the whole waiting room|people)",
            r"exposed",
            r"hipaa",
            r"gdpr",
            r"data protection",
            r"personal (?:information|details|data)",
            r"medical records?",
            r"curtains?",
        ],
    ),
    "vaccines_misinformation": (
        "Vaccines and misinformation",
        [
            r"vaccin(?:e|es|ed|ate|ated|ation|ations|ating)",
            r"vax(?:xed|ed)?",
            r"anti-?vax(?:x?ers?)?",
            r"jabs?",
            r"boosters?",
            r"immuni[sz](?:e|ed|ation|ations)",
            r"covid(?:-?19)?",
            r"corona ?virus",
            r"flu (?:jab|shot)s?",
            r"mmr",
            r"5g (?:masts?|towers?|networks?|radiation|signals?|rollout)",
            r"micro-?chips?",
            r"ivermectin",
            r"hydroxychloroquine",
            r"plandemic",
            r"big pharma",
            r"fake news",
            r"hoax",
        ],
    ),
    "medication_prescriptions": (
        "Medication and prescriptions",
        [
            r"medications?",
            r"medicines?",
            r"meds",
            r"prescriptions?",
            r"prescrib(?:e|ed|es|ing)",
            r"pharmac(?:y|ies|ist|ists)",
            r"chemists?",
            r"dos(?:e|es|age|ages)",
            r"tablets?",
            r"pills?",
            r"refills?",
            r"drugs?",
            r"side[- ]effects?",
            r"antibiotics?",
            r"inhalers?",
            r"injections?",
        ],
    ),
    "staffing_continuity": (
        "Staffing and continuity",
        [
            r"under-?staffed",
            r"short[- ]staffed",
            r"not enough staff",
            r"lack of staff",
            r"agency staff",
            r"locums?",
            r"continuity",
            r"same (?:doctor|gp|nurse|clinician|therapist)",
            r"different (?:doctor|gp|nurse|clinician|therapist)s?",
            r"over-?worked",
            r"staff shortages?",
            r"stretched",
        ],
    ),
    "discharge_follow_up": (
        "Discharge and follow-up",
        [
            r"discharg(?:e|ed|ing)",
            r"follow[- ]?ups?",
            r"followed up",
            r"after-?care",
            r"care plans?",
            r"check[- ]?ups?",
            r"test results",
            r"never (?:heard|got) back",
        ],
    ),
    "accessibility_language": (
        "Accessibility and language",
        [
            r"interpreters?",
            r"translat(?:or|ors|ion)",
            r"deaf",
            r"blind",
            r"wheelchairs?",
            r"disabled",
            r"disabilit(?:y|ies)",
            r"hearing loop",
            r"sign language",
            r"(?:in)?accessib(?:le|ility)",
            r"learning disabilit(?:y|ies)",
            r"reasonable adjustments?",
        ],
    ),
    "family_carers": (
        "Family, carers and visiting",
        [
            r"visiting(?: hours| times)?",
            r"visitors?",
            r"carers?",
            r"care ?givers?",
            r"next of kin",
            r"relatives",
            r"family",
        ],
    ),
    "food_drink": (
        "Food and drink",
        [
            r"food",
            r"meals?",
            r"drinks?",
            r"cups? of tea",
            r"hungry",
            r"thirsty",
            r"menu",
            r"canteen",
            r"cafeteria",
            r"snacks?",
        ],
    ),
}


@dataclass(frozen=True)
class Topic:
    name: str
    label: str
    pattern: re.Pattern
    ascii_pattern: object  # its RE2 twin, for ASCII texts (fastre.py)


def _compile(patterns: list[str]) -> re.Pattern:
    # Longest alternatives first so "waiting room" wins over "waiting" where both apply.
    # The patterns are lower case and find_topics lower-cases the text once: the same matches
    # as re.IGNORECASE, about twice as fast (17 patterns run over every review).
    if any(p != p.lower() for p in patterns):
        raise ValueError("topic patterns must be lower case")
    ordered = sorted(patterns, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(ordered) + r")\b")


TOPICS: tuple[Topic, ...] = tuple(
    Topic(name, label, rx, ascii_twin(rx))
    for name, (label, patterns) in TOPIC_LEXICON.items()
    for rx in (_compile(patterns),)
)
TOPIC_NAMES: tuple[str, ...] = tuple(t.name for t in TOPICS)
_WAIT = TOPIC_NAMES.index("wait_time")


def _normalise(text: str) -> str:
    # Curly apostrophes and non-breaking spaces occur in scraped reviews.
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("\xa0", " ")


TopicMatch = tuple[int, int, int, str]  # (index in TOPICS, start, end, trigger)


def _scan(low: str) -> list[TopicMatch]:
    """Every trigger in the normalised, lower-cased text, in TOPICS order, but those another
    topic's words borrow (_borrowed)."""
    fast = low.isascii()
    found = [
        (k, m.start(), m.end(), m.group(0))
        for k, topic in enumerate(TOPICS)
        for m in (topic.ascii_pattern if fast else topic.pattern).finditer(low)
    ]
    return [m for m in found if not _borrowed(low, m, found)]


# A trigger word that says something of another topic, not its own (BORROWED: topic -> its
# trigger words this applies to; the text around them in the regexes below):
# - "billing was a mess", "made a mess of my appointments": a mess said of another topic (a
#   place excepted: "the waiting room was a mess") is not cleanliness;
# - "the waiting room wait is ridiculous", "waited two hours in the waiting room": the place of
#   a wait is not facilities and parking;
# - "I wait 30 minutes past my appointment": the appointment time a wait is counted from is
#   not scheduling and access.
BORROWED: dict[str, tuple[str, ...]] = {
    "cleanliness": ("mess",),
    "facilities_parking": ("waiting room", "waiting rooms", "waiting area", "waiting areas"),
    "scheduling_access": ("appointment", "appointments", "appt", "appts"),
}
_MESS_SAID_OF = re.compile(  # between another topic's word and "mess"
    r" (?:[\w'-]+ ){0,3}?(?:is|was|are|were|been|became|becomes|seems|seemed|looks|looked) "
    r"(?:[\w'-]+ ){0,3}$"
)
_MESS_OF = re.compile(r"^ of (?:(?:my|our|the|his|her|their|your|an?) )?$")
_NEAR_WAIT = re.compile(r"^[^.,;:!?()]{0,20}$")
_TIME_BEFORE = re.compile(
    r"\b(?P<word>past|behind|beyond|after) (?:(?:my|our|the|his|her|their|your|an?) )?"
    r"(?:scheduled )?$"
)
_TIME_AFTER = re.compile(r"s? time\b")  # "after my appointment time" (not "after my appointment")
_NOT_A_PLACE = ("cleanliness", "facilities_parking")


def _borrowed(low: str, match: TopicMatch, found: list[TopicMatch]) -> bool:
    k, a, b, trigger = match
    name = TOPICS[k].name
    if trigger not in BORROWED.get(name, ()):
        return False
    if name == "cleanliness":
        return any(
            _MESS_SAID_OF.match(low[e:a]) if e <= a else _MESS_OF.match(low[b:s])
            for j, s, e, _ in found
            if TOPICS[j].name not in _NOT_A_PLACE and (e <= a or s >= b)
        )
    if name == "facilities_parking":
        return any(
            _NEAR_WAIT.match(low[e:a] if e <= a else low[b:s])
            for j, s, e, _ in found
            if j == _WAIT and (e <= a or s >= b)
        )
    m = _TIME_BEFORE.search(low[max(0, a - 40) : a])
    return m is not None and (m.group("word") != "after" or bool(_TIME_AFTER.match(low, b)))


def topic_matches(text: str) -> list[TopicMatch] | None:
    """Every trigger the text holds, with its position in `text`, in TOPICS order; None when
    lower-casing changed the text's length (rare letters such as "İ"), so that positions would
    not point into it."""
    low = _normalise(text or "").lower()
    return _scan(low) if len(low) == len(text or "") else None


def topics_of(matches: list[TopicMatch], start: int = 0, end: int | None = None) -> list[dict]:
    """find_topics' answer from matches (those inside [start, end) only)."""
    found: dict[int, list[str]] = {}
    for k, a, b, trigger in matches:
        if a >= start and (end is None or b <= end):
            word = re.sub(r"\s+", " ", trigger)
            triggers = found.setdefault(k, [])
            if word not in triggers:
                triggers.append(word)
    return [{"name": TOPICS[k].name, "triggers": found[k]} for k in sorted(found)]


def find_topics(text: str) -> list[dict]:
    """[{"name": ..., "triggers": [...]}] for every topic the text mentions, in TOPICS order."""
    return topics_of(_scan(_normalise(text or "").lower()))


def rules_version() -> str:
    """The hand-written rules' share of the model version: the topic lexicon and its borrowed
    words, the clause cuts (clauses.py), the wait rules (waits.py), the wrong-detail rules
    (details.py) and the risk-flag lexicons (flags.py). Stored scores carry it, so a changed
    rule is a new model version and the sweeper rescores, as for a retrained head."""
    borrowed = (_MESS_SAID_OF, _MESS_OF, _NEAR_WAIT, _TIME_BEFORE, _TIME_AFTER)
    blob = json.dumps(
        [
            TOPIC_LEXICON,
            [BORROWED, *(rx.pattern for rx in borrowed)],
            clauses.PATTERNS,
            waits.PATTERNS,
            details.PATTERNS,
            flags.PATTERNS,
        ],
        sort_keys=True,
    ).encode()
    return "rules-" + hashlib.sha256(blob).hexdigest()[:8]
