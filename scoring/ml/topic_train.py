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

The head reads what the scorer gives it (engine.topic_inputs): the topic sentence's tokens
pooled from the review's own encoding (one model pass per review; a sentence the review's token
budget cut is encoded alone) and the review's overall log-probabilities; a contrasting clause
(engine.topic_spans) not about the wait is encoded alone, with its own reading in place of the
review's. topics-2.0.0 was trained on whole sentences, before clauses; the scorer reads clauses
with it unretrained (bench/sentiment/topics_text.py, topics.py measure it). Its probabilities are
blended log-linearly with the review head's reading of the same vector (TopicHead.blend), with
the largest weight in WEIGHTS whose calibration accuracy is within WEIGHT_LOSS of the unblended
head's; then the floor is chosen.
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
WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
WEIGHT_LOSS = 0.005  # the most calibration accuracy the review head's reading may cost
VERSION = "2.0.0"
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


def topic_rows(reviews: list[dict]):
    """The scorer's own topic sentences of the reviews (engine.topic_sentences: the same split,
    cap and topics) and (sentence row, topic, label) for each that mentions one of ASPECTS'
    topics and whose review rates that aspect."""
    from scoring.ml.engine import topic_sentences
    from scoring.ml.topics import find_topics

    texts = [r["text"] for r in reviews]
    plan = topic_sentences(texts, texts, [find_topics(t) for t in texts])
    rows = []
    for i, members in plan.jobs:
        for topic, aspect in ASPECTS.items():
            label = aspect_index(reviews[i][aspect])
            if label is None:
                continue
            rows += [(k, topic, label) for k in members.get(topic, [])]
    return plan, rows


def train(data_dir: str | Path, out_dir: str | Path, progress=print) -> dict:
    from sklearn.linear_model import LogisticRegression

    from scoring.ml.engine import TOPIC_FEATURES, ScorerConfig, load_scorer, topic_inputs

    started = time.perf_counter()
    reviews = aspect_reviews(data_dir, "train")
    plan, rows = topic_rows(reviews)
    owner = np.array([plan.owners[k] for k, *_ in rows])
    cal = np.array([D.hash_bucket(reviews[i]["text"], "topic-cal") < CAL_PERCENT for i in owner])
    progress(
        f"{len(reviews)} training reviews, {len(rows)} topic sentences ({cal.sum()} calibration)"
    )
    # the review head reads the reviews here (the head being trained is not loaded), in the one
    # pass that also gives each topic sentence's tokens in context, exactly as scoring does
    scorer = load_scorer(ScorerConfig(model="default", misinformation=False, topic_sentiment=False))
    texts = [r["text"] for r in reviews]
    emb, in_context = scorer.encoder.encode_spans(texts, plan.spans_of(range(len(texts))))
    overall = scorer.head.probabilities(emb).astype(np.float64)
    vectors, priors = topic_inputs(scorer.encoder, scorer.head, plan, in_context, overall)
    X = vectors[[k for k, *_ in rows]]
    y = np.array([label for *_, label in rows])
    progress(f"encoded in {time.perf_counter() - started:.0f} s")
    # features: the sentence's tokens in context and its review's overall log-probabilities
    # (a contrasting clause: its own tokens and their reading, engine.topic_inputs), so the
    # head learns when a sentence departs from its review
    F = TopicHead.features(X, priors[[k for k, *_ in rows]])
    clf = LogisticRegression(C=1.0, max_iter=3000)
    clf.fit(F[~cal], y[~cal])
    head_probs = clf.predict_proba(F)
    sentence_probs = scorer.head.probabilities(X)  # the review head on the same vectors
    groups: dict[tuple[int, str], list[int]] = {}
    for k, (_, topic, _) in enumerate(rows):
        if cal[k]:
            groups.setdefault((int(owner[k]), topic), []).append(k)

    def accuracy(weight: float, floor: float) -> float:
        probs = TopicHead.blend(head_probs, sentence_probs, weight)
        per_topic = {t: [] for t in ASPECTS}
        for (i, topic), ks in groups.items():
            truth = rows[ks[0]][2]
            if truth == 1:
                continue  # 3-star aspect ratings are left out, as in the bench
            p = probs[ks].mean(axis=0)
            said = int(p.argmax()) if p.max() >= floor else int(overall[i].argmax())
            per_topic[topic].append(said == truth)
        return float(np.mean([np.mean(v) for v in per_topic.values() if v]))

    # The reviewers' aspect ratings follow their overall rating more than a reader of the text
    # does ("a long wait, but worth it" is rated 5 for punctuality): the review head's reading of
    # the sentence is blended in as far as the ratings allow (WEIGHT_LOSS)
    weights = {w: round(accuracy(w, 0.0), 4) for w in WEIGHTS}
    weight = max(w for w, a in weights.items() if a >= weights[0.0] - WEIGHT_LOSS)
    progress(f"calibration mean accuracy by review-head weight {weights}; chosen {weight}")
    table = {floor: round(accuracy(weight, floor), 4) for floor in FLOORS}
    never = round(accuracy(weight, 1.01), 4)
    best = max(table.values())
    floor = min(f for f, a in table.items() if a >= best - 0.01)
    progress(f"calibration mean accuracy by floor {table}; never override {never}; chosen {floor}")
    W = clf.coef_.astype(np.float32)
    b = clf.intercept_.astype(np.float32)
    digest = hashlib.sha256(W.tobytes() + b.tobytes() + np.float32(weight).tobytes()).hexdigest()
    meta = {
        "version": f"topics-{VERSION}+{digest[:8]}",
        "features": TOPIC_FEATURES,
        "review_head_weight": weight,
        "calibration_accuracy_by_review_head_weight": weights,
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
        review_head_weight=np.float32(weight),
        meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
    )
    (Path(out_dir) / "topic_card.json").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
    progress(f"wrote {out}: {meta}")
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(D.default_data_dir()))
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "artifacts"))
    args = parser.parse_args(argv)
    train(args.data, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
