"""The wrong-detail rules (scoring/ml/details.py) on the sets they were written from, through the
product's scoring path, with and without them.

    python bench/misinformation/details.py      # prints a table, writes details.json

Sets (all development data: the rules were written reading them; held-out figures are in
run.py / results.json):

* details_dev.jsonl: 240 posts about 12 clinics' prices and hours (details_sheets.json), written
  for the rules by a helper who read nothing else, hard true cases on purpose;
* the claim judge's six calibration clinics (claims_train_a / _b, scoring.ml.judge_train);
* the other 14 training clinics of the same sets.

Besides the flag rates, the rules alone against each claim's own fact (no model): how many false
and true claims they call wrong.
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("CAREWATCH_ORT_THREADS", "1")

import json  # noqa: E402
import sys  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from scoring.ml import claims as C  # noqa: E402
from scoring.ml import details as D  # noqa: E402
from scoring.ml import judge_train as J  # noqa: E402
from scoring.ml.engine import ScorerConfig, load_scorer  # noqa: E402

LABELS = ("false_claim", "true_claim", "opinion")


def flag_rates(scorer, rows: list[dict], sheets: dict) -> dict:
    model = scorer.misinformation
    counts: Counter = Counter()
    for slug, sheet in [*sheets.items(), (None, {"name": "", "facts": []})]:
        idx = [i for i, r in enumerate(rows) if r["clinic"] == slug]
        if not idx:
            continue
        facts = [C.FactRef(f["slug"], f["statement"], f.get("title", "")) for f in sheet["facts"]]
        texts = [rows[i]["text"] for i in idx]
        refs = model.references(facts, scorer.claim_embeddings, key=f"details-{slug}")
        found = model.assess(
            texts, scorer.claim_embeddings(texts), refs, C.name_words(sheet["name"])
        )
        for i, a in zip(idx, found, strict=True):
            label = rows[i]["label"]
            counts[label, "n"] += 1
            counts[label, "flagged"] += a.flagged
            counts[label, a.parts.get("judge", "")] += 1
    return {
        label: {
            "n": counts[label, "n"],
            "flagged": round(counts[label, "flagged"] / max(counts[label, "n"], 1), 3),
            "by_a_wrong_detail": counts[label, "wrong_detail"],
            "cleared_by_right_details": counts[label, "right_detail"],
        }
        for label in LABELS
    }


def rules_alone(rows: list[dict], sheets: dict) -> dict:
    """The rules against each claim's own fact, with the clinic's sheet."""
    out: Counter = Counter()
    for r in rows:
        facts = {f["slug"]: f["statement"] for f in sheets.get(r["clinic"], {}).get("facts", [])}
        if r["label"] == "opinion" or r.get("fact") not in facts:
            continue
        out[r["label"], "n"] += 1
        wrong = D.conflict(r["text"], facts[r["fact"]], list(facts.values()))
        out[r["label"], "wrong"] += wrong is not None
    return {
        label: {"n": out[label, "n"], "called_wrong": out[label, "wrong"]}
        for label in ("false_claim", "true_claim")
    }


def main() -> int:
    scorer = load_scorer(ScorerConfig(model="default", threads=1, topic_sentiment=False))
    model = scorer.misinformation
    fit, fit_sheets, cal, cal_sheets = J.datasets()
    dev = [json.loads(line) for line in (HERE / "details_dev.jsonl").open(encoding="utf-8")]
    dev_sheets = json.loads((HERE / "details_sheets.json").read_text(encoding="utf-8"))
    sets = {
        "details_dev (12 clinics)": (dev, dev_sheets),
        "judge calibration clinics (6)": (cal, cal_sheets),
        "judge training clinics (14)": (fit, fit_sheets),
    }
    results = {"model": scorer.version, "rules": D.RULES_VERSION, "sets": {}}
    shipped = model.details
    for name, (rows, sheets) in sets.items():
        with_rules = flag_rates(scorer, rows, sheets)
        model.details = lambda *a, **k: (0, None, False)
        try:
            without = flag_rates(scorer, rows, sheets)
        finally:
            model.details = shipped
        results["sets"][name] = {
            "with_the_rules": with_rules,
            "without": without,
            "rules_alone_on_each_claims_own_fact": rules_alone(rows, sheets),
        }

    print(f"model {results['model']}; {results['rules']}")
    print(
        f"{'set':32} {'label':12} {'n':>5} {'flagged':>8} {'without':>8} {'wrong':>6} {'right':>6}"
    )
    for name, got in results["sets"].items():
        for label in LABELS:
            w, o = got["with_the_rules"][label], got["without"][label]
            print(
                f"{name:32} {label:12} {w['n']:5} {w['flagged']:8.3f} {o['flagged']:8.3f} "
                f"{w['by_a_wrong_detail']:6} {w['cleared_by_right_details']:6}"
            )
        alone = got["rules_alone_on_each_claims_own_fact"]
        print(
            f"{'':32} rules alone: {alone['false_claim']['called_wrong']} of "
            f"{alone['false_claim']['n']} false claims, {alone['true_claim']['called_wrong']} of "
            f"{alone['true_claim']['n']} true claims called wrong"
        )
    out = HERE / "details.json"
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
