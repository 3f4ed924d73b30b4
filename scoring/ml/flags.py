"""Risk flags with their evidence.

patient_safety
    An allegation of harm, wrong or negligent treatment, or injury (wrong medication or dose,
    misdiagnosis, "nearly died", "left bleeding", a fall nobody helped with, assault by staff,
    negligence, botched procedure...), and illness caught at the clinic ("got sick after
    visiting", "caught something at the clinic", "an outbreak at the clinic"; not "I was sick
    so I went", "sick note", "sick of waiting"). Evidence: the matching phrases.
legal_threat
    The reviewer threatens or mentions legal or regulatory action (lawyer, solicitor, attorney,
    sue, lawsuit, legal action, court, compensation claim, reporting to the CQC / GMC / NMC /
    medical board / ombudsman...). Evidence: the matching phrases.
self_disclosed_health
    The reviewer discloses their OWN condition, procedure or medication ("I have diabetes",
    "my depression", "after my hysterectomy", "I'm on sertraline", "I'm pregnant"), so staff
    replying in public must not echo it. Rule: a first-person marker (I / I'm / I've / my / me)
    at most 6 words before a health term, in the same sentence, and not "my <relative>"
    (a relative's condition is not a self-disclosure). Evidence: the phrase from the marker to
    the term.
misinformation
    Not here: a trained claim detector matched against the clinic's fact sheet and the myth
    library (claims.py), run by the engine on every text.
threat_abuse
    Threatening or abusive language from the reviewer: threats of violence or revenge
    ("I'll kill you", "watch your back", "burn the place down", "you'll regret it") and slurs
    or insults aimed at people. Evidence: the matching phrases.

Matching is case-insensitive and word-bounded; curly apostrophes are normalised first. The
patterns are written in lower case and run on the lower-cased text (about three times faster
than re.IGNORECASE on every review; the evidence is cut from the text as written); a text whose
length lower-casing changes (rare letters such as "İ") is read with re.IGNORECASE instead.
"""

from __future__ import annotations

import functools
import re

from scoring.ml.fastre import ascii_twin

_APOS = "'"


def _normalise(text: str) -> str:
    return (text or "").replace("\u2019", _APOS).replace("\u2018", _APOS).replace("\xa0", " ")


def _rx(*parts: str) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b")


@functools.cache
def _folded(pattern: re.Pattern) -> re.Pattern:
    """`pattern` with re.IGNORECASE, for a text whose length lower-casing changes."""
    return re.compile(pattern.pattern, pattern.flags | re.IGNORECASE)


@functools.cache
def _twin(pattern: re.Pattern):
    return ascii_twin(pattern)


def _cased(text: str) -> tuple[str, bool]:
    """(the text to match, whether the patterns run as written): the lower-cased text where
    lower-casing keeps every position, else the text itself (read with _folded patterns)."""
    low = text.lower()
    return (low, True) if len(low) == len(text) else (text, False)


def _for(pattern: re.Pattern, scan: str, as_written: bool):
    """The pattern to run over `scan` (_cased's answer): its RE2 twin for an ASCII text."""
    if not as_written:
        return _folded(pattern)
    return _twin(pattern) if scan.isascii() else pattern


_PRONOUN_OBJ = r"(?:me|him|her|them|us|my (?:\w+ ){0,2}?\w+|my)"
_PLACE = (
    r"(?:the|this|that|your|their|our|my|his|her) (?:clinic|surgery|practice|hospital|office|"
    r"waiting room|ward|centre|center|dentists?|doctors?)"
)
_VISIT = (
    # "visiting" alone is also visiting a relative: only with the place or a when
    r"(?:visiting (?:here|there|you|them|" + _PLACE + r"|(?:this|last) (?:week|weekend|month)|"
    r"yesterday|today|recently|on \w+day|the other day)|going (?:there|in)|being (?:there|seen)|"
    r"(?:coming|going) to " + _PLACE + "|"
    r"(?:a|an|the|my|our|his|her|their|your|this|that) (?:visit|appointment|check-?up|jabs?|"
    r"vaccinations?|injection|procedure|treatment|stay)|(?:being )?(?:at|in) " + _PLACE + ")"
)

