"""The sentiment head: a linear layer on the pooled, L2-normalised embedding plus additive
decision offsets chosen on a validation split carved from the training data (see train.py).
numpy only."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
    """Over the last axis (classes), stable."""
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def sigmoid(z):
    """Elementwise; z clipped to [-40, 40] so exp never overflows."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def logit(p):
    """Elementwise log-odds; p clipped to [1e-6, 1 - 1e-6]."""
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


class SentimentHead:
    def __init__(self, W: np.ndarray, b: np.ndarray, offsets: np.ndarray | None = None):
        self.W = np.asarray(W, dtype=np.float32)
        self.b = np.asarray(b, dtype=np.float32)
        self.offsets = (
            np.zeros(self.W.shape[0], dtype=np.float32)
            if offsets is None
            else np.asarray(offsets, np.float32)
        )

    @classmethod
    def load(cls, path: str | Path) -> SentimentHead:
        with np.load(Path(path)) as z:
            return cls(z["W"], z["b"], z["offsets"] if "offsets" in z.files else None)

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        """[n, 3] probabilities (negative, neutral, positive), decision offsets included, so
        argmax is the label."""
        return softmax(embeddings @ self.W.T + self.b + self.offsets)


class TopicHead:
    """The topic-sentence head (topic_head.npz, scoring/ml/topic_train.py): a linear layer on a
    sentence's vector and its review's overall log-probabilities, blended with the review head's
    reading of the same vector (`review_head_weight`); `floor`: below it the review's overall
    label stands."""

    def __init__(
        self,
        W: np.ndarray,
        b: np.ndarray,
        floor: float,
        meta: dict,
        review_head_weight: float = 0.0,
    ):
        self.W = np.asarray(W, dtype=np.float32)
        self.b = np.asarray(b, dtype=np.float32)
        self.floor = float(floor)
        self.review_head_weight = float(review_head_weight)
        self.meta = meta
        self.version = str(meta.get("version", ""))

    @classmethod
    def load(cls, path: str | Path) -> TopicHead:
        import json

        with np.load(Path(path)) as z:
            meta = json.loads(bytes(z["meta"]).decode("utf-8"))
            weight = float(z["review_head_weight"]) if "review_head_weight" in z.files else 0.0
            return cls(z["W"], z["b"], float(z["floor"]), meta, weight)

    @staticmethod
    def blend(head: np.ndarray, sentence: np.ndarray, weight: float) -> np.ndarray:
        """p ∝ head^(1 - weight) · sentence^weight, per row."""
        if weight <= 0:
            return np.asarray(head, dtype=np.float64)
        z = (1 - weight) * np.log(np.asarray(head) + 1e-9)
        return softmax(z + weight * np.log(np.asarray(sentence) + 1e-9)).astype(np.float64)

    @staticmethod
    def features(embeddings: np.ndarray, overall: np.ndarray) -> np.ndarray:
        """What the head reads (training and scoring alike): the sentence's embedding and its
        review's overall log-probabilities."""
        return np.hstack([embeddings, np.log(np.asarray(overall) + 1e-6)])

    def probabilities(
        self, embeddings: np.ndarray, overall: np.ndarray, sentence: np.ndarray | None = None
    ) -> np.ndarray:
        """[n, 3]; `sentence`: the review head's probabilities of the same vectors (needed when
        review_head_weight > 0)."""
        z = self.features(embeddings, overall) @ self.W.T + self.b
        if self.review_head_weight > 0:
            if sentence is None:
                raise ValueError("this topic head blends in the review head: pass `sentence`")
            return self.blend(softmax(z), sentence, self.review_head_weight)
        return softmax(z).astype(np.float64)
