"""Reads for replies, statements, the template library, the SLA clock and the outbox."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.actors import user_id_of
from accounts.models import User
from accounts.naming import names_told_apart
from agency.branding import brand_name
from clinics.access import ClinicAccess, people_role_words, role_words_shown
from clinics.models import Clinic, clinic_zone
from clinics.selectors import reply_target_of_reply
from core.branding import as_brand
from core.days import DAY_OUT_OF_RANGE, FIRST_DAY, LAST_DAY, RANGE_REVERSED, range_instants
from core.errors import ValidationFailed
from core.permissions import Permission
from core.tenancy import current_clinic
from core.text import duration_words as text_duration_words
from feeds.models import AWAITING_REPLY_STATUSES, Review, ReviewRevision, RevisionKind
from inbox.selectors import reply_clock, review_counts_for_reply_target
from responses.models import (
    OPEN_STATUSES,
    WAITING_FOR_SOURCE,
    ApprovalStatus,
    AuditEntry,
    BatchKind,
    ContactConsent,
    FailureKind,
    FollowUpMessage,
    OutboxItem,
    OutboxKind,
    OutboxStatus,
    PrivateConversation,
    ReplyBatch,
    ReplyBatchVersion,
    ReplyDraft,
    ReplyTemplate,
    ReplyVersion,
    Statement,
    StatementVersion,
    Step,
    TemplateCategory,
    Verdict,
)
from responses.services.common import review_named
from responses.services.guarding import guard_check, guard_context, response_settings_get
from responses.services.outbox import (
    BY_HAND_OR,
    channel_connectors_named,
    connect_words,
    pinning_sources,
    reply_by_hand_reason,
    retry_refusal,
    source_connection,
    statement_by_hand_words,
)
from responses.services.replies import over_limit
from responses.services.templating import (
    concern_words,
    review_render_args,
    text_render,
    wording_that_fits,
)
from responses.services.workflow import (
    PENDING,
    PENDING_FOR_STEP,
    STEP_FOR_STATUS,
    TAKEN_BACK,
    approval_refusal,
    approvals_standing,
    legal_sent_back_each,
    route_for,
    sent_back_kept_block,
    sent_back_this_version,
    sent_back_which,
    statuses_visible_to,
    step_of,
    visible_q,
)
from responses.templates_library import BUILTIN_TEMPLATES
from scoring.selectors import latest_score, latest_scores_prefetch, topics_public

# --- the template library ----------------------------------------------------------------


def templates_available(*, category: str | None = None) -> list[dict]:
    """The built-in library plus the clinic's own templates (a clinic template with a
    built-in's key replaces it; an inactive one hides it)."""
    own = {t.key: t for t in ReplyTemplate.objects.all()}
    out = []
    for builtin in BUILTIN_TEMPLATES:
        if builtin.key in own:
            continue
        out.append(
            {
                "key": builtin.key,
                "name": builtin.name,
                "category": builtin.category,
                "body": builtin.body,
                "shorter": list(builtin.shorter),
                "builtin": True,
                "id": None,
            }
        )
    for template in own.values():
        if not template.is_active:
            continue
        out.append(
            {
                "key": template.key,
                "name": template.name,
                "category": template.category,
                "body": template.body,
                "shorter": [],
                "builtin": False,
                "id": template.pk,
            }
        )
    if category:
        out = [t for t in out if t["category"] == category]
    order = list(TemplateCategory.values)
    out.sort(key=lambda t: (order.index(t["category"]), t["builtin"], t["name"]))
    return out


def template_get(key: str) -> dict | None:
    return next((t for t in templates_available() if t["key"] == key), None)


def template_fitting(template: dict, *, review: Review, clinic: Clinic, **render) -> tuple:
    """The wording of `template` to offer for a reply to `review`: its body, or the first of
    its shorter wordings that fits the review's platform (`wording_that_fits`), with its
    rendering (`text_render` with `render`'s arguments)."""
    kind = review.source.kind
    return wording_that_fits(
        [template["body"], *template.get("shorter", ())],
        lambda body: text_render(body, clinic=clinic, **render),
        lambda rendered: over_limit(rendered.text, kind) > 0,
    )


def template_checker(*, clinic: Clinic) -> Callable[[ReplyTemplate | dict], dict]:
    """`template_checked` for many templates of one clinic (the API's template list): the
    reply settings and the guard's context are read once, so a list's queries do not grow
    with its templates. Takes a clinic template or a `templates_available` row."""
    settings_row = response_settings_get()
    context = guard_context(clinic=clinic, settings_row=settings_row)

    def check(template: ReplyTemplate | dict) -> dict:
        body = template["body"] if isinstance(template, dict) else template.body
        rendered = text_render(body, clinic=clinic)
        checked = guard_check(
            rendered.text, clinic=clinic, settings_row=settings_row, context=context
        )
        return {
            **checked,
            "blocked": checked["verdict"] == Verdict.BLOCK,
            "to_legal": _goes_to_legal(checked, settings_row),
        }

    return check


def template_checked(template: ReplyTemplate | dict, *, clinic: Clinic) -> dict:
    """What the privacy check finds in a template as a reply, its variables filled in with the
    clinic's details (those only a review gives, such as {concerns}, stay as they are):
    {"verdict", "findings", "blocked", "to_legal"} — `blocked`: the check blocks it (a reply
    from it cannot be submitted until legal lifts the block); `to_legal`: a reply started from
    it goes to legal (a block, or a flag while legal reviews flagged replies), so it is never
    suggested where the check says so (`reply_suggest`). The templates page shows it after a
    save; the API gives it on every template (`guard`)."""
    return template_checker(clinic=clinic)(template)


# --- suggestion --------------------------------------------------------------------------

PRIVATE_FLAGS = frozenset(
    {"patient_safety", "legal_threat", "self_disclosed_health", "threat_abuse"}
)
PRIVATE_TOPICS = frozenset({"privacy"})
THANK_AND_ACKNOWLEDGE = "thank-acknowledge"
MISINFORMATION_TOPICS = frozenset({"vaccines_misinformation"})


def _suggested_category(label: str | None, topics: set[str], flags: set[str]) -> tuple[str, str]:
    if "misinformation" in flags or (topics & MISINFORMATION_TOPICS and label != "positive"):
        return (
            TemplateCategory.FACTUAL_CORRECTION,
            "It may spread misinformation: correct it with verified facts, not opinions.",
        )
    if flags & PRIVATE_FLAGS or topics & PRIVATE_TOPICS:
        raised = ", ".join(sorted((flags & PRIVATE_FLAGS) | (topics & PRIVATE_TOPICS)))
        return (
            TemplateCategory.MOVE_PRIVATE,
            f"It raises {raised.replace('_', ' ')}: take it to a private conversation.",
        )
    if label == "negative":
        return (
            TemplateCategory.APOLOGY,
            "A negative review: apologise for the experience, admit nothing, offer contact.",
        )
    if label == "positive":
        return TemplateCategory.THANK, "A positive review: thank them."
    if label is None:
        return TemplateCategory.ACKNOWLEDGE, "Not scored yet: a neutral acknowledgement."
    return TemplateCategory.ACKNOWLEDGE, "A neutral review: acknowledge it."


def reply_suggest(*, review: Review, clinic: Clinic) -> dict:
    """The suggested draft for a review, chosen from its sentiment, topics and risk flags: the
    template (the clinic's own of that category first), its text with the clinic's details
    filled in, why it was chosen, and the facts it quotes."""
    score = latest_score(review)
    label = score.label if score else None
    scored_topics = topics_public(score.topics) if score else []
    scored_flags = score.flags if score else []
    topics = {t.get("name", "") for t in scored_topics}
    flags = {f.get("name", "") for f in scored_flags}
    render = review_render_args(review, score)
    cite, concerns = render["cite"], render["concerns"]
    category, reason = _suggested_category(label, topics, flags)
    candidates = templates_available(category=category)
    # a positive review unhappy about something ("loved my therapist, but I waited 40
    # minutes"): thank them and say the issue was heard, not a thank-you silent on it
    positive = label == "positive" or (label == "neutral" and (review.rating or 0) >= 4)
    if concerns and positive and category in (TemplateCategory.THANK, TemplateCategory.ACKNOWLEDGE):
        acknowledging = template_get(THANK_AND_ACKNOWLEDGE)
        if acknowledging is not None:
            category = acknowledging["category"]
            others = templates_available(category=category)
            candidates = [acknowledging, *[t for t in others if t["key"] != acknowledging["key"]]]
            reason = (
                f"A positive review, unhappy about {concern_words(concerns)}: thank them and "
                "acknowledge it."
            )
    fitting = _template_passing(candidates, review=review, clinic=clinic, render=render)
    if fitting is None:
        return _no_suggestion(category, candidates, label, scored_topics, scored_flags)
    template, body, rendered = fitting
    if passed := candidates[: candidates.index(template)]:
        names = ", ".join(f"“{t['name']}”" for t in passed)
        reason = (
            f"{reason} Not {names}: the privacy check would send "
            f"{'it' if len(passed) == 1 else 'them'} to legal for this review."
        )
    if category == TemplateCategory.FACTUAL_CORRECTION and cite:
        if cite[0] in rendered.facts:
            reason = (
                f"It contradicts the fact sheet ({{fact:{cite[0]}}}): correct it with that "
                "fact, calmly, not with opinions."
            )
        else:
            reason = (
                f"It contradicts {{fact:{cite[0]}}}, which is not confirmed on the fact sheet: "
                "confirm it there, or cite another fact."
            )
    return {
        "template_key": template["key"],
        "template_name": template["name"],
        "category": category,
        "reason": reason,
        "body": body,
        "text": rendered.text,
        "unresolved": rendered.unresolved,
        "unresolved_messages": rendered.messages(),
        "facts": rendered.facts,
        "sentiment": label,
        "topics": sorted(scored_topics, key=lambda t: t.get("name", "")),
        "flags": sorted(scored_flags, key=lambda f: f.get("name", "")),
        "alternatives": [t["key"] for t in candidates if t["key"] != template["key"]],
    }


def _template_passing(
    candidates: list[dict], *, review: Review, clinic: Clinic, render: dict
) -> tuple[dict, str, object] | None:
    """The first of `candidates` whose text for `review` the privacy check lets through
    without legal (`_goes_to_legal`), with its wording and rendering; None when none does. A
    suggestion is the product's own advice: one its own guard would send to the clinic's
    lawyer (a thank-you that reads as confirming a patient) is never made."""
    settings_row = response_settings_get()
    for candidate in candidates:
        body, rendered = template_fitting(candidate, review=review, clinic=clinic, **render)
        checked = guard_check(
            rendered.text, clinic=clinic, review=review, settings_row=settings_row
        )
        if not _goes_to_legal(checked, settings_row):
            return candidate, body, rendered
    return None


def _goes_to_legal(checked: dict, settings_row) -> bool:
    """A text the guard blocks (legal must lift it), or one it flags while the clinic sends
    flagged replies to legal review (`route_for`)."""
    if checked["verdict"] == Verdict.BLOCK:
        return True
    return Step.LEGAL in route_for(guard=checked, overridden=False, settings_row=settings_row)


def _no_suggestion(category, candidates, label, topics, flags) -> dict:
    """The suggestion when no template of the category passes the privacy check for the
    review: none, and why (the editor starts empty; a draft asked for without text is
    refused with this reason)."""
    names = ", ".join(f"“{t['name']}”" for t in candidates)
    return {
        "template_key": "",
        "template_name": "",
        "category": category,
        "reason": (
            f"No template fits: the privacy check would send {names} to legal for this "
            "review. Write the reply yourself."
        ),
        "body": "",
        "text": "",
        "unresolved": [],
        "unresolved_messages": [],
        "facts": [],
        "sentiment": label,
        "topics": sorted(topics, key=lambda t: t.get("name", "")),
        "flags": sorted(flags, key=lambda f: f.get("name", "")),
        "alternatives": [t["key"] for t in candidates],
    }


# --- replies -----------------------------------------------------------------------------


def drafts_list(
    *, status: str | None = None, review_id: int | None = None, pending: bool = False
) -> QuerySet[ReplyDraft]:
    qs = ReplyDraft.objects.select_related("review__source").prefetch_related(
        latest_scores_prefetch(through="review"),  # the reply clock's "does it count"
        Prefetch(
            "outbox_items",
            queryset=OutboxItem.objects.select_related("source").order_by("-created_at"),
        ),
        Prefetch(
            "versions",
            queryset=ReplyVersion.objects.filter(number=F("draft__version")),
            to_attr="current_versions",
        ),
        # whether the review changed after the reply was written (`review_change`)
        Prefetch(
            "review__revisions",
            queryset=ReviewRevision.objects.filter(kind=RevisionKind.EDIT),
            to_attr="edit_revisions",
        ),
    )
    if status:
        qs = qs.filter(status=status)
    if review_id:
        qs = qs.filter(review_id=review_id)
    if pending:
        qs = qs.filter(status__in=PENDING)
    return qs.order_by("-updated_at", "-id")


