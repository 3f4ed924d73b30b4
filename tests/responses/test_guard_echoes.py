"""What a reply repeats of the reviewer is as telling as what it names. The reviewer's initials
("R.B." for Reese Bramwell) are their name: the rule of a greeting by first name. A day or time
the review gives for the visit ("on Tuesday at 3pm"), repeated in the reply ("Sorry to hear
about Tuesday afternoon"), or a relative day for it ("earlier this week") when the review names
a day, is a date tied to the reviewer's care, unless it is the practice's schedule or a day
offered for a call to come; "as before" / "again" with a visit confirms an earlier one. A reply
saying the reader's treatment failed ("the restoration didn't hold") confirms the clinic
treated them. Rules only (the learned backstop is off)."""

from __future__ import annotations

import os

import pytest

from responses.guard import BLOCK, NEEDS_REVIEW, OK, GuardContext, check_reply

REVIEW = (
    "Dr. Hale fitted my crown on Tuesday at 3pm and it cracked the next day. I am diabetic and "
    "the numbing made me sick."
)
REESE = GuardContext(reviewer_name="Reese Bramwell")
REESE_AT_CLINIC = GuardContext(
    reviewer_name="Reese Bramwell",
    clinic_name="Riverside Dental",
    clinic_phones=("(512) 555-0142",),
    staff_names=("Dr. Hale",),
)
CONTEXTS = pytest.mark.parametrize("context", [REESE, REESE_AT_CLINIC], ids=["name", "clinic"])


@pytest.fixture(autouse=True)
def _rules_only():
    os.environ["CAREWATCH_GUARD_BACKSTOP"] = "0"
    yield
    os.environ.pop("CAREWATCH_GUARD_BACKSTOP")


def _check(text, context, review=REVIEW):
    return check_reply(text, review_text=review, context=context)


def _found(result):
    return {(f.kind, f.subtype, f.severity, f.text) for f in result.findings}


@CONTEXTS
def test_initials_appointment_as_before_and_a_failed_restoration_block(context):
    # given the walk-through's first reply
    text = (
        "R.B., we're sorry the restoration didn't hold. Please call us on Tuesday at 3pm as before."
    )

    # when
    result = _check(text, context)

    # then
    assert result.verdict == BLOCK
    found = _found(result)
    assert ("identifier", "reviewer_name", NEEDS_REVIEW, "R.B.") in found
    assert ("patient_confirmation", "outcome", NEEDS_REVIEW, "the restoration didn't hold") in found
    assert ("patient_confirmation", "return_visit", NEEDS_REVIEW, "as before") in found
    assert {f.text for f in result.findings if f.subtype in ("date", "echoed_date")} == {
        "on Tuesday",
        "3pm",
    }
    assert all(f.severity == BLOCK for f in result.findings if f.subtype in ("date", "echoed_date"))


@CONTEXTS
@pytest.mark.parametrize(
    ("text", "initials"),
    [
        ("Hi R.B., we are sorry. Please call us so we can help.", "R.B."),
        ("Dear R. B., we are sorry. Please call us so we can help.", "R. B."),
        ("RB, we are sorry. Please call us so we can help.", "RB"),
    ],
    ids=["dotted", "spaced", "bare-greeted"],
)
def test_the_reviewers_initials_get_the_first_names_rule(context, text, initials):
    result = _check(text, context)

    assert result.verdict == NEEDS_REVIEW
    assert _found(result) == {("identifier", "reviewer_name", NEEDS_REVIEW, initials)}


@CONTEXTS
def test_the_first_name_rule_is_unchanged(context):
    result = _check("Hi Reese, we are sorry. Please call us so we can help.", context)

    assert result.verdict == NEEDS_REVIEW
    assert _found(result) == {("identifier", "reviewer_name", NEEDS_REVIEW, "Reese")}


def test_initials_pass_where_greeting_by_name_is_allowed():
    allowed = GuardContext(reviewer_name="Reese Bramwell", allow_reviewer_name=True)

    assert _check("Hi R.B., we are sorry. Please call us so we can help.", allowed).verdict == OK
    assert _check("Hi Reese, we are sorry. Please call us so we can help.", allowed).verdict == OK


