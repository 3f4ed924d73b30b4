"""One answer for many: a reply batch. One text (a factual correction citing the fact sheet,
a pointer to the pinned statement, or any reply) becomes one `ReplyDraft` per mention, each
with its per-platform variables filled and checked by the guard on its own. The batch goes
through the approval workflow once (`workflow`, with `approval_refusal` and every rule of
separation of duties); each step's approval covers every draft of the version it saw. On the
last approval every draft is queued in the outbox and published on its own, with its own
status. A draft of a batch is acted on through its batch only; taking a mention out of the
batch frees it for a reply of its own.

Per-mention variables, filled before the clinic's (`templating`):
    {greeting}       "Hi Sam," when the clinic allows the reviewer's name, else "Hello,"
    {reviewer_name}  the reviewer's first name where allowed, else "there"
    {statement_url}  the public page of the pinned statement
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.actors import Actor
from clinics.access import ClinicAccess
from core.errors import Conflict, NotFound, ValidationFailed
from core.permissions import Permission
from core.tenancy import current_clinic
from core.text import NEVER_NAMES, markup_found
from facts.selectors import fact_citable_by_slug
from feeds.models import Review
from responses.models import (
    ApprovalStatus,
    BatchKind,
    OutboxItem,
    OutboxKind,
    ReplyBatch,
    ReplyBatchVersion,
    ReplyDraft,
    ReplyVersion,
    Statement,
    Verdict,
)
from responses.selectors import ON_PUBLIC_PAGE, findings_once, statement_pinned_latest
from responses.services import workflow
from responses.services.common import audit_record, require, webhook_emit
from responses.services.guarding import guard_check, guard_fix, response_settings_get
from responses.services.outbox import HANDS_ON, outbox_mark_posted
from responses.services.replies import FLOW as REPLY_FLOW
from responses.services.replies import (
    markup_refusal,
    over_limit,
    platform_limit,
    reply_payload,
    with_markup_finding,
)
from responses.services.statements import statement_permalink
from responses.services.templating import (
    review_render_args,
    text_render,
    variables_markup_error,
    wording_that_fits,
)
from scoring.claims.selectors import cluster_review_ids
from scoring.models import ClaimCluster
from scoring.selectors import latest_scores_prefetch

S = ApprovalStatus
MAX_MENTIONS = 500
MAX_TEXT = 20_000  # a batch's text, on every path (the API's serializers say the same)
_SEVERITY = {Verdict.OK: 0, Verdict.NEEDS_REVIEW: 1, Verdict.BLOCK: 2}
_BATCH_VARIABLE = re.compile(r"\{(greeting|reviewer_name|statement_url)\}")
LIVE = frozenset({*workflow.SUBMITTABLE, *workflow.PENDING, S.APPROVED})
# The greeting ends with a comma, so a sentence the writer starts after it goes on in lower case
# ("Hello, we have…", not "Hello, We have…"); only words that are never names are lowered
_AFTER_GREETING = re.compile(rf"(\{{greeting\}}\s+)({NEVER_NAMES})\b")

DEFAULT_TEXTS = {
    BatchKind.CORRECTION: (
        "{greeting} thank you for raising this. To set the record straight: {fact:%s} "
        "If you have any questions, please contact us at {contact_line}."
    ),
    BatchKind.REPLY: (
        # a starting point the writer makes their own on the batch page (no fact, no statement)
        "{greeting} thank you for raising this. We take it seriously and would like to hear "
        "more; please contact us at {contact_line}."
    ),
    BatchKind.STATEMENT: (
        # "We have published a statement with the facts" read as arguing with the reviewer to
        # the guard's learned backstop (needs review on every mention); this says the same
        "{greeting} thank you for raising this. Our official statement is here: {statement_url} "
        "If you have any questions, please contact us at {contact_line}."
    ),
}


# Shorter suggestions, tried in turn when the one above renders over a mention's platform
# limit (X allows 280 characters): the product's own text is never too long where a shorter
# one fits. The writer's own text is never shortened: its over-length mentions are marked.
SHORTER_TEXTS = {
    BatchKind.CORRECTION: (
        "{greeting} to set the record straight: {fact:%s} Questions? Contact us at {contact_line}.",
        "{greeting} to set the record straight: {fact:%s}",
    ),
    BatchKind.REPLY: (),
    BatchKind.STATEMENT: (
        "{greeting} our official statement is here: {statement_url} Questions? Contact us at "
        "{contact_line}.",
        "{greeting} our official statement is here: {statement_url}",
    ),
}


def purpose_of(batch: ReplyBatch) -> str:
    """What the guard reads a batch's replies as: a factual correction or a pointer to the
    statement corrects a false claim (a plain "this is false", "we have published the facts"
    is not defensive there); a plain reply is a reply."""
    return "correction" if batch.kind in (BatchKind.CORRECTION, BatchKind.STATEMENT) else "reply"


def mention_words(review: Review) -> str:
    """A mention as people know it: its author, platform and the start of its text
    ("Emerson C. on X (“Reused needles at Riverside…”)"), never its database id."""
    start = " ".join((review.text or "").split())
    if len(start) > 30:
        cut = start[:30]
        start = (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,.;:") + "…"
    where = review.source.get_kind_display() if review.source_id else "its platform"
    said = f" (“{start}”)" if start else ""
    return f"{(review.author_name or '').strip() or 'Someone'} on {where}{said}"


def too_long_words(review: Review, length: int) -> str:
    limit = platform_limit(review.source.kind)
    return (
        f"{mention_words(review)}: {length} characters, {length - limit} over the {limit} "
        f"{review.source.get_kind_display()} allows."
    )


def _first_name(name: str) -> str:
    first = (name or "").strip().split()
    return first[0].strip(",.") if first else ""


def _statement_url(statement: Statement | None, clinic) -> str:
    if statement is None:
        return ""
    # its own address, which still answers once a newer statement replaces it
    return statement_permalink(clinic, statement.pk)


def render_for(
    text: str, review: Review, *, clinic, settings_row, statement=None
) -> tuple[str, list[str]]:
    """The batch text as the reply to one mention, and the variables left without a value.
    A display name that holds markup ("<script>", `markup_found`) is no name a reply can greet:
    {greeting} and {reviewer_name} then read as where names are not allowed ("Hello,",
    "there"), so a reviewer's name never brings markup into the clinic's reply."""
    allowed = settings_row.allow_reviewer_name and not markup_found(review.author_name)
    name = _first_name(review.author_name) if allowed else ""
    values = {
        "greeting": f"Hi {name}," if name else "Hello,",
        "reviewer_name": name or "there",
        "statement_url": _statement_url(statement, clinic),
    }
    text = _AFTER_GREETING.sub(lambda m: m.group(1) + m.group(2).lower(), text)
    text = _BATCH_VARIABLE.sub(lambda m: values[m.group(1)] or m.group(0), text)
    score = review.score_list[0] if review.score_list else None
    rendered = text_render(
        text,
        clinic=clinic,
        limit=platform_limit(review.source.kind),
        **review_render_args(review, score),
    )
    # a {statement_url} left is among them, saying why once (no statement published and pinned)
    return rendered.text.strip(), rendered.messages()


class BatchFlow(workflow.Flow):
    """The workflow's view of a batch: its text is every member's text, its guard verdict the
    worst of its members'."""

    def members(self, obj) -> list[ReplyDraft]:
        return list(
            ReplyDraft.objects.filter(batch=obj, status__in=LIVE)
            .select_related("review", "review__source")
            .order_by("pk")
        )

    def describe(self, obj) -> str:
        n = ReplyDraft.objects.filter(batch=obj, status__in=LIVE).count()
        # a batch answers a claim only when it was made from one; a hand-picked batch does not
        claim = " of a claim" if obj.cluster_id else ""
        return f"one reply to {n} mention{'s' if n != 1 else ''}{claim}"

    def page(self, obj, clinic) -> str:
        return f"/clinics/{clinic.slug}/replies/batches/{obj.pk}/"

    def due_at(self, obj, clinic):
        """The first deadline of its mentions: the batch is late once one of them is."""
        due = [workflow.review_due_at(d.review, clinic) for d in self.members(obj)]
        return min((d for d in due if d is not None), default=None)

    def text_of(self, version) -> str:
        drafts = self.members(version.batch)
        texts = {
            v.draft_id: v.text
            for v in ReplyVersion.objects.filter(draft__in=drafts).order_by("number")
        }
        return "\n".join(texts.get(d.pk, "") for d in drafts)

    def guard(self, obj, version) -> dict:
        clinic = current_clinic()
        worst, findings = Verdict.OK, []
        for draft in self.members(obj):
            text = REPLY_FLOW.current_version(draft).text
            result = guard_check(text, clinic=clinic, review=draft.review, purpose=purpose_of(obj))
            if _SEVERITY[result["verdict"]] > _SEVERITY[worst]:
                worst = result["verdict"]
            findings += [{**f, "review_id": draft.review_id} for f in result["findings"]]
        return {"verdict": worst, "findings": findings}

    def on_approved(self, obj, who: Actor) -> None:
        from responses.services.outbox import outbox_reply_enqueue

        now = timezone.now()
        # publishing never sends to a mention settled since (a path that settles a review
        # without `core.settled` leaves its reply here): it is withdrawn, not queued
        reply_batch_mentions_settled(obj, SETTLED, whole=True, by=who)
        for draft in self.members(obj):
            before = draft.status
            draft.status = S.APPROVED
            draft.approved_at = now
            draft.save(update_fields=["status", "approved_at", "updated_at"])
            _member_audit(draft, "approved", who, obj, before=before)
            item = outbox_reply_enqueue(draft=draft, who=who)
            webhook_emit("reply.approved", reply_payload(draft, item=item))


