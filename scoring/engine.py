"""The model, loaded once per worker process. Imported only by Celery tasks and commands:
the web process never loads it."""

from __future__ import annotations

import logging
import os
import signal
from functools import cache

from django.conf import settings

logger = logging.getLogger(__name__)


class _FaultInjecting:
    """Test-only fault injection: when CAREWATCH_FAULT_KILL_ON is set (the fault tests set it
    for the worker they start), scoring a text that contains it kills the worker process the
    way an out-of-memory kill or a segfault in native code would."""

    def __init__(self, scorer, marker: str):
        self._scorer, self._marker = scorer, marker
        self.version = scorer.version

    def score(self, texts):
        if any(self._marker in text for text in texts):
            os.kill(os.getpid(), signal.SIGKILL)
        return self._scorer.score(texts)


@cache
def get_scorer():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from scoring.ml.engine import ScorerConfig, load_scorer

    scorer = load_scorer(ScorerConfig(model=settings.SENTIMENT_MODEL))
    logger.info("scoring model loaded: %s", scorer.version)
    marker = os.environ.get("CAREWATCH_FAULT_KILL_ON")
    return _FaultInjecting(scorer, marker) if marker else scorer