PATIENT_SAFETY = _rx(
    r"mis-?diagnos(?:ed|is|es)",
    r"(?:the )?wrong (?:medication|medicine|meds|drugs?|dos(?:e|age)|prescription|diagnosis|"
    r"treatment|tablets?|pills?|injection|blood|leg|arm|side|tooth|eye|patient|results?|"
    r"operation|procedure)",
    r"over-?dos(?:e|ed)",
    r"(?:nearly|almost|could have|could've|would have) died",
    r"(?:nearly|almost) killed (?:me|him|her|my \w+)",
    r"left (?:me|him|her|them|my \w+) (?:in agony|bleeding|lying|on the floor|soaked|in (?:my|his|her|their) own \w+)",
    r"(?:they|he|she|staff|(?:the|a|one|another) (?:nurse|doctor|dentist|surgeon|paramedic|carer|"
    r"hygienist|physio|porter|consultant|gp|midwife|crew|member of staff|staff member|technician)s?) "
    r"(?:injured|hurt|burn(?:ed|t)|cut|dropped|assaulted|hit|slapped|pushed|restrained|abused|"
    r"grabbed|manhandled) (?:me|him|her|them|my \w+)",
    r"(?:sexually|physically|verbally) (?:assaulted|abused)",
    r"botched",
    r"negligen(?:t|ce)",
    r"malpractice",
    r"never event",
    r"(?:ignored|dismissed) (?:my|his|her|their) (?:symptoms|pain|concerns)",
    r"sent (?:me|him|her|them|my \w+) home (?:with|and)",
    r"(?:bed|pressure) sores?",
    r"sepsis",
    r"(?:caused|left) (?:me|him|her) (?:with )?(?:permanent |nerve |lasting )?(?:damage|injur(?:y|ies)|infection|scarring)",
    r"(?:damaged|perforated|punctured) (?:my|his|her)",
    r"allergic reaction (?:to|after) (?:the|a) (?:medication|medicine|drug|injection) (?:they|he|she|the doctor)",
    r"(?:fell|had a fall) (?:and|but) (?:no one|nobody|nobody)",
    r"(?:unsafe|dangerous) (?:care|practice|treatment|discharge|staff|doctor|nurse)",
    # illness caught at the clinic: "got sick after visiting", "an outbreak at the clinic"
    r"(?:got|get|gets|getting|fell|became|become|been|were|was|is|are) (?:really |very |so |all )?"
    r"(?:sick|ill|poorly|infected) (?:\w+ ){0,2}?(?:after|from|following) " + _VISIT,
    r"(?:caught|catch|picked up|pick up|contracted|got) (?:something|a bug|a virus|an infection|"
    r"a stomach bug|a tummy bug|norovirus|covid|flu|the flu|measles|chickenpox|an illness) "
    r"(?:at|from|in|during) (?:" + _PLACE + "|" + _VISIT + ")",
    r"infect(?:ion|ions|ed) (?:after|from|following|at|during) " + _VISIT,
    # a named infection caught there: "got pink eye after my visit", "picked up impetigo at the
    # clinic" (the onboarding walk: an optometrist's review of that kind raised no flag)
    r"(?:got|caught|picked up|came down with|developed|ended up with|left with) (?:pink ?eye|"
    r"conjunctivitis|an? (?:eye|skin|ear|wound|bad|nasty) infection|impetigo|ringworm|scabies|"
    r"lice|strep(?: throat)?|hand,? foot and mouth) (?:\w+ ){0,2}?(?:after|from|following|at|in) "
    r"(?:" + _VISIT + "|" + _PLACE + ")",
    # hygiene between patients: "I don't think they clean the equipment between patients"
    r"(?:don't|do not|didn't|did not|never|doesn't|does not|not|no one|nobody) (?:\w+ ){0,3}?"
    r"(?:clean(?:s|ed)?|wipe(?:s|d)?(?: down)?|disinfect(?:s|ed)?|saniti[sz]e(?:s|d)?|"
    r"sterili[sz]e(?:s|d)?) (?:the |their |any |its )?(?:equipment|instruments?|tools|chairs?|"
    r"machines?|surfaces?|exam(?:ination)? tables?|beds?|headrests?|lenses|probes?)"
    r"(?: \w+){0,2}? between (?:patients|visits|each patient|appointments|uses|people)",
    r"outbreaks? (?:of \w+ )?(?:at|in) " + _PLACE,
    # an infection the writer says they were given ("now I have hepatitis C", "gave me HIV")
    r"now (?:i|he|she|we|they|my \w+) (?:have|has|had|got|am|is|are) (?:got )?"
    r"(?:hepatitis|hep [abc]|hiv|sepsis|mrsa|tetanus|an infection|a blood infection|infected)",
    r"(?:gave|given|infected) (?:me|him|her|them|us|my \w+) (?:with )?"
    r"(?:hepatitis|hep [abc]|hiv|sepsis|mrsa|tetanus|an infection)",
    # unsafe instruments: "reuses needles", "dirty needles", "the needles were reused"
    r"(?:reus(?:e|es|ed|ing)|re-us(?:e|es|ed|ing)) (?:dirty |used |old |the same )?"
    r"(?:needles?|syringes?|instruments?|drill bits?|scalpels?|gloves?)",
    r"(?:dirty|used|unsterile|unsterili[sz]ed|non-sterile|contaminated) (?:needles?|syringes?|"
    r"instruments?|equipment|scalpels?)",
    r"(?:needles?|syringes?|instruments?|gloves?) (?:were|was|are|is|being|get|got) "
    r"(?:reused|re-used|not sterili[sz]ed|dirty|contaminated)",
)

