"""The whole story of an incident for its post-crisis review, merged from the sources of truth:
the incident's own timeline (detection, notifications, acknowledgements, assignments, status
changes, resolution), the audit trail of the replies, deliveries and private follow-ups of its
mentions and of its statements (drafts, guard findings and overrides, approvals, publications
and failures), the statements' versions, and the in-app notifications about them.

Lines are built generically from what each row says (its kind or action, its statuses by
their labels), so a status or action another part of Carewatch adds later shows up here with
its own words."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.utils import timezone

from agency.branding import brand_name
from clinics.models import Clinic, clinic_zone
from clinics.selectors import notifications_about
from core.branding import as_brand
from core.text import duration_said
from crisis.models import EventKind, Incident, IncidentEvent, IncidentStatement
from crisis.room import event_words, local
from crisis.selectors import (
    batch_version_sizes,
    clinic_own_people_ids,
    incident_events_for_client,
    incident_room_audit,
    incident_statements,
    mentions_named,
    outbox_items_described,
    reply_batch_audit,
    reply_batch_ids,
    reply_batches_of_reviews,
    reply_versions_of,
    review_questions_of,
)
from feeds.models import Review
from feeds.selectors import outages_between
from responses.models import ApprovalStatus, ConversationStatus, OutboxKind, OutboxStatus, Verdict
from responses.selectors import (
    approvals_standing,
    audit_for_texts,
    findings_once,
    reply_ids_for_reviews,
    statement_versions_of,
    versions_sent_to_clinic,
)

# Stable category keys and the words shown for them (a browser test reads the words).
CATEGORIES = {
    "detection": "Detection",
    "notification": "Notification",
    "acknowledgement": "Acknowledgement",
    "assignment": "Assignment",
    "status": "Status",
    "draft": "Draft",
    "guard": "Privacy check",
    "override": "Privacy check lifted or kept",
    "approval": "Approval",
    "publication": "Publication",
    "failure": "Failure",
    "follow_up": "Follow-up",
    "statement": "Statement version",
    "resolution": "Resolution",
    "review": "Review",
    "note": "Note",
    "channel": "Channel",
    "other": "Other",
}

_EVENT_CATEGORY = {
    EventKind.OPENED: "detection",
    EventKind.MENTIONS_ADDED: "detection",
    EventKind.SEVERITY_RAISED: "detection",
    EventKind.ALSO_DETECTED: "detection",
    EventKind.NOTIFIED: "notification",
    EventKind.NOTIFY_FAILED: "failure",
    EventKind.ESCALATED: "notification",
    EventKind.ACKNOWLEDGED: "acknowledgement",
    EventKind.ASSIGNED: "assignment",
    EventKind.NOTE: "note",
    EventKind.REVIEW_DRAFTED: "review",
    EventKind.REVIEW_EDITED: "review",
    EventKind.PLAN_UPDATED: "review",
    EventKind.STATEMENT_DRAFTED: "draft",
}

_OBJECT_LABEL = {
    "reply": "Reply",
    "statement": "Statement",
    "outbox": "Delivery",
    "private_conversation": "Private follow-up",
}
_STATUS_LABELS = {
    "reply": dict(ApprovalStatus.choices),
    "statement": dict(ApprovalStatus.choices),
    "outbox": dict(OutboxStatus.choices),
    "private_conversation": dict(ConversationStatus.choices),
}
_ANY_STATUS = {
    **dict(ConversationStatus.choices),
    **dict(OutboxStatus.choices),
    **dict(ApprovalStatus.choices),
}
_PUBLISH_WORDS = ("publish", "pinned", "posted", "sent", "queued", "cancelled", "by_hand")
_DRAFT_ACTIONS = (
    "created", "edited", "submitted", "discarded", "restored", "reopened", "removed",
    "mention_removed",
)  # fmt: skip


@dataclass
class Line:
    at: datetime
    category: str
    what: str
    who: str = ""
    details: str = ""
    source: str = "incident"
    data: dict = field(default_factory=dict)
    # a note's readers, in the agency's copy: "internal" (the agency only) or "shared" (the
    # clinic reads it too); "" for every other line
    visibility: str = ""

    def as_dict(self) -> dict:
        return {
            "at": self.at.isoformat(),
            "category": self.category,
            "category_label": CATEGORIES.get(self.category, self.category),
            "what": self.what,
            "who": self.who,
            "details": self.details,
            "source": self.source,
            "visibility": self.visibility,
        }


def _words(value: str) -> str:
    return value.replace("_", " ").strip()


def _status(object_type: str, value: str) -> str:
    if not value:
        return ""
    labels = _STATUS_LABELS.get(object_type, _ANY_STATUS)
    return str(labels.get(value) or _ANY_STATUS.get(value) or _words(value))


def _verdict(value: str) -> str:
    return str(Verdict(value).label).lower() if value in Verdict.values else _words(value)


def _event_category(event: IncidentEvent) -> str:
    data = event.data or {}
    if event.kind == EventKind.STATUS_CHANGED or data.get("to"):
        if data.get("to") == "resolved":
            return "resolution"
        if event.kind == EventKind.STATUS_CHANGED:
            return "status"
    if event.kind in _EVENT_CATEGORY:
        return _EVENT_CATEGORY[event.kind]
    kind = event.kind
    for word, category in (
        ("resolv", "resolution"),
        ("fail", "failure"),
        ("follow", "follow_up"),
        ("notif", "notification"),
        ("review", "review"),
    ):
        if word in kind:
            return category
    return "other"


def _audit_category(entry) -> str:
    # a batch's step on each of its mentions' replies is that step ("batch_submitted")
    action = (entry.action or "").removeprefix("batch_")
    object_type = entry.object_type or ""
    if "overrid" in action:  # override, overridden, guard_overridden
        return "override"
    if "fail" in action or entry.to_status == OutboxStatus.FAILED:
        return "failure"
    if "approv" in action or "reject" in action or "changes" in action:
        return "approval"
    if any(word in object_type for word in ("private", "follow", "conversation")):
        return "follow_up"
    if object_type == "outbox" or any(w in action for w in _PUBLISH_WORDS):
        return "publication"
    if action in _DRAFT_ACTIONS:
        return "draft"
    return "other"


def _statement_step(entry, action: str) -> str:
    """A decision on a statement names the version it was taken on ("approved version 2"):
    a statement is rewritten and approved again, and the review must say which text the
    approvers passed. Empty for anything else."""
    if entry.object_type != "statement" or not entry.version:
        return ""
    if _audit_category(entry) != "approval":
        return ""
    return f"{_words(action)} version {entry.version}"


def _audit_line(entry) -> list[Line]:
    object_type = entry.object_type or ""
    label = _OBJECT_LABEL.get(object_type, _words(object_type).capitalize())
    version = f" v{entry.version}" if entry.version else ""
    what = f"{label} #{entry.object_id}{version}: {_words(entry.action)}"
    if step := _statement_step(entry, entry.action or ""):
        what = f"{label} #{entry.object_id}: {step}"
    parts = []
    before, after = _status(object_type, entry.from_status), _status(object_type, entry.to_status)
    if before and after and before != after:
        parts.append(f"{before} → {after}")
    elif after and not before:
        parts.append(after)
    detail = entry.detail or {}
    if detail.get("external_id") or detail.get("post"):
        parts.append(f"platform id {detail.get('external_id') or detail.get('post')}")
    if entry.comment:
        parts.append(entry.comment[:300])
    who = entry.actor_name or entry.actor_label
    lines = [
        Line(
            at=entry.created_at,
            category=_audit_category(entry),
            what=what,
            who=who,
            details=" · ".join(parts),
            source="audit",
        )
    ]
    verdict = detail.get("verdict")
    if verdict and verdict != Verdict.OK:
        findings = detail.get("findings")
        lines.append(
            Line(
                at=entry.created_at,
                category="guard",
                what=f"{label} #{entry.object_id}{version}: privacy check {_verdict(verdict)}",
                who="Privacy guard",
                details=f"{findings} finding(s)" if isinstance(findings, int) else "",
                source="audit",
            )
        )
    return lines


# What the clinic reads of the replies' and statements' audit in the review sent to it: the
# decisions people took (approvals and guard overrides), what the privacy check found, what
# went out in public and what could not go out (a failed delivery is a fact about the
# response; the connector's reason is the agency's plumbing and stays out). Not the drafts,
# deliveries in progress and notices that got them there ("Reply #1 v1: created", "Delivery #1
# v1: queued", "Told 1 person"), and nothing of a version the clinic never saw: the agency's
# drafts (`responses.selectors.versions_sent_to_clinic`, the rule of the portal's "the
# agency's earlier drafts were not sent to the clinic").
CLIENT_CATEGORIES = ("approval", "override", "publication", "failure", "guard")
CLIENT_OBJECTS = ("reply", "statement")
# A batch's step on each of its mentions' replies, or the deliveries of its replies to one
# platform, become one line while they follow each other within this gap.
GROUP_GAP = timedelta(minutes=15)
# legal's decisions on the privacy check's block of a version
_LIFTED, _KEPT = "guard_overridden", "override_refused"
# what went out under a version: the clinic reads it whether or not it was sent the version
_OUT = (ApprovalStatus.APPROVED, ApprovalStatus.PUBLISHED)


def _mentions_words(n: int) -> str:
    return f"Reply to {n} mention{'s' if n != 1 else ''}"


def _delivery_failed(entry) -> bool:
    """A delivery that failed for good (until someone acts), not one retried by itself."""
    return entry.object_type == "outbox" and entry.to_status == OutboxStatus.FAILED


def _delivery_target(entry) -> str:
    return "reply" if (entry.detail or {}).get("kind") == OutboxKind.REPLY else "statement"


def _block_words(action: str, who: str) -> str:
    """Legal's decision on a block, in words: "block lifted by Lee Legal"."""
    if action == _KEPT:
        return f"block kept by {who} and sent back to its writer"
    return f"block lifted by {who}"