FLOW = BatchFlow(
    object_type="reply_batch",
    model=ReplyBatch,
    version_model=ReplyBatchVersion,
    version_fk="batch",
)


def _member_audit(
    draft: ReplyDraft,
    action: str,
    who: Actor,
    batch: ReplyBatch,
    *,
    before: str,
    comment="",
    step: str = "",
):
    """The trail of a mention's reply follows its batch's: `batch_<action>`, with the batch's
    id and version, and the step it was sent back at (`step`, as the batch's own entry says):
    legal sending back a batch binds every later reply to its mentions
    (`workflow.legal_sent_back_each` reads these entries)."""
    detail = {"batch_id": batch.pk, "batch_version": batch.version}
    if step:
        detail["step"] = step
    audit_record(
        object_type="reply",
        object_id=draft.pk,
        review_id=draft.review_id,
        action=f"batch_{action}",
        who=who,
        version=draft.version,
        from_status=before,
        to_status=draft.status,
        comment=comment,
        detail=detail,
    )


def _members_follow(batch: ReplyBatch, who: Actor, action: str, *, step: str = "") -> None:
    """Every open draft of the batch takes the batch's state (the list and pages show each
    mention's reply where it stands). `step`: where the batch was sent back from, for its
    trail (`_member_audit`)."""
    for draft in FLOW.members(batch):
        if draft.status == batch.status and action not in ("overridden",):
            continue
        before = draft.status
        draft.status = batch.status
        draft.route = list(batch.route)
        draft.submitted_at = batch.submitted_at
        draft.last_comment = batch.last_comment
        fields = ["status", "route", "submitted_at", "last_comment", "updated_at"]
        if action == "overridden":
            draft.override_version = draft.version
            draft.override_reason = batch.override_reason
            draft.override_by_label = batch.override_by_label
            draft.override_by_name = batch.override_by_name
            draft.override_at = batch.override_at
            fields += [
                "override_version", "override_reason", "override_by_label",
                "override_by_name", "override_at",
            ]  # fmt: skip
        draft.save(update_fields=fields)
        _member_audit(draft, action, who, batch, before=before, step=step)


# --------------------------------------------------------------------- choosing the mentions


