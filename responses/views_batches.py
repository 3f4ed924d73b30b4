"""Pages of one answer for many: start a reply batch (from a claim in the inbox or the
incident room, or from a selection of mentions), and the batch page: its text, its mentions
with each one's reply and publishing status, and its approval steps."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.views.generic.base import TemplateResponseMixin

from core.errors import DomainError
from core.http import JsonAnswer, int_param, int_params, positive_int
from core.permissions import Permission
from core.views import ClinicView
from responses.models import ApprovalStatus, BatchKind, OutboxStatus, Step
from responses.selectors import (
    GONE,
    audit_for,
    can_act_now,
    findings_once,
    reply_batch_get,
    reply_batch_items,
    reply_batch_tally,
    reply_batch_version,
)
from responses.services import batches as batch_services
from responses.services.approvals import take_back_offered, waiting_for
from responses.services.outbox import source_connection
from responses.services.review_edits import review_changes_each
from responses.services.workflow import STEP_FOR_STATUS, SUBMITTABLE
from responses.views import _error, _next, submitted_tell

STATE_LABELS = {
    "waiting": "Waiting for approval",
    "sending": "Sending",
    "published": "Published",
    "failed": "Failed",
    "by_hand": "To post by hand",
    "removed": "Taken out",
    "withdrawn": "Withdrawn",
}


MAX_TEXT = batch_services.MAX_TEXT  # as the API's batch text


WAITING_FOR_CONNECTION = "Waiting for the connection"


def state_label(state: str, batch) -> str:
    """A mention's state in words; one not yet queued reads as where its batch stands."""
    if state == "waiting":
        if batch.status in (ApprovalStatus.DRAFT, ApprovalStatus.CHANGES_REQUESTED):
            return "Not submitted yet"
        if batch.status == ApprovalStatus.APPROVED:
            return "Approved, to be queued"
    return STATE_LABELS[state]


def batch_url(clinic, batch_id: int) -> str:
    return f"/clinics/{clinic.slug}/replies/batches/{batch_id}/"


class BatchCreateView(ClinicView):
    """POST: a batch from a claim (`cluster_id`) or the mentions ticked (`review`), then its
    page; a refusal goes back where it came from with the reason, nothing created."""

    def post(self, request, *args, **kwargs):
        ids = [pk for pk in map(positive_int, request.POST.getlist("review")) if pk]
        cluster_id = int_param(request.POST, "cluster_id")
        statement_id = int_param(request.POST, "statement_id")
        back = _next(request, f"/clinics/{self.clinic.slug}/inbox/")
        kind, fact_slug = request.POST.get("kind", ""), request.POST.get("fact_slug", "")
        # the pages' one menu (core.answering): "fact:<slug>" | "statement" | "reply"
        answer = request.POST.get("answer", "")
        if answer == "statement":
            kind = BatchKind.STATEMENT
        elif answer == "reply":
            kind = BatchKind.REPLY
        elif answer.startswith("fact:"):
            kind, fact_slug = BatchKind.CORRECTION, answer[5:]
        try:
            batch = batch_services.reply_batch_create(
                access=self.access,
                review_ids=ids or None,
                cluster_id=cluster_id,
                kind=kind,
                text=request.POST.get("text", ""),
                fact_slug=fact_slug,
                statement_id=statement_id,
            )
        except DomainError as exc:
            _error(request, exc)
            return HttpResponseRedirect(back)
        messages.success(request, created_words(batch))
        return HttpResponseRedirect(batch_url(self.clinic, batch.pk))


def created_words(batch) -> str:
    """What a new batch answers, and which mentions of the claim it left out (they already
    have a reply): "One reply drafted for 4 mentions; 14 already have a reply (in batch 1)
    and were left out."."""
    count = len(reply_batch_version(batch).review_ids)
    line = f"One reply drafted for {count} mention{'s' if count != 1 else ''}"
    left_out = getattr(batch, "left_out", [])
    if not left_out:
        return line + "."
    n = len(left_out)
    batches = sorted({m["batch_id"] for m in left_out if m["batch_id"]})
    where = ""
    if batches:
        where = f" (in batch{'es' if len(batches) > 1 else ''} " + ", ".join(map(str, batches))
        where += " and on their own)" if any(not m["batch_id"] for m in left_out) else ")"
    return (
        f"{line}; {n} already {'has' if n == 1 else 'have'} a reply{where} and "
        f"{'was' if n == 1 else 'were'} left out."
    )


