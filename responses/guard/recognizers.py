"""Custom Presidio recognizers for patient identifiers in clinic replies.

All of them are regex recognizers that return one capture group as the span. Case is
controlled inside each pattern with ``(?i:...)``; :mod:`.engine` calls the analyzer with
``regex_flags`` without IGNORECASE so that names and street names must be capitalised.
"""

from __future__ import annotations

import re
from functools import lru_cache

from presidio_analyzer import EntityRecognizer, LocalRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import EmailRecognizer

# entity types produced here
RECORD_NUMBER = "CW_RECORD_NUMBER"
PAYMENT_DIGITS = "CW_PAYMENT_DIGITS"
STREET_ADDRESS = "CW_ADDRESS"
US_PHONE = "CW_PHONE"
TITLED_PERSON = "CW_TITLED_PERSON"
GREETING_NAME = "CW_GREETING_NAME"
CARE_DATE = "CW_DATE"
BIRTH_DATE = "CW_DOB"

_MONTH = (
    r"(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?"
_NUMERIC_DATE = r"\d{1,2}[/.-]\d{1,2}(?:[/.-](?:\d{4}|\d{2}))?"
_ORD = r"\d{1,2}(?i:st|nd|rd|th)?"
_MONTH_DATE = (
    rf"(?:{_MONTH}\s+{_ORD}(?:,?\s+\d{{4}})?|{_ORD}\s+(?i:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?)"
)


class RegexRecognizer(LocalRecognizer):
    """Regex recognizer that reports capture group ``group`` of each match."""

    def __init__(
        self,
        entity: str,
        patterns: list[tuple[str, int, float]],
        name: str | None = None,
    ) -> None:
        self._patterns = [(re.compile(p, re.MULTILINE), g, s) for p, g, s in patterns]
        super().__init__(supported_entities=[entity], supported_language="en", name=name or entity)

    def load(self) -> None:  # nothing to load
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: ANN001 - presidio's signature
        entity = self.supported_entities[0]
        if entities and entity not in entities:
            return []
        out = []
        for rx, group, score in self._patterns:
            for m in rx.finditer(text):
                start, end = m.span(group)
                if start < 0 or end <= start:
                    continue
                out.append(
                    RecognizerResult(
                        entity_type=entity,
                        start=start,
                        end=end,
                        score=score,
                        recognition_metadata={
                            RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                        },
                    )
                )
        return EntityRecognizer.remove_duplicates(out)


@lru_cache(maxsize=1)
def _offline_tld_extractor():
    import tldextract

    # suffix_list_urls=() -> never fetch the public-suffix list; use the bundled snapshot.
    # cache_dir=None -> never write a cache file either.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recognizer, validating domains with an offline tldextract."""

    def validate_result(self, pattern_text: str) -> bool:
        return _offline_tld_extractor()(pattern_text).fqdn != ""


def record_number_recognizer() -> RegexRecognizer:
    label = (
        r"(?i:mrn|medical\s+record(?:\s+(?:number|no\.?|#))?|(?:health\s+)?record\s+(?:number|no\.?|#)|"
        r"chart\s+(?:number|no\.?|#|id)|account(?:\s+(?:number|no\.?|#))?|acct\.?(?:\s+(?:no\.?|#))?|"
        r"claim(?:\s+(?:number|no\.?|#|id))?|patient\s+(?:id|number|no\.?|#|account)|"
        r"member\s+(?:id|number|no\.?|#)|subscriber\s+(?:id|number)|policy\s+(?:number|no\.?|#)|"
        r"group\s+(?:number|no\.?|#)|invoice(?:\s+(?:number|no\.?|#))?|statement\s+(?:number|#)|"
        r"reference\s+(?:number|no\.?|#|code)|ref\.?\s+(?:no\.?|#)|"
        r"case(?:\s+file)?\s+(?:number|no\.?|#|id)|case\s+file|file\s+(?:number|no\.?|#)|"
        r"confirmation\s+(?:number|code|#)|ticket\s+(?:number|#)|insurance\s+id|id\s+(?:number|#)|"
        r"prescription\s+(?:number|#)|rx\s*#?|order\s+(?:number|#)|"
        r"(?:booking|reservation|appointment)\s+(?:reference|ref\.?|number|no\.?|#|code|id))"
    )
    value = r"(#?(?=[A-Za-z0-9-]*\d{3})[A-Za-z0-9][A-Za-z0-9-]{2,}[A-Za-z0-9])"
    return RegexRecognizer(
        RECORD_NUMBER,
        [
            (rf"\b{label}(?:\s+(?i:is|was|of|ending\s+in))?\s*[:#,]?\s*{value}", 0, 0.85),
            # a few words between the label and a long value: "the member ID we have for you,
            # W293847561", "account number on file is 00481-22" (5+ digits, so a year is not one)
            (
                rf"\b{label}(?:\s+[A-Za-z'’]+){{1,5}}?(?:\s+(?i:is|was))?\s*[:,]?\s+"
                r"(#?(?=[A-Za-z0-9-]*\d{5})[A-Za-z0-9][A-Za-z0-9-]{4,}[A-Za-z0-9])\b",
                1,
                0.8,
            ),
            # bare "#12345" style references of five or more digits
            (r"(?<![\w/])(#\d{5,})\b", 1, 0.5),
        ],
    )


def payment_digits_recognizer() -> RegexRecognizer:
    return RegexRecognizer(
        PAYMENT_DIGITS,
        [
            (
                r"\b(?i:(?:credit\s+|debit\s+)?card|visa|mastercard|amex|discover|account|acct|"
                r"ssn|social\s+security(?:\s+number)?)\s+(?i:number\s+)?(?i:ending|that\s+ends|"
                r"ends|with\s+(?:the\s+)?last\s+four(?:\s+digits)?|last\s+four(?:\s+digits)?)"
                r"(?:\s+(?i:in|with|of))?\s+(\d{4})\b",
                0,
                0.9,
            ),
            (r"\b(\d{3}-\d{2}-\d{4})\b", 1, 0.6),
            # the last digits of any ID, licence, policy or card: "Medicaid ID ending in 4471",
            # "driver's license (ending 8832)"
            (
                r"\b(?i:id|i\.d\.|licen[cs]e|policy|member|medicaid|medicare|number|card|account|"
                r"passport|permit)\b[^.\n\d]{0,20}?(?i:ending|ends|that\s+ends)(?:\s+(?i:in|with))?"
                r"\s+(\d{3,4})\b",
                1,
                0.9,
            ),
        ],
    )


def street_address_recognizer() -> RegexRecognizer:
    suffix = (
        r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
        r"Circle|Cir|Parkway|Pkwy|Trail|Trl|Terrace|Ter|Highway|Hwy|Loop|Run|Cove|Cv|Pass|Path|"
        r"Square|Sq|Crossing|Xing|Row|Alley|Hollow|Crescent|Cres|Close|Grove|Gardens|Heights|Mews)"
    )
    unit = r"(?:,?\s*(?:Apt|Apartment|Suite|Ste|Unit|Bldg|Building|#)\.?\s*#?\w+)?"
    city = r"(?:,?\s+(?:[A-Z][a-z]+\s?){1,3},?\s+(?:[A-Z]{2}|Texas|California)(?:\s+\d{5}(?:-\d{4})?)?)?"
    return RegexRecognizer(
        STREET_ADDRESS,
        [
            (
                rf"\b(\d{{1,6}}\s+(?:[NSEW]\.?\s+)?(?:[A-Z][a-zA-Z'-]+\s+){{1,3}}{suffix}\b\.?{unit}{city})",
                1,
                0.85,
            ),
            (rf"\b((?i:p\.?\s?o\.?\s+box)\s+\d+{city})", 1, 0.85),
            (
                rf"\b((?:[A-Z][a-zA-Z'-]+\s+){{1,3}}{suffix})\.?\s+(?i:address|home)\s+(?i:you\s+"
                rf"(?:gave|provided|listed|left|shared)|(?:we\s+have\s+)?on\s+file)",
                1,
                0.8,
            ),
            (
                rf"\b(?i:your)\s+((?:[A-Z][a-zA-Z'-]+\s+){{1,3}}{suffix})\.?\s+(?i:address|home)\b",
                1,
                0.8,
            ),
            (
                rf"\b(?i:you|they|he|she|your\s+\w+)\s+(?i:live|lives|living|reside|resides|stay|stays)"
                rf"\s+(?i:on|at|off)\s+((?:[A-Z][a-zA-Z'-]+\s+){{1,3}}{suffix}\b)",
                1,
                0.8,
            ),
        ],
    )


def us_phone_recognizer() -> RegexRecognizer:
    return RegexRecognizer(
        US_PHONE,
        [
            (
                r"(?<![\w/.-])((?:\+?1[\s.-]?)?(?:\(\d{3}\)\s*|\d{3}[\s.-])\d{3}[\s.-]\d{4})"
                r"(?:\s*(?i:ext\.?|x)\s*\d{1,5})?(?![\w/-])",
                1,
                0.7,
            ),
            # any long number right after a phone word ("ringing 07700 900123", "text +44 ...")
            (
                r"(?i:call(?:ed|ing)?|ring(?:ing|ed)?|phon(?:e|ed|ing)|text(?:ed|ing)?|mobile|cell|"
                r"number|reach\s+(?:you|him|her)\s+(?:at|on)|dial(?:led|ed)?|whatsapp)\D{0,20}?"
                r"(?<![\w/.-])(\+?\d[\d\s().-]{7,16}\d)(?![\w/-])",
                1,
                0.6,
            ),
            # 7-digit local numbers only next to a phone word
            (
                r"(?i:call|phone|text|texted|cell|mobile|number|reach\s+you\s+at|dial)\D{0,20}?"
                r"(?<![\d-])(\d{3}-\d{4})(?![\d-])",
                1,
                0.6,
            ),
        ],
    )


_TITLE = r"(?:Dr|Mr|Mrs|Ms|Mx|Miss|Mister|Doctor|Nurse|Prof)"
_NAME_WORD = r"[A-Z][a-z]+(?:['’-][A-Za-z]+)?"


def titled_person_recognizer() -> RegexRecognizer:
    return RegexRecognizer(
        TITLED_PERSON,
        [
            (rf"\b({_TITLE}\.?\s+{_NAME_WORD}(?:\s+{_NAME_WORD})?)", 1, 0.85),
            # written in lower case: "sorry for the trouble, mr lopez", "Mr. smith", an initial
            # before it as "Mr. J Smith" has one: "mr. j smith", "Ms. j. nguyen" ("ms" alone is
            # also multiple sclerosis, so only "Ms"/"Mx" or with a dot; "miss" is a verb)
            (
                r"\b((?:[Mm]r|[Mm]rs|[Mm]ister|Ms|Mx|ms\.|mx\.)\.?\s+(?:[A-Za-z]\.?\s+)?"
                r"(?!(?:and|or|the|for|with|was|you|your|our|who|has|had|are|were|will|would|"
                r"can|could|not)\b)[a-z][a-z'’-]{2,})\b",
                1,
                0.8,
            ),
            # a clinician's title or its name in lower case: "dr patel", "doctor Okafor",
            # "nurse kim"; engine._name_after_title tells a name from "the doctor will"
            (
                r"\b((?:dr\.?|doctor|nurse)\s+[A-Za-z][a-z'’-]+|"
                r"(?:Dr\.?|Doctor|Nurse)\s+[a-z][a-z'’-]+)",
                1,
                0.8,
            ),
        ],
    )


def greeting_name_recognizer() -> RegexRecognizer:
    greet = (
        r"(?i:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)|greetings|thanks|thank\s+you|"
        r"welcome)"
    )
    return RegexRecognizer(
        GREETING_NAME,
        [
            (
                rf"(?:^|[.!?]\s+|\n)\s*{greet}[ ,]+((?:{_TITLE}\.?\s+)?{_NAME_WORD}(?:\s+{_NAME_WORD})?)"
                r"(?=\s*[,!.:\n]|\s+(?:and|we|thank|thanks)\b)",
                1,
                0.7,
            )
        ],
    )


def care_date_recognizer() -> RegexRecognizer:
    return RegexRecognizer(
        CARE_DATE,
        [
            (rf"(?<![\d/])({_NUMERIC_DATE})(?![\d/])", 1, 0.6),
            (rf"\b({_MONTH_DATE})\b", 1, 0.7),
            (
                rf"\b((?i:(?:last|this\s+past|on|this|next)\s+)?{_WEEKDAY}(?:\s+(?i:morning|afternoon|evening|night))?)\b",
                1,
                0.5,
            ),
            (
                r"\b((?i:yesterday|last\s+(?:week|night|month|weekend)|this\s+(?:morning|afternoon)))\b",
                1,
                0.5,
            ),
            (r"(?<![\d:])(\d{1,2}:\d{2}(?:\s*(?i:am|pm|a\.m\.|p\.m\.))?)(?![\d:])", 1, 0.5),
            (r"\b(\d{1,2}\s*(?i:am|pm|a\.m\.|p\.m\.))", 1, 0.5),
        ],
    )


def birth_date_recognizer() -> RegexRecognizer:
    return RegexRecognizer(
        BIRTH_DATE,
        [
            (
                rf"\b(?i:date\s+of\s+birth|dob|birth\s*date|birthday|born(?:\s+on)?)\b[^.\n]{{0,30}}?"
                rf"({_NUMERIC_DATE}|{_MONTH_DATE})",
                1,
                0.95,
            )
        ],
    )


def custom_recognizers() -> list[LocalRecognizer]:
    return [
        OfflineEmailRecognizer(),
        record_number_recognizer(),
        payment_digits_recognizer(),
        street_address_recognizer(),
        us_phone_recognizer(),
        titled_person_recognizer(),
        greeting_name_recognizer(),
        care_date_recognizer(),
        birth_date_recognizer(),
    ]
