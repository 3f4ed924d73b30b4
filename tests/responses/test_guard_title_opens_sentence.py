"""A clinician's title opening a sentence names whoever follows it, even a surname the
dictionary holds as a common word, when a verb a person is the subject of comes next ("nurse
young will call you", "Nurse young called", "doctor white will be in touch"), as a title used
as a form of address does ("ask for nurse young"). An adjective or a common noun after it, or a
title before a common compound, names nobody ("Our young patients love…", "Nurse young
patients…", "Nurse staffing is tight"). Rules only (the learned backstop is off)."""

from __future__ import annotations

import os

import pytest

from responses.guard import BLOCK, NEEDS_REVIEW, GuardContext, check_reply

NO_LIST = GuardContext(clinic_phones=("(512) 555-0142",))
OTHERS_LISTED = GuardContext(clinic_phones=("(512) 555-0142",), staff_names=("Jenna Torres",))
YOUNG_LISTED = GuardContext(clinic_phones=("(512) 555-0142",), staff_names=("Kim Young",))


@pytest.fixture(autouse=True)
def _rules_only():
    os.environ["CAREWATCH_GUARD_BACKSTOP"] = "0"
    yield
    os.environ.pop("CAREWATCH_GUARD_BACKSTOP")


def _identifiers(text, context):
    return [
        (f.subtype, f.severity, f.text)
        for f in check_reply(text, context=context).findings
        if f.kind == "identifier"
    ]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("nurse young will call you", "nurse young"),
        ("Nurse young will call you.", "Nurse young"),
        ("Thanks for writing. nurse young will call you.", "nurse young"),
        ("nurse young called to check in.", "nurse young"),
        ("doctor white will be in touch.", "doctor white"),
        ("Thank you.\nnurse young can help with that.", "nurse young"),
    ],
    ids=["lower", "title-capitalised", "second-sentence", "past", "doctor", "new-line"],
)
def test_a_title_opening_a_sentence_names_a_lower_case_surname(text, name):
    # no staff list: a clinician to check; a list without them: a name that blocks
    assert _identifiers(text, NO_LIST) == [("clinician_no_staff_list", NEEDS_REVIEW, name)]
    assert _identifiers(text, OTHERS_LISTED) == [("person", BLOCK, name)]
    assert check_reply(text, context=OTHERS_LISTED).verdict == BLOCK


def test_a_listed_clinician_opening_a_sentence_passes():
    assert _identifiers("nurse young will call you.", YOUNG_LISTED) == []


@pytest.mark.parametrize(
    "text",
    [
        "Our young patients love the play area.",
        "Young patients love the play area.",
        "Nurse young patients often visit on Saturdays.",
        "Nurse staffing is tight this winter.",
        "Doctor availability is posted online.",
        "Nurse practitioners will see walk-ins.",
        "Nurse visits are available at home.",
        "Our nurse young and friendly team will help.",
    ],
    ids=[
        "our-young-patients",
        "young-patients",
        "nurse-young-patients",
        "staffing",
        "availability",
        "practitioners",
        "visits",
        "our-nurse",
    ],
)
def test_a_title_opening_a_sentence_before_a_common_word_names_nobody(text):
    for context in (NO_LIST, OTHERS_LISTED):
        assert _identifiers(text, context) == []
