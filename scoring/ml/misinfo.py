"""The misinformation classifier: TF-IDF (word 1-2 grams, sublinear tf, l2) + logistic
regression, trained on CONSTRAINT 2021 (COVID-19 posts, real / fake) with URLs removed.

Inference is pure Python + numpy (no scikit-learn): it reproduces scikit-learn's
TfidfVectorizer(lowercase=True, token_pattern=r"(?u)\\b\\w\\w+\\b", ngram_range=(1, 2),
sublinear_tf=True, smooth_idf=True, norm="l2"); train.py checks that both agree.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path

import numpy as np

from scoring.ml.data import strip_urls

TOKEN = re.compile(r"(?u)\b\w\w+\b")


class MisinformationModel:
    def __init__(
        self,
        vocabulary: list[str],
        idf: list[float],
        coef: list[float],
        intercept: float,
        threshold: float,
        meta: dict | None = None,
    ):
        self.index = {term: i for i, term in enumerate(vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float64)
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)
        self.threshold = float(threshold)
        self.meta = meta or {}

    @classmethod
    def load(cls, path: str | Path) -> MisinformationModel:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(
            raw["vocabulary"],
            raw["idf"],
            raw["coef"],
            raw["intercept"],
            raw["threshold"],
            raw.get("meta"),
        )

    @staticmethod
    def ngrams(text: str) -> list[str]:
        tokens = TOKEN.findall(text.lower())
        return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]

    def probability(self, text: str) -> float:
        """P(fake) for one text (URLs removed first, as in training)."""
        counts = Counter(g for g in self.ngrams(strip_urls(text or "")) if g in self.index)
        if not counts:
            z = self.intercept
        else:
            idx = np.fromiter((self.index[g] for g in counts), dtype=np.int64, count=len(counts))
            tf = np.fromiter(
                (1.0 + math.log(c) for c in counts.values()), dtype=np.float64, count=len(counts)
            )
            vals = tf * self.idf[idx]
            vals /= np.linalg.norm(vals) or 1.0
            z = float(vals @ self.coef[idx]) + self.intercept
        return 1.0 / (1.0 + math.exp(-z))

    def probabilities(self, texts: list[str]) -> np.ndarray:
        return np.array([self.probability(t) for t in texts], dtype=np.float64)


def train_misinformation(data_dir: str | Path, C: float = 8.0, seed: int = 13) -> tuple[dict, dict]:
    """Fit on CONSTRAINT train (URLs removed), choose the threshold on val (max F1), report on
    test (URLs removed). Returns (serialisable model, metrics)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    from scoring.ml.data import load_constraint

    train = load_constraint(data_dir, "train")
    val = load_constraint(data_dir, "val")
    test = load_constraint(data_dir, "test")
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    X = vec.fit_transform([e.text for e in train])
    y = np.array([e.y for e in train])
    clf = LogisticRegression(C=C, max_iter=5000, random_state=seed).fit(X, y)
    vocab = [None] * len(vec.vocabulary_)
    for term, i in vec.vocabulary_.items():
        vocab[i] = term
    pv = clf.predict_proba(vec.transform([e.text for e in val]))[:, 1]
    yv = np.array([e.y for e in val])
    grid = np.round(np.arange(0.2, 0.81, 0.01), 2)
    threshold = float(max(grid, key=lambda t: (f1_score(yv, pv >= t), -abs(t - 0.5))))
    model = {
        "vocabulary": vocab,
        "idf": [round(float(v), 6) for v in vec.idf_],
        "coef": [round(float(v), 6) for v in clf.coef_[0]],
        "intercept": round(float(clf.intercept_[0]), 6),
        "threshold": threshold,
        "meta": {
            "data": "CONSTRAINT 2021 COVID-19 fake news (Patwa et al., arXiv 2011.03327), URLs removed",
            "features": "TF-IDF word 1-2 grams, min_df=2, sublinear tf, l2",
            "classifier": f"LogisticRegression(C={C})",
        },
    }
    # Our numpy re-implementation must agree with scikit-learn.
    mm = MisinformationModel(vocab, model["idf"], model["coef"], model["intercept"], threshold)
    pt_sk = clf.predict_proba(vec.transform([e.text for e in test]))[:, 1]
    pt = mm.probabilities([e.text for e in test])
    max_diff = float(np.max(np.abs(pt - pt_sk)))
    if max_diff > 1e-3:
        raise RuntimeError(f"numpy TF-IDF disagrees with scikit-learn (max diff {max_diff})")
    yt = np.array([e.y for e in test])
    metrics = {
        "test_rows": len(test),
        "threshold_from_val": threshold,
        "test_accuracy": round(float(accuracy_score(yt, pt >= threshold)), 4),
        "test_f1_fake": round(float(f1_score(yt, pt >= threshold)), 4),
        "test_roc_auc": round(float(roc_auc_score(yt, pt)), 4),
        "val_f1_fake": round(float(f1_score(yv, pv >= threshold)), 4),
        "urls_removed": True,
        "numpy_vs_sklearn_max_abs_diff": max_diff,
    }
    return model, metrics
