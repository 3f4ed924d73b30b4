"""Asking for scores and writing them. The model itself is behind `scoring.engine`, which
only worker processes and commands import (the web process never imports torch)."""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from core.pipeline import reviews_scored
from core.privacy import Redacted
from core.rollup import figures_changed
from core.tenancy import current_clinic
from facts.selectors import facts_citable
from feeds.models import Review
from scoring.claims.services import claims_redact
from scoring.ml.claims import FactRef
from scoring.models import LatestScore, ReviewScore, ScoringFailure
from scoring.selectors import LATEST_OF_REVIEWS_SQL, topics_public
from webhooks.services import webhook_events_emit

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


def scores_write(*, results: list[tuple[int, object]]) -> int:
    """Store (review_id, ScoreResult) pairs; a pair already stored for that model version is
    skipped (database constraint). The reviews newly scored get a new `updated_at` and their
    latest score stored again (`latest_scores_refresh`). Returns how many were new."""
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
        # one writer of a review's scores at a time (two model versions, a rescore racing the
        # sweeper): the latest score each one stores is then read after the other's commit
        list(
            Review.objects.select_for_update()
            .filter(pk__in={row.review_id for row in rows})
            .order_by("pk")
            .values_list("pk", flat=True)
        )
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
        latest_scores_refresh(review_ids=[row.review_id for row in new])
        # a new score is a change of the review as the API shows it (`sentiment`): a sync by
        # `updated_after` reads it again
        Review.objects.filter(pk__in={row.review_id for row in new}).update(
            updated_at=timezone.now()
        )
        _scored_emit(new)
        if new:
            figures_changed()
    return len(new)


_LATEST_REFRESH_SQL = f"""
WITH newest AS ({LATEST_OF_REVIEWS_SQL}),
gone AS (
    DELETE FROM {LatestScore._meta.db_table} l
    WHERE l.review_id = ANY(%(ids)s) AND NOT EXISTS (
        SELECT 1 FROM newest WHERE newest.review_id = l.review_id)
)
INSERT INTO {LatestScore._meta.db_table} AS l (review_id, score_id, label, topics, flags)
SELECT review_id, score_id, label, topics, flags FROM newest
ON CONFLICT (review_id) DO UPDATE SET score_id = EXCLUDED.score_id, label = EXCLUDED.label,
    topics = EXCLUDED.topics, flags = EXCLUDED.flags
WHERE (l.score_id, l.label, l.topics, l.flags)
    IS DISTINCT FROM (EXCLUDED.score_id, EXCLUDED.label, EXCLUDED.topics, EXCLUDED.flags)
"""  # noqa: S608 - constants; the ids are a parameter


def latest_scores_refresh(*, review_ids) -> None:
    """Store the latest score of each of these reviews of the current clinic (`LatestScore`,
    by `scoring.selectors`' rule), or none where a review has no score left: the one writer
    of the pointer, called by `scores_write` (new scores, rescores, a new model version, a
    batch) and by anything that deletes some of a review's scores but not all (deleting every
    score of a review, or the review, deletes its pointer with them). Set-based, one
    statement; the caller holds the reviews (`scores_write` locks them first)."""
    ids = sorted(set(review_ids))
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(_LATEST_REFRESH_SQL, {"ids": ids})


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
                "topics": topics_public(s.topics),
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


# --- privacy requests ------------------------------------------------------------------

# The keys of a stored topic or flag that hold words of the review itself.
_SPAN_KEYS = ("triggers", "evidence")


def _spans_cleared(items: list) -> list:
    cleared = []
    for item in items or []:
        if isinstance(item, dict):
            item = {**item, **{k: [] for k in _SPAN_KEYS if k in item}}
            if "claim" in item:
                item["claim"] = ""
        cleared.append(item)
    return cleared


