"""Queuing tasks without ever failing the caller: every piece of queued work here has a
sweeper that finds it again, so an unreachable broker only delays it."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django_tenants.utils import schema_context

logger = logging.getLogger(__name__)


def tasks_enqueue(
    task, calls: Iterable[tuple], *, schema_name: str | None = None, **options
) -> int:
    """Queue `task` once per argument tuple in `calls` (inside `schema_name`'s context when
    given, so the task runs in that clinic). If the broker is unreachable, log it and stop:
    returns how many were queued."""
    calls = list(calls)
    queued = 0
    try:
        if schema_name is None:
            for args in calls:
                task.apply_async(args, **options)
                queued += 1
        else:
            with schema_context(schema_name):
                for args in calls:
                    task.apply_async(args, **options)
                    queued += 1
    except Exception as exc:  # noqa: BLE001 - the broker is down; the sweepers catch up
        logger.warning(
            "%s: queue unavailable (%s); %d left for the sweeper",
            task.name,
            exc.__class__.__name__,
            len(calls) - queued,
        )
    return queued
