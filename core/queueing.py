"""Queuing tasks, the one way: by task object or by task name, now or after the caller's
transaction commits, never failing the caller. Every piece of queued work here has a sweeper
that finds it again, so an unreachable broker only delays it.

A lower app queues a higher app's task by its name (`"crisis.tasks.detectors_run_clinic"`)
instead of importing it; `CELERY_TASK_ROUTES` still routes it by that name."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from celery import current_app
from django.db import connection, transaction
from django_tenants.utils import schema_context

logger = logging.getLogger(__name__)


def _send(task, args: tuple, options: dict) -> None:
    if isinstance(task, str):
        current_app.send_task(task, args=args, **options)
    else:
        task.apply_async(args, **options)


def tasks_enqueue(
    task, calls: Iterable[tuple], *, schema_name: str | None = None, **options
) -> int:
    """Queue `task` (a task or a task's name) once per argument tuple in `calls`, inside
    `schema_name`'s context when given, so the task runs in that clinic. If the broker is
    unreachable, log it and stop: returns how many were queued."""
    calls = list(calls)
    queued = 0
    try:
        if schema_name is None:
            for args in calls:
                _send(task, args, options)
                queued += 1
        else:
            with schema_context(schema_name):
                for args in calls:
                    _send(task, args, options)
                    queued += 1
    except Exception as exc:  # noqa: BLE001 - the broker is down; the sweepers catch up
        logger.warning(
            "%s: queue unavailable (%s); %d left for the sweeper",
            task if isinstance(task, str) else task.name,
            exc.__class__.__name__,
            len(calls) - queued,
        )
    return queued


def enqueue_on_commit(
    task, calls: Iterable[tuple], *, schema_name: str | None = None, **options
) -> None:
    """`tasks_enqueue` once the caller's transaction commits (at once outside one), in the
    clinic schema the caller is in now unless `schema_name` says otherwise."""
    calls = list(calls)
    if not calls:
        return
    schema = schema_name or connection.schema_name
    transaction.on_commit(lambda: tasks_enqueue(task, calls, schema_name=schema, **options))
