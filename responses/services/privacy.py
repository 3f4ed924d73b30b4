"""What responses keeps of reviews redacted at their author's request (`core.privacy`, called by
`feeds.services.privacy` in its transaction): the private follow-ups' messages and notes, the
contact details the person gave, and their name in our replies.

Replies keep their place in the approval trail: their text stays, with the author's name
replaced (`[name removed]`; "Hi Reese," becomes "Hello,"). Names are matched by words, so a
first name that is also a common word ("Will") may be replaced where it was not the author, and
a nickname is not found: every reply changed is listed for a person to read, and a reply
already posted on the platform is listed to be edited there, which Carewatch cannot do."""

from __future__ import annotations

import json
import re

from django.db import transaction
from django.utils import timezone

from accounts.actors import Actor
from core.pipeline import followup_changed
from core.privacy import NAME_REMOVED, REDACTED_TEXT, Redacted
from responses.models import (
    OPEN_STATUSES,
    ApprovalStatus,
    ContactConsent,
    ConversationStatus,
    FollowUpMessage,
    FollowUpOutcome,
    OutboxItem,
    PrivateConversation,
    ReplyDraft,
    ReplyVersion,
)
from responses.services.common import audit_record

PRIVACY = Actor.of_system("privacy", "Privacy request")
_GREETING = r"(?:Hi|Hello|Hey|Dear)"


def _name_patterns(author_names: list[str]) -> list[tuple[re.Pattern, str]]:
    """(pattern, replacement) for each name: "Hi <name>" first (a greeting without the name),
    then the full name (any case), then the first name as written (capitalised, as replies
    greet: `responses.services.batches._first_name`)."""
    names, firsts = set(), set()
    for raw in author_names:
        name = " ".join((raw or "").split())
        if not name:
            continue
        names.add(name)
        first = name.split()[0].strip(",.")
        if len(first.lstrip("@")) >= 2:
            firsts.add(first)
    patterns = []
    for name in sorted(names | firsts, key=len, reverse=True):
        word = rf"(?<!\w){re.escape(name)}(?!\w)"
        flags = re.IGNORECASE if name in names else 0
        patterns.append((re.compile(rf"\b{_GREETING}\s+{word}", flags), "Hello"))
        patterns.append((re.compile(word, flags), NAME_REMOVED))
    return patterns


def _without_names(text: str, patterns) -> str:
    for pattern, replacement in patterns:
        text = pattern.sub(replacement, text)
    return text


def _json_without_names(value, patterns):
    dumped = json.dumps(value, ensure_ascii=False)
    cleaned = _without_names(dumped, patterns)
    return value if cleaned == dumped else json.loads(cleaned)


def _followups_redact(review_ids: list[int], now) -> list[str]:
    cleared = []
    conversations = list(
        PrivateConversation.objects.select_for_update().filter(review_id__in=review_ids)
    )
    messages = FollowUpMessage.objects.filter(conversation__in=conversations).exclude(
        text=REDACTED_TEXT
    )
    n_messages = messages.update(text=REDACTED_TEXT, guard_findings=[], error="")
    for conversation in conversations:
        before = conversation.status
        conversation.notes = REDACTED_TEXT if conversation.notes else ""
        conversation.outcome_note = REDACTED_TEXT if conversation.outcome_note else ""
        conversation.recipient_id = ""
        if conversation.status in OPEN_STATUSES:
            conversation.status = ConversationStatus.RESOLVED
            conversation.outcome = FollowUpOutcome.REVIEW_UPDATED
            conversation.closed_at = now
        conversation.save(
            update_fields=[
                "notes", "outcome_note", "recipient_id", "status", "outcome", "closed_at",
                "updated_at",
            ]
        )  # fmt: skip
        audit_record(
            object_type="private_conversation",
            object_id=conversation.pk,
            review_id=conversation.review_id,
            action="redacted",
            who=PRIVACY,
            from_status=before,
            to_status=conversation.status,
            detail={"channel": conversation.channel},
        )
        followup_changed(conversation.pk)  # crisis copies the step onto incident timelines
    if conversations:
        cleared.append(
            f"{len(conversations)} private follow-up(s) ({n_messages} message(s) and their notes)"
        )
    consents = ContactConsent.objects.filter(review_id__in=review_ids)
    n_consents = consents.exclude(address="").count()
    consents.filter(revoked_at__isnull=True).update(revoked_at=now, revoked_by_name=PRIVACY.name)
    consents.update(address="", basis=REDACTED_TEXT, updated_at=now)
    if n_consents:
        cleared.append(f"{n_consents} contact detail(s) (e-mail or phone)")
    return cleared


