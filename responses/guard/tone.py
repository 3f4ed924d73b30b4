"""Tone: defensive, emotional, threatening or blaming language in a public reply.

Every tone finding has severity ``needs_review``: it is not a privacy breach, but the crisis
playbook says a reply must never be emotional or defensive, so a person must look at it.
"""

from __future__ import annotations

import re

from .patterns import Phrase, _p
from .result import NEEDS_REVIEW

R = NEEDS_REVIEW
_CALM = "we see this differently and would welcome the chance to discuss it privately"
_OWN = "we'd like to understand what happened — please contact our office"

TONE_PHRASES: tuple[Phrase, ...] = (
    # --- calling the review false --------------------------------------------------------
    _p(
        r"\b(?:review|post|comment|claim|statement|story|account|accusation|allegation)s?\s+"
        r"(?:is|are|was|were)\s+(?:\w+\s+)?(?:false|untrue|fake|inaccurate|fabricated|misleading|"
        r"dishonest|made\s+up|a\s+lie|lies|defamatory|exaggerated|baseless|bogus|fiction|wrong)\b",
        "disputes_review",
        R,
        "Calls the review false; that reads as defensive.",
        _CALM,
    ),
    _p(
        r"\b(?:fake|false|fraudulent|bogus|malicious|defamatory|dishonest|fabricated|slanderous|"
        r"libell?ous)\s+(?:review|post|claims?|statements?|accusations?|allegations?|story)\b",
        "disputes_review",
        R,
        "Calls the review fake or false; that reads as defensive.",
        _CALM,
    ),
    _p(
        r"\b(?:you(?:'re|’re|\s+are|\s+were)\s+(?:\w+\s+)?(?:lying|a\s+liar|wrong|mistaken|"
        r"confused|rude|aggressive|abusive|hostile|belligerent|disrespectful|yelling|screaming|"
        r"dishonest|exaggerating|unreasonable|demanding|entitled)|liars?|lying|posting\s+lies|"
        r"(?:these|your|such)\s+lies|lies\s+(?:online|about))\b",
        "accusation",
        R,
        "Accuses the reviewer; keep the reply factual and calm.",
        _CALM,
    ),
    _p(
        r"\b(?:never|didn't|did\s+not|simply\s+didn't)\s+happen(?:ed)?\b|\bnot\s+what\s+happened\b|"
        r"\b(?:simply|completely|totally|absolutely|just)\s+(?:not\s+true|untrue|false|wrong)\b|"
        r"\bthat(?:'s|’s|\s+is)\s+(?:not\s+true|untrue|false|a\s+lie)\b|\byour\s+version\b",
        "disputes_review",
        R,
        "Flatly contradicts the reviewer.",
        _CALM,
    ),
    _p(
        r"\b(?:ridiculous|absurd|nonsense|laughable|preposterous|outrageous|disgusting|disgusted|"
        r"appalled|appalling|insulting|pathetic|shameful|unbelievable|hard\s+to\s+believe|"
        r"difficult\s+to\s+believe|shame\s+on\s+you|how\s+dare)\b",
        "emotional",
        R,
        "Emotional wording; keep the reply neutral.",
        "we're sorry to hear this",
    ),
    _p(
        r"\b(?:competitor|troll|disgruntled|ungrateful|so-called|harass(?:ing|ment|ed)?|attack(?:ing)?"
        r"\s+(?:us|our|hard-?working)|spam)\b",
        "accusation",
        R,
        "Accuses the reviewer of bad faith.",
        _CALM,
    ),
    # --- legal threats -------------------------------------------------------------------
    _p(
        r"\b(?:our|my|the\s+practice's|their)\s+(?:lawyers?|attorneys?|legal\s+(?:team|counsel|"
        r"department))\b|\b(?:lawyers?|attorneys?)\b|\blegal\s+(?:action|steps|recourse|options?)\b|"
        r"\b(?:sue|suing|lawsuit|litigation|defamation|libel|slander|cease\s+and\s+desist|"
        r"in\s+court|take\s+(?:this|you|it)\s+to\s+court)\b|\bpursu(?:e|ing)\s+(?:every|all|any)"
        r"\s+(?:option|remedy|avenue)",
        "legal_threat",
        R,
        "Threatens legal or other action against the reviewer.",
        "our team would welcome the chance to resolve this with you directly",
    ),
    _p(
        r"\breport(?:ing|ed)?\s+(?:this|your|the)\s+(?:review|post|comment|account)\b|\bas\s+spam\b|"
        r"\bflag(?:ged|ging)?\s+(?:this|your)\s+(?:review|post)\b|\bhave\s+(?:it|this)\s+removed\b",
        "threat",
        R,
        "Threatens to have the review removed; address the concern instead.",
        "we take all feedback seriously",
    ),
    # --- blaming the reviewer ------------------------------------------------------------
    _p(
        r"\b(?:if|had)\s+you\s+(?:had\s+|would\s+have\s+|only\s+|just\s+|actually\s+|simply\s+|"
        r"even\s+|bothered\s+to\s+|taken\s+the\s+time\s+to\s+){0,2}(?:followed|listened|read|arrived|"
        r"shown\s+up|showed\s+up|paid|called|come|bothered|taken|told|asked|checked|done|kept|"
        r"worn|used|complied|been\s+on\s+time)\b",
        "blame",
        R,
        "Blames the reviewer for what happened.",
        _OWN,
    ),
    _p(
        r"\byou\s+(?:clearly\s+|obviously\s+|simply\s+|just\s+|also\s+)?(?:didn't|did\s+not|don't|"
        r"do\s+not|failed\s+to|refused\s+to|neglected\s+to|chose\s+not\s+to|never)\s+(?:\w+\s+)?"
        r"(?:understand|listen|read|follow|pay|show|bother|call|arrive|tell|mention|ask|"
        r"take|wear|keep|comply|return)\b|\byou\s+(?:failed|refused|neglected|ignored)\b",
        "blame",
        R,
        "Blames the reviewer for what happened.",
        _OWN,
    ),
    _p(
        # the reviewer went ahead after being told: "you chose to go ahead anyway", "you
        # decided to leave against medical advice"
        r"\byou\s+(?:still\s+|nevertheless\s+)?(?:chose|decided|opted|elected|insisted|went\s+ahead)\b"
        r"[^.!?\n]{0,50}?\b(?:anyway|anyhow|regardless|against\s+(?:our|medical|the\s+doctor's|"
        r"(?:dr\.?|doctor)\s+\w+'s)\s+advice)\b",
        "blame",
        R,
        "Says the reviewer chose against advice; that reads as blaming.",
        _OWN,
        excludes=r"\b(?:if|whether|whatever)\s+you\b",
    ),
    _p(
        r"\b(?:your\s+own\s+(?:fault|doing|choice|responsibility)|your\s+fault|(?:only\s+)?have\s+"
        r"yourself\s+to\s+blame|blame\s+yourself|take\s+(?:some\s+)?responsibility|your\s+"
        r"responsibility|the\s+problem\s+(?:clearly\s+|obviously\s+)?(?:isn't|is\s+not|wasn't|"
        r"was\s+not)\s+(?:on\s+our\s+end|with\s+us|ours)|not\s+our\s+(?:fault|problem|job|"
        r"responsibility)|(?:we|our\s+staff|our\s+team)\s+did\s+(?:nothing|not\s+do\s+anything)\s+"
        r"wrong|we\s+stand\s+(?:by|behind)\s+(?:our|them|the)|(?:is|are)\s+not\s+responsible)\b",
        "blame",
        R,
        "Deflects blame onto the reviewer.",
        _OWN,
    ),
    _p(
        r"\b(?:maybe|perhaps)\s+(?:next\s+time\s+)?(?:you\s+)?(?:should|could|need\s+to|try|read|"
        r"consider)\b|\bnext\s+time,?\s+(?:please\s+)?(?:read|try|you\s+should|arrive|show\s+up|"
        r"call)\b|\byou\s+(?:should|need\s+to)\s+(?:have\s+)?(?:read|understand|realize|know|"
        r"followed|listened|called)\b|\b(?:read|check)\s+(?:the|our)\s+(?:policy|sign|forms?|"
        r"website|fine\s+print)\s+(?:before|first)\b|\bbefore\s+complaining\b",
        "condescending",
        R,
        "Lectures the reviewer.",
        _OWN,
    ),
    _p(
        r"\b(?:explained|told|reminded|informed|warned|shown|said|mentioned)\s+(?:[\w'’-]+\s+){0,6}?"
        r"(?:multiple|several|many|numerous|countless|two|three|four|\d+)\s+times\b|\bas\s+we\s+"
        r"(?:already\s+)?(?:said|explained|told\s+you|stated)\b|\brepeatedly\s+(?:told|explained|"
        r"reminded)\b",
        "blame",
        R,
        "Says the reviewer was told repeatedly; that reads as blaming.",
        _OWN,
    ),
    _p(
        r"\bchose\s+to\s+(?:post|write|leave|go\s+online|publish|complain)\b|\binstead\s+of\s+"
        r"(?:talking|speaking|calling|contacting|coming)\s+(?:to\s+|with\s+)?us\b|\blike\s+an\s+adult\b|"
        r"\bfeel\s+the\s+need\s+to\b",
        "condescending",
        R,
        "Criticises the reviewer for posting.",
        "we'd welcome a direct conversation",
    ),
    # --- dismissive / hostile ------------------------------------------------------------
    _p(
        r"\b(?:patients|people|customers)\s+like\s+you\b|\b(?:don't|do\s+not)\s+need\s+(?:your|"
        r"patients|people)\b|\bnobody\s+forced\s+you\b|\bno\s+(?:one|body)\s+(?:forced|made)\s+"
        r"you\b|\b(?:no\s+longer|not)\s+welcome\b|\b(?:banned|dismissed)\s+(?:you|from)\b|"
        r"\bzero\s+tolerance\b|\bgo\s+elsewhere\b|\b(?:find|look\s+for|try)\s+(?:a|another|a\s+"
        r"different)\s+(?:\w+\s+)?(?:provider|dentist|doctor|clinic|practice|office)\b|"
        r"\bdon't\s+come\s+back\b|\bunrealistic\b|\bgood\s+riddance\b",
        "hostile",
        R,
        "Hostile toward the reviewer.",
        "we'd welcome the chance to make this right",
    ),
    _p(
        r"\b(?:everyone|everybody|all\s+our\s+other\s+patients|other\s+patients)\s+(?:else\s+)?"
        r"(?:loves?|likes?|is\s+happy|are\s+happy|has\s+no\s+(?:problem|issue)|never\s+complains?)\b|"
        r"\banyone\s+who\s+knows\s+us\b|\byou\s+must\s+have\s+(?:us\s+)?(?:confused|mistaken)|"
        r"\b(?:confused|mistaken)\s+us\s+(?:with|for)\b|\bwrong\s+(?:office|clinic|practice)\b",
        "dismissive",
        R,
        "Dismisses the reviewer's account.",
        _CALM,
    ),
    _p(
        r"\b(?:not|never)\s+(?:going\s+to|gonna)\s+apologi[sz]e\b|\b(?:won't|will\s+not|refuse\s+to)"
        r"\s+apologi[sz]e\b|\bno\s+apology\b|\bwe\s+(?:will|shall)\s+not\s+tolerate\b|"
        r"\bwon't\s+tolerate\b|\bbent\s+over\s+backwards\b|\bbabysit\b|\bcan(?:'t|not|’t)\s+read\b|"
        r"\b(?:frankly|quite\s+frankly|with\s+all\s+due\s+respect|let\s+me\s+be\s+clear|"
        r"for\s+the\s+record|get\s+(?:your|the)\s+facts\s+straight|do\s+your\s+research)\b",
        "defensive",
        R,
        "Defensive wording.",
        _CALM,
    ),
    _p(
        r"\b(?:it(?:'s|’s|\s+is)\s+(?:a\s+)?shame|sadly\s+you|unfortunately\s+you\s+(?:chose|"
        r"decided|failed|refused))\b|\bit(?:'s|’s|\s+is)\s+obvious\b|\bobviously\s+(?:you|this)\b|"
        r"\bclearly\s+(?:you|this\s+(?:person|reviewer))\b|\bseriously\s*[?!]",
        "dismissive",
        R,
        "Sarcastic or dismissive wording.",
        "we're sorry to hear this",
    ),
)