@dataclass
class _ClinicCopy:
    """What the clinic's copy needs to word the replies and statements: each mention as its
    people know it, and the versions of each text the clinic saw (sent to one of its steps;
    the version approved, which went out; a version whose block its legal people decided
    on). `with_internal`: the agency's own page keeps the rest, marked internal."""

    named: dict[int, str]
    seen: dict[tuple[str, int], set[int]]
    with_internal: bool = False

    def reply_words(self, review_id) -> str:
        named = self.named.get(review_id)
        return f"Reply to {named}" if named else "Reply to a mention"

    def keep(self, line: Line | None, object_type: str, pk, version) -> Line | None:
        """`line` when the clinic saw that version of the text; marked internal on the
        agency's own page otherwise; None when it is left out."""
        if line is None or version is None or version in self.seen.get((object_type, pk), ()):
            return line
        if not self.with_internal:
            return None
        line.visibility = "internal"
        return line


def versions_seen(audit, batch_audit, *, reply_ids, batch_ids, statement_ids) -> dict:
    """(object type, id) -> the numbers of the versions the clinic saw: sent to one of its
    steps (`versions_sent_to_clinic`), approved (they went out under the clinic's name), or
    whose privacy block its legal people lifted or kept."""
    seen: dict[tuple[str, int], set[int]] = {}
    for object_type, ids in (
        ("reply", reply_ids), ("reply_batch", batch_ids), ("statement", statement_ids),
    ):  # fmt: skip
        for pk, versions in versions_sent_to_clinic(object_type, ids).items():
            seen.setdefault((object_type, pk), set()).update(versions)
    for entry in [*audit, *batch_audit]:
        if entry.version is not None and (
            entry.to_status in _OUT or entry.action in (_LIFTED, _KEPT)
        ):
            seen.setdefault((entry.object_type, entry.object_id), set()).add(entry.version)
    return seen


