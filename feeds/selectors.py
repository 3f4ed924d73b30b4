from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Avg, Count

from feeds.models import Review, ReviewStatus, Source, SourceConnection


def review_status_counts() -> dict[str, int]:
    rows = Review.objects.filter(is_deleted=False).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def review_figures(*, now: datetime, rating_days: int) -> dict:
    """The current clinic's new (untriaged) reviews, and its mean rating and rating count over
    the last `rating_days` days."""
    new_reviews = Review.objects.filter(status=ReviewStatus.NEW, is_deleted=False).count()
    rating = Review.objects.filter(
        is_deleted=False, rating__isnull=False, published_at__gte=now - timedelta(rating_days)
    ).aggregate(avg=Avg("rating"), n=Count("id"))
    return {"new_reviews": new_reviews, "rating_mean": rating["avg"], "rating_count": rating["n"]}


def sources_with_connections() -> list[Source]:
    """The clinic's sources for the sources page, each with its OAuth connection as `conn`
    (None: not connected with OAuth)."""
    sources = list(Source.objects.select_related("connection").order_by("name", "pk"))
    for source in sources:
        try:
            source.conn = source.connection
        except SourceConnection.DoesNotExist:
            source.conn = None
    return sources