@pytest.mark.parametrize(
    "text",
    [
        "Our RB team is here to help. Please call us.",
        "Hi R.B., we are sorry. Please call us so we can help.",
    ],
    ids=["two-capitals-not-greeting", "no-reviewer-name"],
)
def test_capitals_that_are_not_the_reviewers_initials_pass(text):
    context = REESE if "RB team" in text else GuardContext()

    assert _check(text, context).verdict == OK


@CONTEXTS
@pytest.mark.parametrize(
    ("text", "echoed"),
    [
        (
            "Sorry to hear about Tuesday afternoon. Please call us so we can help.",
            "Tuesday afternoon",
        ),
        (
            "Hello, we're sorry things went wrong after Tuesday afternoon. Please call us.",
            "Tuesday afternoon",
        ),
        ("We are so sorry about what happened at 3pm. Please call us.", "3pm"),
        ("Please call us about Tuesday so we can help.", "Tuesday"),
    ],
    ids=["sorry-about-the-day", "went-wrong-after-the-day", "the-time", "call-about-the-day"],
)
def test_a_day_or_time_echoing_the_reviews_visit_blocks(context, text, echoed):
    result = _check(text, context)

    assert result.verdict == BLOCK
    assert ("identifier", "echoed_date", BLOCK, echoed) in _found(result)


@CONTEXTS
def test_dental_work_from_earlier_this_week_failed(context):
    text = (
        "Thank you for sharing. Sorry the dental work from earlier this week failed. Please call "
        "us to fix it free of charge."
    )

    result = _check(text, context)

    assert result.verdict == BLOCK
    found = _found(result)
    assert ("identifier", "echoed_date", BLOCK, "earlier this week") in found
    assert (
        "patient_confirmation",
        "outcome",
        NEEDS_REVIEW,
        "the dental work from earlier this week failed",
    ) in found


def test_a_relative_day_needs_the_review_to_name_a_day():
    text = "Sorry the dental work from earlier this week failed. Please call us."
    no_day = "The crown cracked and nobody calls back."

    result = _check(text, REESE, review=no_day)

    assert result.verdict == NEEDS_REVIEW
    assert {f.subtype for f in result.findings} == {"outcome"}


@CONTEXTS
@pytest.mark.parametrize(
    "text",
    [
        "We're open Tuesday at 3pm.",
        "Please call us on Tuesday.",
        "We're sorry to hear this. Please call us on Tuesday so we can help.",
        "We're open Tuesday at 3pm. Please call us on Tuesday.",
        "We're sorry things went wrong. Please call us so we can help.",
        "We are sorry to hear about your experience. Please contact our office so we can help.",
        "We would like to understand what went wrong. Please call us.",
    ],
    ids=[
        "schedule",
        "call-on-the-day",
        "apology-then-call-on-the-day",
        "schedule-and-call",
        "generic-went-wrong",
        "generic-apology",
        "understand-what-went-wrong",
    ],
)
def test_the_practices_schedule_a_day_offered_and_a_generic_apology_pass(context, text):
    assert _check(text, context).verdict == OK


@pytest.mark.parametrize(
    "text",
    [
        "Sorry to hear about Tuesday afternoon. Please call us so we can help.",
        "We're open Tuesday at 3pm.",
    ],
)
def test_without_the_review_a_day_alone_is_not_an_echo(text):
    result = _check(text, REESE, review=None)

    assert [f for f in result.findings if f.subtype == "echoed_date"] == []


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("Please come in again on Tuesday so we can take a look.", "come in again"),
        ("We can see you at 3pm as last time. Please call us.", "as last time"),
    ],
    ids=["come-in-again", "as-last-time"],
)
def test_a_visit_said_to_repeat_an_earlier_one_confirms_it(text, span):
    result = _check(text, REESE, review=None)

    assert ("patient_confirmation", "return_visit", NEEDS_REVIEW, span) in _found(result)
    assert result.verdict != OK


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("We're sorry the filling fell out so soon.", "the filling fell out"),
        ("We regret that the implant didn't take.", "that the implant didn't take"),
        ("Sorry the medication didn't work for you.", "the medication didn't work"),
    ],
)
def test_a_treatment_said_to_have_failed_confirms_care(text, span):
    result = check_reply(text, context=GuardContext())

    assert ("patient_confirmation", "outcome", NEEDS_REVIEW, span) in _found(result)