TONE_PHRASES += (
    _p(
        r"\b(?:do|did|would|could)\s+you\s+(?:really|honestly|seriously|actually|truly)\s+"
        r"(?:think|believe|expect|imagine|suppose)\b|\bwhat\s+(?:did|do)\s+you\s+expect\b|"
        r"\bcome\s+on\s*[.!?,]|\breally\s*\?|\bhow\s+(?:could|would|can)\s+(?:we|anyone)\s+(?:possibly\s+)?"
        r"(?:know|have\s+known|be\s+expected)\b|\bwho\s+(?:does|do)\s+(?:that|this)\b",
        "sarcasm",
        R,
        "Rhetorical or sarcastic question aimed at the reviewer.",
        _CALM,
    ),
    _p(
        r"\b(?:don't|do\s+not|dont)\s+(?:act|pretend|expect|bother|blame|try\s+to|come\s+at)\b|"
        r"\b(?:stop|quit)\s+(?:posting|complaining|lying|spreading|writing|blaming)\b",
        "hostile",
        R,
        "Orders the reviewer about.",
        _CALM,
    ),
    _p(
        r"\byour\s+(?:\w+\s+)?(?:behaviou?r|attitude|conduct|tone|language|outburst|demands|"
        r"temper|rudeness|aggression|entitlement|antics|tantrum)\b|\b(?:security|the\s+police|"
        r"police|authorities)\s+(?:was|were|would\s+have\s+been|had\s+to\s+be|will\s+be|"
        r"(?:was|were)\s+(?:nearly|almost))\s*(?:\w+\s+)?(?:called|contacted|notified|involved)\b|"
        r"\b(?:call(?:ed)?|involve[ds]?|notif(?:y|ied))\s+(?:the\s+)?(?:police|security|authorities)\b",
        "accusation",
        R,
        "Criticises the reviewer's behaviour or threatens them.",
        _CALM,
    ),
    _p(
        r"\b(?:it|this|that)(?:'s|’s|\s+is|\s+was)\s+(?:\w+\s+)?(?:untrue|false|not\s+true|a\s+lie|"
        r"fiction|fabricated|made\s+up|fantasy)\b|\bdignify\b|\bbeneath\s+us\b|\b(?:the|our)\s+"
        r"(?:real|actual)\s+(?:story|truth|facts)\b|\bthe\s+truth\s+is\b|\btwist(?:ing|ed)?\s+"
        r"(?:the\s+)?(?:facts|story|truth|words)\b|\bexaggerat(?:e|ed|es|ing)\b|\bnot\s+how\s+it\s+"
        r"(?:happened|went)\b",
        "disputes_review",
        R,
        "Disputes the reviewer's account; that reads as defensive.",
        _CALM,
    ),
    _p(
        r"\b(?:some|certain|these|those)\s+people\s+(?:just|simply|always|will|who|love\s+to|like\s+to)\b|"
        r"\b(?:something|anything|things|reasons?)\s+to\s+complain\s+about\b|\bcomplainers?\b|"
        r"\b(?:angry|nasty|mean|hateful|vindictive|spiteful)\s+reviews?\b|"
        r"\binstead\s+of\s+(?:posting|writing|complaining|leaving|going\s+online|venting|ranting)\b|"
        r"\brather\s+than\s+(?:posting|writing|complaining|calling\s+us|talking\s+to\s+us)\b",
        "dismissive",
        R,
        "Dismisses the reviewer or reviewers in general.",
        _CALM,
    ),
    _p(
        r"\b(?:we're|we\s+are|i'm|i\s+am|we\s+get|we've\s+gotten)\s+(?:so\s+|really\s+|quite\s+|"
        r"frankly\s+|honestly\s+)?(?:tired|sick)\s+of\b|\bfed\s+up\b|\b(?:trash(?:ing|ed)?|bash(?:ing|ed)?|smear(?:ing|ed)?|"
        r"slander(?:ing|ed)?|badmouth(?:ing|ed)?)\b|\b(?:we|i)\s+(?:don't|do\s+not)\s+appreciate\b|"
        r"\b(?:was|is|were)\s+(?:\w+\s+)?(?:unacceptable|inappropriate|out\s+of\s+line|uncalled\s+for)"
        r"(?=[^.!?]*\byou)|\byou\s+(?:\w+\s+){0,3}?(?:unacceptable|inappropriate|out\s+of\s+line|"
        r"uncalled\s+for)\b",
        "emotional",
        R,
        "Angry or accusatory wording.",
        "we're sorry to hear this",
    ),
    _p(
        r"\b(?:we|our\s+staff|our\s+team|the\s+doctor)\s+(?:was|were|are|is)\s+(?:just|only|simply)\s+"
        r"(?:following|doing)\b|\b(?:did|followed)\s+(?:everything|it\s+all)\s+(?:right|by\s+the\s+book|"
        r"correctly)\b|\bby\s+the\s+book\b|\b(?:policy|rules)\s+(?:is|are)\s+(?:policy|rules)\b|"
        r"\bthat(?:'s|’s|\s+is)\s+(?:just|simply)\s+(?:how|the\s+way)\b|\bwe\s+(?:will|would)\s+"
        r"never\s+(?:risk|jeopardi[sz]e|do\s+that|do\s+such)\b|\brisk\s+our\s+licen[sc]e\b|"
        r"\b(?:honestly|frankly|quite\s+honestly),\s+(?:we|you|this|it|i)\b",
        "defensive",
        R,
        "Justifies the clinic instead of acknowledging the concern.",
        _CALM,
    ),
)

