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

Its second reading is the wording model (``scoring.ml.wording``, from 1.1.0): a linear model
over the text's words and word pairs. The decision mixes, in log-odds, the encoder's P(false
claim), the wording model's and the heads' stacked probability, with the shares and the offset
chosen on the calibration rows (``veracity_train --wording``).

Files (``scoring/ml/artifacts/veracity/``): ``encoder_int8.onnx`` and ``tokenizer.json``,
``veracity.npz`` (the layer, the shares and the offset chosen on calibration rows the
fine-tuning never saw, the sha256 of the encoder and of the wording file), ``wording.npz`` and
``card.json`` (data, method, figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scoring.ml.head import logit, sigmoid, softmax
from scoring.ml.wording import WORDING_FILE, WordingModel, digest

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
    wording: WordingModel | None = None  # the second reading (1.1.0 on)
    wording_weight: float = 0.0  # its share of the log-odds (the heads have 1 - both shares)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """[n] the encoder's P(false claim)."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        emb = self.encoder.encode(list(texts))
        return softmax(emb @ self.weights.T + self.bias)[:, 1].astype(np.float32)

    def wording_probabilities(self, texts: list[str]) -> np.ndarray | None:
        """[n] the wording model's P(false claim); None without one."""
        if self.wording is None or self.wording_weight <= 0:
            return None
        return self.wording.probabilities(list(texts)).astype(np.float32)

    def decision(self, p_false: float, heads: float, wording: float | None = None) -> float:
        """The flag's probability for a text this model decides: its P(false claim), the wording
        model's (when it has one) and the heads' stacked probability (which reads 0.5 at the
        heads' own threshold) mixed in log-odds, moved so that 0.5 is the operating point
        (>= 0.5 exactly when the text is flagged)."""
        share = self.wording_weight if wording is not None else 0.0
        z = (
            self.weight * logit(p_false)
            + share * logit(wording if wording is not None else 0.5)
            + (1.0 - self.weight - share) * logit(heads)
            - self.offset
        )
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
    wording, share = None, float(meta.get("wording_weight", 0.0))
    if share > 0:
        path = Path(folder) / WORDING_FILE
        if not path.is_file():
            raise VeracityLoadError(
                f"the veracity model's {path} is missing: restore scoring/ml/artifacts/veracity "
                "from git or run `python -m scoring.ml.veracity_train --wording`"
            )
        if meta.get("wording_sha256") != digest(path):
            raise VeracityLoadError(
                f"the veracity model's decision was calibrated with another {path}: restore "
                "scoring/ml/artifacts/veracity from git or run "
                "`python -m scoring.ml.veracity_train --wording`"
            )
        wording = WordingModel.load(path)
    return Veracity(
        encoder=encoder,
        weights=np.asarray(data["weights"], dtype=np.float32),
        bias=np.asarray(data["bias"], dtype=np.float32),
        weight=float(meta["weight"]),
        offset=float(meta["offset"]),
        gate=float(meta["gate"]),
        undecided=bool(meta.get("undecided", False)),
        version=str(meta["version"]),
        wording=wording,
        wording_weight=share,
    )
