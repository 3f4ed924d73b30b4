"""Bring-your-own sequence-classification models: clear errors, label mapping, a tiny local model."""

from __future__ import annotations

import pytest

from scoring.ml.engine import ModelLoadError, ScorerConfig, load_scorer, map_labels
from scoring.ml.topics import rules_version


def test_missing_folder_gives_clear_error(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelLoadError) as err:
        load_scorer(ScorerConfig(model=str(missing)))
    message = str(err.value)
    assert str(missing) in message
    assert "does not exist" in message
    assert "Fix:" in message


def test_folder_without_config_gives_clear_error(tmp_path):
    (tmp_path / "weights.bin").write_bytes(b"not a model")
    with pytest.raises(ModelLoadError) as err:
        load_scorer(ScorerConfig(model=str(tmp_path)))
    assert "no config.json" in str(err.value)
    assert "save_pretrained" in str(err.value)


def test_uncached_hub_id_gives_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    with pytest.raises(ModelLoadError) as err:
        load_scorer(ScorerConfig(model="carewatch-test/definitely-not-cached"))
    message = str(err.value)
    assert "carewatch-test/definitely-not-cached" in message
    assert "HF_HUB_OFFLINE" in message


@pytest.mark.parametrize(
    ("id2label", "expected"),
    [
        ({0: "NEGATIVE", 1: "POSITIVE"}, ["negative", "positive"]),
        ({0: "negative", 1: "neutral", 2: "positive"}, ["negative", "neutral", "positive"]),
        ({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, ["negative", "neutral", "positive"]),
        ({0: "LABEL_0", 1: "LABEL_1"}, ["negative", "positive"]),
        (
            {0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"},
            ["negative", "negative", "neutral", "positive", "positive"],
        ),
        ({"0": "Neg", "1": "Mixed", "2": "Pos"}, ["negative", "neutral", "positive"]),
    ],
)
def test_label_mapping_rules(id2label, expected):
    assert map_labels(id2label) == expected


def test_unmappable_labels_raise_and_override_fixes():
    labels = {0: "joy", 1: "anger"}
    with pytest.raises(ModelLoadError) as err:
        map_labels(labels)
    assert "label_map" in str(err.value) and "'joy'" in str(err.value)
    assert map_labels(labels, {"joy": "positive", "anger": "negative"}) == ["positive", "negative"]


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    """A tiny randomly initialised BERT classifier with its own tokenizer, saved locally."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    folder = tmp_path_factory.mktemp("tiny-byo")
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + (
        [
            "the",
            "nurse",
            "was",
            "kind",
            "rude",
            "great",
            "awful",
            "wait",
            "long",
            "short",
            "doctor",
            "staff",
            "good",
            "bad",
            "very",
        ]
    )
    (folder / "vocab.txt").write_text("\n".join(words) + "\n")
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(folder / "vocab.txt"))
    config = transformers.BertConfig(
        vocab_size=len(words),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        id2label={0: "negative", 1: "neutral", 2: "positive"},
        label2id={"negative": 0, "neutral": 1, "positive": 2},
    )
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_tiny_local_model_scores(tiny_model_dir):
    scorer = load_scorer(ScorerConfig(model=str(tiny_model_dir), max_tokens=32))
    # misinformation reads the shipped encoder's embeddings (and its judge and veracity
    # model), whatever the sentiment model
    assert scorer.version == (
        f"byo:{tiny_model_dir}/{scorer.misinformation.version}/"
        f"{scorer.misinformation.judge.version}/{scorer.misinformation.veracity.version}/"
        f"{rules_version()}"
    )
    texts = ["the nurse was very kind", "awful long wait and rude staff " * 20, ""]
    results = scorer.score(texts)
    assert len(results) == 3
    for r in results:
        assert r.label in ("negative", "neutral", "positive")
        assert -1.0 <= r.score <= 1.0
        assert r.model_version == scorer.version
    assert results[2].label == "neutral" and results[2].confidence == 0.0
    # topics and flags work with any model
    assert any(t["name"] == "wait_time" for t in results[1].topics)
    probs = scorer.sentiment(texts[:2])
    assert probs.shape == (2, 3)
    assert probs.sum(axis=1) == pytest.approx([1.0, 1.0])