TONE_PHRASES += (
    _p(
        r"\b(?:thousands|hundreds|countless|tons|plenty)\s+of\s+(?:happy|satisfied|other|loyal)\s+"
        r"(?:patients|customers|clients|families|reviews)\b|\b(?:one|a\s+single|a\s+few|one\s+or\s+two)"
        r"\s+(?:bad|negative|angry|poor|unfair)\s+reviews?\b|\bwon't\s+change\s+that\b|\b(?:this|that)\s+"
        r"(?:kind|sort|type)\s+of\s+(?:review|post|comment|behaviou?r|attitude)\b",
        "defensive",
        R,
        "Compares the reviewer unfavourably with others; reads as defensive.",
        _CALM,
    ),
    _p(
        r"\b(?:inaccuracies|riddled|misrepresent\w*|distort\w*|untruths|falsehoods|baseless|unfounded|"
        r"not\s+credible|credibility|fabricat\w*|fiction(?:al)?)\b",
        "disputes_review",
        R,
        "Attacks the accuracy of the review; reads as defensive.",
        _CALM,
    ),
    _p(
        r"\bbefore\s+(?:you\s+)?(?:post|posting|write|writing|leave|leaving|review|reviewing|"
        r"complain|jump(?:ing)?\s+to)\b|\b(?:consider|think\s+about|remember)\s+(?:the\s+)?(?:impact|"
        r"effect|consequences|damage|harm)\b|\bthink\s+(?:twice|before)\b",
        "condescending",
        R,
        "Lectures the reviewer about posting.",
        _OWN,
    ),
    _p(
        r"\b(?:just|simply)\s+wow\b|\bthe\s+nerve\b|\bsome\s+people\s*[.!?]|\bof\s+some\s+people\b|"
        r"\bunbelievable\b|\bsmh\b|\bsigh\b|\beye\s*roll\b",
        "emotional",
        R,
        "Exasperated wording.",
        "we're sorry to hear this",
    ),
    _p(
        r"\bwhims?\b|\bcater\s+to\b|\bnot\s+a\s+(?:restaurant|hotel|spa|resort|fast[\s-]food|"
        r"drive[\s-]thru|babysitting|charity)\b|\b(?:let's|let\s+us)\s+not\s+pretend\b|"
        r"\bplay(?:ing)?\s+the\s+victim\b|\bthe\s+victim\s+here\b|\b(?:doesn't|does\s+not|don't|"
        r"do\s+not|shouldn't|should\s+not)\s+(?:need|have)\s+to\s+(?:justify|explain|defend|prove)\b|"
        r"\bjustify\s+(?:\w+\s+){0,3}?to\s+you\b|\bhighly\s+(?:respected|regarded|qualified|"
        r"trained|experienced)\b",
        "condescending",
        R,
        "Condescending toward the reviewer.",
        _CALM,
    ),
    _p(
        r"\bthreat(?:en|ening|ened|s)?\b|\b(?:get|gets)\s+you\s+nowhere\b|\b(?:won't|will\s+not|"
        r"isn't\s+going\s+to|is\s+not\s+going\s+to|not\s+going\s+to)\s+get\s+you\b|\bintimidat\w*",
        "hostile",
        R,
        "Confrontational wording.",
        _CALM,
    ),
)

