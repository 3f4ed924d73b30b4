"""What responses keeps of reviews redacted at their author's request (`core.privacy`, called by
`feeds.services.privacy` in its transaction): the private follow-ups' messages and notes, the
contact details the person gave, and their name in our replies.

Replies keep their place in the approval trail: their text stays, with the author's name
replaced (`[name removed]`; "Hi Reese," becomes "Hello,") in every stored text of them: each
version, its guard findings, the comments on it, the outbox copies and the texts of the
batches that answered the items. The name is matched as the full name (any case), the first
name and last initial as notices name the reviewer ("Reese B."), the initials the guard
calls the reviewer's ("R.B.", "R. B.", "R.A.B." for "Reese Ann Bramwell") and the first name
as written (`_name_patterns`, the one rule). Names are matched by
words, so a first name that is also a common word ("Will") may be replaced where it was not
the author, and a nickname is not found: every reply changed is listed for a person to read,
and a reply whose posted text named the author is listed to be edited on the platform, which
Carewatch cannot do. The notices people received about the items (their history, and the
e-mails still owed) are reworded by the same rule; e-mails already sent cannot be recalled,
and that is listed too. A reply still public that answers an item deleted at the author's
request is listed to be taken down on its platform, whether or not it names them
(`_posted_replies_to_remove`): Carewatch does not take posted replies down."""

from __future__ import annotations

import json
import re

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.actors import Actor
from clinics.models import Notification
from core.pipeline import followup_changed
from core.privacy import NAME_REMOVED, REDACTED_TEXT, Redacted
from core.tenancy import current_clinic
from core.text import DOTTED_ABBREVIATIONS, initials
from feeds.models import platform_name
from responses.models import (
    OPEN_STATUSES,
    ApprovalStatus,
    ContactConsent,
    ConversationStatus,
    FollowUpMessage,
    FollowUpOutcome,
    OutboxItem,
    OutboxKind,
    OutboxStatus,
    PrivateConversation,
    ReplyBatch,
    ReplyBatchVersion,
    ReplyDraft,
    ReplyVersion,
)
from responses.services.common import _first_name_initial, audit_record
from responses.services.followup_notices import followup_notices_close, followup_owner_tell
from responses.services.outbox import _capabilities

PRIVACY = Actor.of_system("privacy", "Privacy request")
_GREETING = r"(?:Hi|Hello|Hey|Dear)"
# what the trail and the owner read of a follow-up a privacy request closed: nothing of what
# was redacted (the person's name, their words, the notes)
CLOSED_FOR_PRIVACY = (
    "Closed because of a privacy request: the person asked for their personal data to be "
    "removed, so its messages, notes and contact details were cleared."
)
CLEARED_FOR_PRIVACY = (
    "Its messages, notes and contact details were cleared because of a privacy request."
)