def _mentions(
    review_ids: Sequence[int], cluster: ClaimCluster | None, *, answered_left_out: bool = False
) -> tuple[list[Review], list[dict]]:
    """The mentions to answer, and those left out because they already have a reply.

    A chosen selection is strict: a mention with a reply of its own in progress (or approved,
    on its way) is 409 `draft_exists` naming it and what to do. With `answered_left_out` (a
    claim answered as a whole), mentions that already have a reply in progress, approved or
    published are left out instead (each as {review_id, draft_id, batch_id, status, why});
    409 when no mention is left."""
    ids = sorted({int(i) for i in review_ids})
    if not ids:
        raise ValidationFailed(
            "Choose the mentions to answer.",
            fields={"review_ids": ["Choose at least one mention."]},
        )
    if len(ids) > MAX_MENTIONS:
        raise ValidationFailed(
            "Too many mentions for one answer.",
            fields={"review_ids": [f"At most {MAX_MENTIONS} mentions in one batch."]},
        )
    if cluster is not None:
        outside = sorted(set(ids) - set(cluster_review_ids(cluster.pk)))
        if outside:
            raise ValidationFailed(
                "Some mentions are not part of this claim.",
                fields={
                    "review_ids": [
                        "Not mentions of this claim in this clinic: " + ", ".join(map(str, outside))
                    ]
                },
            )
    reviews = list(
        Review.objects.filter(pk__in=ids, is_deleted=False)
        .select_related("source")
        .prefetch_related(latest_scores_prefetch())
        .order_by("pk")
    )
    missing = sorted(set(ids) - {r.pk for r in reviews})
    if missing:
        raise ValidationFailed(
            "Some mentions are not in this clinic.",
            fields={
                "review_ids": [
                    "No such mention in this clinic: " + ", ".join(map(str, missing[:20]))
                ]
            },
        )
    # a mention settled in the inbox (marked replied, resolved, set aside) needs no reply: a
    # chosen one is refused, naming it; a claim answered as a whole leaves it out
    settled = [r for r in reviews if workflow.review_is_settled(r)]
    if settled and not answered_left_out:
        raise Conflict(
            "Some mentions need no reply any more: leave them out of this answer.",
            code="mentions_settled",
            fields={"review_ids": [_settled_words(r) for r in settled]},
        )
    if settled:
        reviews = [r for r in reviews if not workflow.review_is_settled(r)]
        ids = [r.pk for r in reviews]
    done = [S.DISCARDED] if answered_left_out else [S.PUBLISHED, S.DISCARDED]
    busy: dict[int, tuple[int, str, int | None]] = {}
    for rid, pk, status, batch_id in (
        ReplyDraft.objects.filter(review_id__in=ids)
        .exclude(status__in=done)
        .order_by("pk")
        .values_list("review_id", "pk", "status", "batch_id")
    ):
        # a published reply says less than one still under way: the newest open one wins
        if rid not in busy or busy[rid][1] == S.PUBLISHED:
            busy[rid] = (pk, status, batch_id)
    settled_out = [
        {"review_id": r.pk, "draft_id": None, "status": "settled", "batch_id": None,
         "why": _settled_words(r)}
        for r in settled
    ]  # fmt: skip
    if not busy and reviews:
        return reviews, settled_out
    by_id = {r.pk: r for r in reviews}
    words = [_busy_words(by_id[rid], *busy[rid]) for rid in sorted(busy)]
    if not answered_left_out or len(busy) == len(reviews):
        if answered_left_out and not busy:
            raise Conflict(
                "Every mention of this claim needs no reply any more: nothing is left to answer.",
                code="mentions_settled",
                fields={"review_ids": [m["why"] for m in settled_out]},
            )
        detail = (
            "Every mention of this claim already has a reply: nothing is left to answer."
            if answered_left_out
            else "Some mentions already have a reply of their own in progress: leave them out "
            "of this answer, or finish or discard those drafts first."
        )
        raise Conflict(
            detail,
            code="draft_exists",
            fields={"review_ids": words + [m["why"] for m in settled_out]},
        )
    left_out = [
        {"review_id": rid, "draft_id": busy[rid][0], "status": busy[rid][1],
         "batch_id": busy[rid][2], "why": why}
        for rid, why in zip(sorted(busy), words, strict=True)
    ]  # fmt: skip
    return [r for r in reviews if r.pk not in busy], sorted(
        left_out + settled_out, key=lambda m: m["review_id"]
    )


def _settled_words(review: Review) -> str:
    """Why a settled mention needs no reply: "<mention> was marked as replied: it needs no
    reply any more." (`workflow.review_settled_words`)."""
    return (
        f"{mention_words(review)} was {workflow.review_settled_words(review)}: it needs no "
        "reply any more."
    )


def _busy_words(review: Review, draft_id: int, status: str, batch_id: int | None) -> str:
    """Why a mention cannot join a batch, and what to do, by where its own reply stands."""
    who = mention_words(review)
    where = f" in batch {batch_id}" if batch_id else ""
    if status == S.PUBLISHED:
        return f"{who} has a published reply{where}."
    if status == S.APPROVED:
        # approved replies are only waiting for their channel (or failed on it): discarding
        # is not offered for them
        return (
            f"{who} has an approved reply{where}, on its way to its channel: if its delivery "
            "failed, retry it from the outbox; leave the mention out."
        )
    if status in (S.DRAFT, S.CHANGES_REQUESTED):
        if batch_id:
            return (
                f"{who} has an open draft{where}: take the mention out of that batch, or "
                "finish or discard it."
            )
        return f"{who} has an open draft: finish or discard it."
    return (
        f"{who} has a reply{where} waiting for approval: leave the mention out, or discard "
        "that draft."
    )


def _rendered_all(text: str, reviews: list[Review], statement) -> dict[int, str]:
    """Each mention's reply, or 400 naming every variable without a value. A reply too long
    for its platform is kept: the batch page marks it and submitting is refused until the
    text is shorter (`too_long_refusal`)."""
    if not (text or "").strip():
        raise ValidationFailed("The reply is empty.", fields={"text": ["Write the reply."]})
    if refusal := markup_refusal(text):
        raise refusal
    clinic = current_clinic()
    settings_row = response_settings_get()
    out, left = {}, set()
    render = {"clinic": clinic, "settings_row": settings_row, "statement": statement}
    for review in reviews:
        rendered, missing = render_for(text, review, **render)
        left |= set(missing)
        if refusal := _variables_markup(text, rendered, review, render):
            raise refusal
        out[review.pk] = rendered
    if left:
        raise ValidationFailed(
            "Fill in or remove the variables that have no value: nothing was saved.",
            code="unfilled_variables",
            fields={"text": sorted(left)},
        )
    return out


def _variables_markup(text: str, rendered: str, review: Review, render: dict):
    """The 400 naming each variable that fills markup into a mention's reply
    (`templating.variables_markup_error`), or None."""
    return variables_markup_error(
        text,
        rendered,
        lambda placeholder: render_for(placeholder, review, **render)[0],
        published="Replies are posted",
    )


def _too_long(reviews: list[Review], rendered: dict[int, str]) -> list[str]:
    return [
        too_long_words(r, len(rendered[r.pk]))
        for r in reviews
        if over_limit(rendered[r.pk], r.source.kind)
    ]


