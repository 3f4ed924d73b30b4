"""The whole story of an incident for its post-crisis review, merged from the sources of truth:
the incident's own timeline (detection, notifications, acknowledgements, assignments, status
changes, resolution), the audit trail of the replies, deliveries and private follow-ups of its
mentions and of its statements (drafts, guard findings and overrides, approvals, publications
and failures), the statements' versions, and the in-app notifications about them.

Lines are built generically from what each row says (its kind or action, its statuses by
their labels), so a status or action another part of Carewatch adds later shows up here with
its own words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from clinics.models import Clinic, clinic_zone
from clinics.selectors import notifications_about
from crisis.models import EventKind, Incident, IncidentEvent, IncidentStatement
from crisis.room import event_words
from crisis.selectors import (
    clinic_own_people_ids,
    incident_events_for_client,
    outbox_items_described,
    reply_batch_ids,
    reply_batches_of_reviews,
)
from responses.models import ApprovalStatus, ConversationStatus, OutboxKind, OutboxStatus, Verdict
from responses.selectors import (
    audit_for_texts,
    findings_once,
    reply_ids_for_reviews,
    statement_versions_of,
)

# Stable category keys and the words shown for them (a browser test reads the words).
CATEGORIES = {
    "detection": "Detection",
    "notification": "Notification",
    "acknowledgement": "Acknowledgement",
    "assignment": "Assignment",
    "status": "Status",
    "draft": "Draft",
    "guard": "Guard finding",
    "override": "Guard override",
    "approval": "Approval",
    "publication": "Publication",
    "failure": "Failure",
    "follow_up": "Follow-up",
    "statement": "Statement version",
    "resolution": "Resolution",
    "review": "Review",
    "note": "Note",
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
# v1: queued", "Told 1 person").
CLIENT_CATEGORIES = ("approval", "override", "publication", "failure", "guard")
CLIENT_OBJECTS = ("reply", "statement")
_CLIENT_OBJECT_WORDS = {"reply": "Reply to a mention", "statement": "Statement"}
# A batch's step on each of its mentions' replies, or the deliveries of its replies to one
# platform, become one line while they follow each other within this gap.
GROUP_GAP = timedelta(minutes=15)


def _mentions_words(n: int) -> str:
    return f"Reply to {n} mention{'s' if n != 1 else ''}"


def _delivery_failed(entry) -> bool:
    """A delivery that failed for good (until someone acts), not one retried by itself."""
    return entry.object_type == "outbox" and entry.to_status == OutboxStatus.FAILED


def _delivery_target(entry) -> str:
    return "reply" if (entry.detail or {}).get("kind") == OutboxKind.REPLY else "statement"


def _client_audit_line(entry, platform: str = "") -> Line | None:
    if _delivery_failed(entry):
        kind = (entry.detail or {}).get("kind")
        if kind == OutboxKind.REPLY:
            what = f"Reply to a mention: could not be posted on {platform}"
        elif kind == OutboxKind.STATEMENT_POST:
            what = f"Statement: could not be pinned on {platform}"
        else:
            return None
        return Line(at=entry.created_at, category="failure", what=what, source="audit")
    category = _audit_category(entry)
    if entry.object_type not in CLIENT_OBJECTS or category not in CLIENT_CATEGORIES:
        return None
    action = (entry.action or "").removeprefix("batch_")
    words = _CLIENT_OBJECT_WORDS[entry.object_type]
    return Line(
        at=entry.created_at,
        category=category,
        what=f"{words}: {_statement_step(entry, action) or _words(action)}",
        who=entry.actor_name or entry.actor_label,
        details="" if category == "override" else (entry.comment or "")[:300],
        source="audit",
    )


def _client_guard_line(entry) -> Line | None:
    """The privacy check's verdict on a reply's version, in the clinic's words (how many
    findings, never what they quote)."""
    detail = entry.detail or {}
    verdict = detail.get("verdict")
    if entry.object_type != "reply" or not verdict or verdict == Verdict.OK:
        return None
    return _guard_words(
        at=entry.created_at,
        what=_CLIENT_OBJECT_WORDS["reply"],
        version=entry.version,
        verdict=verdict,
        findings=detail.get("findings"),
    )


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


def _batch_line(group: _Group, *, for_client: bool) -> Line | None:
    """One line for a batch's step on its replies, or for the deliveries of its replies to
    one platform: "Reply to 14 mentions: approved", "3 replies failed on Google"."""
    first = group.entries[0]
    batch_id, platform = group.key[0], group.key[-1]
    n = len({e.object_id for e in group.entries})
    action = _words((first.action or "").removeprefix("batch_"))
    who = first.actor_name or first.actor_label
    if first.object_type == "outbox":
        replies = f"{n} repl{'y' if n == 1 else 'ies'}"
        if _delivery_failed(first):
            what = f"{replies} could not be posted on {platform}"
            if for_client:
                return Line(at=first.created_at, category="failure", what=what, source="audit")
            reasons = list(dict.fromkeys(e.comment for e in group.entries if e.comment))
            return Line(
                at=first.created_at,
                category="failure",
                what=f"{replies} of batch #{batch_id} failed on {platform}",
                who=who,
                details=" · ".join(r[:200] for r in reasons[:3]),
                source="audit",
            )
        if for_client:
            return None
        return Line(
            at=first.created_at,
            category=_audit_category(first),
            what=f"{replies} of batch #{batch_id} on {platform}: {action}",
            who=who,
            details=_status(first.object_type, first.to_status),
            source="audit",
        )
    category = _audit_category(first)
    if for_client:
        if category not in CLIENT_CATEGORIES or category == "guard":
            return None
        return Line(
            at=first.created_at,
            category=category,
            what=f"{_mentions_words(n)}: {action}",
            who=who,
            details="" if category == "override" else (first.comment or "")[:300],
            source="audit",
        )
    parts = []
    before, after = _status("reply", first.from_status), _status("reply", first.to_status)
    if before and after and before != after:
        parts.append(f"{before} → {after}")
    elif after and not before:
        parts.append(after)
    if first.comment:
        parts.append(first.comment[:300])
    return Line(
        at=first.created_at,
        category=category,
        what=f"{_mentions_words(n)} (batch #{batch_id}): {action}",
        who=who,
        details=" · ".join(parts),
        source="audit",
    )


def _batch_guard_lines(review_ids, *, for_client: bool) -> list[Line]:
    """The privacy check's verdict on each version of the batches answering these mentions
    that it did not pass: one line per version, not one per mention."""
    lines = []
    for batch in reply_batches_of_reviews(review_ids):
        for version in batch.versions.all():
            if version.guard_verdict in (Verdict.OK, ""):
                continue
            findings = len(findings_once(version.guard_findings or []))
            line = _guard_words(
                at=version.created_at,
                what=_mentions_words(len(version.review_ids)),
                batch_id=None if for_client else batch.pk,
                version=version.number,
                verdict=version.guard_verdict,
                findings=findings,
            )
            line.source = "batch_version"
            lines.append(line)
    return lines


def _audit_lines(audit, review_ids, *, for_client: bool) -> list[Line]:
    """The audit of the replies, deliveries and statements as timeline lines: a batch's step
    on each of its mentions' replies, and the deliveries of its replies to one platform,
    collapsed into one line."""
    outbox = outbox_items_described(e.object_id for e in audit if e.object_type == "outbox")
    batches = reply_batch_ids(e.object_id for e in audit if e.object_type == "reply")

    def batch_of(entry) -> int | None:
        if entry.object_type == "reply":
            return batches.get(entry.object_id) or (entry.detail or {}).get("batch_id")
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
    for group in _grouped(audit, key_of):
        if group.key:
            if (line := _batch_line(group, for_client=for_client)) is not None:
                lines.append(line)
            continue
        [entry] = group.entries
        if for_client:
            found = [_client_audit_line(entry, platform_of(entry)), _client_guard_line(entry)]
            lines += [line for line in found if line is not None]
            continue
        if entry.object_type == "statement" and entry.action in ("created", "edited"):
            continue  # the statement's versions say it, with their title
        lines.extend(_audit_line(entry))
    return lines + _batch_guard_lines(review_ids, for_client=for_client)


def _note_visibility(event: IncidentEvent) -> str:
    if event.kind != EventKind.NOTE:
        return ""
    return "shared" if event.shared_with_clinic else "internal"


def review_timeline(incident: Incident, clinic: Clinic, *, for_client: bool = False) -> list[dict]:
    """Every event of the incident and of what was done for it, oldest first; a batch's step
    on its many replies is one line ("Reply to 14 mentions: approved"), and so are the
    failures of its deliveries to one platform. `for_client`: the timeline of the review the
    clinic receives — the incident's events without the agency's plumbing (the portal's rule,
    `incident_events_for_client`), and of the replies and statements the decisions, the
    privacy check's verdicts, what went out in public and what could not (without the
    connector's reasons)."""
    events = (
        incident_events_for_client(incident)
        if for_client
        else IncidentEvent.objects.filter(incident=incident).order_by("at", "id")
    )
    tz = clinic_zone(clinic)
    clinic_people = clinic_own_people_ids(clinic) if for_client else frozenset()
    lines: list[Line] = [
        Line(
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
        for event in events
    ]
    review_ids = list(incident.links.values_list("review_id", flat=True))
    statement_ids = list(
        IncidentStatement.objects.filter(incident=incident).values_list("statement_id", flat=True)
    )
    audit = audit_for_texts(review_ids=review_ids, statement_ids=statement_ids)
    lines += _audit_lines(audit, review_ids, for_client=for_client)
    if for_client:
        for version in statement_versions_of(statement_ids):
            if version.guard_verdict not in (Verdict.OK, ""):
                lines.append(
                    _guard_words(
                        at=version.created_at,
                        what="Statement",
                        version=version.number,
                        verdict=version.guard_verdict,
                        findings=len(version.guard_findings or []),
                    )
                )
        lines.sort(key=lambda line: line.at)
        return [line.as_dict() for line in lines]
    for version in statement_versions_of(statement_ids):
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
    refs = [f"reply:{pk}" for pk in reply_ids_for_reviews(review_ids)]
    refs += [f"statement:{pk}" for pk in statement_ids]
    groups: dict[tuple, list] = {}
    for note in notifications_about(clinic, refs):
        key = (note.ref, note.title, note.created_at.replace(second=0, microsecond=0))
        groups.setdefault(key, []).append(note)
    for (_, title, _), notes in groups.items():
        names = ", ".join(n.user.full_name or n.user.email for n in notes)
        lines.append(
            Line(
                at=notes[0].created_at,
                category="notification",
                what=f"Told {len(notes)} {'person' if len(notes) == 1 else 'people'}: {title}",
                who="Carewatch",
                details=names,
                source="notification",
            )
        )
    lines.sort(key=lambda line: line.at)
    return [line.as_dict() for line in lines]
