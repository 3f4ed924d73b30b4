"""Asking for scores and writing them. The model itself is behind `scoring.engine`, which
only worker processes and commands import (the web process never imports torch)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from core.rollup import figures_changed
from feeds.models import Review
from scoring.models import ReviewScore, ScoringFailure
from webhooks.services import webhook_events_emit

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


def scores_write(*, results: list[tuple[int, object]]) -> int:
    """Store (review_id, ScoreResult) pairs; a pair already stored for that model version is
    skipped (database constraint). Returns how many were new."""
    rows = [
        ReviewScore(
            review_id=review_id,
            model_version=result.model_version,
            label=result.label,
            score=max(-1.0, min(1.0, float(result.score))),
            confidence=float(result.confidence),
            topics=list(result.topics),
            flags=list(result.flags),
        )
        for review_id, result in results
    ]
    with transaction.atomic():
        before = set(
            ReviewScore.objects.filter(
                review_id__in=[row.review_id for row in rows],
                model_version__in={row.model_version for row in rows},
            ).values_list("review_id", "model_version")
        )
        ReviewScore.objects.bulk_create(rows, ignore_conflicts=True)
        ScoringFailure.objects.filter(
            review_id__in=[r for r, _ in results], parked_at__isnull=True
        ).delete()
        new = [row for row in rows if (row.review_id, row.model_version) not in before]
        _scored_emit(new)
        if new:
            figures_changed()
    return len(new)


def _scored_emit(scores: list[ReviewScore]) -> None:
    """The `review.scored` webhook for newly stored scores (sent after commit)."""
    if not scores:
        return

    reviews = {
        r.pk: r
        for r in Review.objects.filter(pk__in=[s.review_id for s in scores]).select_related(
            "source"
        )
    }
    payloads = [
        {
            "review": {
                "id": s.review_id,
                "source": reviews[s.review_id].source.kind,
                "rating": reviews[s.review_id].rating,
            },
            "score": {
                "label": s.label,
                "score": s.score,
                "confidence": s.confidence,
                "model": s.model_version,
                "topics": s.topics,
                "flags": s.flags,
            },
        }
        for s in scores
        if s.review_id in reviews
    ]
    webhook_events_emit(event="review.scored", payloads=payloads)


def scoring_attempt_mark(*, review_ids: list[int]) -> dict[int, int]:
    """Count one more attempt for each review, committed before the model runs, so an attempt
    that kills the worker is still counted. Returns review_id -> attempts."""
    with transaction.atomic():
        existing = {
            f.review_id: f
            for f in ScoringFailure.objects.select_for_update().filter(review_id__in=review_ids)
        }
        new = [
            ScoringFailure(review_id=rid, attempts=1) for rid in review_ids if rid not in existing
        ]
        ScoringFailure.objects.bulk_create(new, ignore_conflicts=True)
        for failure in existing.values():
            failure.attempts += 1
        ScoringFailure.objects.bulk_update(existing.values(), ["attempts", "updated_at"])
    counts = dict.fromkeys(review_ids, 1)
    counts.update({rid: f.attempts for rid, f in existing.items()})
    return counts


def scoring_park(*, review_id: int, error: str) -> None:
    ScoringFailure.objects.update_or_create(
        review_id=review_id, defaults={"parked_at": timezone.now(), "last_error": error[:2000]}
    )
    logger.error("review %s parked after repeated scoring failures: %s", review_id, error[:200])


def scoring_error_record(*, review_id: int, error: str) -> None:
    ScoringFailure.objects.filter(review_id=review_id).update(last_error=error[:2000])
