"""Quality on every held-out split, next to VADER, in one run.

    python -m scoring.ml.evaluate [--data /work/shared/data] [--artifacts scoring/ml/artifacts] [--json out.json]

Held-out splits: drugs.com test, druglib test, NHS v6 held-out, NHS phase 1 held-out (the 20 %
hash split of data.py; phase 1 has no neutral rows left, so its macro-F1 averages the negative
and positive classes only). Metrics: accuracy, macro-F1 (over the classes present in the gold
labels), per-class F1, negative recall.

VADER: compound >= 0.05 positive, <= -0.05 negative, else neutral (its authors' thresholds).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from scoring.ml import data as D

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
METRIC_KEYS = (
    "accuracy",
    "macro_f1",
    "f1_negative",
    "f1_neutral",
    "f1_positive",
    "negative_recall",
)


def metrics(y: Sequence[int], pred: Sequence[int]) -> dict:
    from sklearn.metrics import accuracy_score, f1_score, recall_score

    y, pred = np.asarray(y), np.asarray(pred)
    present = sorted(set(y.tolist()))
    per = f1_score(y, pred, labels=[0, 1, 2], average=None, zero_division=0)
    out = {
        "n": int(len(y)),
        "accuracy": float(accuracy_score(y, pred)),
        "macro_f1": float(f1_score(y, pred, labels=present, average="macro", zero_division=0)),
        "negative_recall": float(
            recall_score(y, pred, labels=[0], average="macro", zero_division=0)
        ),
    }
    for i, name in enumerate(D.LABELS):
        out[f"f1_{name}"] = float(per[i]) if i in present else None
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()}


def vader_predict(texts: Sequence[str]) -> np.ndarray:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    comp = np.array([analyser.polarity_scores(t)["compound"] for t in texts])
    return np.where(comp >= 0.05, 2, np.where(comp <= -0.05, 0, 1))


def evaluate_all(
    data_dir: str | Path = "/work/shared/data",
    artifacts_dir: str | Path | None = None,
    scorer=None,
    extra_encoders: dict | None = None,
    include_vader: bool = True,
    progress: Callable[[str], None] | None = None,
) -> list[dict]:
    """One row per (held-out split, model): dataset, model, n, accuracy, macro_f1,
    f1_negative, f1_neutral, f1_positive, negative_recall.

    Models: the shipped default scorer from artifacts_dir (or ``scorer``, any Scorer, e.g. a
    bring-your-own one), each of ``extra_encoders`` (name -> OnnxEncoder, used with the shipped
    head: e.g. the fp32 encoder before quantisation), and VADER."""
    from scoring.ml.engine import ScorerConfig, load_scorer
    from scoring.ml.head import SentimentHead

    artifacts_dir = Path(artifacts_dir or ARTIFACTS)
    if scorer is None:
        scorer = load_scorer(ScorerConfig(model="default", artifacts_dir=str(artifacts_dir)))
    head = SentimentHead.load(artifacts_dir / "head.npz") if extra_encoders else None
    rows: list[dict] = []
    for name, examples in D.sentiment_heldout(data_dir).items():
        texts = [e.text for e in examples]
        y = [e.y for e in examples]
        if progress:
            progress(f"evaluating {name} ({len(texts)} rows)")
        probs = scorer.sentiment(texts)
        rows.append({"dataset": name, "model": scorer.version, **metrics(y, probs.argmax(1))})
        for enc_name, encoder in (extra_encoders or {}).items():
            p = head.probabilities(encoder.encode(texts))
            rows.append({"dataset": name, "model": enc_name, **metrics(y, p.argmax(1))})
        if include_vader:
            rows.append({"dataset": name, "model": "VADER", **metrics(y, vader_predict(texts))})
    return rows


def format_table(rows: list[dict]) -> str:
    head = f"{'dataset':<22} {'model':<34} {'n':>5} " + " ".join(
        f"{k:>9}" for k in ("acc", "macroF1", "F1 neg", "F1 neu", "F1 pos", "neg rec")
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        vals = " ".join(
            f"{r[k]:>9.3f}" if r.get(k) is not None else f"{'-':>9}" for k in METRIC_KEYS
        )
        lines.append(f"{r['dataset']:<22} {r['model'][:34]:<34} {r['n']:>5} {vals}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="held-out quality next to VADER")
    parser.add_argument("--data", default="/work/shared/data")
    parser.add_argument("--artifacts", default=str(ARTIFACTS))
    parser.add_argument(
        "--model", default="default", help="'default' or a BYO model folder / HF id"
    )
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args(argv)
    scorer = None
    if args.model not in ("", "default"):
        from scoring.ml.engine import ScorerConfig, load_scorer

        scorer = load_scorer(ScorerConfig(model=args.model, artifacts_dir=args.artifacts))
    rows = evaluate_all(args.data, args.artifacts, scorer=scorer)
    print(format_table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
