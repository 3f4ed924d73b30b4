"""A big incident written straight into the current clinic schema with bulk_create, quickly:
its linked mentions, `events` timeline events, reply batches answering `batch_size`
mentions each (the batch's own trail and each mention's reply following it, then each
reply published) and replies of their own (created, submitted, approved, published). Times
are distinct and ordered: event i at START + i minutes, the replies' steps in between. The
tests of the incident room and the benchmark (bench/incident_room/run.py) both build it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crisis.models import EventKind, Incident, IncidentEvent, IncidentMention
from feeds.models import Review, Source
from responses.models import AuditEntry, ReplyBatch, ReplyBatchVersion, ReplyDraft

START = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
WRITER = ("user:1", "Wendy Writer")
APPROVER = ("user:2", "Olivia Owner")


def _entry(at, object_type, object_id, action, who, *, review_id=None, to="", frm="", **detail):
    return AuditEntry(
        created_at=at,
        object_type=object_type,
        object_id=object_id,
        review_id=review_id,
        action=action,
        actor_label=who[0],
        actor_name=who[1],
        version=1,
        from_status=frm,
        to_status=to,
        detail=detail,
    )


def big_incident_create(
    *, events: int, batches: int = 0, batch_size: int = 16, singles: int = 0, tag: str = "big"
) -> Incident:
    """The incident; its first event is "Opened" at START, the last event at START +
    (events - 1) minutes; every reply step falls inside that span."""
    source = Source.objects.create(kind="facebook", name=f"Facebook {tag}")
    count = batches * batch_size + singles
    reviews = Review.objects.bulk_create(
        [
            Review(
                source=source,
                external_id=f"{tag}-{n}",
                kind="mention",
                text=f"Mention {n} about the rumour",
                published_at=START - timedelta(minutes=1, seconds=n),
            )
            for n in range(max(count, 1))
        ],
        batch_size=2000,
    )
    incident = Incident.objects.create(
        kind="surge",
        key=tag,
        title=f"Negative surge ({tag})",
        severity="critical",
        trigger={"kind": "surge", "explanation": "Many negative mentions.", "numbers": {}},
        opened_at=START,
        last_detected_at=START,
    )
    IncidentMention.objects.bulk_create(
        [IncidentMention(incident=incident, review=r, added_at=START) for r in reviews],
        batch_size=2000,
    )
    IncidentEvent.objects.bulk_create(
        [
            IncidentEvent(
                incident=incident,
                kind=EventKind.OPENED if i == 0 else EventKind.NOTE,
                message="Opened" if i == 0 else f"Event number {i}",
                actor="Carewatch detectors" if i == 0 else WRITER[1],
                at=START + timedelta(minutes=i),
            )
            for i in range(events)
        ],
        batch_size=2000,
    )
    span = timedelta(minutes=max(events - 2, 1))
    steps = batches + singles
    audit: list[AuditEntry] = []
    rows = iter(reviews)
    for b in range(batches):
        # each batch's steps a few seconds apart, batches spread over the events' span
        at = START + timedelta(seconds=30) + span * b / max(steps, 1)
        batch = ReplyBatch.objects.create(
            status="published", version=1, author_label=WRITER[0], author_name=WRITER[1]
        )
        members = [next(rows) for _ in range(batch_size)]
        ReplyBatchVersion.objects.create(
            batch=batch,
            number=1,
            guard_verdict="ok",
            author_label=WRITER[0],
            text="We are looking into this.",
            review_ids=[r.pk for r in members],
            created_at=at,
        )
        drafts = ReplyDraft.objects.bulk_create(
            [
                ReplyDraft(
                    review=r, batch=batch, status="published", version=1, author_label=WRITER[0]
                )
                for r in members
            ]
        )
        audit += [
            _entry(at, "reply_batch", batch.pk, "submitted", WRITER, to="waiting"),
            _entry(at + timedelta(seconds=2), "reply_batch", batch.pk, "approved", APPROVER,
                   frm="waiting", to="approved"),
        ]  # fmt: skip
        for d in drafts:
            ids = {"review_id": d.review_id, "batch_id": batch.pk, "batch_version": 1}
            audit += [
                _entry(at, "reply", d.pk, "batch_submitted", WRITER, to="waiting", **ids),
                _entry(at + timedelta(seconds=2), "reply", d.pk, "batch_approved", APPROVER,
                       frm="waiting", to="approved", **ids),
                _entry(at + timedelta(seconds=4), "reply", d.pk, "published", APPROVER,
                       review_id=d.review_id, frm="approved", to="published"),
            ]  # fmt: skip
    for s in range(singles):
        at = START + timedelta(seconds=40) + span * (batches + s) / max(steps, 1)
        review = next(rows)
        draft = ReplyDraft.objects.create(
            review=review, status="published", version=1, author_label=WRITER[0]
        )
        rid = review.pk
        audit += [
            _entry(at, "reply", draft.pk, "created", WRITER, review_id=rid, to="draft"),
            _entry(at + timedelta(seconds=1), "reply", draft.pk, "submitted", WRITER,
                   review_id=rid, frm="draft", to="waiting"),
            _entry(at + timedelta(seconds=2), "reply", draft.pk, "approved", APPROVER,
                   review_id=rid, frm="waiting", to="approved"),
            _entry(at + timedelta(seconds=3), "reply", draft.pk, "published", APPROVER,
                   review_id=rid, frm="approved", to="published"),
        ]  # fmt: skip
    AuditEntry.objects.bulk_create(audit, batch_size=2000)
    return incident
