"""The clinic-safety facts every clinic is asked to fill in at onboarding. Each starts as a
draft "to be confirmed": a suggested wording the clinic must check, correct and confirm before
any reply may cite it. They answer the claims a clinic is most often hit with in a crisis
(reused needles, expired vaccines, unlicensed staff, hidden prices, wrong hours).

Written into every clinic schema (and the clinic template, so every new clinic has them) by
`facts/migrations/0002_fact_versions_and_defaults.py`; `python manage.py facts_defaults` adds
any that are missing to existing clinics. In US English: the clinics are in the US and Canada
(`facts/migrations/0004_defaults_us_english.py` rewords the template's untouched drafts; a
clinic's own facts are never changed). The slugs stay as they were: replies cite them
(`{fact:<slug>}`)."""

from __future__ import annotations

DEFAULT_FACTS: tuple[dict, ...] = (
    {
        "slug": "needles-single-use",
        "title": "Single-use needles",
        "statement": "Every needle and syringe we use is single-use, sealed until use and "
        "discarded in a sharps container immediately afterward.",
        "prompt": "Confirm that needles and syringes are single-use and how they are disposed of.",
        "topics": ["cleanliness", "patient_safety"],
    },
    {
        "slug": "instrument-sterilisation",
        "title": "Sterilization of instruments",
        "statement": "Reusable instruments are cleaned and sterilized in an autoclave after "
        "every patient, and each cycle is tested and logged.",
        "prompt": "Describe how reusable instruments are sterilized and how cycles are checked.",
        "topics": ["cleanliness", "patient_safety"],
    },
    {
        "slug": "vaccine-storage-expiry",
        "title": "Vaccine storage and expiration checks",
        "statement": "Vaccines are stored in monitored medical refrigerators, and every dose's "
        "expiration date is checked before it is given.",
        "prompt": "Say how vaccines are stored and how expiration dates are checked.",
        "topics": ["vaccines_misinformation", "vaccination", "patient_safety"],
    },
    {
        "slug": "licences",
        "title": "Licenses",
        "statement": "All our clinicians hold current licenses with their state or provincial "
        "board, which anyone can verify online.",
        "prompt": "Name the licensing boards and where the public can check a license.",
        "topics": ["staff", "licensing"],
    },
    {
        "slug": "prices-insurance",
        "title": "Prices and insurance",
        "statement": "Our prices are listed before treatment, and we accept most major "
        "insurance plans.",
        "prompt": "State where prices are published and which insurance plans are accepted.",
        "topics": ["billing", "cost"],
    },
    {
        "slug": "opening-hours",
        "title": "Office hours",
        "statement": "We are open Monday through Friday, 8 a.m. to 6 p.m.",
        "prompt": "Give the clinic's office hours.",
        "topics": ["wait_time", "access"],
    },
)

# the wording a default fact was first written in, before facts/migrations/0004 (clinics created
# earlier kept it): a draft that still reads as one of these is not filled in yet
_EARLIER_STATEMENTS: dict[str, tuple[str, ...]] = {
    "needles-single-use": (
        "Every needle and syringe we use is single-use, sealed until use and discarded in a "
        "sharps container straight after.",
    ),
    "instrument-sterilisation": (
        "Reusable instruments are cleaned and sterilised in an autoclave after every patient, "
        "and each cycle is tested and logged.",
    ),
    "vaccine-storage-expiry": (
        "Vaccines are stored in monitored medical refrigerators, and every dose's expiry date "
        "is checked before it is given.",
    ),
    "licences": (
        "All our clinicians hold current licences with their state board, which anyone can "
        "verify online.",
    ),
    "opening-hours": ("We are open Monday to Friday, 8 am to 6 pm.",),
}

TEMPLATE_STATEMENTS: dict[str, frozenset[str]] = {
    default["slug"]: frozenset(
        (default["statement"], *_EARLIER_STATEMENTS.get(default["slug"], ()))
    )
    for default in DEFAULT_FACTS
}
"""slug -> the suggested wordings of that default fact. A draft whose statement is still one of
them is an *unfilled default*: a template the agency has not filled in with the clinic's own
words. It is never sent to the clinic nor confirmed as it reads (`facts.services`)."""
