"""The numbers of a post-crisis review: response times, coverage, and volume and sentiment
before, during and after the incident (three windows of equal length)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from crisis.models import Incident, IncidentEvent, IncidentMention
from crisis.selectors import incident_statements
from feeds.models import Review, ReviewStatus
from responses.selectors import first_reply_published_at
from scoring.selectors import latest_score_subquery

BUCKETS_PER_WINDOW = 6
LABELS = ("negative", "neutral", "positive", "unscored")


def _seconds(later: datetime | None, earlier: datetime) -> int | None:
    if later is None:
        return None
    return max(0, round((later - earlier).total_seconds()))


def _is_negative(label: str | None, rating: int | None) -> bool:
    if label is not None:
        return label == "negative"
    return rating is not None and rating <= 2


def _summary(rows: list[tuple], start: datetime, end: datetime, now: datetime) -> dict:
    counts = dict.fromkeys(LABELS, 0)
    scores, ratings = [], []
    for _, _, rating, label, score in rows:
        counts[label or "unscored"] += 1
        if score is not None:
            scores.append(score)
        if rating is not None:
            ratings.append(rating)
    volume = len(rows)
    negative = sum(1 for _, _, rating, label, _ in rows if _is_negative(label, rating))
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "complete": end <= now,
        "volume": volume,
        **counts,
        "negative_all": negative,
        "negative_share": round(negative / volume, 3) if volume else None,
        "mean_score": round(sum(scores) / len(scores), 3) if scores else None,
        "mean_rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
    }


def review_metrics(incident: Incident, *, now: datetime | None = None) -> dict:
    """Computed from the incident, its timeline, its linked mentions and the clinic's items
    around it. The "after" window is marked incomplete until it has fully passed."""
    now = now or timezone.now()
    opened = incident.opened_at
    end = incident.resolved_at or now
    span = max(end - opened, timedelta(hours=1))
    bounds = {
        "before": (opened - span, opened),
        "during": (opened, opened + span),
        "after": (opened + span, opened + 2 * span),
    }
    rows = list(
        Review.objects.filter(
            is_deleted=False, published_at__gte=opened - span, published_at__lt=opened + 2 * span
        )
        .annotate(label=latest_score_subquery("label"), score=latest_score_subquery("score"))
        .values_list("id", "published_at", "rating", "label", "score")
        .order_by("published_at")
    )
    windows = {
        name: _summary([r for r in rows if a <= r[1] < b], a, b, now)
        for name, (a, b) in bounds.items()
    }
    series = []
    step = span / BUCKETS_PER_WINDOW
    for name, (a, _) in bounds.items():
        for n in range(BUCKETS_PER_WINDOW):
            start = a + n * step
            inside = [r for r in rows if start <= r[1] < start + step]
            bucket = _summary(inside, start, start + step, now)
            series.append(
                {
                    "window": name,
                    "start": bucket["start"],
                    **{label: bucket[label] for label in LABELS},
                    "mean_score": bucket["mean_score"],
                }
            )

    linked = list(
        Review.objects.filter(incidents=incident)
        .annotate(label=latest_score_subquery("label"))
        .values_list("rating", "label", "status", "updated_at")
    )
    negative = [row for row in linked if _is_negative(row[1], row[0])]
    answered = [row for row in negative if row[2] == ReviewStatus.REPLIED]
    first_reply = first_reply_published_at(
        IncidentMention.objects.filter(incident=incident).values_list("review_id", flat=True)
    )
    return {
        "computed_at": now.isoformat(),
        "opened_at": opened.isoformat(),
        "acknowledged_at": incident.acknowledged_at.isoformat()
        if incident.acknowledged_at
        else None,
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "time_to_acknowledge_seconds": _seconds(incident.acknowledged_at, opened),
        "time_to_first_reply_seconds": _seconds(first_reply, opened),
        "time_to_resolve_seconds": _seconds(incident.resolved_at, opened),
        "escalated": incident.escalated_at is not None,
        "escalated_after_seconds": _seconds(incident.escalated_at, opened),
        "mentions_linked": len(linked),
        "negative_linked": len(negative),
        "negative_answered": len(answered),
        "answered_share": round(len(answered) / len(negative), 3) if negative else None,
        "window_seconds": round(span.total_seconds()),
        "windows": windows,
        "series": series,
        "events": IncidentEvent.objects.filter(incident=incident).count(),
        "statements": [
            {
                "id": st.pk,
                "title": st.title,
                "status": st.status,
                "published_at": st.published_at.isoformat() if st.published_at else None,
                "pinned": st.is_pinned,
            }
            for st in incident_statements(incident)
        ],
    }
