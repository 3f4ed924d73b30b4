"""Per-topic sentiment against what the text says: mixed clinic reviews labelled per topic by a
reader.

    python bench/sentiment/topics_text.py

`topic_text_labels.jsonl`: 320 US clinic reviews written and labelled by a helper who never saw
the code, the models or any other data: each review's overall label and, for every care topic it
talks about, the sentiment a careful reader gives that topic from the text alone (160 mixed
reviews — "Dr Lee is wonderful. The wait was over two hours." is positive overall and negative
for wait_time —, 100 consistent ones, 60 with negation, idioms and sarcasm). The writer's
conventions: a wait described as long is negative even when forgiven; "worth the wait" alone is
neutral; a rude *doctor* is communication, not staff_attitude.

The rows are split in two halves by a hash of the id: the **dev** half was used to choose the
weight of a tried blend, the **test** half was run after the choice. Compared, on the topics the
scorer finds (a topic the reader names but the scorer does not find is counted apart, as
"not found"):

* overall label: every topic gets the review's label (a product without per-topic sentiment);
* shipped: the topic head (scoring/ml/topic_train.py), what score_text returns; since topics
  2.0.0 it reads the topic sentence's tokens in the review's own encoding (one model pass);
* review head per sentence: the review model read on the topic's sentences alone.

History (test half, accuracy): topics 1.0.0, the same head on each sentence encoded alone,
0.680; a blend of it with the review head per sentence (p ∝ head^0.5 · sentence^0.5, the weight
chosen on the dev half) 0.700, not shipped because it lost 0.034 on the held-out doctors'
punctuality ratings (bench/sentiment/topics.py, 0.949 -> 0.915). The wait rule
(scoring/ml/waits.py: a plainly stated wait decides wait_time), written from the dev half and
the training doctors: shipped 0.664 -> 0.691 on the test half (wait_time 27 -> 31 of 42).
Contrasting clauses (scoring/ml/clauses.py: "Great therapists, but the wait was long." — a
topic reads the clause that mentions it; one not about the wait is encoded alone against its
own reading) and three borrowed trigger words (topics.BORROWED: "billing was a mess" is not
cleanliness, "the waiting room wait" not facilities, "past my appointment" not scheduling),
rules chosen on the dev half with the shipped head unretrained: dev 0.772 -> 0.804, then the
test half once, 0.686 -> 0.709 (the same topics found; the held-out punctuality ratings 0.912 ->
0.906). Clauses read in the review's encoding alone gave dev 0.786 and left "Super friendly
team but parking is impossible." positive: the praise colours the clause's tokens.

The reader and the reviewers disagree: read by the text, the review head on the sentence alone
is right more often than the topic head; against the reviewers' own aspect ratings it is the
other way round (topics.py). The topic head follows the ratings.

Prints a table and writes bench/sentiment/topics_text.json.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("CAREWATCH_ORT_THREADS", "1")

import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from scoring.ml.data import LABELS  # noqa: E402
from scoring.ml.engine import ScorerConfig, load_scorer  # noqa: E402

DATA = HERE / "topic_text_labels.jsonl"
METHODS = ("overall label", "shipped", "review head per sentence")


def half_of(row_id: str) -> str:
    return "dev" if int(hashlib.sha256(row_id.encode()).hexdigest(), 16) % 2 == 0 else "test"


def figures(pairs: list[tuple[str, str, bool]]) -> dict:
    """pairs: (truth, said, the truth differs from the review's own overall label)."""
    n = len(pairs)
    tp = sum(1 for t, s, _ in pairs if t == s == "negative")
    fp = sum(1 for t, s, _ in pairs if s == "negative" != t)
    fn = sum(1 for t, s, _ in pairs if t == "negative" != s)
    differs = [(t, s) for t, s, d in pairs if d]
    return {
        "n": n,
        "accuracy": round(sum(t == s for t, s, _ in pairs) / n, 3) if n else None,
        "negative_f1": round(2 * tp / (2 * tp + fp + fn), 3) if tp else 0.0,
        "where_topic_differs_from_overall": len(differs),
        "accuracy_there": round(sum(t == s for t, s in differs) / len(differs), 3)
        if differs
        else None,
    }


def main() -> int:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    scorer = load_scorer(ScorerConfig(model="default", topic_sentiment=True))
    head = scorer.topic_head
    results = scorer.score([r["text"] for r in rows])

    # the same sentences the scorer read, each read alone by the review head (without a topic
    # head the engine falls back to it), at the topic head's floor
    scorer.topic_head, scorer.config.topic_override_min = None, head.floor
    captured = {"review head per sentence": scorer.score([r["text"] for r in rows])}
    scorer.topic_head, scorer.config.topic_override_min = head, None

    out: dict = {"model": scorer.version, "rows": len(rows), "halves": {}}
    print(f"{'half':5} {'method':26} {'n':>4} {'acc':>6} {'neg F1':>7} {'differs':>8} {'acc':>6}")
    for half in ("dev", "test"):
        pairs = {m: [] for m in METHODS}
        not_found = 0
        coverage: dict[str, list[int]] = {}
        for k, row in enumerate(rows):
            if half_of(row["id"]) != half:
                continue
            said = {
                "overall label": {t["name"]: results[k].label for t in results[k].topics},
                "shipped": {t["name"]: t["sentiment"] for t in results[k].topics},
                **{m: {t["name"]: t["sentiment"] for t in captured[m][k].topics} for m in captured},
            }
            for topic, truth in row["topics"].items():
                named = coverage.setdefault(topic, [0, 0])
                named[1] += 1
                if topic not in said["shipped"]:
                    not_found += 1
                    continue
                named[0] += 1
                for m in METHODS:
                    pairs[m].append((truth, said[m][topic], truth != row["overall"]))
        entry = {m: figures(p) for m, p in pairs.items()}
        entry["topics_named_by_the_reader_not_found"] = not_found
        entry["found_of_named_per_topic"] = {
            t: f"{f}/{n}" for t, (f, n) in sorted(coverage.items())
        }
        out["halves"][half] = entry
        for m in METHODS:
            f = entry[m]
            print(
                f"{half:5} {m:26} {f['n']:>4} {f['accuracy']:>6.3f} {f['negative_f1']:>7.3f} "
                f"{f['where_topic_differs_from_overall']:>8} {f['accuracy_there'] or 0:>6.3f}"
            )
        print(f"{half:5} topics the reader names that the scorer does not find: {not_found}")
        print(f"{half:5} found / named per topic: {entry['found_of_named_per_topic']}")
    out["labels"] = list(LABELS)
    (HERE / "topics_text.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
