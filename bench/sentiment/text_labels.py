"""RateMDs held-out read by a person: how much of the star label is the text?

    python bench/sentiment/text_labels.py

RateMDs' star label is the mean of four sub-ratings (staff, punctuality, helpfulness,
knowledge), rounded: a review that says "Rudest doctor I have ever met" can average 3.0 and
count as *neutral*. To see how far that caps a text model, 400 reviews of the RateMDs
**held-out** doctors (a stratified random sample: 90 of 1-2 stars, 110 of 3, 100 of 4, 100 of
5; seed 2026) were labelled negative / neutral / positive by a helper who read only the texts:
no stars, no model output, no rules (`ratemds_text_labels.jsonl`, with the annotator's
"clear" / "unsure"). Nothing was trained or tuned on these rows.

Figures are weighted back to the held-out split (each stratum by its size / its sample), so
they estimate the whole split. Printed: the agreement of the star label with the text label,
and the shipped scorer's negative recall / precision / F1 against each. Writes
bench/sentiment/text_labels.json.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("CAREWATCH_ORT_THREADS", "1")

import collections  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from scoring.ml import data as D  # noqa: E402
from scoring.ml.engine import ScorerConfig, load_scorer  # noqa: E402

SAMPLE = HERE / "ratemds_text_labels.jsonl"
STRATA = {
    "neg": lambda s: s <= 2,
    "3": lambda s: s == 3,
    "4": lambda s: s == 4,
    "5": lambda s: s == 5,
}


def negative_figures(truth: list[str], pred: list[str], weight: list[float]) -> dict:
    tp = sum(w for t, p, w in zip(truth, pred, weight, strict=True) if t == p == "negative")
    fp = sum(w for t, p, w in zip(truth, pred, weight, strict=True) if p == "negative" != t)
    fn = sum(w for t, p, w in zip(truth, pred, weight, strict=True) if t == "negative" != p)
    recall = tp / (tp + fn) if tp + fn else 0.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"recall": round(recall, 3), "precision": round(precision, 3), "f1": round(f1, 3)}


def main() -> int:
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    held = D.load_ratemds(D.default_data_dir(), "heldout")
    sizes = {k: sum(1 for e in held if test(e.meta["stars"])) for k, test in STRATA.items()}
    taken = collections.Counter(r["stratum"] for r in rows)
    weight = [sizes[r["stratum"]] / taken[r["stratum"]] for r in rows]
    scorer = load_scorer(ScorerConfig(model="default", topic_sentiment=False))
    pred = [r.label for r in scorer.score([r["text"] for r in rows])]
    text = [r["text_label"] for r in rows]
    stars = [r["star_label"] for r in rows]
    clear = [i for i, r in enumerate(rows) if r["confidence"] == "clear"]

    def pick(values, idx):
        return [values[i] for i in idx]

    by_stratum = {
        s: dict(collections.Counter(r["text_label"] for r in rows if r["stratum"] == s))
        for s in STRATA
    }
    model_neg = {
        s: round(
            sum(1 for r, p in zip(rows, pred, strict=True) if r["stratum"] == s and p == "negative")
            / taken[s],
            3,
        )
        for s in STRATA
    }
    out = {
        "model": scorer.version,
        "sample": {"rows": len(rows), "taken": dict(taken), "heldout_sizes": sizes},
        "text_label_by_star_stratum": by_stratum,
        "model_negative_share_by_star_stratum": model_neg,
        "star_label_vs_text_label": negative_figures(text, stars, weight),
        "model_vs_star_label": negative_figures(stars, pred, weight),
        "model_vs_text_label": negative_figures(text, pred, weight),
        "clear_rows_only": {
            "rows": len(clear),
            "star_label_vs_text_label": negative_figures(
                pick(text, clear), pick(stars, clear), pick(weight, clear)
            ),
            "model_vs_text_label": negative_figures(
                pick(text, clear), pick(pred, clear), pick(weight, clear)
            ),
        },
    }
    print(f"RateMDs held-out sample read by a person ({len(rows)} rows, weighted to the split)")
    print(f"{'stratum':8} {'rows':>5}  text label (negative / neutral / positive)  model negative")
    for s in STRATA:
        c = by_stratum[s]
        print(
            f"{s + '★' if s != 'neg' else '1-2★':8} {taken[s]:>5}  "
            f"{c.get('negative', 0):>5} / {c.get('neutral', 0):>3} / {c.get('positive', 0):>3}"
            f"{'':22}{model_neg[s]:.3f}"
        )
    print(f"\n{'negative class':34} {'recall':>7} {'precision':>9} {'F1':>6}")
    for name, key in (
        ("star label, scored by text label", "star_label_vs_text_label"),
        ("model, scored by star label", "model_vs_star_label"),
        ("model, scored by text label", "model_vs_text_label"),
    ):
        f = out[key]
        print(f"{name:34} {f['recall']:>7.3f} {f['precision']:>9.3f} {f['f1']:>6.3f}")
    f = out["clear_rows_only"]["model_vs_text_label"]
    print(
        f"{'model, text label, clear rows':34} {f['recall']:>7.3f} {f['precision']:>9.3f} {f['f1']:>6.3f}"
    )
    (HERE / "text_labels.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
