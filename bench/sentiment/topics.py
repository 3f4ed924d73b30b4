"""Per-topic sentiment against RateMDs' own aspect ratings, on the held-out doctors.

    python bench/sentiment/topics.py [--n 3000]

RateMDs rates every review on four aspects besides its text; two of them name a care topic:
`punctuality` (the `wait_time` topic) and `staff` (the `staff_attitude` topic). For held-out
reviews in which the scorer finds the topic, the topic's own sentiment is compared with the
aspect rating (1-2 negative, 4-5 positive; 3 left out), beside the baseline of giving the topic
the review's overall label — what a product without per-topic sentiment would say. Nothing was
tuned on these rows. The shipped topic head (scoring/ml/topic_train.py) was trained and its
floor chosen on the training doctors; `--choose` shows how the review head alone, read sentence
by sentence, fares there at each floor (TOPIC_OVERRIDE_MIN, used when no topic head is shipped). The point is the mixed review: "Dr Lee is wonderful. The wait was over two
hours." rated 5 for helpfulness and 1 for punctuality. Prints a table, writes
bench/sentiment/topics.json.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("CAREWATCH_ORT_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from scoring.ml import data as D  # noqa: E402
from scoring.ml.engine import ScorerConfig, load_scorer  # noqa: E402
from scoring.ml.topic_train import aspect_index, aspect_reviews  # noqa: E402

ASPECTS = {"wait_time": "punctuality", "staff_attitude": "staff"}


def aspect_label(value) -> str | None:
    """The aspect rating as a label (topic_train's thresholds); 3 stars left out."""
    k = aspect_index(value)
    return None if k in (None, 1) else ("negative", "neutral", "positive")[k]


def figures(pairs: list[tuple[str, str]]) -> dict:
    n = len(pairs)
    correct = sum(1 for truth, said in pairs if truth == said)
    tp = sum(1 for t, s in pairs if t == s == "negative")
    fp = sum(1 for t, s in pairs if s == "negative" != t)
    fn = sum(1 for t, s in pairs if t == "negative" != s)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "n": n,
        "negatives": tp + fn,
        "accuracy": round(correct / n, 3) if n else None,
        "negative_recall": round(recall, 3),
        "negative_precision": round(precision, 3),
        "negative_f1": round(f1, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(D.default_data_dir()))
    parser.add_argument("--n", type=int, default=3000, help="held-out reviews scored")
    parser.add_argument(
        "--choose",
        action="store_true",
        help="on the TRAINING doctors: choose ScorerConfig.topic_override_min",
    )
    args = parser.parse_args()
    if args.choose:
        return choose(args)
    rows = aspect_reviews(args.data, "heldout")
    rows = random.Random(5).sample(rows, min(args.n, len(rows)))
    scorer = load_scorer(ScorerConfig(model="default", topic_sentiment=True))
    started = time.process_time()
    results = []
    for i in range(0, len(rows), 256):
        results += scorer.score([r["text"] for r in rows[i : i + 256]])
    cpu = time.process_time() - started
    out: dict = {"model": scorer.version, "reviews": len(rows), "topics": {}}
    print(f"RateMDs held-out, {len(rows)} reviews; topic sentiment vs the aspect rating")
    print(f"{'topic (aspect)':32} {'method':18} {'n':>5} {'neg':>4} {'acc':>6} {'neg F1':>7}")
    for topic, aspect in ASPECTS.items():
        own, overall, mixed_own, mixed_overall = [], [], [], []
        for row, r in zip(rows, results, strict=True):
            truth = aspect_label(row[aspect])
            found = next((t for t in r.topics if t["name"] == topic), None)
            if truth is None or found is None:
                continue
            own.append((truth, found["sentiment"]))
            overall.append((truth, r.label))
            if found["sentiment"] != r.label:
                mixed_own.append((truth, found["sentiment"]))
                mixed_overall.append((truth, r.label))
        entry = {
            "aspect": aspect,
            "topic_sentiment": figures(own),
            "overall_label": figures(overall),
            "where_they_differ": {
                "topic_sentiment": figures(mixed_own),
                "overall_label": figures(mixed_overall),
            },
        }
        out["topics"][topic] = entry
        for name, f in (
            ("topic sentiment", entry["topic_sentiment"]),
            ("overall label", entry["overall_label"]),
            ("  where they differ: topic", entry["where_they_differ"]["topic_sentiment"]),
            ("  where they differ: overall", entry["where_they_differ"]["overall_label"]),
        ):
            print(
                f"{topic + ' (' + aspect + ')':32} {name[:30]:18} {f['n']:>5} {f['negatives']:>4} "
                f"{(f['accuracy'] or 0):>6.3f} {f['negative_f1']:>7.3f}"
            )
    out["reviews_per_cpu_second_with_topic_sentiment"] = round(len(rows) / cpu, 1)
    print(f"\n{out['reviews_per_cpu_second_with_topic_sentiment']} reviews per CPU-second")
    (HERE / "topics.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


FLOORS = (0.0, 0.6, 0.7, 0.8, 0.9, 0.95)


def choose(args) -> int:
    """`ScorerConfig.topic_override_min`, chosen on the TRAINING doctors: the lowest floor
    whose mean accuracy over the two topics (against their aspect ratings) is within 0.01 of the
    best floor's. Floors of 1 or more (the topic never differs from the review) are printed for
    comparison, never chosen. The encoder runs once; every floor re-reads its cached outputs."""
    rows = aspect_reviews(args.data, "train")
    rows = random.Random(6).sample(rows, min(args.n, len(rows)))
    texts = [r["text"] for r in rows]
    scorer = load_scorer(ScorerConfig(model="default"))
    scorer.topic_head = None  # this chooses the floor of the review head read sentence by sentence
    cache: dict = {}

    def cached(name, fn):
        def call(items, *a, **kw):
            key = (name, tuple(items))
            if key not in cache:
                cache[key] = fn(items, *a, **kw)
            return cache[key]

        return call

    scorer.sentence_sentiment = cached("sentences", scorer.sentence_sentiment)
    scorer.sentiment_and_embeddings = cached("texts", scorer.sentiment_and_embeddings)
    print(f"RateMDs training doctors, {len(rows)} reviews")
    print(
        f"{'floor':>6} "
        + " ".join(f"{t + ' acc':>18} {'neg F1':>7}" for t in ASPECTS)
        + "  mean acc"
    )
    means = {}
    for floor in (*FLOORS, 1.01):
        scorer.config.topic_override_min = floor
        results = []
        for i in range(0, len(texts), 256):
            results += scorer.score(texts[i : i + 256])
        line = {}
        for topic, aspect in ASPECTS.items():
            pairs = []
            for row, r in zip(rows, results, strict=True):
                truth = aspect_label(row[aspect])
                found = next((t for t in r.topics if t["name"] == topic), None)
                if truth is not None and found is not None:
                    pairs.append((truth, found["sentiment"]))
            line[topic] = figures(pairs)
        mean = sum(line[t]["accuracy"] or 0 for t in ASPECTS) / len(ASPECTS)
        if floor < 1:
            means[floor] = mean
        print(
            f"{floor:>6} "
            + " ".join(
                f"{line[t]['accuracy'] or 0:>18.3f} {line[t]['negative_f1']:>7.3f}" for t in ASPECTS
            )
            + f"  {mean:.4f}"
        )
    best = max(means.values())
    chosen = min(f for f, m in means.items() if m >= best - 0.01)
    print(f"chosen: {chosen} (best mean accuracy below a floor of 1: {best:.4f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
