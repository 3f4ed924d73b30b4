"""Scoring on the `ml` queue. At least once: tasks are acknowledged after they finish and a
killed worker's task comes back; one score per review and model version makes a second run
harmless. A review that keeps failing (or keeps killing the worker) is retried at most
MAX_ATTEMPTS times, alone, then parked with its error."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from celery.signals import worker_process_init
from django.utils import timezone

from clinics.schemas import clinic_schemas_each
from core.pipeline import reviews_score_request, reviews_scored
from scoring.claims.selectors import claims_unclustered_ids
from scoring.claims.services import claims_cluster, claims_recheck
from scoring.selectors import reviews_unscored_ids
from scoring.services import reviews_score, scoring_context
from scoring.versions import current_model_version


@worker_process_init.connect
def _load_model_in_child(**kwargs) -> None:
    """Load the model in each worker child (never in the parent: fork + threads hang)."""
    import os

    if "ml" not in os.environ.get("CAREWATCH_WORKER_QUEUES", "default,ml"):
        return
    from scoring.engine import get_scorer

    get_scorer()


@shared_task(name="scoring.tasks.reviews_score", acks_late=True, reject_on_worker_lost=True)
def reviews_score_task(review_ids: list[int]) -> int:
    from scoring.engine import get_scorer  # the model: only in ml worker children

    scorer = get_scorer()
    written = reviews_score(review_ids=review_ids, scorer=scorer, detect=False)
    joined = claims_cluster(review_ids=review_ids, embed=getattr(scorer, "embed", None))
    if written or joined:
        # after clustering, so the detectors see each mention's claim: a mention of a false
        # claim joins the incident that holds the claim (crisis.services.detection)
        reviews_scored(review_ids)
    return written


@shared_task(name="scoring.tasks.claims_recheck", acks_late=True, reject_on_worker_lost=True)
def claims_recheck_task() -> int:
    """The clinic's fact sheet changed (`core.pipeline.facts_changed`): its recent claims are
    checked against it again (`claims_recheck`). Returns how many claims changed."""
    from scoring.engine import get_scorer  # the model: only in ml worker children

    return claims_recheck(scorer=get_scorer(), context=scoring_context())


@shared_task(name="scoring.tasks.scoring_sweep")
def scoring_sweep_task(min_age_seconds: int = 60) -> int:
    """Beat: queue reviews of every clinic that have no score of the current model (queued
    while Redis was down, or lost). Parked reviews are left alone."""
    version = current_model_version()
    cutoff = timezone.now() - timedelta(seconds=min_age_seconds)

    queued = 0
    for schema in clinic_schemas_each():
        ids = reviews_unscored_ids(version=version, changed_before=cutoff)
        ids += claims_unclustered_ids(version=version, changed_before=cutoff)
        if ids:
            queued += reviews_score_request(review_ids=ids, schema_name=schema)
    return queued
