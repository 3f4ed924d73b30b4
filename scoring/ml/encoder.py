"""The default sentence encoder at inference time: all-MiniLM-L6-v2 as an int8 ONNX file run by
ONNX Runtime on one thread, with the `tokenizers` fast tokenizer. Imports onnxruntime,
tokenizers and numpy only (never torch or transformers).

Texts are tokenised once, sorted by length and run in batches padded only to the longest text
of the batch (dynamic padding); results come back in input order.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

DEFAULT_MAX_TOKENS = 128
DEFAULT_BATCH_SIZE = 32


class EncoderLoadError(RuntimeError):
    pass


def _session_options(threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
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
    ):
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
        self.batch_size = int(batch_size)
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_tokens)
        threads = int(os.environ.get("CAREWATCH_ORT_THREADS", threads))
        self.session = ort.InferenceSession(
            str(onnx_path),
            sess_options=_session_options(threads),
            providers=["CPUExecutionProvider"],
        )
        self.dim = int(self.session.get_outputs()[0].shape[-1] or 384)
        self.pad_id = self.tokenizer.token_to_id("[PAD]") or 0

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [enc.ids for enc in self.tokenizer.encode_batch(list(texts))]

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """[len(texts), dim] float32, rows in input order."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = self.token_ids(texts)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        size = max(1, int(batch_size or self.batch_size))
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            width = max(len(ids[i]) for i in chunk)
            input_ids = np.full((len(chunk), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                seq = ids[i]
                input_ids[row, : len(seq)] = seq
                mask[row, : len(seq)] = 1
            emb = self.session.run(["embedding"], {"input_ids": input_ids, "attention_mask": mask})[
                0
            ]
            out[chunk] = emb
        return out
