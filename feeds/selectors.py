from django.db.models import Count, QuerySet

from feeds.models import Review


def reviews_list() -> QuerySet[Review]:
    return Review.objects.select_related("source").filter(is_deleted=False)


def reviews_recent(*, limit: int = 25) -> list[Review]:
    return list(reviews_list()[:limit])


def review_status_counts() -> dict[str, int]:
    rows = Review.objects.filter(is_deleted=False).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}
