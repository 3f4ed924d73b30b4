from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Exists, F, OuterRef, Prefetch, QuerySet

from feeds.models import Review


def _scores_prefetch() -> Prefetch:
    from scoring.models import ReviewScore

    return Prefetch(
        "scores", queryset=ReviewScore.objects.order_by("-created_at"), to_attr="score_list"
    )


def reviews_list() -> QuerySet[Review]:
    return Review.objects.select_related("source").filter(is_deleted=False)


def _reviews_query(
    *,
    source: str | None = None,
    source_id: int | None = None,
    rating: int | None = None,
    rating_max: int | None = None,
    sentiment: str | None = None,
    status: str | None = None,
    published_from: datetime | None = None,
    published_to: datetime | None = None,
    q: str | None = None,
    include_deleted: bool = False,
) -> QuerySet[Review]:
    from scoring.models import ReviewScore

    qs = Review.objects.all()
    if not include_deleted:
        qs = qs.filter(is_deleted=False)
    if source:
        qs = qs.filter(source__kind=source)
    if source_id:
        qs = qs.filter(source_id=source_id)
    if rating:
        qs = qs.filter(rating=rating)
    if rating_max:
        qs = qs.filter(rating__lte=rating_max)
    if status:
        qs = qs.filter(status=status)
    if published_from:
        qs = qs.filter(published_at__gte=published_from)
    if published_to:
        qs = qs.filter(published_at__lt=published_to)
    if q:
        qs = qs.filter(text__icontains=q.strip())
    if sentiment:
        scored = ReviewScore.objects.filter(review=OuterRef("pk"))
        if sentiment == "unscored":
            qs = qs.filter(~Exists(scored))
        else:
            qs = qs.filter(Exists(scored.filter(label=sentiment)))
    return qs.order_by("-published_at", "-id")


def reviews_filtered(**filters) -> QuerySet[Review]:
    """The inbox query: every filter the API and the staff inbox offer (see `_reviews_query`),
    newest first, with the latest score of each review prefetched (`review.score_list`)."""
    return _reviews_query(**filters).select_related("source").prefetch_related(_scores_prefetch())


REVIEW_ROW_FIELDS = (
    "id", "source_id", "external_id", "kind", "author_name", "rating", "text", "language",
    "url", "published_at", "edited_at", "likes", "shares", "replies", "parent_id", "status",
    "is_deleted", "deleted_at", "created_at", "updated_at",
)  # fmt: skip


def review_rows_filtered(**filters) -> QuerySet:
    """The same query as `reviews_filtered`, as plain rows (dicts) for the API: no model
    instances, the source's kind and name joined in. Attach scores with `review_rows_scored`."""
    return _reviews_query(**filters).values(
        *REVIEW_ROW_FIELDS, source_kind=F("source__kind"), source_name=F("source__name")
    )


def review_rows_scored(rows: list[dict]) -> list[dict]:
    """Adds `score` (the latest ReviewScore of each row's review, as a dict, or None) to
    `rows`, in one query for the whole page."""
    from scoring.models import ReviewScore

    latest: dict[int, dict] = {}
    if rows:
        scores = (
            ReviewScore.objects.filter(review_id__in=[row["id"] for row in rows])
            .order_by("review_id", "-created_at", "-id")
            .distinct("review_id")
            .values("review_id", "label", "score", "model_version", "topics", "flags")
        )
        latest = {score["review_id"]: score for score in scores}
    for row in rows:
        row["score"] = latest.get(row["id"])
    return rows


def reviews_recent(*, limit: int = 25) -> list[Review]:
    return list(reviews_filtered()[:limit])


def review_status_counts() -> dict[str, int]:
    rows = Review.objects.filter(is_deleted=False).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}
