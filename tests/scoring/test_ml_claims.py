"""Misinformation on every text: claims checked against the clinic's fact sheet and the myth
library, with their evidence; the clinic's own name ignored by topics and claims."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scoring.ml.claims import (
    MYTHS_FILE,
    FactRef,
    claim_span,
    content_words,
    mask_name,
    name_pattern,
)
from scoring.ml.engine import ScorerConfig, load_scorer

RIVERSIDE = "Riverside Family Dental"
FACTS = [
    FactRef(
        "single-use-needles",
        "Every needle and syringe we use is single-use: it is opened from a sealed pack in front "
        "of the patient and goes straight into a sharps container afterwards.",
        "Single-use needles",
    ),
    FactRef(
        "vaccine-storage",
        "Vaccines are kept in monitored medical refrigerators at 2-8 °C, the expiry date of every "
        "dose is checked before it is given, and expired stock is destroyed.",
        "Vaccine storage and expiry",
    ),
    FactRef("parking", "Free parking is available behind the building.", "Parking"),
]


@pytest.fixture(scope="module")
def scorer():
    return load_scorer(ScorerConfig(model="default"))


def _mis(result):
    return next((f for f in result.flags if f["name"] == "misinformation"), None)


@pytest.mark.parametrize(
    "written",
    [
        "Riverside Family Dental",
        "riverside family dental",
        "RIVERSIDE FAMILY",
        "Riverside Dental",
        "Riverside's",
        "Riverside  Family   Dental",
    ],
)
def test_the_clinic_name_is_found_as_people_write_it(written):
    assert mask_name(f"I went to {written} today.", name_pattern(RIVERSIDE)) == (
        "I went to the clinic today."
    )


def test_other_words_are_not_the_clinic_name():
    pattern = name_pattern(RIVERSIDE)
    assert mask_name("My family was with me at the dental visit.", pattern) == (
        "My family was with me at the dental visit."
    )
    assert name_pattern("") is None


def test_family_carers_no_longer_fires_on_the_clinic_name(scorer):
    text = "Riverside Family Dental cleaned my teeth quickly and the hygienist was gentle."
    without = scorer.score([text])[0]
    with_name = scorer.score([text], clinic_name=RIVERSIDE)[0]
    assert "family_carers" in {t["name"] for t in without.topics}  # the old behaviour
    assert "family_carers" not in {t["name"] for t in with_name.topics}
    # a real mention of family still counts
    text = "Riverside Family Dental let my family stay with me during the procedure."
    assert "family_carers" in {
        t["name"] for t in scorer.score([text], clinic_name=RIVERSIDE)[0].topics
    }


def test_a_false_claim_about_the_clinic_is_flagged_with_its_evidence(scorer):
    text = (
        "PSA: Riverside Family Dental gives kids expired vaccines. They keep the shots in a "
        "broken fridge. Share this!"
    )
    result = scorer.score([text], clinic_name=RIVERSIDE, facts=FACTS, clinic_key="riverside")[0]
    flag = _mis(result)
    assert flag is not None
    assert set(flag) == {"name", "evidence", "probability", "claim", "contradicts"}
    assert flag["probability"] >= 0.5
    assert flag["evidence"] == [flag["claim"]]
    assert "expired vaccines" in flag["claim"]
    contradicts = flag["contradicts"]
    assert set(contradicts) >= {"kind", "slug", "statement", "similarity"}
    assert contradicts["similarity"] >= scorer.misinformation.min_similarity
    # the clinic's own fact is cited, not a myth about vaccines in general
    assert (contradicts["kind"], contradicts["slug"]) == ("fact", "vaccine-storage")
    [fact] = [f for f in FACTS if f.slug == contradicts["slug"]]
    assert contradicts["statement"] == fact.statement
    json.dumps(result.to_dict())


def test_a_flag_cites_the_clinics_own_fact_before_a_nearer_myth(scorer):
    model = scorer.misinformation
    floor = model.min_similarity
    facts = np.array([0, 1])  # references 0 and 1 are facts, 2 and 3 myths
    # a fact past min_similarity wins over a nearer myth
    assert model.cited(np.array([floor + 0.01, 0.1, floor + 0.3, 0.2]), facts) == 0
    # the nearest of the facts
    assert model.cited(np.array([floor + 0.01, floor + 0.05, 0.9, 0.2]), facts) == 1
    # no fact near enough: the nearest reference of any kind
    assert model.cited(np.array([floor - 0.01, 0.1, 0.2, floor + 0.2]), facts) == 3
    # no facts at all (no fact sheet)
    assert model.cited(np.array([0.3, 0.8]), np.array([], dtype=int)) == 1


def test_a_health_myth_is_flagged_against_the_myth_library_without_a_fact_sheet(scorer):
    result = scorer.score(["The MMR vaccine causes autism, everyone knows it."])[0]
    flag = _mis(result)
    assert flag is not None
    assert flag["contradicts"]["kind"] == "myth"
    assert flag["contradicts"]["slug"] == "vaccines-autism"
    assert flag["contradicts"]["source"]


@pytest.mark.parametrize(
    "text",
    [
        "Dr Patel was lovely and explained everything, five stars.",
        "Waited 40 minutes past my appointment, the receptionist was rude.",
        "Parking was a nightmare but the cleaning was great.",
        "My son was nervous about his shots but the nurse was so patient with him.",
        "",
    ],
)
def test_ordinary_reviews_are_not_flagged(scorer, text):
    result = scorer.score([text], clinic_name=RIVERSIDE, facts=FACTS, clinic_key="riverside")[0]
    assert _mis(result) is None


def test_flags_run_on_every_text_without_a_topic_word(scorer):
    # no vaccine / COVID word at all: the old gate would never have looked at it
    text = "Riverside Family Dental reuses needles"
    result = scorer.score([text], clinic_name=RIVERSIDE, facts=FACTS, clinic_key="riverside")[0]
    assert not any(t["name"] == "vaccines_misinformation" for t in result.topics)
    flag = _mis(result)
    assert flag is not None
    assert flag["contradicts"]["slug"] in ("single-use-needles", "needles-reused")


def test_fact_embeddings_are_cached_per_clinic_and_refreshed_when_the_sheet_changes(scorer):
    model = scorer.misinformation
    calls = []

    def encode(texts):
        calls.append(list(texts))
        return scorer.encoder.encode(texts)

    first = model.references(FACTS, encode, key="clinic_cache_test")
    again = model.references(list(FACTS), encode, key="clinic_cache_test")
    assert again is first and len(calls) == 1
    # another clinic with the same sheet has its own entry
    other = model.references(FACTS, encode, key="clinic_cache_other")
    assert other is not first and len(calls) == 2
    # an edited statement is re-encoded
    edited = [FACTS[0], FactRef("parking", "Parking is free on Sundays only.", "Parking")]
    changed = model.references(edited, encode, key="clinic_cache_test")
    assert changed is not first and len(calls) == 3
    assert changed.slugs[:2] == ["single-use-needles", "parking"]
    # the same statement, encoded in another batch (int8 activations are quantised per batch)
    assert float(changed.match_vecs[0] @ first.match_vecs[0]) > 0.95
    # a fact without a statement is no reference
    blank = model.references([FactRef("empty", "  ", "Empty")], encode, key="clinic_cache_test")
    assert blank.kinds.count("fact") == 0


def test_claim_span_is_the_sentence_nearest_the_contradicted_fact():
    text = "Went there last week. They reuse needles on kids! Parking was fine."
    words = content_words("Every needle is single-use and sealed")
    assert claim_span(text, words) == "They reuse needles on kids!"
    assert claim_span(text) == "Went there last week."
    assert claim_span("x " * 400).endswith("…")


def test_the_myth_library_is_complete():
    myths = json.loads(MYTHS_FILE.read_text(encoding="utf-8"))
    assert 60 <= len(myths) <= 150
    assert len({m["slug"] for m in myths}) == len(myths)
    for m in myths:
        assert m["myth"].strip() and m["correction"].strip() and m["source"].strip()
        assert m["source_url"].startswith("https://")
    topics = {m["topic"] for m in myths}
    assert {
        "vaccines", "sterilisation", "expired_drugs", "fluoride", "antibiotics", "dental",
        "medical", "licences",
    } <= topics  # fmt: skip


def test_the_indexed_word_overlap_is_exactly_the_pairwise_one():
    from scoring.ml.claims import content_words, overlap_matrix, word_overlap

    texts = [
        "They reuse needles at Riverside, my cousin saw it",
        "Expired vaccines given to children!!",
        "",
        "needles needle needled sterilised sterilized autoclave",
    ]
    refs = [
        "Every needle we use is single-use and sealed.",
        "Vaccines are checked for expiry every morning.",
        "",
        "Instruments are sterilized in an autoclave after each patient.",
    ]
    tw, rw = [content_words(t) for t in texts], [content_words(r) for r in refs]
    expected = np.array([[word_overlap(a, b) for b in rw] for a in tw], dtype=np.float32)
    got = overlap_matrix(tw, rw)
    assert got.dtype == np.float32 and np.array_equal(got, expected)
    assert got[0, 0] > 0 and got[1, 1] > 0 and not got[2].any() and not got[:, 2].any()


# ---------------------------------------------------------------- the claim judge


def _judge_calls(scorer, monkeypatch):
    judge = scorer.misinformation.judge
    calls = []
    probabilities = judge.probabilities

    def spy(statements, texts):
        calls.append((list(statements), list(texts)))
        return probabilities(statements, texts)

    monkeypatch.setattr(judge, "probabilities", spy)
    return calls


def test_a_true_claim_defending_the_clinic_is_not_flagged(scorer):
    """The same subject and words as the rumour, but it agrees with the fact sheet."""
    text = (
        "People saying Riverside Family Dental reuses needles are wrong. The hygienist opened "
        "a brand new sealed syringe right in front of me and binned it after."
    )
    rumour = "Riverside Family Dental reuses needles on patients, a friend who works there said"
    defended, denied = scorer.score(
        [text, rumour], clinic_name=RIVERSIDE, facts=FACTS, clinic_key="riverside"
    )
    assert _mis(defended) is None
    flag = _mis(denied)
    assert flag is not None and flag["contradicts"]["slug"] == "single-use-needles"


def test_the_judge_reads_a_claim_against_its_nearest_facts_and_myth(scorer, monkeypatch):
    from scoring.ml.judge import JUDGED_FACTS, JUDGED_MYTHS

    calls = _judge_calls(scorer, monkeypatch)
    text = "Riverside Family Dental keeps its vaccines in a broken fridge and gives expired shots"
    scorer.score([text], clinic_name=RIVERSIDE, facts=FACTS, clinic_key="riverside")
    [(statements, texts)] = calls
    assert texts == [text] * len(statements)
    fact_statements = {f.statement for f in FACTS}
    judged_facts = [s for s in statements if s in fact_statements]
    assert len(judged_facts) == min(JUDGED_FACTS, len(FACTS))
    assert len(statements) - len(judged_facts) == JUDGED_MYTHS
    assert judged_facts[0] == FACTS[1].statement  # the nearest fact first


def test_the_judge_is_not_asked_about_texts_that_state_no_claim(scorer, monkeypatch):
    calls = _judge_calls(scorer, monkeypatch)
    scorer.score(
        ["Dr Patel was lovely and explained everything, five stars.", "Rude receptionist."],
        clinic_name=RIVERSIDE,
        facts=FACTS,
        clinic_key="riverside",
    )
    assert calls == []


def _refused_refitted_then_missing(tmp_path, part: str, module, error) -> str:
    """A copy of the shipped artifacts whose `part` (a fine-tuned encoder's folder) holds another
    encoder, then none: its own loader and the scorer refuse both, naming the fix. Returns the
    copy's folder, `part` removed."""
    import shutil

    from scoring.ml.engine import ARTIFACTS, ModelLoadError

    folder = tmp_path / "artifacts"
    shutil.copytree(ARTIFACTS, folder)
    onnx = folder / part / "encoder_int8.onnx"
    onnx.write_bytes(onnx.read_bytes() + b"\0")
    with pytest.raises(error, match="fitted on another encoder"):
        module.load(folder / part)
    with pytest.raises(ModelLoadError, match="fitted on another encoder"):
        load_scorer(ScorerConfig(model="default", artifacts_dir=str(folder)))
    shutil.rmtree(folder / part)
    with pytest.raises(ModelLoadError, match=f"{part}_train"):
        load_scorer(ScorerConfig(model="default", artifacts_dir=str(folder)))
    return str(folder)


def test_a_judge_fitted_on_another_encoder_or_missing_is_refused(tmp_path):
    from scoring.ml import judge

    folder = _refused_refitted_then_missing(tmp_path, "judge", judge, judge.JudgeLoadError)
    # without misinformation the judge is not needed
    assert load_scorer(
        ScorerConfig(model="default", artifacts_dir=folder, misinformation=False)
    ).score(["fine"])


# ---------------------------------------------------------------- a wrong detail (details.py)

HOURS_FACTS = [
    *FACTS,
    FactRef(
        "hours",
        "We are open Monday to Thursday 8am-6pm, Friday 8am-2pm and Saturday 9am-1pm. "
        "We are closed on Sundays.",
        "Opening hours",
    ),
    FactRef(
        "prices",
        "A new-patient exam with X-rays and cleaning costs $189 without insurance.",
        "Self-pay prices",
    ),
]


def test_a_wrong_price_or_hour_is_flagged_with_what_the_post_and_the_fact_say(scorer):
    texts = [
        "Riverside Family Dental closes at 4 every weekday now, ridiculous for people who work",
        "Riverside Dental charges $350 for a new patient cleaning and x-rays if you're uninsured",
    ]
    results = scorer.score(texts, clinic_name=RIVERSIDE, facts=HOURS_FACTS, clinic_key="rfd-h")
    for result, slug, kind, post in zip(
        results, ("hours", "prices"), ("time", "price"), ("closes at 4", "$350"), strict=True
    ):
        flag = _mis(result)
        assert flag is not None, result.text
        contradicts = flag["contradicts"]
        assert (contradicts["kind"], contradicts["slug"]) == ("fact", slug)
        assert contradicts["detail"]["kind"] == kind
        assert contradicts["detail"]["post"] == post
        assert contradicts["detail"]["fact"]
        json.dumps(result.to_dict())


def test_the_facts_own_hours_and_prices_are_not_flagged(scorer):
    texts = [
        "Riverside Family Dental is open till 6 Mon-Thu and Saturday mornings 9-1, so handy",
        "They don't close at 5 on weekdays, it's 6 Monday to Thursday. Friday is the short day.",
        "Paid $189 for the new patient exam and cleaning at Riverside, no insurance. Fair.",
    ]
    results = scorer.score(texts, clinic_name=RIVERSIDE, facts=HOURS_FACTS, clinic_key="rfd-h")
    assert [_mis(r) for r in results] == [None, None, None]


# ---------------------------------------------------------------- the veracity model


def _veracity_calls(scorer, monkeypatch):
    model = scorer.misinformation.veracity
    calls = []
    probabilities = model.probabilities

    def spy(texts):
        calls.append(list(texts))
        return probabilities(texts)

    monkeypatch.setattr(model, "probabilities", spy)
    return calls


def test_the_veracity_model_reads_only_possible_claims_in_one_batch(scorer, monkeypatch):
    calls = _veracity_calls(scorer, monkeypatch)
    claim = "Drinking hot water every 15 minutes kills the coronavirus in your throat."
    scorer.score(["Dr Patel was lovely and explained everything, five stars.", claim, "Rude."])
    assert calls == [[claim]]


@pytest.mark.parametrize(
    "text",
    [
        "Drinking hot water every 15 minutes kills the coronavirus in your throat.",
        "The flu shot gives you the flu, that's why so many people get sick right after it.",
    ],
)
def test_a_public_health_falsehood_without_a_fact_sheet_is_flagged(scorer, text):
    flag = _mis(scorer.score([text])[0])
    assert flag is not None and flag["probability"] >= 0.5


@pytest.mark.parametrize(
    "text",
    [
        "The CDC recommends that everyone 6 months and older get a flu vaccine every season.",
        "Measles is highly contagious and the MMR vaccine is about 97% effective after two doses.",
    ],
)
def test_a_true_public_health_statement_is_not_flagged(scorer, text):
    assert _mis(scorer.score([text])[0]) is None


def test_the_veracity_model_decides_what_the_judge_leaves_undecided(scorer):
    """A possible claim about a clinic with a fact sheet that no fact settles: the veracity model
    and the heads decide, and the assessment says so."""
    model = scorer.misinformation
    text = "Riverside Family Dental told me antibiotics cure the common cold, so I took them."
    refs = model.references(FACTS, scorer.claim_embeddings, key="riverside")
    [a] = model.assess([text], scorer.claim_embeddings([text]), refs)
    assert "veracity" in a.parts
    if a.parts.get("judge") == "undecided":
        expected = model.veracity.decision(
            a.parts["veracity"],
            a.parts["stack"],
            wording=a.parts["wording"],
            neighbours=a.parts["neighbours"],
        )
        assert a.probability == pytest.approx(expected)
        assert a.flagged == (expected >= 0.5)


def test_the_decision_reads_one_half_at_the_operating_point(scorer):
    v = scorer.misinformation.veracity
    # at the offset the mixed log-odds read exactly 0.5: flagged from there on
    p = 1 / (1 + np.exp(-v.offset))
    assert v.decision(p, p) == pytest.approx(0.5, abs=1e-6)
    assert v.decision(min(p * 1.5, 0.999), p) > 0.5 > v.decision(p / 2, p)


def test_a_veracity_model_fitted_on_another_encoder_or_missing_is_refused(tmp_path):
    from scoring.ml import veracity

    folder = _refused_refitted_then_missing(
        tmp_path, "veracity", veracity, veracity.VeracityLoadError
    )
    # switched off it is not needed, and the version says it is not there
    off = load_scorer(ScorerConfig(model="default", artifacts_dir=folder, veracity=False))
    assert off.misinformation.veracity is None and "veracity" not in off.version


def test_the_decision_mixes_the_wording_model_at_its_share(scorer):
    v = scorer.misinformation.veracity
    assert v.wording is not None and 0 < v.wording_weight < 1 - v.weight + 1e-9
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    got = v.decision(0.7, 0.4, wording=0.9)
    z = v.weight * logit(0.7) + v.wording_weight * logit(0.9)
    z += (1 - v.weight - v.wording_weight) * logit(0.4) - v.offset
    assert got == pytest.approx(1 / (1 + np.exp(-z)))
    # the wording's reading moves the decision, whatever the rest says
    assert v.decision(0.7, 0.4, wording=0.99) > got > v.decision(0.7, 0.4, wording=0.01)
    text = "Drinking hot water every 15 minutes kills the coronavirus in your throat."
    [a] = scorer.misinformation.assess(
        [text], scorer.claim_embeddings([text]), scorer.misinformation.references([], None, "")
    )
    assert a.parts["wording"] == pytest.approx(float(v.wording.probabilities([text])[0]))


def test_a_wording_file_missing_or_not_the_one_calibrated_is_refused(tmp_path):
    import shutil

    from scoring.ml import veracity
    from scoring.ml.engine import ARTIFACTS, ModelLoadError

    folder = tmp_path / "artifacts"
    shutil.copytree(ARTIFACTS, folder)
    wording = folder / "veracity" / "wording.npz"
    wording.write_bytes(wording.read_bytes() + b"\0")
    with pytest.raises(veracity.VeracityLoadError, match="calibrated with another"):
        veracity.load(folder / "veracity")
    with pytest.raises(ModelLoadError, match="veracity_train --wording"):
        load_scorer(ScorerConfig(model="default", artifacts_dir=str(folder)))
    wording.unlink()
    with pytest.raises(veracity.VeracityLoadError, match="wording.npz is missing"):
        veracity.load(folder / "veracity")


def test_the_scorer_version_names_the_veracity_model(scorer):
    from scoring.ml.engine import default_model_version

    assert scorer.misinformation.veracity.version in scorer.version
    assert scorer.version == default_model_version()
