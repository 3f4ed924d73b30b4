"""Keeping the dashboard's rollup fresh: a refresh per clinic after a change (debounced by
`agency.services.clinic_snapshot_stale`) and a beat sweeper for everything else."""

from celery import shared_task

from agency.services import clinic_snapshot_refresh, clinic_snapshots_due


@shared_task(name="agency.tasks.clinic_snapshot_refresh")
def clinic_snapshot_refresh_task(clinic_id: int) -> bool:
    from clinics.models import Clinic

    clinic = Clinic.objects.filter(pk=clinic_id).first()
    if clinic is None:
        return False
    clinic_snapshot_refresh(clinic=clinic)
    return True


@shared_task(name="agency.tasks.clinic_snapshots_sweep")
def clinic_snapshots_sweep_task(limit: int = 500) -> int:
    from clinics.models import Clinic

    done = 0
    for clinic in Clinic.objects.filter(pk__in=clinic_snapshots_due(limit=limit)):
        clinic_snapshot_refresh(clinic=clinic)
        done += 1
    return done
