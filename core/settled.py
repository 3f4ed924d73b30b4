"""The port through which `feeds` (the reviews' owner) tells `responses` (above it) that
reviews were settled outside the reply workflow: answered, resolved or set aside from the
inbox, or taken down (by their platform, or at their author's request). What waited on them
for a person is withdrawn and closes: a reply that waited for someone's approval is withdrawn
(a batch's, from the batch; the batch itself once every mention is settled), its approvers'
notices close and its writer is told; a private follow-up still open on it is closed and its
owner told; the "sent back to you" notices of their replies close
(`responses.services.settling.reviews_settled_close`, the one function every path that
settles a review goes through). The service is named, not imported (docs/architecture.md);
it runs now, in the caller's transaction and schema."""

from __future__ import annotations

from typing import Any

from django.utils.module_loading import import_string

SETTLED_CLOSE = "responses.services.settling.reviews_settled_close"


def reviews_settled(*, review_ids, who: Any = None, how: str = "") -> int:
    """Reviews `review_ids` of the current clinic may be settled now: what waited on them
    (and on their replies) for a person is withdrawn and closes. Reviews still waiting keep
    theirs. `who`: the `accounts.actors.Actor` who settled them (None: Carewatch itself);
    `how`: in words after "the review was" ("resolved in bulk from the inbox"). Returns how
    many texts were withdrawn."""
    review_ids = list(review_ids)
    if not review_ids:
        return 0
    return import_string(SETTLED_CLOSE)(review_ids=review_ids, who=who, how=how)
