"""The claim judge: does a text contradict a reference statement, agree with it, or not speak to
it? numpy + ONNX Runtime at run time (never torch).

A cross-encoder: the reference statement and the text are read together, as one sequence
``<statement> [SEP] <text>``, by all-MiniLM-L6-v2 fine-tuned end to end on such pairs
(``scoring/ml/judge_train.py``), mean-pooled and L2-normalised like every encoder here, then one
linear layer with a softmax over ``LABELS``. The bi-encoder heads in ``claims.py`` can only say
how *near* a text is to a fact; whether "they reuse needles" denies "every needle is single-use"
needs both read at once, which is what this model does.

Files (``scoring/ml/artifacts/judge/``): ``encoder_int8.onnx`` and ``tokenizer.json`` (the
export of the fine-tuned encoder), ``judge.npz`` (the linear layer, the operating thresholds
chosen on clinics the fine-tuning never saw, and the encoder's sha256: heads and encoder belong
together) and ``card.json`` (data, method, figures).

It is expensive next to the heads (one encoder pass per pair), so the scorer asks it only about
texts the claim head reads as a possible factual claim (``gate``), and only about their
nearest references (``JUDGED_FACTS``, ``JUDGED_MYTHS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scoring.ml.head import softmax

JUDGE_DIR = Path(__file__).resolve().parent / "artifacts" / "judge"
WEIGHTS_FILE = "judge.npz"
LABELS = ("contradicts", "agrees", "unrelated")
MAX_TOKENS = 160
# references each judged text is read against: its nearest facts (the fact a training clinic
# claim is about is the nearest for 90 % of them and among the nearest 3 for 98 %: 1,339 claims
# of clinic_claims' train split and claims_train_a / _b)
JUDGED_FACTS = 3
# myths are not judged: read against myth corrections, the judge flagged up to half of the true
# COVID posts of its calibration (judge_train.general_rows); texts without a fact sheet keep the
# heads' decision
JUDGED_MYTHS = 0
SEPARATOR = " [SEP] "


def pair_text(statement: str, text: str) -> str:
    """The one sequence the judge reads (training builds it with the same function)."""
    return f"{' '.join((statement or '').split())}{SEPARATOR}{' '.join((text or '').split())}"


def fingerprint(folder: Path = JUDGE_DIR) -> str:
    from scoring.ml.encoder import fingerprint

    return fingerprint(folder)


class JudgeLoadError(RuntimeError):
    pass


@dataclass
class ClaimJudge:
    encoder: object  # scoring.ml.encoder.OnnxEncoder
    weights: np.ndarray  # [3, dim]
    bias: np.ndarray  # [3]
    gate: float  # claim-head probability from which a text is judged
    contradicts_at: float  # a text contradicting a reference at least this surely is flagged
    agrees_at: float  # a text agreeing with a reference this surely is not flagged
    stack_at: float  # a judged text the judge decided neither way is flagged from this heads' p
    version: str

    def probabilities(self, statements: list[str], texts: list[str]) -> np.ndarray:
        """[n, 3] probabilities of LABELS for the pairs (statements[i], texts[i])."""
        if not texts:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        emb = self.encoder.encode([pair_text(s, t) for s, t in zip(statements, texts, strict=True)])
        return softmax(emb @ self.weights.T + self.bias).astype(np.float32)


def load(folder: str | Path = JUDGE_DIR, threads: int = 1) -> ClaimJudge:
    """The judge in `folder`; JudgeLoadError names the fix when a file is missing or the heads
    were fitted on another encoder."""
    from scoring.ml.encoder import load_fitted

    encoder, data, meta = load_fitted(
        folder,
        WEIGHTS_FILE,
        max_tokens=MAX_TOKENS,
        threads=threads,
        error=JudgeLoadError,
        what="the claim judge",
        fitted="heads were",
        fix="restore scoring/ml/artifacts/judge from git or run `python -m scoring.ml.judge_train`",
    )
    return ClaimJudge(
        encoder=encoder,
        weights=np.asarray(data["weights"], dtype=np.float32),
        bias=np.asarray(data["bias"], dtype=np.float32),
        gate=float(meta["gate"]),
        contradicts_at=float(meta["contradicts_at"]),
        agrees_at=float(meta["agrees_at"]),
        stack_at=float(meta["stack_at"]),
        version=str(meta["version"]),
    )
