"""The shipped scorer (int8 ONNX MiniLM + head): labels, scores, order, topics and flags."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scoring.ml import claim_gate
from scoring.ml.data import LABELS
from scoring.ml.engine import (
    ARTIFACTS,
    ScorerConfig,
    ScoreResult,
    default_model_version,
    load_scorer,
)
from scoring.ml.topics import rules_version

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scorer():
    return load_scorer(ScorerConfig(model="default"))


NEGATIVE = [
    "Absolutely appalling. Waited four hours, the receptionist was rude and the doctor didn't listen.",
    "Worst GP practice I have ever been to. Nobody calls back and my prescription was lost twice.",
    "The nurse was dismissive and I left in more pain than when I arrived. Never again.",
]
POSITIVE = [
    "Fantastic care from start to finish, the nurses were kind and explained everything.",
    "The paramedics were wonderful, quick and reassuring. Thank you so much.",
    "Brilliant dentist, painless treatment and a lovely friendly team.",
]


def test_clear_reviews_are_labelled_right(scorer):
    results = scorer.score(NEGATIVE + POSITIVE)
    assert [r.label for r in results] == ["negative"] * 3 + ["positive"] * 3
    assert all(r.score < -0.3 for r in results[:3])
    assert all(r.score > 0.3 for r in results[3:])


def test_result_shape_and_ranges(scorer):
    results = scorer.score(["Okay visit.", "", "   ", "x" * 5000, "Great staff " * 300])
    assert len(results) == 5
    for r in results:
        assert isinstance(r, ScoreResult)
        assert r.label in LABELS
        assert -1.0 <= r.score <= 1.0
        assert 0.0 <= r.confidence <= 1.0
        assert r.model_version == scorer.version
        json.dumps(r.to_dict())  # storable as JSON
    assert (
        results[1].label == "neutral" and results[1].score == 0.0 and results[1].confidence == 0.0
    )


def test_sorted_batching_keeps_input_order(scorer):
    texts = [
        "Terrible.",
        "The staff were lovely and the ward was spotless, I could not have asked for better care "
        * 3,
        "Rude receptionist.",
        "Quick and friendly.",
        "I waited six hours in A&E with chest pain and nobody told me anything, awful experience.",
    ]
    batched = scorer.score(texts)
    single = [scorer.score([t])[0] for t in texts]
    for b, s in zip(batched, single, strict=True):
        assert b.label == s.label
        # int8 activations are quantised per batch (dynamic quantisation), so a score can
        # move a little with the batch it is in (measured: mean 0.02, 95th percentile 0.10)
        assert b.score == pytest.approx(s.score, abs=0.2)
        assert b.topics == s.topics and b.flags == s.flags
    # reversed input -> reversed output
    again = scorer.score(list(reversed(texts)))
    assert [r.label for r in again] == [r.label for r in reversed(batched)]


def test_topics_and_flags_come_through(scorer):
    result = scorer.score(
        [
            "They gave me the wrong dose of insulin and I ended up in hospital. I have diabetes and "
            "I am speaking to my solicitor. Waited two hours for the appointment."
        ]
    )[0]
    topics = {t["name"]: t["triggers"] for t in result.topics}
    assert "two hours" in topics["wait_time"]
    flags = {f["name"]: f for f in result.flags}
    assert {"patient_safety", "legal_threat", "self_disclosed_health"} <= set(flags)
    assert any("wrong dose" in e for e in flags["patient_safety"]["evidence"])
    assert result.label == "negative"


def test_version_matches_model_card(scorer):
    card = json.loads((ARTIFACTS / "model_card.json").read_text())
    heads = json.loads((ARTIFACTS / "misinformation_card.json").read_text())
    topics = json.loads((ARTIFACTS / "topic_card.json").read_text())
    judge = json.loads((ARTIFACTS / "judge" / "card.json").read_text())
    veracity = json.loads((ARTIFACTS / "veracity" / "card.json").read_text())
    assert (
        scorer.version
        == f"{card['version']}/{heads['version']}+{claim_gate.version()}/{judge['version']}/"
        f"{veracity['version']}/{topics['version']}/{rules_version()}" == default_model_version()
    )
    assert heads["encoder"] == card["version"] == topics["encoder"]


def test_artifacts_are_small_enough():
    assert (ARTIFACTS / "encoder_int8.onnx").stat().st_size <= 30 * 1024 * 1024
    assert (ARTIFACTS / "head.npz").stat().st_size < 100_000


def test_inference_path_imports_no_torch():
    code = (
        "import sys\n"
        "from scoring.ml.engine import ScorerConfig, load_scorer\n"
        "s = load_scorer(ScorerConfig())\n"
        "s.score(['The vaccine nurse was kind', 'Rude staff'])\n"
        "bad = [m for m in ('torch', 'transformers', 'sklearn', 'django') if m in sys.modules]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
