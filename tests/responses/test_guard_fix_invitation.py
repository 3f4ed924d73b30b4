""" "Apply all fixes" on a reply to a complaint keeps what the README promises: a complete
invitation with the clinic's own phone (else its e-mail), never a bare "Please call us." beside
it or instead of it, and, when the sentence it took out was the apology, a neutral apology
rather than thanks for "feedback"."""

from __future__ import annotations

import pytest

from responses.guard import OK, GuardContext
from responses.guard.fixes import apply_fixes
from tests.responses.conftest import review_in

REVIEW = "Worst visit ever. I left in pain and nobody cared."
CLINIC = GuardContext(
    clinic_name="Riverside Family Dental",
    clinic_phones=("+1 555 0100",),
    clinic_emails=("front@riverside.test",),
)
EMAIL_ONLY = GuardContext(
    clinic_name="Riverside Family Dental", clinic_emails=("front@riverside.test",)
)
NO_CONTACT = GuardContext(clinic_name="Riverside Family Dental")


@pytest.mark.parametrize(
    ("text", "context", "fixed"),
    [
        pytest.param(
            "We're sorry you left in pain after your root canal. Please call us.",
            CLINIC,
            "We are sorry to hear about your experience. Please contact us directly at "
            "+1 555 0100 so we can help.",
            id="the walk's reply: apology kept, the bare invitation completed",
        ),
        pytest.param(
            "We are so sorry you were in pain after your treatment. We take every concern "
            "seriously. Please call us.",
            CLINIC,
            "We are sorry to hear about your experience. We take every concern seriously. "
            "Please contact us directly at +1 555 0100 so we can help.",
            id="the apology comes back in front of what is kept",
        ),
        pytest.param(
            "We're sorry you left in pain after your root canal. Please call us.",
            EMAIL_ONLY,
            "We are sorry to hear about your experience. Please contact us directly at "
            "front@riverside.test so we can help.",
            id="no phone: the clinic's e-mail",
        ),
        pytest.param(
            "We're sorry you left in pain after your root canal. Please call us.",
            NO_CONTACT,
            "We are sorry to hear about your experience. Please call us.",
            id="no phone or e-mail configured: the writer's invitation is the best there is",
        ),
        pytest.param(
            "We reviewed your chart and everything was fine. Please call us at +1 555 0100.",
            CLINIC,
            "Thank you for your feedback. Please call us at +1 555 0100.",
            id="no apology to keep: a complete invitation stays as written",
        ),
    ],
)
def test_apply_all_keeps_a_complete_invitation_and_the_apology(text, context, fixed):
    result = apply_fixes(text, review_text=REVIEW, context=context)
    assert result.text == fixed
    assert result.result.verdict == OK


def test_the_clinics_own_phone_comes_from_its_settings_through_the_api(clinic_a, as_user):
    # given a 1★ "I left in pain" review and the walk's reply to it
    review = review_in(clinic_a, text=REVIEW)
    writer = as_user("alpha_writer", clinic_a)
    answer = writer.post(
        "compliance/fix/",
        {"text": "We're sorry you left in pain after your root canal. Please call us.",
         "review_id": review.pk},
    )  # fmt: skip
    assert answer.status_code == 200, answer.json()
    # then the fix invites them with the number the clinic configured, and keeps an apology
    assert answer.json()["text"] == (
        "We are sorry to hear about your experience. Please contact us directly at "
        f"{clinic_a.phone} so we can help."
    )
    assert answer.json()["verdict"] == "ok"
