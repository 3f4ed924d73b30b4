"""Applying all the guard's fixes (responses.guard.fixes): on every example of the guard's test
sets and of the bench/compliance tuning and training sets (never the measuring sets), the
result passes the guard, repeats no phrase the text did not repeat, and leaves no fragment
behind."""

from __future__ import annotations

import ast
import collections
import json
import re
from pathlib import Path

import pytest

from responses.guard import OK, GuardContext, check_reply, split_sentences, warm_up
from responses.guard import fixes as guard_fixes
from responses.guard.fixes import apply_fixes

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench" / "compliance"
TUNING_SETS = (
    "replies",
    "probe",
    "probe2",
    "probe3",
    "train_extra",
    "train_extra2",
    "train_extra3",
    "train_extra4",
    "independent",
)
GUARD_TESTS = ("test_guard.py", "test_guard_backstop.py")
BENCH_CONTEXT = {
    "clinic_name": "Riverbend Family Health",
    "clinic_phones": ["(512) 555-0142", "512-555-0199"],
    "clinic_emails": ["care@riverbendhealth.com"],
    "clinic_urls": ["https://riverbendhealth.com", "riverbendhealth.com/feedback"],
    "clinic_address": "4100 Riverbend Blvd, Suite 200, Austin, TX 78731",
    "staff_names": ["Sarah Mitchell", "Dr. Anita Rao", "Dr. Marcus Webb", "Jenna Torres"],
}
TEST_CONTEXT = GuardContext(
    clinic_name="Riverbend Family Health",
    clinic_phones=("(512) 555-0142", "512-555-0199"),
    clinic_emails=("care@riverbendhealth.com",),
    clinic_urls=("https://riverbendhealth.com",),
    clinic_address="4100 Riverbend Blvd, Suite 200, Austin, TX 78731",
    staff_names=("Sarah Mitchell", "Dr. Anita Rao", "Jenna Torres"),
)
_WORD = re.compile(r"[\w'’]+")
# a sentence ending on a word that needs more after it; the last word of a hyphenated one
# ("check-in.", "follow-up for") is not such a word
_DANGLING = re.compile(
    r"(?<![\w-])(?:to|the|a|an|at|and|or|with|of|for|your|our|from|in|on|but|that|is|are|was)"
    r"\s*[.!?]$",
    re.IGNORECASE,
)


@pytest.fixture(scope="module", autouse=True)
def engine():
    warm_up()


@pytest.fixture(scope="module")
def checked() -> dict:
    """The guard's answers in this module, by (text, review, context)."""
    return {}


@pytest.fixture
def check_once(checked, monkeypatch):
    """apply_fixes asks the guard about each text once in this module. Both apply-all tests fix
    the same examples, so they check the same originals and many of the same fixed texts; the
    guard answers the same for the same text, review and context, so check_reply's answer is
    kept and given again (most of the guard's time in this module)."""

    def check(text, *, review_text=None, context=None):
        key = (text, review_text, context)
        if key not in checked:
            checked[key] = check_reply(text, review_text=review_text, context=context)
        return checked[key]

    monkeypatch.setattr(guard_fixes, "check_reply", check)


def _bench_examples(name: str) -> list[tuple[str, str, str | None, GuardContext]]:
    out = []
    for line in (BENCH / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        context = GuardContext.from_dict({**BENCH_CONTEXT, **(row.get("context") or {})})
        out.append((row["id"], row["text"], row.get("review"), context))
    return out


def _strings(node) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple) and node.elts:
        return _strings(node.elts[0])
    return []


def _test_examples(name: str) -> list[tuple[str, str, str | None, GuardContext]]:
    """Every text the guard's own tests check: the texts of their parametrize lists and the
    first argument of each check()/check_reply() call (with its review, when literal)."""
    tree = ast.parse((Path(__file__).parent / name).read_text(encoding="utf-8"))
    found: dict[str, str | None] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called == "parametrize" and len(node.args) > 1 and isinstance(node.args[1], ast.List):
            for element in node.args[1].elts:
                for text in _strings(element):
                    found.setdefault(text, None)
        elif called in ("check", "check_reply") and node.args:
            review = next(
                (
                    k.value.value
                    for k in node.keywords
                    if k.arg in ("review", "review_text") and isinstance(k.value, ast.Constant)
                ),
                None,
            )
            for text in _strings(node.args[0]):
                found[text] = review
    texts = [(t, r) for t, r in found.items() if len(_WORD.findall(t)) >= 3]
    return [(f"{name}:{i}", t, r, TEST_CONTEXT) for i, (t, r) in enumerate(texts)]


def _ngrams(text: str, n: int = 3) -> collections.Counter:
    words = [w.lower() for w in _WORD.findall(text)]
    return collections.Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def _sentences(text: str) -> list[str]:
    return [text[a:b].strip() for a, b in split_sentences(text) if text[a:b].strip()]


