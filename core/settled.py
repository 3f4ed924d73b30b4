"""The port through which `feeds` (the reviews' owner) tells `responses` (above it) that
reviews were settled outside the reply workflow: answered, resolved or set aside from the
inbox, or taken down (by their platform, or at their author's request). What waited on them
for a person closes: the "sent back to you" notices of their replies
(`responses.services.workflow.sent_back_close_settled`, the one function every path that
settles a review or a reply goes through). The service is named, not imported
(docs/architecture.md); it runs now, in the caller's transaction and schema."""

from __future__ import annotations

from django.utils.module_loading import import_string

SETTLED_NOTICES_CLOSE = "responses.services.workflow.sent_back_close_settled"


def reviews_settled(*, review_ids) -> int:
    """Reviews `review_ids` of the current clinic may be settled now: the notices that waited
    on them (and on their replies) and have nothing left to do close. Reviews still waiting
    keep theirs. Returns how many notices closed."""
    review_ids = list(review_ids)
    if not review_ids:
        return 0
    return import_string(SETTLED_NOTICES_CLOSE)(review_ids=review_ids)
