"""The current model's version string, known without loading the model (the sweeper and the
web process need it)."""

from __future__ import annotations

from functools import cache

from django.conf import settings


@cache
def current_model_version() -> str:
    if settings.SENTIMENT_MODEL in ("", "default"):
        from scoring.ml.engine import default_model_version

        return default_model_version()
    return f"byo:{settings.SENTIMENT_MODEL}"