def _reply_to_check(draft: ReplyDraft) -> str:
    """What a person should do about a reply not yet posted whose text named the author, by
    where the reply is now."""
    said = f"Reply #{draft.pk} ({draft.get_status_display().lower()}) named the author: the "
    said += f"name was replaced by {NAME_REMOVED}; "
    if draft.status == ApprovalStatus.APPROVED:
        return said + "it is approved but not posted yet: read it again before it is posted."
    if draft.status == ApprovalStatus.DISCARDED:
        return said + "it was discarded and will not be posted: nothing else to do."
    if draft.status == ApprovalStatus.DRAFT:
        return said + "read it before it is submitted for approval."
    return said + "read it before it is approved."


def _replies_redact(review_ids: list[int], author_names: list[str]) -> tuple[list[str], list]:
    patterns = _name_patterns(author_names)
    if not patterns:
        return [], []
    changed: dict[int, ReplyDraft] = {}
    versions = ReplyVersion.objects.filter(draft__review_id__in=review_ids).select_related(
        "draft", "draft__review__source"
    )
    for version in versions:
        text = _without_names(version.text, patterns)
        findings = _json_without_names(version.guard_findings, patterns)
        if text != version.text or findings != version.guard_findings:
            version.text, version.guard_findings = text, findings
            version.save(update_fields=["text", "guard_findings"])
            changed[version.draft_id] = version.draft
    for item in OutboxItem.objects.filter(review_id__in=review_ids):
        text = _without_names(item.text, patterns)
        if text != item.text:
            item.text = text
            item.save(update_fields=["text", "updated_at"])
            if item.draft_id and item.draft_id not in changed:
                changed[item.draft_id] = item.draft
    to_check = []
    for draft in changed.values():
        audit_record(
            object_type="reply",
            object_id=draft.pk,
            review_id=draft.review_id,
            action="redacted",
            who=PRIVACY,
            version=draft.version,
            from_status=draft.status,
            to_status=draft.status,
            comment="The author's name was replaced at their request.",
        )
        where = draft.review.source.name
        if draft.status == ApprovalStatus.PUBLISHED:
            to_check.append(
                f"The reply posted on {where} (reply #{draft.pk}) named the author: it was "
                "replaced in Carewatch; edit or remove the reply on the platform."
            )
        else:
            to_check.append(_reply_to_check(draft))
    cleared = [f"the author's name in {len(changed)} reply(ies)"] if changed else []
    return cleared, to_check


@transaction.atomic
def review_personal_data_redact(*, review_ids: list[int], author_names: list[str]) -> Redacted:
    """Reviews of the current clinic were redacted at their author's request: their private
    follow-ups lose their messages' text, notes and the person's platform id (and close, an
    open one as "the reviewer removed the review"), their contact consents lose the address
    (and are revoked), and the author's name is replaced in their replies' versions, guard
    findings and outbox copies. Each follow-up and reply changed gets an audit entry by
    "Privacy request". Returns what was cleared and what a person should read."""
    now = timezone.now()
    cleared = _followups_redact(review_ids, now)
    replies_cleared, to_check = _replies_redact(review_ids, author_names)
    return Redacted(cleared=cleared + replies_cleared, to_check=to_check)
