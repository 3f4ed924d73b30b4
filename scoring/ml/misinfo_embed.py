"""Embedding cache for training the misinformation heads: every training text is encoded once
with the shipped encoder (the same int8 ONNX MiniLM and token budget the scoring worker uses)
and kept as .npy under a gitignored folder (default ``var/cache/misinfo``), keyed by a digest
of the texts, so retraining a head never re-encodes. Training time only."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

CACHE_DIR = Path(__file__).resolve().parents[2] / "var" / "cache" / "misinfo"


def texts_digest(texts: Sequence[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:16]


def load_encoder(artifacts_dir: Path | None = None):
    """The scoring worker's encoder, with the model card's token budget."""
    from scoring.ml.encoder import OnnxEncoder
    from scoring.ml.engine import ARTIFACTS

    artifacts_dir = Path(artifacts_dir or ARTIFACTS)
    card = json.loads((artifacts_dir / "model_card.json").read_text(encoding="utf-8"))
    budget = card.get("inference_tokens") or {}
    return OnnxEncoder(
        artifacts_dir / "encoder_int8.onnx",
        artifacts_dir / "tokenizer.json",
        max_tokens=budget.get("max_tokens", 128),
        tail_tokens=budget.get("tail_tokens", 0),
        threads=1,
    ), card["version"]


def embed_cached(
    texts: Sequence[str],
    *,
    encoder=None,
    version: str = "",
    cache_dir: Path = CACHE_DIR,
    progress: Callable[[str], None] | None = None,
    name: str = "texts",
) -> np.ndarray:
    """[n, 384] embeddings of `texts`, read from the cache when the same texts were encoded by
    the same encoder version before."""
    if encoder is None:
        encoder, version = load_encoder()
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(f"{version}:{texts_digest(texts)}".encode()).hexdigest()[:20]
    path = cache_dir / f"{name}-{key}.npy"
    if path.is_file():
        return np.load(path)
    started = time.perf_counter()
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    step = 512
    for start in range(0, len(texts), step):
        out[start : start + step] = encoder.encode(list(texts[start : start + step]))
        if progress:
            progress(f"{name}: {min(start + step, len(texts))}/{len(texts)} encoded")
    np.save(path, out)
    if progress:
        progress(f"{name}: {len(texts)} texts in {time.perf_counter() - started:.0f} s")
    return out