def _name_patterns(author_names: list[str]) -> list[tuple[re.Pattern, str]]:
    """(pattern, replacement) for each form of each name, longest first, each with "Hi
    <form>" before it (a greeting without the name): the full name (any case); the first
    name and last initial, as notices name the reviewer ("Reese B.": `_first_name_initial`);
    the initials the reply guard calls the reviewer's (`core.text.initials`: "M.S." and
    "M.A.S." for "Mary Ann Smith"), with dots ("M.S.", "M. S.", "M.S"; capitals as written,
    or all in lower case where they are no abbreviation such as "a.m."), and without them
    only after a greeting ("Hi MS,": "MS" alone may be anything); the first name as written
    (capitalised, as replies greet: `responses.services.batches._first_name`). The one rule
    for every text that keeps the author's name: reply versions, comments, outbox copies,
    batch texts, notices."""
    # regex -> its kind: "any" case, "as" written, "greeting": only after a greeting
    forms: dict[str, str] = {}
    for raw in author_names:
        name = " ".join((raw or "").split())
        if not name:
            continue
        forms[re.escape(name)] = "any"
        words = [w.strip(",.") for w in name.split() if w.strip(",.")]
        first = name.split()[0].strip(",.")
        if len(words) >= 2 and all(w[:1].isalpha() for w in words):
            shown = _first_name_initial(name)  # "Reese B."
            forms.setdefault(re.escape(shown.rstrip(".")) + r"\.?", "as")
        for letters in initials(name):
            forms.setdefault(r"\.\s?".join(map(re.escape, letters)) + r"\.?", "as")
            low = letters.lower()
            if low not in DOTTED_ABBREVIATIONS:  # "a.k." of "a.k.a." is no "Ann Kim"
                forms.setdefault(r"\.\s?".join(map(re.escape, low)) + r"(?!\.\w)\.?", "as")
            forms.setdefault(re.escape(letters), "greeting")
        if len(first.lstrip("@")) >= 2:
            forms.setdefault(re.escape(first), "as")
    patterns = []
    for form in sorted(forms, key=len, reverse=True):
        word = rf"(?<!\w){form}(?!\w)"
        flags = re.IGNORECASE if forms[form] == "any" else 0
        patterns.append((re.compile(rf"\b{_GREETING}\s+{word}", flags), "Hello"))
        if forms[form] != "greeting":
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
    clinic = current_clinic() if conversations else None
    for conversation in conversations:
        before = conversation.status
        closes = conversation.status in OPEN_STATUSES
        conversation.notes = REDACTED_TEXT if conversation.notes else ""
        conversation.outcome_note = REDACTED_TEXT if conversation.outcome_note else ""
        conversation.recipient_id = ""
        if closes:
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
            comment=CLOSED_FOR_PRIVACY if closes else CLEARED_FOR_PRIVACY,
            detail={"channel": conversation.channel, "closed": closes},
        )
        followup_changed(conversation.pk)  # crisis copies the step onto incident timelines
        if closes:
            # nothing about it waits for its owner any more; they are told why it closed,
            # once, without a word of what was redacted
            followup_notices_close(conversation, clinic)
            followup_owner_tell(
                conversation,
                clinic,
                kind="follow_up_closed",
                title="Your private follow-up was closed because of a privacy request",
                detail="The person asked for their personal data to be removed: its messages, "
                "notes and contact details were cleared, and it cannot go on. Nothing for you "
                "to do.",
                waits=False,
            )
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


def _versions_said(numbers) -> str:
    numbers = sorted(set(numbers))
    if len(numbers) == 1:
        return f"version {numbers[0]}"
    return f"versions {', '.join(map(str, numbers[:-1]))} and {numbers[-1]}"


def _texts_said(versions: list[int]) -> str:
    """The stored texts of a reply that went out: its versions changed and the outbox copy."""
    return ", ".join([_versions_said(versions)] * bool(versions) + ["the outbox copy"])


def _reply_to_check(draft: ReplyDraft, versions: list[int]) -> str:
    """What a person should do about a reply not yet posted whose text named the author, by
    where the reply is now."""
    said = f"Reply #{draft.pk} ({draft.get_status_display().lower()}) named the author"
    said += f"{f' in {_versions_said(versions)}' if versions else ''}: the "
    said += f"name was replaced by {NAME_REMOVED}; "
    if draft.status == ApprovalStatus.APPROVED:
        return said + "it is approved but not posted yet: read it again before it is posted."
    if draft.status == ApprovalStatus.DISCARDED:
        return said + "it was discarded and will not be posted: nothing else to do."
    if draft.status == ApprovalStatus.DRAFT:
        return said + "read it before it is submitted for approval."
    return said + "read it before it is approved."


def _posted_reply_to_check(draft: ReplyDraft, versions: list[int], posted_named: bool) -> str:
    """What is left to do about a published reply whose stored texts named the author: the
    platform still shows the name when the text that went out held it."""
    where = draft.review.source.name
    if not versions and not posted_named:
        return f"Reply #{draft.pk}, posted on {where}: {_ONLY_NOTES} Nothing to do there."
    if posted_named:
        return (
            f"The reply posted on {where} (reply #{draft.pk}) named the author in the text that "
            f"went out: every stored text of it ({_texts_said(versions)}) now reads "
            f"{NAME_REMOVED} in Carewatch, but the reply on {where} still names them: edit or "
            "remove it there."
        )
    return (
        f"Reply #{draft.pk}, posted on {where}, named the author only in "
        f"{_versions_said(versions)}, which was never posted: it now reads {NAME_REMOVED} in "
        f"Carewatch; the text posted on {where} does not name them: nothing to do there."
    )


_POSTED = (OutboxStatus.SENT, OutboxStatus.POSTED_BY_HAND)
_ONLY_NOTES = (
    "The author's name was replaced in the comments and notes on it in Carewatch; the text "
    "posted does not name them."
)
_REPLACED = "The author's name was replaced at their request."


