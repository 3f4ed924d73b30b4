"""Reviews settled outside the reply workflow: answered, resolved or set aside from the inbox
(one or many at once), taken down by their platform or at their author's request
(`core.settled.reviews_settled`), or resolved in their private follow-up. Nobody answers them
any more, so what waited on them for a person is withdrawn and closes:

- a reply that waited for someone's approval (a step of its route, or legal for a block of
  the privacy check) is withdrawn (`workflow.withdraw`): discarded, with who withdrew it, the
  step it waited at and why in its trail and in the approvals log; the notices of the people
  it waited for close (banner, badge and the next hourly digest) and say so in their history;
  its writer is told, for their information;
- a batch (one answer to many mentions) is withdrawn with its replies once every mention it
  answers is settled; while one still waits for its answer, the batch stays as it is;
- the "sent back to you" notices of their replies close (`workflow.sent_back_close_settled`);
- a review deleted (at its author's request, or taken down by its platform) gets no reply: an
  approved reply still queued for it (waiting, failed, to post by hand) is cancelled with the
  reason, and its writer is told (`outbox.outbox_replies_cancel_deleted`).

A reply already published, an approved reply to a review that is still there (answered,
resolved or set aside: it goes out as approved), and a reply sent back to its writer stay as
they are: nobody else waits on them."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Q

from accounts.actors import Actor
from clinics.access import people_role_words
from core.tenancy import current_clinic
from feeds.models import Review
from responses.models import ReplyBatch, ReplyDraft, Verdict
from responses.services import batches, replies, workflow
from responses.services.outbox import outbox_replies_cancel_deleted

SETTLED = Actor.of_system("reviews", "Carewatch")
# what may wait for a person: a step of its route, or (a draft its writer submitted) legal
# for a guard block
_MAY_WAIT = Q(status__in=workflow.PENDING) | Q(
    status__in=workflow.SUBMITTABLE, guard_verdict=Verdict.BLOCK,
    legal_asked_version=F("version"),
)  # fmt: skip


def _is_settled(review: Review) -> bool:
    return review.is_deleted or review.status in workflow.SETTLED_REVIEW


def _settled_words(review: Review) -> str:
    if review.is_deleted:
        return "taken down"
    return review.get_status_display().lower()


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
        if not members or not all(_is_settled(d.review) for d in members):
            continue  # a mention still waits for this answer
        words = how or _settled_words(next(d.review for d in members if d.review_id in review_ids))
        why = f"Every mention it answered was settled, the last {words}{_by(who)}."
        what = batches.FLOW.describe(batch)
        if batches.reply_batch_withdraw(batch, who, why=why, role=role):
            withdrawn.append((batches.FLOW, batch, why, what))
    workflow.tell_writers_withdrawn(withdrawn, who)
    workflow.sent_back_close_settled(review_ids=review_ids)
    outbox_replies_cancel_deleted(review_ids=review_ids, who=who)
    return len(withdrawn)
