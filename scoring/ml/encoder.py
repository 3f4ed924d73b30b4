"""The default sentence encoder at inference time: all-MiniLM-L6-v2 as an int8 ONNX file run by
ONNX Runtime on one thread, with the `tokenizers` fast tokenizer. Imports onnxruntime,
tokenizers and numpy only (never torch or transformers).

Texts are tokenised once, sorted by length and run in batches padded only to the longest text
of the batch (dynamic padding); results come back in input order.

Truncation keeps the head and the tail of a long text (`head_tail`): the first
max_tokens - tail_tokens tokens and the last tail_tokens ([CLS]/[SEP] included), because a
long review often ends with its verdict. Training (train.py) uses the same function.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

DEFAULT_MAX_TOKENS = 128
DEFAULT_TAIL_TOKENS = 0
DEFAULT_BATCH_SIZE = 8  # small batches beat large ones on one CPU thread (bench/sentiment)
# Longer texts are cut to their first and last MAX_CHARS // 2 characters before tokenising
# (far more than any token budget needs; keeps tokenising a pathological input cheap).
MAX_CHARS = 20_000


def _cut(n: int, max_tokens: int, tail_tokens: int) -> tuple[int, int] | None:
    """(end of the head, start of the tail) when n tokens exceed max_tokens, else None."""
    if n <= max_tokens:
        return None
    tail_tokens = max(0, min(int(tail_tokens), max_tokens - 3))
    head = max_tokens - tail_tokens - 1  # [CLS] + head tokens
    return head, n - tail_tokens - 1


def head_tail(ids: list[int], max_tokens: int, tail_tokens: int = 0) -> list[int]:
    """Cut one encoding ([CLS] ... [SEP]) to max_tokens: [CLS] + the first tokens + the last
    tail_tokens + [SEP]. tail_tokens=0 is the usual first-max_tokens truncation."""
    cut = _cut(len(ids), max_tokens, tail_tokens)
    return ids if cut is None else ids[: cut[0]] + ids[cut[1] :]


def clip_chars(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    return text[: MAX_CHARS // 2] + " " + text[-MAX_CHARS // 2 :]


def tokenize(tokenizer, texts: Sequence[str], max_tokens: int, tail_tokens: int = 0):
    """Token ids of each text (a `tokenizers.Tokenizer` with truncation and padding off)."""
    encs = tokenizer.encode_batch([clip_chars(t) for t in texts])
    return [head_tail(enc.ids, max_tokens, tail_tokens) for enc in encs]


def _cut_rows(rows: np.ndarray, max_tokens: int, tail_tokens: int = 0) -> np.ndarray:
    """`head_tail` for the rows of an array (one row per token)."""
    cut = _cut(len(rows), max_tokens, tail_tokens)
    return rows if cut is None else np.concatenate([rows[: cut[0]], rows[cut[1] :]])


def tokenize_with_offsets(tokenizer, texts: Sequence[str], max_tokens: int, tail_tokens: int = 0):
    """(ids, offsets, total) of each text: the ids as `tokenize` cuts them, the character span
    of each kept token in the text ([n, 2]; (0, 0) for [CLS]/[SEP], and for the tail of a text
    longer than MAX_CHARS, whose characters moved when it was clipped) and the untruncated
    encoding's offsets (to tell how much of a span the cut kept)."""
    out = []
    for text, enc in zip(
        texts, tokenizer.encode_batch([clip_chars(t) for t in texts]), strict=True
    ):
        offsets = np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
        if len(text) > MAX_CHARS:  # only the head's offsets still point into `text`
            offsets[offsets[:, 1] > MAX_CHARS // 2] = 0
        offsets[0] = offsets[-1] = 0
        ids = head_tail(enc.ids, max_tokens, tail_tokens)
        out.append((ids, _cut_rows(offsets, max_tokens, tail_tokens), offsets))
    return out


SPAN_MIN_KEPT = 0.5  # a span is read in context when the cut kept at least half of its tokens


def span_tokens(offsets: np.ndarray, span: tuple[int, int]) -> np.ndarray:
    """Positions of the tokens (not [CLS]/[SEP]) that start inside the character span."""
    start, end = span
    a, b = offsets[:, 0], offsets[:, 1]
    return np.flatnonzero((b > a) & (a >= start) & (a < end))


PADDING_SLACK = 0.15  # padding may add 15 % to a batch's real tokens ...
PADDING_PER_ROW = 2  # ... or 2 tokens a row, whichever is more


def length_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Cut positions 0..n-1 of ascending `lengths` into batches of at most batch_size whose
    padding (every row padded to the batch's longest) adds at most PADDING_SLACK of the real
    tokens (or PADDING_PER_ROW a row): a handful of texts sorted by length still wastes little on padding (a task of
    random reviews mixes 10-token and 128-token texts)."""
    batches: list[list[int]] = []
    current: list[int] = []
    real = 0
    for pos, n in enumerate(lengths):
        rows = len(current) + 1
        waste = rows * n - (real + n)
        if current and (
            rows > batch_size or waste > max(PADDING_SLACK * (real + n), PADDING_PER_ROW * rows)
        ):
            batches.append(current)
            current, real = [], 0
        current.append(pos)
        real += n
    if current:
        batches.append(current)
    return batches


def fingerprint(folder: str | Path) -> str:
    """sha256 of an exported encoder folder's ``encoder_int8.onnx``: heads fitted on its
    embeddings (the guard's backstop, the claim judge) store it and refuse another file."""
    return hashlib.sha256((Path(folder) / "encoder_int8.onnx").read_bytes()).hexdigest()


class EncoderLoadError(RuntimeError):
    pass


TOKENS_OUTPUT = "tokens"
# `embedding` = Div(pooled, its norm); pooled = Div(ReduceSum(Mul(states, mask)), count)
_POOLING_PATH = ("Div", "Div", "ReduceSum", "Mul")


def pooled_states(graph) -> str | None:
    """The name of the token-states tensor the graph mean-pools into `embedding` (export.py's
    recipe), found by walking back from the output; None for another graph."""
    producer = {out: node for node in graph.node for out in node.output}
    name = "embedding"
    for op in _POOLING_PATH:
        node = producer.get(name)
        if node is None or node.op_type != op or not node.input:
            return None
        name = node.input[0]
    return name if name in producer else None


def with_token_output(onnx_path: Path) -> bytes | None:
    """The graph with the token states it pools as a second output, `tokens` ([batch, seq,
    dim]), for pooling a span of the text (OnnxEncoder.encode_spans). The file is not changed
    (its sha256 pins the guard's backstop) and `embedding` is computed exactly as before. None
    when the graph does not pool that way (another export)."""
    import onnx

    model = onnx.load(str(onnx_path))
    graph = model.graph
    states = pooled_states(graph)
    if states is None:
        return None
    dim = graph.output[0].type.tensor_type.shape.dim[-1].dim_value or 384
    graph.node.append(onnx.helper.make_node("Identity", [states], [TOKENS_OUTPUT]))
    graph.output.append(
        onnx.helper.make_tensor_value_info(
            TOKENS_OUTPUT, onnx.TensorProto.FLOAT, ["batch", "seq", dim]
        )
    )
    return model.SerializeToString()


def _session_options(threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # No memory arena: a scoring worker holds three sessions (sentiment, claim judge, veracity;
    # the guard's backstop is one more where replies are checked), and each arena kept its
    # largest batch's activations. Without them a scorer's resident memory after 3,000 RateMDs
    # reviews with a fact sheet fell from 380 to 319 MB; its speed did not move (173.6 / 179.6
    # against 171.2 / 183.1 reviews per CPU-second, interleaved).
    opts.enable_cpu_mem_arena = False
    # Do not spin idle threads on a small shared machine.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return opts


class OnnxEncoder:
    """Mean-pooled, L2-normalised sentence embeddings from an ONNX graph with inputs
    ``input_ids``/``attention_mask`` and output ``embedding`` (see export.py)."""

    def __init__(
        self,
        onnx_path: str | Path,
        tokenizer_path: str | Path,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        batch_size: int = DEFAULT_BATCH_SIZE,
        threads: int = 1,
        tail_tokens: int = DEFAULT_TAIL_TOKENS,
        token_states: bool = False,
    ):
        """token_states: also expose the last layer's token states, for `encode_spans`."""
        # one thread per worker process: no Rayon pool for encode_batch either
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import onnxruntime as ort
        from tokenizers import Tokenizer

        onnx_path, tokenizer_path = Path(onnx_path), Path(tokenizer_path)
        for path in (onnx_path, tokenizer_path):
            if not path.is_file():
                raise EncoderLoadError(
                    f"encoder file {path} is missing; rebuild the artifacts with "
                    "`python -m scoring.ml.train --data /work/shared/data --out scoring/ml/artifacts`"
                )
        self.max_tokens = int(max_tokens)
        self.tail_tokens = int(tail_tokens)
        self.batch_size = int(batch_size)
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        threads = int(os.environ.get("CAREWATCH_ORT_THREADS", threads))
        graph = with_token_output(onnx_path) if token_states else None
        self.token_states = graph is not None
        self.session = ort.InferenceSession(
            graph if graph is not None else str(onnx_path),
            sess_options=_session_options(threads),
            providers=["CPUExecutionProvider"],
        )
        self.dim = int(self.session.get_outputs()[0].shape[-1] or 384)
        self.pad_id = self.tokenizer.token_to_id("[PAD]") or 0

    def budget(self, max_tokens: int | None = None) -> tuple[int, int]:
        """(max_tokens, tail_tokens) of a call: the encoder's own, or a smaller budget with the
        tail kept in proportion."""
        if max_tokens is None:
            return self.max_tokens, self.tail_tokens
        return max_tokens, min(self.tail_tokens, max_tokens // 4)

    def token_ids(self, texts: Sequence[str], max_tokens: int | None = None) -> list[list[int]]:
        return tokenize(self.tokenizer, texts, *self.budget(max_tokens))

    def _batches(self, ids: list[list[int]], batch_size: int | None):
        """(rows, input_ids, attention_mask) per length batch, rows in `ids` order."""
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        size = max(1, int(batch_size or self.batch_size))
        for chunk in length_batches([len(ids[i]) for i in order], size):
            rows = [order[k] for k in chunk]
            width = len(ids[rows[-1]])
            input_ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for row, i in enumerate(rows):
                seq = ids[i]
                input_ids[row, : len(seq)] = seq
                mask[row, : len(seq)] = 1
            yield rows, input_ids, mask

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int | None = None,
        max_tokens: int | None = None,
    ) -> np.ndarray:
        """[len(texts), dim] float32, rows in input order. max_tokens: a smaller token budget
        for this call (e.g. single sentences), the tail kept in proportion."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = self.token_ids(texts, max_tokens)
        for rows, input_ids, mask in self._batches(ids, batch_size):
            emb = self.session.run(["embedding"], {"input_ids": input_ids, "attention_mask": mask})
            out[rows] = emb[0]
        return out

    def encode_spans(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        batch_size: int | None = None,
        max_tokens: int | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """`encode`'s embeddings, and for every text one row per character span of it: the
        L2-normalised mean of the last layer's states of the span's tokens, read in the context
        of the whole text (one model pass for both). A span the truncation cut (less than
        SPAN_MIN_KEPT of its tokens kept) or without tokens gives a row of zeros."""
        if not self.token_states:
            raise EncoderLoadError("this encoder was opened without token_states=True")
        texts = [t if isinstance(t, str) else "" for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        pooled = [np.zeros((len(s), self.dim), dtype=np.float32) for s in spans]
        if not texts:
            return out, pooled
        encoded = tokenize_with_offsets(self.tokenizer, texts, *self.budget(max_tokens))
        ids = [e[0] for e in encoded]
        for rows, input_ids, mask in self._batches(ids, batch_size):
            emb, states = self.session.run(
                ["embedding", TOKENS_OUTPUT], {"input_ids": input_ids, "attention_mask": mask}
            )
            out[rows] = emb
            for row, i in enumerate(rows):
                _, kept, full = encoded[i]
                for j, span in enumerate(spans[i]):
                    positions = span_tokens(kept, span)
                    if not positions.size or positions.size < SPAN_MIN_KEPT * (
                        span_tokens(full, span).size
                    ):
                        continue
                    v = states[row, positions].mean(axis=0)
                    pooled[i][j] = v / max(float(np.linalg.norm(v)), 1e-9)
        return out, pooled


def load_fitted(
    folder: str | Path,
    weights_file: str,
    *,
    max_tokens: int,
    threads: int,
    error: type[Exception],
    what: str,
    fitted: str,
    fix: str,
) -> tuple[OnnxEncoder, dict, dict]:
    """(encoder, arrays, meta) of a fine-tuned encoder's folder with a layer fitted on its
    embeddings (the claim judge, the veracity model): ``encoder_int8.onnx``, ``tokenizer.json``
    and `weights_file` (arrays + ``meta`` JSON holding the ONNX file's ``encoder_sha256``). Raises
    `error`, naming `fix`, when a file is missing or the layer was fitted on another encoder
    ("<what>'s <fitted> fitted on another encoder")."""
    folder = Path(folder)
    for name in ("encoder_int8.onnx", "tokenizer.json", weights_file):
        if not (folder / name).is_file():
            raise error(f"{what}'s {folder / name} is missing: {fix}")
    with np.load(folder / weights_file, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k != "meta"}
        meta = json.loads(bytes(z["meta"]).decode("utf-8"))
    if meta.get("encoder_sha256") != fingerprint(folder):
        raise error(f"{what}'s {fitted} fitted on another encoder: {fix}")
    encoder = OnnxEncoder(
        folder / "encoder_int8.onnx",
        folder / "tokenizer.json",
        max_tokens=int(meta.get("max_tokens", max_tokens)),
        batch_size=8,
        threads=threads,
    )
    return encoder, arrays, meta