def _version_redact(version: ReplyVersion | ReplyBatchVersion, patterns) -> bool:
    """The author's name out of one version of a reply or a batch: its text and the guard's
    findings. True when it changed (and was saved)."""
    text = _without_names(version.text, patterns)
    findings = _json_without_names(version.guard_findings, patterns)
    if text == version.text and findings == version.guard_findings:
        return False
    version.text, version.guard_findings = text, findings
    version.save(update_fields=["text", "guard_findings"])
    return True


def _comments_redact(text: ReplyDraft | ReplyBatch, patterns) -> bool:
    """The author's name out of what people wrote about a reply or a batch (`Approvable`'s
    last comment and override reason). True when it changed (and was saved)."""
    comment = _without_names(text.last_comment, patterns)
    reason = _without_names(text.override_reason, patterns)
    if comment == text.last_comment and reason == text.override_reason:
        return False
    text.last_comment, text.override_reason = comment, reason
    text.save(update_fields=["last_comment", "override_reason", "updated_at"])
    return True


def _replies_redact(
    review_ids: list[int], patterns
) -> tuple[list[str], list[str], set[int], set[int]]:
    """The author's name out of every stored text of the replies to `review_ids`: each
    version (and its guard findings), the draft's comments, the outbox copies, and the
    versions of the batches that answered them. Returns what was cleared, what to check, the
    ids of the drafts and of the batches changed, and for each reply still public whose
    review was deleted (its line is `_posted_replies_to_remove`'s) the versions changed and
    whether the text that went out named the author."""
    if not patterns:
        return [], [], set(), set(), {}
    drafts = {
        d.pk: d
        for d in ReplyDraft.objects.select_for_update(of=("self",))
        .select_related("review__source")
        .filter(review_id__in=review_ids)
        .order_by("pk")
    }
    changed: dict[int, list[int]] = {}  # draft id -> version numbers changed
    for version in ReplyVersion.objects.filter(draft_id__in=list(drafts)).order_by("pk"):
        if _version_redact(version, patterns):
            changed.setdefault(version.draft_id, []).append(version.number)
    posted_named: set[int] = set()
    for item in OutboxItem.objects.filter(review_id__in=review_ids).order_by("pk"):
        text = _without_names(item.text, patterns)
        note = _without_names(item.done_note, patterns)
        if text != item.text or note != item.done_note:
            if text != item.text and item.status in _POSTED and item.draft_id:
                posted_named.add(item.draft_id)
            item.text, item.done_note = text, note
            item.save(update_fields=["text", "done_note", "updated_at"])
            if item.draft_id:
                changed.setdefault(item.draft_id, [])
    for draft in drafts.values():
        if _comments_redact(draft, patterns):
            changed.setdefault(draft.pk, [])
    public = _public_drafts(drafts.values())
    to_check, named = [], {}
    for pk in sorted(changed):
        draft, versions = drafts[pk], sorted(set(changed[pk]))
        audit_record(
            object_type="reply",
            object_id=draft.pk,
            review_id=draft.review_id,
            action="redacted",
            who=PRIVACY,
            version=draft.version,
            from_status=draft.status,
            to_status=draft.status,
            comment=_REPLACED,
            detail={"versions": versions},  # the approvals log marks decisions on these
        )
        if pk in public and draft.review.is_deleted:
            # listed to be taken down (`_posted_replies_to_remove`), with what this says
            named[pk] = (versions, _went_out(draft, versions, posted_named))
        elif draft.status == ApprovalStatus.PUBLISHED:
            went_out = _went_out(draft, versions, posted_named)
            to_check.append(_posted_reply_to_check(draft, versions, went_out))
        else:
            to_check.append(_reply_to_check(draft, versions))
    batches = _batches_redact(review_ids, patterns)
    cleared = []
    if changed:
        cleared.append(f"the author's name in every stored text of {len(changed)} reply(ies)")
    if batches:
        cleared.append(f"the author's name in the text of {len(batches)} batch(es)")
    return cleared, to_check, set(changed), batches, named


