"""Reviews settled outside the reply workflow: answered, resolved or set aside from the inbox
(one or many at once), taken down by their platform or at their author's request
(`core.settled.reviews_settled`), or resolved in their private follow-up. Nobody answers them
any more, so what waited on them for a person is withdrawn and closes:

- a reply that waited for someone's approval (a step of its route, or legal for a block of
  the privacy check) is withdrawn (`workflow.withdraw`): discarded, with who withdrew it, the
  step it waited at and why in its trail and in the approvals log; the notices of the people
  it waited for close (banner, badge and the next hourly digest) and say so in their history;
  its writer is told, for their information;
- a batch (one answer to many mentions) that waits for an approval follows the same rule
  for each mention: the replies to the settled ones are withdrawn from it (each with the
  reason in its trail, listed as withdrawn on the batch's page; the batch's trail says how
  many and why; its approvers' notices count the mentions it answers now) while the others
  go on, its version and the approvals given unchanged
  (`batches.reply_batch_mentions_settled`); once every mention is settled, the batch is
  withdrawn with its replies. (A batch not yet submitted drops them when it is submitted,
  and its last approval never queues a reply to a settled mention.)
- a private follow-up still open on a review resolved or set aside, or taken down, is closed
  with the outcome "Settled with the review", in that person's name and with the reason in
  its trail (and the incident timeline); its owner's notices about it close (it is theirs,
  an answer, overdue) and its owner is told, for their information. A review marked as
  replied keeps its follow-up: a public reply (the "please contact us" reply that starts
  many of them) does not end a private conversation.
- the "sent back to you" notices of their replies close (`workflow.sent_back_close_settled`);
- a review deleted (at its author's request, or taken down by its platform) gets no reply: an
  approved reply still queued for it (waiting, failed, to post by hand) is cancelled with the
  reason, and its writer is told (`outbox.outbox_replies_cancel_deleted`).

A reply already published, an approved reply to a review that is still there (answered,
resolved or set aside: it goes out as approved, a batch's too), and a reply sent back to its
writer stay as they are: nobody else waits on them."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.actors import Actor
from clinics.access import people_role_words
from core.pipeline import followup_changed
from core.tenancy import current_clinic
from feeds.models import Review, ReviewStatus
from responses.models import (
    OPEN_STATUSES,
    ConversationStatus,
    FollowUpOutcome,
    PrivateConversation,
    ReplyBatch,
    ReplyDraft,
    Verdict,
)
from responses.services import batches, replies, workflow
from responses.services.common import audit_record
from responses.services.followup_notices import followup_notices_close, followup_owner_tell
from responses.services.outbox import outbox_replies_cancel_deleted

SETTLED = batches.SETTLED
# a review in one of these (or taken down) ends its private follow-up; one marked as replied
# does not (`_followups_close`)
FOLLOWUP_ENDS = (ReviewStatus.RESOLVED, ReviewStatus.IGNORED)
# what may wait for a person: a step of its route, or (a draft its writer submitted) legal
# for a guard block
_MAY_WAIT = Q(status__in=workflow.PENDING) | Q(
    status__in=workflow.SUBMITTABLE, guard_verdict=Verdict.BLOCK,
    legal_asked_version=F("version"),
)  # fmt: skip


_settled_words = workflow.review_settled_words


def _words(review: Review, review_ids: list[int], how: str, who: Actor) -> str:
    """How `review` was settled, in words after "the review was": as this call says
    (`how`, by `who`) for the reviews it settles, by its status for one settled before."""
    if review.pk in review_ids:
        return f"{how or _settled_words(review)}{_by(who)}"
    return _settled_words(review)


def _by(who: Actor) -> str:
    """ " by Ann Lee" for a person or a key; nothing for a part of Carewatch."""
    return "" if who.label.startswith("system:") else f" by {who.name}"


def _role_of(who: Actor) -> str:
    """Their role in the clinic, in words, as the approvals log records it."""
    if who.user is not None and who.api_key is None:
        return people_role_words(current_clinic(), [who.user.pk]).get(who.user.pk, "")
    return "API key" if who.api_key is not None else ""


@transaction.atomic
def reviews_settled_close(*, review_ids, who: Actor | None = None, how: str = "") -> int:
    """Reviews `review_ids` of the current clinic may be settled now (those that are not
    keep everything): what waited on them for a person is withdrawn and closes (see the
    module docstring). `who` settled them (None: Carewatch); `how` says how, in words after
    "the review was" ("resolved in bulk from the inbox"; by default its status). Returns how
    many texts were withdrawn.

    The one function every path that settles a review goes through: `core.settled` (the
    inbox, a review taken down) names it and the private follow-up calls it; the outbox,
    whose publishing settles a review by its only open reply, closes its sent-back notices
    (`workflow.sent_back_close_settled`)."""
    review_ids = list(review_ids)
    if not review_ids:
        return 0
    who = who or SETTLED
    withdrawn: list[tuple] = []
    drafts = list(
        ReplyDraft.objects.select_for_update(of=("self",))
        .filter(_MAY_WAIT, review_id__in=review_ids, batch__isnull=True)
        .filter(Q(review__status__in=workflow.SETTLED_REVIEW) | Q(review__is_deleted=True))
        .select_related("review__source")
        .order_by("pk")
    )
    batch_ids = ReplyDraft.objects.filter(
        review_id__in=review_ids, batch__isnull=False, status__in=batches.LIVE
    ).values("batch_id")
    waiting_batches = list(
        ReplyBatch.objects.select_for_update().filter(_MAY_WAIT, pk__in=batch_ids).order_by("pk")
    )
    role = _role_of(who) if drafts or waiting_batches else ""
    for draft in drafts:
        why = f"The review was {how or _settled_words(draft.review)}{_by(who)}."
        what = replies.FLOW.describe(draft)
        if workflow.withdraw(replies.FLOW, draft, who, why=why, role=role):
            withdrawn.append((replies.FLOW, draft, why, what))
    for batch in waiting_batches:
        members = batches.FLOW.members(batch)
        if not members:
            continue
        if not all(workflow.review_is_settled(d.review) for d in members):
            # the others still wait for this answer: only the settled ones leave it
            batches.reply_batch_mentions_settled(
                batch, who, words_of=lambda r: _words(r, review_ids, how, who)
            )
            continue
        words = how or _settled_words(next(d.review for d in members if d.review_id in review_ids))
        why = f"Every mention it answered was settled, the last {words}{_by(who)}."
        what = batches.FLOW.describe(batch)
        if batches.reply_batch_withdraw(batch, who, why=why, role=role):
            withdrawn.append((batches.FLOW, batch, why, what))
    workflow.tell_writers_withdrawn(withdrawn, who)
    _followups_close(review_ids, who, how)
    workflow.sent_back_close_settled(review_ids=review_ids)
    outbox_replies_cancel_deleted(review_ids=review_ids, who=who)
    return len(withdrawn)


def _followups_close(review_ids: list[int], who: Actor, how: str) -> list[PrivateConversation]:
    """The private follow-ups still open on these reviews, now resolved, set aside or taken
    down, are closed: outcome "Settled with the review", in `who`'s name with the reason in
    the trail (crisis copies it onto the incidents' timelines); their owner's notices close
    and the owner is told, for their information (not when they settled it themselves).
    Returns the follow-ups closed."""
    conversations = list(
        PrivateConversation.objects.select_for_update(of=("self",))
        .filter(review_id__in=review_ids, status__in=OPEN_STATUSES)
        .filter(Q(review__status__in=FOLLOWUP_ENDS) | Q(review__is_deleted=True))
        .select_related("review")
        .order_by("pk")
    )
    clinic, now = current_clinic(), timezone.now()
    for conversation in conversations:
        words = _words(conversation.review, review_ids, how, who)
        before = conversation.status
        conversation.status = ConversationStatus.RESOLVED
        conversation.outcome = FollowUpOutcome.SETTLED
        conversation.closed_at = now
        conversation.save(update_fields=["status", "outcome", "closed_at", "updated_at"])
        audit_record(
            object_type="private_conversation", object_id=conversation.pk,
            review_id=conversation.review_id, action="resolved", who=who, from_status=before,
            to_status=conversation.status, comment=f"The review was {words}.",
            detail={"channel": conversation.channel, "outcome": conversation.outcome},
        )  # fmt: skip
        followup_changed(conversation.pk)
        followup_notices_close(conversation, clinic)
        if who.user is None or who.user.pk != conversation.owner_id:
            followup_owner_tell(
                conversation,
                clinic,
                kind="follow_up_closed",
                title=f"Your private follow-up was closed: its review was {words}",
                detail="Its outcome reads “Settled with the review”. Nothing for you to do; "
                "reopen it if the conversation goes on.",
                waits=False,
            )
    return conversations