@transaction.atomic
def scores_redact(*, review_ids: list[int], author_names: list[str]) -> Redacted:
    """What scoring keeps of reviews redacted at their author's request (`core.privacy`):
    the words of each score's topics and flags (their evidence, triggers and claim spans)
    are cleared, and the reviews' claim texts (`claims_redact`). The labels, scores, topic
    and flag names stay: the review was still positive or negative, and figures hold.
    A parked scoring failure's error text goes too."""
    scores = list(ReviewScore.objects.filter(review_id__in=review_ids))
    for score in scores:
        score.topics = _spans_cleared(score.topics)
        score.flags = _spans_cleared(score.flags)
    ReviewScore.objects.bulk_update(scores, ["topics", "flags"])
    latest_scores_refresh(review_ids=review_ids)  # names stay; kept true to the scores anyway
    ScoringFailure.objects.filter(review_id__in=review_ids).update(last_error="")
    mentions, clusters = claims_redact(review_ids=review_ids)
    cleared = []
    if scores:
        cleared.append(f"the evidence of {len(scores)} score{pluralize(len(scores))}")
    if mentions:
        cleared.append(
            f"the claim text of {mentions} mention{pluralize(mentions)}"
            + (f" and the title of {clusters} claim{pluralize(clusters)}" if clusters else "")
        )
    return Redacted(cleared=cleared)


# --- scoring a batch, with retries and parking ---------------------------------------


def scoring_context() -> dict:
    """What the model is told about the clinic whose schema the connection is in, as keyword
    arguments of `Scorer.score`: its name (which topics and claims ignore) and its active fact
    sheet's confirmed facts (which claims are checked against; a draft fact is never cited). Empty outside a clinic."""
    try:
        clinic = current_clinic()
    except RuntimeError:
        return {}
    facts = [
        FactRef(slug=slug, statement=statement, title=title)
        for slug, statement, title in facts_citable()
        .order_by("slug")
        .values_list("slug", "statement", "title")
    ]
    return {"clinic_name": clinic.name, "facts": facts, "clinic_key": connection.schema_name}


def _pending(review_ids: list[int], version: str) -> list[Review]:
    # a redacted review has no text left to score (`Review.redacted_at`)
    return list(
        Review.objects.filter(pk__in=review_ids, is_deleted=False, redacted_at__isnull=True)
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


def reviews_score(*, review_ids: list[int], scorer, detect: bool = True) -> int:
    """Score these reviews of the current clinic with `scorer` (at least once, idempotent): the
    ones not yet tried in a batch, then one at a time the ones that were in a batch that did not
    finish (or that failed); a review is retried at most MAX_ATTEMPTS times, then parked with its
    error. Asks for crisis detection when something was written (`detect=False`: the caller
    asks, once it has done what the detectors must see, as the scoring task does after
    clustering the claims). Returns how many scores were written."""
    pending = _pending(review_ids, scorer.version)
    if not pending:
        return 0
    fresh = [r for r in pending if _attempts(r) == 0]
    suspect = [r for r in pending if _attempts(r) > 0]  # in a batch that did not finish before
    written = 0
    context = scoring_context()
    if fresh:
        scoring_attempt_mark(review_ids=[r.pk for r in fresh])
        try:
            results = scorer.score([r.text for r in fresh], **context)
            written += scores_write(
                results=[(r.pk, res) for r, res in zip(fresh, results, strict=True)]
            )
        except Exception:  # noqa: BLE001 - fall back to one at a time to find the culprit
            logger.exception("batch scoring failed; scoring %d reviews one at a time", len(fresh))
            suspect = fresh + suspect
    for review in suspect:
        written += _score_alone(scorer, review, context)
    if written and detect:
        reviews_scored([r.pk for r in pending])
    return written


def _score_alone(scorer, review: Review, context: dict) -> int:
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
        result = scorer.score([review.text], **context)[0]
    except Exception as exc:  # noqa: BLE001 - recorded, retried by the sweeper, then parked
        scoring_error_record(review_id=review.pk, error=f"{exc.__class__.__name__}: {exc}")
        if attempts >= MAX_ATTEMPTS:
            scoring_park(review_id=review.pk, error=f"{exc.__class__.__name__}: {exc}")
        return 0
    return scores_write(results=[(review.pk, result)])