def reply_batch_too_long(batch: ReplyBatch) -> list[dict]:
    """The mentions of the batch whose current reply is over its platform's limit, each as
    {review, length, limit, over, words}."""
    out = []
    for draft in FLOW.members(batch):
        text = REPLY_FLOW.current_version(draft).text
        over = over_limit(text, draft.review.source.kind)
        if over:
            out.append(
                {
                    "review": draft.review,
                    "length": len(text),
                    "limit": platform_limit(draft.review.source.kind),
                    "over": over,
                    "words": too_long_words(draft.review, len(text)),
                }
            )
    return out


def too_long_refusal(too_long: list[dict] | list[str]) -> ValidationFailed:
    return ValidationFailed(
        "The reply is too long for some platforms: shorten the text, or take those mentions "
        "out of the batch, then submit.",
        code="too_long",
        fields={"text": [t["words"] if isinstance(t, dict) else t for t in too_long]},
    )


def _default_texts(kind: str, *, cluster, fact_slug: str, statement) -> tuple[list[str], str]:
    """The suggested texts of a batch, longest first (`SHORTER_TEXTS`), and its template key."""
    if kind == BatchKind.STATEMENT:
        if statement is None:
            raise ValidationFailed(
                "There is no pinned statement to point to.",
                fields={"statement_id": ["Publish and pin a statement first, or choose one."]},
            )
        return [DEFAULT_TEXTS[kind], *SHORTER_TEXTS[kind]], "batch_statement_pointer"
    if kind == BatchKind.REPLY:
        return [DEFAULT_TEXTS[kind], *SHORTER_TEXTS[kind]], "batch_reply"
    slug = fact_slug or (cluster.fact.slug if cluster is not None and cluster.fact else "")
    if not slug:
        raise ValidationFailed(
            "Which fact corrects the claim?",
            fields={"fact_slug": ["Choose the fact of the fact sheet that this corrects."]},
        )
    texts = [t.replace("%s", slug) for t in (DEFAULT_TEXTS[kind], *SHORTER_TEXTS[kind])]
    return texts, "batch_factual_correction"


def _fitting(texts: list[str], reviews: list[Review], statement) -> tuple[str, dict[int, str]]:
    """The first of the suggested texts whose every mention's reply fits its platform (else
    the shortest), rendered (`wording_that_fits`)."""
    return wording_that_fits(
        texts,
        lambda text: _rendered_all(text, reviews, statement),
        lambda rendered: _too_long(reviews, rendered),
    )


def _pinned_statement(statement_id: int | None) -> Statement | None:
    if statement_id is None:
        return statement_pinned_latest()
    found = Statement.objects.filter(ON_PUBLIC_PAGE, pk=statement_id).first()
    if found is None:
        raise ValidationFailed(
            "No such pinned statement.",
            fields={"statement_id": ["Choose a published, pinned statement of this clinic."]},
        )
    return found


# --------------------------------------------------------------------- the live check


LIVE_GUARD_MENTIONS = 40


def _located(finding: dict, text: str) -> dict:
    """A finding on a mention's reply placed on the text the writer typed (where its words
    are there as typed; a finding inside a filled-in variable has no place: 0, 0)."""
    words = finding.get("text") or ""
    at = text.find(words) if words else -1
    if at < 0 and words:
        at = text.lower().find(words.lower())
    start, end = (at, at + len(words)) if at >= 0 else (0, 0)
    return {**finding, "start": start, "end": end}


def reply_batch_check(*, batch: ReplyBatch, text: str) -> dict:
    """The batch page's live guard: `text` as every mention's reply would be if saved now
    (variables filled per mention, checked by the guard as a correction or a reply,
    `purpose_of`). Stores nothing. Answers the worst `verdict`, the `findings` each once
    (`replies`: in how many; `start`/`end` in `text`; markup, which saving refuses, first: a
    blocking finding of kind `markup`, `replies.markup_finding`), and `problems`: what else
    keeps the text from being submitted (a variable without a value, a reply over its
    platform's limit, named by mention).

    Every mention's length and variables are checked; the guard (about 15 ms a reply) reads
    the replies of at most `LIVE_GUARD_MENTIONS` mentions, most reach first, each distinct
    reply once (`guarded`: how many mentions it read); saving checks every one."""
    if not (text or "").strip():
        return {
            "verdict": Verdict.OK,
            "findings": [],
            "problems": ["Write the reply."],
            "guarded": 0,
        }
    clinic = current_clinic()
    settings_row = response_settings_get()
    reviews = list(
        Review.objects.filter(pk__in=_answered(batch))
        .select_related("source")
        .prefetch_related(latest_scores_prefetch())
        .order_by("pk")
    )
    worst, findings, left, too_long = Verdict.OK, [], set(), []
    checked: dict[tuple, dict] = {}
    guarded = 0
    render = {"clinic": clinic, "settings_row": settings_row, "statement": batch.statement}
    for review in sorted(reviews, key=lambda r: -(r.likes + r.shares + r.replies)):
        rendered, missing = render_for(text, review, **render)
        left |= set(missing)
        if refusal := _variables_markup(text, rendered, review, render):
            left |= set(refusal.fields["text"])
        if over_limit(rendered, review.source.kind):
            too_long.append(too_long_words(review, len(rendered)))
        # copies of one post (a pile-on) read the same to the guard: checked once
        key = (rendered, review.text, review.author_name)
        if key not in checked:
            if len(checked) >= LIVE_GUARD_MENTIONS:
                continue
            checked[key] = guard_check(
                rendered, clinic=clinic, review=review, settings_row=settings_row,
                purpose=purpose_of(batch),
            )  # fmt: skip
        guarded += 1
        result = checked[key]
        if _SEVERITY[result["verdict"]] > _SEVERITY[worst]:
            worst = result["verdict"]
        findings += [_located(f, text) for f in result["findings"]]
    guarded_result = {"verdict": worst, "findings": findings_once(findings)}
    return {
        **with_markup_finding(guarded_result, text),  # saving refuses it; the fix takes it out
        "problems": [*sorted(left), *too_long],
        "guarded": guarded,
    }


_VARIABLE = re.compile(r"\{[a-z_]+(?::[a-z0-9_-]+)?\}")


