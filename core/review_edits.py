"""The port through which `feeds` (the reviews' owner) tells `responses` (above it) that
reviews were edited (their text or rating changed, on their platform or through the API): the
writer of a reply written before the change is told, once per version
(`responses.services.review_edits.reply_writers_tell_review_changed`). The service is named,
not imported (docs/architecture.md); it runs now, in the caller's transaction and schema."""

from __future__ import annotations

from django.utils.module_loading import import_string

EDITED_TELL = "responses.services.review_edits.reply_writers_tell_review_changed"


def reviews_edited(review_ids) -> int:
    """Reviews `review_ids` of the current clinic were just edited: the writers of their open
    replies written before the edit are told. Returns how many people were told."""
    review_ids = sorted(set(review_ids))
    if not review_ids:
        return 0
    return import_string(EDITED_TELL)(review_ids=review_ids)