# A denial of the above ("they never reuse needles", "no dirty instruments"): the phrase it holds
# is not evidence of an allegation.
PATIENT_SAFETY_DENIED = _rx(
    r"(?:never|not|don't|doesn't|didn't|do not|does not|did not|won't|wouldn't|no|nor) "
    r"(?:\w+ )?(?:reus(?:e|es|ed|ing)|re-us(?:e|es|ed|ing)) (?:dirty |used |old |the same )?"
    r"(?:needles?|syringes?|instruments?|drill bits?|scalpels?|gloves?)",
    r"(?:no|never|not|nor|without) (?:any )?(?:dirty|used|unsterile|unsterili[sz]ed|non-sterile|"
    r"contaminated) (?:needles?|syringes?|instruments?|equipment|scalpels?)",
    r"(?:worry|worried|worrying|fear|afraid) (?:about|of) (?:reused|re-used|dirty|used|unsterile) "
    r"(?:needles?|syringes?|instruments?|equipment|scalpels?|gloves?)",
)

LEGAL_THREAT = _rx(
    r"lawyers?",
    r"attorneys?",
    r"solicitors?",
    r"(?:will|going to|gonna|intend to|plan to|want to|i'll|we'll|i'd|we'd|to|could|should|might|"
    r"can|and) sue",  # not the name Sue
    r"sued",
    r"suing",
    r"law-?suits?",
    r"legal (?:action|advice|team|proceedings|claim)",
    r"litigation",
    r"(?:take|taking|took) (?:you|them|this|it|the \w+) to court",
    r"small claims",
    r"(?:claim|claims|claiming) (?:for )?compensation",
    r"(?:report(?:ed|ing)?|complain(?:ed|ing)?|escalat(?:e|ed|ing)|writ(?:e|ing|ten)|"
    r"contact(?:ed|ing)?|inform(?:ed|ing)?)(?: [\w']+){0,4} to (?:the )?"
    r"(?:cqc|gmc|nmc|hcpc|gdc|phso|ombudsman|medical board|state board|board of \w+|health ?watch|"
    r"care quality commission|general medical council|nursing and midwifery council|bbb)",
    r"(?:contact(?:ed|ing)?|call(?:ed|ing)?) (?:the )?(?:cqc|gmc|nmc|ombudsman)",
    r"report(?:ed|ing)? (?:you|him|her|them|this|it|the (?:doctor|gp|nurse|dentist|surgery|practice|"
    r"clinic|hospital|staff|receptionist|paramedics?)) to the police",
)

