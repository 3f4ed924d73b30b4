from celery import shared_task


@shared_task(name="core.tasks.stale_tables_analyze")
def stale_tables_analyze_task() -> int:
    from core.maintenance import stale_tables_analyze

    return len(stale_tables_analyze())
