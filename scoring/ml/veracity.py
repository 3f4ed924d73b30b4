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

Its third reading is the nearest training texts (``scoring.ml.neighbours``, from 1.2.0): the
packaged all-MiniLM-L6-v2, not fine-tuned, embeds the text, and its nearest training texts
vote with their labels; it has a share of the log-odds too
(``veracity_train --neighbours``).

Files (``scoring/ml/artifacts/veracity/``): ``encoder_int8.onnx`` and ``tokenizer.json``,
``veracity.npz`` (the layer, the shares and the offset chosen on calibration rows the
fine-tuning never saw, the sha256 of the encoder, of the wording file and of the neighbours'
vectors), ``wording.npz``, ``neighbours/`` and ``card.json`` (data, method, figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scoring.ml.head import logit, sigmoid, softmax
from scoring.ml.neighbours import (
    CLIP,
    NEIGHBOURS_DIR,
    NEIGHBOURS_FILE,
    Neighbours,
    NeighboursLoadError,
)
from scoring.ml.neighbours import load as neighbours_load
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
    wording_weight: float = 0.0  # its share of the log-odds (the heads have what is left)
    neighbours: Neighbours | None = None  # the third reading (1.2.0 on)
    neighbours_weight: float = 0.0  # its share of the log-odds

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

    def neighbours_probabilities(self, texts: list[str]) -> np.ndarray | None:
        """[n] the nearest training texts' vote for "false claim"; None without them."""
        if self.neighbours is None or self.neighbours_weight <= 0:
            return None
        return self.neighbours.probabilities(list(texts)).astype(np.float32)

    def neighbours_votes(
        self, texts: list[str], p_false: np.ndarray, wording: np.ndarray | None
    ) -> np.ndarray | None:
        """[n] the nearest texts' vote for each text, asked only where it can change the
        decision (`neighbours_matter`, given the encoder's and the wording model's readings);
        elsewhere a neutral 0.5. None without them."""
        if self.neighbours is None or self.neighbours_weight <= 0:
            return None
        asked = [
            k
            for k in range(len(texts))
            if self.neighbours_matter(
                float(p_false[k]), None if wording is None else float(wording[k])
            )
        ]
        votes = np.full(len(texts), 0.5, dtype=np.float32)
        if asked:
            votes[asked] = self.neighbours_probabilities([texts[k] for k in asked])
        return votes

    def neighbours_matter(self, p_false: float, wording: float | None) -> bool:
        """Whether the nearest texts' vote could change the decision on a text the encoder and
        the wording model read so: it is clipped to [CLIP, 1 - CLIP], so its term lies within
        ± its share × logit(1 - CLIP), and outside that reach of the offset the decision is
        the same whatever it says. Always when the heads have a share (not read here). A text
        it cannot decide is not asked (they are the encoder's most expensive call); its
        decision is read with a neutral vote (0.5), the same flag it would have had."""
        near = self.neighbours_weight
        if self.neighbours is None or near <= 0:
            return False
        if 1.0 - self.weight - self.wording_weight - near > 1e-9:
            return True
        # the decision's log-odds with a neutral vote (and no heads' share to read)
        z = self._log_odds(p_false, 0.5, wording, 0.5)
        return bool(abs(z) <= near * logit(1.0 - CLIP) + 1e-6)

    def decision(
        self,
        p_false: float,
        heads: float,
        wording: float | None = None,
        neighbours: float | None = None,
    ) -> float:
        """The flag's probability for a text this model decides: its P(false claim), the wording
        model's and the nearest texts' (when it has them) and the heads' stacked probability
        (which reads 0.5 at the heads' own threshold) mixed in log-odds, moved so that 0.5 is
        the operating point (>= 0.5 exactly when the text is flagged)."""
        return float(sigmoid(self._log_odds(p_false, heads, wording, neighbours)))

    def _log_odds(self, p_false, heads, wording, neighbours) -> float:
        """The mixed log-odds less the offset (>= 0 exactly when the text is flagged)."""
        share = self.wording_weight if wording is not None else 0.0
        near = self.neighbours_weight if neighbours is not None else 0.0
        return (
            self.weight * logit(p_false)
            + share * logit(wording if wording is not None else 0.5)
            + near * logit(neighbours if neighbours is not None else 0.5)
            + (1.0 - self.weight - share - near) * logit(heads)
            - self.offset
        )


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
    neighbours, near = None, float(meta.get("neighbours_weight", 0.0))
    if near > 0:
        path = Path(folder) / NEIGHBOURS_DIR
        if meta.get("neighbours_sha256") != (
            digest(path / NEIGHBOURS_FILE) if (path / NEIGHBOURS_FILE).is_file() else None
        ):
            raise VeracityLoadError(
                f"the veracity model's decision was calibrated with other neighbours than "
                f"{path}: restore scoring/ml/artifacts/veracity from git or run "
                "`python -m scoring.ml.veracity_train --neighbours`"
            )
        try:
            neighbours = neighbours_load(path, threads=threads)
        except NeighboursLoadError as exc:
            raise VeracityLoadError(str(exc)) from exc
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
        neighbours=neighbours,
        neighbours_weight=near,
    )