TONE_PHRASES += (
    _p(
        r"\b(?:shocked|stunned|astonished|baffled|flabbergasted|dumbfounded|speechless|offended|"
        r"insulted|hurt\s+and\s+angry|outraged|furious|livid)\b",
        "emotional",
        R,
        "Emotional reaction to the review.",
        "we're sorry to hear this",
    ),
    _p(
        r"\b(?:don't|do\s+not|doesn't|does\s+not)\s+owe\b|\bhad\s+enough\b|\benough\s+is\s+enough\b|"
        r"\b(?:people|patients|reviewers|customers|clients|someone|somebody|folks|individuals)\s+like\s+"
        r"(?:you|this|that|them)\b|\byou\s+(?:don't|do\s+not|clearly\s+don't)\s+know\s+what\b|"
        r"\bwhat\s+you(?:'re|\s+are)\s+talking\s+about\b|(?:^|(?<=[.!?]\s))with\s+(?:all\s+due\s+)?"
        r"respect,|"
        r"\b(?:nothing|none|not\s+a\s+(?:single\s+)?(?:word|thing))\s+(?:in|of)\s+(?:this|your|the)\s+"
        r"(?:review|post|comment|story)\b|\b(?:review|post|story|account)\s+(?:is|was)\s+(?:not|"
        r"in)accurate\b|\bnothing\s*[.!]\s*$",
        "dismissive",
        R,
        "Dismissive or hostile toward the reviewer.",
        _CALM,
    ),
)

