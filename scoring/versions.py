"""The current model's version string, known without loading the model (the sweeper and the
web process need it): the sentiment model's, then the misinformation heads' after a slash."""

from __future__ import annotations

from functools import cache

from django.conf import settings


@cache
def current_model_version() -> str:
    from scoring.ml.engine import default_model_version

    version = default_model_version()
    if settings.SENTIMENT_MODEL in ("", "default"):
        return version
    misinformation = version.partition("/")[2]
    return f"byo:{settings.SENTIMENT_MODEL}" + (f"/{misinformation}" if misinformation else "")