class BatchView(TemplateResponseMixin, ClinicView):
    """One batch: edit its text (a new version for every mention), submit it, take a mention
    out; the approval forms for whoever gives the current step; each mention's status."""

    template_name = "responses/batch.html"
    portal_path = "portal/approvals/"

    def _batch(self, batch_id: int):
        batch = reply_batch_get(batch_id)
        if batch is None:
            raise Http404("Not found.")
        return batch

    def get(self, request, batch_id: int, *args, **kwargs):
        return self.render_to_response(self._context(self._batch(batch_id)))

    def _context(self, batch, *, marking: dict | None = None, typed: str | None = None) -> dict:
        """The page; `marking`: the "posted by hand" form as it came back refused (what was
        ticked, the links typed, each mention's error); `typed`: the text of a save or submit
        that was refused, back in the editor (else the current version's)."""
        rows = reply_batch_items(batch, access=self.access)
        advice = {r["item"].pk: r["advice"] for r in rows if r["item"] is not None}
        # a mention edited on its platform after its reply was written (None once published)
        changes = review_changes_each([r["draft"] for r in rows])
        for row in rows:
            row["review_changed"] = changes.get(row["draft"].pk)
            row["label"] = state_label(row["state"], batch)
            row["gone"] = row["state"] in GONE
            item = row["item"]
            if (
                row["state"] == "sending"
                and item is not None
                and item.status == OutboxStatus.PENDING
                and source_connection(item.source)
            ):  # nothing is sent before the channel is connected (as the outbox says it)
                row["label"] = WAITING_FOR_CONNECTION
        tally = [
            {"state": state, "label": state_label(state, batch), "count": n}
            for state, n in reply_batch_tally(rows).items()
            if n
        ]
        waiting = sum(1 for r in rows if r["label"] == WAITING_FOR_CONNECTION)
        for entry in tally:
            if entry["state"] == "sending" and waiting:
                entry["count"] -= waiting
                tally.insert(
                    tally.index(entry) + 1,
                    {"state": "sending", "label": WAITING_FOR_CONNECTION, "count": waiting},
                )
                break
        tally = [t for t in tally if t["count"]]
        step = STEP_FOR_STATUS.get(batch.status)
        version = reply_batch_version(batch)
        editable = batch.status in SUBMITTABLE or batch.status in STEP_FOR_STATUS
        too_long = batch_services.reply_batch_too_long(batch) if editable else []
        over = {t["review"].pk: t for t in too_long}
        for row in rows:
            row["too_long"] = over.get(row["review"].pk) if not row["gone"] else None
        marking = marking or {
            "posted": set(), "links": {}, "ids": {}, "errors": {}, "id_errors": {}, "note": "",
        }  # fmt: skip
        by_hand = [
            {
                "item": item,
                "mention": batch_services.mention_words(item.review),
                "ticked": item.pk in marking["posted"],
                "link": marking["links"].get(item.pk, ""),
                "external_id": marking["ids"].get(item.pk, ""),
                "error": marking["errors"].get(item.pk, ""),
                "id_error": marking["id_errors"].get(item.pk, ""),
                # why it is here, as the row above says it (never a connector's internals)
                "advice": advice.get(item.pk),
            }
            for item in batch_services.reply_batch_by_hand(batch)
        ]
        return {
            "clinic": self.clinic,
            "batch": batch,
            "version": version,
            "text": typed if typed is not None else (version.text if version else ""),
            "findings": findings_once(version.guard_findings if version else []),
            "rows": rows,
            "changed": [r for r in rows if r["review_changed"]],
            "tally": tally,
            "live": [r for r in rows if not r["gone"]],
            # withdrawn since this version was written (their reviews settled): what the
            # approvals given no longer cover
            "withdrawn": [
                r
                for r in rows
                if r["state"] == "withdrawn" and version and r["review"].pk in version.review_ids
            ],
            "step": Step(step).label if step else "",
            "can_act": can_act_now(self.access, batch),
            "waiting": waiting_for("batch", batch),
            "may_take_back": take_back_offered("batch", batch, self.access),
            "can_write": self.access.can(Permission.WRITE),
            "editable": editable,
            "submittable": batch.status in SUBMITTABLE,
            "too_long": too_long,
            "problems_json": json.dumps([t["words"] for t in too_long]),
            "purpose": batch_services.purpose_of(batch),
            "may_override": self.access.can(Permission.LEGAL_OVERRIDE)
            and batch.is_blocked
            and batch.author_label != self.access.actor.label,
            "audit": audit_for("reply_batch", batch.pk),
            "kinds": BatchKind,
            "by_hand": by_hand,
            "marking_note": marking["note"],
            "can_manage": self.access.can(Permission.MANAGE),
            "fix_url": batch_url(self.clinic, batch.pk) + "fix/",
            "legal_asked": batch.is_legal_asked,
        }

    def post(self, request, batch_id: int, *args, **kwargs):
        batch = self._batch(batch_id)
        if request.content_type == "application/json":
            return self._check(request, batch)
        action = request.POST.get("action")
        if action == "mark_posted":
            return self._mark_posted(request, batch)
        expected = int_param(request.POST, "expected_version", zero=True)
        review_id = int_param(request.POST, "review_id") if action == "remove" else None
        try:
            if action == "save":
                batch_services.reply_batch_update(
                    batch_id=batch.pk, access=self.access, text=request.POST.get("text", ""),
                    expected_version=expected,
                )  # fmt: skip
                messages.success(request, "Saved: every mention's reply has the new text.")
            elif action == "submit":
                if request.POST.get("text", "").strip():
                    batch_services.reply_batch_update(
                        batch_id=batch.pk, access=self.access, text=request.POST["text"],
                        expected_version=expected,
                    )  # fmt: skip
                    expected = None
                batch = batch_services.reply_batch_submit(
                    batch_id=batch.pk, access=self.access, expected_version=expected
                )
                submitted_tell(request, "batch", batch)
            elif action == "remove":
                batch_services.reply_batch_mention_remove(
                    batch_id=batch.pk, review_id=review_id or 0,
                    access=self.access, expected_version=expected,
                )  # fmt: skip
                messages.success(request, "Taken out of the batch: it can be answered on its own.")
            elif action == "discard":
                batch_services.reply_batch_discard(batch_id=batch.pk, access=self.access)
                messages.success(request, "Discarded, with every reply it drafted.")
            else:
                messages.error(request, "Unknown action.")
        except DomainError as exc:
            _error(request, exc)
            typed = request.POST.get("text", "")
            if action in ("save", "submit") and typed.strip() and exc.status_code == 400:
                # refused as it reads: the page comes back with the text typed, never lost (a
                # conflict still reloads the newer version, which the writer must see first)
                return self.render_to_response(
                    self._context(self._batch(batch.pk), typed=typed), status=exc.status_code
                )
        return HttpResponseRedirect(batch_url(self.clinic, batch.pk))

    def _mark_posted(self, request, batch):
        """ "I posted them by hand": the ticked replies (every one, with "posted all"), each
        with the link typed beside it, marked posted at once; refused, the page comes back
        (400) with what was typed and each mention's reason, nothing marked."""
        ids = {i.pk for i in batch_services.reply_batch_by_hand(batch)}
        ticked = ids if request.POST.get("all") else set(int_params(request.POST, "posted"))
        links = {pk: request.POST.get(f"url-{pk}", "") for pk in ids}
        typed_ids = {pk: request.POST.get(f"external_id-{pk}", "") for pk in ids}
        note = request.POST.get("note", "")
        try:
            done = batch_services.reply_batch_mark_posted(
                batch_id=batch.pk, access=self.access, note=note,
                links={pk: links.get(pk, "") for pk in ticked},
                external_ids={pk: typed_ids.get(pk, "") for pk in ticked},
            )  # fmt: skip
        except DomainError as exc:
            _error(request, exc)
            # each mention's reason under the field it is about (`url-<id>`, `external_id-<id>`)
            errors: dict[str, dict[int, str]] = {"url": {}, "external_id": {}}
            for key, said in exc.fields.items():
                field, _, pk = key.rpartition("-")
                if field in errors and pk.isdigit():
                    errors[field][int(pk)] = " ".join(map(str, said))
            marking = {
                "posted": ticked, "links": links, "ids": typed_ids, "note": note,
                "errors": errors["url"], "id_errors": errors["external_id"],
            }  # fmt: skip
            return self.render_to_response(
                self._context(self._batch(batch.pk), marking=marking), status=exc.status_code
            )
        n = len(done)
        messages.success(request, f"Marked posted by hand: {n} repl{'y' if n == 1 else 'ies'}.")
        return HttpResponseRedirect(batch_url(self.clinic, batch.pk))

    def _check(self, request, batch) -> JsonAnswer:
        """The live guard of the batch page (`responses_editor.js` posts the typed text here
        as JSON): what `reply_batch_check` says of it. Stores nothing."""
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or len(text) > MAX_TEXT:
            why = (
                f"The text, at most {MAX_TEXT} characters."
                if isinstance(text, str)
                else ("The text to check is required.")
            )
            return JsonAnswer(
                {"detail": "Send the text to check.", "code": "invalid", "fields": {"text": [why]}},
                status=400,
            )
        return JsonAnswer(batch_services.reply_batch_check(batch=batch, text=text))


