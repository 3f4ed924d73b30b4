from celery import shared_task

from clinics.schemas import clinic_schemas_each
from core.queueing import tasks_enqueue


@shared_task(name="feeds.tasks.import_job_run")
def import_job_run_task(job_id: int) -> None:
    from feeds.services import import_job_run

    import_job_run(job_id=job_id)


# A platform that hangs is cut off after 5 minutes; the source's claim (feeds.polling.CLAIM)
# expires and the next dispatcher round queues it again.
@shared_task(name="feeds.tasks.source_poll", soft_time_limit=240, time_limit=300)
def source_poll_task(source_id: int) -> dict:
    from feeds.polling import source_poll

    return source_poll(source_id=source_id)


@shared_task(name="feeds.tasks.sources_poll_dispatch")
def sources_poll_dispatch_task() -> int:
    """Beat, every minute: one poll task per due source of every clinic. Each task runs
    separately, so one slow platform or clinic does not hold up the others."""
    from feeds.polling import sources_claim_due

    queued = 0
    for schema in clinic_schemas_each():
        due = [(source_id,) for source_id in sources_claim_due()]
        queued += tasks_enqueue(source_poll_task, due, schema_name=schema)
    return queued


@shared_task(name="feeds.tasks.imports_sweep")
def imports_sweep_task() -> int:
    """Beat: queue CSV imports left behind (the broker was down, or a worker died mid-run)."""
    from feeds.services import import_jobs_stalled

    queued = 0
    for schema in clinic_schemas_each():
        stalled = import_jobs_stalled()
        if stalled:
            queued += tasks_enqueue(
                import_job_run_task, [(pk,) for pk in stalled], schema_name=schema
            )
    return queued


@shared_task(name="feeds.tasks.source_connection_refresh", soft_time_limit=60, time_limit=90)
def source_connection_refresh_task(source_id: int) -> str:
    from feeds.services.connections import connection_refresh

    return connection_refresh(source_id=source_id)


@shared_task(name="feeds.tasks.connections_refresh_dispatch")
def connections_refresh_dispatch_task() -> int:
    """Beat, every 5 minutes: in every clinic, one renewal task per OAuth connection whose
    token expires soon, the warnings of connections that end soon, and old attempts pruned."""
    from feeds.services.connections import (
        attempts_prune,
        connections_claim_due,
        connections_warn,
    )

    queued = 0
    for schema in clinic_schemas_each():
        due = [(source_id,) for source_id in connections_claim_due()]
        queued += tasks_enqueue(source_connection_refresh_task, due, schema_name=schema)
        connections_warn()
        attempts_prune()
    return queued