def _client_audit_line(entry, copy: _ClinicCopy, platform: str = "") -> Line | None:
    if _delivery_failed(entry):
        kind = (entry.detail or {}).get("kind")
        if kind == OutboxKind.REPLY:
            what = f"{copy.reply_words(entry.review_id)}: could not be posted on {platform}"
        elif kind == OutboxKind.STATEMENT_POST:
            what = f"Statement: could not be pinned on {platform}"
        else:
            return None
        return Line(at=entry.created_at, category="failure", what=what, source="audit")
    category = _audit_category(entry)
    if entry.object_type not in CLIENT_OBJECTS or category not in CLIENT_CATEGORIES:
        return None
    action = (entry.action or "").removeprefix("batch_")
    words = copy.reply_words(entry.review_id) if entry.object_type == "reply" else "Statement"
    who = entry.actor_name or entry.actor_label
    if action in (_LIFTED, _KEPT):
        line = Line(
            at=entry.created_at,
            category="override",
            what=f"{words}{_version_words(entry.version, None)}: {_block_words(action, who)}",
            who=who,
            details=(entry.comment or "")[:300],
            source="audit",
        )
    else:
        line = Line(
            at=entry.created_at,
            category=category,
            what=f"{words}: {_statement_step(entry, action) or _words(action)}",
            who=who,
            details=(entry.comment or "")[:300],
            source="audit",
        )
    if category == "publication":
        return line  # what went out is public
    return copy.keep(line, entry.object_type, entry.object_id, entry.version)


def _guard_words(*, at, what: str, version, verdict: str, findings, batch_id=None) -> Line:
    found = f"{findings} finding{'s' if findings != 1 else ''}" if isinstance(findings, int) else ""
    said = "blocked it" if verdict == Verdict.BLOCK else f"says {_verdict(verdict)}"
    return Line(
        at=at,
        category="guard",
        what=f"{what}{_version_words(version, batch_id)}: the privacy check {said}",
        who="Privacy guard",
        details=found,
        source="audit",
    )


def _version_words(version, batch_id) -> str:
    words = [f"batch #{batch_id}"] if batch_id else []
    words += [f"version {version}"] if version else []
    return f" ({', '.join(words)})" if words else ""


@dataclass
class _Group:
    key: tuple
    entries: list = field(default_factory=list)


def _grouped(entries, key_of) -> list[_Group]:
    """Entries with the same key (None: on their own) that follow each other within
    `GROUP_GAP` as one group each, in the order of their first entry."""
    groups: list[_Group] = []
    open_groups: dict[tuple, _Group] = {}
    for entry in entries:
        key = key_of(entry)
        if key is None:
            groups.append(_Group(key=(), entries=[entry]))
            continue
        group = open_groups.get(key)
        if group is None or entry.created_at - group.entries[-1].created_at > GROUP_GAP:
            group = open_groups[key] = _Group(key=key)
            groups.append(group)
        group.entries.append(entry)
    return groups


def _batch_line(group: _Group, batch_audit=()) -> Line | None:
    """One line for a batch's step on its replies, or for the deliveries of its replies to
    one platform: "Reply to 14 mentions (batch #3): approved", "3 replies of batch #3 failed
    on Google"."""
    first = group.entries[0]
    batch_id, platform = group.key[0], group.key[-1]
    n = len({e.object_id for e in group.entries})
    action = _words((first.action or "").removeprefix("batch_"))
    who = first.actor_name or first.actor_label
    if first.object_type == "outbox":
        replies = f"{n} repl{'y' if n == 1 else 'ies'}"
        if _delivery_failed(first):
            reasons = list(dict.fromkeys(e.comment for e in group.entries if e.comment))
            return Line(
                at=first.created_at,
                category="failure",
                what=f"{replies} of batch #{batch_id} failed on {platform}",
                who=who,
                details=" · ".join(r[:200] for r in reasons[:3]),
                source="audit",
            )
        return Line(
            at=first.created_at,
            category=_audit_category(first),
            what=f"{replies} of batch #{batch_id} on {platform}: {action}",
            who=who,
            details=_status(first.object_type, first.to_status),
            source="audit",
        )
    category = _audit_category(first)
    parts = []
    before, after = _status("reply", first.from_status), _status("reply", first.to_status)
    if before and after and before != after:
        parts.append(f"{before} → {after}")
    elif after and not before:
        parts.append(after)
    # the reason is on the batch's own entry (a block lifted, a rejection)
    decision = None if first.comment else _batch_decision(batch_audit, first)
    if comment := first.comment or (decision.comment if decision is not None else ""):
        parts.append(comment[:300])
    return Line(
        at=first.created_at,
        category=category,
        what=f"{_mentions_words(n)} (batch #{batch_id}): {action}",
        who=who,
        details=" · ".join(parts),
        source="audit",
    )


def _batch_decision(batch_audit, first) -> object | None:
    """The batch's own entry of the decision its mentions' replies followed (it holds the
    comment): the latest of the batch's entries with the same action by the same person, no
    later than the replies' first entry."""
    action = (first.action or "").removeprefix("batch_")
    action = {"overridden": _LIFTED}.get(action, action)
    found = None
    for entry in batch_audit:
        if entry.created_at > first.created_at:
            break
        if (
            entry.object_id == (first.detail or {}).get("batch_id")
            and entry.action == action
            and entry.actor_label == first.actor_label
        ):
            found = entry
    return found


