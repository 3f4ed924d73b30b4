"""Crisis tasks. Beat runs `detectors_run_all` (every 5 minutes) and `escalations_check`
(every minute); the scoring task may queue `detectors_run_clinic` after each batch."""

from __future__ import annotations

from celery import shared_task

from clinics.schemas import clinic_schemas_each
from core.queueing import tasks_enqueue


# One clinic's detectors normally take well under a second; a clinic that takes minutes (a
# flood of reviews, a lock) is cut off rather than holding a worker slot for everyone else.
@shared_task(
    name="crisis.tasks.detectors_run_clinic", acks_late=True, soft_time_limit=120, time_limit=180
)
def detectors_run_clinic_task(review_ids: list[int] | None = None) -> int:
    """Run the detectors in the clinic whose schema the task carries; the number opened."""
    from crisis.services import detectors_run

    return len(detectors_run(review_ids=review_ids))


@shared_task(name="crisis.tasks.detectors_run_all")
def detectors_run_all_task() -> int:
    """Beat: one detectors task per clinic, so one slow clinic holds up nobody else."""
    queued = 0
    for schema in clinic_schemas_each():
        queued += tasks_enqueue(detectors_run_clinic_task, [()], schema_name=schema)
    return queued


@shared_task(name="crisis.tasks.escalations_check")
def escalations_check_task() -> int:
    """Beat, every minute, in every clinic: acknowledge the open incidents somebody acted on
    (a reply drafted or posted, the team assigned, a note, a statement drafted), then escalate
    those nobody acknowledged or acted on in time (`incidents_escalate_due`)."""
    from crisis.services import incidents_escalate_due

    escalated = 0
    for _schema in clinic_schemas_each():
        escalated += len(incidents_escalate_due())
    return escalated


@shared_task(name="crisis.tasks.incident_followup_events", acks_late=True)
def incident_followup_events_task(conversation_id: int) -> int:
    """A private follow-up changed (`core.pipeline.followup_changed`): its new steps onto the
    timeline of each incident holding its review, in the clinic the task carries."""
    from crisis.services.followups import incident_followup_events

    return incident_followup_events(conversation_id=conversation_id)


@shared_task(name="crisis.tasks.incident_followup_events_sweep")
def incident_followup_events_sweep_task() -> int:
    """Beat: catch up on follow-up steps a lost message left off incident timelines."""
    from crisis.services.followups import incident_followup_events_sweep

    added = 0
    for _schema in clinic_schemas_each():
        added += incident_followup_events_sweep()
    return added
