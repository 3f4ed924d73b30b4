"""A backlog of texts waiting at one approval step, written straight into the current clinic
schema with bulk_create, quickly: replies of their own (a review each, the review of reply n
published at START + n minutes, so the oldest review is reply 0's) and reply batches
answering `batch_size` mentions of a claim each (batch n submitted at START + n minutes), each
with its version and the writer's submit and the agency's approval in the audit trail. The
approval queues' tests and their benchmark (bench/approvals/run.py) both build it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feeds.models import Review, Source
from responses.models import AuditEntry, ReplyBatch, ReplyBatchVersion, ReplyDraft, ReplyVersion
from scoring.models import ClaimCluster

START = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
WRITER = ("user:900001", "Wendy Writer")
MANAGER = ("user:900002", "Mandy Manager")
REPLY = (
    "Thank you for taking the time to write to us. We are sorry the visit fell short and we "
    "would like to hear more: please call the front desk and ask for the practice manager."
)

BATCH_REPLY = "We have not lost any records; please call us."


def backlog_create(
    *,
    replies: int,
    batches: int = 0,
    batch_size: int = 16,
    status: str = "pending_client",
    tag: str = "q",
) -> tuple[list[ReplyDraft], list[ReplyBatch]]:
    """The replies of their own and the batches, in the order the approval queues list them
    (oldest review first; first submitted first), all at `status`."""
    source = Source.objects.create(kind="google", name=f"Google {tag}")
    social = Source.objects.create(kind="facebook", name=f"Facebook {tag}")
    common = {
        "status": status,
        "version": 1,
        "route": ["agency", "client"],
        "author_label": WRITER[0],
        "author_name": WRITER[1],
    }
    reviews = Review.objects.bulk_create(
        [
            Review(
                source=source,
                external_id=f"{tag}-r-{n}",
                kind="review",
                author_name=f"Reviewer {tag}{n}",
                rating=1 + n % 3,
                text=f"Review {n}: we waited over an hour and nobody called us back.",
                published_at=START + timedelta(minutes=n),
            )
            for n in range(replies)
        ],
        batch_size=2000,
    )
    drafts = ReplyDraft.objects.bulk_create(
        [ReplyDraft(review=r, submitted_at=START, **common) for r in reviews], batch_size=2000
    )
    ReplyVersion.objects.bulk_create(
        [
            ReplyVersion(
                draft=d,
                number=1,
                guard_verdict="ok",
                author_label=WRITER[0],
                author_name=WRITER[1],
                text=REPLY,
            )
            for d in drafts
        ],
        batch_size=2000,
    )
    audit: list[AuditEntry] = []

    def _steps(object_type: str, pk: int) -> None:
        audit.extend(
            AuditEntry(
                object_type=object_type,
                object_id=pk,
                action=action,
                actor_label=who[0],
                actor_name=who[1],
                version=1,
                from_status=frm,
                to_status=to,
            )
            for action, who, frm, to in (
                ("submitted", WRITER, "draft", "pending_agency"),
                ("approved", MANAGER, "pending_agency", status),
            )
        )

    for d in drafts:
        _steps("reply", d.pk)
    made = []
    for b in range(batches):
        cluster = ClaimCluster.objects.create(
            title=f"The clinic lost my records ({tag}{b})", last_joined_at=START
        )
        mentions = Review.objects.bulk_create(
            Review(
                source=social,
                external_id=f"{tag}-b{b}-{n}",
                kind="mention",
                author_name=f"Poster {tag}{b}-{n}",
                text=f"Mention {n}: they lost my records.",
                published_at=START - timedelta(hours=1, minutes=n),
            )
            for n in range(batch_size)
        )
        batch = ReplyBatch.objects.create(
            cluster=cluster, submitted_at=START + timedelta(minutes=b), **common
        )
        ReplyBatchVersion.objects.create(
            batch=batch,
            number=1,
            guard_verdict="ok",
            author_label=WRITER[0],
            author_name=WRITER[1],
            text=BATCH_REPLY,
            review_ids=[r.pk for r in mentions],
        )
        members = ReplyDraft.objects.bulk_create(
            ReplyDraft(review=r, batch=batch, submitted_at=START, **common) for r in mentions
        )
        ReplyVersion.objects.bulk_create(
            ReplyVersion(
                draft=d,
                number=1,
                guard_verdict="ok",
                author_label=WRITER[0],
                author_name=WRITER[1],
                text=BATCH_REPLY,
            )
            for d in members
        )
        _steps("reply_batch", batch.pk)
        made.append(batch)
    AuditEntry.objects.bulk_create(audit, batch_size=2000)
    return drafts, made
