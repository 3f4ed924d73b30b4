"""Walk-through findings on well-wishes and on who is named. A plain well-wish ("We hope you
feel better soon") states nothing about the reader's condition or treatment and is no
``outcome``; one tied to care, a recovery or an earlier episode still is. A relative's health
said by the clinic ("Your wife is unwell") is ``health_status``, like the reader's own. The
guard says each finding once (same kind, same span). A clinician's title used as a form of
address ("ask for nurse young", "with dr white") names whoever follows it, even a surname the
dictionary holds as a common word; a title before a common word ("nurse practitioner", "dr
appointment", "the nurse on duty") names nobody."""

from __future__ import annotations

import os

import pytest

from responses.guard import BLOCK, NEEDS_REVIEW, GuardContext, check_reply, warm_up
from responses.guard import backstop as backstop_module

NO_LIST = GuardContext(clinic_phones=("(512) 555-0142",))
OTHERS_LISTED = GuardContext(clinic_phones=("(512) 555-0142",), staff_names=("Jenna Torres",))


@pytest.fixture
def rules_only():
    os.environ["CAREWATCH_GUARD_BACKSTOP"] = "0"
    yield
    os.environ.pop("CAREWATCH_GUARD_BACKSTOP")


def _findings(text, context=NO_LIST):
    return [(f.subtype, f.severity, f.text) for f in check_reply(text, context=context).findings]


@pytest.mark.parametrize(
    "text",
    [
        "We hope you feel better soon.",
        "We hope you feel better.",
        "Hoping you're feeling better soon.",
        "We hope you are feeling much better very soon.",
        "Thank you for sharing. We wish you good health and hope you feel better soon.",
    ],
    ids=["feel-better-soon", "feel-better", "feeling-better", "much-better", "in-a-reply"],
)
def test_a_plain_well_wish_is_no_outcome(rules_only, text):
    assert _findings(text) == []


@pytest.mark.parametrize(
    ("text", "subtype"),
    [
        ("We're glad your recovery went well.", "outcome"),
        ("We're glad you're feeling better.", "outcome"),
        ("We hope you're feeling better now.", "outcome"),
        ("We hope you feel better again soon.", "outcome"),
        ("We hope you feel better after the extraction.", "outcome"),
        ("We hope the medication makes you feel better.", "outcome"),
        ("We hope your knee is on the mend.", "outcome"),
        ("Hope the new crown feels better.", "care_episode"),
        # beside a confirmation of care in its sentence, the wish is that care's outcome
        ("We were glad to fit you in quickly, and we hope you feel better soon.", "outcome"),
    ],
    ids=["recovery", "glad", "now", "again", "after-care", "treatment", "knee", "crown", "fit-in"],
)
def test_a_wish_tied_to_care_or_an_episode_stays_flagged(rules_only, text, subtype):
    result = check_reply(text, context=NO_LIST)
    assert result.verdict in (BLOCK, NEEDS_REVIEW)
    assert subtype in {f.subtype for f in result.findings}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Your wife is unwell.", "Your wife is unwell"),
        ("We're sorry your wife is unwell.", "your wife is unwell"),
        ("Your brother was under the weather last week.", "Your brother was under the weather"),
        ("We know you were unwell.", "you were unwell"),
    ],
    ids=["wife", "sorry-wife", "brother", "reader"],
)
def test_a_relatives_health_said_by_the_clinic_blocks(rules_only, text, words):
    assert ("health_status", BLOCK, words) in _findings(text)
    assert check_reply(text, context=NO_LIST).verdict == BLOCK


@pytest.mark.parametrize(
    "text",
    ["If your wife is ever unwell, call us.", "We hope your brother is never unwell."],
    ids=["if", "wish"],
)
def test_a_hypothetical_or_a_wish_about_a_relative_is_not_their_health(rules_only, text):
    assert [f for f in _findings(text) if f[0] == "health_status"] == []


class _TwiceSameHead:
    """A backstop whose heads all score high, with a head listed twice: the engine's output
    must still say each finding once."""

    raise_at = dict.fromkeys(backstop_module.RAISE_HEADS, 0.5)
    raise_agree_at = dict.fromkeys(backstop_module.RAISE_HEADS, 0.5)
    clear_below = 0.0
    safe_class_at = 1.0

    def scores(self, text, clinic_name):
        return {**dict.fromkeys(backstop_module.RAISE_HEADS, 0.9), "unsafe": 0.9}


def test_each_finding_is_said_once(monkeypatch):
    # given: a learned head raised twice over the whole text of a reply no rule flags
    warm_up()
    monkeypatch.setattr(backstop_module, "get_backstop", lambda: _TwiceSameHead())
    monkeypatch.setattr(backstop_module, "RAISE_HEADS", ("health_detail", "health_detail"))
    text = "Thank you for your kind words."

    # when
    result = check_reply(text, context=NO_LIST)

    # then: one finding, not two identical ones
    assert [(f.kind, f.subtype, f.start, f.end) for f in result.findings] == [
        ("health_detail", "backstop", 0, len(text))
    ]


def test_well_wishes_never_carry_the_same_finding_twice():
    warm_up()
    for text in (
        "We hope you feel better soon.",
        "Wishing you a speedy recovery.",
        "We hope you are doing well.",
        "Take care of yourself.",
        "Hope the new crown feels better.",
    ):
        for context in (NO_LIST, OTHERS_LISTED, GuardContext()):
            keys = [(f.kind, f.start, f.end) for f in check_reply(text, context=context).findings]
            assert len(keys) == len(set(keys)), (text, keys)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Please ask for nurse young when you call.", "nurse young"),
        ("We have shared your note with nurse young.", "nurse young"),
        ("Please call nurse young on Monday.", "nurse young"),
        ("Please ask for dr white at the front desk.", "dr white"),
        ("Please ask for nurse brown when you call.", "nurse brown"),
        ("Please ask for doctor green when you call.", "doctor green"),
        ("Please ask for nurse king when you call.", "nurse king"),
        ("Please ask for dr smith.", "dr smith"),
        ("Please ask for nurse patel when you call.", "nurse patel"),
    ],
    ids=[
        "ask-for-nurse-young",
        "with-nurse-young",
        "call-nurse-young",
        "dr-white",
        "nurse-brown",
        "doctor-green",
        "nurse-king",
        "dr-smith",
        "nurse-patel",
    ],
)
def test_a_title_used_as_address_names_a_lower_case_surname(rules_only, text, name):
    # no staff list: a clinician to check; a list without them: a name that blocks
    assert _findings(text, NO_LIST) == [("clinician_no_staff_list", NEEDS_REVIEW, name)]
    [(subtype, severity, found)] = _findings(text, OTHERS_LISTED)
    assert subtype in ("person", "staff_contact") and found == name


@pytest.mark.parametrize(
    "text",
    [
        "Our nurse practitioner will call.",
        "Please book a dr appointment online.",
        "The nurse on duty will help.",
        "Ask the nurse on call.",
        "Please ask for the charge nurse.",
        "Press the button for nurse assistance.",
        "We celebrate nurse appreciation every May.",
        "Thanks for doctor feedback.",
        "We offer nurse visits at home.",
        "We provide nurse care on weekends.",
        "Apply for nurse jobs online.",
        "Please wait for doctor review.",
        "Ask about our nurse call buttons.",
        "We have a nurse ready to help.",
    ],
)
def test_a_title_before_a_common_word_still_names_nobody(rules_only, text):
    for context in (NO_LIST, OTHERS_LISTED):
        assert [f for f in _findings(text, context) if f[0] != "care_episode"] == []