def reply_batch_fix(*, batch: ReplyBatch, text: str, only: tuple[int, int] | None = None) -> dict:
    """The batch page's "Apply all fixes" and "Fix this" (`only`: the span of one finding in
    `text`): the single editor's fixes (`guarding.guard_fix`, whole sentences, one complete
    invitation to contact the clinic) applied to `text` as the first mention the guard flags
    gets it (most reach first), with its variables ({greeting}, {contact_line}, …) put back
    where their words still stand, so every mention keeps its own. Stores nothing. Answers
    `text` and `changes` as the single editor's fix does, with what `reply_batch_check` says
    of the new text."""
    unchanged = {"text": text, "changes": []}
    if not (text or "").strip():
        return unchanged | reply_batch_check(batch=batch, text=text)
    clinic = current_clinic()
    settings_row = response_settings_get()
    reviews = sorted(
        Review.objects.filter(pk__in=_answered(batch))
        .select_related("source")
        .prefetch_related(latest_scores_prefetch()),
        key=lambda r: (-(r.likes + r.shares + r.replies), r.pk),
    )
    chosen, rendered = None, ""
    for review in reviews[:LIVE_GUARD_MENTIONS]:
        rendered, _missing = render_for(
            text, review, clinic=clinic, settings_row=settings_row, statement=batch.statement
        )
        result = guard_check(
            rendered, clinic=clinic, review=review, settings_row=settings_row,
            purpose=purpose_of(batch),
        )  # fmt: skip
        if result["findings"]:
            chosen = review
            break
    if chosen is None:
        # nothing for the guard, but markup (which saving refuses) is fixed as the guard's
        # fixes take it out first, in the reply of the mention with the most reach
        if only is not None or not reviews or not markup_found(text):
            return unchanged | reply_batch_check(batch=batch, text=text)
        chosen = reviews[0]
        rendered, _missing = render_for(
            text, chosen, clinic=clinic, settings_row=settings_row, statement=batch.statement
        )
    span = None
    if only is not None:
        words = text[only[0] : only[1]]
        at = rendered.find(words) if words.strip() else -1
        if at < 0 and words.strip():
            at = rendered.lower().find(words.lower())
        if at < 0:  # the words are in a filled-in variable: not the typed text's to fix
            return unchanged | reply_batch_check(batch=batch, text=text)
        span = (at, at + len(words))
    fixed = guard_fix(rendered, clinic=clinic, review=chosen, purpose=purpose_of(batch), only=span)
    out = _variables_back(fixed["text"], text, chosen, clinic=clinic, settings_row=settings_row,
                          statement=batch.statement)  # fmt: skip
    return {"text": out, "changes": fixed["changes"]} | reply_batch_check(batch=batch, text=out)


def _variables_back(fixed: str, typed: str, review: Review, **render) -> str:
    """`fixed` (a mention's reply) with each variable of `typed` back where its value for that
    mention still stands ("Hello," → {greeting}); a value that is also a word of the typed
    text ("there") stays as it is rather than take another word's place."""
    values = {}
    for token in set(_VARIABLE.findall(typed)):
        value, _missing = render_for(token, review, **render)
        outside = _VARIABLE.sub("", typed)
        if len(value) >= 3 and value != token and value.lower() not in outside.lower():
            values[token] = value
    for token, value in sorted(values.items(), key=lambda kv: -len(kv[1])):
        fixed = fixed.replace(value, token)
    return fixed


# --------------------------------------------------------------------- writing


def _version_add(batch: ReplyBatch, *, text: str, reviews: list[Review], template_key: str,
                 who: Actor, rendered: dict[int, str]) -> ReplyBatchVersion:  # fmt: skip
    """The batch's next version and every member's next version (checked by the guard)."""
    clinic = current_clinic()
    worst, findings = Verdict.OK, []
    drafts = {d.review_id: d for d in FLOW.members(batch)} if batch.version else {}
    for review in reviews:
        draft = drafts.get(review.pk)
        if draft is None:
            try:
                with transaction.atomic():
                    draft = ReplyDraft.objects.create(
                        review=review, batch=batch, author_label=who.label,
                        author_name=who.name[:200], status=batch.status,
                    )  # fmt: skip
            except IntegrityError:
                raise Conflict(
                    f"{mention_words(review)} got a reply draft meanwhile. Reload and try again.",
                    code="draft_exists",
                ) from None
        text_i = rendered[review.pk]
        if draft.version and REPLY_FLOW.current_version(draft).text == text_i:
            continue
        result = guard_check(text_i, clinic=clinic, review=review, purpose=purpose_of(batch))
        version = ReplyVersion.objects.create(
            draft=draft, number=draft.version + 1, text=text_i, template_key=template_key,
            guard_verdict=result["verdict"], guard_findings=result["findings"],
            author_label=who.label, author_name=who.name[:200],
        )  # fmt: skip
        before = draft.status
        draft.version = version.number
        draft.guard_verdict = version.guard_verdict
        draft.save(update_fields=["version", "guard_verdict", "updated_at"])
        audit_record(
            object_type="reply", object_id=draft.pk, review_id=review.pk,
            action="created" if version.number == 1 else "edited", who=who,
            version=version.number, from_status=before, to_status=draft.status,
            detail={"verdict": version.guard_verdict, "batch_id": batch.pk},
        )  # fmt: skip
    for draft in FLOW.members(batch):
        version = REPLY_FLOW.current_version(draft)
        if _SEVERITY[version.guard_verdict] > _SEVERITY[worst]:
            worst = version.guard_verdict
        findings += [{**f, "review_id": draft.review_id} for f in version.guard_findings]
    return ReplyBatchVersion.objects.create(
        batch=batch, number=batch.version + 1, text=text.strip(), template_key=template_key,
        review_ids=[r.pk for r in reviews], guard_verdict=worst, guard_findings=findings,
        author_label=who.label, author_name=who.name[:200],
    )  # fmt: skip