def _client_batch_line(group: _Group, copy: _ClinicCopy, batch_audit) -> Line | None:
    """A batch's step on its replies in the clinic's words: "Reply to 14 mentions: approved",
    "3 replies could not be posted on Google"; nothing of its drafts, of deliveries in
    progress, nor of a version the clinic never saw. Legal's decisions on its block are the
    batch's own entries (`_client_batch_blocks`), with their reason."""
    first = group.entries[0]
    platform = group.key[-1]
    n = len({e.object_id for e in group.entries})
    if first.object_type == "outbox":
        if not _delivery_failed(first):
            return None
        replies = f"{n} repl{'y' if n == 1 else 'ies'}"
        what = f"{replies} could not be posted on {platform}"
        return Line(at=first.created_at, category="failure", what=what, source="audit")
    category = _audit_category(first)
    action = (first.action or "").removeprefix("batch_")
    if category not in CLIENT_CATEGORIES or category in ("guard", "override"):
        return None
    decision = _batch_decision(batch_audit, first)
    comment = first.comment or (decision.comment if decision is not None else "")
    line = Line(
        at=first.created_at,
        category=category,
        what=f"{_mentions_words(n)}: {_words(action)}",
        who=first.actor_name or first.actor_label,
        details=(comment or "")[:300],
        source="audit",
    )
    if category == "publication":
        return line
    detail = first.detail or {}
    return copy.keep(line, "reply_batch", detail.get("batch_id"), detail.get("batch_version"))


def _client_batch_blocks(batches, batch_audit) -> list[Line]:
    """Legal's decisions on the privacy check's block of a batch's version, with the reason
    (the batch's own entries; its mentions' replies only follow them)."""
    sizes = {
        (batch.pk, version.number): len(version.review_ids)
        for batch in batches
        for version in batch.versions.all()
    }
    lines = []
    for entry in batch_audit:
        if entry.action not in (_LIFTED, _KEPT):
            continue
        who = entry.actor_name or entry.actor_label
        n = sizes.get((entry.object_id, entry.version), 0)
        lines.append(
            Line(
                at=entry.created_at,
                category="override",
                what=f"{_mentions_words(n)}{_version_words(entry.version, None)}: "
                f"{_block_words(entry.action, who)}",
                who=who,
                details=(entry.comment or "")[:300],
                source="batch",
            )
        )
    return lines


def _batch_guard_lines(batches, *, copy: _ClinicCopy | None = None) -> list[Line]:
    """The privacy check's verdict on each version of these batches that it did not pass:
    one line per version, not one per mention. `copy`: in the clinic's words, without the
    versions the clinic never saw."""
    lines = []
    for batch in batches:
        for version in batch.versions.all():
            if version.guard_verdict in (Verdict.OK, ""):
                continue
            findings = len(findings_once(version.guard_findings or []))
            line = _guard_words(
                at=version.created_at,
                what=_mentions_words(len(version.review_ids)),
                batch_id=None if copy is not None else batch.pk,
                version=version.number,
                verdict=version.guard_verdict,
                findings=findings,
            )
            line.source = "batch_version"
            if copy is not None:
                line = copy.keep(line, "reply_batch", batch.pk, version.number)
            if line is not None:
                lines.append(line)
    return lines


def _audit_lines(audit, batches, *, copy: _ClinicCopy | None = None, batch_audit=()) -> list[Line]:
    """The audit of the replies, deliveries and statements as timeline lines: a batch's step
    on each of its mentions' replies, and the deliveries of its replies to one platform,
    collapsed into one line. `copy`: the clinic's copy (`_ClinicCopy`)."""
    outbox = outbox_items_described(e.object_id for e in audit if e.object_type == "outbox")
    batch_ids = reply_batch_ids(e.object_id for e in audit if e.object_type == "reply")

    def batch_of(entry) -> int | None:
        if entry.object_type == "reply":
            return batch_ids.get(entry.object_id) or (entry.detail or {}).get("batch_id")
        if entry.object_type == "outbox":
            return (outbox.get(entry.object_id) or {}).get("batch_id")
        return None

    def platform_of(entry) -> str:
        """A delivery's platform (only an outbox entry's object id is an outbox item's id)."""
        if entry.object_type != "outbox":
            return ""
        return (outbox.get(entry.object_id) or {}).get("platform", "")

    def key_of(entry) -> tuple | None:
        batch_id = batch_of(entry)
        if batch_id is None:
            return None
        action = (entry.action or "").removeprefix("batch_")
        return (
            batch_id, entry.object_type, action, entry.to_status, entry.actor_label,
            platform_of(entry),
        )  # fmt: skip

    lines: list[Line] = []
    verdicts: dict[tuple, str] = {}  # the privacy check's last verdict said of each version
    for group in _grouped(audit, key_of):
        if group.key:
            line = (
                _batch_line(group, batch_audit)
                if copy is None
                else _client_batch_line(group, copy, batch_audit)
            )
            if line is not None:
                lines.append(line)
            continue
        [entry] = group.entries
        if copy is not None:
            if (line := _client_audit_line(entry, copy, platform_of(entry))) is not None:
                lines.append(line)
            continue
        if entry.object_type == "statement" and entry.action in ("created", "edited"):
            continue  # the statement's versions say it, with their title
        found = _audit_line(entry)
        # a version's verdict once (and again only if it changed), not beside each step taken
        # on it: a block legal lifted is not "blocked" again at every approval
        key = (entry.object_type, entry.object_id, entry.version)
        verdict = (entry.detail or {}).get("verdict")
        if verdict and verdicts.get(key) == verdict:
            found = [line for line in found if line.category != "guard"]
        if verdict:
            verdicts[key] = verdict
        lines.extend(found)
    return lines + _batch_guard_lines(batches, copy=copy)


def _client_guard_lines(copy: _ClinicCopy, replies, statement_versions) -> list[Line]:
    """The privacy check's verdict on each version of the replies of their own (a batch's
    versions say theirs) and of the statements that it did not pass, once per version, at
    the time it was written: never again beside each approval of it. What legal decided on
    the block follows it (`_client_audit_line`)."""
    lines = []
    for version in replies:
        if version.guard_verdict in (Verdict.OK, ""):
            continue
        line = _guard_words(
            at=version.created_at,
            what=copy.reply_words(version.draft.review_id),
            version=version.number,
            verdict=version.guard_verdict,
            findings=len(findings_once(version.guard_findings or [])),
        )
        if (line := copy.keep(line, "reply", version.draft_id, version.number)) is not None:
            lines.append(line)
    for version in statement_versions:
        if version.guard_verdict in (Verdict.OK, ""):
            continue
        line = _guard_words(
            at=version.created_at,
            what="Statement",
            version=version.number,
            verdict=version.guard_verdict,
            findings=len(version.guard_findings or []),
        )
        if line := copy.keep(line, "statement", version.statement_id, version.number):
            lines.append(line)
    return lines


