"""Crisis tasks. Beat runs `detectors_run_all` (every 5 minutes) and `escalations_check`
(every minute); the scoring task may queue `detectors_run_clinic` after each batch."""

from __future__ import annotations

from celery import shared_task
from django.db import connection
from django_tenants.utils import schema_context

from clinics.models import Clinic


@shared_task(name="crisis.tasks.detectors_run_clinic", acks_late=True)
def detectors_run_clinic_task(review_ids: list[int] | None = None) -> int:
    """Run the detectors in the clinic whose schema the task carries; the number opened."""
    from crisis.services import detectors_run

    return len(detectors_run(review_ids=review_ids))


@shared_task(name="crisis.tasks.detectors_run_all")
def detectors_run_all_task() -> int:
    """Beat: one detectors task per clinic, so one slow clinic holds up nobody else."""
    queued = 0
    for schema in Clinic.objects.values_list("schema_name", flat=True).iterator():
        with schema_context(schema):
            detectors_run_clinic_task.delay()
            queued += 1
    connection.set_schema_to_public()
    return queued


@shared_task(name="crisis.tasks.escalations_check")
def escalations_check_task() -> int:
    """Beat, every minute: escalate incidents nobody acknowledged in time, in every clinic."""
    from crisis.services import incidents_escalate_due

    escalated = 0
    for schema in Clinic.objects.values_list("schema_name", flat=True).iterator():
        with schema_context(schema):
            escalated += len(incidents_escalate_due())
    connection.set_schema_to_public()
    return escalated
