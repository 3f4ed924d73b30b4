"""Polling a platform source: fetch what changed since the cursor, upsert it, remember the
cursor; on errors back off, and after 5 failures in a row mark the source unhealthy."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.pipeline import reviews_score_after_commit
from feeds.models import POLLED_KINDS, Review, Source
from feeds.services import (
    ItemIn,
    reviews_created_emit,
    reviews_taken_down,
    reviews_upsert,
    source_credentials,
    source_credentials_renewed,
    source_outages_sync,
)
from feeds.validation import FUTURE_TOLERANCE

logger = logging.getLogger(__name__)
POLLABLE = POLLED_KINDS
UNHEALTHY_AFTER = 5
MAX_BACKOFF = timedelta(hours=6)
# A platform whose incremental listing cannot show a deletion (`Connector.sweeps_for_deletions`)
# is listed whole this often, and each stored item it did not list is asked about, at most
# SWEEP_CHECKS a sweep (the rest wait for the next one).
SWEEP_EVERY = timedelta(hours=24)
SWEEP_CHECKS = 100


CLAIM = timedelta(minutes=10)


def sources_claim_due(now=None) -> list[int]:
    """The sources due for a poll, pushed CLAIM into the future so that the next dispatcher
    round does not queue them again while their task waits or runs."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Source.objects.select_for_update(skip_locked=True)
            .filter(enabled=True, is_healthy=True, kind__in=POLLABLE)
            .exclude(credentials_encrypted="")  # not connected: nothing to poll with
            .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
            .values_list("pk", flat=True)
        )
        Source.objects.filter(pk__in=due).update(next_poll_at=now + CLAIM)
    return due


def _not_ahead(at, *, now, external_id: str, field: str):
    """A platform's time further ahead of ours than a clock's skew (FUTURE_TOLERANCE) is kept as
    now: the item is the platform's and must not be lost, but a time ahead would read as a wait
    that has not begun. (The API, CSV and webhooks refuse such a time instead: their sender can
    correct it and send again.)"""
    if at is not None and at > now + FUTURE_TOLERANCE:
        logger.warning(
            "platform item %s: %s %s is ahead of our clock; kept as now", external_id, field, at
        )
        return now
    return at


def _to_item(external, *, now) -> ItemIn:
    ahead = {"now": now, "external_id": external.external_id}
    return ItemIn(
        external_id=external.external_id,
        kind=external.kind,
        author_name=(external.author_name or "")[:200],
        rating=external.rating,
        text=(external.text or "")[:20_000],
        language=(external.language or "")[:16],
        url=(external.url or "")[:1000],
        published_at=_not_ahead(external.published_at, **ahead, field="published_at"),
        edited_at=_not_ahead(external.edited_at, **ahead, field="edited_at"),
        likes=external.likes or 0,
        shares=external.shares or 0,
        replies=external.replies or 0,
        parent_external_id=external.parent_external_id,
        deleted=bool(external.deleted),
    )


def _ahead(external, *, now) -> frozenset[str]:
    """The times of a platform item that `_not_ahead` keeps as now."""
    return frozenset(
        name
        for name in ("published_at", "edited_at")
        if (at := getattr(external, name)) is not None and at > now + FUTURE_TOLERANCE
    )


def _stored_times_kept(source: Source, items: dict[str, ItemIn], ahead: dict[str, frozenset]):
    """An item dated ahead of our clock was kept as now (`_not_ahead`), and it is listed again
    while the platform's time is ahead (a watermark never passes our clock). One already stored
    keeps the times it was stored with, so reading it again stores nothing; its edit time
    becomes now only when its text, stars or deletion changed."""
    if not ahead:
        return items
    stored = Review.objects.filter(source=source, external_id__in=list(ahead)).values_list(
        "external_id", "published_at", "edited_at", "text", "rating", "is_deleted"
    )
    for external_id, published_at, edited_at, text, rating, deleted in stored:
        item, fields = items[external_id], ahead[external_id]
        kept = {"published_at": published_at} if "published_at" in fields else {}
        if "edited_at" in fields and (item.text, item.rating, item.deleted) == (
            text,
            rating,
            deleted,
        ):
            kept["edited_at"] = edited_at
        items[external_id] = replace(item, **kept)
    return items