def reply_batch_create(
    *,
    access: ClinicAccess,
    review_ids: Sequence[int] | None = None,
    cluster_id: int | None = None,
    kind: str = "",
    text: str | None = None,
    fact_slug: str = "",
    statement_id: int | None = None,
) -> ReplyBatch:
    """One reply for many mentions: the mentions of claim `cluster_id` (all of them, or the
    chosen `review_ids` among them) or a selection `review_ids`. Without `text`, the suggested
    correction citing `fact_slug` (default: the fact the claim contradicts), the pointer to
    the pinned statement, or (`kind` "reply") a plain starting text to edit; of the suggested
    texts, the longest whose every reply fits its platform (X: 280 characters).

    A claim answered as a whole (`cluster_id` without `review_ids`) answers the mentions not
    yet answered: those with a reply in progress, approved or published are left out and
    listed on the returned batch as `left_out` ({review_id, draft_id, batch_id, status, why};
    [] otherwise); 409 `draft_exists` when every mention has one. A chosen selection is
    strict: 409 `draft_exists` naming each mention with a reply in progress or approved.

    A reply longer than its platform allows is created all the same, so the writer can
    shorten it on the batch page; submitting is refused until it fits
    (`reply_batch_too_long`). 400 and nothing created when a mention is not this clinic's
    (or not the claim's), the selection is empty, or a variable has no value."""
    require(access, Permission.WRITE)
    who = access.actor
    cluster = None
    if cluster_id is not None:
        cluster = ClaimCluster.objects.select_related("fact").filter(pk=cluster_id).first()
        if cluster is None:
            raise ValidationFailed(
                "No such claim.", fields={"cluster_id": ["No such claim in this clinic."]}
            )
    whole_claim = cluster is not None and review_ids is None
    if whole_claim:
        review_ids = cluster_review_ids(cluster.pk)
    if fact_slug and fact_citable_by_slug(fact_slug) is None:
        raise ValidationFailed(
            "No such fact.",
            fields={"fact_slug": ["No confirmed fact on this clinic's fact sheet has this slug."]},
        )
    reviews, left_out = _mentions(review_ids or [], cluster, answered_left_out=whole_claim)
    text = (text or "").strip()
    kind = kind or (BatchKind.REPLY if text else BatchKind.CORRECTION)
    if kind not in BatchKind.values:
        raise ValidationFailed("Unknown kind.", fields={"kind": [f"One of {BatchKind.values}."]})
    statement = (
        _pinned_statement(statement_id)
        if kind == BatchKind.STATEMENT or statement_id is not None or "{statement_url}" in text
        else None
    )
    template_key = ""
    suggested = [text]
    if not text:
        suggested, template_key = _default_texts(
            kind, cluster=cluster, fact_slug=fact_slug, statement=statement
        )
    with transaction.atomic():
        text, rendered = _fitting(suggested, reviews, statement)
        batch = ReplyBatch.objects.create(
            kind=kind, cluster=cluster, statement=statement,
            author_label=who.label, author_name=who.name[:200],
        )  # fmt: skip
        version = _version_add(
            batch, text=text, reviews=reviews, template_key=template_key, who=who,
            rendered=rendered,
        )  # fmt: skip
        batch.version = version.number
        batch.guard_verdict = version.guard_verdict
        batch.save(update_fields=["version", "guard_verdict", "updated_at"])
        audit_record(
            object_type=FLOW.object_type, object_id=batch.pk, action="created", who=who,
            version=1, to_status=batch.status,
            detail={"verdict": batch.guard_verdict, "mentions": len(reviews),
                    "cluster_id": cluster_id, "kind": kind,
                    "left_out": [m["review_id"] for m in left_out]},
        )  # fmt: skip
        workflow.tell_who_acts(FLOW, batch)
    batch.left_out = left_out
    return batch


def _answered(batch: ReplyBatch) -> list[int]:
    """The mentions the batch answers now: its version's, less those whose reply was
    withdrawn since (their review settled: `reply_batch_mentions_settled`)."""
    live = set(
        ReplyDraft.objects.filter(batch=batch, status__in=LIVE).values_list("review_id", flat=True)
    )
    return [rid for rid in FLOW.current_version(batch).review_ids if rid in live]


def _lock_open(batch_id: int, expected_version: int | None) -> ReplyBatch:
    batch = FLOW.lock(batch_id)
    if expected_version is not None and batch.version != expected_version:
        raise Conflict(
            f"The batch changed since you read it (now version {batch.version}). Reload it.",
            code="stale",
        )
    if batch.status not in workflow.SUBMITTABLE | workflow.PENDING:
        raise Conflict(f"It cannot be changed now (it is “{batch.get_status_display()}”).")
    return batch


@transaction.atomic
def reply_batch_update(
    *, batch_id: int, access: ClinicAccess, text: str, expected_version: int | None = None
) -> ReplyBatch:
    """A new text for every mention of the batch (a new version; under review, it goes back
    to draft: the approvals given were for the old text)."""
    require(access, Permission.WRITE)
    who = access.actor
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise ValidationFailed(
            "The text is too long: nothing was saved.",
            fields={"text": [f"At most {MAX_TEXT:,} characters (it has {len(text):,})."]},
        )
    batch = _lock_open(batch_id, expected_version)
    current = FLOW.current_version(batch)
    if text == current.text:
        return batch
    reviews = list(
        Review.objects.filter(pk__in=_answered(batch))
        .select_related("source")
        .prefetch_related(latest_scores_prefetch())
        .order_by("pk")
    )
    rendered = _rendered_all(text, reviews, batch.statement)
    version = _version_add(
        batch, text=text, reviews=reviews, template_key="", who=who, rendered=rendered
    )
    workflow.after_new_version(FLOW, batch, version, who)
    _members_follow(batch, who, "edited")
    return batch


@transaction.atomic
def reply_batch_mention_remove(
    *, batch_id: int, review_id: int, access: ClinicAccess, expected_version: int | None = None
) -> ReplyBatch:
    """Take one mention out of the batch (its draft is discarded, so it can have a reply of
    its own). A new version: what was approved was the list with it."""
    require(access, Permission.WRITE)
    who = access.actor
    batch = _lock_open(batch_id, expected_version)
    current = FLOW.current_version(batch)
    answered = _answered(batch)
    if review_id not in answered:
        raise NotFound("That mention is not in this batch.")
    if len(answered) == 1:
        raise ValidationFailed(
            "A batch needs at least one mention.",
            fields={"review_id": ["It is the last mention: discard the batch instead."]},
        )
    draft = ReplyDraft.objects.select_for_update().get(
        batch=batch, review_id=review_id, status__in=LIVE
    )
    before = draft.status
    draft.status = S.DISCARDED
    draft.save(update_fields=["status", "updated_at"])
    _member_audit(draft, "removed", who, batch, before=before)
    remaining = [rid for rid in current.review_ids if rid in answered and rid != review_id]
    drafts = FLOW.members(batch)
    worst = max((d.guard_verdict for d in drafts), key=lambda v: _SEVERITY[v], default=Verdict.OK)
    version = ReplyBatchVersion.objects.create(
        batch=batch, number=batch.version + 1, text=current.text,
        template_key=current.template_key, review_ids=remaining, guard_verdict=worst,
        guard_findings=[f for f in current.guard_findings if f.get("review_id") != review_id],
        author_label=who.label, author_name=who.name[:200],
    )  # fmt: skip
    workflow.after_new_version(FLOW, batch, version, who, action="mention_removed")
    _members_follow(batch, who, "edited")
    return batch