class BatchFixView(ClinicView):
    """POST (JSON, from `responses_editor.js`, as the single editor's compliance fix): the
    batch page's "Apply all fixes" and "Fix this" (`start`/`end`: one finding's span in
    `text`), as `reply_batch_fix` does them. Stores nothing; 400 with field messages for a
    body it cannot use."""

    def post(self, request, batch_id: int, *args, **kwargs):
        batch = reply_batch_get(batch_id)
        if batch is None:
            raise Http404("Not found.")
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _invalid({"text": ["Send the text to fix, as a JSON object."]})
        text, start, end = body.get("text"), body.get("start"), body.get("end")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            return _invalid({"text": [f"The text to fix, at most {MAX_TEXT} characters."]})
        fields: dict[str, list[str]] = {}
        if (start is None) != (end is None):
            fields["end"] = ["Give both start and end, or neither."]
        elif start is not None and not (
            type(start) is int and type(end) is int and 0 <= start < end <= len(text)
        ):
            fields["end"] = ["start and end: a span of the text (0 ≤ start < end ≤ its length)."]
        if fields:
            return _invalid(fields)
        only = (start, end) if start is not None else None
        return JsonAnswer(batch_services.reply_batch_fix(batch=batch, text=text, only=only))


def _invalid(fields: dict) -> JsonAnswer:
    return JsonAnswer(
        {"detail": "Send the text to fix.", "code": "invalid", "fields": fields}, status=400
    )