@pytest.mark.parametrize(
    "text",
    [
        "If a filling ever fails, every repair is free of charge.",
        "Thanks for the heads-up about the broken door button; it has been repaired.",
        "We're sorry our website booking didn't work. It is fixed now.",
    ],
    ids=["general-policy", "building", "website"],
)
def test_a_general_or_non_care_failure_is_not_a_treatment_outcome(text):
    result = check_reply(text, context=GuardContext())

    assert [f for f in result.findings if f.subtype == "outcome"] == []


WAITED_TUESDAY = "I waited an hour on Tuesday and nobody told me why. Dr. Hale was rushed at 3pm."


@CONTEXTS
@pytest.mark.parametrize(
    "text",
    [
        "Thank you for your feedback. On Tuesday we opened extra appointment slots so waits are "
        "shorter.",
        "Thank you for your feedback. We opened extra appointment slots on Tuesday so waits are "
        "shorter.",
        "We're sorry for the wait; on Tuesday we hired another receptionist so calls are answered "
        "faster.",
        "Thanks for the note. On Tuesday our front desk team started a new check-in system, so "
        "you can check in from the parking lot.",
        "Thank you for your feedback. At 3pm we opened a second front desk for the afternoon rush.",
    ],
    ids=["on-the-day-we-opened", "we-opened-on-the-day", "after-a-semicolon", "our-team", "time"],
)
def test_a_day_of_the_practices_own_doing_is_no_echo_of_the_visit(context, text):
    # given: the review names Tuesday and 3pm as its visit; the reply dates the practice's change
    result = _check(text, context, review=WAITED_TUESDAY)

    # then: nothing about the visit is confirmed
    assert result.verdict == OK, _found(result)


@CONTEXTS
@pytest.mark.parametrize(
    ("text", "echoed"),
    [
        ("We're sorry about your visit on Tuesday. Please call us.", "on Tuesday"),
        ("When you came in on Tuesday, we opened extra slots for you.", "on Tuesday"),
        ("On Tuesday you saw Dr. Hale, and we opened a new room since.", "On Tuesday"),
        ("We're sorry that on Tuesday we kept you waiting.", "Tuesday"),
        ("On Tuesday we were running behind, and we apologize.", "Tuesday"),
        ("On Tuesday we fixed it. Please call us.", "Tuesday"),
        ("On Tuesday we replaced the crown free of charge.", "Tuesday"),
        ("On Tuesday we opened extra slots so you could be seen sooner.", "Tuesday"),
        ("Sorry for Tuesday. We added staff since.", "Tuesday"),
    ],
    ids=[
        "your-visit",
        "when-you-came-in",
        "you-saw-the-doctor",
        "kept-you-waiting",
        "a-state-of-the-day",
        "fixed-it",
        "care-named",
        "you-could-be-seen",
        "apology-for-the-day",
    ],
)
def test_the_day_of_the_readers_visit_still_blocks(context, text, echoed):
    result = _check(text, context, review=WAITED_TUESDAY)

    assert result.verdict == BLOCK
    assert {f.text for f in result.findings if f.subtype in ("date", "echoed_date")} == {echoed}
    assert all(f.severity == BLOCK for f in result.findings if f.subtype in ("date", "echoed_date"))


@pytest.mark.parametrize(
    ("text", "initials"),
    [
        ("Hi r.b., we are sorry. Please call us so we can help.", "r.b."),
        ("Thank you, r. b., for the feedback.", "r. b."),
        ("We are sorry, r.b. Please call us.", "r.b."),
    ],
    ids=["greeted", "spaced", "closing"],
)
def test_the_reviewers_initials_in_lower_case_get_the_same_rule(text, initials):
    result = _check(text, REESE)

    assert result.verdict == NEEDS_REVIEW
    assert ("identifier", "reviewer_name", NEEDS_REVIEW, initials) in _found(result)


