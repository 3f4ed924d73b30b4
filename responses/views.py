"""Pages: the reply editor of a review, the approval queue, statements, the outbox, and the
public statement page of a clinic (no sign-in)."""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.contrib import messages
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic.base import TemplateResponseMixin
from django_tenants.utils import schema_context

from agency.branding import brand_palette, logo_data_uri
from agency.forms import apply_domain_errors
from clinics.models import Clinic, clinic_zone
from clinics.views import SettingsView
from core.days import zone_words
from core.errors import DomainError
from core.http import int_param, positive_int, version_param
from core.incidents import incident_of_statement, incidents_of_review
from core.paging import Chained, page_get
from core.permissions import Permission
from core.text import possessive
from core.views import ClinicView
from facts.selectors import facts_list, facts_to_confirm
from inbox.selectors import NO_CLOCK_WORDS, reviews_filtered
from responses.forms import TemplateCreateForm, TemplateEditForm
from responses.models import (
    ApprovalStatus,
    OutboxStatus,
    ReplyBatch,
    ReplyDraft,
    ReplyTemplate,
    ReplyVersion,
    Statement,
    Step,
)
from responses.selectors import (
    approval_histories,
    approval_outcome,
    approvals_lost_on_edit,
    audit_for,
    can_act_now,
    channel_plan_reply,
    channel_plan_statement,
    current_version,
    delivery_row,
    delivery_rows,
    delivery_words,
    draft_open_for_review,
    duration_words,
    findings_for_reader,
    findings_once,
    is_final_step,
    outbox_list,
    previous_version,
    reply_batch_shown,
    reply_batch_tally,
    reply_batches_items,
    reply_batches_list,
    reply_suggest,
    review_sla,
    sla_for,
    statement_get,
    statement_pinned_on,
    statement_public_page_exists,
    statement_public_versions,
    statement_save_warning,
    statement_unpin_words,
    statements_ever_public,
    statements_list,
    template_checked,
    template_fitting,
    template_get,
    templates_available,
    word_diff,
)
from responses.services import batches as batch_services
from responses.services import replies as reply_services
from responses.services import statements as statement_services
from responses.services.approvals import (
    FLOWS,
    approval_remind,
    take_back_offered,
    waiting_for,
    waiting_for_each,
)
from responses.services.guarding import guard_check, response_settings_get
from responses.services.library import (
    staff_name_add,
    staff_names_set,
    template_create,
    template_update,
)
from responses.services.outbox import (
    by_hand_owners,
    by_hand_posters,
    channel_connectors_named,
    outbox_mark_posted,
    outbox_retry,
)
from responses.services.review_edits import review_change, review_changes_each
from responses.services.templating import (
    NOT_A_VARIABLE,
    fact_sentence,
    placeholders_left,
    review_render_args,
    variable_advice,
)
from responses.services.workflow import (
    PENDING,
    STEP_FOR_STATUS,
    legal_sent_back,
    no_approver_words,
    principals_who_acted_each,
    stuck_words,
)
from responses.views_followups import followup_section
from scoring.selectors import latest_scores_prefetch

SEVERITY_ORDER = {"needs_review": 1, "block": 2}


def highlight(text: str, findings: list[dict]) -> list[dict]:
    """`text` cut into segments, flagged where a finding covers it (overlaps merged, the
    strongest severity kept): [{"text", "flag": None | "block" | "needs_review", "note"}]."""
    marks: list[str | None] = [None] * len(text)
    notes: list[str] = [""] * len(text)
    for finding in findings:
        start, end = max(0, finding["start"]), min(len(text), finding["end"])
        for i in range(start, end):
            if SEVERITY_ORDER.get(finding["severity"], 0) >= SEVERITY_ORDER.get(marks[i], 0):
                marks[i] = finding["severity"]
                notes[i] = finding["message"]
    segments: list[dict] = []
    for i, char in enumerate(text):
        if segments and segments[-1]["flag"] == marks[i] and segments[-1]["note"] == notes[i]:
            segments[-1]["text"] += char
        else:
            segments.append({"text": char, "flag": marks[i], "note": notes[i]})
    return segments


def _error(request, exc: DomainError) -> None:
    """One line: what went wrong and the first thing to fix (the page shows the rest where it
    belongs, e.g. the guard's findings next to the text)."""
    details = [
        str(error)
        for errors in (exc.fields or {}).values()
        for error in (errors if isinstance(errors, list | tuple) else [errors])
    ]
    line = str(exc.detail)
    if exc.code == "unfilled_variables":
        # each variable left, with why: no other place on the page names them
        line = " ".join([line, *details])
    elif details and details[0] not in line:
        line = f"{line} {details[0]}"
        if len(details) > 1:
            line += f" (and {len(details) - 1} more)"
    messages.error(request, line)


def _form_errors(exc: DomainError, names: tuple[str, ...]) -> dict[str, list[str]] | None:
    """A refusal's messages by form field, for a form that shows each next to its field (and
    all in a summary); None when one of them is about something else (a flash says it)."""
    fields = exc.fields or {}
    if not fields or set(fields) - set(names):
        return None
    listed = {name: fields[name] for name in names if name in fields}
    return {
        name: [str(m) for m in (errors if isinstance(errors, list | tuple) else [errors])]
        for name, errors in listed.items()
    }


def submitted_words(kind: str, obj) -> str:
    """What its writer is told after submitting: the step it waits for now, or, for a version
    the privacy check blocks, that legal was asked to lift the block."""
    waiting = waiting_for(kind, obj)
    if waiting is not None and waiting.step == "guard":
        who = waiting.names or "a person with the legal role"
        return (
            f"Saved and sent to legal: the privacy check blocks this text, and {who} decides "
            "whether to lift the block. You are told when they do; meanwhile you may still "
            "change it (a new version is checked again)."
        )
    return f"Saved and submitted: “{obj.get_status_display()}”."


def submitted_tell(request, kind: str, obj) -> None:
    """The page's answer to a submit (`submitted_words`), and, when the clinic has no
    approver to give its step, a second line saying so (`workflow.no_approver_words`)."""
    messages.success(request, submitted_words(kind, obj))
    if words := no_approver_words(obj):
        messages.warning(request, words)


