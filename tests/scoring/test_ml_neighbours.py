"""The veracity model's third reading (veracity 1.2.0): the nearest training texts vote
(scoring/ml/neighbours.py), mixed into the decision at the share chosen on calibration rows
(veracity_train.add_neighbours, kept only by the rule set before its first run)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from scoring.ml import neighbours as N
from scoring.ml import veracity as V
from scoring.ml import veracity_train as VT
from scoring.ml.head import logit
from tests.scoring.test_ml_veracity_train import _signals

MYTHS = json.loads((Path(V.__file__).parent / "myths.json").read_text(encoding="utf-8"))


def test_the_nearest_texts_vote_by_similarity_and_no_vote_is_certain():
    labels = np.array([1.0, 0.0, 0.0, 1.0])
    sims = np.array(
        [
            [0.95, 0.20, 0.10, 0.90],  # both near texts are false claims
            [0.10, 0.92, 0.91, 0.15],  # both near texts are not
            [0.80, 0.80, 0.10, 0.10],  # one of each, as near: a tie
        ]
    )
    p = N.vote(sims, labels, k=2)
    assert p[0] == pytest.approx(1 - N.CLIP) and p[1] == pytest.approx(N.CLIP)
    assert p[2] == pytest.approx(0.5)
    # the nearer neighbour weighs more: 0.9 against 0.7 at temperature 20 is e^4 to 1
    p = N.vote(np.array([[0.9, 0.7, 0.0, 0.0]]), labels, k=2)[0]
    assert p == pytest.approx(np.exp(4) / (np.exp(4) + 1), abs=1e-6)
    # more neighbours asked for than there are texts: all of them
    assert N.vote(np.array([[0.5, 0.5]]), np.array([1.0, 0.0]), k=10)[0] == pytest.approx(0.5)


def test_int8_vectors_keep_the_cosine():
    rnd = np.random.default_rng(3)
    v = rnd.normal(size=(50, 384)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    q = N.quantise(v).astype(np.float32) / 127.0
    assert q.dtype == np.float32 and np.abs(v @ v.T - v @ q.T).max() < 0.01


@pytest.fixture(scope="module")
def veracity():
    return V.load()


def test_the_shipped_reading_knows_the_texts_it_learned_from(veracity):
    """A myth of the library is a false claim it learned; its correction is not one. Their
    nearest training texts are themselves, so the vote follows their labels."""
    assert veracity.neighbours is not None and veracity.neighbours_weight > 0
    assert veracity.neighbours.vecs.shape[1] == 384
    myths = [m["myth"] for m in MYTHS[:12]]
    corrections = [m["correction"] for m in MYTHS[:12]]
    p = veracity.neighbours_probabilities(myths + corrections)
    assert (p[:12] > 0.5).mean() >= 0.9 and (p[12:] < 0.5).mean() >= 0.9
    assert veracity.neighbours_probabilities([]) is not None


def test_the_decision_mixes_the_nearest_texts_at_their_share(veracity):
    v = veracity
    total = v.weight + v.wording_weight + v.neighbours_weight
    assert total <= 1 + 1e-9
    got = v.decision(0.7, 0.4, wording=0.9, neighbours=0.8)
    z = v.weight * logit(0.7) + v.wording_weight * logit(0.9) + v.neighbours_weight * logit(0.8)
    z += (1 - total) * logit(0.4) - v.offset
    assert got == pytest.approx(1 / (1 + np.exp(-z)), abs=1e-6)
    assert (
        v.decision(0.7, 0.4, wording=0.9, neighbours=0.99)
        > got
        > v.decision(0.7, 0.4, wording=0.9, neighbours=0.01)
    )


def test_neighbours_not_the_ones_calibrated_are_refused(tmp_path):
    folder = tmp_path / "veracity"
    shutil.copytree(V.VERACITY_DIR, folder)
    vectors = folder / N.NEIGHBOURS_DIR / N.NEIGHBOURS_FILE
    vectors.write_bytes(vectors.read_bytes() + b"\0")
    with pytest.raises(V.VeracityLoadError, match="calibrated with other neighbours"):
        V.load(folder)
    vectors.unlink()
    with pytest.raises(V.VeracityLoadError, match="veracity_train --neighbours"):
        V.load(folder)


def test_they_are_kept_only_by_the_rule_set_before():
    before = {"worst_recall": 0.80, "clinic_recall": 0.84, "neighbours_weight": 0.0}
    gain = {"worst_recall": 0.812, "clinic_recall": 0.84, "neighbours_weight": 0.1}
    assert VT.neighbours_kept(gain, before)
    assert not VT.neighbours_kept({**gain, "worst_recall": 0.805}, before)  # under 0.01
    assert not VT.neighbours_kept({**gain, "clinic_recall": 0.83}, before)  # clinics lose
    assert not VT.neighbours_kept({**gain, "neighbours_weight": 0.0}, before)
    assert not VT.neighbours_kept(None, before)


def test_each_share_of_the_nearest_texts_is_tried_with_the_others():
    sig = _signals()
    rnd = np.random.default_rng(11)
    sig["wording"] = np.clip(rnd.normal(0.3 + 0.4 * sig["y"], 0.25), 0.001, 0.999)
    # the best reading of all: it earns a share
    sig["neighbours"] = np.clip(rnd.normal(0.2 + 0.6 * sig["y"], 0.1), 0.001, 0.999)
    decision = VT.choose(sig)
    shares = [
        (w, s, o)
        for w in VT.MIX_WEIGHTS
        for s in VT.WORDING_WEIGHTS
        for o in VT.NEIGHBOURS_WEIGHTS
        if w + s + o <= 1 + 1e-9
    ]
    assert sorted(decision["tried"]) == sorted(f"{w}/{s}/{o}" for w, s, o in shares)
    chosen = decision["chosen"]
    assert chosen["neighbours_weight"] > 0
    for rate, budget in VT.BUDGETS.items():
        assert chosen[rate] <= budget
    # its rates are its own shares'
    w, s, o = chosen["weight"], chosen["wording_weight"], chosen["neighbours_weight"]
    mix = w * logit(sig["v"]) + s * logit(sig["wording"]) + o * logit(sig["neighbours"])
    flagged = (mix + (1 - w - s - o) * logit(sig["heads"])) >= chosen["offset"]
    rumours = (sig["kinds"] == "rumor") & (sig["y"] == 0)
    assert round(float(flagged[rumours].mean()), 4) == chosen["rumor_real"]


def test_a_text_whose_decision_the_vote_cannot_change_is_not_asked(veracity):
    """Where the encoder and the wording model read a text far from the offset, the vote's
    clipped term cannot move it across: the flag is the same whatever the vote says, so it is
    read with a neutral one (claims.veracity_of asks the vote only where it matters)."""
    v = veracity
    grid = np.linspace(0.001, 0.999, 41)
    asked = flipped = 0
    for p_false in grid:
        for wording in grid:
            flags = {
                v.decision(p_false, 0.5, wording, near) >= 0.5 for near in (N.CLIP, 0.5, 1 - N.CLIP)
            }
            if v.neighbours_matter(float(p_false), float(wording)):
                asked += 1
                flipped += len(flags) > 1
            else:
                assert len(flags) == 1, (p_false, wording)
    # it is asked where it can decide, and only around the offset
    assert flipped > 0 and asked < len(grid) ** 2 / 4
