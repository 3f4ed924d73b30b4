"""Train the topic-sentence head (artifacts/topic_head.npz): the sentiment of a sentence about a
care topic, learned from RateMDs' own aspect ratings.

    python -m scoring.ml.topic_train [--data /work/shared/data] [--out scoring/ml/artifacts]

Why: the review head, applied sentence by sentence, reads "No wait at all" and "worth the long
wait" as complaints (it learned "wait" from complaints), and on the RateMDs training doctors its
topic labels agreed with the reviewers' own punctuality ratings less often than the review's
overall label did (bench/sentiment/topics.py). RateMDs rates every review on `punctuality` and
`staff` besides its text: a sentence that mentions the wait (the `wait_time` topic) takes the
punctuality rating as its label, one that mentions the staff (`staff_attitude`) the staff rating
(1-2 negative, 3 neutral, 4-5 positive). Training doctors only (data.load_ratemds "train"); 15 %
of their reviews (salted hash) are the calibration split on which the decision floor is chosen
(the lowest whose mean topic accuracy is within 0.01 of the best); the held-out doctors are
reported by bench/sentiment/topics.py and never read here. Training time only (scikit-learn).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from scoring.ml import data as D
from scoring.ml.head import TopicHead

ASPECTS = {"wait_time": "punctuality", "staff_attitude": "staff"}
CAL_PERCENT = 15
FLOORS = (0.0, 0.4, 0.5, 0.6, 0.7, 0.8)
VERSION = "1.0.0"
HEAD_FILE = "topic_head.npz"


def aspect_index(value) -> int | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    if not 1 <= v <= 5:
        return None
    return 0 if v <= 2 else 1 if v < 4 else 2


def aspect_reviews(data_dir: str | Path, split: str = "train") -> list[dict]:
    """RateMDs reviews of `split`'s doctors (the loader's rules: English, de-duplicated, doctors
    on one side only) with their aspect ratings (bench/sentiment/topics.py reads the held-out)."""
    wanted = {e.text for e in D.load_ratemds(data_dir, split)}
    path = Path(data_dir) / "reviews" / "ratemds" / "ratemds_reviews.csv"
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            text = D.clean_text(row.get("comment", ""))
            if text in wanted:
                out.append({"text": text, **{a: row.get(a) for a in ASPECTS.values()}})
                wanted.discard(text)
    return out


def topic_sentences(reviews: list[dict]) -> list[tuple[int, str, str, int]]:
    """(review index, topic, sentence, label) for every sentence of a review that mentions one of
    ASPECTS' topics, as the scorer splits and finds them."""
    from scoring.ml.engine import _SENTENCE_SPLIT, MAX_SCAN_CHARS
    from scoring.ml.topics import find_topics

    out = []
    for i, review in enumerate(reviews):
        parts = [p for p in _SENTENCE_SPLIT.split(review["text"][:MAX_SCAN_CHARS]) if p.strip()]
        for part in parts:
            names = {t["name"] for t in find_topics(part)}
            for topic, aspect in ASPECTS.items():
                label = aspect_index(review[aspect])
                if topic in names and label is not None:
                    out.append((i, topic, part, label))
    return out


def train(data_dir: str | Path, out_dir: str | Path, progress=print) -> dict:
    from sklearn.linear_model import LogisticRegression

    from scoring.ml.engine import SENTENCE_MAX_TOKENS, ScorerConfig, load_scorer

    started = time.perf_counter()
    reviews = aspect_reviews(data_dir, "train")
    rows = topic_sentences(reviews)
    cal = np.array([D.hash_bucket(reviews[i]["text"], "topic-cal") < CAL_PERCENT for i, *_ in rows])
    progress(
        f"{len(reviews)} training reviews, {len(rows)} topic sentences ({cal.sum()} calibration)"
    )
    # the review head reads the sentences here: the head being trained is not loaded
    scorer = load_scorer(ScorerConfig(model="default", misinformation=False, topic_sentiment=False))
    X = scorer.encoder.encode([r[2] for r in rows], max_tokens=SENTENCE_MAX_TOKENS)
    overall = scorer.sentiment([r["text"] for r in reviews])
    y = np.array([r[3] for r in rows])
    progress(f"encoded in {time.perf_counter() - started:.0f} s")
    # features: the sentence's embedding and its review's overall log-probabilities, so the head
    # learns when a sentence departs from its review
    F = TopicHead.features(X, overall[[r[0] for r in rows]])
    clf = LogisticRegression(C=1.0, max_iter=3000)
    clf.fit(F[~cal], y[~cal])
    probs = clf.predict_proba(F)
    groups: dict[tuple[int, str], list[int]] = {}
    for k, (i, topic, _, _) in enumerate(rows):
        if cal[k]:
            groups.setdefault((i, topic), []).append(k)

    def accuracy(floor: float) -> float:
        per_topic = {t: [] for t in ASPECTS}
        for (i, topic), ks in groups.items():
            truth = rows[ks[0]][3]
            if truth == 1:
                continue  # 3-star aspect ratings are left out, as in the bench
            p = probs[ks].mean(axis=0)
            said = int(p.argmax()) if p.max() >= floor else int(overall[i].argmax())
            per_topic[topic].append(said == truth)
        return float(np.mean([np.mean(v) for v in per_topic.values() if v]))

    table = {floor: round(accuracy(floor), 4) for floor in FLOORS}
    never = round(accuracy(1.01), 4)
    best = max(table.values())
    floor = min(f for f, a in table.items() if a >= best - 0.01)
    progress(f"calibration mean accuracy by floor {table}; never override {never}; chosen {floor}")
    W = clf.coef_.astype(np.float32)
    b = clf.intercept_.astype(np.float32)
    digest = hashlib.sha256(W.tobytes() + b.tobytes()).hexdigest()[:8]
    meta = {
        "version": f"topics-{VERSION}+{digest}",
        "floor": floor,
        "calibration_accuracy_by_floor": table,
        "calibration_accuracy_never_override": never,
        "encoder": scorer.version,
        "data": {
            "ratemds_training_reviews": len(reviews),
            "topic_sentences": len(rows),
            "calibration_sentences": int(cal.sum()),
            "labels": "the review's punctuality (wait_time) or staff (staff_attitude) rating: "
            "1-2 negative, 3 neutral, 4-5 positive",
        },
        "train_seconds": round(time.perf_counter() - started, 1),
    }
    out = Path(out_dir) / HEAD_FILE
    np.savez_compressed(
        out,
        W=W,
        b=b,
        floor=np.float32(floor),
        meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
    )
    (Path(out_dir) / "topic_card.json").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
    progress(f"wrote {out}: {meta}")
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/work/shared/data")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "artifacts"))
    args = parser.parse_args(argv)
    train(args.data, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
