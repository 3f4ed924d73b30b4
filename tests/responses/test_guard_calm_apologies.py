"""Three misjudgements of the guard, mended by rule, each for its class of phrase:

* a calm apology that owns a shortfall of the practice's service ("We're sorry our front desk
  fell short of what you should expect") is no defensive tone: the learned backstop's tone
  head reads the reply without it. The same apology beside the reader's visit, a blame or a
  defensive word is still caught by the rules;
* a finding of the backstop quotes the sentence that weighs most, not the whole reply;
* an everyday get-well idiom wished to "you" ("We hope you're on the mend soon", "back on your
  feet") is a plain well-wish; one naming a body part, a treatment or an illness, said of
  someone else or said as a fact ("Glad you're on the mend") is not.

The learned backstop is on (the shipped model)."""

from __future__ import annotations

import pytest

from responses.guard import BLOCK, NEEDS_REVIEW, OK, GuardContext, check_reply, warm_up
from responses.guard.backstop import get_backstop

CONTEXTS = [
    pytest.param(GuardContext(), id="no-context"),
    pytest.param(
        GuardContext(clinic_name="Riverbend Family Health", clinic_phones=("(512) 555-0142",)),
        id="clinic-context",
    ),
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
        "We apologise that our front desk fell short of what you should expect. Please call our "
        "practice manager on 555-0100 so we can put it right.",
        "We apologise that we fell short of what you should expect. Please call us so we can put "
        "it right.",
        "We apologise that our front desk fell short of what you should expect.",
        "We apologise that our reception team fell short of what you should expect. Please call "
        "us so we can put it right.",
    ],
    ids=["front-desk-with-invitation", "we-fell-short", "front-desk-alone", "reception-team"],
)
def test_a_calm_apology_for_a_service_shortfall_is_no_defensive_tone(text, context):
    assert _found(text, context) == []
    assert check_reply(text, context=context).verdict == OK


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "We apologize that our front desk fell short during your visit on Tuesday.",
            [
                ("patient_confirmation", "care_reference", "your visit"),
                ("identifier", "date", "on Tuesday"),
            ],
            id="confirms-a-visit",
        ),
        pytest.param(
            "We apologize that our front desk fell short of what you should expect, but you were "
            "rude to them.",
            [("tone", "accusation", "you were rude")],
            id="but-blames",
        ),
        pytest.param(
            "We apologize that our front desk fell short of what you should expect. Frankly, your "
            "behaviour was out of line.",
            [("tone", "defensive", "Frankly"), ("tone", "accusation", "your behaviour")],
            id="then-defensive",
        ),
        pytest.param(
            "We're sorry our dental hygienist fell short during your cleaning.",
            [("patient_confirmation", "care_reference", "your cleaning")],
            id="names-care",
        ),
    ],
)
def test_an_apology_that_confirms_care_or_blames_is_still_caught(text, expected):
    assert _found(text, GuardContext()) == expected


def test_the_backstops_finding_quotes_the_sentence_that_weighs_most_not_the_whole_reply():
    # given: a calm thank-you, then a defensive sentence no rule names
    defensive = "Honestly, your expectations were unreasonable from the start."
    text = f"Thank you for your review. {defensive}"

    # when
    [finding] = check_reply(text, context=GuardContext()).findings

    # then
    assert (finding.kind, finding.subtype, finding.severity) == ("tone", "backstop", NEEDS_REVIEW)
    assert finding.text == defensive
    assert text[finding.start : finding.end] == defensive


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize(
    "text",
    [
        "We hope you're on the mend soon.",
        "Thank you for sharing this. We hope you are on the mend very soon.",
        "We hope you are on the mend.",
        "Hope you're on the mend!",
        "We hope you're back on your feet soon.",
        "We hope you're doing much better.",
    ],
    ids=[
        "on-the-mend",
        "with-thanks",
        "are-on-the-mend",
        "hope-alone",
        "back-on-your-feet",
        "doing-better",
    ],
)
def test_an_everyday_get_well_idiom_is_a_plain_well_wish(text, context):
    assert _found(text, context) == []


@pytest.mark.parametrize(
    "text",
    [
        "We hope you're on the mend after your surgery.",
        "We hope your knee is on the mend.",
        "Glad you're on the mend!",
        "We hope you're on the mend from the flu.",
        "We hope you're still on the mend.",
        "We hope your son is on the mend.",
        "We hope you're on the mend soon and that your root canal has settled.",
    ],
    ids=["after-surgery", "a-knee", "glad", "from-the-flu", "still", "a-relative", "treatment"],
)
def test_a_wish_tied_to_care_or_said_as_a_fact_still_blocks(text):
    result = check_reply(text, context=GuardContext())
    assert result.verdict == BLOCK
    assert "patient_confirmation" in result.kinds()
