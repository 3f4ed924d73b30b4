"""The idempotent upsert of reviews and mentions, many items from one caller (API push, polling),
idempotency keys, and triage status."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.actors import Actor
from core.errors import Conflict, ValidationFailed
from core.pipeline import reviews_score_after_commit
from core.review_edits import reviews_edited
from core.rollup import figures_changed
from core.settled import reviews_settled
from core.text import text_problem
from feeds.models import (
    IngestRequest,
    ItemKind,
    Review,
    ReviewRevision,
    ReviewStatus,
    RevisionKind,
    Source,
)
from feeds.services.sources import source_create
from webhooks.services import webhook_events_emit


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
    # The fields the caller sent (None: all of them, as connectors and CSV columns give them).
    # A field left out of an update keeps the stored value: re-pushing a mention to update its
    # likes does not erase its text.
    given: frozenset[str] | None = None

    def __post_init__(self) -> None:
        # One instant, one spelling: a time sent with the sender's offset (-05:00) is kept,
        # hashed and sent to webhooks in UTC, as the API answers it, so the same instant sent
        # with another offset is "unchanged" and a receiver never reads two spellings of it.
        for name in ("published_at", "edited_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is not None:
                object.__setattr__(self, name, value.astimezone(UTC))

    def completed_from(self, review: Review) -> ItemIn:
        """This item with every field it did not send taken from the stored `review`."""
        if self.given is None:
            return self
        kept = {name: getattr(review, name) for name in _COPIED if name not in self.given}
        if "parent_external_id" not in self.given and review.parent_id is not None:
            kept["parent_external_id"] = (
                Review.objects.filter(pk=review.parent_id)
                .values_list("external_id", flat=True)
                .first()
            )
        elif "parent_external_id" not in self.given and review.parent_external_id:
            kept["parent_external_id"] = review.parent_external_id  # its parent not here yet
        if "deleted" not in self.given:
            kept["deleted"] = review.is_deleted
        return replace(self, **kept, given=None)

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


CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"
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
# What `review.updated` compares, before and after an update: the fields of the review the
# webhooks send (`review.created`'s), its edit time and whether it is taken down. The counts
# (likes, shares, replies), the language and the parent move `updated_at` only: a post's counts
# change with every poll, and an event per like would drown the edits.
WATCHED = ("kind", "author_name", "rating", "text", "url", "published_at", "edited_at")
MAX_BATCH = 1000
MAX_IDEMPOTENCY_KEY = 200
BATCH_SHAPE = 'Send {"items": [...]}, a list of items or one item.'


def batch_items(body) -> list:
    """The items of a pushed body (the ingest API's, an inbound webhook's): `{"items": [...]}`,
    a list of items, or one item (an object with an item's field); `ValidationFailed` naming
    `items` (or `body`) for any other shape. An object without any field of an item is read
    as a batch, whose `items` is then missing; a batch's other fields are unknown fields."""
    from feeds.validation import (  # feeds.validation builds ItemIn: it imports us
        ITEM_FIELDS,
        UNKNOWN_FIELD,
    )

    if isinstance(body, list):
        items = body
    elif isinstance(body, dict) and ("items" in body or not body.keys() & ITEM_FIELDS):
        if "items" not in body:
            raise ValidationFailed("Invalid input.", fields={"items": ["This field is required."]})
        items = body["items"]
        if others := sorted(body.keys() - {"items"}):  # a batch holds its items, and nothing else
            raise ValidationFailed(
                "Invalid input.", fields={name: [UNKNOWN_FIELD] for name in others}
            )
        if not isinstance(items, list):
            raise ValidationFailed(
                "Invalid input.", fields={"items": ["Expected a list of items."]}
            )
    elif isinstance(body, dict):
        items = [body]
    else:
        raise ValidationFailed("Invalid input.", fields={"body": [BATCH_SHAPE]})
    if not items:
        raise ValidationFailed("Invalid input.", fields={"items": ["The batch is empty."]})
    return items


def _lock_source(source: Source) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema()), %s)", [source.pk])


