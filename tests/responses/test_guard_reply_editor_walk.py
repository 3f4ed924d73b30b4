"""What a writer met in the reply editor (a walk-through): the reader addressed as a patient
("Dear patient,") passed while "Thanks for being our patient" was blocked; a reader's or a
relative's health said of them ("Your child was not infected") was caught only by the learned
backstop, so a batch (other words around it) and a single reply disagreed; a review's verb
("made") was taken for a health term and was all the editor marked of "the cream … made it
worse"; "Fix this" on a date took out its whole sentence, an unrelated apology with it, and
added an opening line. Sentences about patients in general pass."""

from __future__ import annotations

import json

import pytest

from responses.guard import BLOCK, OK, GuardContext, check_reply, warm_up
from responses.guard.fixes import apply_fixes
from tests.responses.conftest import review_in

CONTEXT = GuardContext(
    clinic_name="Riverbend Family Health",
    clinic_phones=("(512) 555-0142",),
    clinic_emails=("care@riverbendhealth.com",),
    staff_names=("Sarah Mitchell",),
)
CHILD = "Your child was not infected during the visit on December 3."
CHILD_REVIEW = "My daughter got an infection after her shots on December 3. Never again."


@pytest.fixture(scope="module", autouse=True)
def engine():
    warm_up()


def _found(text: str, review: str | None = None) -> set[tuple[str, str, str]]:
    result = check_reply(text, review_text=review, context=CONTEXT)
    return {(f.subtype, f.severity, f.text) for f in result.findings}


# --- 1. the reader addressed as a patient ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "Dear patient, thank you for your feedback. Please call us at (512) 555-0142.",
            "Dear patient",
        ),
        ("Hi patient, thanks for taking the time to write.", "Hi patient"),
        ("dear valued patient, we appreciate your note.", "dear valued patient"),
        ("Hello patient,\nWe read your review and we are sorry.", "Hello patient"),
        ("To our patient: we are sorry for the wait.", "our patient"),
        ("We apologize to our valued patient, and we will do better.", "our valued patient"),
        ("Thank you for writing, dear patient!", "dear patient"),
    ],
    ids=["dear", "hi", "dear-valued", "own-line", "to-our", "apologize-to-our", "at-the-end"],
)
def test_addressing_the_reader_as_a_patient_blocks(text, words):
    result = check_reply(text, context=CONTEXT)
    assert result.verdict == BLOCK
    assert ("addressed_as_patient", BLOCK, words) in _found(text)


def test_as_our_patient_still_blocks():
    assert ("patient_status", BLOCK, "As our patient") in _found(
        "As our patient, you deserve better."
    )


@pytest.mark.parametrize(
    "text",
    [
        "We care about all our patients.",
        "Our patients' privacy matters to us.",
        "Patients can call us at (512) 555-0142.",
        "Dear patients, our office will be closed on Monday for the holiday.",
        "Please be patient with us while we move to the new building.",
        "Thank you for your patience.",
        "We value patient privacy and follow HIPAA.",
        "Hello patient care team, thank you for the update.",
        "Our patient, caring nurses are here to help.",
        "Our staff are friendly, kind, patient.",
    ],
    ids=["all-our", "privacy", "can-call", "dear-patients", "be-patient", "patience",
         "patient-privacy", "care-team", "adjective", "adjective-list"],
)  # fmt: skip
def test_sentences_about_patients_in_general_pass(text):
    assert check_reply(text, context=CONTEXT).verdict == OK


# --- 5. the reader's or a relative's health, the same in a batch as alone ----------------------


@pytest.mark.parametrize(
    "text",
    [
        CHILD,
        "Hello, thank you for raising this. your child was not infected during the visit on "
        "December 3. Please call us at (512) 555-0142.",
    ],
    ids=["alone", "in-a-batch-reply"],
)
@pytest.mark.parametrize("review", [None, CHILD_REVIEW], ids=["no-review", "review"])
def test_a_relatives_health_said_of_them_blocks_wherever_it_stands(text, review):
    result = check_reply(text, review_text=review, context=CONTEXT)
    assert result.verdict == BLOCK
    assert [(f.subtype, f.severity, f.text.lower()) for f in result.findings if
            f.subtype == "health_status"] == [("health_status", BLOCK, "your child was not infected")]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("You were not infected at our clinic.", "You were not infected"),
        ("Your daughter wasn't diagnosed with anything.", "Your daughter wasn't diagnosed"),
        ("We know your son is allergic, and we are sorry.", "your son is allergic"),
    ],
)
def test_the_readers_health_blocks(text, words):
    assert ("health_status", BLOCK, words) in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "If you are pregnant, please tell our staff before any X-ray.",
        "If your child is sick, please call ahead so we can help.",
        "We're sorry you're sick of waiting on hold.",
        "You are ill-informed about our policies.",
        "Anyone who is sick should call ahead.",
    ],
)
def test_advice_and_everyday_words_are_not_the_readers_health(text):
    assert not [f for f in check_reply(text, context=CONTEXT).findings
                if f.subtype == "health_status"]  # fmt: skip


