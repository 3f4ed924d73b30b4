"""The current model's version string, known without loading the model (the sweeper and the
web process need it)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.conf import settings

ARTIFACTS = Path(__file__).resolve().parent / "ml" / "artifacts"


@cache
def current_model_version() -> str:
    if settings.SENTIMENT_MODEL in ("", "default"):
        card = json.loads((ARTIFACTS / "model_card.json").read_text())
        return card["version"]
    return f"byo:{settings.SENTIMENT_MODEL}"