def _lock_source_creation() -> None:
    """One clinic-wide lock (not one per kind: a batch may create two kinds, in any order),
    held until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(current_schema()),"
            " hashtext('feeds.source_created_on_first_use'))"
        )


@dataclass(frozen=True)
class Upserted:
    status: str  # created | updated | unchanged
    pk: int


@transaction.atomic
def reviews_upsert(
    *,
    source: Source,
    items: Sequence[ItemIn],
    as_past: bool = False,
) -> list[Upserted]:
    """Insert new items, update changed ones (the previous text and rating are kept as a
    revision), leave unchanged ones alone, and redacted ones too (`Review.redacted_at`: a
    privacy request removed them; a re-poll answers "unchanged" and restores nothing). Returns one `Upserted` per item in input order;
    external ids must be unique within one call. Batches for one source run one at a time.
    `as_past`: the items it creates are past reviews (`Review.imported_as_past`: no reply
    clock); so are those of them published before the source's `history_before` (the backlog
    it found when it started reading: `feeds.services.sources.source_backlog_choose`), however
    they came (a poll, a push, a webhook, a CSV file); the ones it updates keep what they were.
    An update that changes what the webhooks say of a review (`WATCHED`, or its deletion)
    stores one `review.updated` event with the changes, in this transaction; an item sent
    again as it was stores none."""
    _lock_source(source)
    by_id = {item.external_id: item for item in items}
    if len(by_id) != len(items):
        raise ValueError("external_id must be unique within one upsert call")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT external_id, id, content_hash, redacted_at IS NOT NULL FROM feeds_review"
            " WHERE source_id = %s AND external_id = ANY(%s)",
            [source.pk, list(by_id)],
        )
        rows = cursor.fetchall()
    known = {external_id: (pk, digest) for external_id, pk, digest, _ in rows}
    # Redacted at the author's request (`feeds.services.privacy`): whatever the platform still
    # shows, nothing of it comes back here (author, text, URL, a new revision or a re-score).
    redacted = {external_id for external_id, _, _, gone in rows if gone}
    partial = [
        known[e][0]
        for e, item in by_id.items()
        if e in known and e not in redacted and item.given is not None
    ]
    if partial:
        for review in Review.objects.filter(pk__in=partial):
            by_id[review.external_id] = by_id[review.external_id].completed_from(review)
    now = timezone.now()
    new_rows, changed, outcome, retext = [], {}, {}, []
    for external_id, item in by_id.items():
        digest = item.content_hash()
        if external_id not in known:
            new_rows.append((item, digest))
        elif external_id in redacted or known[external_id][1] == digest:
            outcome[external_id] = Upserted(UNCHANGED, known[external_id][0])
        else:
            changed[known[external_id][0]] = (item, digest)
    to_update, revisions, edits = [], [], []
    for review in Review.objects.filter(pk__in=list(changed)) if changed else ():
        item, digest = changed[review.pk]
        external_id = review.external_id
        before = _watched(review)
        if review.text != item.text:
            retext.append(review.pk)
        if (
            review.text != item.text
            or review.rating != item.rating
            or item.deleted != review.is_deleted
        ):
            kind = (
                RevisionKind.DELETE if item.deleted and not review.is_deleted else RevisionKind.EDIT
            )
            revisions.append(
                ReviewRevision(
                    review=review,
                    kind=kind,
                    text=review.text,
                    rating=review.rating,
                    edited_at=review.edited_at,
                )
            )
        for name in _COPIED:
            setattr(review, name, getattr(item, name))
        review.content_hash = digest
        if item.deleted and not review.is_deleted:
            review.deleted_at = now
        review.is_deleted = item.deleted
        review.updated_at = now
        to_update.append(review)
        after = _watched(review)
        if changes := {
            name: {"before": before[name], "after": after[name]}
            for name in after
            if before[name] != after[name]
        }:
            edits.append((review, changes))
        outcome[external_id] = Upserted(UPDATED, review.pk)
    for external_id, pk in _copy_insert(
        source, new_rows, now, as_past=as_past, history_before=source.history_before
    ):
        outcome[external_id] = Upserted(CREATED, pk)
    if to_update:
        Review.objects.bulk_update(
            to_update,
            [*_COPIED, "content_hash", "is_deleted", "deleted_at", "updated_at"],
            batch_size=500,
        )
    ReviewRevision.objects.bulk_create(revisions, batch_size=1000)
    # the writers of replies written before the edit are told (and the replies say so)
    reviews_edited(
        r.review_id for r in revisions if r.kind == RevisionKind.EDIT and not r.review.is_deleted
    )
    reviews_updated_emit(source, edits)
    _forget_scoring(retext)
    # taken down on its platform: nothing waits on it any more
    reviews_settled(
        review_ids=[r.pk for r in to_update if r.is_deleted], how="taken down on its platform"
    )
    _link_parents(source, by_id)
    if any(u.status != "unchanged" for u in outcome.values()):
        figures_changed()
    return [outcome[item.external_id] for item in items]


# What an item the platform no longer has is sent with: every other field keeps what is stored.
_TAKEN_DOWN = frozenset({"external_id", "published_at", "deleted"})


def reviews_taken_down(*, source: Source, reviews) -> None:
    """`reviews` of `source` that its platform no longer has (a poll's sweep did not find them,
    or the platform answered "not found" for one): stored as a deletion a poll or a push
    reports is (`reviews_upsert`: a DELETE revision, nothing waits on them any more,
    `review.updated`), every other field as stored."""
    reviews_upsert(
        source=source,
        items=[
            ItemIn(
                external_id=r.external_id,
                text=r.text,
                published_at=r.published_at,
                deleted=True,
                given=_TAKEN_DOWN,
            )
            for r in reviews
        ],
    )


def _watched(review: Review) -> dict:
    return {**{name: getattr(review, name) for name in WATCHED}, "is_deleted": review.is_deleted}


def reviews_updated_emit(source: Source, edits: list[tuple[Review, dict]]) -> None:
    """The `review.updated` webhook (sent after commit): each review of `source` as it is now,
    as `review.created` sends it with its `edited_at` and `is_deleted`, and its `changes`
    (`{field: {"before", "after"}}`, only the fields that changed)."""
    if edits:
        webhook_events_emit(
            event="review.updated",
            payloads=[
                {
                    "review": {
                        "id": review.pk,
                        "source": source.kind,
                        "source_id": source.pk,
                        "external_id": review.external_id,
                        **_watched(review),
                    },
                    "changes": changes,
                }
                for review, changes in edits
            ],
        )


def _forget_scoring(review_ids: list[int]) -> None:
    """What scoring said about the old text of these reviews (their scores, their place in a
    claim cluster, a scoring failure) is deleted with the edit, in its transaction: the new
    text is then scored like a new review, by the task queued after commit or, if the queue
    was down, by the sweeper. Reached through Review's reverse relations: scoring sits above
    feeds (docs/architecture.md)."""
    if not review_ids:
        return
    for name in ("scores", "claim_mention", "scoring_failure"):
        model = Review._meta.get_field(name).related_model
        model.objects.filter(review_id__in=review_ids).delete()


_COPY_COLUMNS = (
    "id",
    "source_id",
    "external_id",
    *_COPIED,
    "content_hash",
    "is_deleted",
    "deleted_at",
    "status",
    "imported_as_past",
    "parent_external_id",
    "created_at",
    "updated_at",
)


def _copy_insert(
    source: Source,
    rows: list[tuple[ItemIn, str]],
    now: datetime,
    *,
    as_past: bool = False,
    history_before: datetime | None = None,
) -> list[tuple[str, int]]:
    """Insert new reviews with COPY (several times faster than INSERT ... VALUES built by the
    ORM), with ids drawn from the table's sequence first. Safe: the source's lock keeps others
    from inserting the same external ids meanwhile, and the unique constraint would stop them."""
    if not rows:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('feeds_review', 'id'))"
            " FROM generate_series(1, %s)",
            [len(rows)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        with cursor.cursor.copy(
            f"COPY feeds_review ({', '.join(_COPY_COLUMNS)}) FROM STDIN"
        ) as copy:
            for pk, (item, digest) in zip(ids, rows, strict=True):
                copy.write_row(
                    (
                        pk,
                        source.pk,
                        item.external_id,
                        item.kind,
                        item.author_name,
                        item.rating,
                        item.text,
                        item.language,
                        item.url,
                        item.published_at,
                        item.edited_at,
                        item.likes,
                        item.shares,
                        item.replies,
                        digest,
                        item.deleted,
                        now if item.deleted else None,
                        ReviewStatus.NEW,
                        as_past
                        or (history_before is not None and item.published_at < history_before),
                        item.parent_external_id or "",
                        now,
                        now,
                    )
                )
    return [(item.external_id, pk) for pk, (item, _) in zip(ids, rows, strict=True)]


def _link_parents(source: Source, by_id: dict[str, ItemIn]) -> None:
    """Each item sent with a parent is linked to it; one whose parent is not stored yet keeps
    the parent's external id and is linked when the parent arrives, in a later batch or
    poll (comments often come before their post): items of this batch that earlier items
    named as their parent are linked to them here."""
    wanted = {e: i.parent_external_id for e, i in by_id.items() if i.parent_external_id}
    for parent, children in _by_parent(wanted).items():  # one query per parent, not per child
        Review.objects.filter(source=source, external_id__in=children).exclude(
            parent_external_id=parent
        ).update(parent_external_id=parent)
    waiting = dict(
        Review.objects.filter(
            source=source, parent_external_id__in=set(by_id), parent__isnull=True
        ).values_list("external_id", "parent_external_id")
    )
    wanted = {**waiting, **wanted}
    if not wanted:
        return
    parents = dict(
        Review.objects.filter(source=source, external_id__in=set(wanted.values())).values_list(
            "external_id", "id"
        )
    )
    now = timezone.now()
    for parent, children in _by_parent(wanted).items():
        if parent in parents:
            Review.objects.filter(source=source, external_id__in=children).exclude(
                parent_id=parents[parent]
            ).update(parent_id=parents[parent], updated_at=now)


def _by_parent(wanted: dict[str, str]) -> dict[str, list[str]]:
    """{child external id: parent external id} as {parent: [children]}."""
    out: dict[str, list[str]] = {}
    for child, parent in wanted.items():
        out.setdefault(parent, []).append(child)
    return out


@dataclass
class IngestReport:
    results: list[dict] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = {CREATED: 0, UPDATED: 0, UNCHANGED: 0, REJECTED: 0}
        for row in self.results:
            out[row["status"]] += 1
        return out

    def as_dict(self) -> dict:
        return {"counts": self.counts, "results": self.results}


class _Sources:
    """Resolves `source` (a kind) or `source_id` for a batch, creating a clinic's first source
    of a kind on demand."""

    def __init__(self, fixed: Source | None = None):
        self.fixed = fixed
        self.by_kind: dict[str, Source | str] = {}
        self.by_id: dict[int, Source | None] = {}

    def resolve(self, kind: str | None, source_id: int | None) -> Source | str:
        if self.fixed is not None:
            return self.fixed
        if source_id is not None:
            if source_id not in self.by_id:
                self.by_id[source_id] = Source.objects.filter(pk=source_id).first()
            return self.by_id[source_id] or f"No source with id {source_id} in this clinic."
        if kind not in self.by_kind:
            self.by_kind[kind] = self._of_kind(kind)
        return self.by_kind[kind]

    @staticmethod
    def _of_kind(kind: str) -> Source | str:
        """The clinic's source of `kind`: the one turned on (those turned off do not count),
        else the only one there is, else a new one; several: why, naming their ids."""
        found = list(Source.objects.filter(kind=kind).order_by("pk"))
        if not found:
            # Batches pushing a kind the clinic has no source of, at once, would each create
            # one, and every later push by that kind would be refused as ambiguous: the first
            # creates it under this lock, held until it commits; the others then read it.
            _lock_source_creation()
            found = list(Source.objects.filter(kind=kind).order_by("pk"))
        candidates = [s for s in found if s.enabled] or found
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            return source_create(kind=kind, name="")
        ids = ", ".join(str(s.pk) for s in candidates)
        on = " turned on" if any(s.enabled for s in candidates) else ""
        return f"This clinic has several {kind} sources{on} (ids {ids}): give source_id."


def items_ingest(
    *,
    raw_items: Sequence,
    source: Source | None = None,
    line_numbers: Sequence[int] | None = None,
    parse=None,
    as_past: bool = False,
) -> IngestReport:
    """Validate and upsert many items (API push, one CSV chunk, a webhook). Bad items are
    rejected with their reasons and change nothing; good ones are stored in one transaction.
    New and changed reviews are queued for scoring after commit. `as_past`: see
    `reviews_upsert`."""
    from feeds.validation import ItemInvalid, parse_item, parse_source_ref, source_mismatch

    parse = parse or parse_item
    report = IngestReport(results=[None] * len(raw_items))  # type: ignore[list-item]
    label = (lambda i: {"line": line_numbers[i]}) if line_numbers else (lambda i: {"index": i})
    now = timezone.now()
    with transaction.atomic():
        sources = _Sources(fixed=source)
        grouped: dict[int, list[tuple[int, ItemIn]]] = {}
        source_of: dict[int, Source] = {}
        last_index: dict[tuple[int, str], int] = {}
        for i, raw in enumerate(raw_items):
            try:
                item = parse(raw, now=now)
                kind, source_id, ref_errors = (None, None, {}) if source else parse_source_ref(raw)
                if ref_errors:
                    raise ItemInvalid(ref_errors)
                resolved = sources.resolve(kind, source_id)
                # a source given by id is named by the field the caller sent
                if isinstance(resolved, str):
                    raise ItemInvalid(
                        {"source_id" if source_id is not None else "source": resolved}
                    )
                if mismatch := source_mismatch(kind, source_id, resolved.kind):
                    raise ItemInvalid({"source": mismatch})
            except ItemInvalid as exc:
                external_id = raw.get("external_id") if isinstance(raw, dict) else None
                if not isinstance(external_id, str) or text_problem(external_id):
                    external_id = None  # echoed only when it is one; the errors say why
                fields = {field: [message] for field, message in exc.errors.items()}
                report.results[i] = {
                    **label(i),
                    "external_id": external_id,
                    "status": REJECTED,
                    "fields": fields,
                    "errors": fields,  # deprecated name of `fields`, sent for one release
                }
                continue
            key = (resolved.pk, item.external_id)
            if key in last_index:  # the later one wins; the earlier one says so
                j = last_index[key]
                grouped[resolved.pk] = [(k, it) for k, it in grouped[resolved.pk] if k != j]
                [(where, at)] = label(i).items()
                fields = {"external_id": [f"Repeated in this batch at {where} {at}."]}
                report.results[j] = {
                    **label(j),
                    "external_id": item.external_id,
                    "status": REJECTED,
                    "fields": fields,
                    "errors": fields,  # deprecated name of `fields`, sent for one release
                }
            last_index[key] = i
            source_of[resolved.pk] = resolved
            grouped.setdefault(resolved.pk, []).append((i, item))
        to_score: list[int] = []
        created: list[tuple[Source, ItemIn, int]] = []
        for source_pk, pairs in grouped.items():
            outcomes = reviews_upsert(
                source=source_of[source_pk], items=[item for _, item in pairs], as_past=as_past
            )
            for (i, item), done in zip(pairs, outcomes, strict=True):
                if done.status == CREATED:
                    created.append((source_of[source_pk], item, done.pk))
                report.results[i] = {
                    **label(i),
                    "external_id": item.external_id,
                    "status": done.status,
                    "id": done.pk,
                }
                if done.status != UNCHANGED and not item.deleted:
                    to_score.append(done.pk)
        reviews_score_after_commit(to_score)
        reviews_created_emit(created)
    return report


def review_payload(source: Source, item: ItemIn, pk: int) -> dict:
    return {
        "review": {
            "id": pk,
            "source": source.kind,
            "source_id": source.pk,
            "external_id": item.external_id,
            "kind": item.kind,
            "author_name": item.author_name,
            "rating": item.rating,
            "text": item.text,
            "url": item.url,
            "published_at": item.published_at,
        }
    }


def reviews_created_emit(created: list[tuple[Source, ItemIn, int]]) -> None:
    """The `review.created` webhook for new reviews (sent after commit)."""
    if created:
        webhook_events_emit(
            event="review.created", payloads=[review_payload(*row) for row in created]
        )


def request_hash(body: bytes) -> str:
    """The fingerprint of a body's bytes (what keys stored before 2026-12-06 hold)."""
    return hashlib.sha256(body).hexdigest()