def _went_out(draft: ReplyDraft, versions: list[int], posted_named: set[int]) -> bool:
    """Whether the text that went out to the platform named the author: its outbox copy did,
    or (an older reply, no outbox copy posted) the published version did."""
    return draft.pk in posted_named or (
        not OutboxItem.objects.filter(draft_id=draft.pk, status__in=_POSTED).exists()
        and draft.version in versions
    )


def _public_drafts(drafts) -> set[int]:
    """The ids of `drafts` that are public on their platform: an outbox copy of them was sent
    or posted by hand (whatever the draft's state now: an edit may wait, or have been
    withdrawn, while the earlier version stays up), or (an older reply) it is published."""
    drafts = list(drafts)
    posted = set(
        OutboxItem.objects.filter(
            draft_id__in=[d.pk for d in drafts], kind=OutboxKind.REPLY, status__in=_POSTED
        ).values_list("draft_id", flat=True)
    )
    return posted | {d.pk for d in drafts if d.status == ApprovalStatus.PUBLISHED}


def _removal_said(source) -> str:
    """How a reply posted on `source` comes down: by hand on the platform, and why."""
    platform = platform_name(source.kind)
    caps = _capabilities(source.kind)
    if caps is None:
        why = f"Carewatch has no connector for {platform}"
    elif caps.can_delete_reply:
        why = "Carewatch does not take down posted replies"
    else:
        why = f"{platform} does not let replies be removed through its API"
    return f"Remove it on {platform} by hand ({why})."


def _posted_reply_to_remove(
    draft: ReplyDraft, item: OutboxItem | None, named: tuple[list[int], bool] | None
) -> str:
    """What to do about a reply still public on its platform whose review was deleted at
    its author's request, named or not: where it is (the platform, the link or the
    platform's id recorded when it went out) and how to take it down; with what was replaced
    of the author's name in Carewatch, when its texts named them."""
    review, source = draft.review, draft.review.source
    platform = platform_name(source.kind)
    on = platform if source.name == platform else f"{platform} ({source.name})"
    what = review.get_kind_display().lower()
    if item is not None and item.external_url:
        where = item.external_url
    elif item is not None and item.external_id:
        where = f"no link was recorded; its id on {platform} is {item.external_id}"
    else:
        where = f"no link was recorded; it answers the {what} with id {review.external_id}"
    said = (
        f"Reply #{draft.pk}, posted on {on}, still answers publicly the {what} deleted at the "
        f"author's request ({where})."
    )
    if named is not None:
        versions, went_out = named
        if went_out:
            said += (
                f" It named the author in the text that went out: every stored text of it "
                f"({_texts_said(versions)}) now reads {NAME_REMOVED} in Carewatch, but the "
                f"reply on {platform} still names them."
            )
        elif versions:
            said += (
                f" It named the author only in {_versions_said(versions)}, which was never "
                f"posted: it now reads {NAME_REMOVED} in Carewatch."
            )
        else:
            said += f" {_ONLY_NOTES}"
    return f"{said} {_removal_said(source)}"


def _posted_replies_to_remove(
    review_ids: list[int], named: dict[int, tuple[list[int], bool]]
) -> list[str]:
    """A line per reply still public on its platform (`_public_drafts`) that answers one of
    `review_ids` deleted at its author's request, whether or not it names them: the person
    asked for the item to go, and the reply, on the platform beside it, still tells of it
    (their treatment, their visit). Carewatch cannot take it down: a person does."""
    drafts = list(
        ReplyDraft.objects.select_related("review__source")
        .filter(review_id__in=review_ids, review__is_deleted=True)
        .order_by("pk")
    )
    public = _public_drafts(drafts)
    posted: dict[int, OutboxItem] = {}  # the newest copy that went out: where it stands
    for item in OutboxItem.objects.filter(
        draft_id__in=public, kind=OutboxKind.REPLY, status__in=_POSTED
    ).order_by("sent_at", "pk"):
        posted[item.draft_id] = item
    return [
        _posted_reply_to_remove(draft, posted.get(draft.pk), named.get(draft.pk))
        for draft in drafts
        if draft.pk in public
    ]