def reply_batch_submit(*, batch_id: int, access: ClinicAccess, expected_version: int | None = None):
    """Send the batch to its first step. The replies to mentions settled since it was
    written are withdrawn from it first (`reply_batch_mentions_settled`); 409
    `mentions_settled` and nothing changes when every mention is. 400 `too_long` and nothing
    changes while a mention's reply is longer than its platform allows (each named, with by
    how much)."""
    with transaction.atomic():
        require(access, Permission.WRITE)
        batch = FLOW.lock(batch_id)
        fresh = expected_version is None or expected_version == batch.version
        if fresh and batch.status in workflow.SUBMITTABLE:
            # nobody is asked to approve a reply to a mention settled since it was written
            if not reply_batch_mentions_settled(batch, SETTLED, by=access.actor) and all(
                workflow.review_is_settled(d.review) for d in FLOW.members(batch)
            ):
                raise Conflict(
                    "Every mention this batch answers was settled since it was written "
                    "(answered, resolved, set aside or taken down): nothing is left to "
                    "answer. Discard the batch.",
                    code="mentions_settled",
                )
            too_long = reply_batch_too_long(batch)
            if too_long:
                raise too_long_refusal(too_long)
            if refusal := markup_refusal(FLOW.current_version(batch).text):
                raise refusal  # a version saved before markup was refused
        batch = workflow.submit(FLOW, pk=batch_id, access=access, expected_version=expected_version)
        _members_follow(batch, access.actor, "submitted")
    return batch


def reply_batch_approve(
    *,
    batch_id: int,
    access: ClinicAccess,
    expected_version: int | None,
    expected_status: str | None = None,
    comment: str = "",
):
    """One step for every mention of the version the approver saw (`expected_version`:
    409 and nothing approved when the text or the list of mentions changed since)."""
    if expected_version is None:
        raise ValidationFailed(
            "Say which version you approve.",
            fields={"expected_version": ["The batch version you read is required."]},
        )
    with transaction.atomic():
        batch = workflow.approve(
            FLOW, pk=batch_id, access=access, expected_status=expected_status,
            expected_version=expected_version, comment=comment,
        )  # fmt: skip
        if batch.status != S.APPROVED:  # on the last step, on_approved moved each draft
            _members_follow(batch, access.actor, "approved")
    return batch


def reply_batch_reject(
    *,
    batch_id: int,
    access: ClinicAccess,
    comment: str,
    expected_version: int | None = None,
    expected_status: str | None = None,
):
    with transaction.atomic():
        step = workflow.step_of(FLOW.lock(batch_id)) or ""
        batch = workflow.reject(
            FLOW, pk=batch_id, access=access, comment=comment,
            expected_status=expected_status, expected_version=expected_version,
        )  # fmt: skip
        _members_follow(batch, access.actor, "rejected", step=step)
    return batch


def reply_batch_take_back(
    *,
    batch_id: int,
    access: ClinicAccess,
    comment: str = "",
    expected_status: str | None = None,
    expected_version: int | None = None,
):
    """Take back one's own approval of the batch before the next step acts
    (`workflow.take_back`); its mentions' replies follow it."""
    with transaction.atomic():
        batch = workflow.take_back(
            FLOW, pk=batch_id, access=access, comment=comment,
            expected_status=expected_status, expected_version=expected_version,
        )  # fmt: skip
        _members_follow(batch, access.actor, "approval_taken_back")
    return batch


def reply_batch_override(
    *, batch_id: int, access: ClinicAccess, reason: str, expected_version: int | None = None
):
    """Legal lifts the privacy block of the batch's current version (`workflow.override`);
    its mentions' replies follow it."""
    with transaction.atomic():
        batch = workflow.override(
            FLOW, pk=batch_id, access=access, reason=reason, expected_version=expected_version
        )
        _members_follow(batch, access.actor, "overridden")
    return batch


def reply_batch_override_refuse(
    *, batch_id: int, access: ClinicAccess, comment: str, expected_version: int | None = None
):
    """Legal keeps the block and sends the batch back (`workflow.refuse_override`); its
    mentions' replies follow it."""
    with transaction.atomic():
        batch = workflow.refuse_override(
            FLOW, pk=batch_id, access=access, comment=comment, expected_version=expected_version
        )
        _members_follow(batch, access.actor, "override_refused", step="guard")
    return batch


def reply_batch_withdraw(batch: ReplyBatch, who: Actor, *, why: str, role: str = "") -> str | None:
    """The batch (locked by the caller) waited for a person's approval and nobody is to give
    it any more (`workflow.withdraw`): its mentions' replies are withdrawn with it. Returns
    the step it waited at; None, changing nothing, when it waited for nobody."""
    members = FLOW.members(batch)
    step = workflow.withdraw(FLOW, batch, who, why=why, role=role)
    if step is None:
        return None
    for draft in members:
        before = draft.status
        draft.status = S.DISCARDED
        draft.save(update_fields=["status", "updated_at"])
        _member_audit(draft, "withdrawn", who, batch, before=before, comment=why)
    return step


# who withdraws the replies to mentions settled outside the reply workflow, where no person
# or path that settled them is known (at submission, at the last approval)
SETTLED = Actor.of_system("reviews", "Carewatch")


