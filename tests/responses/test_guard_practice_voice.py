"""The guard on what a practice says about itself (issue 19, guard precision): its contact people
and numbers, its address and hours, general advice and refusals to confirm are not patient
details; the same words aimed at a patient still are. Rules only (the learned backstop is off),
no clinic context unless a test gives one."""

from __future__ import annotations

import os

import pytest

from responses.guard import BLOCK, NEEDS_REVIEW, OK, GuardContext, check_reply

NO_CONTEXT = GuardContext()


@pytest.fixture(autouse=True)
def _rules_only():
    os.environ["CAREWATCH_GUARD_BACKSTOP"] = "0"
    yield
    os.environ.pop("CAREWATCH_GUARD_BACKSTOP")


def findings(text, context=NO_CONTEXT):
    return [(f.kind, f.subtype, f.severity) for f in check_reply(text, context=context).findings]


@pytest.mark.parametrize(
    "text",
    [
        # a named contact person with a role the reply states
        "Our patient experience manager, Rosa Jimenez, would like to connect with you.",
        "Thank you for your review. Our team lead, Nicole, is available at (541) 555-0182.",
        "Please email our director of patient experience, Helen Marsh, at "
        "hmarsh@oakviewmedical.com.",
        # the practice's number said to be the practice's
        "Our patient relations line is (312) 555-0140, and we'd welcome your call.",
        # (with a clinician's title and no staff list it needs review: test_guard_clinician_titles)
        "Our clinical director, Amara Osei, invites you to call (646) 555-0109.",
        # the practice's own new address, opening hours, refusal to confirm
        "We've moved! Our new address is 2400 Riverside Drive, Suite 110.",
        "Our office is relocating to 215 Main Street beginning September 1.",
        "Telehealth visits are available Monday through Thursday evenings.",
        "We can neither confirm nor deny whether someone is a patient of ours.",
        "Since 2019 we have been recognized as a Patient-Centered Medical Home by the NCQA.",
        # names of vaccines and insurers are not people
        "Please note that we accept Medicare Advantage plans from Humana and UnitedHealthcare.",
        "Shingrix and Tdap vaccines are available at our pharmacy counter.",
    ],
)
def test_the_practice_speaking_for_itself_passes(text):
    assert check_reply(text, context=NO_CONTEXT).verdict == OK, findings(text)


def test_general_advice_to_see_a_provider_is_not_a_confirmation():
    text = "The HPV vaccine is recommended at ages 11 to 12. Talk to your provider about it."
    assert not [f for f in findings(text) if f[0] == "patient_confirmation"]
    # the reader's own doctor doing something is still about the reader's care
    assert ("patient_confirmation", "care_reference", BLOCK) in findings(
        "Your doctor noted the infection had cleared."
    )


def test_a_number_offered_without_saying_whose_needs_review_never_blocks():
    for text in (
        "Please call (207) 555-0190 so we can discuss this outside of a public forum.",
        "Please email office@summitsmiles.com so we can set up a time to talk.",
    ):
        assert check_reply(text, context=NO_CONTEXT).verdict == NEEDS_REVIEW, text
        assert [f[1] for f in findings(text)] in (["phone_contact"], ["email_contact"])
    # numbers the practice used to reach someone, or someone else's, still block
    assert check_reply("We called 737-201-5566 twice.").verdict == BLOCK
    assert check_reply("We invite you to call Maria's mother at 737-201-5566.").verdict == BLOCK


def test_an_address_and_a_weekday_aimed_at_the_patient_still_count():
    assert check_reply("We mailed the bill to 22 Elm Street last week.").verdict == BLOCK
    assert check_reply("We saw you Monday for your cleaning.").verdict == BLOCK
    # with the clinic's address configured, another "new address" is for a person to check
    ctx = GuardContext(clinic_address="4100 Riverbend Blvd, Austin, TX 78731")
    assert ("identifier", "address", NEEDS_REVIEW) in findings(
        "Our office is relocating to 215 Main Street beginning September 1.", ctx
    )


def test_denying_that_someone_is_a_patient_still_blocks():
    assert check_reply("We have no record of you as a patient.").verdict == BLOCK
    assert check_reply("Thank you for being a patient of ours for so long.").verdict == BLOCK


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("We're sorry about the wait on Wednesday, March 4th.", "identifier"),
        ("We're sorry about the parking during your 7:45 a.m. session on Wednesday.", "identifier"),
        ("Thanks for the update. Case file 17-0342 is now closed.", "identifier"),
        ("Thanks for the five stars! Your daughter was such a brave little patient.",
         "patient_confirmation"),
        ("It's great to hear from a longtime family of ours.", "patient_confirmation"),
        ("We have no record of anyone by that name visiting our clinic.", "patient_confirmation"),
    ],
)  # fmt: skip
def test_patient_details_said_in_passing_are_caught(text, kind):
    assert check_reply(text, context=NO_CONTEXT).verdict != OK
    assert kind in {f[0] for f in findings(text)}


@pytest.mark.parametrize(
    "text",
    [
        "Wait times are usually shortest on Tuesday mornings.",
        "Our office will be closed Thursday, November 26 for Thanksgiving.",
        "Our case file review process takes about a week.",
    ],
)
def test_general_dates_and_words_stay_general(text):
    assert check_reply(text, context=NO_CONTEXT).verdict == OK, findings(text)