_RELATIVES = (
    r"(?:mum|mom|mother|dad|father|son|daughter|child|children|kids?|baby|husband|wife|partner|"
    r"boyfriend|girlfriend|brother|sister|nan|nana|gran|grandma|grandad|grandpa|grandmother|"
    r"grandfather|aunt|uncle|niece|nephew|friend|neighbour|neighbor|relative|dog|cat|"
    r"mother-in-law|father-in-law|family|parents?|fiance|fiancee|carer|patient|client)"
)
_HEALTH_TERMS = (
    # conditions
    r"diabet(?:es|ic)|cancer|tumou?r|leuka?emia|lymphoma|depress(?:ion|ed)|anxiety|panic attacks?|"
    r"bipolar|schizophreni[ac]|psychosis|ptsd|ocd|adhd|autis(?:m|tic)|eating disorder|anorexi[ac]|"
    r"bulimi[ac]|hiv|aids|hepatitis|herpes|hpv|chlamydia|gonorrh?o?ea|syphilis|std|sti|"
    r"asthma|copd|epilep(?:sy|tic)|seizures?|migraines?|dementia|alzheimer'?s|parkinson'?s|"
    r"multiple sclerosis|ms|arthritis|fibromyalgia|endometriosis|pcos|ibs|crohn'?s|colitis|"
    r"lupus|hypertension|high blood pressure|heart (?:disease|condition|failure|attack)|"
    r"stroke|kidney (?:disease|failure|stones?)|thyroid|hypothyroidism|hyperthyroidism|"
    r"addiction|alcoholi(?:sm|c)|substance abuse|self[- ]harm(?:ing)?|suicidal|"
    r"pregnan(?:t|cy)|miscarriage|abortion|infertility|ivf|menopause|erectile dysfunction|"
    r"incontinence|disability|chronic pain|long covid|insomnia|obes(?:e|ity)|"
    # procedures
    r"surgery|operation|hysterectomy|mastectomy|chemo(?:therapy)?|radiotherapy|radiation therapy|"
    r"dialysis|c-?section|caesarean|cesarean|colonoscopy|endoscopy|biopsy|vasectomy|"
    r"transplant|(?:hip|knee) replacement|smear test|pap smear|mammogram|scan|mri|"
    # medications
    r"medication|meds|antidepressants?|antipsychotics?|insulin|metformin|sertraline|zoloft|"
    r"fluoxetine|prozac|citalopram|escitalopram|lexapro|venlafaxine|effexor|mirtazapine|"
    r"lithium|quetiapine|seroquel|olanzapine|aripiprazole|abilify|lamotrigine|lamictal|"
    r"methadone|buprenorphine|subutex|suboxone|morphine|oxycodone|tramadol|codeine|gabapentin|"
    r"pregabalin|lyrica|diazepam|valium|xanax|alprazolam|adderall|ritalin|methylphenidate|"
    r"levothyroxine|warfarin|statins?|hrt|the pill|contraceptive pill|birth control|prep"
)
SELF_HEALTH = re.compile(
    r"\b(?P<marker>i|i'm|i am|i've|i have|i had|i was|my|me)\b"
    r"(?P<gap>(?:[ ,\-]+[\w'\-]+){0,6}?)[ ,\-]+"
    r"(?P<term>" + _HEALTH_TERMS + r")\b",
)
_SENTENCE_END = re.compile(r"[.!?\n;]")
_RELATIVE_AFTER_MY = re.compile(r"^[ ,\-]+" + _RELATIVES + r"(?:'s|s'|s)?\b", re.IGNORECASE)
_RELATIVE = re.compile(r"\b" + _RELATIVES + r"\b", re.IGNORECASE)

THREAT_ABUSE = _rx(
    r"(?:i'?ll|i will|we'?ll|we will|i'm going to|im going to|i am going to|gonna|i'd like to|i want to) "
    r"(?:kill|hurt|stab|shoot|punch|smash|batter|beat|strangle|slap|thump) "
    r"(?:you|him|her|them|the lot of you|every one of you|that \w+|the \w+)",
    r"(?:i'?ll|i will|we'?ll|we will|i'm going to|im going to|i am going to|i'm gonna) "
    r"(?:find|get|come for|deal with|sort out) (?:you|him|her|them)",
    r"(?:kill|stab|shoot) (?:you|him|her|them|the doctor|the nurse|the receptionist|the staff|everyone)",
    r"watch (?:your|their|his|her) backs?",
    r"(?:burn|blow) (?:the|this|that|your) (?:place|building|surgery|practice|clinic|hospital) (?:down|up)",
    r"(?:you'?ll|you will|they'?ll|they will) (?:regret|pay for) (?:it|this|that)",
    r"(?:hope|wish) (?:you|they|he|she) (?:die|dies|rot|get cancer)",
    r"(?:should|deserve to) (?:die|be shot|be killed)",
    r"bomb (?:the|this|that|your)",
    r"(?:i know|we know) where (?:you|they|she|he) lives?",
    r"c+u+n+t+s?",
    r"twats?",
    r"wankers?",
    r"bitch(?:es)?",
    r"whores?",
    r"sluts?",
    r"scum(?:bags?)?",
    r"dick ?heads?",
    r"(?:arse|ass) ?holes?",
    r"bastards?",
    r"pieces? of (?:shit|crap|garbage|trash)",
    r"(?:fucking|f\*+ing|bloody|stupid) (?:idiots?|morons?|bitch|cow|incompetents?|losers?)",
    r"(?:you|she|he|they|staff|doctor|nurse|receptionist)s? (?:is |are |was |were )?(?:an? )?"
    r"(?:fucking )?(?:idiots?|morons?|imbeciles?)",
    r"f+u+c+k (?:you|off|them|him|her)",
    r"go to hell",
)


