"""The pipeline's hand-offs between layers, by task name: feeds asks for scores, scoring asks
for crisis detection, feeds tells the outbox a source's credentials changed. The lower app calls one of these; the task it names lives in the higher
app, which the lower one never imports. Queuing never fails the caller: each stage has a
sweeper (scoring's and the detectors' beat runs) that finds what a lost message left behind."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from core.queueing import enqueue_on_commit, tasks_enqueue

SCORE_TASK = "scoring.tasks.reviews_score"  # routed to the `ml` queue (CELERY_TASK_ROUTES)
DETECT_TASK = "crisis.tasks.detectors_run_clinic"
# responses: retry the outbox items of a source that failed for lack of credentials.
OUTBOX_RETRY_TASK = "responses.tasks.outbox_retry_for_source"
SCORE_BATCH = 256  # review ids per scoring task: fewer round trips, better length sorting


def _chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def reviews_score_request(*, review_ids: list[int], schema_name: str) -> int:
    """Queue scoring tasks (batches of SCORE_BATCH ids) now. Returns the number of tasks queued;
    0 if the broker is unreachable — the scoring sweeper queues those reviews later."""
    chunks = _chunks(sorted(set(review_ids)), SCORE_BATCH)
    return tasks_enqueue(SCORE_TASK, ((chunk,) for chunk in chunks), schema_name=schema_name)


def reviews_score_after_commit(review_ids: list[int]) -> None:
    """After the caller's transaction commits, ask for scores of these reviews of the current
    clinic. Ingestion never fails because the broker is down."""
    if review_ids:
        chunks = _chunks(sorted(set(review_ids)), SCORE_BATCH)
        enqueue_on_commit(
            SCORE_TASK, [(chunk,) for chunk in chunks], schema_name=connection.schema_name
        )


def reviews_scored(review_ids: list[int]) -> int:
    """Crisis detection runs after each scored batch, on the `default` queue (the ml worker stays
    on the model). Beat runs the detectors too, so a lost message only delays them."""
    return tasks_enqueue(DETECT_TASK, [(review_ids,)])


def source_credentials_changed(source_id: int) -> None:
    """A source of the current clinic got new credentials (connected, reconnected, a token
    renewed, credentials entered by hand): after the caller's transaction commits, the outbox
    retries what failed for lack of them (`responses.tasks.outbox_retry_for_source`). Never
    fails the caller: with the broker down it is logged and skipped."""
    enqueue_on_commit(OUTBOX_RETRY_TASK, [(source_id,)], schema_name=connection.schema_name)


CLAIMS_RECHECK_TASK = "scoring.tasks.claims_recheck"  # the `ml` queue (CELERY_TASK_ROUTES)


def facts_changed() -> None:
    """The current clinic's fact sheet changed what claims are checked against (a fact
    confirmed, or a confirmed fact's statement changed): after the caller's transaction
    commits, its recent claims are checked again (`scoring.tasks.claims_recheck`), so a claim
    already running names the fact it contradicts, not only a mention that comes later. Never
    fails the caller: with the broker down it is logged and skipped (the next mention of the
    claim brings the fact)."""
    enqueue_on_commit(CLAIMS_RECHECK_TASK, [()], schema_name=connection.schema_name)


FOLLOWUP_EVENTS_TASK = "crisis.tasks.incident_followup_events"


def followup_changed(conversation_id: int) -> None:
    """responses tells crisis that a private follow-up changed (started, sent, answered,
    resolved): after commit, crisis copies its new steps onto the timeline of each incident
    that holds the review. crisis's beat sweep (`incident_followup_events_sweep`) catches up
    on a lost message."""
    enqueue_on_commit(FOLLOWUP_EVENTS_TASK, [(conversation_id,)])
