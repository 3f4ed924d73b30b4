"""Scoring on the `ml` queue. At least once: tasks are acknowledged after they finish and a
killed worker's task comes back; one score per review and model version makes a second run
harmless. A review that keeps failing (or keeps killing the worker) is retried at most
MAX_ATTEMPTS times, alone, then parked with its error."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_process_init

from clinics.schemas import clinic_schemas_each
from core.pipeline import reviews_score_request, reviews_scored
from feeds.models import Review
from scoring.models import ScoringFailure
from scoring.services import (
    MAX_ATTEMPTS,
    scores_write,
    scoring_attempt_mark,
    scoring_error_record,
    scoring_park,
)

logger = logging.getLogger(__name__)


@worker_process_init.connect
def _load_model_in_child(**kwargs) -> None:
    """Load the model in each worker child (never in the parent: fork + threads hang)."""
    import os

    if "ml" not in os.environ.get("CAREWATCH_WORKER_QUEUES", "default,ml"):
        return
    from scoring.engine import get_scorer

    get_scorer()


def _pending(review_ids: list[int], version: str) -> list[Review]:
    return list(
        Review.objects.filter(pk__in=review_ids, is_deleted=False)
        .exclude(scores__model_version=version)
        .exclude(scoring_failure__parked_at__isnull=False)
        .select_related("scoring_failure")
        .only("id", "text", "scoring_failure__attempts", "scoring_failure__parked_at")
        .order_by("pk")
    )


def _attempts(review: Review) -> int:
    try:
        return review.scoring_failure.attempts
    except Review.scoring_failure.RelatedObjectDoesNotExist:
        return 0


@shared_task(name="scoring.tasks.reviews_score", acks_late=True, reject_on_worker_lost=True)
def reviews_score_task(review_ids: list[int]) -> int:
    from scoring.engine import get_scorer

    scorer = get_scorer()
    pending = _pending(review_ids, scorer.version)
    if not pending:
        return 0
    fresh = [r for r in pending if _attempts(r) == 0]
    suspect = [r for r in pending if _attempts(r) > 0]  # in a batch that did not finish before
    written = 0
    if fresh:
        scoring_attempt_mark(review_ids=[r.pk for r in fresh])
        try:
            results = scorer.score([r.text for r in fresh])
            written += scores_write(
                results=[(r.pk, res) for r, res in zip(fresh, results, strict=True)]
            )
        except Exception:  # noqa: BLE001 - fall back to one at a time to find the culprit
            logger.exception("batch scoring failed; scoring %d reviews one at a time", len(fresh))
            suspect = fresh + suspect
    for review in suspect:
        written += _score_alone(scorer, review)
    if written:
        reviews_scored([r.pk for r in pending])
    return written


def _score_alone(scorer, review: Review) -> int:
    attempts = scoring_attempt_mark(review_ids=[review.pk])[review.pk]
    if attempts > MAX_ATTEMPTS:
        # no recorded error: each attempt took the worker process down with it
        last = (
            ScoringFailure.objects.filter(review_id=review.pk)
            .values_list("last_error", flat=True)
            .first()
            or "the worker process died while scoring it (killed, or crashed)"
        )
        scoring_park(review_id=review.pk, error=f"gave up after {MAX_ATTEMPTS} attempts: {last}")
        return 0
    try:
        result = scorer.score([review.text])[0]
    except Exception as exc:  # noqa: BLE001 - recorded, retried by the sweeper, then parked
        scoring_error_record(review_id=review.pk, error=f"{exc.__class__.__name__}: {exc}")
        if attempts >= MAX_ATTEMPTS:
            scoring_park(review_id=review.pk, error=f"{exc.__class__.__name__}: {exc}")
        return 0
    return scores_write(results=[(review.pk, result)])


@shared_task(name="scoring.tasks.scoring_sweep")
def scoring_sweep_task(min_age_seconds: int = 60) -> int:
    """Beat: queue reviews of every clinic that have no score of the current model (queued
    while Redis was down, or lost). Parked reviews are left alone."""
    from datetime import timedelta

    from django.utils import timezone

    from scoring.versions import current_model_version

    version = current_model_version()
    cutoff = timezone.now() - timedelta(seconds=min_age_seconds)

    queued = 0
    for schema in clinic_schemas_each():
        ids = list(
            Review.objects.filter(is_deleted=False, updated_at__lt=cutoff)
            .exclude(scores__model_version=version)
            .exclude(scoring_failure__parked_at__isnull=False)
            .values_list("pk", flat=True)[:20_000]
        )
        if ids:
            queued += reviews_score_request(review_ids=ids, schema_name=schema)
    return queued