def _batches_redact(review_ids: list[int], patterns) -> set[int]:
    """The author's name out of the texts of the batches that answered any of `review_ids`
    (every version, its findings, the batch's comments); each batch changed gets an audit
    entry naming the versions changed. Returns their ids."""
    changed: dict[int, list[int]] = {}
    versions = ReplyBatchVersion.objects.filter(review_ids__overlap=review_ids).order_by("pk")
    for version in versions:
        if _version_redact(version, patterns):
            changed.setdefault(version.batch_id, []).append(version.number)
    ids = set(versions.values_list("batch_id", flat=True))
    for batch in ReplyBatch.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        if _comments_redact(batch, patterns):
            changed.setdefault(batch.pk, [])
        if batch.pk in changed:
            audit_record(
                object_type="reply_batch",
                object_id=batch.pk,
                action="redacted",
                who=PRIVACY,
                version=batch.version,
                from_status=batch.status,
                to_status=batch.status,
                comment=_REPLACED,
                detail={"versions": sorted(set(changed[batch.pk]))},
            )
    return set(changed)


def _notices_redact(
    review_ids: list[int], draft_ids: set[int], patterns
) -> tuple[list[str], list[str]]:
    """The author's name out of the notices people of the current clinic received about the
    items: those of their replies (`reply:<id>`, `reply:<id>:...`), outbox copies
    (`outbox:<id>`), private follow-ups (`followup:<id>:...`) and those that open a reply's
    page; their e-mails still owed go reworded. E-mails already sent cannot be recalled:
    that is what to check."""
    if not patterns:
        return [], []
    draft_ids = set(draft_ids) | set(
        ReplyDraft.objects.filter(review_id__in=review_ids).values_list("pk", flat=True)
    )
    tied = Q()
    for pk in draft_ids:
        tied |= Q(ref=f"reply:{pk}") | Q(ref__startswith=f"reply:{pk}:")
    for pk in OutboxItem.objects.filter(review_id__in=review_ids).values_list("pk", flat=True):
        tied |= Q(ref=f"outbox:{pk}")
    conversations = PrivateConversation.objects.filter(review_id__in=review_ids)
    for pk in conversations.values_list("pk", flat=True):
        tied |= Q(ref__startswith=f"followup:{pk}:")
    for pk in review_ids:
        tied |= Q(url__contains=f"/replies/review/{pk}/")
    notices = Notification.objects.filter(tied, clinic=current_clinic()).order_by("pk")
    reworded, emailed = 0, 0
    for notice in notices.select_for_update():
        title = _without_names(notice.title, patterns)
        if title != notice.title:
            notice.title = title
            notice.save(update_fields=["title", "updated_at"])
            reworded += 1
            emailed += notice.emailed_at is not None
    cleared = [f"the author's name in {reworded} notification(s)"] if reworded else []
    to_check = []
    if emailed:
        to_check.append(
            f"{emailed} e-mail(s) about these items named the author in their subject and "
            "went out before the request: e-mails already sent cannot be recalled (their "
            "notification history now reads [name removed])."
        )
    return cleared, to_check


@transaction.atomic
def review_personal_data_redact(*, review_ids: list[int], author_names: list[str]) -> Redacted:
    """Reviews of the current clinic were redacted at their author's request: their private
    follow-ups lose their messages' text, notes and the person's platform id (and close, an
    open one as "the reviewer removed the review", its trail saying it closed because of a
    privacy request; its owner's notices about it close and the owner is told, once, for
    their information, without the redacted details), their contact consents lose the address
    (and are revoked), and the author's name is replaced (`_name_patterns`: full name, "Reese
    B.", initials, first name) in every stored text of their replies (each version, its guard
    findings, comments, outbox copies), in the texts of the batches that answered them and in
    the titles of the notices people received about them. Each follow-up, reply and batch
    changed gets an audit entry by "Privacy request" (a reply's and a batch's name the versions
    changed: the approvals log marks the decisions on them). Returns what was cleared and what
    a person should still do: a reply whose posted text named the author is to be edited on
    its platform; a reply still public that answers a deleted review is to be taken down there,
    named or not; e-mails that named them and went out cannot be recalled."""
    now = timezone.now()
    patterns = _name_patterns(author_names)
    cleared = _followups_redact(review_ids, now)
    replies_cleared, to_check, drafts, _batches, named = _replies_redact(review_ids, patterns)
    to_remove = _posted_replies_to_remove(review_ids, named)
    notices_cleared, notices_to_check = _notices_redact(review_ids, drafts, patterns)
    return Redacted(
        cleared=cleared + replies_cleared + notices_cleared,
        to_check=to_check + to_remove + notices_to_check,
    )
