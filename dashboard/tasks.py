"""Keeping the dashboard's rollup fresh: a refresh per clinic after a change (queued at once by
`core.rollup.figures_changed`, one at a time per clinic, and again at once when a change came
while it ran) and a beat sweeper for everything else."""

import time
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from clinics.models import Clinic
from clinics.schemas import clinic_schemas_each
from core.rollup import figures_refresh_finished, figures_refresh_started
from dashboard.selectors import snapshot_refreshed_at
from dashboard.services import clinic_snapshot_refresh, clinic_snapshots_due

# A clinic's refreshes start at least this far apart, so a burst of changes costs about one
# refresh a second however quick a refresh is. The wait only happens when a refresh comes back
# at once (a trailing one) to a worker with nothing else queued; a busy queue spaces them.
REFRESH_SPACING = timedelta(seconds=1)


def _spaced(clinic_id: int) -> None:
    last = snapshot_refreshed_at(clinic_id=clinic_id)
    if last is not None:
        wait = (last + REFRESH_SPACING - timezone.now()).total_seconds()
        if 0 < wait <= REFRESH_SPACING.total_seconds():
            time.sleep(wait)


@shared_task(name="dashboard.tasks.clinic_snapshot_refresh")
def clinic_snapshot_refresh_task(clinic_id: int) -> bool:
    _spaced(clinic_id)
    figures_refresh_started(clinic_id)  # what changes from here on, the next refresh reads
    clinic = Clinic.objects.filter(pk=clinic_id).first()
    if clinic is None:
        figures_refresh_finished(clinic_id, requeue=False)
        return False
    try:
        clinic_snapshot_refresh(clinic=clinic)
    except Exception:
        figures_refresh_finished(clinic_id, requeue=False)  # the row stays stale: the sweeper
        raise
    figures_refresh_finished(clinic_id)
    return True


@shared_task(name="dashboard.tasks.clinic_snapshots_sweep")
def clinic_snapshots_sweep_task(limit: int = 500) -> int:
    clinics = {
        c.schema_name: c for c in Clinic.objects.filter(pk__in=clinic_snapshots_due(limit=limit))
    }
    for schema in clinic_schemas_each(list(clinics)):
        clinic_snapshot_refresh(clinic=clinics[schema])
    return len(clinics)
