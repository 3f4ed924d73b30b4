"""A reader's or a relative's health said of them ("Your child was not infected") blocks as
``health_status``; well-wishing and hypotheticals that say nothing of anyone's health ("We hope
you are never sick", "If you are ever unwell, call us") are no ``health_status`` finding."""

from __future__ import annotations

import pytest

from responses.guard import BLOCK, GuardContext, check_reply, warm_up

CONTEXT = GuardContext(
    clinic_name="Riverbend Family Health",
    clinic_phones=("(512) 555-0142",),
    clinic_emails=("care@riverbendhealth.com",),
    staff_names=("Sarah Mitchell",),
)


@pytest.fixture(scope="module", autouse=True)
def engine():
    warm_up()


def _health_status(text: str) -> list[tuple[str, str]]:
    result = check_reply(text, context=CONTEXT)
    return [(f.severity, f.text) for f in result.findings if f.subtype == "health_status"]


@pytest.mark.parametrize(
    "text",
    [
        "We hope you are never sick.",
        "We hope you're not sick this winter.",
        "We hope you feel better soon.",
        "Stay healthy!",
        "We wish your family good health.",
        "We hope that your son is never ill.",
        "We pray your kids aren't ill this flu season.",
        "We hope that both you and your son are never sick.",
        "If you are ever unwell, call us.",
        "If you or your child are ever sick, call us at (512) 555-0142.",
        "Should your daughter ever be sick, we're here.",
        "Nobody likes being sick.",
    ],
)
def test_well_wishing_and_hypotheticals_are_not_the_readers_health(text):
    assert _health_status(text) == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Your child was not infected during the visit.", "Your child was not infected"),
        ("You were diagnosed with diabetes last spring.", "You were diagnosed"),
        ("Your son is allergic to penicillin.", "Your son is allergic"),
        ("We know you were sick last week.", "you were sick"),
        # a wish about a day that happened, or one that says they were ill, still tells
        ("We hope you were not infected.", "you were not infected"),
        ("We hope you are never sick again.", "you are never sick"),
        ("We hope your daughter is not sick anymore.", "your daughter is not sick"),
        ("We're glad you are not sick.", "you are not sick"),
        # a wish beside a statement: the statement still blocks
        ("We hope you're never sick. You were diagnosed with flu.", "You were diagnosed"),
    ],
)
def test_statements_of_the_readers_health_block(text, words):
    assert (BLOCK, words) in _health_status(text)
    assert check_reply(text, context=CONTEXT).verdict == BLOCK


def test_recovering_after_a_procedure_still_blocks():
    # said as an outcome of care (`outcome`), which is as much a health detail
    result = check_reply("You are recovering well after the procedure.", context=CONTEXT)
    assert result.verdict == BLOCK
    assert ("outcome", BLOCK, "You are recovering") in {
        (f.subtype, f.severity, f.text) for f in result.findings
    }