def defects(original: str, fixed: str) -> list[str]:
    """What reads wrong in `fixed` that did not in `original`."""
    found = []
    before = _ngrams(original)
    for gram, count in _ngrams(fixed).items():
        if count > 1 and count > before.get(gram, 0):
            found.append(f"repeats “{' '.join(gram)}”")
    for mark in ("  ", " ,", " .", ",.", "()", "{", "}"):
        if mark in fixed and mark not in original:
            found.append(f"stray {mark!r}")
    old = set(_sentences(original))
    for sentence in _sentences(fixed):
        if sentence in old or sentence.startswith(("—", "–", "--")):
            continue
        if sentence[0].islower():
            found.append(f"starts in lower case: “{sentence}”")
        if _DANGLING.search(sentence):
            found.append(f"ends in mid-phrase: “{sentence}”")
        if sentence[-1] not in ".!?”\"')":
            found.append(f"unfinished: “{sentence}”")
    if not fixed.strip():
        found.append("empty")
    return found


@pytest.mark.parametrize("source", [*TUNING_SETS, *GUARD_TESTS])
def test_apply_all_gives_clean_text_that_passes_the_guard(source, check_once):
    examples = _test_examples(source) if source.endswith(".py") else _bench_examples(source)
    assert len(examples) >= 10
    failures = []
    for ident, text, review, context in examples:
        fixed = apply_fixes(text, review_text=review, context=context)
        problems = defects(text, fixed.text)
        if fixed.result.verdict != OK:  # the check of fixed.text, as apply_fixes returns it
            problems.append(f"guard says {fixed.result.verdict}: {fixed.result.findings}")
        if problems:
            failures.append((ident, text, fixed.text, problems))
    assert failures == []


def test_the_issues_eight_fixes_read_as_one_clean_reply():
    text = (
        "Hi Jessica, we reviewed your chart from your visit on 10/14. "
        "Dr. Hanley says your root canal went fine and you are wrong about the pain! "
        "This never happened. Call me at 512-778-3310 or jess.h@gmail.com. "
        "We appreciate your concerns with the billing. — The team at Riverbend Family Health"
    )
    result = check_reply(text, review_text="My root canal hurt for a week.", context=TEST_CONTEXT)
    assert len(result.findings) >= 6
    fixed = apply_fixes(text, review_text="My root canal hurt for a week.", context=TEST_CONTEXT)
    assert fixed.result.verdict == OK
    assert fixed.text == (
        "We appreciate your concerns with the billing. Please contact us directly at "
        "(512) 555-0142 so we can help. — The team at Riverbend Family Health"
    )
    assert defects(text, fixed.text) == []


def test_greeting_by_name_loses_the_greeting_and_keeps_the_sentence():
    context = GuardContext(clinic_phones=("(512) 555-0142",), reviewer_name="Jessica M.")
    fixed = apply_fixes(
        "Hi Jessica, we're sorry to hear about the wait. Please give us a call.", context=context
    )
    assert fixed.text == "We're sorry to hear about the wait. Please give us a call."
    assert fixed.result.verdict == OK


def test_a_plain_greeting_stays_when_the_sentence_it_opens_is_taken_out():
    """A batch's "{greeting} …" renders as "Hello, …": taking out its first sentence kept
    nothing of it, so every mention's reply lost its greeting."""
    fixed = apply_fixes(
        "Hello, your son got sick after his vaccination visit with us last Monday. His chart "
        "shows no reaction was reported. We take every concern seriously.",
        context=TEST_CONTEXT,
    )
    assert fixed.text == (
        "Hello, we take every concern seriously. Please contact us directly at (512) 555-0142 "
        "so we can help."
    )
    assert fixed.result.verdict == OK
    # the greeting moved, the sentence after it did not change: not listed as a change
    assert [c for c in fixed.changes if "concern" in c] == []
    assert fixed.changes[0].startswith("took out “Hello, your son got sick")


def test_a_name_that_addresses_the_reader_goes_and_the_thanks_stays():
    """The writer's walk: "Thank you so much for the five stars, Sam!" was taken out whole,
    leaving a reply to a five-star review that thanked nobody."""
    context = GuardContext(reviewer_name="Sam S.", clinic_phones=("(512) 555-0142",))
    fixed = apply_fixes(
        "Thank you so much for the five stars, Sam! We will pass your kind words on to the "
        "front desk.",
        context=context,
        positive=True,
    )
    assert fixed.text == (
        "Thank you so much for the five stars! We will pass your kind words on to the front desk."
    )
    assert fixed.result.verdict == OK
    fixed = apply_fixes("Thanks, Sam, for writing to us.", context=context, positive=True)
    assert fixed.text.startswith("Thanks for writing to us.")


def test_fixing_one_finding_keeps_an_invitation_that_uses_the_contact_variable():
    """The writer's walk: "Fix this" on "your biopsy" also replaced "Please call us at
    {clinic_phone} so we can sort out the billing." with the stock invitation: the variable,
    filled with the clinic's phone on saving, was not read as the clinic's contact."""
    text = (
        "We are so sorry that you waited weeks for your biopsy results and were charged twice. "
        "Please call us at {clinic_phone} so we can sort out the billing."
    )
    finding = check_reply(text, context=TEST_CONTEXT).findings[0]
    fixed = apply_fixes(text, context=TEST_CONTEXT, only=(finding.start, finding.end))
    assert fixed.text == (
        "We are sorry to hear about your experience. Please call us at {clinic_phone} so we can "
        "sort out the billing."
    )


