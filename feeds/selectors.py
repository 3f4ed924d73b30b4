from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet

from feeds.models import Review


def _scores_prefetch() -> Prefetch:
    from scoring.models import ReviewScore

    return Prefetch(
        "scores", queryset=ReviewScore.objects.order_by("-created_at"), to_attr="score_list"
    )


def reviews_list() -> QuerySet[Review]:
    return Review.objects.select_related("source").filter(is_deleted=False)


def reviews_filtered(
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
    """The inbox query: every filter the API and the staff inbox offer, newest first, with the
    latest score of each review prefetched (`review.score_list`)."""
    from scoring.models import ReviewScore

    qs = Review.objects.select_related("source").prefetch_related(_scores_prefetch())
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


def reviews_recent(*, limit: int = 25) -> list[Review]:
    return list(reviews_filtered()[:limit])


def review_status_counts() -> dict[str, int]:
    rows = Review.objects.filter(is_deleted=False).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}
