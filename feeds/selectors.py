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
    (None: not connected with OAuth) and `link` (connection_state: what the API says)."""
    sources = list(Source.objects.select_related("connection").order_by("name", "pk"))
    for source in sources:
        source.conn = _connection_of(source)
        source.link = connection_state(source)
    return sources


def _connection_of(source: Source) -> SourceConnection | None:
    try:
        return source.connection
    except SourceConnection.DoesNotExist:
        return None


# Kinds that post through a platform account (OAuth, or Yelp's API key entered by hand).
CONNECTABLE_KINDS = frozenset({"google", "facebook", "instagram", "yelp"})


def connection_state(source: Source) -> dict:
    """Whether `source` can read and post through its platform, as the sources page and the API
    show it. `state`: connected (OAuth), lost (the platform refused to renew: reconnect),
    by_hand (credentials entered through the API, no OAuth connection), not_connected, or
    not_applicable (CSV, webhook and other kinds that need no account)."""
    conn = _connection_of(source)
    out = {
        "state": "not_applicable",
        "account_name": "",
        "grantee": "",
        "connected_at": None,
        "connected_by": "",
        "access_ends_at": None,
        "renewal_failures": 0,
        "error": "",
    }
    if conn is not None:
        out.update(
            state="lost" if conn.lost_at else "connected",
            account_name=conn.account_name,
            grantee=conn.grantee,
            connected_at=conn.connected_at,
            connected_by=conn.connected_by_name,
            access_ends_at=None if conn.lost_at else conn.reconnect_by,
            renewal_failures=conn.refresh_failures,
            error=conn.refresh_error if (conn.lost_at or conn.refresh_failures) else "",
        )
    elif source.kind in CONNECTABLE_KINDS:
        out["state"] = "by_hand" if source.credentials_encrypted else "not_connected"
    return out


def source_delivery_problem(source: Source) -> str:
    """Why reviews and mentions do not arrive from `source` now, in plain words ("" when
    they do): it is turned off, its platform account is not connected (no credentials) or the
    platform ended the connection, or its last fetches failed and polling stopped. Having
    delivered once says nothing about now."""
    if not source.enabled:
        return "turned off"
    state = connection_state(source)["state"]
    if state == "not_connected":
        return "not connected to its account"
    if state == "lost":
        return "its connection was lost: reconnect it"
    if not source.is_healthy:
        return "its last fetches failed"
    return ""
