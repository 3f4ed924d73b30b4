"""Token budget (head + tail truncation) and length batching of the ONNX encoder."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.ml.encoder import MAX_CHARS, OnnxEncoder, clip_chars, head_tail, length_batches
from scoring.ml.engine import ARTIFACTS, ScorerConfig, load_scorer


def test_head_tail_keeps_cls_head_tail_and_sep():
    ids = [101, *range(1, 201), 102]  # [CLS] 1..200 [SEP]
    cut = head_tail(ids, 10, 3)
    # [CLS], 10 - 3 - 2 = 5 head tokens, the last 3, [SEP]
    assert cut == [101, 1, 2, 3, 4, 5, 198, 199, 200, 102]


def test_head_tail_without_tail_is_plain_truncation_and_short_texts_are_untouched():
    ids = [101, *range(1, 201), 102]
    assert head_tail(ids, 8, 0) == [101, 1, 2, 3, 4, 5, 6, 102]
    short = [101, 7, 8, 102]
    assert head_tail(short, 8, 3) is short


def test_clip_chars_keeps_both_ends_of_a_huge_text():
    text = "a" * MAX_CHARS + "THE END"
    clipped = clip_chars(text)
    assert len(clipped) <= MAX_CHARS + 1 and clipped.endswith("THE END")
    assert clip_chars("short") == "short"


@pytest.mark.parametrize("batch_size", [1, 4, 8, 32])
def test_length_batches_cover_every_position_once_in_order_and_respect_the_size(batch_size):
    lengths = sorted([5, 5, 6, 7, 9, 12, 12, 13, 30, 31, 31, 64, 120, 128, 128, 128] * 3)
    batches = length_batches(lengths, batch_size)
    assert [p for b in batches for p in b] == list(range(len(lengths)))
    assert all(1 <= len(b) <= batch_size for b in batches)


def test_length_batches_do_not_pad_short_texts_to_long_ones():
    lengths = [6] * 4 + [128] * 4
    assert length_batches(lengths, 8) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_the_tail_of_a_long_review_reaches_the_model():
    """With the shipped budget, a verdict at the end of a long text is read (it was cut off
    when only the first tokens were kept)."""
    scorer = load_scorer(ScorerConfig(model="default"))
    budget = scorer.card["inference_tokens"]
    assert budget["tail_tokens"] > 0
    filler = " ".join(["The clinic is on the high street next to the library."] * 40)
    verdict = " Overall the worst care I have ever had: rude, careless and dangerous. Avoid."
    ids = scorer.encoder.token_ids([filler + verdict])[0]
    assert len(ids) == budget["max_tokens"]
    tail = scorer.encoder.tokenizer.decode(ids[-budget["tail_tokens"] :])
    assert "avoid" in tail.lower() and "dangerous" in tail.lower()
    assert scorer.score([filler + verdict])[0].label == "negative"


def test_encoder_rows_come_back_in_input_order_whatever_the_batch_size():
    enc = OnnxEncoder(ARTIFACTS / "encoder_int8.onnx", ARTIFACTS / "tokenizer.json")
    texts = [
        "Parking was impossible.",
        "The physiotherapist was patient and explained every exercise twice. " * 8,
        "My prescription was lost again by the pharmacy",
        "Thanks!",
        "The waiting room smelled of bleach and the chairs were broken, but the nurse was kind.",
    ]
    alone = np.stack([enc.encode([t])[0] for t in texts])
    for size in (1, 2, 8, 32):
        batched = enc.encode(texts, batch_size=size)
        # int8 activations are quantised per batch, so a text's embedding moves a little with
        # its batch; each row must still be nearest to its own text's
        assert (batched @ alone.T).argmax(axis=1).tolist() == list(range(len(texts)))


@pytest.fixture(scope="module")
def spans_encoder():
    return OnnxEncoder(
        ARTIFACTS / "encoder_int8.onnx",
        ARTIFACTS / "tokenizer.json",
        max_tokens=32,
        tail_tokens=8,
        token_states=True,
    )


def test_encode_spans_gives_encodes_embeddings_and_one_unit_row_per_span(spans_encoder):
    texts = ["The wait was over two hours. Dr Lee is wonderful.", "Thanks!"]
    emb, pooled = spans_encoder.encode_spans(texts, [[(0, 28), (29, 50)], []])
    # the same pass: the review's embedding is exactly what encode() gives
    assert np.array_equal(emb, spans_encoder.encode(texts))
    assert [p.shape for p in pooled] == [(2, spans_encoder.dim), (0, spans_encoder.dim)]
    assert np.allclose(np.linalg.norm(pooled[0], axis=1), 1.0, atol=1e-5)
    # each sentence is read in context: nearer its own sentence read alone than the other's
    alone = spans_encoder.encode(["The wait was over two hours.", "Dr Lee is wonderful."])
    assert (pooled[0] @ alone.T).argmax(axis=1).tolist() == [0, 1]


def test_a_span_the_token_budget_cut_comes_back_as_zeros(spans_encoder):
    middle = "The parking attendant was extremely helpful and polite today."
    text = " ".join(["Filler words about nothing in particular."] * 6 + [middle] + ["End."] * 6)
    start = text.index(middle)
    first = (0, len("Filler words about nothing in particular."))
    _, [rows] = spans_encoder.encode_spans([text], [[first, (start, start + len(middle))]])
    assert rows[0].any()  # the head is kept
    assert not rows[1].any()  # the middle is cut: the caller reads it alone


def test_encode_spans_needs_the_token_states():
    from scoring.ml.encoder import EncoderLoadError

    enc = OnnxEncoder(ARTIFACTS / "encoder_int8.onnx", ARTIFACTS / "tokenizer.json")
    with pytest.raises(EncoderLoadError, match="token_states"):
        enc.encode_spans(["text"], [[(0, 4)]])