def source_poll(*, source_id: int) -> dict:
    """Poll one source now. Returns counts; failures are recorded on the source, not raised."""
    from feeds.connectors import make_connector
    from feeds.connectors.errors import AuthExpired, ConnectorError, RateLimited

    source = Source.objects.get(pk=source_id)
    now = timezone.now()
    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped_own": 0}
    try:
        # Platform addresses come from server configuration only, never from a source's
        # settings: whoever edits a source must not be able to send its token elsewhere.
        connector = make_connector(
            source.kind,
            source.settings,
            source_credentials(source),
            base_url=settings.CONNECTOR_BASE_URLS.get(source.kind),
            **settings.CONNECTOR_HTTP_OPTIONS,
        )
        sweep = connector.sweeps_for_deletions and (
            source.swept_at is None or now - source.swept_at >= SWEEP_EVERY
        )
        listed: set[str] = set()
        cursor = None if sweep else (source.cursor or None)
        for page in connector.list_items(cursor):
            items, ahead = {}, {}
            for external in page.items:
                listed.add(external.external_id)
                if getattr(external, "by_owner", False):  # the clinic's own replies and posts
                    counts["skipped_own"] += 1
                    continue
                items[external.external_id] = _to_item(external, now=now)
                if fields := _ahead(external, now=now):
                    ahead[external.external_id] = fields
            with transaction.atomic():
                items = _stored_times_kept(source, items, ahead)
                outcomes = reviews_upsert(source=source, items=list(items.values()))
                reviews_score_after_commit(
                    [done.pk for done in outcomes if done.status != "unchanged"]
                )
                reviews_created_emit(
                    [
                        (source, item, done.pk)
                        for item, done in zip(items.values(), outcomes, strict=True)
                        if done.status == "created"
                    ]
                )
                for done in outcomes:
                    counts[done.status] += 1
                if page.next_cursor:
                    Source.objects.filter(pk=source.pk).update(cursor=page.next_cursor)
        if sweep:
            counts["deleted"] = _deletions_swept(source, connector, listed, listed_at=now)
        if getattr(connector, "updated_credentials", None):  # e.g. Google renewed its token
            source_credentials_renewed(
                source_id=source.pk, credentials=connector.updated_credentials
            )
    except RateLimited as exc:
        _failed(
            source,
            f"Rate limited by the platform; retrying in {exc.retry_after_seconds:.0f} s.",
            retry_in=timedelta(seconds=exc.retry_after_seconds),
            count=False,
        )
        return {**counts, "error": "rate_limited"}
    except AuthExpired as exc:
        _failed(
            source,
            f"Credentials expired or were revoked: {str(exc).rstrip('.')}. Reconnect the source.",
            unhealthy=True,
        )
        return {**counts, "error": "auth_expired"}
    except (ConnectorError, ValueError) as exc:
        _failed(source, str(exc) or exc.__class__.__name__)
        return {**counts, "error": exc.__class__.__name__}
    Source.objects.filter(pk=source.pk).update(
        last_success_at=now,
        consecutive_failures=0,
        last_error="",
        next_poll_at=now + timedelta(minutes=source.poll_interval_minutes),
    )
    return counts


def _deletions_swept(source: Source, connector, listed: set[str], *, listed_at) -> int:
    """After a whole listing of `source` (`listed`: every id it held): each stored item it did
    not list, published before the listing began, is asked about (`item_exists`, at most
    SWEEP_CHECKS); those the platform no longer has are stored as taken down, as a deletion a
    platform reports is (`reviews_taken_down`). The sweep counts as done (`swept_at`) only
    when every such item was asked about; a failed question leaves the rest for the next
    poll. Returns how many were taken down."""
    from feeds.connectors.errors import ConnectorError

    missing = list(
        Review.objects.filter(source=source, is_deleted=False, published_at__lt=listed_at)
        .exclude(external_id__in=listed)
        .order_by("-published_at", "-pk")
    )
    gone, complete = [], len(missing) <= SWEEP_CHECKS
    for review in missing[:SWEEP_CHECKS]:
        try:
            if not connector.item_exists(review.external_id):
                gone.append(review)
        except ConnectorError as exc:
            logger.warning("source %s: deletion check stopped (%s)", source.pk, exc)
            complete = False
            break
    if gone:
        with transaction.atomic():
            reviews_taken_down(source=source, reviews=gone)
        logger.info("source %s: %d items deleted on the platform", source.pk, len(gone))
    if complete:
        Source.objects.filter(pk=source.pk).update(swept_at=listed_at)
    return len(gone)


def _failed(source: Source, message: str, *, retry_in=None, count=True, unhealthy=False) -> None:
    now = timezone.now()
    failures = source.consecutive_failures + (1 if count else 0)
    if retry_in is None:
        retry_in = min(
            timedelta(minutes=source.poll_interval_minutes) * (2 ** min(failures, 10)), MAX_BACKOFF
        )
    update = {
        "last_error": message[:2000],
        "last_error_at": now,
        "consecutive_failures": failures,
        "next_poll_at": now + retry_in,
    }
    if unhealthy or failures >= UNHEALTHY_AFTER:
        update["is_healthy"] = False
        if failures >= UNHEALTHY_AFTER and not unhealthy:
            update["last_error"] = (
                f"Unhealthy after {failures} failures in a row. Last error: {message}"[:2000]
            )
    Source.objects.filter(pk=source.pk).update(**update)
    if update.get("is_healthy") is False:  # polling stops: the channel is down from now
        source_outages_sync([source.pk], at=now)
    logger.warning("source %s poll failed (%d in a row)", source.pk, failures)
