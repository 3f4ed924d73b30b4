"""Misinformation flag quality on held-out data only, through the product's scoring path.

    python bench/misinformation/run.py [--data /work/shared/data]

Every text goes through `Scorer.score` (the shipped model, one thread), exactly as the
scoring worker runs it; a text is "flagged" when its score carries the misinformation flag.
Sets (none of them trained on, calibrated on, or read while writing a rule):

(a) CONSTRAINT test (2,140 COVID posts, URLs removed): fake = false claim, real = true;
(b) the COVID rumour set's held-out side (25 %, T / F only; see data.load_covid_rumor);
(c) the held-out groups of bench/misinformation/clinic_claims.jsonl, each clinic scored with
    its fact sheet (fact_sheets.json) and its name; opinions reported apart;
(c2) clinic_claims_extra.jsonl: 720 mentions of eight other clinics (fact_sheets_extra.json),
    written by a second helper who never saw clinic_claims.jsonl; never trained on (a model
    trained with it, misinfo 2.1.0, did no better on (c) and lost (a), and was not shipped),
    nor read by the claim judge's training or calibration (those use claims_train_a / _b, 20
    clinics of other specialties, and the clinic claims' train split);
(c3) clinic_claims_third.jsonl: 838 mentions of ten clinics of other specialties and countries
    (GP surgery, dental implants, hearing, weight loss, hair transplant, veins, speech therapy,
    addiction, urology, blood tests; fact_sheets_third.json) written by a third helper who read
    nothing else, asked for hard cases (wrong details only, quoted-and-refuted rumours,
    negations both ways); never trained or calibrated on;
(c4) clinic_claims_fourth.jsonl: 818 mentions of ten more US clinics (family medicine,
    paediatric dentistry, orthopaedics, dermatology, a community health centre, OB-GYN, eye
    surgery, urgent care, physiotherapy, a grocery-store vaccine clinic; fact_sheets_fourth.json)
    by a fourth helper, asked for the same hard cases; written as training data for the claim
    judge, but the judge trained with it did worse on its calibration clinics and was not
    shipped, so it was never trained or calibrated on;
(d) real reviews: 2,000 review-site texts of the held-out doctors / providers (RateMDs,
    Healthgrades), none a claim of the kinds above: how often ordinary reviews are flagged.

Beside it, a keyword baseline (KEYWORDS: wording typical of health misinformation and of
accusations against a clinic, written without reading any evaluation text). Recall = flagged
false claims / false claims; false-flag rate = flagged true claims / true claims. Prints a
table and writes bench/misinformation/results.json.
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("CAREWATCH_ORT_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from scoring.ml import data as D  # noqa: E402
from scoring.ml.claims import FactRef  # noqa: E402

KEYWORDS = re.compile(
    r"\b(?:"
    + "|".join(
        [
            r"re-?us(?:e|es|ed|ing) (?:the )?(?:same )?(?:needles?|syringes?|gloves)",
            r"same needle",
            r"expired",
            r"out of date",
            r"un-?licen[cs]ed",
            r"no licen[cs]e",
            r"(?:lost|revoked|suspended) (?:his |her |their )?licen[cs]e",
            r"not (?:a )?real (?:doctor|dentist)",
            r"fake (?:doctor|dentist|nurse|results?|tests?)",
            r"not sterili[sz]ed",
            r"never (?:clean|sterili[sz]e|disinfect)\w*",
            r"dirty (?:needles?|instruments?|tools?)",
            r"poison\w*",
            r"toxic",
            r"micro-?chips?",
            r"autism",
            r"hoax",
            r"cover(?:ed|ing)?[- ]up",
            r"shut(?:ting)? down",
            r"(?:cure|cures|cured) (?:covid|cancer|coronavirus|the virus)",
            r"bioweapon",
            r"5g",
            r"bleach",
            r"plandemic",
            r"wake up",
            r"do your (?:own )?research",
            r"they don'?t want you to know",
        ]
    )
    + r")\b",
    re.IGNORECASE,
)

# name -> (rows file, which rows, fact sheets file)
CLINIC_SETS = {
    "(c) clinic claims held-out": (
        "clinic_claims.jsonl",
        lambda r: r["split"] == "heldout",
        "fact_sheets.json",
    ),
    "(c2) clinic claims, second writer": (
        "clinic_claims_extra.jsonl",
        lambda r: r["clinic"] is not None,
        "fact_sheets_extra.json",
    ),
    "(c3) clinic claims, third writer": (
        "clinic_claims_third.jsonl",
        lambda r: True,
        "fact_sheets_third.json",
    ),
    "(c4) clinic claims, fourth writer": (
        "clinic_claims_fourth.jsonl",
        lambda r: True,
        "fact_sheets_fourth.json",
    ),
}


def rates(flags: list[bool], false: list[bool]) -> dict:
    tp = sum(1 for f, y in zip(flags, false, strict=True) if f and y)
    fp = sum(1 for f, y in zip(flags, false, strict=True) if f and not y)
    n_false = sum(false)
    n_true = len(false) - n_false
    return {
        "false_claims": n_false,
        "true_claims": n_true,
        "recall": round(tp / n_false, 4) if n_false else None,
        "false_flag_rate": round(fp / n_true, 4) if n_true else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(D.default_data_dir()))
    parser.add_argument("--reviews", type=int, default=2000)
    parser.add_argument("--out", default=str(HERE / "results.json"))
    parser.add_argument(
        "--no-judge",
        action="store_true",
        help="the heads alone, without the claim judge (for comparison; not the product)",
    )
    parser.add_argument(
        "--no-veracity",
        action="store_true",
        help="without the veracity model (misinformation as before veracity-1.0.0; for comparison)",
    )
    args = parser.parse_args()

    from scoring.ml.engine import ScorerConfig, load_scorer

    scorer = load_scorer(
        ScorerConfig(
            model="default", threads=1, topic_sentiment=False, veracity=not args.no_veracity
        )
    )
    if args.no_judge:
        scorer.misinformation.judge = None

    def flagged(texts, **context):
        out = []
        for start in range(0, len(texts), 256):  # the worker's task size
            for r in scorer.score(texts[start : start + 256], **context):
                flag = next((f for f in r.flags if f["name"] == "misinformation"), None)
                out.append(flag)
        return out

    started = time.perf_counter()
    results: dict = {
        "model_version": scorer.version,
        "claim_judge": "off (--no-judge)" if args.no_judge else "on",
        "veracity": "off (--no-veracity)" if args.no_veracity else "on",
        "sets": {},
    }
    table = []

    def add(name, texts, is_false, flags, extra=None):
        model = rates([f is not None for f in flags], is_false)
        base = rates([bool(KEYWORDS.search(t)) for t in texts], is_false)
        results["sets"][name] = {"model": model, "keyword_baseline": base, **(extra or {})}
        table.append((name, model, base))

    # (a) CONSTRAINT test, URLs removed
    test = D.load_constraint(args.data, "test", remove_urls=True)
    texts = [e.text for e in test]
    add("(a) CONSTRAINT test, URLs removed", texts, [e.y == 1 for e in test], flagged(texts))

    # (b) COVID rumours, held-out side, T/F
    rumor = D.load_covid_rumor(args.data, "heldout")
    texts = [e.text for e in rumor]
    add("(b) COVID rumours held-out (T/F)", texts, [e.y == 1 for e in rumor], flagged(texts))

    def clinic_set(name, rows, sheets):
        """Each clinic's rows scored with its fact sheet and its name; opinions apart."""
        flags_by_row: dict[int, dict | None] = {}
        for slug, sheet in sheets.items():
            idx = [i for i, r in enumerate(rows) if r["clinic"] == slug]
            if not idx:
                continue
            facts = [FactRef(f["slug"], f["statement"], f["title"]) for f in sheet["facts"]]
            got = flagged(
                [rows[i]["text"] for i in idx],
                clinic_name=sheet["name"],
                facts=facts,
                clinic_key=slug,
            )
            flags_by_row.update(zip(idx, got, strict=True))
        claims = [i for i, r in enumerate(rows) if r["label"] != "opinion"]
        opinions = [i for i, r in enumerate(rows) if r["label"] == "opinion"]
        false_rows = [i for i in claims if rows[i]["label"] == "false_claim"]
        caught = [i for i in false_rows if flags_by_row[i] is not None]
        right_fact = [
            i
            for i in caught
            if (flags_by_row[i].get("contradicts") or {}).get("slug") == rows[i]["fact"]
        ]
        opinion_flags = sum(1 for i in opinions if flags_by_row[i] is not None)
        opinion_kw = sum(1 for i in opinions if KEYWORDS.search(rows[i]["text"]))
        add(
            name,
            [rows[i]["text"] for i in claims],
            [rows[i]["label"] == "false_claim" for i in claims],
            [flags_by_row[i] for i in claims],
            {
                "opinions": len(opinions),
                "opinions_flagged": {"model": opinion_flags, "keyword_baseline": opinion_kw},
                "flagged_false_claims_citing_their_fact": {
                    "count": len(right_fact),
                    "of": len(caught),
                    "share": round(len(right_fact) / len(caught), 4) if caught else None,
                },
                "groups": sorted({r["group"] for r in rows}),
            },
        )

    def jsonl(name):
        text = (HERE / name).read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    # the clinic sets, each clinic with its fact sheet: (c) the held-out groups; (c2) eight more
    # clinics by a second hand (clinic rows only); (c3) ten UK, Irish, Australian, Canadian and
    # US clinics by a third; (c4) ten US clinics by a fourth (both asked for hard cases). None
    # trained or calibrated on.
    for name, (rows_file, keep, sheets_file) in CLINIC_SETS.items():
        clinic_set(
            name,
            [r for r in jsonl(rows_file) if keep(r)],
            json.loads((HERE / sheets_file).read_text(encoding="utf-8")),
        )

    # (d) real reviews of held-out doctors / providers
    rnd = random.Random(11)
    reviews = D.load_ratemds(args.data, "heldout") + D.load_healthgrades(args.data, "heldout")
    texts = [e.text for e in rnd.sample(reviews, min(args.reviews, len(reviews)))]
    got = flagged(texts)
    review_flags = sum(1 for f in got if f is not None)
    review_kw = sum(1 for t in texts if KEYWORDS.search(t))
    results["sets"]["(d) real reviews held-out (no claims expected)"] = {
        "texts": len(texts),
        "flag_rate": {
            "model": round(review_flags / len(texts), 4),
            "keyword_baseline": round(review_kw / len(texts), 4),
        },
        "examples_flagged": [
            {"text": t[:200], "claim": f["claim"], "contradicts": f["contradicts"]}
            for t, f in zip(texts, got, strict=True)
            if f is not None
        ][:10],
    }

    targets = {
        "(c) recall >= 0.90": ("(c) clinic claims held-out", "recall", 0.90, ">="),
        "(c) false flags <= 0.05": ("(c) clinic claims held-out", "false_flag_rate", 0.05, "<="),
        "(a) recall >= 0.80": ("(a) CONSTRAINT test, URLs removed", "recall", 0.80, ">="),
        "(a) false flags <= 0.10": (
            "(a) CONSTRAINT test, URLs removed",
            "false_flag_rate",
            0.10,
            "<=",
        ),
        "(b) recall >= 0.80": ("(b) COVID rumours held-out (T/F)", "recall", 0.80, ">="),
        "(b) false flags <= 0.10": (
            "(b) COVID rumours held-out (T/F)",
            "false_flag_rate",
            0.10,
            "<=",
        ),
    }
    results["targets"] = {}
    for label, (name, key, bound, op) in targets.items():
        value = results["sets"][name]["model"][key]
        met = value >= bound if op == ">=" else value <= bound
        results["targets"][label] = [value, met]
    results["seconds"] = round(time.perf_counter() - started, 1)

    print(
        f"model {scorer.version}{' WITHOUT the claim judge' if args.no_judge else ''}"
        f"{' WITHOUT the veracity model' if args.no_veracity else ''}; every "
        "set held out (never trained, calibrated or tuned on)"
    )
    print()
    header = f"{'set':<38} {'false':>5} {'true':>5} {'recall':>7} {'false flags':>11} {'kw recall':>9} {'kw ff':>6}"
    print(header)
    print("-" * len(header))
    for name, m, b in table:
        print(
            f"{name:<38} {m['false_claims']:>5} {m['true_claims']:>5} {m['recall']:>7.3f} "
            f"{m['false_flag_rate']:>11.3f} {b['recall']:>9.3f} {b['false_flag_rate']:>6.3f}"
        )
    d = results["sets"]["(d) real reviews held-out (no claims expected)"]
    print()
    for key in CLINIC_SETS:
        c = results["sets"][key]
        print(
            f"{key[:4]} opinions flagged: {c['opinions_flagged']['model']} of {c['opinions']} "
            f"(keywords {c['opinions_flagged']['keyword_baseline']}); flagged false claims "
            f"citing their own fact: {c['flagged_false_claims_citing_their_fact']['count']} of "
            f"{c['flagged_false_claims_citing_their_fact']['of']}"
        )
    print(
        f"(d) real reviews flagged: {d['flag_rate']['model']:.3%} of {d['texts']} "
        f"(keywords {d['flag_rate']['keyword_baseline']:.3%})"
    )
    print()
    for label, (value, met) in results["targets"].items():
        print(f"{label:<26} {value!s:>7}  {'met' if met else 'NOT MET'}")
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {args.out} in {results['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
