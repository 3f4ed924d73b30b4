"""Writes for feeds: sources and the idempotent upsert of reviews and mentions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from feeds.models import ItemKind, Review, ReviewRevision, RevisionKind, Source, SourceKind


@dataclass(frozen=True)
class ItemIn:
    """One item as a platform, a CSV row or an API call gave it (already validated)."""

    external_id: str
    text: str
    published_at: datetime
    kind: str = ItemKind.REVIEW
    author_name: str = ""
    rating: int | None = None
    language: str = ""
    url: str = ""
    edited_at: datetime | None = None
    likes: int = 0
    shares: int = 0
    replies: int = 0
    parent_external_id: str | None = None
    deleted: bool = False

    def content_hash(self) -> str:
        body = [
            self.kind,
            self.author_name,
            self.rating,
            self.text,
            self.language,
            self.url,
            self.published_at.isoformat(),
            self.edited_at.isoformat() if self.edited_at else None,
            self.likes,
            self.shares,
            self.replies,
            self.parent_external_id,
            self.deleted,
        ]
        return hashlib.sha256(json.dumps(body, ensure_ascii=False).encode()).hexdigest()


CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
_COPIED = (
    "kind",
    "author_name",
    "rating",
    "text",
    "language",
    "url",
    "published_at",
    "edited_at",
    "likes",
    "shares",
    "replies",
)


def source_create(*, kind: str, name: str, settings: dict | None = None) -> Source:
    if kind not in SourceKind.values:
        raise ValueError(f"Unknown source kind {kind!r}.")
    return Source.objects.create(kind=kind, name=name.strip(), settings=settings or {})


@transaction.atomic
def reviews_upsert(*, source: Source, items: Sequence[ItemIn]) -> list[tuple[str, Review]]:
    """Insert new items, update changed ones (keeping the previous version as a revision),
    leave unchanged ones alone. Returns (outcome, review) per item, in input order. The same
    external id twice in one call: the last one wins."""
    by_id = {item.external_id: item for item in items}
    existing = {
        review.external_id: review
        for review in Review.objects.select_for_update().filter(
            source=source, external_id__in=list(by_id)
        )
    }
    now = timezone.now()
    to_create, to_update, revisions, outcome = [], [], [], {}
    for external_id, item in by_id.items():
        digest = item.content_hash()
        review = existing.get(external_id)
        if review is None:
            review = Review(
                source=source,
                external_id=external_id,
                content_hash=digest,
                is_deleted=item.deleted,
                deleted_at=now if item.deleted else None,
                **{f: getattr(item, f) for f in _COPIED},
            )
            to_create.append(review)
            outcome[external_id] = (CREATED, review)
            continue
        if review.content_hash == digest:
            outcome[external_id] = (UNCHANGED, review)
            continue
        if (
            review.text != item.text
            or review.rating != item.rating
            or item.deleted != review.is_deleted
        ):
            revisions.append(
                ReviewRevision(
                    review=review,
                    kind=RevisionKind.DELETE
                    if item.deleted and not review.is_deleted
                    else RevisionKind.EDIT,
                    text=review.text,
                    rating=review.rating,
                    edited_at=review.edited_at,
                )
            )
        for field in _COPIED:
            setattr(review, field, getattr(item, field))
        review.content_hash = digest
        if item.deleted and not review.is_deleted:
            review.deleted_at = now
        review.is_deleted = item.deleted
        review.updated_at = now
        to_update.append(review)
        outcome[external_id] = (UPDATED, review)
    Review.objects.bulk_create(to_create, batch_size=1000)
    if to_update:
        Review.objects.bulk_update(
            to_update,
            [*_COPIED, "content_hash", "is_deleted", "deleted_at", "updated_at"],
            batch_size=1000,
        )
    ReviewRevision.objects.bulk_create(revisions, batch_size=1000)
    _link_parents(source, by_id)
    return [outcome[item.external_id] for item in items]


def _link_parents(source: Source, by_id: dict[str, ItemIn]) -> None:
    wanted = {
        eid: item.parent_external_id for eid, item in by_id.items() if item.parent_external_id
    }
    if not wanted:
        return
    parents = dict(
        Review.objects.filter(source=source, external_id__in=set(wanted.values())).values_list(
            "external_id", "id"
        )
    )
    for child_eid, parent_eid in wanted.items():
        if parent_eid in parents:
            Review.objects.filter(source=source, external_id=child_eid).update(
                parent_id=parents[parent_eid]
            )
