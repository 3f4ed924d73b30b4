"""Keeping the dashboard's rollup fresh: a refresh per clinic after a change (queued, debounced,
by `core.rollup.figures_changed`) and a beat sweeper for everything else."""

from celery import shared_task

from clinics.models import Clinic
from clinics.schemas import clinic_schemas_each
from dashboard.services import clinic_snapshot_refresh, clinic_snapshots_due


@shared_task(name="dashboard.tasks.clinic_snapshot_refresh")
def clinic_snapshot_refresh_task(clinic_id: int) -> bool:
    clinic = Clinic.objects.filter(pk=clinic_id).first()
    if clinic is None:
        return False
    clinic_snapshot_refresh(clinic=clinic)
    return True


@shared_task(name="dashboard.tasks.clinic_snapshots_sweep")
def clinic_snapshots_sweep_task(limit: int = 500) -> int:
    clinics = {
        c.schema_name: c for c in Clinic.objects.filter(pk__in=clinic_snapshots_due(limit=limit))
    }
    for schema in clinic_schemas_each(list(clinics)):
        clinic_snapshot_refresh(clinic=clinics[schema])
    return len(clinics)