TONE_PHRASES += (
    # sarcasm and put-downs that read as polite on their own words
    _p(
        r"\bsorry,?\s+not\s+sorry\b|\bthanks?(?:\s+you)?\s+(?:so\s+much\s+)?for\s+the\s+"
        r"(?:lecture|lesson|free\s+(?:advertising|publicity|advice)|(?:one|1)[\s-]star|"
        r"(?:career|medical|business)\s+advice)\b|\bwe(?:'ll|’ll|\s+will)\s+(?:treasure|cherish|"
        r"frame)\s+(?:it|that|this)\b",
        "sarcasm",
        R,
        "Sarcastic toward the reviewer.",
        "thank you for your feedback",
    ),
    _p(
        r"\b(?:is|are)\s+not\s+optional\b|\bfull\s+stop\b|\bhow\s+anyone\s+could\s+(?:miss|"
        r"forget|not\s+(?:know|see|notice)|misunderstand|misread)\b|\bwhich\s+you\s+(?:agreed|"
        r"signed|consented)\s+to\b|\bmore\s+than\s+can\s+be\s+said\s+for\b|\ba\s+little\s+"
        r"(?:grace|patience|kindness|understanding|courtesy|respect)\s+would\s+go\s+a\s+long\s+way\b",
        "condescending",
        R,
        "Lectures or talks down to the reviewer.",
        _CALM,
    ),
    _p(
        r"\b(?:we|i)\s+(?:will\s+never|won't\s+ever|refuse\s+to|do\s+not|don't)\s+apologi[sz]e\s+"
        r"for\b|\b(?:we|i)\s+expect\s+an\s+apology\b|\b(?:we|i)\s+(?:are|am)\s+done\s+"
        r"(?:accommodating|dealing\s+with|tolerating|putting\s+up\s+with)\b",
        "hostile",
        R,
        "Confrontational wording.",
        _CALM,
    ),
)

