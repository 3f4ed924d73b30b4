"""The guard's learned backstop: logistic-regression heads on the shipped MiniLM embedding.

The rules (engine.py) decide first. The backstop reads the whole reply through the sentence
encoder the scoring app ships (``scoring/ml/artifacts/encoder_int8.onnx``, all-MiniLM-L6-v2,
int8, ONNX Runtime on one thread; nothing is downloaded) and a few linear heads stored in
``backstop.npz`` (trained by ``bench/compliance/train_backstop.py`` on the tuning sets and
``bench/compliance/train_extra.jsonl``; never on ``independent.jsonl``):

* ``tone``, ``patient_confirmation``, ``health_detail``: the probability that the reply has that
  problem. Above the head's ``raise`` threshold, a reply the rules found nothing of that kind in
  gets a ``needs_review`` finding (never ``block``: a person decides).
* ``unsafe``: the probability that the reply is unsafe in any way; ``invitation`` and
  ``public_statement``: that it is an invitation to contact the practice, or a statement of
  general facts. Only when ``unsafe`` is below its ``clear`` threshold *and* one of the two safe
  classes is above its own may the engine drop a rule finding, and only findings of the kinds the
  engine lists as lowerable (never a block on a patient identifier that is not offered as a
  contact point, never a confirmation or an echoed health detail).

Loaded once per process, lazily and under a lock; ``CAREWATCH_GUARD_BACKSTOP=0`` turns it off.
If the encoder or the weights are missing the guard runs on its rules alone.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

WEIGHTS = Path(__file__).resolve().with_name("backstop.npz")
ENCODER_DIR = Path(__file__).resolve().parents[2] / "scoring" / "ml" / "artifacts"
MAX_TOKENS = 128
# the heads whose probability can raise a reply the rules passed
RAISE_HEADS = ("tone", "patient_confirmation", "health_detail")


@dataclass
class Backstop:
    encoder: object  # scoring.ml.encoder.OnnxEncoder
    heads: tuple[str, ...]
    weights: np.ndarray  # [n_heads, dim]
    bias: np.ndarray  # [n_heads]
    raise_at: dict[str, float]
    clear_below: float  # "unsafe" probability under which a reply is clearly safe
    safe_class_at: float  # invitation / public_statement probability needed to lower

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.encoder.encode([prepare(t) for t in texts])

    def probabilities(self, emb: np.ndarray) -> np.ndarray:
        """[n, n_heads] probabilities for embeddings [n, dim]."""
        z = emb @ self.weights.T + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def scores(self, text: str) -> dict[str, float]:
        p = self.probabilities(self.embed([text]))[0]
        return {h: float(v) for h, v in zip(self.heads, p, strict=True)}


_WS = re.compile(r"\s+")


def prepare(text: str) -> str:
    """The text the heads read: whitespace folded (training uses the same function)."""
    return _WS.sub(" ", text or "").strip()


def encoder_fingerprint(encoder_dir: Path = ENCODER_DIR) -> str:
    """sha256 of the encoder file: the heads were fitted on its embeddings and on no other."""
    return hashlib.sha256((encoder_dir / "encoder_int8.onnx").read_bytes()).hexdigest()


def load(path: Path = WEIGHTS, encoder_dir: Path = ENCODER_DIR) -> Backstop:
    from scoring.ml.encoder import OnnxEncoder  # onnxruntime: loaded only when the guard warms

    data = np.load(path, allow_pickle=False)
    fitted_on = str(data["encoder_sha256"]) if "encoder_sha256" in data else ""
    if fitted_on != encoder_fingerprint(encoder_dir):
        raise RuntimeError(
            "the backstop's heads were fitted on another encoder (the scoring model changed): "
            "run bench/compliance/train_backstop.py"
        )
    heads = tuple(str(h) for h in data["heads"])
    raise_at = {
        str(h): float(t) for h, t in zip(data["raise_heads"], data["raise_at"], strict=True)
    }
    encoder = OnnxEncoder(
        encoder_dir / "encoder_int8.onnx",
        encoder_dir / "tokenizer.json",
        max_tokens=int(data["max_tokens"]),
        batch_size=8,
        threads=1,
    )
    return Backstop(
        encoder=encoder,
        heads=heads,
        weights=np.asarray(data["weights"], dtype=np.float32),
        bias=np.asarray(data["bias"], dtype=np.float32),
        raise_at=raise_at,
        clear_below=float(data["clear_below"]),
        safe_class_at=float(data["safe_class_at"]),
    )


_BACKSTOP: Backstop | None = None
_FAILED = False
_LOCK = threading.Lock()


def get_backstop() -> Backstop | None:
    """The process-wide backstop, or None when it is turned off or cannot load."""
    global _BACKSTOP, _FAILED
    if os.environ.get("CAREWATCH_GUARD_BACKSTOP", "1") == "0":
        return None
    if _BACKSTOP is None and not _FAILED:
        with _LOCK:
            if _BACKSTOP is None and not _FAILED:
                try:
                    _BACKSTOP = load()
                except Exception as exc:  # noqa: BLE001 - the rules still run without it
                    _FAILED = True
                    log.warning("reply guard backstop not loaded (%s); rules only", exc)
    return _BACKSTOP
