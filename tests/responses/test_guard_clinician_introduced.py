"""A clinician introduced by who they are ("Dr. Patel, our clinical lead, oversees …") is named,
not addressed: in a statement or a reply, with the clinic's staff list empty, the finding says
it names a clinician (add the clinicians to the staff list), never "Addresses the reader by
name", which told legal the wrong reason for the flag. A name that does address the reader
("Dr. Patel, thank you …", "Ms. Vasquez, our records list you …") keeps that finding. Rules
only (the learned backstop is off)."""

from __future__ import annotations

import os

import pytest

from responses.guard import NEEDS_REVIEW, GuardContext, check_reply

NO_LIST = GuardContext(clinic_phones=("+1 212 555 0142",))


@pytest.fixture(autouse=True)
def _rules_only():
    os.environ["CAREWATCH_GUARD_BACKSTOP"] = "0"
    yield
    os.environ.pop("CAREWATCH_GUARD_BACKSTOP")


def _names(text):
    return [
        (f.subtype, f.severity, f.text)
        for f in check_reply(text, context=NO_LIST).findings
        if f.kind == "identifier"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "We have seen posts claiming that we reuse needles. Every needle is single-use. "
        "Dr. Patel, our clinical lead, oversees infection control every day.",
        "Dr. Patel, who leads our infection control, checks every room each morning.",
        "Nurse Kim, the head of our infection control team, trains every new hire.",
    ],
    ids=["our-lead", "who-leads", "the-head"],
)
def test_a_clinician_introduced_between_commas_is_named_not_addressed(text):
    [(subtype, severity, _)] = _names(text)
    assert (subtype, severity) == ("clinician_no_staff_list", NEEDS_REVIEW)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Dr. Patel, thank you for your kind words about our team.", "Dr. Patel"),
        ("Ms. Vasquez, our records list you as a teacher, so we billed that plan.", "Ms. Vasquez"),
    ],
    ids=["titled-thanks", "not-a-clinician"],
)
def test_a_name_that_addresses_the_reader_keeps_its_finding(text, name):
    assert ("reviewer_name", NEEDS_REVIEW, name) in _names(text)
