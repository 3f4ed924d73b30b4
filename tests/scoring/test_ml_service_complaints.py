"""The evidence gate (claim_gate): service complaints and opinions are not misinformation; real
false claims, with their evidence, still are. Loads the real model, as test_ml_claims does."""

from __future__ import annotations

import pytest

from scoring.ml import claim_gate
from scoring.ml.claims import FactRef, content_words
from scoring.ml.engine import ScorerConfig, default_model_version, load_scorer


@pytest.fixture(scope="module")
def scorer():
    return load_scorer(ScorerConfig(model="default"))


def _mis(result):
    return next((f for f in result.flags if f["name"] == "misinformation"), None)


# the tester's three texts: flagged at 0.80 with no reference, 0.86, and citing the myth "Dental
# hygienists have no medical training" at similarity 0.60
WALKER = [
    ("Harbor PT front desk never picks up the phone.", "Harbor PT"),
    ("Harbor PT never picks up the phone.", "Harbor PT"),
    ("Smith Dental front desk never picks up the phone.", "Smith Dental"),
]


@pytest.mark.parametrize("text,clinic", WALKER)
def test_a_phone_complaint_is_not_misinformation(scorer, text, clinic):
    # with the clinic's name, as the worker scores it, and without
    assert _mis(scorer.score([text], clinic_name=clinic)[0]) is None
    assert _mis(scorer.score([text])[0]) is None


@pytest.mark.parametrize(
    "text",
    [
        "They never call back.",
        "Doctor does NOT return phone calls.",
        "The billing office charged me twice for the same visit.",
        "The receptionist was rude to me.",
        "I waited two hours past my appointment.",
        "Parking is impossible.",
        "They cancelled my appointment three times.",
        "Dr. Lee has terrible bedside manner and never listens.",
        "The front desk girl is a lying gossiper.",
    ],
)
def test_service_complaints_and_opinions_are_not_misinformation(scorer, text):
    assert _mis(scorer.score([text])[0]) is None


def test_a_false_claim_about_the_clinic_stays_flagged_citing_its_myth(scorer):
    text = "Riverside Family Dental reuses needles on patients."
    flag = _mis(scorer.score([text], clinic_name="Riverside Family Dental")[0])
    assert flag is not None and flag["probability"] >= 0.5
    assert flag["contradicts"]["kind"] == "myth"
    assert flag["contradicts"]["slug"] == "needles-reused"


def test_a_false_claim_in_a_complaint_stays_flagged(scorer):
    """A service word does not clear a text that names a matter."""
    text = "The receptionist admitted they reuse needles on patients to save money."
    assert claim_gate.SERVICE.search(text) and claim_gate.MATTER.search(text)
    assert _mis(scorer.score([text], clinic_name="Riverside Family Dental")[0]) is not None


@pytest.mark.parametrize(
    "text",
    [
        # the COVID rumour set's training side (data.load_covid_rumor(..., "train")), label F:
        # flagged by the veracity model with no reference, before the gate and after it
        "Bodies packed in body bags are being dumped in mass graves in Italy and Spain",
        # CONSTRAINT train, label fake
        "Priyanka Gandhi has started buses to help migrants travel during the COVID-19 lockdown.",
    ],
)
def test_a_covid_rumour_without_a_reference_stays_flagged(scorer, text):
    flag = _mis(scorer.score([text])[0])
    assert flag is not None and flag["contradicts"] is None


def test_a_fact_the_judge_contradicts_is_never_gated(scorer):
    """A complaint about the phones that contradicts the clinic's own fact is a false claim
    with its evidence: the judge's or the detail rules' decision stands."""
    facts = [FactRef("hours", "We are open Monday to Friday 8am-6pm.", "Opening hours")]
    text = "Harbor PT closes at 3pm every weekday and nobody picks up the phone after that."
    flag = _mis(scorer.score([text], clinic_name="Harbor PT", facts=facts, clinic_key="harbor")[0])
    assert flag is not None and flag["contradicts"]["slug"] == "hours"


def test_the_gate_says_why_in_the_assessment(scorer):
    model = scorer.misinformation
    refs = model.references([], scorer.claim_embeddings, key="")
    texts = ["Harbor PT never picks up the phone.", "They never call back."]
    got = model.assess(texts, scorer.claim_embeddings(texts), refs)
    assert [a.flagged for a in got] == [False, False]
    assert {a.parts.get("gate") for a in got} <= {"service_complaint", "below_claim_gate"}
    for a in got:
        if "gate" in a.parts:
            assert a.probability < 0.5 <= a.parts["gated_probability"]


def test_a_citation_needs_a_specific_word_in_common():
    ref = content_words("Dental hygienists have no medical training. Dental hygienists complete")
    assert not claim_gate.supported(content_words("front desk never picks up"), ref, near=True)
    # "dental" is generic: it does not make the hygienist myth the complaint's evidence
    assert not claim_gate.supported(content_words("dental front desk phone"), ref, near=True)
    assert claim_gate.supported(content_words("the hygienists had no training"), ref, near=True)
    assert not claim_gate.supported(content_words("the hygienists had no training"), ref, False)


def test_the_gate_is_part_of_the_model_version(scorer, monkeypatch):
    assert claim_gate.version() in scorer.misinformation.version
    assert claim_gate.version() in scorer.version
    assert scorer.version == default_model_version()
    before = claim_gate.version()
    claim_gate.version.cache_clear()
    monkeypatch.setitem(claim_gate.PATTERNS, "claim_at", 0.5)
    try:
        assert claim_gate.version() != before
    finally:
        claim_gate.version.cache_clear()
