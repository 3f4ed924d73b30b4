"""The guard on corrections: in a statement, or in a reply that quotes one of the clinic's
confirmed facts, a plain factual denial is not defensive tone; everything else is checked as
in any reply (no database)."""

from __future__ import annotations

import pytest

from responses.guard import BLOCK, NEEDS_REVIEW, OK, GuardContext, check_reply, warm_up

FACT = "Every needle we use is single-use and sealed."
REPLY = GuardContext(clinic_name="Riverside Family Dental", clinic_phones=("+1 212 555 0142",))
CITING = GuardContext(
    clinic_name="Riverside Family Dental", clinic_phones=("+1 212 555 0142",), cited_facts=(FACT,)
)
CORRECTING = GuardContext(
    clinic_name="Riverside Family Dental", clinic_phones=("+1 212 555 0142",), purpose="correction"
)
STATEMENT = GuardContext(
    clinic_name="Riverside Family Dental", clinic_phones=("+1 212 555 0142",), purpose="statement"
)


@pytest.fixture(scope="module", autouse=True)
def engine():
    warm_up()


@pytest.mark.parametrize(
    "text",
    [
        f"This is false. {FACT}",
        f"That is not true. {FACT} Questions: +1 212 555 0142.",
        f"The claim that we reuse needles is false. {FACT}",
    ],
    ids=["this-is-false", "not-true", "the-claim-is-false"],
)
def test_plain_denial_with_a_cited_fact_or_in_a_statement_is_ok(text):
    assert check_reply(text, context=CITING).verdict == OK
    assert check_reply(text, context=STATEMENT).verdict == OK


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000/statements/riverside/3/",
        "https://app.brightsmile-agency.com/statements/riverside-family-dental/12/",
    ],
)
def test_the_statement_batchs_own_text_passes_the_guard(url):
    # the text a pointer-to-the-statement batch starts from must not send every mention to
    # review ("We have published a statement with the facts: <localhost link>" did)
    from responses.services.batches import DEFAULT_TEXTS

    text = (
        DEFAULT_TEXTS["statement"]
        .replace("{greeting}", "Hello,")
        .replace("{statement_url}", url)
        .replace("{contact_line}", "+1 212 555 0142")
    )
    for context in (REPLY, CORRECTING):
        result = check_reply(text, context=context)
        assert (result.verdict, result.findings) == (OK, []), context.purpose


def test_plain_denial_without_a_cited_fact_still_reads_as_defensive():
    result = check_reply("This is false. We are careful.", context=REPLY)
    assert result.verdict == NEEDS_REVIEW
    assert [(f.kind, f.subtype) for f in result.findings] == [("tone", "disputes_review")]


@pytest.mark.parametrize(
    "text",
    [
        f"This is a lie. {FACT}",
        f"This is completely false. {FACT}",
        f"You are lying. {FACT}",
        f"Ridiculous. {FACT}",
    ],
    ids=["a-lie", "completely-false", "lying", "emotional"],
)
def test_loaded_or_aimed_denials_are_still_tone(text):
    for context in (CITING, STATEMENT):
        result = check_reply(text, context=context)
        assert result.verdict == NEEDS_REVIEW, (text, context.purpose)
        assert {f.kind for f in result.findings} == {"tone"}


@pytest.mark.parametrize(
    "text",
    [
        f"This is false. We reviewed your chart and {FACT.lower()}",
        f"This is false. Maria Lopez was seen on 10/14. {FACT}",
        f"This is false: your visit went fine. {FACT}",
        f"This is false. Call her at 512-778-3310. {FACT}",
    ],
    ids=["records", "name-and-date", "your-visit", "other-phone"],
)
def test_corrections_still_block_patient_details_and_confirmations(text):
    assert check_reply(text, context=CITING).verdict == BLOCK
    assert check_reply(text, context=STATEMENT).verdict == BLOCK


def test_a_fact_must_be_quoted_whole_to_make_a_correction():
    short = GuardContext(clinic_phones=("+1 212 555 0142",), cited_facts=("Open daily.",))
    assert check_reply("This is false. Open daily.", context=short).verdict == NEEDS_REVIEW


@pytest.fixture(scope="module")
def unsafe_flagged_as_replies():
    """The tuning sets' examples labelled unsafe that the guard flags as replies (both purposes
    below start from them: checked once)."""
    from tests.responses.test_guard_fixes import TUNING_SETS, _bench_examples

    bench = {"replies", "probe", "probe2", "probe3"}  # the labelled sets (train_extra: backstop)
    flagged = []
    for name in (s for s in TUNING_SETS if s in bench):
        labels = _labels(name)
        for ident, text, review, context in _bench_examples(name):
            if labels[ident] != "unsafe":
                continue
            if check_reply(text, review_text=review, context=context).verdict == OK:
                continue  # missed as a reply too (probe3 s014, see bench/compliance/README.md)
            flagged.append((ident, text, review, context))
    assert len(flagged) >= 250
    return flagged


@pytest.mark.parametrize("purpose", ["statement", "correction"])
def test_every_unsafe_example_of_the_tuning_sets_stays_flagged_in_a_correction(
    purpose, unsafe_flagged_as_replies
):
    import dataclasses

    missed = []
    for ident, text, review, context in unsafe_flagged_as_replies:
        as_correction = dataclasses.replace(context, purpose=purpose)
        if check_reply(text, review_text=review, context=as_correction).verdict == OK:
            missed.append(ident)
    assert missed == []


def _labels(name: str) -> dict[str, str]:
    import json

    from tests.responses.test_guard_fixes import BENCH

    rows = (json.loads(line) for line in (BENCH / f"{name}.jsonl").read_text().splitlines() if line)
    return {row["id"]: row["label"] for row in rows}
