"""The veracity model: does this text state a false health claim? numpy + ONNX Runtime at run time
(never torch).

all-MiniLM-L6-v2 fine-tuned end to end on single texts (``scoring/ml/veracity_train.py``),
mean-pooled and L2-normalised like every encoder here, then one linear layer with a softmax over
(true or not a claim, false claim). The heads in ``claims.py`` read the sentiment encoder's
embedding, which fine-tuning pulled towards sentiment; this model reads the claim's own wording.

It is a second encoder pass, so the scorer asks it only about texts the claim head reads as a
possible claim (the judge's gate), and its word decides only where the claim judge did not
decide (no fact of the clinic contradicted or confirmed): a public-health claim, or a post about a
clinic with no fact sheet.

Files (``scoring/ml/artifacts/veracity/``): ``encoder_int8.onnx`` and ``tokenizer.json``,
``veracity.npz`` (the layer, the threshold chosen on calibration rows the fine-tuning never
saw, the encoder's sha256) and ``card.json`` (data, method, figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scoring.ml.head import logit, sigmoid, softmax

VERACITY_DIR = Path(__file__).resolve().parent / "artifacts" / "veracity"
WEIGHTS_FILE = "veracity.npz"
MAX_TOKENS = 128


class VeracityLoadError(RuntimeError):
    pass


@dataclass
class Veracity:
    encoder: object  # scoring.ml.encoder.OnnxEncoder
    weights: np.ndarray  # [2, dim]
    bias: np.ndarray  # [2]
    weight: float  # its share of the decision's log-odds; the heads' stacker has the rest
    offset: float  # the mixed log-odds from which a text is flagged
    gate: float  # the claim probability from which a text is read (when no judge is loaded)
    undecided: bool  # whether it also decides texts the judge read and left undecided
    version: str

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """[n] P(false claim)."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        emb = self.encoder.encode(list(texts))
        return softmax(emb @ self.weights.T + self.bias)[:, 1].astype(np.float32)

    def decision(self, p_false: float, heads: float) -> float:
        """The flag's probability for a text this model decides: its P(false claim) and the heads'
        stacked probability (which reads 0.5 at the heads' own threshold) mixed in log-odds,
        moved so that 0.5 is the operating point (>= 0.5 exactly when the text is flagged)."""
        z = self.weight * logit(p_false) + (1.0 - self.weight) * logit(heads) - self.offset
        return float(sigmoid(z))


def fingerprint(folder: Path = VERACITY_DIR) -> str:
    from scoring.ml.encoder import fingerprint

    return fingerprint(folder)


def load(folder: str | Path = VERACITY_DIR, threads: int = 1) -> Veracity:
    """The model in `folder`; VeracityLoadError names the fix when a file is missing or the layer
    was fitted on another encoder."""
    from scoring.ml.encoder import load_fitted

    encoder, data, meta = load_fitted(
        folder,
        WEIGHTS_FILE,
        max_tokens=MAX_TOKENS,
        threads=threads,
        error=VeracityLoadError,
        what="the veracity model",
        fitted="layer was",
        fix="restore scoring/ml/artifacts/veracity from git or run "
        "`python -m scoring.ml.veracity_train`",
    )
    return Veracity(
        encoder=encoder,
        weights=np.asarray(data["weights"], dtype=np.float32),
        bias=np.asarray(data["bias"], dtype=np.float32),
        weight=float(meta["weight"]),
        offset=float(meta["offset"]),
        gate=float(meta["gate"]),
        undecided=bool(meta.get("undecided", False)),
        version=str(meta["version"]),
    )
