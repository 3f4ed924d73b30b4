"""The clinic-safety facts every clinic is asked to fill in at onboarding. Each starts as a
draft "to be confirmed": a suggested wording the clinic must check, correct and confirm before
any reply may cite it. They answer the claims a clinic is most often hit with in a crisis
(reused needles, expired vaccines, unlicensed staff, hidden prices, wrong hours).

Written into every clinic schema (and the clinic template, so every new clinic has them) by
`facts/migrations/0002_fact_versions_and_defaults.py`; `python manage.py facts_defaults` adds
any that are missing to existing clinics."""

from __future__ import annotations

DEFAULT_FACTS: tuple[dict, ...] = (
    {
        "slug": "needles-single-use",
        "title": "Single-use needles",
        "statement": "Every needle and syringe we use is single-use, sealed until use and "
        "discarded in a sharps container straight after.",
        "prompt": "Confirm that needles and syringes are single-use and how they are disposed of.",
        "topics": ["cleanliness", "patient_safety"],
    },
    {
        "slug": "instrument-sterilisation",
        "title": "Sterilisation of instruments",
        "statement": "Reusable instruments are cleaned and sterilised in an autoclave after "
        "every patient, and each cycle is tested and logged.",
        "prompt": "Describe how reusable instruments are sterilised and how cycles are checked.",
        "topics": ["cleanliness", "patient_safety"],
    },
    {
        "slug": "vaccine-storage-expiry",
        "title": "Vaccine storage and expiry checks",
        "statement": "Vaccines are stored in monitored medical refrigerators, and every dose's "
        "expiry date is checked before it is given.",
        "prompt": "Say how vaccines are stored and how expiry dates are checked.",
        "topics": ["vaccines_misinformation", "vaccination", "patient_safety"],
    },
    {
        "slug": "licences",
        "title": "Licences",
        "statement": "All our clinicians hold current licences with their state board, which "
        "anyone can verify online.",
        "prompt": "Name the licensing boards and where the public can check a licence.",
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
        "title": "Opening hours",
        "statement": "We are open Monday to Friday, 8 am to 6 pm.",
        "prompt": "Give the clinic's opening hours.",
        "topics": ["wait_time", "access"],
    },
)