_AUDITED_TEXTS = {"reply": ReplyDraft, "statement": Statement, "reply_batch": ReplyBatch}


def visible_to(access: ClinicAccess, qs: QuerySet) -> QuerySet:
    """`qs` (replies, statements or reply batches) narrowed to what `access` may read
    (`workflow.visible_q`)."""
    visible = visible_q(access)
    return qs if visible is None else qs.filter(visible)


def text_visible_to(access: ClinicAccess, object_type: str, pk: int) -> bool:
    """Whether `access` may read the reply ("reply"), statement or reply batch `pk`
    (`visible_to`); False for one that does not exist."""
    return visible_to(access, _AUDITED_TEXTS[object_type].objects.filter(pk=pk)).exists()


def audit_visible_to(access: ClinicAccess, qs: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
    """Audit entries narrowed to what `access` may read: the clinic side reads the trail of the
    replies, statements and batches it may read (`visible_to`), nothing of the agency's other
    work (the outbox's retries, templates, settings, follow-ups)."""
    visible = visible_q(access)
    if visible is None:
        return qs
    allowed = Q(pk__in=[])
    for object_type, model in _AUDITED_TEXTS.items():
        ids = model.objects.filter(visible).values("pk")
        allowed |= Q(object_type=object_type, object_id__in=ids)
    return qs.filter(allowed)


def draft_get(draft_id: int) -> ReplyDraft | None:
    return (
        drafts_list()
        .prefetch_related(Prefetch("versions", queryset=ReplyVersion.objects.order_by("-number")))
        .filter(pk=draft_id)
        .first()
    )


def draft_open_for_review(review_id: int) -> ReplyDraft | None:
    return (
        drafts_list(review_id=review_id)
        .exclude(status__in=[ApprovalStatus.PUBLISHED, ApprovalStatus.DISCARDED])
        .prefetch_related(Prefetch("versions", queryset=ReplyVersion.objects.order_by("-number")))
        .first()
    )


def current_version(obj) -> ReplyVersion | StatementVersion | None:
    versions = list(obj.versions.all())
    return next((v for v in versions if v.number == obj.version), None)


def previous_version(obj):
    versions = list(obj.versions.all())
    return next((v for v in versions if v.number == obj.version - 1), None)


# The steps the clinic's own people give: its legal and clinical checks and its approval.
CLINIC_STEPS = frozenset({Step.LEGAL, Step.CLINICIAN, Step.CLIENT})


def versions_sent_to_clinic(object_type: str, object_ids) -> dict[int, set[int]]:
    """object id -> the numbers of its versions the clinic was sent: those the audit trail
    records moving to one of the clinic's steps (`CLINIC_STEPS`), the rule by which
    `responses.services.workflow.version_sent_before` finds the version sent before for one
    step. The other versions are the agency's drafts, never sent to the clinic: the portal's
    cards compare with none of them ("the agency's earlier drafts were not sent to the
    clinic") and the clinic's copy of the post-crisis review lists none of them."""
    statuses = [PENDING_FOR_STEP[step] for step in CLINIC_STEPS]
    sent: dict[int, set[int]] = {}
    for pk, version in AuditEntry.objects.filter(
        object_type=object_type,
        object_id__in=list(object_ids),
        to_status__in=statuses,
        version__isnull=False,
    ).values_list("object_id", "version"):
        sent.setdefault(pk, set()).add(version)
    return sent


def can_act_now(access: ClinicAccess, obj, *, acted: set[str] | None = None) -> bool:
    """Whether this caller may approve or reject `obj` at its current step. `acted`: who
    already gave a step of its version, read for many texts at once
    (`responses.services.workflow.principals_who_acted_each`)."""
    if not step_of(obj):
        return False
    object_type = (
        "reply"
        if isinstance(obj, ReplyDraft)
        else "reply_batch"
        if isinstance(obj, ReplyBatch)
        else "statement"
    )
    return approval_refusal(access, obj, object_type=object_type, acted=acted) is None


def sla_for(draft: ReplyDraft, clinic: Clinic, *, now: datetime | None = None) -> dict | None:
    """The reply's clock (`inbox.selectors.reply_clock`, the one rule): due = the review's
    publication + the clinic's reply target. Until published it runs against now; then it is
    frozen at the publication time. None for a past review (imported as history), and for a
    review the reply target does not count (`inbox.selectors.review_counts_for_reply_target`:
    only negative or 1-2 star reviews, as the dashboard's and the inbox's SLA): no clock.
    None too for a review answered otherwise while this reply waits (replied to on the
    platform, ignored, resolved: not `AWAITING_REPLY_STATUSES`): the dashboard and the inbox
    no longer count it, so no clock runs on its card either."""
    return review_sla(draft.review, clinic, reply=draft, now=now)


def review_sla(
    review: Review, clinic: Clinic, *, reply: ReplyDraft | None = None, now: datetime | None = None
) -> dict | None:
    """The reply clock of `review` as the reply editor shows it from its first open: that of
    `reply` (its latest reply, `sla_for`'s rule) or, before anyone wrote one, the review's own
    (`inbox.selectors.reply_clock` against now), the clock the agency's "Waiting for a reply"
    reads. None where the reply target does not count the review, and where it was answered
    otherwise (not `AWAITING_REPLY_STATUSES`) with nothing published."""
    if not review_counts_for_reply_target(review):
        return None
    answered_at = reply.published_at if reply is not None else None
    if answered_at is None and review.status not in AWAITING_REPLY_STATUSES:
        return None
    now = now or timezone.now()
    return reply_clock(
        review,
        # a reply of a month that has ended: the target that month had (its monthly report's)
        target_minutes=reply_target_of_reply(clinic, answered_at=answered_at, now=now),
        now=now,
        answered_at=answered_at,
    )


def duration_words(seconds: int) -> str:
    """A clock's seconds in words ("3 h 5 min", "2 d 4 h"), as every page says a span."""
    return text_duration_words(abs(int(seconds)) // 60)


_WORDS = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> list[dict]:
    """[{"op": "same" | "added" | "removed", "text"}] from `old` to `new`, word by word."""
    a, b = _WORDS.findall(old or ""), _WORDS.findall(new or "")
    out: list[dict] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append({"op": "same", "text": "".join(a[i1:i2])})
            continue
        if op in ("delete", "replace"):
            out.append({"op": "removed", "text": "".join(a[i1:i2])})
        if op in ("insert", "replace"):
            out.append({"op": "added", "text": "".join(b[j1:j2])})
    return out


def audit_for(object_type: str, object_id: int) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(object_type=object_type, object_id=object_id).order_by(
        "created_at", "id"
    )


_STEP_WORDS = {
    "agency": "Agency approval",
    "legal": "Legal approval",
    "clinician": "Clinician",
    "client": "Clinic approval",
}


def approval_history(object_type: str, obj) -> list[dict]:
    """The current version's way so far, for someone deciding on it: who wrote it and when,
    then each step given (or a block lifted) since it was last submitted — `{"what", "who",
    "at", "comment"}`, oldest first. When legal sent an earlier version back (it is bound to
    legal since: `route_for`), that comes first, with legal's comment."""
    return approval_histories(object_type, [obj])[obj.pk]


def approval_histories(object_type: str, objs) -> dict[int, list[dict]]:
    """`approval_history` for many texts of one kind in a few queries, whatever their number
    (a page's cards): {pk: its rows}."""
    objs = list(objs)
    versions = {obj.pk: obj.version for obj in objs}
    entries: dict[int, list[AuditEntry]] = {pk: [] for pk in versions}
    if versions:
        for entry in (
            AuditEntry.objects.filter(
                object_type=object_type,
                object_id__in=list(versions),
                version__in=set(versions.values()),
            )
            .exclude(action__in=("reminded", "discarded"))
            .order_by("created_at", "id")
        ):
            if entry.version == versions[entry.object_id]:
                entries[entry.object_id].append(entry)
    histories = {pk: _history(found) for pk, found in entries.items()}
    # legal sent an earlier version back: said first, whoever reads the way (one more query)
    by_pk = {obj.pk: obj for obj in objs if obj.version}
    for pk, sent_back in legal_sent_back_each(object_type, by_pk.values()).items():
        if sent_back is not None and not sent_back_this_version(sent_back, by_pk[pk]):
            histories[pk].insert(0, _sent_back_row(sent_back, by_pk[pk]))
    return histories


def _sent_back_row(entry: AuditEntry, obj) -> dict:
    """Legal sent an earlier version back (kept the privacy block, or rejected it at the legal
    step): the first row of a later version's way, with legal's comment. `kept_block`: legal
    kept the block (of the text, or of a batch that answered its mention)."""
    kept_block = sent_back_kept_block(entry)
    kept = ", keeping the privacy block" if kept_block else ""
    return {"what": f"Legal sent {sent_back_which(entry, obj)} back{kept}",
            "who": entry.actor_name or "someone", "at": entry.created_at,
            "comment": entry.comment, "sent_back": True, "kept_block": kept_block}  # fmt: skip


def _history(entries: list[AuditEntry]) -> list[dict]:
    if not entries:
        return []
    written = next((e for e in reversed(entries) if e.action in ("created", "edited")), entries[0])
    rows = [{"what": "Written", "who": written.actor_name or "someone", "at": written.created_at,
             "comment": ""}]  # fmt: skip
    standing = {e.pk for e in approvals_standing(entries)}
    submitted = [e.pk for e in entries if e.action == "submitted"]
    since = submitted[-1] if submitted else 0
    for entry in entries:
        # a block lifted counts whenever it was (before the text was submitted, too); legal's
        # reason is shown with the privacy check's verdict, not a second time here
        if entry.action == "guard_overridden":
            what, comment = "Privacy block lifted", ""
        elif entry.action == "approved" and entry.pk in standing:
            what = _STEP_WORDS.get(entry.detail.get("step", ""), "Approved")
            comment = entry.comment
        elif entry.action == TAKEN_BACK and entry.pk > since:
            # the approval it took back is no longer listed: the take-back says it was
            step = _STEP_WORDS.get(entry.detail.get("step", ""), "Approval")
            what, comment = f"{step} given, then taken back", entry.comment
        else:
            continue
        rows.append({"what": what, "who": entry.actor_name or "someone", "at": entry.created_at,
                     "comment": comment, "step": entry.detail.get("step", "")})  # fmt: skip
    return rows


def approvals_lost_on_edit(obj, object_type: str = "statement") -> list[str]:
    """The approvals of the current version that saving a change throws away (a new version
    goes back to draft), oldest first: "the agency approval of Max Manager". Empty when it is
    not approved nor under approval."""
    if obj.status != ApprovalStatus.APPROVED and obj.status not in PENDING:
        return []
    entries = list(
        audit_for(object_type, obj.pk).filter(
            version=obj.version, action__in=("submitted", "approved", TAKEN_BACK)
        )
    )
    return [
        f"the {Step(e.detail['step']).label.lower()} of {e.actor_name or 'someone'}"
        for e in approvals_standing(entries)
        if e.detail.get("step") in Step.values
    ]


def statement_save_warning(statement: Statement) -> str:
    """What the editor says beside "Save" when saving a change would throw approvals away
    ("" when it would not): an approved statement, or one under approval."""
    if statement.status != ApprovalStatus.APPROVED and statement.status not in PENDING:
        return ""
    lost = approvals_lost_on_edit(statement)
    state = "approved" if statement.status == ApprovalStatus.APPROVED else "under approval"
    text = (
        f"This version is {state}. Saving a change makes a new draft version and sends it back "
        "through every approval"
    )
    if lost:
        given = lost[0] if len(lost) == 1 else ", ".join(lost[:-1]) + " and " + lost[-1]
        text += f": {given} {'is' if len(lost) == 1 else 'are'} lost"
    return text + "."


def audit_list(
    *, object_type: str | None = None, object_id: int | None = None, review_id: int | None = None
) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.all()
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if review_id:
        qs = qs.filter(review_id=review_id)
    return qs.order_by("-created_at", "-id")


def private_conversations_list(
    *,
    review_id: int | None = None,
    review_ids: list[int] | None = None,
    status: str | None = None,
    owner_id: int | None = None,
    open_only: bool = False,
    overdue: bool = False,
) -> QuerySet[PrivateConversation]:
    """Follow-ups, newest first, with their review and source (and the reply draft of a
    public-reply one)."""
    qs = PrivateConversation.objects.select_related("review", "review__source", "reply_draft")
    if review_id is not None:
        qs = qs.filter(review_id=review_id)
    if review_ids is not None:
        qs = qs.filter(review_id__in=review_ids)
    if status:
        qs = qs.filter(status=status)
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if open_only or overdue:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if overdue:
        qs = qs.filter(due_at__lt=timezone.now())
    return qs.order_by("-created_at", "-id")


# The staff list's views of the follow-ups (`?show=`), the first one by default.
FOLLOWUP_SHOWS = {"open": "Open", "overdue": "Overdue", "mine": "Mine", "all": "All"}


def followups_shown(*, show: str = "open", user_id: int | None = None):
    """The follow-ups of one of the staff list's views (`FOLLOWUP_SHOWS`): the open ones, the
    overdue ones (open, past their due date), the open ones `user_id` owns, or all of them;
    newest first (`private_conversations_list`)."""
    if show not in FOLLOWUP_SHOWS:
        raise ValueError(f"no such view of the follow-ups: {show!r}")
    return private_conversations_list(
        open_only=show in ("open", "mine"),
        overdue=show == "overdue",
        owner_id=user_id if show == "mine" else None,
    )


def followup_get(conversation_id: int) -> PrivateConversation | None:
    """One follow-up with its thread, in the order Carewatch recorded it (platform times have
    only seconds), and its consent."""
    return (
        PrivateConversation.objects.select_related(
            "review", "review__source", "consent", "reply_draft"
        )
        .prefetch_related(Prefetch("messages", queryset=FollowUpMessage.objects.order_by("id")))
        .filter(pk=conversation_id)
        .first()
    )  # fmt: skip


def followup_open_for_review(review_id: int) -> PrivateConversation | None:
    return private_conversations_list(review_id=review_id, open_only=True).first()


def followup_counts() -> dict[str, int]:
    """Open and overdue follow-ups of the clinic (for the pages' counts)."""
    open_qs = PrivateConversation.objects.filter(status__in=OPEN_STATUSES)
    return {
        "open": open_qs.count(),
        "overdue": open_qs.filter(due_at__lt=timezone.now()).count(),
    }


def followup_steps(conversation_id: int) -> list[AuditEntry]:
    """The follow-up's steps as the audit trail has them, oldest first: what crisis copies
    onto an incident's timeline. They hold no message text."""
    return list(
        AuditEntry.objects.filter(
            object_type="private_conversation", object_id=conversation_id
        ).order_by("created_at", "id")
    )


def followup_ids_for_reviews(review_ids: list[int]) -> list[int]:
    return list(
        PrivateConversation.objects.filter(review_id__in=review_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def contact_consents_for(review_id: int) -> QuerySet[ContactConsent]:
    return ContactConsent.objects.filter(review_id=review_id).order_by("-recorded_at", "-id")


# --- statements and outbox ---------------------------------------------------------------


def statements_list() -> QuerySet[Statement]:
    return (
        Statement.objects.select_related("published_version")
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=StatementVersion.objects.filter(number=F("statement__version")),
                to_attr="current_versions",
            ),
            Prefetch(
                "outbox_items",
                queryset=OutboxItem.objects.select_related("source").order_by("-created_at"),
            ),
        )
        .order_by("-updated_at", "-id")
    )


def statement_get(statement_id: int) -> Statement | None:
    return (
        statements_list()
        .prefetch_related(
            Prefetch("versions", queryset=StatementVersion.objects.order_by("-number")),
        )
        .filter(pk=statement_id)
        .first()
    )


ON_PUBLIC_PAGE = Q(is_pinned=True, published_version__isnull=False)
# published: its last version went out, or an earlier one is still the public page's while
# a newer one is drafted or approved (its status then says where the newer one stands)
PUBLISHED_NOW = Q(status=ApprovalStatus.PUBLISHED) | ON_PUBLIC_PAGE


def statements_public() -> list[Statement]:
    """What the public statement page shows: the pinned statements, newest first."""
    return list(
        Statement.objects.select_related("published_version")
        .filter(ON_PUBLIC_PAGE)
        .order_by("-published_at", "-id")
    )


def statement_pinned_latest() -> Statement | None:
    """The newest published, pinned statement: what "point to the pinned statement" points
    to (one answer for many), or None."""
    return (
        Statement.objects.select_related("published_version")
        .filter(ON_PUBLIC_PAGE)
        .order_by("-published_at", "-id")
        .first()
    )


def statement_public_page_exists() -> bool:
    """Whether the clinic's public statement page answers (it is a 404 until a statement is
    published, and again once every published one is taken down)."""
    return Statement.objects.filter(ON_PUBLIC_PAGE).exists()


def outbox_list(*, status: str | None = None) -> QuerySet[OutboxItem]:
    qs = OutboxItem.objects.select_related("source", "review", "draft", "statement")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


# --- delivery: what each channel did with an approved reply or statement ----------------

DELIVERY_STATES = {
    OutboxStatus.PENDING: ("queued", "Queued"),
    OutboxStatus.SENDING: ("queued", "Sending"),
    OutboxStatus.SENT: ("posted", "Posted"),
    OutboxStatus.POSTED_BY_HAND: ("posted", "Posted by hand"),
    OutboxStatus.FAILED: ("failed", "Failed"),
    OutboxStatus.MANUAL: ("by_hand", "To post by hand"),
    OutboxStatus.CANCELLED: ("cancelled", "Cancelled"),
}
# Delivery still owed: failed, waiting to be posted by hand, or not yet confirmed.
UNCONFIRMED = (
    OutboxStatus.PENDING,
    OutboxStatus.SENDING,
    OutboxStatus.FAILED,
    OutboxStatus.MANUAL,
)
# What the clinic's own people read (the portal, their e-mails): one wording per state, the
# same on every page and before and after a first attempt. Fixing a delivery is the agency's:
# never a connector's reason ("the page id is missing", "the source is disabled"), never
# "post it by hand" (the agency posts by hand), and nothing is asked of them.
CLINIC_FAILURE_WORDS = (
    "Your agency has been told and will see that it is posted; nothing is needed from you."
)
CLINIC_WAITING_WORDS = (
    "Your agency connects it (it is then posted by itself) or posts it there by hand; nothing "
    "is needed from you."
)
CLINIC_BY_HAND_WORDS = "Your agency posts it there by hand; nothing is needed from you."
CLINIC_WAITING_LABEL = "Waiting for your agency"


def clinic_delivery(item: OutboxItem) -> dict:
    """One delivery as the clinic's own people read it: `label` (the state), `reason` (what
    happened, in their words: a channel, never a connector's reason), `what_to_do` (the agency
    acts; nothing for them) and `tone` (the label's pill). A channel that is not connected
    reads the same before the first attempt and after it failed for that reason."""
    name = item.source.name
    status = item.status
    waiting = (status == OutboxStatus.FAILED and item.failure_kind in WAITING_FOR_SOURCE) or (
        status == OutboxStatus.PENDING and bool(source_connection(item.source))
    )
    label, reason, what, tone = DELIVERY_STATES[status][1], "", "", "neutral"
    if waiting:
        label, reason, what = (
            CLINIC_WAITING_LABEL,
            f"{name} is not connected.",
            CLINIC_WAITING_WORDS,
        )
    elif status == OutboxStatus.FAILED:
        label, what, tone = "Not posted yet", CLINIC_FAILURE_WORDS, "negative"
        reason = (
            "The privacy check stopped it before it was sent."
            if item.failure_kind == FailureKind.GUARD
            else f"{name} did not take it."
        )
    elif status == OutboxStatus.MANUAL:
        label, reason = (
            "Your agency posts it by hand",
            f"{name} takes no replies posted automatically.",
        )
        what = CLINIC_BY_HAND_WORDS
    elif status == OutboxStatus.POSTED_BY_HAND:
        label, tone = "Posted by your agency", "positive"
    elif status == OutboxStatus.SENT:
        tone = "positive"
    elif status in (OutboxStatus.PENDING, OutboxStatus.SENDING):
        label = "Queued"
    return {"label": label, "reason": reason, "what_to_do": what, "tone": tone}


def _to_platform(item: OutboxItem) -> str:
    # "Facebook page is not connected to Facebook page" says nothing twice
    platform = item.source.get_kind_display()
    return "" if platform.lower() in item.source.name.lower() else f" to {platform}"


def failure_advice(
    item: OutboxItem, *, may_connect: bool | None = None, connectors: str | None = None
) -> dict:
    """Why a failed item did not post and what happens next, the one account of it that the
    batch page, the reply page, the outbox, the notices and (in the clinic's words) the portal
    give: `reason` (for the page: the platform's own message, or what is wrong in the staff's
    words, never a connector's internals: those are the `detail` line), `summary` (safe for
    e-mail and chat: never the text of the reply), `action` (what the reader can do:
    `connect_words` for a channel that is not connected; `may_connect` and `connectors` as
    there), `retry` (whether "Try again" can work now) and `no_retry` (why not: trying again
    fails the same way, `outbox.retry_refusal`), `fix_on_sources` (link the Sources page:
    only for a reader who may connect it), and the clinic's words (`clinic_delivery`)."""
    name = item.source.name
    platform = item.source.get_kind_display()
    to_platform = _to_platform(item)
    kind = item.failure_kind
    waits = kind in WAITING_FOR_SOURCE
    if kind == FailureKind.NOT_CONNECTED:
        summary = f"{name} is not connected{to_platform}."
    elif kind == FailureKind.AUTH:
        summary = f"The connection of {name}{to_platform} expired or was revoked."
    elif kind == FailureKind.PERMISSION:
        summary = f"The account connected to {name} may not post there."
    elif kind == FailureKind.GUARD:
        summary = "The guard stopped it before sending."
        action = "A legal override is needed, then retry."
    elif kind == FailureKind.TRANSIENT:
        summary = f"{platform} kept failing."
        action = f"Retry later. {BY_HAND_OR}"
    else:
        summary = f"{platform} refused it."
        action = f"Fix what {platform} names, then retry. {BY_HAND_OR}"
    if waits:
        action = connect_words(item, may_connect=may_connect, connectors=connectors)
    no_retry = retry_refusal(item)
    detail = ""
    if kind == FailureKind.GUARD:
        reason = item.last_error
    elif kind == FailureKind.NOT_CONNECTED:
        # what is wrong in the staff's words; Carewatch's own check (a connector's internals:
        # "the page id is missing") stays available as the detail line
        reason = f"Not sent — {name} is not connected{to_platform}."
        detail = item.last_error
    else:
        reason = f"{platform} said: {item.last_error}" if item.last_error else summary
    return {
        "reason": reason,
        "detail": detail,
        "summary": summary,
        "action": action,
        "retry": not no_retry,
        "no_retry": no_retry,
        "fix_on_sources": bool(waits and may_connect),
        # what the clinic's own people read: the actions above are the agency's to take
        "clinic_summary": (clinic := clinic_delivery(item))["reason"],
        "clinic_action": clinic["what_to_do"],
        "waits_for_connection": waits,
    }


def delivery_row(
    item: OutboxItem,
    *,
    for_clinic: bool = False,
    access: ClinicAccess | None = None,
    connectors: str | None = None,
) -> dict:
    """One channel's delivery of one item, as pages and the API show it. `for_clinic`: as
    the clinic's own people read it in the portal, where fixing a failure is not theirs.
    `access`: the reader's, on a staff page (what they may do about it: `failure_advice`;
    `connectors` as there)."""
    state, label = DELIVERY_STATES[item.status]
    row = {
        "outbox_id": item.pk,
        "kind": item.kind,
        "source_id": item.source_id,
        "source_kind": item.source.kind,
        "source_name": item.source.name,
        "state": state,
        "state_label": label,
        "external_id": item.external_id,
        "external_url": item.external_url,
        "reason": "",
        "what_to_do": "",
        "failure_kind": item.failure_kind,
        "attempts": item.attempts,
        "next_attempt_at": item.next_attempt_at,
        "sent_at": item.sent_at,
        "version": item.version,
    }
    may_connect = access.can(Permission.MANAGE) if access is not None else None
    if item.status == OutboxStatus.FAILED:
        advice = failure_advice(item, may_connect=may_connect, connectors=connectors)
        row["reason"], row["what_to_do"] = advice["reason"], advice["action"]
        row["detail"], row["fix_on_sources"] = advice["detail"], advice["fix_on_sources"]
        row["can_retry"], row["no_retry"] = advice["retry"], advice["no_retry"]
        if item.failure_kind == FailureKind.NOT_CONNECTED:
            row["state_label"] = "Not sent"
    elif item.status == OutboxStatus.MANUAL:
        row["reason"] = item.manual_reason
        row["what_to_do"] = "Copy the text, post it by hand, then mark it posted."
    elif item.status == OutboxStatus.PENDING and (problem := source_connection(item.source)):
        # nothing can be sent before the channel is connected: not "queued" for the platform
        row["state_label"] = "Waiting for the connection"
        # the same account as once it failed for it (`failure_advice`); the connector's own
        # check ("the page id is missing") only as the detail line
        row["reason"] = f"{item.source.name} is not connected{_to_platform(item)}"
        row["detail"] = problem
        row["what_to_do"] = connect_words(item, may_connect=may_connect, connectors=connectors)
        row["fix_on_sources"] = bool(may_connect)
        row["waits_for_connection"] = True
    elif item.status == OutboxStatus.PENDING and item.last_error:
        row["reason"] = f"{item.source.get_kind_display()} said: {item.last_error}"
        row["what_to_do"] = (
            "Nothing: it is retried by itself. If it cannot wait, post it by hand and mark it "
            "posted: it is then not sent."
        )
    row["for_clinic"] = for_clinic
    if for_clinic:
        # the clinic's words for the state (`clinic_delivery`), never the agency's steps
        words = clinic_delivery(item)
        row["state_label"], row["reason"], row["what_to_do"], row["tone"] = (
            words["label"], words["reason"], words["what_to_do"], words["tone"],
        )  # fmt: skip
    return row


def delivery_rows(
    items,
    *,
    version: int | None = None,
    for_clinic: bool = False,
    access: ClinicAccess | None = None,
) -> list[dict]:
    """Per channel, the latest write of `version` (default: the newest version among the
    items); statement unpins are left out. `access`: the reader's (`delivery_row`)."""
    items = [i for i in items if i.kind != OutboxKind.STATEMENT_UNPIN]
    if version is None and items:
        version = max(i.version for i in items)
    latest: dict[int, OutboxItem] = {}
    for item in sorted(items, key=lambda i: (i.created_at, i.pk)):
        if item.version == version:
            latest[item.source_id] = item
    return [delivery_row(i, for_clinic=for_clinic, access=access) for i in latest.values()]


def deliveries_of(
    *, review_ids=(), statement_ids=(), access: ClinicAccess | None = None
) -> list[dict]:
    """The deliveries of the current versions of the replies to these reviews and of these
    statements (the incident room's list), failed ones first. `access`: the reader's, on a
    staff page (what they may do about a failure: `delivery_row`)."""
    items = (
        OutboxItem.objects.select_related("source", "review", "draft", "statement")
        .exclude(kind=OutboxKind.STATEMENT_UNPIN)
        .filter(
            Q(draft__review_id__in=list(review_ids), version=F("draft__version"))
            | Q(statement_id__in=list(statement_ids), version=F("statement__version"))
        )
        .order_by("created_at", "id")
    )
    order = {"failed": 0, "by_hand": 1, "queued": 2, "posted": 3, "cancelled": 4}
    connectors = None
    if access is not None and not access.can(Permission.MANAGE):
        connectors = channel_connectors_named(current_clinic())  # once, not per item
    rows = [delivery_row(i, access=access, connectors=connectors) | {"item": i} for i in items]
    rows.sort(key=lambda r: (order[r["state"]], r["outbox_id"]))
    return rows


def publishing_troubles(*, review_ids=(), statement_ids=()) -> dict:
    """What went wrong posting the replies to these reviews and these statements, for the
    post-crisis review: of the writes that were meant to reach a platform (a statement's
    unpinning aside; a write cancelled before it was tried is not counted), how many reached
    it (sent, or posted by hand and marked so), how many **failed** at least once for good
    (`send_failed` without a retry: a person had to act; an attempt retried by itself and then
    sent is not a failure anyone saw), each failure's first reason (`FailureKind` labels, most
    first), and how those ended: posted later (with the longest time from the first failure to
    the post), still failed, being retried or waiting to be posted by hand, or cancelled."""
    items = list(
        OutboxItem.objects.exclude(kind=OutboxKind.STATEMENT_UNPIN)
        .filter(
            Q(kind=OutboxKind.REPLY, review_id__in=list(review_ids))
            | Q(statement_id__in=list(statement_ids))
        )
        .values_list("pk", "status", "sent_at")
        .order_by()
    )
    first_failure: dict[int, tuple[datetime, str]] = {}
    for object_id, at, detail in (
        AuditEntry.objects.filter(
            object_type="outbox",
            object_id__in=[pk for pk, _, _ in items],
            action="send_failed",
            detail__retry=False,
        )
        .values_list("object_id", "created_at", "detail")
        .order_by("created_at", "id")
    ):
        first_failure.setdefault(object_id, (at, (detail or {}).get("failure_kind", "")))
    tried = [
        (pk, status, sent_at)
        for pk, status, sent_at in items
        if status != OutboxStatus.CANCELLED or pk in first_failure
    ]
    reached = (OutboxStatus.SENT, OutboxStatus.POSTED_BY_HAND)
    failed = [(pk, status, sent_at) for pk, status, sent_at in tried if pk in first_failure]
    reasons: dict[str, int] = {}
    for pk, _, _ in failed:
        kind = first_failure[pk][1]
        label = str(FailureKind(kind).label) if kind in FailureKind.values else "Other"
        reasons[label] = reasons.get(label, 0) + 1
    recovered = [(pk, sent_at) for pk, status, sent_at in failed if status in reached]
    waits = [
        (sent_at - first_failure[pk][0]).total_seconds() for pk, sent_at in recovered if sent_at
    ]
    return {
        "writes": len(tried),
        "reached": sum(1 for _, status, _ in tried if status in reached),
        "failed": len(failed),
        "reasons": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        "posted_later": len(recovered),
        "longest_wait_seconds": round(max(waits)) if waits else None,
        "still_failed": sum(1 for _, status, _ in failed if status == OutboxStatus.FAILED),
        "still_waiting": sum(
            1
            for _, status, _ in failed
            if status in (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.MANUAL)
        ),
        "cancelled": sum(1 for _, status, _ in failed if status == OutboxStatus.CANCELLED),
    }


def delivery_failures_count() -> int:
    """Failed deliveries of the current clinic that nobody has fixed yet (the dashboard's red
    count)."""
    return OutboxItem.objects.filter(status=OutboxStatus.FAILED).count()


def _reply_channel(source) -> dict:
    manual = reply_by_hand_reason(source)
    problem = "" if manual else source_connection(source)
    return {
        "source_id": source.pk,
        "source_name": source.name,
        "source_kind": source.kind,
        "replies_by_hand": source.replies_by_hand,
        "by_hand": bool(manual),
        "connected": not manual and not problem,
        "problem": manual or problem,
    }


def channel_plan_reply(review: Review) -> list[dict]:
    """Before the last approval: the channel that will receive the reply and whether
    Carewatch can post there now (`problem` says why not)."""
    return [_reply_channel(review.source)]


def channel_plan_reviews(reviews) -> list[dict]:
    """Before the last approval of one reply to many mentions: each channel its replies go
    to, with `mentions` (how many go there), and whether Carewatch can post there now; the
    channels with the most mentions first."""
    plan: dict[int, dict] = {}
    for review in reviews:
        if review.source_id not in plan:
            plan[review.source_id] = {**_reply_channel(review.source), "mentions": 0}
        plan[review.source_id]["mentions"] += 1
    return sorted(plan.values(), key=lambda c: (-c["mentions"], c["source_name"], c["source_id"]))


def channel_plan_statement() -> list[dict]:
    """Before publishing a statement: each channel that can pin it, and whether it is
    connected. Empty: no channel will receive it (only the public page)."""
    plan = []
    for s in pinning_sources():
        # a channel nobody could connect here takes the statement by hand, as the outbox will
        # say (`statement_by_hand_reason`), not "it waits until connected"
        manual = statement_by_hand_words(s)
        problem = "" if manual else source_connection(s)
        plan.append(
            {
                "source_id": s.pk,
                "source_name": s.name,
                "source_kind": s.kind,
                "by_hand": bool(manual),
                "connected": not manual and not problem,
                "problem": manual or problem,
            }
        )
    return plan


def _names(rows: list[dict]) -> str:
    names = [r["source_name"] for r in rows]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _clinic_delivery_words(rows: list[dict]) -> str:
    """`delivery_words` for rows as the clinic reads them (`clinic_delivery`)."""
    parts = []
    if posted := [r for r in rows if r["state"] == "posted"]:
        parts.append(f"Posted on {_names(posted)}.")
    if queued := [r for r in rows if r["state_label"] == "Queued"]:
        parts.append(f"Queued for {_names(queued)}: it shows as posted once the platform confirms.")
    for row in rows:
        if row["state"] in ("posted", "cancelled") or row["state_label"] == "Queued":
            continue
        prefix = "" if row["state"] == "by_hand" else "Not posted yet: "
        parts.append(f"{prefix}{row['reason']} {row['what_to_do']}")
    return " ".join(dict.fromkeys(parts))


def delivery_words(rows: list[dict]) -> str:
    """One sentence on where an approved reply or published statement stands, true to what
    the platforms confirmed: nothing says "posted" or "pinned" before a channel does. Rows
    `for_clinic` read in the clinic's words."""
    if not rows:
        return "No channel will receive it."
    if rows[0].get("for_clinic"):
        return _clinic_delivery_words(rows)
    by_state: dict[str, list[dict]] = {}
    for row in rows:
        by_state.setdefault(row["state"], []).append(row)
    parts = []
    if by_state.get("posted"):
        parts.append(f"Posted on {_names(by_state['posted'])}.")
    waiting = [r for r in by_state.get("queued", []) if r.get("waits_for_connection")]
    queued = [r for r in by_state.get("queued", []) if not r.get("waits_for_connection")]
    if queued:
        parts.append(f"Queued for {_names(queued)}: it shows as posted once the platform confirms.")
    if waiting:
        parts.append(f"Not posted yet: {waiting[0]['reason']}. {waiting[0]['what_to_do']}")
    if by_state.get("failed"):
        parts.append(
            f"Not posted on {_names(by_state['failed'])}: {by_state['failed'][0]['reason']} "
            f"{by_state['failed'][0]['what_to_do']}"
        )
    if by_state.get("by_hand"):
        parts.append(f"To post by hand on {_names(by_state['by_hand'])}.")
    return " ".join(parts)


def _are(n: int) -> str:
    return "is" if n == 1 else "are"


BATCH_BUCKETS = ("queued", "waiting", "by_hand", "failed", "posted")


def batch_outcome(batch, *, for_clinic: bool = False, items: list[dict] | None = None) -> str:
    """Where the replies of an approved batch stand, accounting for every mention: per
    channel, queued, waiting for a channel to be connected, posted by hand (a platform with no
    publishing connector), failed or posted. `for_clinic`: in the clinic's words (the agency
    acts; nothing is needed from them). `items`: its `reply_batch_items`, when read already."""
    if items is None:
        items = reply_batch_items(batch)
    rows = [r for r in items if r["state"] not in GONE]
    if not rows:
        return "Approved. It answers no mention any more."
    plan: dict[int, dict] = {}
    buckets: dict[str, list[dict]] = {k: [] for k in BATCH_BUCKETS}
    for row in rows:
        source = row["review"].source
        channel = plan.setdefault(source.pk, _reply_channel(source))
        state = row["state"]
        item = row["item"]
        if state == "published":
            bucket = "posted"
        elif state == "failed" and item.failure_kind in WAITING_FOR_SOURCE:
            # failed for want of its channel: waits for it, as one not sent yet does
            bucket = "waiting"
        elif state in ("failed", "by_hand"):
            bucket = state
        elif channel["by_hand"]:
            bucket = "by_hand"
        else:
            bucket = "queued" if channel["connected"] else "waiting"
        buckets[bucket].append(channel)
    parts: list[str] = []
    for bucket, group in buckets.items():
        if not group:
            continue
        n, one = len(group), len(group) == 1
        distinct = list({c["source_id"]: c for c in group}.values())
        names = _names(distinct)
        lead = ("1 reply" if one else f"{n} replies") if not parts else str(n)
        if bucket == "queued":
            parts.append(f"{lead} {_are(n)} queued for {names}")
            continue
        lead, them = f"{lead} on {names}", "it" if one else "them"
        where = "the channel" if len(distinct) == 1 else "the channels"
        if bucket == "waiting" and for_clinic:
            parts.append(
                f"{lead} wait{'s' if one else ''} for your agency to connect {where} (then "
                f"{'it is' if one else 'they are'} posted by {'itself' if one else 'themselves'})"
                f" or to post {them} by hand"
            )
        elif bucket == "waiting":
            parts.append(
                f"{lead} wait{'s' if one else ''} for {where} to be connected (Sources) or to be "
                "posted by hand"
            )
        elif bucket == "by_hand":
            parts.append(
                f"{lead} {_are(n)} posted by your agency by hand"
                if for_clinic
                else f"{lead} {_are(n)} to be posted by hand (the outbox)"
            )
        elif bucket == "failed":
            parts.append(
                f"{lead} could not be posted yet: your agency has been told"
                if for_clinic
                else f"{lead} failed (the outbox says why)"
            )
        else:
            parts.append(f"{lead} {_are(n)} already posted")
    text = "Approved. " + "; ".join(parts) + "."
    if for_clinic and any(buckets[b] for b in ("waiting", "by_hand", "failed")):
        text += " Nothing is needed from you."
    return text


# who gives each step, as the confirmation of the step before names them
_STEP_GIVERS = {
    Step.AGENCY: ("the agency's approver", "one of the agency's approvers"),
    Step.LEGAL: ("legal", "legal"),
    Step.CLINICIAN: ("the clinic's clinician", "one of the clinic's clinicians"),
    Step.CLIENT: ("the clinic's approver", "one of the clinic's approvers"),
}


def next_step_words(obj, waiting) -> str:
    """Who acts next on `obj`, which waits at a step (`waiting`: `approvals.waiting_for` of
    it): "the clinic's approver (Avery Approver) gives the final approval"; with nobody to give
    it, the step's status as before ("waiting for the clinic")."""
    if waiting is None or not waiting.people or waiting.step not in Step.values:
        return obj.get_status_display().lower()
    one, several = _STEP_GIVERS[Step(waiting.step)]
    who = one if len(waiting.people) == 1 else several
    last = bool(obj.route) and waiting.step == obj.route[-1]
    what = "final approval" if last and waiting.step == Step.CLIENT else waiting.label
    if last and waiting.step != Step.CLIENT:
        what = f"{what} (the last step)"
    return f"{who} ({waiting.names}) gives the {what}"


def approval_outcome(obj, *, kind: str, for_clinic: bool = False, waiting=None) -> str:
    """What the approver is told after approving: who acts next (`waiting`: whom it waits for
    now, `next_step_words`), or where the reply stands per channel (a channel that is not
    connected is named, with what happens next). `for_clinic`: the clinic's approver (the
    portal), in their words."""
    if obj.status not in (ApprovalStatus.APPROVED, ApprovalStatus.PUBLISHED):
        return f"Approved. Next: {next_step_words(obj, waiting)}."
    if kind in ("batch", "reply_batch"):
        return batch_outcome(obj, for_clinic=for_clinic)
    if kind == "statement":
        plan = channel_plan_statement()
        off = [c for c in plan if not c["connected"]]
        text = "Approved. The agency publishes it next"
        if not plan:
            return text + ": no connected channel can pin it, only the public page will show it."
        if off:
            return text + (
                f"; {_names(off)} {'is' if len(off) == 1 else 'are'} not connected, so it will not "
                "be pinned there until connected."
            )
        return text + f" and pins it on {_names(plan)}."
    rows = delivery_rows(obj.outbox_items.all(), for_clinic=for_clinic)
    if for_clinic:
        return "Approved. " + delivery_words(rows)
    [plan] = channel_plan_reply(obj.review)
    posted = any(r["state"] == "posted" for r in rows)
    if not plan["connected"] and not plan["by_hand"] and not posted:
        return (
            f"Approved, but {plan['source_name']} is not connected ({plan['problem']}): it will "
            "not be posted until the channel is connected (then it is sent by itself) or "
            "someone posts it by hand."
        )
    return "Approved. " + delivery_words(rows)


def is_final_step(obj) -> bool:
    """Is the step `obj` waits for the last of its route (approving it publishes)?"""
    step = step_of(obj)
    return bool(step and obj.route and step == obj.route[-1])


# what a batch reply is, for the clinic, at the head of its one line ("Correction sent to 18
# mentions"): the kind's label is the agency's ("Pointer to the official statement")
BATCH_SENT_WORDS = {
    BatchKind.CORRECTION: "Correction",
    BatchKind.STATEMENT: "Link to your statement",
    BatchKind.REPLY: "One reply",
}
# how many lines the list shows: a line is a reply of its own or a whole batch
DELIVERED_SHOWN = 50


def replies_delivered_recently(*, days: int = 14) -> list[dict]:
    """Replies approved in the last `days` days with their delivery per channel as the
    clinic reads it, newest first (the portal shows the clinic where its approved replies
    stand): one line per reply of its own ({"draft", "deliveries", "words", "what"}), and one
    per batch reply, however many mentions it answers ({"batch", "draft": its first reply,
    "mentions": each with its reply's "what" and "deliveries", "words": where they stand, in
    `batch_outcome`'s words, "what": "Correction sent to 18 mentions"}). A fixed number of
    queries, whatever the number of replies."""
    since = timezone.now() - timedelta(days=days)
    drafts = list(
        ReplyDraft.objects.filter(
            status__in=(ApprovalStatus.APPROVED, ApprovalStatus.PUBLISHED), approved_at__gte=since
        )
        .select_related("review__source", "batch")
        .prefetch_related(
            Prefetch("outbox_items", queryset=OutboxItem.objects.select_related("source"))
        )
        .order_by("-approved_at", "-pk")[: DELIVERED_SHOWN * 20]
    )
    tz = clinic_zone(current_clinic())
    lines: list[dict] = []
    batches: dict[int, dict] = {}
    for d in drafts:
        rows = delivery_rows(d.outbox_items.all(), for_clinic=True)
        # named as the approvals log names it (`review_named`: the clinic's people's rule)
        what = f"Reply to {review_named(d.review, tz=tz)}"
        if d.batch_id is None:
            lines.append({"draft": d, "deliveries": rows, "words": delivery_words(rows),
                          "what": what})  # fmt: skip
            continue
        if d.batch_id not in batches:
            batches[d.batch_id] = {"batch": d.batch, "draft": d, "mentions": []}
            lines.append(batches[d.batch_id])
        batches[d.batch_id]["mentions"].append({"what": what, "deliveries": rows})
    lines = lines[:DELIVERED_SHOWN]
    shown = [line["batch"] for line in lines if "batch" in line]
    items = reply_batches_items(shown)
    for line in lines:
        if "batch" not in line:
            continue
        batch, n = line["batch"], len(line["mentions"])
        line["what"] = (
            f"{BATCH_SENT_WORDS.get(batch.kind, 'One reply')} sent to {n} "
            f"mention{'s' if n != 1 else ''}"
        )
        words = batch_outcome(batch, for_clinic=True, items=items[batch.pk])
        line["words"] = words.removeprefix("Approved. ")
    return lines


def approvals_waiting_counts() -> dict[str, int]:
    """What of the current clinic waits at any approval step, by kind: replies on their own
    (a batch's replies are approved through the batch), reply batches, statements."""
    return {
        "replies": ReplyDraft.objects.filter(status__in=PENDING, batch__isnull=True).count(),
        "batches": ReplyBatch.objects.filter(status__in=PENDING).count(),
        "statements": Statement.objects.filter(status__in=PENDING).count(),
    }


def statements_by_ids(statement_ids) -> list[Statement]:
    """These statements (with their current version), newest first."""
    return list(statements_list().filter(pk__in=list(statement_ids)))


def first_reply_published_at(review_ids) -> datetime | None:
    """When the first public reply to any of these reviews was published (None if none was)."""
    return (
        ReplyDraft.objects.filter(review_id__in=list(review_ids), published_at__isnull=False)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )


def replies_published_by_review(review_ids) -> dict[int, datetime]:
    """review id → when the first public reply to it was published, for those answered."""
    out: dict[int, datetime] = {}
    for review_id, at in (
        ReplyDraft.objects.filter(review_id__in=list(review_ids), published_at__isnull=False)
        .order_by("published_at")
        .values_list("review_id", "published_at")
    ):
        out.setdefault(review_id, at)
    return out


def private_conversation_counts(review_ids) -> dict[str, int]:
    """How many private follow-ups of these reviews are in each status (by status label, so
    that statuses added later are counted without a change here), plus "total"."""
    counts: dict[str, int] = {"total": 0}
    for conversation in PrivateConversation.objects.filter(review_id__in=list(review_ids)):
        label = str(conversation.get_status_display())
        counts[label] = counts.get(label, 0) + 1
        counts["total"] += 1
    return counts


def texts_audit_q(*, review_ids, statement_ids) -> Q:
    """The audit entries about these reviews (their replies, outbox items, private
    follow-ups, whatever else records a `review_id`) and these statements (with their outbox
    items), as a filter; the ids may be lists or subqueries (`.values(...)`)."""
    outbox_ids = OutboxItem.objects.filter(statement_id__in=statement_ids).values("pk")
    return (
        Q(review_id__in=review_ids)
        | Q(object_type="statement", object_id__in=statement_ids)
        | Q(object_type="outbox", object_id__in=outbox_ids)
    )


def audit_for_texts(*, review_ids, statement_ids) -> list[AuditEntry]:
    """Every audit entry about these reviews and these statements (`texts_audit_q`), oldest
    first."""
    found = texts_audit_q(review_ids=list(review_ids), statement_ids=list(statement_ids))
    return list(AuditEntry.objects.filter(found).order_by("created_at", "id"))


def reply_ids_for_reviews(review_ids) -> list[int]:
    return list(
        ReplyDraft.objects.filter(review_id__in=list(review_ids)).values_list("pk", flat=True)
    )


def statement_versions_of(statement_ids) -> list[StatementVersion]:
    return list(
        StatementVersion.objects.filter(statement_id__in=list(statement_ids)).order_by(
            "created_at", "id"
        )
    )


def statements_ever_public() -> list[Statement]:
    """Every statement that was ever published, for the public page: the pinned ones first,
    newest first (the first of them is the current statement), then the ones taken down."""
    return list(
        Statement.objects.select_related("published_version")
        .filter(published_version__isnull=False)
        .order_by("-is_pinned", "-published_at", "-id")
    )


def statement_public_versions(statement_ids) -> dict[int, list[dict]]:
    """statement id → the versions that were published, newest first, each as {"number",
    "title", "body", "published_at"} (drafts that were never published are not public)."""
    statement_ids = list(statement_ids)
    published: dict[tuple[int, int], datetime] = {}
    for object_id, version, at in AuditEntry.objects.filter(
        object_type="statement", action="published", object_id__in=statement_ids
    ).values_list("object_id", "version", "created_at"):
        if version is not None:
            key = (object_id, version)
            published[key] = min(at, published.get(key, at))
    versions: dict[int, list[dict]] = {pk: [] for pk in statement_ids}
    for v in StatementVersion.objects.filter(statement_id__in=statement_ids).order_by("-number"):
        at = published.get((v.statement_id, v.number))
        if at is None:
            continue
        versions[v.statement_id].append(
            {"number": v.number, "title": v.title, "body": v.body, "published_at": at}
        )
    return versions


# --- reply batches (one answer for many) ------------------------------------------------------


def reply_batches_list(*, status: str | None = None, pending: bool = False) -> QuerySet[ReplyBatch]:
    qs = ReplyBatch.objects.select_related("cluster", "statement").order_by("-updated_at", "-id")
    if status:
        qs = qs.filter(status=status)
    if pending:
        qs = qs.filter(status__in=PENDING)
    return qs


def reply_batch_get(batch_id: int) -> ReplyBatch | None:
    return (
        ReplyBatch.objects.select_related("cluster", "cluster__fact", "statement")
        .prefetch_related("versions")
        .filter(pk=batch_id)
        .first()
    )


def reply_batch_version(batch: ReplyBatch) -> ReplyBatchVersion | None:
    return current_version(batch)


ITEM_STATES = ("waiting", "sending", "published", "failed", "by_hand", "removed", "withdrawn")
# a mention the batch no longer answers: taken out (or its delivery cancelled), or withdrawn
# with its review settled (`batches.reply_batch_mentions_settled`)
GONE = frozenset({"removed", "withdrawn"})


# A batch mention's state from its outbox item's status (the batch's own words for them).
BATCH_ITEM_STATES = {
    OutboxStatus.PENDING: "sending",
    OutboxStatus.SENDING: "sending",
    OutboxStatus.SENT: "published",
    OutboxStatus.FAILED: "failed",
    OutboxStatus.MANUAL: "by_hand",
    OutboxStatus.POSTED_BY_HAND: "published",
    OutboxStatus.CANCELLED: "removed",
}


def _item_state(draft: ReplyDraft, item: OutboxItem | None, withdrawn: dict[int, str]) -> str:
    if draft.status == ApprovalStatus.DISCARDED:
        return "withdrawn" if draft.pk in withdrawn else "removed"
    if draft.status == ApprovalStatus.PUBLISHED:
        return "published"
    if item is None:
        return "waiting"
    return BATCH_ITEM_STATES.get(item.status, "waiting")


def reply_batch_items(batch: ReplyBatch, *, access: ClinicAccess | None = None) -> list[dict]:
    """Each mention of the batch with its reply and where its publishing stands, most reach
    first: review, draft, text, the latest outbox item, `state` (waiting, sending,
    published, failed, by_hand, removed, withdrawn), for a failed one `advice`
    (`failure_advice`, for the reader whose `access` is given) and, for one withdrawn with its
    review settled, `why` (the reason its trail gives)."""
    return reply_batches_items([batch], access=access)[batch.pk]


def reply_batches_items(batches, *, access: ClinicAccess | None = None) -> dict[int, list[dict]]:
    """batch id -> `reply_batch_items` of each of `batches`, in the same queries for one batch
    or many (a page of approval cards)."""
    out: dict[int, list[dict]] = {batch.pk: [] for batch in batches}
    if not out:
        return out
    drafts = list(
        ReplyDraft.objects.filter(batch_id__in=list(out))
        .select_related("review", "review__source")
        # the cards' reply clock reads each review's latest score (`review_counts_for_reply_
        # target`)
        .prefetch_related("versions", latest_scores_prefetch(through="review"))
        .order_by("pk")
    )
    items: dict[int, OutboxItem] = {}
    for item in (
        OutboxItem.objects.filter(draft__in=drafts)
        .select_related("source")
        .order_by("created_at", "id")
    ):
        items[item.draft_id] = item
    withdrawn = dict(
        AuditEntry.objects.filter(
            object_type="reply", object_id__in=[d.pk for d in drafts], action="batch_withdrawn"
        )
        .order_by("created_at", "id")
        .values_list("object_id", "comment")
    )
    may_connect = access.can(Permission.MANAGE) if access is not None else None
    connectors: list[str] = []  # who may connect a channel, read once for all the rows

    def advice_of(item: OutboxItem) -> dict:
        if may_connect is False and not connectors:  # names only for a reader who may not
            connectors.append(channel_connectors_named(current_clinic()))
        return failure_advice(
            item, may_connect=may_connect, connectors=connectors[0] if connectors else None
        )

    for draft in drafts:
        review = draft.review
        version = current_version(draft)
        item = items.get(draft.pk)
        out[draft.batch_id].append(
            {
                "review": review,
                "draft": draft,
                "text": version.text if version else "",
                "guard_verdict": version.guard_verdict if version else draft.guard_verdict,
                "reach": (review.likes or 0) + (review.shares or 0) + (review.replies or 0),
                "item": item,
                "state": _item_state(draft, item, withdrawn),
                "why": withdrawn.get(draft.pk, ""),
                # a failure in plain words and what to do (failure_advice), as on the outbox
                "advice": advice_of(item)
                if item is not None and item.status == OutboxStatus.FAILED
                else None,
            }
        )
    for rows in out.values():
        rows.sort(key=lambda r: (r["state"] in GONE, -r["reach"], r["review"].pk))
    return out


def reply_batch_shown(batch: ReplyBatch, version=None, *, rows: list[dict] | None = None) -> dict:
    """A batch as an approver reads it, on the agency's approval page and the clinic's portal
    alike: its `mentions` (`reply_batch_items` without those taken out or withdrawn, most
    reach first), `withdrawn`: those withdrawn since its version was written, their reviews
    settled (what the approvals given no longer cover), `text`: the reply as the first of
    them gets it (its greeting and the clinic's variables filled in), and `template`: the
    text as written, with its variables. `rows`: its `reply_batch_items`, when a page read
    them for all its batches (`reply_batches_items`)."""
    rows = reply_batch_items(batch) if rows is None else rows
    mentions = [r for r in rows if r["state"] not in GONE]
    template = version.text if version is not None else ""
    answered = set(version.review_ids) if version is not None else set()
    return {
        "mentions": mentions,
        "withdrawn": [r for r in rows if r["state"] == "withdrawn" and r["review"].pk in answered],
        "text": mentions[0]["text"] if mentions else template,
        "template": template,
    }


def findings_once(findings: list[dict]) -> list[dict]:
    """A batch's guard findings, each said once: the same passage with the same finding in
    several mentions' replies (a fact's own wording, say) becomes one, with `replies`: in how
    many."""
    out: dict[tuple, dict] = {}
    for f in findings or []:
        key = (f.get("severity"), f.get("kind"), f.get("text"), f.get("message"))
        if key in out:
            out[key]["replies"] += 1
        else:
            out[key] = {**f, "replies": 1}
    return list(out.values())


# The writer's prompt that closes a "needs review" finding of the guard's backstop
# (`responses.guard.engine._BACKSTOP_MESSAGE`): "Read it as a stranger would, or ask legal."
_ASK_LEGAL = re.compile(r"Read it as (?P<who>the reviewer|a stranger) would, or ask legal\.$")


def findings_for_reader(
    findings: list[dict], obj, *, can_act: bool, history: list[dict] | None = None
) -> list[dict]:
    """`findings` with the prompt of a "needs review" passage worded for who reads it at the
    step `obj` waits at, instead of the writer's "…, or ask legal": legal at the legal step
    decides; a step before legal's is told that legal reads it next; a step after it (the
    clinic's approver, the clinician) that legal already cleared this version, and by whom
    (`history`: `approval_history` rows of the current version). The writer's pages keep the
    guard's own words."""
    step = STEP_FOR_STATUS.get(obj.status)
    if not step or not findings:
        return findings
    route = list(obj.route or [])
    legal_by = next((row["who"] for row in history or [] if row.get("step") == Step.LEGAL), None)
    if step == Step.LEGAL:
        prompt = (
            "you decide whether it may go out (approve it, or send it back to its writer)."
            if can_act
            else "legal decides whether it may go out."
        )
        prompt = f"Read it as {{who}} would; {prompt}"
    elif legal_by is not None:
        prompt = f"Legal ({legal_by}) already read it and cleared it."
        if can_act:
            prompt = f"{prompt} Read it as {{who}} would before you approve."
    elif Step.LEGAL in route and route.index(Step.LEGAL) > route.index(step):
        prompt = (
            "Read it as {who} would before you approve; legal reads it after you and decides."
            if can_act
            else "Read it as {who} would; legal reads it before it goes out and decides."
        )
    else:
        prompt = (
            "Read it as {who} would before you approve." if can_act else "Read it as {who} would."
        )

    def worded(f: dict) -> dict:
        message = f.get("message", "")
        found = _ASK_LEGAL.search(message)
        if f.get("severity") != Verdict.NEEDS_REVIEW or not found:
            return f
        return {**f, "message": message[: found.start()] + prompt.format(who=found["who"])}

    return [worded(f) for f in findings]


def reply_batch_tally(rows: list[dict]) -> dict[str, int]:
    tally = dict.fromkeys(ITEM_STATES, 0)
    for row in rows:
        tally[row["state"]] += 1
    return tally


def reply_batch_progress(rows: list[dict]) -> dict:
    """The one rule for how far a batch's publishing went (`reply_batch_items` rows), wherever
    it is counted: "X of N published", N the mentions it still answers (a mention withdrawn
    with its review settled, or taken out, never gets its reply, so it is not waited for),
    and beside it how many failed and how many were withdrawn. {"published", "of",
    "failed", "withdrawn", "words"}: "2 of 3 published, 1 failed, 2 withdrawn"."""
    tally = reply_batch_tally(rows)
    published, failed, withdrawn = tally["published"], tally["failed"], tally["withdrawn"]
    of = len(rows) - sum(tally[state] for state in GONE)
    words = f"{published} of {of} published"
    if failed:
        words += f", {failed} failed"
    if withdrawn:
        words += f", {withdrawn} withdrawn"
    return {
        "published": published, "of": of, "failed": failed, "withdrawn": withdrawn,
        "words": words,
    }  # fmt: skip


def reply_batches_waiting_count() -> int:
    return ReplyBatch.objects.filter(status__in=PENDING).count()


def reply_batches_for_clusters(cluster_ids) -> dict[int, list[dict]]:
    """cluster id -> its batches that were not discarded, each with its per-mention tally,
    `mentions` (those it still answers) and `progress` (`reply_batch_progress`)."""
    out: dict[int, list[dict]] = {}
    batches = ReplyBatch.objects.filter(cluster_id__in=list(cluster_ids)).exclude(
        status=ApprovalStatus.DISCARDED
    )
    for batch in batches.order_by("-created_at", "-id"):
        rows = reply_batch_items(batch)
        progress = reply_batch_progress(rows)
        out.setdefault(batch.cluster_id, []).append(
            {"batch": batch, "tally": reply_batch_tally(rows), "mentions": progress["of"],
             "progress": progress}
        )  # fmt: skip
    return out


def statement_pinned_on(statement: Statement) -> list[str]:
    """The channels where the statement's published version is pinned: those whose platform
    confirmed it, and those where a person posted and pinned it by hand and said so ("Facebook
    page (by hand)"); none before either (`is_pinned` means it is on the clinic's public
    page). Reads `statement.outbox_items` (prefetched by `statements_list`)."""
    if not statement.is_pinned or statement.published_version is None:
        return []
    items = [i for i in statement.outbox_items.all() if i.kind == OutboxKind.STATEMENT_POST]
    return [
        row["source_name"]
        + (
            " (by hand)"
            if row["state_label"] == DELIVERY_STATES[OutboxStatus.POSTED_BY_HAND][1]
            else ""
        )
        for row in delivery_rows(items, version=statement.published_version.number)
        if row["state"] == "posted"
    ]


def statement_unpin_words(statement: Statement) -> dict[str, str]:
    """What "unpin" does to this published statement, for its button, its confirmation and
    the message after it: it always takes the statement off the clinic's public page; a
    channel's post is unpinned only where one was posted (or is being posted), and a post not
    sent yet is cancelled. Nothing names a channel that never pinned it."""
    if statement.published_version is None:
        return {}
    posts = [i for i in statement.outbox_items.all() if i.kind == OutboxKind.STATEMENT_POST]
    rows = delivery_rows(posts, version=statement.published_version.number)
    pinned = [r for r in rows if r["state"] == "posted" and r["state_label"] == "Posted"]
    sending = [r for r in rows if r["state_label"] == "Sending"]
    unsent = [r for r in rows if r["state"] in ("queued", "failed", "by_hand") and r not in sending]
    by_hand = [r for r in rows if r["state_label"] == "Posted by hand"]
    to_unpin = pinned + sending
    if to_unpin:
        label = "Unpin everywhere"
        confirm = f"Take it off the public page and unpin it on {_names(to_unpin)}?"
        done = f"Taken off the public page; unpinning it on {_names(to_unpin)}."
    else:
        label = "Take it off the public page"
        confirm = "Take it off the clinic's public page? No channel has pinned it."
        done = "Taken off the public page. No channel had pinned it."
    if unsent:
        confirm += f" Its post for {_names(unsent)}, not sent yet, is cancelled."
        done += f" Its post for {_names(unsent)} was cancelled before it was sent."
    if by_hand:
        confirm += f" What was posted by hand on {_names(by_hand)} stays: take it down there."
        done += f" Take down what was posted by hand on {_names(by_hand)} yourself."
    return {"label": label, "confirm": confirm, "done": done}


# --- the approvals log --------------------------------------------------------------------

# Each decision of the log, by the audit actions that record it.
LOG_DECISIONS = {
    "approved": ("approved",),
    "rejected": ("rejected",),  # at a step, with a reason: sent back to its writer for changes
    "block_kept": ("override_refused",),  # legal kept the guard's block and sent it back
    "overridden": ("guard_overridden",),  # legal lifted the guard's block, with a reason
    # given up while it waited for a step: discarded by a person who writes, or withdrawn
    # because its review was settled (`responses.services.settling`), with the reason
    "discarded": ("discarded", "withdrawn"),
    # who submitted a version for approval (its writer, most often), and when: a version the
    # privacy check blocks is submitted to legal's review (`workflow.submit`, `_legal_ask`)
    "submitted": ("submitted", "legal_asked"),
}
# The filters' choices (value, words); the API names them ApprovalsLog*Enum (config/settings.py).
LOG_DECISION_CHOICES = [
    ("approved", "Approved"),
    ("rejected", "Rejected: sent back for changes"),
    ("block_kept", "Privacy block kept: sent back"),
    ("overridden", "Privacy block overridden"),
    ("discarded", "Discarded or withdrawn while waiting"),
    ("submitted", "Submitted for approval"),
]
LOG_DECISION_LABELS = dict(LOG_DECISION_CHOICES)
LOG_KIND_CHOICES = [("reply", "Replies (to one review or to many)"), ("statement", "Statements")]
LOG_KINDS = {"reply": ("reply", "reply_batch"), "statement": ("statement",)}
LOG_STEP_CHOICES = [
    (Step.AGENCY.value, Step.AGENCY.label),
    (Step.LEGAL.value, "Legal review (privacy blocks too)"),
    (Step.CLINICIAN.value, Step.CLINICIAN.label),
    (Step.CLIENT.value, Step.CLIENT.label),
]
# legal's decisions on the guard's block belong to the legal step
_BLOCK_ACTIONS = ("guard_overridden", "override_refused")
_CLINIC_STEPS = [Step.CLIENT.value, Step.LEGAL.value, Step.CLINICIAN.value]
_DECISION_OF_ACTION = {
    action: decision for decision, actions in LOG_DECISIONS.items() for action in actions
}
_WITHDRAWALS = LOG_DECISIONS["discarded"]
# A text given up is a decision of the log when it waited for a step then: its status said so
# (the step is in `detail` since the log lists them; a guard block waited for legal).
_WAITED = Q(action__in=_WITHDRAWALS) & (Q(from_status__in=PENDING) | Q(detail__has_key="step"))


def _withdrawn_at(steps) -> Q:
    """The texts given up while they waited at one of `steps`, recorded before the step was
    in `detail` too."""
    statuses = [PENDING_FOR_STEP[Step(step)] for step in steps]
    return Q(action__in=_WITHDRAWALS, from_status__in=statuses)


def _log_entries(access: ClinicAccess) -> QuerySet[AuditEntry]:
    """Every approval decision `access` may read: steps approved or rejected, guard blocks
    overridden or kept, of replies, batches and statements. A batch's decision is one entry
    (its mentions' replies follow it: `batch_*` entries are not listed).

    The agency reads them all. The clinic side reads every decision on a version of a text
    that reached it, whatever happened to the text since (the agency's approval that sent it
    to the clinic stays listed when the clinic then rejected it): a version reached the
    clinic when the trail records it moving to a status the reader may read
    (`statuses_visible_to`: the clinic's step, approved, published), the rule of
    `versions_sent_to_clinic` as each reader sees it. The agency's decisions on its own
    drafts that never reached the clinic are not listed. And every decision of the clinic's
    own steps (client, legal, clinician; a privacy block kept or overridden, which only its
    legal people decide), also those that sent a text back to the agency: its own people
    made them, on the text they were shown."""
    decided = [a for d, actions in LOG_DECISIONS.items() if d != "discarded" for a in actions]
    qs = AuditEntry.objects.filter(
        Q(action__in=decided) | _WAITED, object_type__in=["reply", "reply_batch", "statement"]
    )
    statuses = statuses_visible_to(access)
    if statuses is None:
        return qs
    reached = AuditEntry.objects.filter(
        object_type=OuterRef("object_type"),
        object_id=OuterRef("object_id"),
        version=OuterRef("version"),
        to_status__in=statuses,
    )
    own_steps = (
        Q(detail__step__in=_CLINIC_STEPS)
        | Q(action__in=(*_BLOCK_ACTIONS, "legal_asked"))
        | _withdrawn_at(_CLINIC_STEPS)
    )
    return qs.filter(Exists(reached) | own_steps)


def approvals_log(
    access: ClinicAccess,
    *,
    decided_from: date | None = None,
    decided_to: date | None = None,
    person: str | None = None,
    step: str | None = None,
    decision: str | None = None,
    kind: str | None = None,
) -> QuerySet[AuditEntry]:
    """The clinic's approvals log: every approval decision `access` may read, newest first,
    filtered. Dates are days of the clinic's time zone, both inclusive; `person` is an actor
    label (`user:5`, `api-key:ab12cd34`) that made a decision listed here. A filter that
    cannot be met raises `ValidationFailed` naming it (the end before the start, a person
    with no decision here)."""
    qs = _log_entries(access)
    problems: dict[str, list[str]] = {}
    for name, day in (("decided_from", decided_from), ("decided_to", decided_to)):
        if day and not FIRST_DAY <= day <= LAST_DAY:
            problems[name] = [DAY_OUT_OF_RANGE]
    if not problems and decided_from and decided_to and decided_to < decided_from:
        problems["decided_to"] = [RANGE_REVERSED]
    if person and not qs.filter(actor_label=person).exists():
        problems["person"] = ["Nobody by that label made a decision in this log."]
    if problems:
        raise ValidationFailed("A filter of the approvals log cannot be used.", fields=problems)
    start, end = range_instants(decided_from, decided_to, clinic_zone(access.clinic))
    if start:
        qs = qs.filter(created_at__gte=start)
    if end:
        qs = qs.filter(created_at__lt=end)
    if person:
        qs = qs.filter(actor_label=person)
    if step == Step.LEGAL:
        qs = qs.filter(Q(detail__step=step) | Q(action__in=_BLOCK_ACTIONS) | _withdrawn_at([step]))
    elif step:
        qs = qs.filter(Q(detail__step=step) | _withdrawn_at([step])).exclude(
            action__in=_BLOCK_ACTIONS
        )
    if decision:
        qs = qs.filter(action__in=LOG_DECISIONS[decision])
    if kind:
        qs = qs.filter(object_type__in=LOG_KINDS[kind])
    return qs.order_by("-created_at", "-id")


def approvals_log_people(access: ClinicAccess) -> list[tuple[str, str]]:
    """Who made a decision in the log `access` reads, as (label, name) by name: the choices of
    the "person" filter (a person's newest name, if it changed; two people of one name with
    their e-mail, where the reader may see it: `accounts.naming.names_told_apart`)."""
    latest = list(
        _log_entries(access)
        .order_by("actor_label", "-created_at", "-id")
        .distinct("actor_label")
        .values_list("actor_label", "actor_name")
    )
    emails = approvals_log_emails(
        [label for label, _name in latest], clinic=access.clinic, for_clinic=access.is_clinic_side
    )
    named = names_told_apart(
        (label, name or label, emails.get(label, "")) for label, name in latest
    )
    return sorted(named.items(), key=lambda p: p[1].lower())


def approvals_log_emails(labels, *, clinic: Clinic, for_clinic: bool) -> dict[str, str]:
    """{actor label: the person's e-mail} for the people among `labels` (`user:5`) whose
    e-mail the reader may see, in one query. The agency's side sees everyone's; the clinic's
    side (its people, their keys) its own people's only: the agency's staff are the agency to
    it, as an incident's roles are in its copy (`crisis.timeline`). API keys and Carewatch's
    own parts have none."""
    ids = {user_id_of(label) for label in labels}
    ids.discard(None)
    if not ids:
        return {}
    users = User.objects.filter(pk__in=ids)
    if for_clinic:
        users = users.filter(clinic_memberships__clinic=clinic)
    return {f"user:{pk}": email for pk, email in users.values_list("pk", "email")}


@dataclass(frozen=True)
class LogRow:
    """One decision of the approvals log, in words (see `approvals_log_rows`)."""

    id: int
    at: datetime
    person_label: str
    person_name: str
    role: str
    step: str
    step_label: str
    decision: str
    decision_words: str
    reason: str
    kind: str  # "reply" (to one review, or a batch for many) or "statement"
    reply_id: int | None
    batch_id: int | None
    batch_size: int | None
    statement_id: int | None
    review_id: int | None
    what: str
    link: str
    link_words: str
    version: int | None
    text: str
    # the text shown is no longer the one decided on (`LOG_CHANGED_AFTER`), or ""
    changed_after: str = ""
    # the version decided on was withdrawn by a later edit while it waited (`_withdrawn_by_edit`)
    withdrawn_by_edit: str = ""
    # where the version decided on went out, as the outbox has it (`_publications`), or why
    # it did not (it failed), or empty; a batch's: one line per mention's reply
    # (`publications`), `published_at` the first time one went out
    published_at: datetime | None = None
    published_on: str = ""
    published_how: str = ""
    published: str = ""
    publications: tuple[LogPublication, ...] = ()
    # the person's e-mail where the reader may see it (`approvals_log_emails`), else ""
    person_email: str = ""
    # what the privacy check found in the version a block was overridden or kept on, as the
    # audit entry recorded it (`_log_findings`); empty for the other decisions
    findings: tuple[dict, ...] = ()


@dataclass(frozen=True)
class LogPublication:
    """Where one mention's reply of a batch decided on went out, or why it did not: `at`,
    `on`, `how` and the page's `line`, by the rule of a single reply
    (`_publication_words`)."""

    reply_id: int
    at: datetime | None
    on: str
    how: str
    line: str


# A version whose text a privacy request changed after the decision (the author's name
# replaced: `responses.services.privacy`) is marked so, wherever the log is read (the staff
# page, the portal's, the CSV file, the API): the text shown is not the one decided on.
LOG_CHANGED_AFTER = "Changed after the decision: the author's name was removed at their request."


def _changed_after(entries) -> dict[int, str]:
    """{entry id: `LOG_CHANGED_AFTER`} for the decisions on a version a privacy request changed
    later (its audit entry `redacted` names the versions; one written before it did marks
    every decision before it). One query."""
    keys = {(e.object_type, e.object_id) for e in entries if e.object_type != "statement"}
    if not keys:
        return {}
    wanted = Q()
    for object_type, object_id in keys:
        wanted |= Q(object_type=object_type, object_id=object_id)
    redactions: dict[tuple[str, int], list[tuple[datetime, list | None]]] = {}
    for object_type, object_id, at, detail in AuditEntry.objects.filter(
        wanted, action="redacted"
    ).values_list("object_type", "object_id", "created_at", "detail"):
        redactions.setdefault((object_type, object_id), []).append(
            (at, (detail or {}).get("versions"))
        )
    marked = {}
    for e in entries:
        for at, versions in redactions.get((e.object_type, e.object_id), ()):
            if at > e.created_at and (versions is None or e.version in versions):
                marked[e.pk] = LOG_CHANGED_AFTER
    return marked


LOG_TIME = "%Y-%m-%d %H:%M"  # as the outbox shows its times ("done 2026-12-05 20:13")


def _withdrawn_by_edit(entries, *, tz, brand: str) -> dict[int, str]:
    """{entry id: "Version 1 withdrawn by an edit (version 2) — Wren Writer, 2026-12-05 20:08"}
    for the decisions on a version that a later edit withdrew while it waited for a step (the
    approvals given were for the old text: `workflow.after_new_version`). One query."""
    keys = {(e.object_type, e.object_id) for e in entries if e.version}
    if not keys:
        return {}
    wanted = Q()
    for object_type, object_id in keys:
        wanted |= Q(object_type=object_type, object_id=object_id)
    edits: dict[tuple[str, int, int], AuditEntry] = {}
    for edit in AuditEntry.objects.filter(
        wanted, action="edited", from_status__in=PENDING, version__isnull=False
    ).order_by("created_at", "id"):
        # versions are numbered one after the other: the edit's version replaced the one before
        edits.setdefault((edit.object_type, edit.object_id, edit.version - 1), edit)
    marked = {}
    for e in entries:
        edit = edits.get((e.object_type, e.object_id, e.version))
        if edit is None or edit.created_at < e.created_at:
            continue
        who = edit.actor_name or edit.actor_label
        who = as_brand(who, brand) if brand else who
        at = timezone.localtime(edit.created_at, tz).strftime(LOG_TIME)
        marked[e.pk] = (
            f"Version {e.version} withdrawn by an edit (version {edit.version}) — {who}, {at}"
        )
    return marked


def _taken_back(entries, *, tz, brand: str) -> dict[int, str]:
    """{approval's entry id: ", then taken back (Ann Lee, 2026-12-05 20:08)"} for the approvals
    of `entries` their person took back later (`workflow.take_back`: its `TAKEN_BACK` entry
    names the approval), which the log's decision says after "Approved", wherever the log is
    read: they no longer count as a step given. One query."""
    ids = [e.pk for e in entries if e.action == "approved"]
    if not ids:
        return {}
    marked = {}
    backs = AuditEntry.objects.filter(action=TAKEN_BACK, detail__approval_id__in=ids)
    for back in backs.order_by("created_at", "id"):
        who = back.actor_name or back.actor_label
        who = as_brand(who, brand) if brand else who
        at = timezone.localtime(back.created_at, tz).strftime(LOG_TIME)
        marked.setdefault(back.detail["approval_id"], f", then taken back ({who}, {at})")
    return marked


PUBLISHED_BY_PRODUCT = "Posted by Carewatch"


_PUBLISHED = (OutboxStatus.SENT, OutboxStatus.POSTED_BY_HAND)


def _publishing(items) -> dict[tuple[int, int], OutboxItem]:
    """{(reply id, version): the outbox item that says where it went out}: sent by Carewatch
    or marked posted by hand, the first one of each version; else one that failed."""
    out: dict[tuple[int, int], OutboxItem] = {}
    for item in items.filter(kind=OutboxKind.REPLY, status__in=(*_PUBLISHED, OutboxStatus.FAILED)):
        key = (item.draft_id, item.version)
        if key not in out or (out[key].status not in _PUBLISHED and item.status in _PUBLISHED):
            out[key] = item
    return out


def _publications(entries) -> dict[tuple[int, int], OutboxItem]:
    """{(reply id, version): the outbox item that published it, or failed to} for the replies
    of `entries` (`_publishing`). One query."""
    ids = {e.object_id for e in entries if e.object_type == "reply" and e.version}
    if not ids:
        return {}
    return _publishing(
        OutboxItem.objects.filter(draft_id__in=ids)
        .select_related("source")
        .order_by("sent_at", "id")
    )


def _batch_publications(entries) -> dict[tuple[int, int], list[OutboxItem]]:
    """{(batch id, version): the outbox item of each mention's reply that published it, or
    failed to (`_publishing`)} for the batches of `entries`, under the version that went out:
    the batch's version when it was approved, which queued one reply per mention (decisions
    on an earlier version went out nowhere). One query."""
    ids = {e.object_id for e in entries if e.object_type == "reply_batch" and e.version}
    if not ids:
        return {}
    items = _publishing(
        OutboxItem.objects.filter(draft__batch_id__in=ids)
        .select_related("source", "draft__batch", "draft__review__source")
        .order_by("sent_at", "id")
    )
    out: dict[tuple[int, int], list[OutboxItem]] = {}
    for item in items.values():
        batch = item.draft.batch
        out.setdefault((batch.pk, batch.version), []).append(item)
    return out


def _publication_words(
    item: OutboxItem, *, tz, brand: str, for_clinic: bool
) -> tuple[str, str, str]:
    """(where, how, the pages' line) of a reply's publication (`_published_words`), or of a
    delivery that failed: its source, and the words of the reply's own delivery line
    (`delivery_words`: what went wrong and what to do; the clinic's words for its people)."""
    if item.status in _PUBLISHED:
        return _published_words(item, tz=tz, brand=brand)
    words = delivery_words([delivery_row(item, for_clinic=for_clinic)])
    return item.source.name, words, words


def _batch_publication(item: OutboxItem, *, tz, brand: str, for_clinic: bool) -> LogPublication:
    """One mention's reply of a batch, as `_publication_words` says a single reply's, its
    line naming the review it answers."""
    where, how, line = _publication_words(item, tz=tz, brand=brand, for_clinic=for_clinic)
    named = review_named(item.draft.review, tz=tz)
    return LogPublication(
        reply_id=item.draft_id,
        at=item.sent_at if item.status in _PUBLISHED else None,
        on=where,
        how=how,
        line=f"Reply to {named}: {line[:1].lower()}{line[1:]}",
    )


def _published_words(item: OutboxItem, *, tz, brand: str) -> tuple[str, str, str]:
    """(where, how, the line the pages show) of a publication, in the outbox's words: its
    source's name, "Posted by Carewatch" (the agency's brand for the clinic's people) or
    "Marked posted by hand by Max Manager", and its time as the outbox shows it."""
    if item.status == OutboxStatus.POSTED_BY_HAND:
        who = item.done_by_name or item.done_by_label or "someone"
        how = f"Marked posted by hand by {as_brand(who, brand) if brand else who}"
    else:
        how = f"Posted by {brand}" if brand else PUBLISHED_BY_PRODUCT
    at = timezone.localtime(item.sent_at, tz).strftime(LOG_TIME) if item.sent_at else ""
    where = item.source.name
    return where, how, f"Published on {where} {at} — {how[:1].lower()}{how[1:]}"


def approvals_log_rows(entries, *, clinic: Clinic, for_clinic: bool = False) -> list[LogRow]:
    """The log's `entries` (a page of `approvals_log`) in words: who (name and role at the
    time, or now for decisions recorded before roles were), the step, the decision with its
    reason, what was decided on (the reply's review, the batch and its size, the statement)
    and the text of the version decided on. A constant number of queries, whatever the number
    of entries. `for_clinic`: as the clinic's people read it, wherever they read it (portal
    page, CSV file, API): links for the portal (the review on its platform, the portal's
    statements) instead of the agency's pages, and the product's own parts (a text withdrawn
    by "Carewatch" when its review was settled) named after the agency
    (`core.branding.as_brand`)."""
    entries = list(entries)
    tz = clinic_zone(clinic)
    brand = brand_name(clinic.agency) if for_clinic else ""
    pairs: dict[str, set[tuple[int, int]]] = {"reply": set(), "reply_batch": set(),
                                               "statement": set()}  # fmt: skip
    for e in entries:
        if e.version:
            pairs[e.object_type].add((e.object_id, e.version))
    replies = _versions_of(ReplyVersion, "draft_id", pairs["reply"])
    batches = _versions_of(ReplyBatchVersion, "batch_id", pairs["reply_batch"])
    statements = _versions_of(StatementVersion, "statement_id", pairs["statement"])
    review_ids = {e.review_id for e in entries if e.object_type == "reply" and e.review_id}
    reviews = (
        Review.objects.select_related("source").in_bulk(list(review_ids)) if review_ids else {}
    )
    changed_after = _changed_after(entries)
    withdrawn_by_edit = _withdrawn_by_edit(entries, tz=tz, brand=brand)
    taken_back = _taken_back(entries, tz=tz, brand=brand)
    publications = _publications(entries)
    batch_publications = _batch_publications(entries)
    emails = approvals_log_emails(
        {e.actor_label for e in entries}, clinic=clinic, for_clinic=for_clinic
    )
    unrecorded = {user_id_of(e.actor_label) for e in entries if not e.detail.get("role")}
    unrecorded.discard(None)
    roles_now = people_role_words(clinic, unrecorded) if unrecorded else {}
    base = f"/clinics/{clinic.slug}/"
    rows = []
    for e in entries:
        key = (e.object_id, e.version)
        decision = _DECISION_OF_ACTION[e.action]
        step = Step.LEGAL.value if e.action in _BLOCK_ACTIONS else e.detail.get("step", "")
        if decision == "submitted":
            step = ""  # it asks for the steps; it is none of them
        if decision == "discarded" and not step:
            step = STEP_FOR_STATUS.get(e.from_status, "")
        kind = "statement" if e.object_type == "statement" else "reply"
        text, what, link, link_words, size = "", "", "", "", None
        if e.object_type == "reply":
            version = replies.get(key)
            text = version.text if version else ""
            review = reviews.get(e.review_id)
            what = f"Reply to {review_named(review, tz=tz)}" if review else f"Reply {e.object_id}"
            if for_clinic:
                if review is not None and review.url:
                    link, link_words = (
                        review.url,
                        f"The review on {review.source.get_kind_display()}",
                    )
            elif review is not None:
                link, link_words = f"{base}replies/review/{review.pk}/", "Open the reply"
        elif e.object_type == "reply_batch":
            version = batches.get(key)
            text = version.text if version else ""
            size = len(version.review_ids) if version else None
            what = (
                f"One answer to {size} mention{'s' if size != 1 else ''} (batch {e.object_id})"
                if size is not None
                else f"One answer to many mentions (batch {e.object_id})"
            )
            if not for_clinic:
                link, link_words = f"{base}replies/batches/{e.object_id}/", "Open the batch"
        else:
            version = statements.get(key)
            text = f"{version.title}\n\n{version.body}" if version else ""
            what = f"Statement “{version.title}”" if version else f"Statement {e.object_id}"
            link = f"{base}portal/statements/" if for_clinic else f"{base}statements/{e.object_id}/"
            link_words = "Open the statements" if for_clinic else "Open the statement"
        words = LOG_DECISION_LABELS[decision]
        if decision == "approved" and e.object_type == "reply_batch" and size is not None:
            words = f"Approved as a batch of {size} repl{'ies' if size != 1 else 'y'}"
        if decision == "approved":
            words += taken_back.get(e.pk, "")
        elif decision == "discarded":
            words = _given_up_words(e, step)
        elif decision == "submitted":
            words = _submitted_words(e, version)
        role = (
            role_words_shown(e.detail.get("role", ""))
            or roles_now.get(user_id_of(e.actor_label))
            or ("API key" if e.actor_label.startswith("api-key:") else "")
        )
        name = e.actor_name or e.actor_label
        published = publications.get(key) if e.object_type == "reply" else None
        where, how, published_line = (
            _publication_words(published, tz=tz, brand=brand, for_clinic=for_clinic)
            if published
            else ("", "", "")
        )
        published_at = published.sent_at if published else None
        each: tuple[LogPublication, ...] = ()
        if e.object_type == "reply_batch" and key in batch_publications:
            order = {rid: i for i, rid in enumerate(version.review_ids if version else ())}
            items = sorted(
                batch_publications[key],
                key=lambda i: (order.get(i.draft.review_id, len(order)), i.draft_id),
            )
            each = tuple(
                _batch_publication(item, tz=tz, brand=brand, for_clinic=for_clinic)
                for item in items
            )
            published_at = min((p.at for p in each if p.at), default=None)
            where = "\n".join(f"Reply {p.reply_id}: {p.on}" for p in each)
            how = "\n".join(f"Reply {p.reply_id}: {p.how}" for p in each)
            published_line = "\n".join(p.line for p in each)
        rows.append(
            LogRow(
                id=e.pk,
                at=e.created_at,
                person_label=e.actor_label,
                person_name=as_brand(name, brand) if for_clinic else name,
                role=role,
                step=step,
                step_label=Step(step).label if step in Step.values else "",
                decision=decision,
                decision_words=words,
                reason=e.comment,
                kind=kind,
                reply_id=e.object_id if e.object_type == "reply" else None,
                batch_id=e.object_id if e.object_type == "reply_batch" else None,
                batch_size=size,
                statement_id=e.object_id if e.object_type == "statement" else None,
                review_id=e.review_id if e.object_type == "reply" else None,
                what=what,
                link=link,
                link_words=link_words,
                version=e.version,
                text=text,
                changed_after=changed_after.get(e.pk, ""),
                withdrawn_by_edit=withdrawn_by_edit.get(e.pk, ""),
                published_at=published_at,
                published_on=where,
                published_how=how,
                published=published_line,
                publications=each,
                person_email=emails.get(e.actor_label, ""),
                findings=_log_findings(e, decision, version, text_changed=e.pk in changed_after),
            )
        )
    return rows


def _submitted_words(entry: AuditEntry, version) -> str:
    """ "Submitted for approval", "Submitted to legal review: the privacy check blocks it",
    and who wrote the version when it is not who submitted it ("(written by Wren Writer)")."""
    if entry.action == "legal_asked":
        words = "Submitted to legal review: the privacy check blocks it"
    else:
        words = LOG_DECISION_LABELS["submitted"]
    writer = getattr(version, "author_name", "") if version is not None else ""
    if writer and writer != entry.actor_name:
        words += f" (written by {writer})"
    return words


def _log_findings(entry: AuditEntry, decision: str, version, *, text_changed: bool):
    """What the privacy check found in the version a block was overridden or kept on: the
    findings the override's audit entry recorded (`workflow.override`), or, for a block kept
    (whose entry records none), the version's own. The words found (`text`) are left out of
    a version a privacy request changed since (`LOG_CHANGED_AFTER`): they may be the name it
    removed."""
    if decision not in ("overridden", "block_kept"):
        return ()
    found = entry.detail.get("findings")
    if not isinstance(found, list):
        found = getattr(version, "guard_findings", None) or []
    return tuple(
        {
            "kind": f.get("kind", ""),
            "subtype": f.get("subtype", ""),
            "severity": f.get("severity", ""),
            "start": f.get("start"),
            "end": f.get("end"),
            "text": "" if text_changed else f.get("text", ""),
        }
        for f in found
        if isinstance(f, dict)
    )


def _given_up_words(entry: AuditEntry, step: str) -> str:
    """A text given up while it waited, in words: "Withdrawn while waiting for the clinic
    approval: its review was settled", "Discarded while blocked, waiting for legal review"."""
    if entry.detail.get("block"):
        waiting = "while blocked, waiting for legal review"
    elif step in Step.values:
        waiting = f"while waiting for the {Step(step).label.lower()}"
    else:
        waiting = "while waiting for approval"
    if entry.action == "discarded":
        return f"Discarded {waiting}"
    whose = "its mentions were" if entry.object_type == "reply_batch" else "its review was"
    return f"Withdrawn {waiting}: {whose} settled"


def _versions_of(model, fk: str, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], object]:
    """The versions (object id, number) of `model`, in one query."""
    if not pairs:
        return {}
    match = Q(pk__in=[])
    for object_id, number in pairs:
        match |= Q(**{fk: object_id, "number": number})
    return {(getattr(v, fk), v.number): v for v in model.objects.filter(match)}