def _evidence(pattern, text: str, scan: str) -> list[str]:
    """The distinct phrases of `text` that `pattern` matches over `scan` (_cased's text:
    `text` lower-cased, position for position, or `text` itself)."""
    out: list[str] = []
    for match in pattern.finditer(scan):
        phrase = re.sub(r"\s+", " ", text[match.start() : match.end()]).strip()
        if phrase.lower() not in (e.lower() for e in out):
            out.append(phrase)
    return out


def _self_disclosure_evidence(pattern, text: str, scan: str) -> list[str]:
    """SELF_HEALTH's phrases (`pattern`: it as _for picked it), as in _evidence."""
    out: list[str] = []
    pos = 0
    while True:
        match = pattern.search(scan, pos)
        if not match:
            break
        pos = match.start() + 1  # overlapping: a later marker may be closer to the term
        span = text[match.start() : match.end()]
        if _SENTENCE_END.search(span):
            continue
        marker = match.group("marker").lower()
        gap = match.group("gap") or ""
        if marker == "my" and _RELATIVE_AFTER_MY.match(gap + " " + match.group("term")):
            continue
        if _RELATIVE.search(gap):
            continue  # "my other children were diagnosed with ...": not the reviewer's own
        phrase = re.sub(r"\s+", " ", span).strip()
        if not any(phrase.lower() in e.lower() or e.lower() in phrase.lower() for e in out):
            out.append(phrase)
    return out


def find_flags(text: str) -> list[dict]:
    """[{"name", "evidence": [...]}] for every lexicon flag raised (the misinformation flag
    comes from claims.py)."""
    norm = _normalise(text)
    scan, as_written = _cased(norm)
    flags: list[dict] = []
    for name, rx in (
        ("patient_safety", PATIENT_SAFETY),
        ("legal_threat", LEGAL_THREAT),
        ("self_disclosed_health", SELF_HEALTH),
        ("threat_abuse", THREAT_ABUSE),
    ):
        find = _self_disclosure_evidence if rx is SELF_HEALTH else _evidence
        ev = find(_for(rx, scan, as_written), norm, scan)
        if ev and rx is PATIENT_SAFETY:
            denied = [d.lower() for d in _evidence(_for(PATIENT_SAFETY_DENIED, scan, as_written),
                                                   norm, scan)]  # fmt: skip
            ev = [e for e in ev if not any(e.lower() in d for d in denied)]
        if ev:
            flags.append({"name": name, "evidence": ev})
    return flags


FLAG_NAMES = (
    "patient_safety",
    "legal_threat",
    "self_disclosed_health",
    "misinformation",
    "threat_abuse",
)
# How pages name them (the API keeps the names above).
FLAG_LABELS = {
    "patient_safety": "Patient safety",
    "legal_threat": "Legal threat",
    "self_disclosed_health": "Health details shared by the writer",
    "misinformation": "Misinformation",
    "threat_abuse": "Threat or abuse",
}

# Every pattern above, for the rules' share of the model version (topics.rules_version): a
# changed flag rule is a new model version, and the sweeper rescores.
PATTERNS: tuple[str, ...] = tuple(
    v.pattern for k, v in sorted(globals().items()) if isinstance(v, re.Pattern)
)
