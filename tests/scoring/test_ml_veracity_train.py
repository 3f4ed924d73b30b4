"""The veracity model's training tools (scoring/ml/veracity_train.py): the packed weights that
travel to a GPU machine come back as the same model, and the operating point holds every
false-flag budget on its calibration rows."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.ml import veracity_train as VT


def test_packed_weights_unpack_to_the_same_model(tmp_path):
    torch = pytest.importorskip("torch")
    from transformers import AutoModel, AutoTokenizer

    from scoring.ml.export import base_model_dir

    texts = ["They reuse needles at this clinic.", "Vaccines are stored at 2-8 °C."]
    VT.pack(base_model_dir(), texts, tmp_path)
    # without the package's copy: the rows the texts use are there, the others zero
    sparse = AutoModel.from_pretrained(str(VT.unpack(tmp_path / "packed.pt", tmp_path / "base")))
    # with it: every row as the package has it
    full = AutoModel.from_pretrained(
        str(
            VT.unpack(
                tmp_path / "packed.pt",
                tmp_path / "base",
                tmp_path / "full",
                fill_from=base_model_dir(),
            )
        )
    )
    base = AutoModel.from_pretrained(str(base_model_dir()))
    tok = AutoTokenizer.from_pretrained(str(base_model_dir()))
    batch = tok(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        want = base(**batch).last_hidden_state
        for model in (sparse, full):
            got = model(**batch).last_hidden_state
            assert torch.allclose(got, want, atol=2e-2)  # float16 on the way
    key = "embeddings.word_embeddings.weight"
    unused = tok.convert_tokens_to_ids("zebra")
    assert float(sparse.state_dict()[key][unused].abs().sum()) == 0.0
    assert torch.equal(full.state_dict()[key][unused], base.state_dict()[key][unused])
    # the trained model packs the same way and comes back in parts of at most CHUNK bytes
    VT.pack_trained(tmp_path / "full", tmp_path / "packed.pt", tmp_path / "trained.pt")
    parts = sorted(tmp_path.glob("trained.pt.*"))
    assert parts and all(p.stat().st_size <= VT.CHUNK for p in parts)
    joined = VT.join_trained(tmp_path / "trained.pt", tmp_path)
    assert joined.stat().st_size == sum(p.stat().st_size for p in parts)


def _signals(n=400, seed=3):
    """Calibration rows of every kind: false claims score high, true ones low, with overlap."""
    rnd = np.random.default_rng(seed)
    kinds, y = [], []
    for kind, positives in (("covid", 0.5), ("rumor", 0.6), ("review", 0.0),
                            ("clinic_false", 1.0), ("clinic_true", 0.0),
                            ("clinic_opinion", 0.0)):  # fmt: skip
        labels = (rnd.random(n) < positives).astype(int)
        kinds += [kind] * n
        y += list(labels)
    y = np.array(y)
    v = np.clip(rnd.normal(0.25 + 0.5 * y, 0.2), 0.001, 0.999)
    heads = np.clip(rnd.normal(0.3 + 0.4 * y, 0.25), 0.001, 0.999)
    return {
        "kinds": np.array(kinds),
        "y": y,
        "claim": np.ones(len(y)),
        "gate": 0.28,
        "decided": np.zeros(len(y)),
        "flag": heads >= 0.5,
        "heads": heads,
        "v": v,
    }


def test_the_operating_point_holds_every_budget_and_keeps_the_best_worst_recall():
    sig = _signals()
    decision = VT.choose(sig)
    chosen = decision["chosen"]
    for rate, budget in VT.BUDGETS.items():
        assert chosen[rate] <= budget
    assert chosen["worst_recall"] == max(t["worst_recall"] for t in decision["tried"].values())
    # the rates it reports are the ones its weight and offset give
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    mix = chosen["weight"] * logit(sig["v"]) + (1 - chosen["weight"]) * logit(sig["heads"])
    flagged = mix >= chosen["offset"]
    rumours = (sig["kinds"] == "rumor") & (sig["y"] == 0)
    assert round(float(flagged[rumours].mean()), 4) == chosen["rumor_real"]


def test_with_the_wording_model_each_pair_of_shares_is_tried_and_the_rates_are_its_own():
    sig = _signals()
    rnd = np.random.default_rng(5)
    # a reading that tells false from true better than the other two: it earns a share
    sig["wording"] = np.clip(rnd.normal(0.2 + 0.6 * sig["y"], 0.1), 0.001, 0.999)
    decision = VT.choose(sig)
    chosen = decision["chosen"]
    assert chosen["wording_weight"] > 0
    assert len(decision["tried"]) == sum(
        1 for w in VT.MIX_WEIGHTS for s in VT.WORDING_WEIGHTS if w + s <= 1 + 1e-9
    )
    for rate, budget in VT.BUDGETS.items():
        assert chosen[rate] <= budget
    best = max((t["worst_recall"], t["clinic_recall"]) for t in decision["tried"].values())
    assert (chosen["worst_recall"], chosen["clinic_recall"]) == best
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    w, s = chosen["weight"], chosen["wording_weight"]
    mix = w * logit(sig["v"]) + s * logit(sig["wording"]) + (1 - w - s) * logit(sig["heads"])
    flagged = mix >= chosen["offset"]
    rumours = (sig["kinds"] == "rumor") & (sig["y"] == 0)
    assert round(float(flagged[rumours].mean()), 4) == chosen["rumor_real"]
    # without it only the encoder's weight is chosen, as before
    del sig["wording"]
    assert VT.choose(sig)["chosen"]["wording_weight"] == 0.0


def test_texts_the_judge_decided_keep_its_decision():
    sig = _signals()
    sig["decided"][:] = 1
    sig["flag"] = (sig["y"] == 1) & (np.arange(len(sig["y"])) % 2 == 0)  # the judge's word
    decision = VT.choose(sig)
    # nothing is left to decide: every rate is the judge's, whatever the weight and offset
    assert decision["chosen"]["covid_recall"] == decision["shipped_heads"]["covid_recall"]
    assert {t["covid_recall"] for t in decision["tried"].values()} == {
        decision["shipped_heads"]["covid_recall"]
    }


def test_auc_counts_ties_as_half_and_is_nan_without_both_classes():
    y = np.array([1, 0, 1, 0])
    assert VT.auc(np.array([0.9, 0.1, 0.8, 0.2]), y) == 1.0
    # every score tied: no ordering information, 0.5 (not 0 or 1 by sort order)
    assert VT.auc(np.full(4, 0.5), y) == 0.5
    assert VT.auc(np.array([0.9, 0.4, 0.4, 0.1]), np.array([1, 1, 0, 0])) == 0.875
    assert np.isnan(VT.auc(np.array([0.3, 0.7]), np.array([1, 1])))
