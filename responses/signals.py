"""Worker-process start-up: heavy, read-only things are built once per process, in the child
(never in a parent that forks)."""

import logging
import os

from celery.signals import worker_process_init

logger = logging.getLogger(__name__)


@worker_process_init.connect
def _warm_up_the_reply_guard(**kwargs) -> None:
    # The outbox re-checks every reply with the guard right before it is posted; building the
    # guard (spaCy + Presidio) takes seconds, so default-queue workers build it at start.
    if "default" in os.environ.get("CAREWATCH_WORKER_QUEUES", "default,ml").split(","):
        from responses.guard import warm_up  # imports Presidio, spaCy and torch: only here

        logger.info("reply guard ready in %.1f s", warm_up())
