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
from datetime import datetime

from clinics.models import Clinic
from clinics.selectors import notifications_about
from crisis.models import EventKind, Incident, IncidentEvent, IncidentStatement
from crisis.selectors import incident_events_for_client
from responses.models import ApprovalStatus, ConversationStatus, OutboxStatus, Verdict
from responses.selectors import audit_for_texts, reply_ids_for_reviews, statement_versions_of

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

    def as_dict(self) -> dict:
        return {
            "at": self.at.isoformat(),
            "category": self.category,
            "category_label": CATEGORIES.get(self.category, self.category),
            "what": self.what,
            "who": self.who,
            "details": self.details,
            "source": self.source,
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


def _audit_line(entry) -> list[Line]:
    object_type = entry.object_type or ""
    label = _OBJECT_LABEL.get(object_type, _words(object_type).capitalize())
    version = f" v{entry.version}" if entry.version else ""
    what = f"{label} #{entry.object_id}{version}: {_words(entry.action)}"
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
# decisions people took and what went out in public, not the drafts, deliveries and notices
# that got them there ("Reply #1 v1: created", "Delivery #1 v1: queued", "Told 1 person").
CLIENT_CATEGORIES = ("approval", "publication", "failure")
CLIENT_OBJECTS = ("reply", "statement")
_CLIENT_OBJECT_WORDS = {"reply": "Reply to a mention", "statement": "Statement"}


def _client_audit_line(entry) -> Line | None:
    category = _audit_category(entry)
    if entry.object_type not in CLIENT_OBJECTS or category not in CLIENT_CATEGORIES:
        return None
    action = (entry.action or "").removeprefix("batch_")
    words = _CLIENT_OBJECT_WORDS[entry.object_type]
    return Line(
        at=entry.created_at,
        category=category,
        what=f"{words}: {_words(action)}",
        who=entry.actor_name or entry.actor_label,
        details=(entry.comment or "")[:300],
        source="audit",
    )


def review_timeline(incident: Incident, clinic: Clinic, *, for_client: bool = False) -> list[dict]:
    """Every event of the incident and of what was done for it, oldest first. `for_client`:
    the timeline of the review the clinic receives — the incident's events without the
    agency's plumbing (the portal's rule, `incident_events_for_client`), and of the replies and
    statements only the decisions and what went out in public."""
    events = (
        incident_events_for_client(incident)
        if for_client
        else IncidentEvent.objects.filter(incident=incident).order_by("at", "id")
    )
    lines: list[Line] = [
        Line(
            at=event.at,
            category=_event_category(event),
            what=str(event.get_kind_display()),
            who=event.actor,
            details=event.message,
        )
        for event in events
    ]
    review_ids = list(incident.links.values_list("review_id", flat=True))
    statement_ids = list(
        IncidentStatement.objects.filter(incident=incident).values_list("statement_id", flat=True)
    )
    audit = audit_for_texts(review_ids=review_ids, statement_ids=statement_ids)
    if for_client:
        lines += [line for entry in audit if (line := _client_audit_line(entry)) is not None]
        lines.sort(key=lambda line: line.at)
        return [line.as_dict() for line in lines]
    for entry in audit:
        if entry.object_type == "statement" and entry.action in ("created", "edited"):
            continue  # the statement's versions below say it, with their title
        lines.extend(_audit_line(entry))
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
