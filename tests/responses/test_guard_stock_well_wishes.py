"""A plain well-wish passes the whole guard, the learned backstop included. "We hope you feel
better soon" alone read to the backstop like a confirmation of care, and "Wishing you a speedy
recovery" blocked as a health detail ("recovery"); neither names the reader's condition or
treatment, so both pass, as do the other stock get-well formulas. The backstop reads a reply
without its plain well-wishes: one that says nothing else is not raised. A wish tied to care,
a recovery that is the reader's, or a wish beside a condition or a treatment is still caught
("We hope your recovery from the root canal goes well"). The learned backstop is on (the
shipped model)."""

from __future__ import annotations

import pytest

from responses.guard import BLOCK, OK, GuardContext, check_reply, warm_up
from responses.guard.backstop import get_backstop

NO_LIST = GuardContext(clinic_phones=("(512) 555-0142",))
OTHERS_LISTED = GuardContext(clinic_phones=("(512) 555-0142",), staff_names=("Jenna Torres",))
CONTEXTS = [
    pytest.param(GuardContext(), id="no-context"),
    pytest.param(NO_LIST, id="no-staff-list"),
    pytest.param(OTHERS_LISTED, id="staff-list"),
]


@pytest.fixture(scope="module", autouse=True)
def _warm():
    warm_up()
    assert get_backstop() is not None  # these tests are about the shipped backstop


def _found(text, context):
    return [(f.kind, f.subtype, f.text) for f in check_reply(text, context=context).findings]


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize(
    "text",
    [
        "We hope you feel better soon.",
        "Wishing you a speedy recovery.",
        "Wishing you a speedy recovery",
        "We wish you a full recovery.",
        "Get well soon!",
        "Thank you for your kind words. Wishing you a speedy recovery!",
    ],
    ids=["feel-better", "speedy-recovery", "no-stop", "full-recovery", "get-well", "with-thanks"],
)
def test_a_plain_well_wish_passes_the_whole_guard(text, context):
    assert _found(text, context) == []
    assert check_reply(text, context=context).verdict == OK


def test_the_backstop_still_reads_the_rest_of_a_reply_with_a_well_wish():
    # given: the same wish after a sentence that confirms a visit
    text = "Thanks for coming in today. We hope you feel better soon."

    # when
    result = check_reply(text, context=NO_LIST)

    # then the confirmation is found, and the wish beside it is read as its outcome
    assert result.verdict == BLOCK
    assert ("patient_confirmation", "thanks_for_visit", "Thanks for coming in") in _found(
        text, NO_LIST
    )


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize(
    ("text", "caught"),
    [
        (
            "We hope your recovery from the root canal goes well.",
            {("patient_confirmation", "outcome"), ("health_detail", "procedure")},
        ),
        (
            "Wishing you a speedy recovery from your surgery.",
            {("patient_confirmation", "care_reference"), ("health_detail", "procedure")},
        ),
        ("Wishing your son a speedy recovery.", {("health_detail", "procedure")}),
        (
            "Sorry about the extraction, wishing you a speedy recovery.",
            {("health_detail", "procedure")},
        ),
        ("We hope you feel better after the extraction.", {("patient_confirmation", "outcome")}),
    ],
    ids=["root-canal", "from-surgery", "a-relative", "beside-a-treatment", "after-care"],
)
def test_a_wish_tied_to_the_readers_care_still_blocks(text, caught, context):
    result = check_reply(text, context=context)
    assert result.verdict == BLOCK
    assert caught <= {(f.kind, f.subtype) for f in result.findings}