def _question_lines(incident: Incident, clinic: Clinic, *, for_client: bool) -> list[Line]:
    """The clinic's questions or corrections on the post-crisis review and the agency's
    answers (`crisis.services.review_questions`), both sides read them: the agency's timeline
    says the clinic asked and who answered; the clinic's copy says the question went to its
    agency (by its brand) and what the agency answered (once: an answer is never replaced)."""
    brand = brand_name(clinic.agency)
    lines = []
    for question in review_questions_of(incident):
        lines.append(
            Line(
                at=question.created_at,
                category="review",
                what=f"Question for {brand} on the post-crisis review"
                if for_client
                else f"{clinic.name} asked about the post-crisis review",
                who=question.asked_by_name,
                details=question.text,
                source="review_question",
            )
        )
        if question.answered_at is not None:
            lines.append(
                Line(
                    at=question.answered_at,
                    category="review",
                    what=f"{brand} answered the question on the post-crisis review"
                    if for_client
                    else f"Answered {clinic.name}'s question on the post-crisis review",
                    who=question.answered_by_name,
                    details=question.answer,
                    source="review_question",
                )
            )
    return lines


def _note_visibility(event: IncidentEvent) -> str:
    if event.kind != EventKind.NOTE:
        return ""
    return "shared" if event.shared_with_clinic else "internal"


def _event_line(
    event: IncidentEvent, tz, clinic: Clinic, *, for_client: bool, clinic_people=frozenset()
) -> Line:
    return Line(
        at=event.at,
        category=_event_category(event),
        what=str(event.get_kind_display()),
        who=event.actor,
        # the clinic's copy says the trigger in words, as its portal does (crisis.room)
        details=event_words(event, tz, clinic_name=clinic.name, clinic_people=clinic_people)
        if for_client
        else event.message,
        visibility=_note_visibility(event) if not for_client else "",
    )


def _statement_version_lines(versions) -> list[Line]:
    lines = []
    for version in versions:
        lines.append(
            Line(
                at=version.created_at,
                category="statement",
                what=f"Statement #{version.statement_id} version {version.number}: {version.title}",
                who=version.author_name or version.author_label,
                details=f"Privacy check: {_verdict(version.guard_verdict)}",
                source="statement_version",
            )
        )
        if version.guard_verdict not in (Verdict.OK, ""):
            lines.append(
                Line(
                    at=version.created_at,
                    category="guard",
                    what=f"Statement #{version.statement_id} v{version.number}: privacy check "
                    f"{_verdict(version.guard_verdict)}",
                    who="Privacy guard",
                    details=f"{len(version.guard_findings or [])} finding(s)",
                    source="statement_version",
                )
            )
    return lines


def _notification_lines(notes) -> list[Line]:
    """The in-app notices about the replies and statements: one line per thing, title and
    minute ("Told 3 people: …")."""
    groups: dict[tuple, list] = {}
    for note in notes:
        key = (note.ref, note.title, note.created_at.replace(second=0, microsecond=0))
        groups.setdefault(key, []).append(note)
    lines = []
    for (_, title, _), told in groups.items():
        names = ", ".join(n.user.full_name or n.user.email for n in told)
        lines.append(
            Line(
                at=told[0].created_at,
                category="notification",
                what=f"Told {len(told)} {'person' if len(told) == 1 else 'people'}: {title}",
                who="Carewatch",
                details=names,
                source="notification",
            )
        )
    return lines