@pytest.mark.parametrize(
    ("reviewer", "text"),
    [
        ("Anna Moore", "We open at 8 a.m. on weekdays."),
        ("Ellen Green", "Bring any papers, e.g. a referral letter."),
        ("Ian Evans", "We follow the guidance, i.e. the CDC rules."),
        ("Alex King", "Our office manager, a.k.a. the one who answers the phone, will help."),
        ("Oscar Kim", "ok, we will look into it. Please call us."),
        ("Reese Bramwell", "Our rb team is here to help. Please call us."),
    ],
    ids=["a.m.", "e.g.", "i.e.", "a.k.a.", "bare-ok", "bare-lower-case"],
)
def test_lower_case_abbreviations_and_words_are_not_initials(reviewer, text):
    result = _check(text, GuardContext(reviewer_name=reviewer))

    assert [f for f in result.findings if f.subtype == "reviewer_name"] == []


MARIA = GuardContext(reviewer_name="Maria Ana Smith")


@pytest.mark.parametrize(
    ("text", "initials"),
    [
        ("Hi M.A.S., we are sorry. Please call us so we can help.", "M.A.S."),
        ("Dear M. A. S., we are sorry. Please call us.", "M. A. S."),
        ("Thank you, m.a.s., for the feedback.", "m.a.s."),
        ("MAS, we are sorry. Please call us so we can help.", "MAS"),
        ("Hi M.S., we are sorry. Please call us so we can help.", "M.S."),
        ("Thank you, m.s., for the feedback.", "m.s."),
    ],
    ids=["every-word", "every-word-spaced", "every-word-lower", "every-word-bare-greeted",
         "first-last", "first-last-lower"],
)  # fmt: skip
def test_a_three_word_name_has_both_initials_the_privacy_request_removes(text, initials):
    # the one rule (core.text.initials): first and last word, then every word
    result = _check(text, MARIA)

    assert result.verdict == NEEDS_REVIEW
    assert ("identifier", "reviewer_name", NEEDS_REVIEW, initials) in _found(result)


@pytest.mark.parametrize(
    ("reviewer", "text"),
    [
        ("Anna Mae Moore", "We open at 8 a.m. on weekdays."),
        ("Ellen Grace Green", "Bring any papers, e.g. a referral letter."),
        ("Anna Kate Adams", "Our office manager, a.k.a. the one who answers the phone, will help."),
        ("Maria Ana Smith", "Our MAS team is here to help. Please call us."),
        ("Reese Bramwell", "Hi R.A.B., we are sorry. Please call us so we can help."),
    ],
    ids=["a.m.", "e.g.", "a.k.a.", "bare-not-greeting", "two-words-have-no-middle"],
)
def test_abbreviations_and_other_letters_are_not_a_long_names_initials(reviewer, text):
    result = _check(text, GuardContext(reviewer_name=reviewer))

    assert [f for f in result.findings if f.subtype == "reviewer_name"] == []


@pytest.mark.parametrize(
    ("reviewer", "text", "initials"),
    [
        ("reese_bramwell", "Hi R.B., we are sorry. Please call us.", "R.B."),
        ("D.W.", "Thank you, D.W., for the feedback.", "D.W."),
        ("@reese bramwell", "Hi R.B., we are sorry. Please call us.", "R.B."),
        ("Élodie Dupont", "Hi É.D., we are sorry. Please call us.", "É.D."),
        ("Dr. Reese Bramwell", "Hi R.B., we are sorry. Please call us.", "R.B."),
    ],
    ids=["handle", "initials-as-name", "at-handle", "accent", "title"],
)
def test_handles_initials_and_accents_name_the_reviewer_too(reviewer, text, initials):
    result = _check(text, GuardContext(reviewer_name=reviewer))

    assert ("identifier", "reviewer_name", NEEDS_REVIEW, initials) in _found(result)
