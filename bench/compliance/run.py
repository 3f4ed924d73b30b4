"""Measure the reply guard on the labelled set in replies.jsonl.

    .venv/bin/python bench/compliance/run.py [--verbose] [--set <name>] [--greeting-allowed]

``--greeting-allowed`` measures a clinic that lets replies greet the reviewer by their display
name (the setting ``allow_reviewer_name``; off by default, when such a greeting needs review):
every line that has a context gets it switched on; writes results_<set>_greeting_allowed.json.

A reply counts as *flagged* when the guard says ``block`` or ``needs_review``.
  recall  = flagged unsafe / all unsafe          (target >= 0.97)
  FPR     = flagged safe   / all safe            (target <= 0.10)
The set is split deterministically: every 4th line (index 3, 7, 11, ... counting from 0) is
"held-out", the rest is "dev". Only dev items were looked at while tuning the patterns.
Writes bench/compliance/results.json.

``--set probe`` / ``--set probe2`` / ``--set probe3`` run the probe sets instead (written later,
after the guard's first, second and third versions, to measure how the rules generalise to
phrasing their author had not tuned on; see README.md for their first-run figures); writes
results_<set>.json.

``--set fresh_eval`` / ``--set fresh_eval2`` / ``--set fresh_eval3`` run the measuring sets (written by helpers who
never saw the rules or any other set; never tuned on). Each line is checked in its own context
only: a line without ``context`` gets an empty GuardContext (the guard knows nothing about the
clinic) and is reported under "without clinic context"; a line with ``context`` gets exactly
that context and is reported under "with clinic context". No dev/held-out split; no per-item
lists are printed (run with ``--verbose`` only once the set is retired to training). Writes
results_<set>.json.

``--set independent`` runs independent.jsonl, the first such set: a measuring set until
2026-12-04, when its misses were read to write rules and fresh_eval2 replaced it; since then a
rule-blind training set like train_extra*, its misses listed.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from responses.guard import GuardContext, check_reply, warm_up  # noqa: E402

DEFAULT_CONTEXT = {
    "clinic_name": "Riverbend Family Health",
    "clinic_phones": ["(512) 555-0142", "512-555-0199"],
    "clinic_emails": ["care@riverbendhealth.com"],
    "clinic_urls": ["https://riverbendhealth.com", "riverbendhealth.com/feedback"],
    "clinic_address": "4100 Riverbend Blvd, Suite 200, Austin, TX 78731",
    "staff_names": [
        "Sarah Mitchell",
        "Dr. Anita Rao",
        "Dr. Marcus Webb",
        "Jenna Torres",
        "Luis Ramirez",
    ],
    "allow_reviewer_name": False,
    "reviewer_name": None,
}
CATEGORIES = ("identifier", "patient_confirmation", "health_detail", "tone")
# the sets, by how they are written and used
TUNING_SETS = ("replies", "probe", "probe2", "probe3")  # checked in DEFAULT_CONTEXT
# rule-blind training sets: each line checked in its own context only, misses listed
OWN_CONTEXT_SETS = (
    "train_extra",
    "train_extra2",
    "train_extra3",
    "train_extra4",
    "independent",
    "train_extra5",
    "train_extra6",
)
# never tuned on: each line in its own context, aggregates only
MEASURING_SETS = ("fresh_eval", "fresh_eval2", "fresh_eval3", "fresh_eval4")


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def split_of(index: int) -> str:
    return "held_out" if index % 4 == 3 else "dev"


def metrics(rows: list[dict]) -> dict:
    unsafe = [r for r in rows if r["label"] == "unsafe"]
    safe = [r for r in rows if r["label"] == "safe"]
    out = {
        "n": len(rows),
        "n_unsafe": len(unsafe),
        "n_safe": len(safe),
        "recall": round(sum(r["flagged"] for r in unsafe) / len(unsafe), 4) if unsafe else None,
        "fpr": round(sum(r["flagged"] for r in safe) / len(safe), 4) if safe else None,
        "recall_by_category": {},
    }
    for cat in CATEGORIES:
        rows_c = [r for r in unsafe if r.get("category") == cat]
        if rows_c:
            out["recall_by_category"][cat] = {
                "n": len(rows_c),
                "recall": round(sum(r["flagged"] for r in rows_c) / len(rows_c), 4),
                # stricter: the guard found a finding of the item's own category
                "kind_recall": round(sum(cat in r["kinds"] for r in rows_c) / len(rows_c), 4),
            }
    return out


def main() -> int:
    verbose = "--verbose" in sys.argv
    # the clinic setting "greet the reviewer by their display name" switched on for every line
    # that has a context (default off: the guard sends such a greeting to review)
    greeting = "--greeting-allowed" in sys.argv
    suffix = "_greeting_allowed" if greeting else ""
    set_name = sys.argv[sys.argv.index("--set") + 1] if "--set" in sys.argv else "replies"
    if set_name not in (*TUNING_SETS, *OWN_CONTEXT_SETS, *MEASURING_SETS):
        raise SystemExit(f"unknown set {set_name!r}")
    independent = set_name in MEASURING_SETS
    own_context = independent or set_name in OWN_CONTEXT_SETS
    items = load(HERE / f"{set_name}.jsonl")
    t0 = time.perf_counter()
    warm = warm_up()
    print(f"engine warm-up: {warm:.2f} s (first build, process-wide)")

    rows, latencies, cpu = [], [], []
    for i, item in enumerate(items):
        if own_context:
            given = item.get("context")
            ctx = GuardContext.from_dict(
                {**given, "allow_reviewer_name": True} if given and greeting else given
            )
            split = "with_context" if given else "without_context"
        else:
            ctx = GuardContext.from_dict({**DEFAULT_CONTEXT, **(item.get("context") or {})})
            split = split_of(i)
        t, c = time.perf_counter(), time.process_time()
        res = check_reply(item["text"], review_text=item.get("review"), context=ctx)
        latencies.append((time.perf_counter() - t) * 1000.0)
        cpu.append((time.process_time() - c) * 1000.0)
        rows.append(
            {
                "id": item["id"],
                "split": split,
                "label": item["label"],
                "category": item.get("category"),
                "verdict": res.verdict,
                "flagged": res.verdict != "ok",
                "kinds": sorted(res.kinds()),
                "findings": [f"{f.kind}/{f.subtype}:{f.text!r}:{f.severity}" for f in res.findings],
            }
        )

    # long-text latency
    long_text = " ".join(i["text"] for i in items)
    long_text = (long_text * (20000 // len(long_text) + 1))[:20000]
    t = time.perf_counter()
    check_reply(long_text, context=GuardContext.from_dict(DEFAULT_CONTEXT))
    long_ms = (time.perf_counter() - t) * 1000.0

    lat_sorted = sorted(latencies)
    cpu_sorted = sorted(cpu)
    splits = ("without_context", "with_context") if own_context else ("dev", "held_out")
    report = {
        "all": metrics(rows),
        **{name: metrics([r for r in rows if r["split"] == name]) for name in splits},
        "latency_ms": {
            "mean": round(statistics.fmean(latencies), 2),
            "p50": round(lat_sorted[len(lat_sorted) // 2], 2),
            "p95": round(lat_sorted[int(0.95 * (len(lat_sorted) - 1))], 2),
            "max": round(lat_sorted[-1], 2),
            # CPU time of the check itself: independent of other load on the shared cores
            "cpu_mean": round(statistics.fmean(cpu), 2),
            "cpu_p95": round(cpu_sorted[int(0.95 * (len(cpu_sorted) - 1))], 2),
            "long_text_20000_chars": round(long_ms, 1),
            "warm_up_s": round(warm, 2),
        },
        "verdicts": {
            v: sum(r["verdict"] == v for r in rows) for v in ("block", "needs_review", "ok")
        },
        "missed_unsafe": [r["id"] for r in rows if r["label"] == "unsafe" and not r["flagged"]],
        "false_positives": [r["id"] for r in rows if r["label"] == "safe" and r["flagged"]],
        "rows": rows,
    }

    print()
    print(f"{'split':<16}{'n':>5}{'unsafe':>8}{'safe':>6}{'recall':>9}{'FPR':>8}")
    for name in (*splits, "all"):
        m = report[name]
        print(
            f"{name:<16}{m['n']:>5}{m['n_unsafe']:>8}{m['n_safe']:>6}"
            f"{m['recall']:>9.3f}{m['fpr']:>8.3f}"
        )
    print()
    print(f"{'category':<22}{'n':>4}{'recall':>9}{'kind':>7}   ({' / '.join(splits)} recall)")
    for cat in CATEGORIES:
        a = report["all"]["recall_by_category"][cat]
        d = report[splits[0]]["recall_by_category"].get(cat, {})
        h = report[splits[1]]["recall_by_category"].get(cat, {})
        print(
            f"{cat:<22}{a['n']:>4}{a['recall']:>9.3f}{a['kind_recall']:>7.3f}"
            f"   ({d.get('recall', float('nan')):.3f} / {h.get('recall', float('nan')):.3f})"
        )
    lat = report["latency_ms"]
    print()
    print(
        f"latency per check: mean {lat['mean']} ms, p50 {lat['p50']} ms, p95 {lat['p95']} ms, "
        f"max {lat['max']} ms; 20,000-char reply {lat['long_text_20000_chars']} ms"
    )
    print(f"CPU time per check: mean {lat['cpu_mean']} ms, p95 {lat['cpu_p95']} ms")
    print(f"verdicts: {report['verdicts']}")
    if own_context:
        for name in splits:
            safe_cats = sorted({r["category"] for r in rows if r["label"] == "safe"})
            per = {
                c: f"{sum(r['flagged'] for r in rows if r['split'] == name and r['category'] == c)}"
                f"/{sum(1 for r in rows if r['split'] == name and r['category'] == c)}"
                for c in safe_cats
            }
            print(f"safe flagged by kind of reply, {name}: {per}")
    if independent and not verbose:
        # the set is for measuring only: its items are not listed while rules are being changed
        report["missed_unsafe"] = len(report["missed_unsafe"])
        report["false_positives"] = len(report["false_positives"])
        report.pop("rows")
        out = HERE / f"results_{set_name}{suffix}.json"
        out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {out} in {time.perf_counter() - t0:.1f} s")
        return 0
    by_id = {r["id"]: r for r in rows}
    print(f"\nmissed unsafe ({len(report['missed_unsafe'])}):")
    for rid in report["missed_unsafe"]:
        r = by_id[rid]
        print(f"  {rid} [{r['split']}] {r['category']}")
    print(f"false positives on safe ({len(report['false_positives'])}):")
    for rid in report["false_positives"]:
        r = by_id[rid]
        print(f"  {rid} [{r['split']}] {r['verdict']}: {'; '.join(r['findings'])}")
    if verbose:
        print("\nall rows:")
        for r in rows:
            print(f"  {r['id']} {r['label']:<7} {r['verdict']:<13} {r['findings']}")

    out = HERE / ("results.json" if set_name == "replies" else f"results_{set_name}{suffix}.json")
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {out} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
