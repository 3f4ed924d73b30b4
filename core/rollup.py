"""The one port through which any app says "this clinic's dashboard figures changed".

Lower apps (feeds, scoring, crisis, responses, clinics) must not import the dashboard that sits
above them. They call `figures_changed()`; it marks the clinic's dashboard row stale in the
caller's transaction (so the beat sweeper finds it even if Redis is away) and, after commit,
queues the refresh task by name at once. The row's model and the task are named here, not
imported: the dashboard app owns both.

A burst of changes costs one refresh at a time per clinic, never one per change: a refresh
queued or running holds the clinic's key (`_HOLD`), and a change committed meanwhile only
raises its flag (`_PENDING`). The refresh drops the flag when it starts and, when it ends,
queues itself again at once if the flag came back (a trailing refresh), so the last change
of a burst is on the dashboard a refresh later. No countdown or ETA: a message the worker
holds back is one it must restore when the broker goes away."""

from __future__ import annotations

import logging

from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from core.queueing import tasks_enqueue
from core.tenancy import current_clinic_id

logger = logging.getLogger(__name__)

SNAPSHOT_MODEL = "dashboard.ClinicSnapshot"
REFRESH_TASK = "dashboard.tasks.clinic_snapshot_refresh"
# How long a queued or running refresh holds its clinic at most: a worker that died with it
# frees the clinic after this (and the sweeper refreshes the stale row meanwhile).
REFRESH_HOLD_SECONDS = 60
_HOLD = "snapshot-refresh:{}"  # a refresh is queued or running
_PENDING = "snapshot-pending:{}"  # a change committed since the running refresh started


def figures_changed(*, clinic_id: int | None = None) -> None:
    """Say that a figure of the dashboard changed in a clinic (the current one by default).
    Never fails the caller: if Redis is away, the beat sweeper refreshes stale rows within
    half a minute."""
    if clinic_id is None:
        clinic_id = current_clinic_id()
        if clinic_id is None:
            return
    apps.get_model(SNAPSHOT_MODEL).objects.filter(
        clinic_id=clinic_id, stale_since__isnull=True
    ).update(stale_since=timezone.now())
    transaction.on_commit(lambda: _refresh_request(clinic_id), robust=True)


def _refresh_request(clinic_id: int) -> None:
    """After commit: flag the change, and queue a refresh unless one is queued or running."""
    try:
        with schema_context("public"):  # one key per clinic, whichever schema commits
            cache.set(_PENDING.format(clinic_id), 1, timeout=REFRESH_HOLD_SECONDS)
            if not cache.add(_HOLD.format(clinic_id), 1, timeout=REFRESH_HOLD_SECONDS):
                return
    except Exception:  # noqa: BLE001 - the sweeper covers it
        logger.warning("snapshot debounce unavailable; the sweeper refreshes clinic %s", clinic_id)
        return
    _refresh_queue(clinic_id)


def _refresh_queue(clinic_id: int) -> None:
    """Queue the refresh now (the caller holds the clinic's key); if the broker is away, free
    the key so that the next change tries again."""
    if tasks_enqueue(REFRESH_TASK, [(clinic_id,)], schema_name="public"):
        return
    try:
        with schema_context("public"):
            cache.delete(_HOLD.format(clinic_id))
    except Exception:  # noqa: BLE001 - the key expires; the sweeper covers it
        logger.warning("snapshot debounce unavailable for clinic %s", clinic_id)


def figures_refresh_started(clinic_id: int) -> None:
    """The refresh task says it starts reading the clinic's figures: every change committed
    before now is in what it reads. Never fails."""
    try:
        with schema_context("public"):
            cache.delete(_PENDING.format(clinic_id))
    except Exception:  # noqa: BLE001 - the sweeper covers it
        logger.warning("snapshot debounce unavailable for clinic %s", clinic_id)


def figures_refresh_finished(clinic_id: int, *, requeue: bool = True) -> bool:
    """The refresh task says it has stored the clinic's row: free the clinic and, if a change
    committed after the refresh started, queue the next refresh at once (True). The key is
    freed before the flag is read, so a change either sees the key free and queues itself or
    left its flag for this to see. `requeue=False` (the refresh failed): only free it. Never
    fails."""
    try:
        with schema_context("public"):
            cache.delete(_HOLD.format(clinic_id))
            if not requeue or not cache.get(_PENDING.format(clinic_id)):
                return False
            if not cache.add(_HOLD.format(clinic_id), 1, timeout=REFRESH_HOLD_SECONDS):
                return False  # a change queued it meanwhile
    except Exception:  # noqa: BLE001 - the sweeper covers it
        logger.warning("snapshot debounce unavailable; the sweeper refreshes clinic %s", clinic_id)
        return False
    _refresh_queue(clinic_id)
    return True