def reply_batch_mentions_settled(
    batch: ReplyBatch,
    who: Actor,
    *,
    words_of: Callable[[Review], str] = workflow.review_settled_words,
    whole: bool = False,
    by: Actor | None = None,
) -> list[ReplyDraft]:
    """The batch (locked by the caller) answers mentions settled since it was written
    (answered, resolved or set aside, taken down: `workflow.review_is_settled`): their
    replies are withdrawn from it, never to be sent, each with why in its trail (the batch's
    page lists it as withdrawn, with the reason), and the batch's trail says how many and
    why (`words_of(review)`: how it was settled, "resolved in bulk from the inbox by Ann
    Lee"). The others go on as they are: the batch keeps its version, its step and the
    approvals given, and the notices of the people it waits for count the mentions it
    answers now. While every mention is settled, nothing changes (the batch itself is to be
    withdrawn: `reply_batch_withdraw`) unless `whole`. Its writers are told once, for their
    information: how many were withdrawn and why, how many are left, with a link to the
    batch; not the person whose action this follows (`by`, by default `who`: the writer who
    submits it, the approver whose last approval it follows). Returns the replies
    withdrawn."""
    members = FLOW.members(batch)
    settled = [d for d in members if workflow.review_is_settled(d.review)]
    if not settled or (len(settled) == len(members) and not whole):
        return []
    was = FLOW.describe(batch)
    how: dict[str, int] = {}
    for draft in settled:
        words = words_of(draft.review)
        how[words] = how.get(words, 0) + 1
        before = draft.status
        draft.status = S.DISCARDED
        draft.save(update_fields=["status", "updated_at"])
        _member_audit(
            draft, "withdrawn", who, batch, before=before, comment=f"The review was {words}."
        )
    n, left = len(settled), len(members) - len(settled)
    said = next(iter(how)) if len(how) == 1 else ", ".join(f"{w} ({k})" for w, k in how.items())
    their = "its review was" if n == 1 else "their reviews were"
    stands = (
        f"The approvals given stand for the other {left}."
        if left
        else "It answers no mention any more."
    )
    audit_record(
        object_type=FLOW.object_type, object_id=batch.pk, action="mentions_withdrawn", who=who,
        version=batch.version, from_status=batch.status, to_status=batch.status,
        comment=f"{n} of its {len(members)} mentions {'was' if n == 1 else 'were'} withdrawn: "
        f"{their} {said}. {stands}",
        detail={"review_ids": [d.review_id for d in settled], "withdrawn": n, "left": left,
                "step": workflow.logged_step(workflow.waits_at(batch))},
    )  # fmt: skip
    workflow.waiting_notices_redescribe(FLOW, batch, was=was)
    workflow.tell_writers_informed(
        FLOW, batch, by or who, kind="reply_withdrawn", event="mentions_withdrawn",
        title=f"{n} of the {len(members)} mentions your batch answered "
        f"{'was' if n == 1 else 'were'} withdrawn, {left} left: {their} {said}",
        detail=f"{stands} No reply goes to the withdrawn "
        f"{'one' if n == 1 else 'ones'}. Nothing for you to do.",
    )  # fmt: skip
    return settled


def reply_batch_discard(*, batch_id: int, access: ClinicAccess):
    with transaction.atomic():
        batch = workflow.discard(FLOW, pk=batch_id, access=access)
        for draft in FLOW.members(batch):
            before = draft.status
            draft.status = S.DISCARDED
            draft.save(update_fields=["status", "updated_at"])
            _member_audit(draft, "discarded", access.actor, batch, before=before)
    return batch


def reply_batch_by_hand(batch: ReplyBatch) -> list[OutboxItem]:
    """The batch's replies a person may mark posted by hand (to post by hand, or failed),
    most reach first."""
    return sorted(
        OutboxItem.objects.filter(
            draft__batch=batch, kind=OutboxKind.REPLY, status__in=HANDS_ON
        ).select_related("review__source", "draft"),
        key=lambda i: (-(i.review.likes + i.review.shares + i.review.replies), i.pk),
    )


BATCH_NO_LINK = "Paste the link to its post, or the platform's id of it."
POSTED_FIELDS = ("url", "external_id")  # the batch form's `url-<item id>`, `external_id-<item id>`


def reply_batch_mark_posted(
    *,
    batch_id: int,
    access: ClinicAccess,
    links: dict[int, str],
    external_ids: dict[int, str] | None = None,
    note: str = "",
) -> list[OutboxItem]:
    """The batch's replies a person posted by hand, marked posted at once: `links` maps each
    one's outbox item to the link of its post ("" where they give none), `external_ids` to
    the platform's id of it (optional, as in the single form). Each goes through the single
    form's service (`outbox.outbox_mark_posted`) and its rules (`outbox.where_posted_check`:
    a link or an id, a link or an id already recorded for another post, an id's characters
    and length); all or none: one refused is a 400 naming each mention refused and why, under
    the field that was wrong (`url-<item id>` or `external_id-<item id>`; anything else about
    the mention under `url-<item id>`), and nothing is marked. 400 when none is given or one
    is not this batch's reply to post by hand. Returns the items marked."""
    require(access, Permission.WRITE)
    external_ids = external_ids or {}
    with transaction.atomic():
        batch = ReplyBatch.objects.filter(pk=batch_id).first()
        if batch is None:
            raise NotFound("Not found.")
        items = {i.pk: i for i in reply_batch_by_hand(batch)}
        if not links:
            raise ValidationFailed(
                "Tick the replies you posted by hand.",
                fields={"posted": ["Tick at least one reply, with the link to its post."]},
            )
        unknown = sorted((set(links) | set(external_ids)) - set(items))
        if unknown:
            raise ValidationFailed(
                "Some of these are not replies of this batch to post by hand (reload the page).",
                fields={"posted": [f"Not waiting to be posted by hand: {len(unknown)}."]},
            )
        errors: dict[str, list[str]] = {}
        done = []
        for pk in sorted(links, key=list(items).index):
            try:
                with transaction.atomic():
                    done.append(
                        outbox_mark_posted(
                            item_id=pk,
                            access=access,
                            url=links[pk] or "",
                            external_id=external_ids.get(pk) or "",
                            note=note,
                        )
                    )
            except (ValidationFailed, Conflict) as exc:
                mention = mention_words(items[pk].review)
                if set(POSTED_FIELDS) <= exc.fields.keys():  # neither given
                    errors[f"url-{pk}"] = [f"{mention}: {BATCH_NO_LINK}"]
                    continue
                said = {f: ms[0] for f, ms in exc.fields.items() if f in POSTED_FIELDS and ms}
                for field, message in (said or {"url": str(exc.detail)}).items():
                    errors[f"{field}-{pk}"] = [f"{mention}: {message}"]
        if errors:  # raised inside the block: what was marked is rolled back
            refused = len({key.split("-", 1)[1] for key in errors})
            raise ValidationFailed(
                f"Nothing was marked posted: {refused} of the {len(links)} ticked "
                f"{'needs' if refused == 1 else 'need'} a change.",
                fields=errors,
            )
    return done