# Acronyms that are not shouting.
ACRONYMS = frozenset(
    [
        "CDC",
        "FDA",
        "ADA",
        "AMA",
        "AAP",
        "ACOG",
        "OSHA",
        "HIPAA",
        "HHS",
        "CMS",
        "PPO",
        "HMO",
        "EPO",
        "MRN",
        "MRI",
        "CT",
        "PET",
        "EKG",
        "ECG",
        "IUD",
        "IV",
        "ER",
        "ICU",
        "OB",
        "GYN",
        "OBGYN",
        "ENT",
        "PT",
        "OT",
        "DDS",
        "DMD",
        "MD",
        "DO",
        "NP",
        "PA",
        "RN",
        "LPN",
        "CNA",
        "BSN",
        "CPR",
        "AED",
        "COVID",
        "STD",
        "STI",
        "HPV",
        "HIV",
        "UTI",
        "ADHD",
        "ADD",
        "OCD",
        "PTSD",
        "TMJ",
        "TMD",
        "IVF",
        "IUI",
        "PCOS",
        "GERD",
        "COPD",
        "BMI",
        "LASIK",
        "USA",
        "US",
        "TX",
        "CA",
        "NY",
        "FAQ",
        "PDF",
        "SMS",
        "URL",
        "WOW",
        "OMG",
        "LOL",
        "OK",
        "AM",
        "PM",
        "EST",
        "CST",
        "PST",
        "NHS",
        "GP",
    ]
)

