"""The one port through which any app says "this clinic's dashboard figures changed".

Lower apps (feeds, scoring, crisis, responses, clinics) must not import the dashboard that sits
above them. They call `figures_changed()`; it marks the clinic's dashboard row stale in the
caller's transaction (so the beat sweeper finds it even if Redis is away) and, after commit,
queues the refresh task by name, at most once per few seconds per clinic. The row's model and
the task are named here, not imported: the dashboard app owns both."""

from __future__ import annotations

import logging

from django.apps import apps
from django.core.cache import cache
from django.utils import timezone

from core.queueing import enqueue_on_commit
from core.tenancy import current_clinic_id

logger = logging.getLogger(__name__)

SNAPSHOT_MODEL = "dashboard.ClinicSnapshot"
REFRESH_TASK = "dashboard.tasks.clinic_snapshot_refresh"
DEBOUNCE_SECONDS = 15
REFRESH_DELAY_SECONDS = 5


def figures_changed(*, clinic_id: int | None = None) -> None:
    """Say that a figure of the dashboard changed in a clinic (the current one by default).
    Never fails the caller: if Redis is away, the beat sweeper refreshes stale rows within a
    minute."""
    if clinic_id is None:
        clinic_id = current_clinic_id()
        if clinic_id is None:
            return
    apps.get_model(SNAPSHOT_MODEL).objects.filter(
        clinic_id=clinic_id, stale_since__isnull=True
    ).update(stale_since=timezone.now())
    try:
        first = cache.add(f"snapshot-refresh:{clinic_id}", 1, timeout=DEBOUNCE_SECONDS)
    except Exception:  # noqa: BLE001 - the sweeper covers it
        logger.warning("snapshot debounce unavailable; the sweeper refreshes clinic %s", clinic_id)
        return
    if first:
        enqueue_on_commit(
            REFRESH_TASK, [(clinic_id,)], schema_name="public", countdown=REFRESH_DELAY_SECONDS
        )
