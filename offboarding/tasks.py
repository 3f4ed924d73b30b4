from celery import shared_task

from offboarding.exports import exports_sweep


# Runs for a deactivated clinic too (exporting is what a leaving client asks for).
@shared_task(
    name="offboarding.tasks.export_run",
    runs_when_deactivated=True,
    acks_late=True,
    soft_time_limit=30 * 60,
    time_limit=35 * 60,
)
def export_run_task(export_id: int) -> str:
    from offboarding.exports import export_run

    job = export_run(export_id=export_id)
    return job.status if job is not None else "missing"


@shared_task(name="offboarding.tasks.exports_sweep")
def exports_sweep_task() -> dict:
    """Beat, hourly: expired export files deleted, stalled exports queued again."""
    return exports_sweep()