def _next(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return default


def _sla_words(sla: dict | None, review) -> str:
    """A reply clock in words; without one, why for a past review, nothing for a review the
    reply target does not count (`sla_for`)."""
    if sla is None:
        return NO_CLOCK_WORDS if review.imported_as_past else ""
    words = duration_words(sla["remaining_seconds"])
    if sla["running"]:
        return f"overdue by {words}" if sla["breached"] else f"{words} left"
    return f"published {words} late" if sla["breached"] else f"published with {words} to spare"


def _queue_reads(kind: str, objs: list, people: dict) -> dict:
    """Who already gave a step of each text's version and whom each waits for, read for all
    the queue's texts of one kind at once: the page's queries do not grow with its cards."""
    acted = principals_who_acted_each(object_type=FLOWS[kind].object_type, objs=objs)
    return {
        "acted": acted,
        "waiting": waiting_for_each(kind, objs, cache=people, acted=acted),
        "batch_rows": reply_batches_items(objs) if kind == "batch" else {},
        # who gave which step of each version: a "needs review" finding says legal cleared it
        "history": approval_histories(FLOWS[kind].object_type, objs),
        # the review changed after the reply was written
        "review_changed": review_changes_each(objs) if kind == "reply" else {},
    }


def _card(access, obj, kind: str, *, cache: dict | None = None, reads: dict | None = None) -> dict:
    reads = reads or _queue_reads(kind, [obj], {} if cache is None else cache)
    version = current_version(obj)
    previous = previous_version(obj)
    text = (
        (version.text if kind == "reply" else f"{version.title}\n\n{version.body}")
        if version
        else ""
    )
    old = ""
    if previous is not None:
        old = previous.text if kind == "reply" else f"{previous.title}\n\n{previous.body}"
    step = STEP_FOR_STATUS.get(obj.status)
    can_act = can_act_now(access, obj, acted=reads["acted"][obj.pk])
    findings = version.guard_findings if version else []
    return {
        "kind": kind,
        "obj": obj,
        "version": version,
        "text": text,
        "diff": word_diff(old, text) if previous is not None else None,
        "findings": findings_for_reader(
            findings, obj, can_act=can_act, history=reads["history"][obj.pk]
        ),
        "step": Step(step).label if step else "",
        "can_act": can_act,
        "waiting": reads["waiting"][obj.pk],
        "review_changed": reads.get("review_changed", {}).get(obj.pk),
    }


FINISHED_OR_DRAFT = [ApprovalStatus.DRAFT, ApprovalStatus.DISCARDED, ApprovalStatus.PUBLISHED]


def _batch_card(access, batch, *, cache: dict | None = None, reads: dict | None = None) -> dict:
    reads = reads or _queue_reads("batch", [batch], {} if cache is None else cache)
    version = current_version(batch)
    # the reply as the first mention gets it, as the clinic's portal shows it
    shown = reply_batch_shown(batch, version, rows=reads["batch_rows"].get(batch.pk))
    rows = shown["mentions"]
    step = STEP_FOR_STATUS.get(batch.status)
    can_act = can_act_now(access, batch, acted=reads["acted"][batch.pk])
    # the same finding in every mention's reply, said once ("in 14 replies")
    findings = findings_once(version.guard_findings if version else [])
    return {
        "obj": batch,
        "version": version,
        "text": shown["text"],
        "findings": findings_for_reader(
            findings, batch, can_act=can_act, history=reads["history"][batch.pk]
        ),
        "rows": rows,
        "withdrawn": shown["withdrawn"],
        "tally": reply_batch_tally(rows),
        "step": Step(step).label if step else "",
        "can_act": can_act,
        "waiting": reads["waiting"][batch.pk],
    }


QUEUE_PER_PAGE = 50
SECTION_PER_PAGE = 20  # the statements waiting, and the replies sent back to their writer


class ReplyQueueView(TemplateResponseMixin, ClinicView):
    """What waits for approval (replies and statements), with what changed since the last
    version, the guard's verdict and the SLA clock; approve, or reject with a comment. The
    batches and replies in pages of 50 (a batch is one row), the batches first."""

    template_name = "responses/queue.html"
    portal_path = "portal/approvals/"

    def get(self, request, *args, **kwargs):
        # one numbered list, a batch one row: the batches under way (a claim's answer, the
        # most pressing) then the replies of their own, the oldest review first
        page = page_get(
            request,
            Chained(
                reply_batches_list()
                .exclude(status__in=FINISHED_OR_DRAFT)
                .prefetch_related("versions"),  # each card's version and who wrote it
                ReplyDraft.objects.filter(status__in=PENDING, batch__isnull=True)
                .select_related("review__source")
                .prefetch_related("versions", latest_scores_prefetch(through="review"))
                .order_by("review__published_at", "pk"),
            ),
            QUEUE_PER_PAGE,
        )
        open_batches = [row for row in page if isinstance(row, ReplyBatch)]
        drafts = [row for row in page if isinstance(row, ReplyDraft)]
        batches_total, drafts_total = page.paginator.object_list.counts()
        cards, people = [], {}  # people: each step's, read once for the page
        reads = _queue_reads("reply", drafts, people)
        for draft in drafts:
            card = _card(self.access, draft, "reply", reads=reads)
            card["sla"] = sla_for(draft, self.clinic)
            card["sla_words"] = _sla_words(card["sla"], draft.review)
            card["plan"] = channel_plan_reply(draft.review) if is_final_step(draft) else None
            cards.append(card)
        # the statements and the replies sent back: each section its own pages (`statements_page`,
        # `returned_page`), read by the same rule as the queue's `page`
        statements_page = page_get(
            request,
            Statement.objects.filter(status__in=PENDING)
            .prefetch_related("versions")
            .order_by("submitted_at", "pk"),
            SECTION_PER_PAGE,
            param="statements_page",
        )
        statements = list(statements_page)
        returned_page = page_get(
            request,
            ReplyDraft.objects.filter(status=ApprovalStatus.CHANGES_REQUESTED, batch__isnull=True)
            .select_related("review")
            .order_by("updated_at", "pk")
            # whose it is: the writer of the version sent back (a colleague may take it over)
            .annotate(
                writer_name=Subquery(
                    ReplyVersion.objects.filter(
                        draft=OuterRef("pk"), number=OuterRef("version")
                    ).values("author_name")[:1]
                ),
                writer_label=Subquery(
                    ReplyVersion.objects.filter(
                        draft=OuterRef("pk"), number=OuterRef("version")
                    ).values("author_label")[:1]
                ),
            ),
            SECTION_PER_PAGE,
            param="returned_page",
        )
        returned = list(returned_page)
        for draft in returned:
            draft.writer_name = draft.writer_name or draft.author_name
            mine = (draft.writer_label or draft.author_label) == f"user:{request.user.pk}"
            draft.whose = (
                "written by you" if mine else f"written by {draft.writer_name or 'its writer'}"
            )
        batch_reads = _queue_reads("batch", open_batches, people)
        statement_reads = _queue_reads("statement", statements, people)
        return self.render_to_response(
            {
                "clinic": self.clinic,
                "cards": cards,
                "statement_cards": [
                    _card(self.access, s, "statement", reads=statement_reads) for s in statements
                ],
                "returned": returned,
                "batch_cards": [
                    _batch_card(self.access, batch, reads=batch_reads) for batch in open_batches
                ],
                "can_write": self.access.can(Permission.WRITE),
                "page": page,
                "batches_total": batches_total,
                "drafts_total": drafts_total,
                # the page's first row of each kind: where a section on no row of this page is
                "drafts_from": batches_total // QUEUE_PER_PAGE + 1,
                "query": _without_page(request),
                "statements_page": statements_page,
                "statements_query": _without_page(request, "statements_page"),
                "returned_page": returned_page,
                "returned_query": _without_page(request, "returned_page"),
            }
        )


def _without_page(request, param: str = "page") -> str:
    """The address's other parameters, kept by the page links of `param`."""
    query = request.GET.copy()
    query.pop(param, None)
    return query.urlencode()


ACTIONS = ("approve", "reject", "override", "remind", "take_back")


class ApprovalActionView(ClinicView):
    """The approve / reject / override forms of the queue and the editors, the writers'
    reminder to the people a text waits for, and an approver taking back their approval
    (`take_back`, from the text's page)."""

    write_permission = Permission.VIEW  # the step decides; the services check

    def post(self, request, *args, **kwargs):
        kind = request.POST.get("kind")
        pk = int_param(request.POST, "id")
        action = request.POST.get("action")
        default = f"/clinics/{self.clinic.slug}/replies/"
        services = {
            "reply": reply_services,
            "statement": statement_services,
            "batch": batch_services,
        }.get(kind)
        if services is None or pk is None or action not in ACTIONS:
            messages.error(request, "Unknown action.")
            return HttpResponseRedirect(default)
        if action == "remind":
            try:
                waiting = approval_remind(kind=kind, pk=pk, access=self.access)
                messages.success(request, f"Reminded {waiting.names}: the {waiting.label} waits.")
            except DomainError as exc:
                _error(request, exc)
            return HttpResponseRedirect(_next(request, default))
        expected = {
            "expected_status": request.POST.get("expected_status") or None,
            "expected_version": int_param(request.POST, "expected_version", zero=True),
        }
        key, name = {
            "reply": ("draft_id", "reply"),
            "statement": ("statement_id", "statement"),
            "batch": ("batch_id", "reply_batch"),
        }[kind]
        try:
            if action == "approve":
                obj = getattr(services, f"{name}_approve")(
                    **{key: pk},
                    access=self.access,
                    comment=request.POST.get("comment", ""),
                    **expected,
                )
                waiting = waiting_for(kind, obj)
                messages.success(request, approval_outcome(obj, kind=name, waiting=waiting))
                # approved into a step nobody can give (a clinic without an approver): said now
                if words := stuck_words(waiting, self.clinic):
                    messages.warning(request, words)
            elif action == "reject":
                getattr(services, f"{name}_reject")(
                    **{key: pk},
                    access=self.access,
                    comment=request.POST.get("comment", ""),
                    **expected,
                )
                messages.success(request, "Sent back to the writer with your comment.")
            elif action == "take_back":
                obj = getattr(services, f"{name}_take_back")(
                    **{key: pk}, access=self.access, **expected
                )
                messages.success(
                    request,
                    f"Your approval was taken back: it waits for the "
                    f"{waiting_for(kind, obj).label} again.",
                )
            else:
                getattr(services, f"{name}_override")(
                    **{key: pk},
                    access=self.access,
                    reason=request.POST.get("reason", ""),
                    expected_version=expected["expected_version"],
                )
                messages.success(request, "Override recorded: this version may now go ahead.")
        except DomainError as exc:
            _error(request, exc)
        return HttpResponseRedirect(_next(request, default))


def _version_if_given(params) -> int | None:
    """`expected_version` where an action may go without it (a check, a new draft)."""
    return int_param(params, "expected_version", zero=True)


def _whose_draft(version, user) -> str:
    """ "your draft, version 2", or "Wren Writer’s draft, version 1" when someone else wrote the
    version in the editor (a colleague taking over a reply sent back to its writer)."""
    if version.author_label == f"user:{user.pk}":  # accounts.actors.Actor.label
        return f"your draft, version {version.number}"
    whose = possessive(version.author_name) if version.author_name else "someone else’s"
    return f"{whose} draft, version {version.number}"


def _same_text(a: str, b: str) -> bool:
    """The same text, whatever the line ends (a browser posts a textarea's as CRLF)."""
    return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()


_PLACEHOLDER_FIRST = re.compile(r"\{[^}]+\}")


def _with_advice(message: str) -> str:
    """An unresolved variable's message ("{concerns}: why.") with what to do about it; one
    that is not a variable says it already (and the variable it looks like a typo of)."""
    found = _PLACEHOLDER_FIRST.match(message)
    if not found or message.startswith(f"{found.group(0)}: {NOT_A_VARIABLE}"):
        return message
    return f"{message} {variable_advice(found.group(0))}"


class ReplyEditorView(TemplateResponseMixin, ClinicView):
    """The reply to one review: suggestion and templates, the fact sheet, the draft with its
    guard findings (live as one types, with static/js/responses_editor.js), its versions,
    audit trail, SLA clock and private follow-up."""

    template_name = "responses/editor.html"
    portal_path = "portal/approvals/"
    permission = Permission.VIEW
    write_permission = Permission.WRITE

    def _review(self, review_id: int):
        review = reviews_filtered(include_deleted=True).filter(pk=review_id).first()
        if review is None:
            raise Http404("Not found.")
        return review

    def _loaded(self, review, key: str, suggestion: dict) -> tuple[str, list[str]] | None:
        """The text that loading the template `key` puts in the editor (the suggestion's own,
        or the template's wording that fits the review's platform, X: 280) with what it leaves
        unresolved; None for no such template."""
        if key and key == suggestion["template_key"]:
            return suggestion["text"], suggestion["unresolved_messages"]
        template = template_get(key) if key else None
        if template is None:
            return None
        score = review.score_list[0] if review.score_list else None
        _, rendered = template_fitting(
            template, review=review, clinic=self.clinic, **review_render_args(review, score)
        )
        return rendered.text, rendered.messages()

    def _context(
        self,
        review,
        *,
        text: str | None = None,
        check: dict | None = None,
        template_key: str = "",
        left: list[str] | None = None,
    ) -> dict:
        """The editor's page. `text` (and `template_key`, the template it was loaded from) come
        back from a post (a check, a refused save); without it the editor holds the template
        asked for (?template=), the open draft's text or the suggestion. `left`: the variables
        a refused save named (one message each), listed above the text."""
        typed = text
        draft = draft_open_for_review(review.pk)
        last = None
        if draft is None:
            last = (
                ReplyDraft.objects.filter(review=review)
                .prefetch_related("versions")
                .order_by("-updated_at")
                .first()
            )
        shown = draft or last
        version = current_version(shown) if shown else None
        suggestion = reply_suggest(review=review, clinic=self.clinic)
        requested = self.request.GET.get("template") or ""
        unresolved: list[str] = []
        loaded_key, loaded_note = "", ""
        if text is None and requested:
            loaded = self._loaded(review, requested, suggestion)
            if loaded is not None:
                text, unresolved = loaded
                loaded_key, loaded_note = requested, "loaded from the menu"
        # what the editor's text is compared with to say "edited, not saved yet": the saved
        # version, else what was loaded (the suggestion or a template: not an edit)
        baseline: str | None = version.text if (draft and version) else None
        if text is None:
            if draft and version:
                text = version.text
                loaded_key = version.template_key
                loaded_note = _whose_draft(version, self.request.user)
            else:
                text = suggestion["text"]
                unresolved = suggestion["unresolved_messages"]
                loaded_key = suggestion["template_key"]
                loaded_note = "suggested" if loaded_key else "nothing yet: no template fits"
            baseline = text
        elif typed is not None:
            if baseline is None and (loaded := self._loaded(review, template_key, suggestion)):
                baseline = loaded[0]
            if baseline is not None and _same_text(typed, baseline):
                # posted back unchanged (e.g. "Check with the guard" on the suggestion)
                if draft and version:
                    loaded_key = version.template_key
                    loaded_note = _whose_draft(version, self.request.user)
                else:
                    loaded_key = template_key
                    loaded_note = (
                        "suggested"
                        if template_key == suggestion["template_key"]
                        else "loaded from the menu"
                    )
            else:
                loaded_note = "your unsaved text"
        template_key = loaded_key
        findings = (
            check["findings"] if check else (version.guard_findings if (draft and version) else [])
        )
        verdict = (
            check["verdict"] if check else (version.guard_verdict if (draft and version) else "")
        )
        facts = [
            {"fact": f, "sentence": fact_sentence(f), "placeholder": "{fact:" + f.slug + "}"}
            for f in facts_list(active_only=True)
        ]
        # the clock runs from the first open, a draft or not (as "Waiting for a reply" says)
        sla = review_sla(review, self.clinic, reply=shown)
        return {
            "clinic": self.clinic,
            "review": review,
            # the running incidents it is a mention of: the editor links back to their rooms
            "incidents": incidents_of_review(review.pk),
            "score": review.score_list[0] if review.score_list else None,
            "draft": draft,
            "last": last,
            "version": version,
            "versions": list(shown.versions.all()) if shown else [],
            "audit": list(audit_for("reply", shown.pk)) if shown else [],
            "outbox": list(shown.outbox_items.all()) if shown else [],
            "deliveries": delivery_rows(shown.outbox_items.all(), access=self.access)
            if shown
            else [],
            "plan": channel_plan_reply(review) if draft else [],
            "outbox_url": f"/clinics/{self.clinic.slug}/outbox/",
            "text": text,
            "findings": findings,
            "verdict": verdict,
            "segments": highlight(text, findings) if findings else [],
            "checked": check is not None,
            "suggestion": suggestion,
            "templates": templates_available(),
            "template_key": template_key,
            "loaded_name": next(
                (t["name"] for t in templates_available() if t["key"] == loaded_key), ""
            ),
            "loaded_note": loaded_note,
            "unresolved": [_with_advice(m) for m in (left or unresolved)],
            # what to do about each variable left without a value, by its kind (a fact is
            # inserted, {concerns} is written in the writer's words): the editor's Submit line
            "unresolved_advice": json.dumps(
                {p: variable_advice(p) for p in placeholders_left(text or "")}
            ),
            "overridden": bool(draft and draft.is_overridden),
            # the page came back with text that is not (yet) a saved version
            "unsaved": typed is not None
            and not (baseline is not None and _same_text(typed, baseline)),
            "baseline": baseline,
            "fix_url": f"/clinics/{self.clinic.slug}/api/v1/compliance/fix/",
            "facts_to_confirm": facts_to_confirm().count(),
            "facts": facts,
            "sla": sla,
            "sla_words": _sla_words(sla, review) if sla else "",
            **followup_section(review=review, clinic=self.clinic, access=self.access),
            "can_write": self.access.can(Permission.WRITE),
            "can_override": self.access.can(Permission.LEGAL_OVERRIDE),
            "can_act": bool(draft) and can_act_now(self.access, draft),
            "waiting": waiting_for("reply", draft) if draft else None,
            "review_changed": review_change(draft) if draft else None,
            "may_take_back": take_back_offered("reply", draft, self.access),
            # legal sent an earlier version back: every later one goes to legal (`route_for`)
            "legal_sent_back": legal_sent_back(reply_services.FLOW, draft) if draft else None,
            "step": Step(STEP_FOR_STATUS[draft.status]).label
            if draft and draft.status in STEP_FOR_STATUS
            else "",
            "check_url": f"/clinics/{self.clinic.slug}/api/v1/compliance/check/",
            # a finding naming someone not on the staff list says where the list is; owners
            # and managers get a link to it and "Add “…” to the staff names"
            "staff_help": {
                "can_manage": self.access.is_agency_staff and self.access.can(Permission.MANAGE),
                "url": staff_names_url(self.clinic),
            },
            # the reply must fit its platform (X: 280): the editor marks it as one types, and
            # submitting refuses it (reply_submit)
            "limit": reply_services.platform_limit(review.source.kind),
            "platform": review.source.get_kind_display(),
            "too_long": reply_services.reply_too_long(draft) if draft else "",
        }

    def get(self, request, review_id: int, *args, **kwargs):
        return self.render_to_response(self._context(self._review(review_id)))

    def post(self, request, review_id: int, *args, **kwargs):
        """Save, check, submit or discard. Submit saves the text in the editor first (so what
        was typed is what goes for approval); when saving or submitting is refused, the page
        comes back with the typed text in the editor and one line saying why."""
        review = self._review(review_id)
        action = request.POST.get("action", "save")
        text = request.POST.get("text", "")
        draft_id = int_param(request.POST, "draft_id")
        editing = draft_id and action in ("save", "submit")
        expected = (version_param if editing else _version_if_given)(request.POST)
        template_key = request.POST.get("template_key", "")
        if "add_staff_name" in request.POST:
            # "Add “Jenna” to the staff names" on a finding: the name goes on the clinic's list
            # (owners and managers), and the text in the editor is checked again with it
            name = request.POST.get("add_staff_name", "")
            status = 200
            try:
                staff_name_add(access=self.access, name=name, review=review)
            except DomainError as exc:
                _error(request, exc)
                status = exc.status_code
            else:
                messages.success(
                    request,
                    f"“{name.strip()}” is on the staff names; the guard checked the text again.",
                )
            check = guard_check(text, clinic=self.clinic, review=review)
            return self.render_to_response(
                self._context(review, text=text, check=check, template_key=template_key),
                status=status,
            )
        if action == "check":
            check = guard_check(text, clinic=self.clinic, review=review)
            return self.render_to_response(
                self._context(review, text=text, check=check, template_key=template_key)
            )
        try:
            if action in ("save", "submit"):
                draft = self._save(review, draft_id, text, expected, template_key)
                if action == "submit":
                    draft = reply_services.reply_submit(
                        draft_id=draft.pk, access=self.access, expected_version=draft.version
                    )
                    submitted_tell(request, "reply", draft)
                else:
                    messages.success(request, "Saved as a new version; the guard checked it.")
            elif action == "discard" and draft_id:
                reply_services.reply_discard(draft_id=draft_id, access=self.access)
                messages.success(request, "Draft discarded.")
            else:
                messages.error(request, "Unknown action.")
        except DomainError as exc:
            if action in ("save", "submit") and exc.code == "unfilled_variables":
                # every variable is named in the list above the text, each with why once
                messages.error(request, exc.detail)
                left = [str(m) for m in exc.fields.get("text", [])]
                return self.render_to_response(
                    self._context(review, text=text, template_key=template_key, left=left),
                    status=400,
                )
            _error(request, exc)
            if action in ("save", "submit"):
                return self.render_to_response(
                    self._context(review, text=text, template_key=template_key), status=400
                )
        return HttpResponseRedirect(request.path)

    def _save(self, review, draft_id, text, expected, template_key) -> ReplyDraft:
        """The draft with `text` as its current version (a new version only when it changed)."""
        if draft_id:
            reply_services.reply_draft_update(
                draft_id=draft_id,
                access=self.access,
                text=text,
                expected_version=expected,
                template_key=template_key,
            )
            return ReplyDraft.objects.get(pk=draft_id)
        return reply_services.reply_draft_create(
            review_id=review.pk, access=self.access, text=text, template_key=template_key or None
        )


class StatementListView(TemplateResponseMixin, ClinicView):
    template_name = "responses/statements.html"
    portal_path = "portal/statements/"

    def get(
        self,
        request,
        *args,
        kept: dict | None = None,
        errors: dict | None = None,
        status: int = 200,
        **kwargs,
    ):
        """The list and the form to draft one; `kept`: the title and text typed in a draft
        that was refused, back in the form; `errors`: why, per field ("title", "body")."""
        statements = list(statements_list())
        for statement in statements:
            # nothing says "pinned" before a channel confirms it
            statement.pinned_on = statement_pinned_on(statement)
        return self.render_to_response(
            {
                "clinic": self.clinic,
                "statements": statements,
                "can_write": self.access.can(Permission.WRITE),
                "public_url": f"/statements/{self.clinic.slug}/",
                "public_page_exists": statement_public_page_exists(),
                "kept": kept or {},
                "errors": errors or {},
            },
            status=status,
        )

    def post(self, request, *args, **kwargs):
        kept = {"title": request.POST.get("title", ""), "body": request.POST.get("body", "")}
        try:
            statement = statement_services.statement_create(access=self.access, **kept)
        except DomainError as exc:
            if exc.code == "statement_exists":  # sent twice: the first one is the statement
                messages.info(request, exc.detail)
                return HttpResponseRedirect(f"{request.path}{exc.fields['statement_id'][0]}/")
            errors = _form_errors(exc, ("title", "body"))
            if errors is None:
                _error(request, exc)
            return self.get(request, kept=kept, errors=errors, status=exc.status_code)
        return HttpResponseRedirect(f"{request.path}{statement.pk}/")


def _saved_words(before, saved, lost: list[str], was_approved: bool) -> str:
    """The flash after saving a statement: and, when the change threw approvals away, which."""
    if saved.version == before.version:
        return f"Nothing changed: the text is the same as version {saved.version}."
    text = f"Saved as version {saved.version}; the guard checked it."
    if was_approved or lost:
        given = (", ".join(lost[:-1]) + " and " + lost[-1]) if len(lost) > 1 else "".join(lost)
        text += (
            f" Version {before.version} was {'approved' if was_approved else 'under approval'}: "
            + (f"{given} {'is' if len(lost) == 1 else 'are'} lost, and " if lost else "")
            + "the new version is a draft that goes through every approval again once submitted."
        )
    return text


class StatementEditorView(TemplateResponseMixin, ClinicView):
    template_name = "responses/statement_editor.html"
    portal_path = "portal/statements/"
    write_permission = Permission.VIEW  # approvals come here too; the services check

    def _context(self, statement, *, title=None, body=None, check=None) -> dict:
        version = current_version(statement)
        title = version.title if title is None else title
        body = version.body if body is None else body
        findings = check["findings"] if check else version.guard_findings
        return {
            "clinic": self.clinic,
            "statement": statement,
            "version": version,
            "versions": list(statement.versions.all()),
            "title": title,
            "body": body,
            "findings": findings,
            "verdict": check["verdict"] if check else version.guard_verdict,
            "checked": check is not None,
            "unsaved": (title, body) != (version.title, version.body),
            "facts": [
                {"fact": f, "sentence": fact_sentence(f), "placeholder": "{fact:" + f.slug + "}"}
                for f in facts_list(active_only=True)
            ],
            "audit": list(audit_for("statement", statement.pk)),
            "outbox": list(statement.outbox_items.all()),
            "deliveries": (deliveries := delivery_rows(statement.outbox_items.all())),
            "delivery_sentence": delivery_words(deliveries).replace(
                "No channel will receive it.", "No channel pins it."
            ),
            "plan": channel_plan_statement() if statement.status == "approved" else [],
            "unpin": statement_unpin_words(statement) if statement.is_pinned else {},
            # beside "Save": a change throws the approvals of this version away
            "save_warning": statement_save_warning(statement),
            "outbox_url": f"/clinics/{self.clinic.slug}/outbox/",
            "can_write": self.access.can(Permission.WRITE),
            "can_override": self.access.can(Permission.LEGAL_OVERRIDE),
            "can_act": can_act_now(self.access, statement),
            "waiting": waiting_for("statement", statement),
            "may_take_back": take_back_offered("statement", statement, self.access),
            "step": Step(STEP_FOR_STATUS[statement.status]).label
            if statement.status in STEP_FOR_STATUS
            else "",
            "public_url": f"/statements/{self.clinic.slug}/",
            "permalink": f"/statements/{self.clinic.slug}/{statement.pk}/",
            "check_url": f"/clinics/{self.clinic.slug}/api/v1/compliance/check/",
            "fix_url": f"/clinics/{self.clinic.slug}/api/v1/compliance/fix/",
            "facts_to_confirm": facts_to_confirm().count(),
            "incident": incident_of_statement(statement.pk),
        }

    def _statement(self, statement_id: int):
        statement = statement_get(statement_id)
        if statement is None:
            raise Http404("Not found.")
        return statement

    def get(self, request, statement_id: int, *args, **kwargs):
        return self.render_to_response(self._context(self._statement(statement_id)))

    def post(self, request, statement_id: int, *args, **kwargs):
        statement = self._statement(statement_id)
        action = request.POST.get("action", "save")
        title, body = request.POST.get("title", ""), request.POST.get("body", "")
        editing = action in ("save", "submit", "publish")
        expected = (version_param if editing else _version_if_given)(request.POST)
        s = statement_services
        try:
            if action == "check":
                check = guard_check(f"{title}\n\n{body}", clinic=self.clinic, purpose="statement")
                return self.render_to_response(
                    self._context(statement, title=title, body=body, check=check)
                )
            if action == "save":
                lost = approvals_lost_on_edit(statement)
                was_approved = statement.status == ApprovalStatus.APPROVED
                saved = s.statement_update(
                    statement_id=statement.pk,
                    access=self.access,
                    title=title,
                    body=body,
                    expected_version=expected,
                )
                messages.success(request, _saved_words(statement, saved, lost, was_approved))
            elif action == "submit":
                # what is in the editor is what goes for approval: save it first
                s.statement_update(
                    statement_id=statement.pk,
                    access=self.access,
                    title=title,
                    body=body,
                    expected_version=expected,
                )
                statement.refresh_from_db()
                submitted = s.statement_submit(
                    statement_id=statement.pk,
                    access=self.access,
                    expected_version=statement.version,
                )
                submitted_tell(request, "statement", submitted)
            elif action == "publish":
                s.statement_publish(
                    statement_id=statement.pk, access=self.access, expected_version=expected
                )
                published = statement_get(statement.pk)
                messages.success(
                    request,
                    "Published on the public statement page. "
                    + delivery_words(delivery_rows(published.outbox_items.all())).replace(
                        "No channel will receive it.", "No channel will pin it."
                    ),
                )
            elif action == "unpin":
                # the words of what it was about to do, read before it does it
                words = statement_unpin_words(statement)
                s.statement_unpin(statement_id=statement.pk, access=self.access)
                messages.success(request, words["done"])
            elif action == "discard":
                s.statement_discard(statement_id=statement.pk, access=self.access)
                messages.success(request, "Statement discarded.")
            else:
                messages.error(request, "Unknown action.")
        except DomainError as exc:
            _error(request, exc)
            if action in ("save", "submit"):
                statement.refresh_from_db()
                return self.render_to_response(
                    self._context(statement, title=title, body=body), status=400
                )
        if action in ("publish", "unpin") and {"title", "body"} <= request.POST.keys():
            # publishing and unpinning act on the stored version; text typed beside them
            # is not theirs to throw away, so the editor comes back with it
            statement.refresh_from_db()
            stored = current_version(statement)
            if (title, body) != (stored.title, stored.body):
                messages.info(request, "Your edits are not saved yet: they are still below.")
                return self.render_to_response(self._context(statement, title=title, body=body))
        return HttpResponseRedirect(request.path)


class OutboxView(TemplateResponseMixin, ClinicView):
    """Everything being published: items to post by hand (copy the text, post it, mark it
    posted), failures with the platform's own message (retry), and what was sent."""

    template_name = "responses/outbox.html"

    def get(self, request, *args, **kwargs):
        # `?posted=<id>`: the item just marked posted by hand, said where the page opens
        # (`#just-posted`): on a phone the message at the top of the page is out of sight,
        # and the next card, much like the one marked, takes its place
        return self._page(posted=int_param(request.GET, "posted"))

    def _page(
        self, *, card_error: dict | None = None, status: int = 200, posted: int | None = None
    ):
        items = list(outbox_list().select_related("draft__batch")[:200])
        # each reply to post by hand names the one person it waits for (others may post it)
        manual = [i for i in items if i.status == OutboxStatus.MANUAL]
        owners = by_hand_owners(manual, posters=by_hand_posters(self.clinic)) if manual else {}
        for item in manual:
            item.by_hand_owner = owners.get(item.pk)
        # who may connect a channel, named once for the page (a reader who may not is told)
        connectors = (
            None if self.access.can(Permission.MANAGE) else channel_connectors_named(self.clinic)
        )
        for item in items:
            item.delivery = delivery_row(item, access=self.access, connectors=connectors)
            review = item.review
            item.reach = (review.likes + review.shares + review.replies) if review else 0
        # what a person posts by hand or looks into: an official statement first (the
        # clinic's answer to everyone, walk 14: it was listed after 16 replies), then the
        # mention with the most reach
        items.sort(
            key=lambda i: (i.statement_id is None, -i.reach) if i.status in _BY_REACH else (0, 0)
        )
        groups = [
            ("manual", "To post by hand", [i for i in items if i.status == OutboxStatus.MANUAL]),
            ("failed", "Failed", [i for i in items if i.status == OutboxStatus.FAILED]),
            (
                "waiting",
                "Waiting or sending",
                [i for i in items if i.status in (OutboxStatus.PENDING, OutboxStatus.SENDING)],
            ),
            (
                "done",
                "Done",
                [
                    i
                    for i in items
                    if i.status
                    in (OutboxStatus.SENT, OutboxStatus.POSTED_BY_HAND, OutboxStatus.CANCELLED)
                ],
            ),
        ]
        return self.render_to_response(
            {
                "clinic": self.clinic,
                "groups": groups,
                "can_write": self.access.can(Permission.WRITE),
                "me": self.request.user.pk,
                # a refusal is shown on the card it is about, with what was typed kept
                "card_error": card_error or {},
                "typed": self.request.POST if card_error else {},
                "just_posted": next(
                    (
                        i
                        for i in items
                        if i.pk == posted and i.status == OutboxStatus.POSTED_BY_HAND
                    ),
                    None,
                ),
            },
            status=status,
        )

    def post(self, request, *args, **kwargs):
        item_id = int_param(request.POST, "item")
        action = request.POST.get("action")
        try:
            if item_id and action == "mark_posted":
                outbox_mark_posted(
                    item_id=item_id,
                    access=self.access,
                    url=request.POST.get("url", ""),
                    note=request.POST.get("note", ""),
                    external_id=request.POST.get("external_id", ""),
                )
                # said where the page opens, not at its top (`get`)
                return HttpResponseRedirect(f"{request.path}?posted={item_id}#just-posted")
            if item_id and action == "retry":
                outbox_retry(item_id=item_id, access=self.access)
                messages.success(request, "Queued again.")
            else:
                messages.error(request, "Unknown action.")
        except DomainError as exc:
            if item_id and exc.status_code != 404:
                return self._page(card_error={"id": item_id, "text": exc.text()},
                                  status=exc.status_code)  # fmt: skip
            _error(request, exc)
        return HttpResponseRedirect(request.path)


_BY_REACH = (OutboxStatus.MANUAL, OutboxStatus.FAILED)


def _public_entry(statement, versions: list[dict], *, current_id, clinic: Clinic, tz) -> dict:
    shown = statement.published_version
    earlier = [v for v in versions if v["number"] != shown.number]
    first = min([v["published_at"] for v in versions] or [statement.published_at])
    if statement.pk == current_id:
        state = "current"
    elif statement.is_pinned:
        state = "superseded"
    else:
        state = "withdrawn"
    return {
        "statement": statement,
        "version": shown,
        "state": state,
        "published": timezone.localtime(statement.published_at, tz),
        "first_published": timezone.localtime(first, tz),
        "withdrawn": timezone.localtime(statement.unpinned_at, tz)
        if statement.unpinned_at
        else None,
        "earlier": [
            {**v, "published_at": timezone.localtime(v["published_at"], tz)} for v in earlier
        ],
        "permalink": f"/statements/{clinic.slug}/{statement.pk}/",
        "permalink_full": f"{settings.PUBLIC_BASE_URL}/statements/{clinic.slug}/{statement.pk}/",
    }


class PublicStatementsView(View):
    """/statements/<clinic-slug>/ (every statement) and /statements/<clinic-slug>/<id>/ (one
    statement's own page, a stable address to link from replies): for anyone, without signing
    in. The current statement (the newest pinned) comes first with its earlier versions folded;
    older ones are marked superseded (or withdrawn, when taken down). Branded with the agency's
    name, logo and colour; times in the clinic's own time zone. A statement taken down
    (unpinned) leaves the page, and its own address then says only that it was withdrawn, with
    a link to the current one. Plain HTML, no scripts. Outside any clinic URL, so it switches
    to the clinic's schema itself. An unknown clinic, a clinic with nothing pinned and a
    statement never published answer the same 404, so that the page tells nobody which
    clinics or drafts exist."""

    http_method_names = ["get", "head"]

    def get(self, request, clinic_slug: str, statement_id: int | None = None):
        clinic = Clinic.objects.select_related("agency").filter(slug=clinic_slug).first()
        if clinic is None:
            raise Http404("No such clinic.")
        tz = clinic_zone(clinic)
        with schema_context(clinic.schema_name):
            statements = statements_ever_public()
            versions = statement_public_versions([s.pk for s in statements])
        pinned = [s for s in statements if s.is_pinned]
        current_id = pinned[0].pk if pinned else None
        entries = [
            _public_entry(s, versions.get(s.pk, []), current_id=current_id, clinic=clinic, tz=tz)
            for s in statements
        ]
        current = next((e for e in entries if e["state"] == "current"), None)
        # the list page answers only while it has a statement that was not withdrawn
        listed = any(e["state"] != "withdrawn" for e in entries)
        if statement_id is None:
            # withdrawn statements are off the page; their own address still answers
            entries = [e for e in entries if e["state"] != "withdrawn"]
        else:
            entries = [e for e in entries if e["statement"].pk == statement_id]
        if not entries:
            raise Http404("No such clinic.")
        agency = clinic.agency
        html = render_to_string(
            "responses/public_statements.html",
            {
                "clinic": clinic,
                "agency": agency,
                "agency_name": agency.display_name or agency.name,
                "logo_uri": logo_data_uri(agency),
                "entries": entries,
                "current": current,
                "single": statement_id is not None,
                "page_url": f"/statements/{clinic.slug}/" if listed else "",
                "zone_name": str(tz),
                "zone_words": zone_words(tz),
            },
            request=None,
        )
        response = HttpResponse(html)
        response["Cache-Control"] = "public, max-age=60"
        return response


class PublicStatementsBrandCssView(View):
    """The agency's colours for the public statement page (no inline style: the CSP). Only
    a clinic whose statement page answers gets them; any other slug, real or not, gets the
    same default, as its page gives the same 404 (a colour would tell the clinic's agency)."""

    http_method_names = ["get", "head"]

    def get(self, request, clinic_slug: str):
        clinic = Clinic.objects.select_related("agency").filter(slug=clinic_slug).first()
        colour = "#1F6FEB"
        if clinic is not None:
            with schema_context(clinic.schema_name):
                if statements_ever_public():
                    colour = clinic.agency.primary_colour
        palette = brand_palette(colour)
        css = (
            f":root{{--brand:{palette['brand']};--on-brand:{palette['on_brand']};"
            f"--brand-text:{palette['brand_text']}}}\n"
        )
        response = HttpResponse(css, content_type="text/css")
        response["Cache-Control"] = "public, max-age=300"
        return response


def staff_names_url(clinic: Clinic) -> str:
    """Where the clinic's staff names are listed and changed (the guard allows them)."""
    return f"/clinics/{clinic.slug}/settings/templates/#staff-names"


class ClinicTemplatesView(SettingsView):
    """Reply templates: the staff names the guard allows in a reply, the built-in library and
    this clinic's own templates (which may replace one)."""

    template_name = "responses/settings_templates.html"
    section = "templates"

    def _render(self, status=200, create=None, edit_errors=None, **extra):
        own = list(ReplyTemplate.objects.order_by("name"))
        edit_forms = [
            (
                t,
                (edit_errors or {}).get(t.pk)
                or TemplateEditForm(
                    initial={
                        "name": t.name,
                        "category": t.category,
                        "body": t.body,
                        "is_active": t.is_active,
                    },
                    prefix=f"t{t.pk}",
                    editing=t.name,
                ),
            )
            for t in own
        ]
        extra.setdefault("staff_names_text", "\n".join(response_settings_get().staff_names))
        return self.render(
            status,
            builtins=[t for t in templates_available() if t["builtin"]],
            own=edit_forms,
            create=create or TemplateCreateForm(),
            **extra,
        )

    def get(self, request, *args, **kwargs):
        # after a save (?checked=<id>): what the privacy check finds in that template, in the
        # reply editor's words, so a template that sends its replies to legal is seen now
        pk = positive_int(request.GET.get("checked"))
        template = ReplyTemplate.objects.filter(pk=pk).first() if pk else None
        if template is None:
            return self._render()
        return self._render(
            checked={"template": template, **template_checked(template, clinic=self.clinic)}
        )

    def _saved(self, request, template: ReplyTemplate, words: str):
        messages.success(request, f"Template “{template.name}” {words}.")
        return HttpResponseRedirect(f"{request.path}?checked={template.pk}#template-check")

    def post(self, request, *args, **kwargs):
        self.staff_only()
        if "staff_names" in request.POST:
            typed = request.POST.get("staff_names", "")
            try:
                staff_names_set(access=self.access, names=typed.splitlines())
            except DomainError as exc:
                _error(request, exc)
                return self._render(exc.status_code, staff_names_text=typed)
            messages.success(request, "Staff names saved; the guard allows them in replies.")
            return HttpResponseRedirect(f"{request.path}#staff-names")
        raw = request.POST.get("template", "")
        if raw:
            pk = positive_int(raw)
            template = ReplyTemplate.objects.filter(pk=pk).first() if pk else None
            if template is None:
                raise Http404("No such template.")
            form = TemplateEditForm(request.POST, prefix=f"t{template.pk}", editing=template.name)
            if form.is_valid():
                try:
                    template = template_update(
                        template_id=template.pk, access=self.access, **form.cleaned_data
                    )
                except DomainError as exc:
                    apply_domain_errors(form, exc)
                else:
                    return self._saved(request, template, "saved")
            return self._render(400, edit_errors={template.pk: form})
        form = TemplateCreateForm(request.POST)
        if form.is_valid():
            try:
                template = template_create(access=self.access, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_errors(form, exc)
            else:
                return self._saved(request, template, "added")
        return self._render(400, create=form)