_WORD_CAPS = re.compile(r"\b[A-Z]{3,}\b")
_BANG = re.compile(r"!{3,}|\?!|!\?")
_POSITIVE = re.compile(
    r"\b(?:thank|thanks|love|loved|appreciate|grateful|glad|happy|wonderful|amazing|great|kind|"
    r"beaming|thrilled|delighted|awesome|fantastic|congrat\w*|welcome|smile|made\s+our)\b",
    re.IGNORECASE,
)


def shouting_spans(text: str, sentences: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """Exclamation-heavy anger and ALL-CAPS shouting, per sentence.

    A sentence counts when it has "?!"/"!?"/"!!!" or two or more ALL-CAPS words, unless it is
    plainly positive ("Thank you!!!", "WOW, thank you!").
    """
    out: list[tuple[int, int, str]] = []
    for s, e in sentences:
        sent = text[s:e]
        caps = [m for m in _WORD_CAPS.finditer(sent) if m.group(0) not in ACRONYMS]
        bang = _BANG.search(sent)
        if not caps and not bang:
            continue
        positive = bool(_POSITIVE.search(sent))
        if bang and not positive:
            out.append((s + bang.start(), s + bang.end(), "exclamation"))
        if len(caps) >= 2 and not positive:
            out.append((s + caps[0].start(), s + caps[-1].end(), "shouting"))
    # the whole reply: many exclamation marks together with negative words
    if text.count("!") >= 4 and not out:
        neg = re.search(
            r"\b(?:not|never|no|wrong|false|lie|lies|unacceptable|rude|ridiculous)\b", text, re.I
        )
        if neg:
            i = text.index("!")
            out.append((i, i + 1, "exclamation"))
    return out


# --- corrections -------------------------------------------------------------------------
# In a public statement, or a reply that corrects a false claim by quoting a fact of the fact
# sheet, saying plainly that a claim is false is the point, not defensiveness. Only the plain
# forms are let through: nothing loaded ("lies", "fabricated", "completely false"), nothing
# aimed at the reader ("your claim is false"), and every other tone rule still applies.
PLAIN_DENIAL = re.compile(
    r"\b(?:false|untrue|not\s+true|inaccurate|incorrect|misleading|wrong|misinformation)\b",
    re.IGNORECASE,
)
LOADED_DENIAL = re.compile(
    r"\b(?:lie|lies|lying|liars?|fake|fabricat\w*|made\s+up|fiction\w*|fantasy|defamatory|"
    r"dishonest|bogus|malicious|slander\w*|libel\w*|exaggerat\w*|twist\w*|ridiculous|absurd|"
    r"nonsense|real\s+story|truth\s+is|version|never\s+happened|simply|completely|totally|"
    r"absolutely|utterly|outright|blatant\w*|you|your|you're|you’re)\b",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[a-z0-9]+")


def _words(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower()))


def is_correction(text: str, purpose: str, cited_facts: tuple[str, ...]) -> bool:
    """A statement, a reply marked as a correction, or a reply that quotes a confirmed fact
    (its statement, word for word, at least four words long)."""
    if purpose in ("statement", "correction"):
        return True
    words = f" {_words(text)} "
    for fact in cited_facts:
        quoted = _words(fact)
        if len(quoted.split()) >= 4 and f" {quoted} " in words:
            return True
    return False


def is_plain_denial(sentence: str, matched: str) -> bool:
    return bool(PLAIN_DENIAL.search(matched)) and not LOADED_DENIAL.search(sentence)


# --- calm apologies ----------------------------------------------------------------------
# The playbook's own reply: an apology that owns a shortfall of the practice's service ("We're
# sorry our front desk fell short of what you should expect", "We apologise that we let you
# down", "Please accept our apologies: our billing team did not meet your expectations"). The
# whole sentence is the apology — the practice (we, our team, our front desk…) is the one
# that fell short, of what the reader may expect, and nothing else is said: no "but", no
# reader's behaviour, no visit or treatment (the rules judge those words, whatever the
# sentence). The learned backstop's tone head, fitted on few of them, may read one as
# defensive; it does not read them (`engine._apply_backstop`).
_SORRY = (
    r"(?:(?:we|i)(?:['’]re|['’]m|\s+are|\s+am)\s+(?:so\s+|very\s+|truly\s+|really\s+|deeply\s+|"
    r"sincerely\s+)?sorry|(?:we|i)\s+(?:(?:sincerely|truly|do|deeply)\s+)?(?:apologi[sz]e|regret)|"
    r"(?:please\s+accept\s+)?(?:our|my)\s+(?:sincere\s+|sincerest\s+|deepest\s+|heartfelt\s+)?"
    r"apologies|(?:so\s+|very\s+|truly\s+)?sorry)"
)
_OURS = (
    r"(?:we|our\s+(?:[\w-]+\s+){0,2}?(?:team|staff|front\s+(?:desk|office)|reception(?:ists?)?|"
    r"office|practice|service|billing|scheduling|phone\s+(?:line|system)|check-in|process|"
    r"communication|website|portal|call\s+cent(?:er|re)|customer\s+service|desk|department)s?)"
)
_SHORT = (
    r"(?:fell|fall|(?:have|has)\s+fallen)\s+short|let\s+you\s+down|missed\s+the\s+mark|"
    r"(?:did\s+not|didn['’]t)\s+(?:meet|live\s+up\s+to|match)|(?:was|were)\s+not\s+"
    r"(?:up\s+to|as\s+[\w-]+\s+as\s+(?:it|they|we)\s+should\s+(?:have\s+been|be))|"
    r"(?:wasn['’]t|weren['’]t)\s+(?:up\s+to|as\s+[\w-]+\s+as\s+(?:it|they|we)\s+should\s+"
    r"(?:have\s+been|be))"
)
_EXPECTED = (
    r"(?:(?:of\s+)?(?:what\s+you\s+(?:should|could|can|would|have\s+(?:every\s+|a\s+)?right\s+to)"
    r"\s+(?:expect|have\s+expected)|your\s+expectations|the\s+(?:standard|service|experience|"
    r"welcome|courtesy|level\s+of\s+service)\s+(?:you\s+(?:should\s+expect|deserve|expected|"
    r"expect)|we\s+(?:aim|strive)\s+(?:for|to\s+(?:give|provide|offer)))|(?:our\s+(?:own\s+)?|"
    r"the\s+)standards?)(?:\s+(?:from|of)\s+us)?|the\s+standard|expectations)"
)
CALM_APOLOGY = re.compile(
    rf"^\s*{_SORRY}\s*(?:[:,—–-]\s*|that\s+|about\s+how\s+|how\s+)?{_OURS}\s+(?:{_SHORT})"
    rf"(?:\s+{_EXPECTED})?(?:\s+(?:today|this\s+time|on\s+this\s+occasion|here))?\s*[.!]?\s*$",
    re.IGNORECASE,
)


def calm_apologies(text: str, sentences: list[tuple[int, int]]) -> set[int]:
    """The indexes of the sentences of ``text`` that are a calm apology for a shortfall of the
    practice's service, and nothing else (``CALM_APOLOGY``)."""
    return {i for i, (s0, s1) in enumerate(sentences) if CALM_APOLOGY.match(text[s0:s1])}
