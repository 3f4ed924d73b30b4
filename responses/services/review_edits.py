"""A review changed (its text or rating, on its platform or through the API) after the current
version of its reply was written: the reply answers words the review no longer says. Every
place that reads the reply before it goes out says so (`review_change`: the staff editor and
queue, the portal's approval card, the API's `review_changed_since_draft`), and the reply's
writer is told once per version (`reply_writers_tell_review_changed`, through
`core.review_edits.reviews_edited`). Nothing is blocked: the approver decides."""

from __future__ import annotations

from collections.abc import Iterable

from accounts.models import User
from clinics.models import Notification
from clinics.notifications import people_notify
from core.tenancy import current_clinic
from feeds.models import ReviewRevision, RevisionKind
from responses.models import ApprovalStatus, ReplyDraft, ReplyVersion
from responses.services.batches import mention_words
from responses.services.replies import FLOW
from responses.services.workflow import writer_ids

_GONE = (ApprovalStatus.PUBLISHED, ApprovalStatus.DISCARDED)
WORDS_TEXT_LIMIT = 300


def _version_of(draft: ReplyDraft) -> ReplyVersion | None:
    """The draft's current version, from what a selector prefetched where it did."""
    prefetched = getattr(draft, "current_versions", None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    versions = getattr(draft, "_prefetched_objects_cache", {}).get("versions")
    if versions is not None:
        return next((v for v in versions if v.number == draft.version), None)
    return draft.versions.filter(number=draft.version).first()


def _stars(rating: int | None) -> str:
    return f"{rating}★" if rating else "no rating"


def review_change(draft: ReplyDraft, *, revisions: Iterable | None = None) -> dict | None:
    """How the review `draft` answers changed since its current version was written, or None
    (not changed since, changed back to what it said, or the reply gone out or discarded):
    {"at" (the last change), "rating_before", "rating_now", "text_before", "text_now",
    "text_changed", "rating_changed", "words"}. `revisions`: the review's edit revisions, read
    for many drafts at once (`review_changes_each`); else one query."""
    version = _version_of(draft)
    if version is None or draft.status in _GONE:
        return None
    review = draft.review
    if revisions is None:
        revisions = getattr(review, "edit_revisions", None)  # `drafts_list` prefetched them
    if revisions is None:
        revisions = review.revisions.filter(
            kind=RevisionKind.EDIT, captured_at__gt=version.created_at
        )
    after = sorted(
        (
            r
            for r in revisions
            if r.kind == RevisionKind.EDIT and r.captured_at > version.created_at
        ),
        key=lambda r: (r.captured_at, r.pk),
    )
    if not after:
        return None
    before = after[0]  # the review as it was when the version was written
    text_changed = before.text != review.text
    rating_changed = before.rating != review.rating
    if not text_changed and not rating_changed:
        return None
    change = {
        "at": after[-1].captured_at,
        "rating_before": before.rating,
        "rating_now": review.rating,
        "text_before": before.text,
        "text_now": review.text,
        "text_changed": text_changed,
        "rating_changed": rating_changed,
    }
    change["words"] = review_change_words(change)
    return change


def review_change_words(change: dict) -> str:
    """ "The review was changed after this reply was written: it now says “…” (was 1★, now
    4★)" — one plain line."""
    text = change["text_now"]
    if len(text) > WORDS_TEXT_LIMIT:
        text = text[: WORDS_TEXT_LIMIT - 1].rstrip() + "…"
    said = f"it now says “{text}”" if change["text_changed"] else "its words are the same"
    if change["rating_changed"]:
        stars = f" (was {_stars(change['rating_before'])}, now {_stars(change['rating_now'])})"
    else:
        stars = f" (still {_stars(change['rating_now'])})" if change["rating_now"] else ""
    return f"The review was changed after this reply was written: {said}{stars}."


def review_changes_each(drafts: Iterable[ReplyDraft]) -> dict[int, dict | None]:
    """`review_change` of each draft (one query for all): draft id → change or None."""
    drafts = list(drafts)
    review_ids = {d.review_id for d in drafts}
    by_review: dict[int, list] = {}
    if review_ids:
        for row in ReviewRevision.objects.filter(
            review_id__in=review_ids, kind=RevisionKind.EDIT
        ).order_by():
            by_review.setdefault(row.review_id, []).append(row)
    return {d.pk: review_change(d, revisions=by_review.get(d.review_id, [])) for d in drafts}


def reply_writers_tell_review_changed(*, review_ids: list[int]) -> int:
    """Reviews `review_ids` of the current clinic were just edited (text or rating): the writer
    of each open reply to one of them, written before the change, is told for their
    information, once per version of the reply (a later edit of the same review tells nobody
    again; a new version written and then overtaken by an edit does). A reply a batch wrote
    for the mention tells the batch's writer, leading to the batch's page, where the mention's
    row says what changed (the batch's text was written for what the mention said). Returns
    how many people were told."""
    drafts = list(
        ReplyDraft.objects.filter(review_id__in=review_ids)
        .exclude(status__in=_GONE)
        .select_related("review__source", "batch")
        .prefetch_related("versions")
    )
    if not drafts:
        return 0
    clinic = current_clinic()
    changes = review_changes_each(drafts)
    told = 0
    for draft in drafts:
        change = changes[draft.pk]
        if change is None:
            continue
        ref = f"reply:{draft.pk}:v{draft.version}:review_changed"
        already = set(
            Notification.objects.filter(clinic=clinic, ref=ref).values_list("user_id", flat=True)
        )
        batch = draft.batch
        writers = writer_ids(batch if batch is not None else draft)
        users = User.objects.filter(
            pk__in=[pk for pk in writers if pk not in already], is_active=True
        )
        if change["rating_changed"]:
            how = f"now {_stars(change['rating_now'])}, was {_stars(change['rating_before'])}"
        else:
            how = "its words changed"
        if batch is None:
            title = f"The review your reply answers was changed after you wrote it ({how})"
            detail = (
                f"{change['words']} Your reply (version {draft.version}) is "
                f"“{draft.get_status_display()}”: read the review again and save a new "
                "version if the reply no longer fits. Nobody is stopped from approving it."
            )
            url = FLOW.page(draft, clinic)
        else:
            title = f"A mention your batch reply answers was changed after you wrote it ({how})"
            detail = (
                f"{mention_words(draft.review)}: {change['words'][0].lower()}"
                f"{change['words'][1:]} The batch (version {batch.version}) is "
                f"“{batch.get_status_display()}”: read the mention again, and change the "
                "batch's text or take the mention out if the reply no longer fits it. Nobody "
                "is stopped from approving it."
            )
            url = f"/clinics/{clinic.slug}/replies/batches/{batch.pk}/#item-{draft.review_id}"
        told += len(
            people_notify(
                users=users,
                clinic=clinic,
                kind="review_changed",
                ref=ref,
                title=title,
                detail=detail,
                url=url,
                waits=False,
            )
        )
    return told
