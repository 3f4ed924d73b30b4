"""Reply drafts: create from a template or a suggestion, save new versions (each checked by
the guard), and the approval steps (see `workflow`). The last approval queues the reply in the
outbox, which publishes it."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.actors import Actor
from clinics.access import ClinicAccess
from core.errors import Conflict, NotFound, ValidationFailed
from core.permissions import Permission
from core.tenancy import current_clinic
from core.text import markup_problem, markup_span
from feeds.models import Review
from responses.models import ApprovalStatus, ReplyDraft, ReplyTemplate, ReplyVersion
from responses.services import workflow
from responses.services.common import audit_record, require, webhook_emit
from responses.services.guarding import guard_check
from responses.services.templating import (
    review_render_args,
    text_render,
    unresolved_error,
    variables_markup_error,
)
from responses.templates_library import BUILTIN_TEMPLATES
from scoring.selectors import latest_score

MAX_REPLY_CHARS = 4000
# The most characters a reply may have on each platform (their documented limits); others:
# MAX_REPLY_CHARS.
PLATFORM_LIMITS = {"google": 4096, "facebook": 8000, "instagram": 2200, "x": 280}


def platform_limit(kind: str) -> int:
    return min(PLATFORM_LIMITS.get(kind, MAX_REPLY_CHARS), MAX_REPLY_CHARS)


def over_limit(text: str, kind: str) -> int:
    """How many characters `text` has over the limit of a platform of `kind` (0: it fits)."""
    return max(0, len(text or "") - platform_limit(kind))


def reply_too_long(draft: ReplyDraft) -> str:
    """Why the draft's current version cannot go to its platform ("" when it fits): a reply
    to an X post over 280 characters is refused there, so it is not submitted."""
    if not draft.version:
        return ""
    text = draft.versions.get(number=draft.version).text
    source = draft.review.source
    over = over_limit(text, source.kind)
    if not over:
        return ""
    return (
        f"The reply is too long for {source.get_kind_display()} by {over} characters "
        f"({len(text)} of at most {platform_limit(source.kind)}). Shorten it to submit it."
    )


EDITABLE = frozenset({*workflow.SUBMITTABLE, *workflow.PENDING})


class ReplyFlow(workflow.Flow):
    def lock(self, pk: int, access: ClinicAccess | None = None):
        """A draft of an open batch is acted on through its batch (one approval for all)."""
        draft = super().lock(pk, access)
        if draft.batch_id and draft.status not in workflow.FINISHED:
            raise Conflict(
                f"This reply is part of the batch {draft.batch_id}: act on the batch, or take "
                "this mention out of it to answer it on its own.",
                code="in_batch",
            )
        return draft

    def text_of(self, version) -> str:
        return version.text

    def guard(self, obj, version) -> dict:
        return guard_check(version.text, clinic=current_clinic(), review=obj.review)

    def review_id(self, obj) -> int | None:
        return obj.review_id

    def describe(self, obj) -> str:
        review = obj.review
        platform = review.source.get_kind_display()
        if review.rating:
            return f"a reply to a {review.rating}★ {platform} review"
        return f"a reply to a {platform} {review.get_kind_display().lower()}"

    def page(self, obj, clinic) -> str:
        return f"/clinics/{clinic.slug}/replies/review/{obj.review_id}/"

    def due_at(self, obj, clinic):
        return workflow.review_due_at(obj.review, clinic)

    def on_approved(self, obj, who: Actor) -> None:
        from responses.services.outbox import outbox_reply_enqueue

        item = outbox_reply_enqueue(draft=obj, who=who)
        webhook_emit("reply.approved", reply_payload(obj, item=item))


FLOW = ReplyFlow(
    object_type="reply", model=ReplyDraft, version_model=ReplyVersion, version_fk="draft"
)


def reply_payload(draft: ReplyDraft, *, item=None) -> dict:
    """The `reply` of reply.* webhook events. Public facts only: the text as published."""
    review = draft.review
    version = FLOW.current_version(draft) if draft.version else None
    return {
        "reply": {
            "id": draft.pk,
            "review_id": review.pk,
            "review_external_id": review.external_id,
            "source": review.source.kind,
            "status": draft.status,
            "version": draft.version,
            "text": version.text if version else "",
            "approved_at": draft.approved_at,
            "published_at": draft.published_at,
            "external_reply_id": item.external_id if item else "",
            "url": item.external_url if item else "",
            "posted_by_hand": bool(item and item.status == "posted_by_hand"),
        }
    }


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("The reply is empty.", fields={"text": ["Write the reply."]})
    if len(text) > MAX_REPLY_CHARS:
        raise ValidationFailed(
            "The reply is too long.",
            fields={"text": [f"At most {MAX_REPLY_CHARS} characters (platform limits)."]},
        )
    return text


# what `markup_problem` says of a reply: platforms take plain text
REPLIES_POSTED = "Replies are posted"


def markup_refusal(text: str) -> ValidationFailed | None:
    """The 400 for a reply that holds markup (platforms take plain text: `<b>` would be posted
    as it is), naming what was found; None for plain text ("<3", "a < b", "->")."""
    if problem := markup_problem(text or "", published=REPLIES_POSTED):
        return ValidationFailed("The reply holds markup.", fields={"text": [problem]})
    return None


def markup_finding(text: str, *, published: str = REPLIES_POSTED) -> dict | None:
    """The markup of `text` as a live check's blocking finding (kind `markup`), in the words
    saving refuses it with (`markup_refusal`), over its first markup; None for plain text.
    No override lifts it: "Apply all fixes" takes it out (`responses.guard.fixes`)."""
    problem = markup_problem(text or "", published=published)
    if problem is None:
        return None
    start, end = markup_span(text)
    return {
        "start": start, "end": end, "text": text[start:end], "kind": "markup",
        "subtype": "markup", "severity": "block", "message": problem,
        "suggestion": "Apply all fixes takes the markup out; a link keeps its words.",
        "probability": None,
    }  # fmt: skip


def with_markup_finding(result: dict, text: str, *, published: str = REPLIES_POSTED) -> dict:
    """A live check's `result` (`verdict`, `findings`) with `markup_finding` first and the
    verdict `block` when `text` holds markup (it cannot be saved as it is)."""
    finding = markup_finding(text, published=published)
    if finding is None:
        return result
    return {**result, "verdict": "block", "findings": [finding, *result["findings"]]}


def template_key_checked(key: str | None, *, kept: str = "") -> str:
    """`key`, the template a reply's text was loaded from, as the page and the API send it:
    none (""), the one the draft's current version names (`kept`), or a template of the
    clinic's library (built in or its own, in use or not: one switched off while a writer
    edits does not refuse their save). Anything else is refused, a 400 naming `template_key`
    (a key longer than the column, 80 characters, in the API's words), never stored."""
    key = (key or "").strip()
    limit = ReplyVersion._meta.get_field("template_key").max_length
    if len(key) > limit:
        raise ValidationFailed(
            "Invalid template.",
            fields={"template_key": [f"Ensure this field has no more than {limit} characters."]},
        )
    if not key or key == kept:
        return key
    if key in {t.key for t in BUILTIN_TEMPLATES} or ReplyTemplate.objects.filter(key=key).exists():
        return key
    raise ValidationFailed("Unknown template.", fields={"template_key": ["No such template."]})


def _version_add(
    draft: ReplyDraft, *, text: str, who: Actor, template_key: str = ""
) -> ReplyVersion:
    if refusal := markup_refusal(text):
        raise refusal
    clinic = current_clinic()
    args = review_render_args(draft.review, latest_score(draft.review))
    rendered = text_render(
        text, clinic=clinic, limit=platform_limit(draft.review.source.kind), **args
    )
    if rendered.unresolved:
        raise unresolved_error(rendered)
    if refusal := variables_markup_error(
        text,
        rendered.text,
        lambda placeholder: text_render(placeholder, clinic=clinic, **args).text,
        published="Replies are posted",
    ):
        raise refusal
    text = _clean_text(rendered.text)
    result = guard_check(text, clinic=clinic, review=draft.review)
    return ReplyVersion.objects.create(
        draft=draft,
        number=draft.version + 1,
        text=text,
        template_key=template_key,
        guard_verdict=result["verdict"],
        guard_findings=result["findings"],
        author_label=who.label,
        author_name=who.name[:200],
    )


def _review_for_reply(review_id: int) -> Review:
    review = Review.objects.select_related("source").filter(pk=review_id, is_deleted=False).first()
    if review is None:
        raise NotFound("No such review.")
    return review


def reply_draft_create(
    *,
    review_id: int,
    access: ClinicAccess,
    text: str | None = None,
    template_key: str | None = None,
) -> ReplyDraft:
    """Start the reply to a review: from `text`, else from the template `template_key`, else
    from the suggested template. Variables are filled in and the guard checks it (version 1).
    A review has at most one open draft (409 with its id otherwise)."""
    from responses.selectors import reply_suggest, template_fitting, template_get

    require(access, Permission.WRITE)
    who = access.actor
    review = _review_for_reply(review_id)
    key = template_key_checked(template_key)
    if not (text or "").strip():
        if key:
            template = template_get(key)
            if template is None:
                raise ValidationFailed(
                    "Unknown template.", fields={"template_key": ["No such template."]}
                )
            text, _ = template_fitting(
                template,
                review=review,
                clinic=current_clinic(),
                **review_render_args(review, latest_score(review)),
            )
        else:
            suggestion = reply_suggest(review=review, clinic=current_clinic())
            if not suggestion["template_key"]:  # none its own guard would let through
                raise ValidationFailed(
                    "No template to start from: write the reply's text.",
                    fields={"text": [suggestion["reason"]]},
                )
            text, key = suggestion["body"], suggestion["template_key"]
    with transaction.atomic():
        try:
            with transaction.atomic():
                draft = ReplyDraft.objects.create(
                    review=review, author_label=who.label, author_name=who.name[:200]
                )
        except IntegrityError:
            existing = (
                ReplyDraft.objects.filter(review=review)
                .exclude(status__in=[ApprovalStatus.PUBLISHED, ApprovalStatus.DISCARDED])
                .values_list("pk", flat=True)
                .first()
            )
            raise Conflict(
                "This review already has an open reply draft.",
                code="draft_exists",
                fields={"draft_id": [str(existing)]},
            ) from None
        version = _version_add(draft, text=text, who=who, template_key=key)
        draft.version = version.number
        draft.guard_verdict = version.guard_verdict
        draft.save(update_fields=["version", "guard_verdict", "updated_at"])
        audit_record(
            object_type=FLOW.object_type,
            object_id=draft.pk,
            review_id=review.pk,
            action="created",
            who=who,
            version=1,
            to_status=draft.status,
            detail={"verdict": version.guard_verdict, "template": key},
        )
        workflow.tell_who_acts(FLOW, draft)
    return draft


@transaction.atomic
def reply_draft_update(
    *,
    draft_id: int,
    access: ClinicAccess,
    text: str,
    expected_version: int | None = None,
    template_key: str = "",
) -> ReplyDraft:
    """Save a new version (unless the text is unchanged). A draft under review goes back to
    draft: the approvals given were for the old text."""
    require(access, Permission.WRITE)
    who = access.actor
    draft = FLOW.lock(draft_id)
    if expected_version is not None and draft.version != expected_version:
        raise Conflict(workflow.stale_words(draft.version, expected_version), code="stale")
    if draft.status not in EDITABLE:
        raise Conflict(f"It cannot be edited now (it is “{draft.get_status_display()}”).")
    current = FLOW.current_version(draft)
    template_key = template_key_checked(template_key, kept=current.template_key)
    if (text or "").strip() == current.text:
        return draft
    version = _version_add(draft, text=text, who=who, template_key=template_key)
    workflow.after_new_version(FLOW, draft, version, who)
    return draft


def reply_submit(*, draft_id: int, access: ClinicAccess, expected_version: int | None = None):
    """Submit the current version; 400 `too_long` (nothing changed) when it is longer than its
    platform takes, 400 when it holds markup (a version saved before markup was refused)."""
    draft = ReplyDraft.objects.select_related("review__source").filter(pk=draft_id).first()
    if draft is not None and draft.batch_id is None and (why := reply_too_long(draft)):
        raise ValidationFailed(why, code="too_long", fields={"text": [why]})
    version = FLOW.current_version(draft) if draft is not None and draft.version else None
    if version is not None and (refusal := markup_refusal(version.text)):
        raise refusal
    return workflow.submit(FLOW, pk=draft_id, access=access, expected_version=expected_version)


def reply_approve(
    *,
    draft_id: int,
    access: ClinicAccess,
    expected_status: str | None = None,
    expected_version: int | None = None,
    comment: str = "",
):
    return workflow.approve(
        FLOW,
        pk=draft_id,
        access=access,
        expected_status=expected_status,
        expected_version=expected_version,
        comment=comment,
    )


def reply_reject(
    *,
    draft_id: int,
    access: ClinicAccess,
    comment: str,
    expected_status: str | None = None,
    expected_version: int | None = None,
):
    return workflow.reject(
        FLOW,
        pk=draft_id,
        access=access,
        comment=comment,
        expected_status=expected_status,
        expected_version=expected_version,
    )


def reply_take_back(
    *,
    draft_id: int,
    access: ClinicAccess,
    comment: str = "",
    expected_status: str | None = None,
    expected_version: int | None = None,
):
    """Take back one's own approval before the next step acts (`workflow.take_back`)."""
    return workflow.take_back(
        FLOW, pk=draft_id, access=access, comment=comment,
        expected_status=expected_status, expected_version=expected_version,
    )  # fmt: skip


def reply_override(
    *, draft_id: int, access: ClinicAccess, reason: str, expected_version: int | None = None
):
    """Legal lifts the privacy block of the current version (`workflow.override`)."""
    return workflow.override(
        FLOW, pk=draft_id, access=access, reason=reason, expected_version=expected_version
    )


def reply_override_refuse(
    *, draft_id: int, access: ClinicAccess, comment: str, expected_version: int | None = None
):
    """Legal keeps the block and sends the reply back to its writer (`workflow.refuse_override`)."""
    return workflow.refuse_override(
        FLOW, pk=draft_id, access=access, comment=comment, expected_version=expected_version
    )


def reply_discard(*, draft_id: int, access: ClinicAccess):
    return workflow.discard(FLOW, pk=draft_id, access=access)
