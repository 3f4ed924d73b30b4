"""The model, loaded once per worker process. Imported only by Celery tasks and commands:
the web process never loads it."""

from __future__ import annotations

import logging
import os
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@cache
def get_scorer():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from scoring.ml.engine import ScorerConfig, load_scorer  # torch: only where scoring runs

    scorer = load_scorer(ScorerConfig(model=settings.SENTIMENT_MODEL))
    logger.info("scoring model loaded: %s", scorer.version)
    for path in settings.SCORER_WRAPPERS:  # empty in production; tests attach faults here
        scorer = import_string(path)(scorer)
    return scorer
