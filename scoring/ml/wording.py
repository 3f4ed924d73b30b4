"""The wording model: a bag of words and word pairs read for false health claims, the veracity
model's second reading (``scoring.ml.veracity``). Pure Python + numpy at run time.

It is scikit-learn's ``TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)``
followed by a ``LogisticRegression``, fitted at training time (``veracity_train --wording``) and
computed here as scikit-learn computes it: lower-cased text, tokens of two or more word
characters (``(?u)\\b\\w\\w+\\b``), each word and each pair of neighbouring words a term; a
term's weight (1 + log count) x idf, the vector L2-normalised, then the linear layer and a
sigmoid. A test checks the two agree.

Why: the veracity encoder reads a post's meaning and misses the wording the false posts of one
place share (the same hashtags, "cure", "5G", "share before they delete"), which a linear
model over words reads well (CONSTRAINT's own baselines); on the calibration rows the two
together, with the heads, catch more false claims at the same false-flag budgets than either.

File (``scoring/ml/artifacts/veracity/wording.npz``): ``terms`` (UTF-8, one per line), ``idf``,
``coef``, ``intercept``.
"""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path

import numpy as np

from scoring.ml.head import sigmoid

WORDING_FILE = "wording.npz"
TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern


def terms_of(text: str) -> list[str]:
    """The words and neighbouring word pairs of `text`, as TfidfVectorizer(ngram_range=(1, 2))
    forms them."""
    words = TOKEN.findall(text.lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


class WordingModel:
    def __init__(self, terms: list[str], idf, coef, intercept: float):
        self.index = {t: i for i, t in enumerate(terms)}
        self.idf = np.asarray(idf, dtype=np.float64)
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)

    @classmethod
    def load(cls, path: str | Path) -> WordingModel:
        with np.load(Path(path), allow_pickle=False) as z:
            terms = bytes(z["terms"]).decode("utf-8").split("\n")
            return cls(terms, z["idf"], z["coef"], float(z["intercept"]))

    @staticmethod
    def save(path: str | Path, terms: list[str], idf, coef, intercept: float) -> str:
        """Write the file; returns its sha256 (the veracity layer's meta keeps it)."""
        if any("\n" in t for t in terms):
            raise ValueError("a term holds a line break")
        np.savez_compressed(
            Path(path),
            terms=np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8),
            idf=np.asarray(idf, dtype=np.float32),
            coef=np.asarray(coef, dtype=np.float32),
            intercept=np.float32(intercept),
        )
        return digest(path)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """[n] P(false claim)."""
        out = np.empty(len(texts), dtype=np.float64)
        for n, text in enumerate(texts):
            counts: dict[int, int] = {}
            for term in terms_of(text):
                i = self.index.get(term)
                if i is not None:
                    counts[i] = counts.get(i, 0) + 1
            z = self.intercept
            if counts:
                idx = np.fromiter(counts, dtype=np.int64, count=len(counts))
                tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), np.float64)
                w = tf * self.idf[idx]
                z += float(w @ self.coef[idx]) / float(np.sqrt(w @ w))
            out[n] = z
        return sigmoid(out)


def digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
