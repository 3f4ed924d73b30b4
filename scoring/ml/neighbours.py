"""The veracity model's third reading (veracity 1.2.0): what the nearest texts it learned from
were. numpy + ONNX Runtime at run time (never torch).

A false claim is rarely new: the COVID-era posts and rumours repeat a few dozen claims in many
wordings, and a clinic's rumour is told again and again. The packaged all-MiniLM-L6-v2, as
trained for semantic similarity (not fine-tuned: its neighbourhoods are about meaning, not
sentiment or style), embeds the text; its `K` nearest training texts (cosine) vote with their
labels, each weighed by exp(`TEMPERATURE` × similarity), and the share of the vote for "false
claim" is this reading's P(false claim), clipped to [`CLIP`, 1 - `CLIP`] so that one reading
never decides alone in log-odds. It reads only texts past the judge's gate (about 2 % of
reviews), in the veracity model's batch.

Files (``scoring/ml/artifacts/veracity/neighbours/``): ``encoder_int8.onnx`` and
``tokenizer.json`` (the packaged weights exported as the other encoders are) and
``neighbours.npz``: the training texts' unit embeddings quantised to int8 (``vecs``, × 1/127),
their labels (1 = false claim) and ``meta`` (the encoder's sha256, `K`, `TEMPERATURE`). The
decision's share and offset are the veracity model's (``veracity.npz``), chosen on calibration
rows (``veracity_train --neighbours``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

NEIGHBOURS_DIR = "neighbours"
NEIGHBOURS_FILE = "neighbours.npz"
K = 10
TEMPERATURE = 20.0
CLIP = 0.01
MAX_TOKENS = 128
_CHUNK = 256  # texts compared with every training text at once (memory: chunk × m floats)
_ROWS = 4096  # training vectors dequantised at a time (they stay int8 in memory: 5.5 MB, not 22)


class NeighboursLoadError(RuntimeError):
    pass


def quantise(vecs: np.ndarray) -> np.ndarray:
    """Unit vectors as int8 (× 127): a 384-d embedding in 384 bytes, a cosine kept to within
    0.01 (the decision was chosen on calibration rows read through these vectors)."""
    return np.clip(np.round(np.asarray(vecs, dtype=np.float32) * 127.0), -127, 127).astype(np.int8)


def vote(sims: np.ndarray, labels: np.ndarray, k: int = K, temperature: float = TEMPERATURE):
    """[n] P(false claim) from each row of similarities [n, m] to the training texts and their
    labels [m]: the k nearest weigh in by exp(temperature × similarity)."""
    k = min(k, sims.shape[1])
    idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    near = np.take_along_axis(sims, idx, axis=1)
    w = np.exp(temperature * (near - near.max(axis=1, keepdims=True)))
    p = (w * labels[idx]).sum(axis=1) / w.sum(axis=1)
    return np.clip(p, CLIP, 1.0 - CLIP)


@dataclass
class Neighbours:
    encoder: object  # scoring.ml.encoder.OnnxEncoder
    vecs: np.ndarray  # [m, dim] int8, the training texts' unit embeddings × 127 (`quantise`)
    labels: np.ndarray  # [m] float32, 1 = false claim
    k: int = K
    temperature: float = TEMPERATURE

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """[n] the nearest training texts' vote for "false claim"."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        emb = self.encoder.encode(list(texts))
        out = np.empty(len(texts), dtype=np.float32)
        m = self.vecs.shape[0]
        for at in range(0, len(texts), _CHUNK):
            part = emb[at : at + _CHUNK]
            sims = np.empty((len(part), m), dtype=np.float32)
            for row in range(0, m, _ROWS):
                block = self.vecs[row : row + _ROWS].astype(np.float32) / 127.0
                sims[:, row : row + _ROWS] = part @ block.T
            out[at : at + _CHUNK] = vote(sims, self.labels, self.k, self.temperature)
        return out


def load(folder: str | Path, threads: int = 1) -> Neighbours:
    """The reading in `folder` (``…/veracity/neighbours``); NeighboursLoadError names the fix
    when a file is missing or the vectors were made with another encoder."""
    from scoring.ml.encoder import load_fitted

    encoder, data, meta = load_fitted(
        folder,
        NEIGHBOURS_FILE,
        max_tokens=MAX_TOKENS,
        threads=threads,
        error=NeighboursLoadError,
        what="the veracity model's neighbours",
        fitted="vectors were",
        fix="restore scoring/ml/artifacts/veracity from git or run "
        "`python -m scoring.ml.veracity_train --neighbours`",
    )
    return Neighbours(
        encoder=encoder,
        vecs=np.ascontiguousarray(data["vecs"], dtype=np.int8),
        labels=data["labels"].astype(np.float32),
        k=int(meta.get("k", K)),
        temperature=float(meta.get("temperature", TEMPERATURE)),
    )