def _outage_lines(incident: Incident, *, for_client: bool) -> list[Line]:
    """A channel that stopped delivering while the crisis ran (`feeds.SourceOutage`, from the
    first mention to the resolution, or now): when it stopped, why and who did it, and when it
    came back. The clinic's copy says only that its reviews and mentions stopped arriving and
    when they came again (the agency's plumbing stays out, as its failure lines do)."""
    first = (
        Review.objects.filter(incidents=incident)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    start = min(first, incident.opened_at) if first else incident.opened_at
    end = incident.resolved_at or timezone.now()
    lines = []
    for outage in outages_between(start, end):
        name = outage.source.name
        if for_client:
            lines.append(
                Line(
                    outage.started_at,
                    "channel",
                    f"{name}: new reviews and mentions stopped arriving",
                )
            )
        else:
            lines.append(
                Line(
                    outage.started_at,
                    "channel",
                    f"{name} stopped delivering: {outage.get_kind_display().lower()}",
                    who=outage.started_by,
                    details=outage.detail,
                )
            )
        if outage.ended_at and outage.ended_at <= end:
            down = duration_said((outage.ended_at - outage.started_at).total_seconds() / 60)
            what = (
                f"{name}: reviews and mentions arriving again, after {down}"
                if for_client
                else f"{name} delivering again, after {down} down"
            )
            lines.append(Line(outage.ended_at, "channel", what))
    return lines


def review_timeline(
    incident: Incident,
    clinic: Clinic,
    *,
    for_client: bool = False,
    with_internal: bool = False,
) -> list[dict]:
    """Every event of the incident and of what was done for it, oldest first; a batch's step
    on its many replies is one line ("Reply to 14 mentions: approved"), and so are the
    failures of its deliveries to one platform. `for_client`: the timeline of the review the
    clinic receives — the incident's events without the agency's plumbing (the portal's rule,
    `incident_events_for_client`), and of the replies and statements the decisions, the
    privacy check's verdicts (once per version), what went out in public and what could not
    (without the connector's reasons); each reply of its own names the mention it answers,
    and nothing is said of a version the clinic never saw (the agency's drafts).
    `with_internal` (with `for_client`): the agency's own page of that document keeps the
    lines of those drafts, each marked `visibility` "internal". Both copies end with the
    clinic's questions on the review and the agency's answers (`_question_lines`)."""
    events = (
        incident_events_for_client(incident)
        if for_client
        else IncidentEvent.objects.filter(incident=incident).order_by("at", "id")
    )
    tz = clinic_zone(clinic)
    clinic_people = clinic_own_people_ids(clinic) if for_client else frozenset()
    lines: list[Line] = [
        _event_line(event, tz, clinic, for_client=for_client, clinic_people=clinic_people)
        for event in events
    ]
    review_ids = list(incident.links.values_list("review_id", flat=True))
    statement_ids = list(
        IncidentStatement.objects.filter(incident=incident).values_list("statement_id", flat=True)
    )
    audit = audit_for_texts(review_ids=review_ids, statement_ids=statement_ids)
    batches = reply_batches_of_reviews(review_ids)
    if for_client:
        reply_ids = reply_ids_for_reviews(review_ids)
        in_batches = reply_batch_ids(reply_ids)
        batch_audit = reply_batch_audit(b.pk for b in batches)
        copy = _ClinicCopy(
            named=mentions_named(review_ids, tz),
            seen=versions_seen(
                audit,
                batch_audit,
                reply_ids=reply_ids,
                batch_ids=[b.pk for b in batches],
                statement_ids=statement_ids,
            ),
            with_internal=with_internal,
        )
        lines += _audit_lines(audit, batches, copy=copy, batch_audit=batch_audit)
        lines += _client_batch_blocks(batches, batch_audit)
        lines += _client_guard_lines(
            copy,
            reply_versions_of(pk for pk in reply_ids if pk not in in_batches),
            statement_versions_of(statement_ids),
        )
        lines += _question_lines(incident, clinic, for_client=True)
        lines += _outage_lines(incident, for_client=True)
        # a version's verdict, written with it, comes before what was decided on it
        lines.sort(key=lambda line: (line.at, line.category != "guard"))
        # the product's own parts ("Carewatch detectors") named after the agency, as the
        # clinic knows it (its portal does the same)
        brand = brand_name(clinic.agency)
        return [replace(line, who=as_brand(line.who or "", brand)).as_dict() for line in lines]
    lines += _audit_lines(audit, batches, batch_audit=reply_batch_audit(b.pk for b in batches))
    lines += _statement_version_lines(statement_versions_of(statement_ids))
    refs = [f"reply:{pk}" for pk in reply_ids_for_reviews(review_ids)]
    refs += [f"statement:{pk}" for pk in statement_ids]
    lines += _notification_lines(notifications_about(clinic, refs))
    lines += _question_lines(incident, clinic, for_client=False)
    lines += _outage_lines(incident, for_client=False)
    lines.sort(key=lambda line: line.at)
    return [line.as_dict() for line in lines]


# --- the incident room: the latest lines, paged back ----------------------------------------

# The room shows this many of the timeline's newest events and audit entries at a time; "Show
# older" pages back. A line may stand for several entries (a batch's step, one person's same
# step on several replies), so a page has at most this many lines.
ROOM_LINES = 100


@dataclass
class RoomTimeline:
    """One page of the room's timeline: `lines` (dicts as `Line.as_dict`, oldest first), how
    many events and audit entries are older (`older`), and where the older ones end
    (`since`: pass it as `before` for the page before; None on the first page of all)."""

    lines: list[dict]
    older: int
    since: datetime | None


def _room_reply_lines(entries) -> list[Line]:
    """The steps of replies of their own: one person's same step on several replies within
    `GROUP_GAP` of each other is one line ("12 replies: approved", their numbers in the
    details); a step on one reply is its own line (`_audit_line`)."""

    def key_of(entry) -> tuple:
        return (entry.action, entry.to_status, entry.actor_label)

    lines: list[Line] = []
    for group in _grouped(entries, key_of):
        if len(group.entries) == 1:
            lines.extend(_audit_line(group.entries[0]))
            continue
        first = group.entries[0]
        ids = list(dict.fromkeys(e.object_id for e in group.entries))
        shown = ", ".join(f"#{pk}" for pk in ids[:20]) + (" …" if len(ids) > 20 else "")
        status = _status("reply", first.to_status)
        lines.append(
            Line(
                at=first.created_at,
                category=_audit_category(first),
                what=f"{len(ids)} replies: {_words(first.action)}",
                who=first.actor_name or first.actor_label,
                details=" · ".join(filter(None, [status, f"replies {shown}"])),
                source="audit",
            )
        )
        for entry in group.entries:  # what the privacy check said is never folded away
            lines.extend(line for line in _audit_line(entry)[1:])
    return lines


def _room_batch_lines(entries) -> list[Line]:
    """A batch's own steps, one line each with the mentions its version answered: "Reply to
    16 mentions (batch #3): approved"."""
    sizes = batch_version_sizes({e.object_id for e in entries})
    lines = []
    for entry in entries:
        parts = []
        before = _status("reply", entry.from_status)
        after = _status("reply", entry.to_status)
        if before and after and before != after:
            parts.append(f"{before} → {after}")
        elif after and not before:
            parts.append(after)
        if entry.comment:
            parts.append(entry.comment[:300])
        n = sizes.get((entry.object_id, entry.version), 0)
        what = f"{_mentions_words(n)} (batch #{entry.object_id}): {_words(entry.action)}"
        who = entry.actor_name or entry.actor_label
        if entry.action in (_LIFTED, _KEPT):
            what = f"{_mentions_words(n)} (batch #{entry.object_id}): {_block_words(entry.action, who)}"
        lines.append(
            Line(
                at=entry.created_at,
                category=_audit_category(entry),
                what=what,
                who=who,
                details=" · ".join(parts),
                source="batch",
            )
        )
    return lines


def room_timeline(
    incident: Incident, clinic: Clinic, *, before: datetime | None = None, limit: int = ROOM_LINES
) -> RoomTimeline:
    """The latest `limit` events and audit entries of the incident room's timeline before
    `before` (all of them when None), as lines, oldest first: the incident's events, its
    replies', deliveries' and statements' steps, the statements' versions, the notices about
    them and the clinic's questions on the review, as the post-crisis review says them
    (`review_timeline`, which keeps every line: it is a document), the channels that stopped
    and came back while it ran, with a batch's step said
    once from the batch's own trail and one person's same step on several replies folded into
    one line. Its cost does not grow with the incident's size: a fixed number of queries, each
    reading at most `limit` rows of the events and the audit (plus the notices, versions and
    questions of that stretch of time)."""
    events = IncidentEvent.objects.filter(incident=incident)
    audit = incident_room_audit(incident)
    if before is not None:
        events, audit = events.filter(at__lt=before), audit.filter(created_at__lt=before)
    stamps = (
        events.values_list("at", flat=True)
        .union(audit.values_list("created_at", flat=True), all=True)
        .order_by("-at")
    )
    since = next(iter(stamps[limit - 1 : limit]), None)
    older = 0
    if since is not None:
        events, audit = events.filter(at__gte=since), audit.filter(created_at__gte=since)
        older = (
            IncidentEvent.objects.filter(incident=incident, at__lt=since).count()
            + incident_room_audit(incident).filter(created_at__lt=since).count()
        )

    def within(at: datetime) -> bool:
        return (since is None or at >= since) and (before is None or at < before)

    tz = clinic_zone(clinic)
    lines = [
        _event_line(event, tz, clinic, for_client=False) for event in events.order_by("at", "id")
    ]
    entries = list(audit.order_by("created_at", "id"))
    batch_own = [e for e in entries if e.object_type == "reply_batch"]
    batched = reply_batch_ids(e.object_id for e in entries if e.object_type == "reply")
    singles = [e for e in entries if e.object_type == "reply" and e.object_id not in batched]
    taken = {e.pk for e in singles}
    rest = [e for e in entries if e.object_type != "reply_batch" and e.pk not in taken]
    lines += _room_batch_lines(batch_own)
    lines += _room_reply_lines(singles)
    lines += _audit_lines(rest, ())
    statement_ids = list(
        IncidentStatement.objects.filter(incident=incident).values_list("statement_id", flat=True)
    )
    lines += _statement_version_lines(
        v for v in statement_versions_of(statement_ids) if within(v.created_at)
    )
    reviews = incident.links.values_list("review_id", flat=True)
    refs = [f"reply:{pk}" for pk in reply_ids_for_reviews(reviews)]
    refs += [f"statement:{pk}" for pk in statement_ids]
    notes = notifications_about(clinic, refs)
    notes = notes.filter(created_at__gte=since) if since is not None else notes
    notes = notes.filter(created_at__lt=before) if before is not None else notes
    lines += _notification_lines(notes)
    lines += [
        line for line in _question_lines(incident, clinic, for_client=False) if within(line.at)
    ]
    # a channel that stopped and came back while it ran (the callout above the room says only
    # what is down now)
    lines += [line for line in _outage_lines(incident, for_client=False) if within(line.at)]
    lines.sort(key=lambda line: line.at)
    return RoomTimeline(lines=[line.as_dict() for line in lines], older=older, since=since)


# --- the clinic's incident page: what went out in public -------------------------------------

_STEP_FOR = {
    "agency": "for your agency",
    "legal": "for the legal review",
    "clinician": "for the clinical review",
    "client": "for the clinic",
}


def _approvers(entries, final) -> str:
    """Who approved the version `final` made approved, at which step, since it was last
    submitted: "Olivia Owner for your agency and Avery Approver for the clinic"."""
    since = [
        e
        for e in entries
        if e.object_id == final.object_id and e.version == final.version and e.pk <= final.pk
    ]
    said = [
        f"{e.actor_name or e.actor_label} {_STEP_FOR.get((e.detail or {}).get('step'), '')}".strip()
        for e in approvals_standing(since)  # an approval taken back is not one of them
    ]
    return " and ".join(filter(None, [", ".join(said[:-1]), said[-1]])) if said else ""


def clinic_response_steps(
    incident: Incident, clinic: Clinic, *, for_agency: bool = False
) -> list[dict]:
    """What the incident's timeline in the clinic's portal adds to its events, in the
    clinic's words: each statement drafted from it approved (by whom, for whom), published
    on the public statement page (with links to it), taken down; and the replies to its
    mentions published, counted ("12 replies published, 5 of them posted by hand by your
    agency"); the clinic's questions on the post-crisis review and the agency's answers. Each:
    {"at", "kind", "title", "text", "actor", "links": [(url, words)]}, oldest first.
    `for_agency`: the same steps in the agency's words (the API's agency copy adds them to
    its events, so an agency mirror learns what the clinic's copy says), without links."""
    tz = clinic_zone(clinic)
    statements = {st.pk: st for st in incident_statements(incident)}
    review_ids = list(incident.links.values_list("review_id", flat=True))
    audit = audit_for_texts(review_ids=review_ids, statement_ids=list(statements))
    titles = {(v.statement_id, v.number): v.title for v in statement_versions_of(statements)}
    said = [e for e in audit if e.object_type == "statement" and e.object_id in statements]
    page = f"{clinic.name}'s public statement page" if for_agency else "your public statement page"
    steps = []
    for entry in said:
        statement = statements[entry.object_id]
        title = titles.get((entry.object_id, entry.version)) or statement.title
        named = f"“{title}”" + (f" (version {entry.version})" if entry.version else "")
        links = []
        if entry.to_status == ApprovalStatus.APPROVED and entry.action == "approved":
            who = _approvers(said, entry)
            text = f"{named} was approved" + (f" by {who}." if who else ".")
            steps.append({"at": entry.created_at, "kind": "statement_approved",
                          "title": "Statement approved", "text": text, "actor": "",
                          "links": links})  # fmt: skip
        elif entry.action == "published":
            text = f"{named} was published on {page}"
            links.append((f"/clinics/{clinic.slug}/portal/statements/", "Read it in Statements"))
            if statement.is_pinned and statement.published_version_id is not None:
                links.append((f"/statements/{clinic.slug}/{statement.pk}/", "Open its public page"))
            else:
                text += " (it has since been taken down)"
            steps.append({"at": entry.created_at, "kind": "statement_published",
                          "title": "Statement published",
                          "text": f"{text}.", "actor": entry.actor_name, "links": links})  # fmt: skip
        elif entry.action == "unpinned":
            steps.append({"at": entry.created_at, "kind": "statement_taken_down",
                          "title": "Statement taken down",
                          "text": f"{named} was taken down from {page}.",
                          "actor": entry.actor_name, "links": links})  # fmt: skip
    published = {
        e.object_id: e for e in audit if e.object_type == "reply" and e.action == "published"
    }
    if published:
        entries = sorted(published.values(), key=lambda e: e.created_at)
        n = len(entries)
        by_hand = sum(1 for e in entries if (e.detail or {}).get("by_hand"))
        text = f"{n} repl{'y' if n == 1 else 'ies'} to this incident's mentions published"
        if by_hand:
            agency = "" if for_agency else " by your agency"
            text += (
                f", {'it' if n == 1 else f'{by_hand} of them'} posted by hand{agency}"
                if by_hand < n or n == 1
                else f", all posted by hand{agency}"
            )
        first, last = local(entries[0].created_at, tz), local(entries[-1].created_at, tz)
        text += f" (the first {first}, the last {last})." if n > 1 else f" ({first})."
        steps.append({"at": entries[-1].created_at, "kind": "replies_published",
                      "title": "Replies published", "text": text, "actor": "",
                      "links": []})  # fmt: skip
    # the clinic's questions on the post-crisis review and its agency's answers, as the
    # review's copy words them (`_question_lines`), linked to the question on the review
    brand = brand_name(clinic.agency)
    review = f"/clinics/{clinic.slug}/portal/incidents/{incident.pk}/review/"
    asked, answered = (
        (f"{clinic.name} asked about the post-crisis review", "Answered on the post-crisis review")
        if for_agency
        else (f"Question for {brand}", f"{brand} answered")
    )
    for question in review_questions_of(incident):
        links = [(f"{review}#question-{question.pk}", "Read it with the review")]
        steps.append({"at": question.created_at, "kind": "review_question", "title": asked,
                      "text": question.text, "actor": question.asked_by_name,
                      "links": links})  # fmt: skip
        if question.answered_at is not None:
            steps.append({"at": question.answered_at, "kind": "review_answer",
                          "title": answered,
                          "text": question.answer, "actor": question.answered_by_name,
                          "links": links})  # fmt: skip
    steps.sort(key=lambda step: step["at"])
    if for_agency:
        for step in steps:
            step["links"] = []
    return steps


def clinic_incident_lines(incident: Incident, clinic: Clinic) -> list[dict]:
    """The incident's timeline as the clinic reads it, in its portal and in the API to its own
    people and keys: its events without the agency's plumbing (`incident_events_for_client`),
    the trigger in words and who was alerted without naming the agency's people (times in the
    clinic's zone: the statistics stay in the agency's room), then what went out in public
    (`clinic_response_steps`); the product's own parts ("Carewatch detectors") named after the
    agency, as the clinic knows it. Each {"at", "kind", "title", "text", "actor", "links",
    "event_id" (None for a response step), "shared_with_clinic"}, oldest first."""
    tz, name = clinic_zone(clinic), clinic.name
    ours = clinic_own_people_ids(clinic)
    lines = [
        {
            "at": event.at,
            "kind": event.kind,
            "title": event.get_kind_display(),
            "text": event_words(event, tz, clinic_name=name, clinic_people=ours),
            "actor": event.actor,
            "links": [],
            "event_id": event.pk,
            "shared_with_clinic": event.shared_with_clinic,
        }
        for event in incident_events_for_client(incident)
    ]
    lines += [
        {**step, "event_id": None, "shared_with_clinic": True}
        for step in clinic_response_steps(incident, clinic)
    ]
    lines.sort(key=lambda line: line["at"])
    brand = brand_name(clinic.agency)
    for line in lines:
        line["actor"] = as_brand(line["actor"] or "", brand)
    return lines


def after_title(title: str, text: str) -> str:
    """What a timeline line says after its bold title, without saying the title twice: a
    text that starts with it ("Opened (critical): 38 negative…" under "Opened") goes on from
    there (" (critical): 38 negative…"); any other text follows a dash (" — Comms / PR: …")."""
    if title and text[: len(title)].casefold() == title.casefold():
        rest = text[len(title) :]
        if not rest or not rest[0].isalnum():  # "Opened (…" or "Opened:", not "Openedness"
            return rest
    return f" — {text}" if text else ""


def clinic_incident_assignments(incident: Incident, clinic: Clinic) -> list[dict]:
    """Who holds each crisis role of the incident as the clinic reads it (the API to its own
    people and keys), as its portal names the agency: a role held by one of the clinic's own
    people names them; one held by the agency's staff names the agency by its brand, with no
    user id (the portal never names the agency's people). Each {"role", "user_id",
    "user_label", "updated_at"}; `incident.assignments` may be prefetched."""
    ours = clinic_own_people_ids(clinic)
    brand = brand_name(clinic.agency)
    return [
        {
            "role": a.role,
            "user_id": a.user_id if a.user_id in ours else None,
            "user_label": a.user_label if a.user_id in ours else brand,
            "updated_at": a.updated_at,
        }
        for a in incident.assignments.all()
    ]
