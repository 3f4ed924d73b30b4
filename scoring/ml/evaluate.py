"""Quality on every held-out split, next to VADER, in one run.

    python -m scoring.ml.evaluate [--data /work/shared/data] [--artifacts scoring/ml/artifacts] [--json out.json]

Held-out splits (data.py): RateMDs held-out (20 % of doctors), Healthgrades held-out (20 % of
providers), drugs.com test, druglib test, NHS v6 held-out, NHS phase 1 held-out (20 % hash
split; phase 1 has no neutral rows left, so its macro-F1 averages the negative and positive
classes only). No threshold or offset is tuned on any of them (train.py tunes on a calibration
split carved from train). Metrics: accuracy, macro-F1 (over the classes present in the gold
labels), per-class F1, negative recall and precision, and on the review sites the share of
5-star reviews labelled negative.

`report()` adds the raw scoring throughput on one thread (the full pipeline: sentiment, topics
and flags, on 3,000 review-site held-out texts) and the issue-19 targets;
`python manage.py evaluate_sentiment` prints it and writes bench/sentiment/evaluate.json.

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
    "negative_precision",
    "five_star_negative",
)
REVIEW_SITE_SETS = ("RateMDs held-out", "Healthgrades held-out")
# issue 19, on each review-site held-out split
TARGETS = {"negative_recall": 0.90, "f1_negative": 0.85, "five_star_negative_max": 0.02}
MIN_REVIEWS_PER_S = 200


def metrics(y: Sequence[int], pred: Sequence[int], stars: Sequence | None = None) -> dict:
    """stars: the star rating of each row (review sites) for the share of 5-star rows labelled
    negative; None elsewhere."""
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

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
        "negative_precision": float(
            precision_score(y, pred, labels=[0], average="macro", zero_division=0)
        ),
        "five_star_negative": None,
    }
    if stars is not None:
        five = np.array([s == 5 for s in stars])
        if five.any():
            out["five_star_negative"] = float(np.mean(pred[five] == 0))
            out["five_star_n"] = int(five.sum())
    for i, name in enumerate(D.LABELS):
        out[f"f1_{name}"] = float(per[i]) if i in present else None
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()}


def vader_predict(texts: Sequence[str]) -> np.ndarray:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    comp = np.array([analyser.polarity_scores(t)["compound"] for t in texts])
    return np.where(comp >= 0.05, 2, np.where(comp <= -0.05, 0, 1))


def evaluate_all(
    data_dir: str | Path | None = None,
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
        scorer = load_scorer(
            ScorerConfig(model="default", artifacts_dir=str(artifacts_dir), misinformation=False)
        )
    head = SentimentHead.load(artifacts_dir / "head.npz") if extra_encoders else None
    rows: list[dict] = []
    for name, examples in D.sentiment_heldout(data_dir or D.default_data_dir()).items():
        texts = [e.text for e in examples]
        y = [e.y for e in examples]
        stars = [e.meta.get("stars") for e in examples] if name in REVIEW_SITE_SETS else None
        if progress:
            progress(f"evaluating {name} ({len(texts)} rows)")
        probs = scorer.sentiment(texts)
        rows.append(
            {"dataset": name, "model": scorer.version, **metrics(y, probs.argmax(1), stars)}
        )
        for enc_name, encoder in (extra_encoders or {}).items():
            p = head.probabilities(encoder.encode(texts))
            rows.append({"dataset": name, "model": enc_name, **metrics(y, p.argmax(1), stars)})
        if include_vader:
            rows.append(
                {"dataset": name, "model": "VADER", **metrics(y, vader_predict(texts), stars)}
            )
    return rows


def format_table(rows: list[dict]) -> str:
    head = f"{'dataset':<22} {'model':<34} {'n':>5} " + " ".join(
        f"{k:>9}"
        for k in ("acc", "macroF1", "F1 neg", "F1 neu", "F1 pos", "neg rec", "neg prec", "5*->neg")
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        vals = " ".join(
            f"{r[k]:>9.3f}" if r.get(k) is not None else f"{'-':>9}" for k in METRIC_KEYS
        )
        lines.append(f"{r['dataset']:<22} {r['model'][:34]:<34} {r['n']:>5} {vals}")
    return "\n".join(lines)


def throughput(scorer, data_dir: str | Path, n: int = 3000, seed: int = 13) -> dict:
    """Raw scoring throughput of `scorer.score` (sentiment + topics + flags) on n review-site
    held-out texts in one call, with the machine's load average beside it."""
    import os
    import random
    import time

    held = D.sentiment_heldout(data_dir)
    texts = [e.text for k in REVIEW_SITE_SETS for e in held[k]]
    texts = random.Random(seed).sample(texts, min(n, len(texts)))
    load_before = os.getloadavg()[0]
    cpu0, start = time.process_time(), time.perf_counter()
    scorer.score(texts)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    return {
        "texts": len(texts),
        "set": "random review-site held-out texts (RateMDs + Healthgrades)",
        "threads": getattr(getattr(scorer, "config", None), "threads", None),
        "reviews_per_s": round(len(texts) / wall, 1),
        "reviews_per_cpu_s": round(len(texts) / max(cpu, 1e-9), 1),
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def check_targets(rows: list[dict], speed: dict | None, model: str) -> list[dict]:
    """One line per review-site split and target: measured value, target, met."""
    out = []
    for r in rows:
        if r["dataset"] not in REVIEW_SITE_SETS or r["model"] != model:
            continue
        for key, target, ok in (
            ("negative_recall", TARGETS["negative_recall"], lambda v, t: v >= t),
            ("f1_negative", TARGETS["f1_negative"], lambda v, t: v >= t),
            ("five_star_negative", TARGETS["five_star_negative_max"], lambda v, t: v <= t),
        ):
            v = r.get(key)
            out.append(
                {
                    "dataset": r["dataset"],
                    "metric": key,
                    "value": v,
                    "target": target,
                    "met": v is not None and ok(v, target),
                }
            )
    if speed:
        v = speed["reviews_per_s"]
        out.append(
            {
                "dataset": "throughput, one thread",
                "metric": "reviews_per_s",
                "value": v,
                "target": MIN_REVIEWS_PER_S,
                "met": v >= MIN_REVIEWS_PER_S,
            }
        )
    return out


def report(data_dir: str | Path | None = None, scorer=None, progress=None) -> dict:
    """Per-source held-out rows (the model, VADER), throughput on one thread, targets."""
    from scoring.ml.engine import ScorerConfig, load_scorer

    if scorer is None:
        scorer = load_scorer(ScorerConfig(model="default", threads=1))
    data_dir = data_dir or D.default_data_dir()
    rows = evaluate_all(data_dir, scorer=scorer, progress=progress)
    speed = throughput(scorer, data_dir)
    return {
        "model": scorer.version,
        "held_out": rows,
        "throughput": speed,
        "targets": check_targets(rows, speed, scorer.version),
    }


def format_report(rep: dict) -> str:
    lines = [format_table(rep["held_out"]), ""]
    s = rep["throughput"]
    lines.append(
        f"throughput ({s['texts']} {s['set']}, one call, threads={s['threads']}): "
        f"{s['reviews_per_s']} reviews/s ({s['reviews_per_cpu_s']} per CPU-second; "
        f"load average {s['load_average_1m']})"
    )
    lines.append("")
    lines.append("issue-19 targets:")
    for t in rep["targets"]:
        v = "-" if t["value"] is None else f"{t['value']:.3f}"
        lines.append(
            f"  {t['dataset']:<24} {t['metric']:<20} {v:>9}  target {t['target']:<6} "
            f"{'met' if t['met'] else 'NOT MET'}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="held-out quality next to VADER")
    parser.add_argument("--data", default=str(D.default_data_dir()))
    parser.add_argument("--artifacts", default=str(ARTIFACTS))
    parser.add_argument(
        "--model", default="default", help="'default' or a BYO model folder / HF id"
    )
    parser.add_argument("--json", default=None, help="also write the report to this file")
    args = parser.parse_args(argv)
    from scoring.ml.engine import ScorerConfig, load_scorer

    scorer = load_scorer(ScorerConfig(model=args.model, artifacts_dir=args.artifacts, threads=1))
    rep = report(args.data, scorer=scorer)
    print(format_report(rep))
    if args.json:
        Path(args.json).write_text(json.dumps(rep, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