def json_hash(value) -> str:
    """The fingerprint of a decoded JSON body: the same for the same JSON however it is
    written (key order, spaces, escapes), so a client that re-serialises a retry is not
    refused."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def items_ingest_idempotent(
    *, raw_items: Sequence, idempotency_key: str | None, body_hashes: Sequence[str]
) -> dict:
    """`items_ingest` that remembers its answer under `idempotency_key`: the same key with the
    same body returns the first answer (as first written, keys in the same order, `replayed`
    added last) and changes nothing; with another body it is refused.
    `body_hashes`: the body's fingerprints, the one stored first (`json_hash`), then any other
    a stored key may hold (`request_hash`, the bytes', of keys stored before; they are never
    purged, so both are compared for good)."""
    if not idempotency_key:
        return items_ingest(raw_items=raw_items).as_dict()
    if len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise ValidationFailed(
            f"Idempotency-Key is longer than {MAX_IDEMPOTENCY_KEY} characters.",
            fields={
                "Idempotency-Key": [
                    f"At most {MAX_IDEMPOTENCY_KEY} characters (got {len(idempotency_key):,})."
                ]
            },
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                IngestRequest.objects.create(
                    key=idempotency_key, request_hash=body_hashes[0], response={}
                )
        except IntegrityError:
            stored = IngestRequest.objects.get(key=idempotency_key)
            if stored.request_hash not in body_hashes:
                raise Conflict(
                    "This Idempotency-Key was used with a different body.",
                    code="idempotency_key_reused",
                ) from None
            first = json.loads(stored.response_text) if stored.response_text else stored.response
            return {**first, "replayed": True}
        response = items_ingest(raw_items=raw_items).as_dict()
        IngestRequest.objects.filter(key=idempotency_key).update(
            response=response, response_text=json.dumps(response)
        )
    return response


# How the inbox settles reviews, in words after "the review was" (`reviews_status_set`).
SETTLED_WORDS = {
    ReviewStatus.REPLIED: "marked as replied",
    ReviewStatus.RESOLVED: "resolved",
    ReviewStatus.IGNORED: "set aside",
}


@transaction.atomic
def reviews_status_set(*, review_ids: list[int], status: str, who: Actor) -> int:
    """Triage: `who` sets the status of many reviews at once. Reviews it settles (replied,
    resolved, ignored) close what waited on them, as a review settled one at a time does
    (`core.settled.reviews_settled`): a reply that waited for an approval is withdrawn, in
    `who`'s name."""
    if status not in ReviewStatus.values:
        raise ValidationFailed(
            "Unknown status.", fields={"status": [f"Choose {ReviewStatus.values}."]}
        )
    changed = (
        Review.objects.filter(pk__in=review_ids)
        .exclude(status=status)
        .update(status=status, updated_at=timezone.now())
    )
    if changed:
        figures_changed()
        where = "in bulk from the inbox" if len(set(review_ids)) > 1 else "from the inbox"
        how = f"{SETTLED_WORDS[status]} {where}" if status in SETTLED_WORDS else ""
        reviews_settled(review_ids=review_ids, who=who, how=how)
    return changed