def test_a_care_reference_after_a_preposition_becomes_your_experience():
    fixed = apply_fixes(
        "We're sorry to hear about your visit. Please call us at (512) 555-0142.",
        context=TEST_CONTEXT,
    )
    assert fixed.text == (
        "We're sorry to hear about your experience. Please call us at (512) 555-0142."
    )


def test_fixing_one_finding_touches_only_its_sentence():
    text = "Thank you for writing. You are lying. We reviewed your chart."
    result = check_reply(text, context=TEST_CONTEXT)
    lying = next(f for f in result.findings if "lying" in f.text)
    fixed = apply_fixes(text, context=TEST_CONTEXT, only=(lying.start, lying.end))
    assert fixed.text.startswith("Thank you for writing. We reviewed your chart.")
    assert fixed.result.verdict == "block"  # the chart is still there: one fix at a time


def test_nothing_to_fix_changes_nothing():
    text = "Thank you for your kind words! — The team at Riverbend Family Health"
    fixed = apply_fixes(text, context=TEST_CONTEXT)
    assert (fixed.text, fixed.changes, fixed.result.verdict) == (text, [], OK)


@pytest.mark.parametrize(
    ("text", "fixed_text"),
    [
        # "ext." did not end the sentence: "12." was taken out as a fragment, "ext." left dangling
        (
            "Your MRI results were normal. The front desk is at 303-555-0117 ext. 12.",
            "The front desk is at 303-555-0117 ext. 12.",
        ),
        # the clinic's number, configured with its extension, is already offered: no second one
        (
            "Your MRI results were normal. The front desk is at 303-555-0117.",
            "The front desk is at 303-555-0117.",
        ),
    ],
)
def test_a_phone_extension_survives_the_fixes(text, fixed_text):
    context = GuardContext(clinic_name="Lakeview Physio", clinic_phones=("(303) 555-0117 ext. 12",))
    fixed = apply_fixes(text, context=context)
    assert (fixed.text, fixed.result.verdict) == (fixed_text, OK)


@pytest.mark.parametrize("source", [*TUNING_SETS, *GUARD_TESTS])
def test_apply_all_on_a_positive_review_keeps_a_thank_you_a_thank_you(source, check_once):
    """A reply to a positive review (rated 4-5 or read as positive) is fixed without asking the
    reviewer to contact the clinic "so we can help": clean, and it passes the guard."""
    examples = _test_examples(source) if source.endswith(".py") else _bench_examples(source)
    failures = []
    for ident, text, review, context in examples:
        fixed = apply_fixes(text, review_text=review, context=context, positive=True)
        problems = defects(text, fixed.text)
        if fixed.result.verdict != OK:
            problems.append(f"guard says {fixed.result.verdict}: {fixed.result.findings}")
        if "so we can help" in fixed.text and "so we can help" not in text:
            problems.append("asks a happy reviewer to contact the clinic for help")
        if problems:
            failures.append((ident, text, fixed.text, problems))
    assert failures == []


TESTERS_REVIEW = "Loved my therapist Jenna and my knee is so much better, but I waited 40 minutes"
PHYSIO = GuardContext(clinic_name="Summit Physio", clinic_phones=("+1 303 555 0142",))


@pytest.mark.parametrize(
    ("text", "fixed_text"),
    [
        (
            "Thank you so much for the lovely review! We will pass your kind words on to Jenna.",
            "Thank you so much for the lovely review! We will share your kind words with our team.",
        ),
        (
            "We will pass your kind words on to Jenna. — The team at Summit Physio",
            "Thank you for your lovely review! We will share your kind words with our team. "
            "— The team at Summit Physio",
        ),
        (
            "Thank you! We will pass your kind words on to Jenna. Our whole team is "
            "delighted to hear it.",
            "Thank you! Our whole team is delighted to hear it.",
        ),
    ],
    ids=["thanks-kept", "nothing-left", "team-already-named"],
)
def test_the_testers_thank_you_stays_a_thank_you(text, fixed_text):
    # given: Jenna is not on the staff list, so the guard blocks her name
    assert check_reply(text, review_text=TESTERS_REVIEW, context=PHYSIO).verdict == "block"
    # when: all fixes are applied to the reply to a 5-star review
    fixed = apply_fixes(text, review_text=TESTERS_REVIEW, context=PHYSIO, positive=True)
    # then: a thank-you without "contact us so we can help"
    assert (fixed.text, fixed.result.verdict) == (fixed_text, OK)
    assert "contact" not in fixed.text and "303" not in fixed.text
    # and a reply to a negative review still gets the invitation
    negative = apply_fixes(text, review_text=TESTERS_REVIEW, context=PHYSIO)
    assert "Please contact us directly at +1 303 555 0142 so we can help." in negative.text