def test_a_batch_and_a_single_reply_get_the_same_verdict_for_the_clause(clinic_a, as_user, login):
    # given: one review, answered alone and in a batch with a greeting and a contact line
    review = review_in(clinic_a, text=CHILD_REVIEW)
    writer_api = as_user("alpha_writer", clinic_a)
    single = writer_api.post("compliance/check/", {"text": CHILD, "review_id": review.pk})
    batch = writer_api.post("reply-batches/", {"review_ids": [review.pk], "kind": "reply"}).json()
    typed = "{greeting} your child was not infected during the visit on December 3."
    # when: the batch page checks the typed text live
    live = login("alpha_writer").post(
        f"/clinics/clinic-a/replies/batches/{batch['id']}/",
        json.dumps({"text": typed}),
        content_type="application/json",
    )
    # then: both block, both for the clause itself, and the batch marks it in the typed text
    assert single.status_code == 200 and live.status_code == 200
    single, live = single.json(), live.json()
    assert (single["verdict"], live["verdict"]) == ("block", "block")
    clause = [(f["text"], f["severity"]) for f in single["findings"]
              if f["subtype"] == "health_status"]  # fmt: skip
    assert clause == [("Your child was not infected", "block")]
    marked = [f for f in live["findings"] if f["subtype"] == "health_status"]
    assert [(f["text"], f["severity"]) for f in marked] == [
        ("your child was not infected", "block")
    ]
    assert typed[marked[0]["start"] : marked[0]["end"]] == "your child was not infected"


# --- 4. the span of a treatment that made it worse -------------------------------------------


def test_a_verb_of_the_review_is_no_health_term_and_the_phrase_is_marked():
    review = "The cream you prescribed made my rash worse."
    found = _found("We're sorry the cream made it worse.", review)
    assert not [f for f in found if f[2] == "made"]
    assert ("outcome", "needs_review", "the cream made it worse") in found
    assert ("echo", BLOCK, "cream") in found  # the review's treatment, repeated


def test_a_drug_named_after_the_cue_is_still_echoed():
    review = "Dr. Patel prescribed me amoxicillin and it worked."
    assert ("echo", BLOCK, "Amoxicillin") in _found(
        "Thank you for the review. Amoxicillin is a common antibiotic.", review
    )


# --- 2. a fix mends the smallest span --------------------------------------------------------


def _fix_one(text: str, words: str, review: str | None = None):
    result = check_reply(text, review_text=review, context=CONTEXT)
    finding = next(f for f in result.findings if f.text == words)
    return finding, apply_fixes(
        text, review_text=review, context=CONTEXT, only=(finding.start, finding.end)
    )


def test_fix_this_on_a_date_takes_out_the_date_phrase_and_keeps_the_apology():
    text = (
        "We're so sorry for the long wait on December 3, and we apologize for the confusion "
        "at the front desk."
    )
    finding, fixed = _fix_one(text, "December 3")
    assert finding.suggestion == "leave out “on December 3”"
    assert fixed.text == (
        "We're so sorry for the long wait, and we apologize for the confusion at the front desk."
    )
    assert fixed.result.verdict == OK


def test_fix_this_on_a_date_opening_the_sentence():
    review = "I waited two hours on December 3 for my appointment."
    text = "We're sorry to hear this. On December 3, our phones were down. Please call us."
    finding, fixed = _fix_one(text, "December 3", review)
    assert finding.suggestion == "leave out “On December 3”"
    assert fixed.text == "We're sorry to hear this. Our phones were down. Please call us."


def test_fix_this_on_a_day_the_words_are_about():
    review = "Dr. Hale fitted my crown on Tuesday at 3pm and it cracked the next day."
    text = "We're sorry to hear about Tuesday afternoon. Please call us at (512) 555-0142."
    finding, fixed = _fix_one(text, "Tuesday afternoon", review)
    assert finding.suggestion == "“this” in place of “Tuesday afternoon”"
    assert (fixed.text, fixed.result.verdict) == (
        "We're sorry to hear about this. Please call us at (512) 555-0142.",
        OK,
    )


def test_a_date_that_holds_up_its_sentence_still_takes_the_sentence_out():
    text = "Thank you for writing. December 3 was your appointment day."
    finding, fixed = _fix_one(text, "December 3")
    assert finding.suggestion == "leave the date out"
    assert "December 3" not in fixed.text and fixed.text.startswith("Thank you for writing.")


@pytest.mark.parametrize(
    ("text", "fixed_text"),
    [
        (
            "Dear patient, thank you for your feedback. Please call us at (512) 555-0142.",
            "Thank you for your feedback. Please call us at (512) 555-0142.",
        ),
        ("Dear patient,\nThank you for your feedback.", "Thank you for your feedback."),
        ("To our patient: we are sorry for the wait.", "We are sorry for the wait."),
        (
            "We apologize to our valued patient, and we will do better.",
            "We apologize to you, and we will do better.",
        ),
        ("Thank you for writing, dear patient!", "Thank you for writing!"),
    ],
    ids=["greeting", "greeting-own-line", "to-our", "apologize-to-our", "at-the-end"],
)
def test_the_patient_address_is_taken_out_and_nothing_is_added(text, fixed_text):
    fixed = apply_fixes(text, context=CONTEXT)
    assert (fixed.text, fixed.result.verdict) == (fixed_text, OK)
