"""Report tasks. Beat runs `monthly_reports_dispatch` every 15 minutes: on the 1st at 08:00 in
each clinic's own time zone (a quarter of an hour reaches the zones half and three quarters of
an hour off UTC), a clinic with "send the monthly report automatically" on gets last month's
report, once."""

from __future__ import annotations

from celery import shared_task

from core.queueing import tasks_enqueue
from reports.services import monthly_report_send_scheduled, monthly_reports_due


@shared_task(name="reports.tasks.monthly_report_send_scheduled", acks_late=True)
def monthly_report_send_scheduled_task(clinic_id: int) -> bool:
    """Send last month's report to one clinic if the schedule owes it (idempotent)."""
    return monthly_report_send_scheduled(clinic_id=clinic_id)


@shared_task(name="reports.tasks.monthly_reports_dispatch")
def monthly_reports_dispatch_task() -> int:
    """Beat: one sending task per clinic whose monthly report is due, in its own schema, so
    one slow PDF holds up nobody else."""
    queued = 0
    for clinic_id, schema, _month in monthly_reports_due():
        queued += tasks_enqueue(
            monthly_report_send_scheduled_task, [(clinic_id,)], schema_name=schema
        )
    return queued
