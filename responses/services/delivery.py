"""Telling people that a delivery failed: the agency's people who approved the reply or
statement and the agency's owners, in-app and by e-mail (`clinics.notifications.people_notify`,
as they chose), and in the agency's and the clinic's Slack/Teams channels (`clinics.alerting`,
the channels incident alerts go to). The clinic's own approvers cannot fix a delivery: they
learn of it by e-mail, for their information, never as something waiting for them. Every
failure is told in exactly one notice: `failure_notified_at` is set in the same transaction
as the notice, and a retry clears it (if it fails again it is told again, in the notice
still open or in a new one; if it is posted, it leaves the count).

Failures come in bursts: a platform's outage fails 30 replies one after another once their
retries are spent. So a channel's failures are one notice (`source_failures_ref`), not one
per item: the notice waits until nothing new failed there for `FAILURE_BURST_QUIET` (or the
first waited `FAILURE_BURST_LONGEST`: an outage that goes on is told at once, then counted),
then tells everyone once, in-app, by e-mail and in chat, with how many and a link to the
outbox's failed group ("Not posted on Google Business Profile: 30 replies (platform
unavailable)"). A failure alone keeps its own title and link ("Not posted on …: the reply
to Harper M.'s 1★ Google review of 4 Dec 2026"), told a minute after it failed. A later
failure there while the notice is open is added to it (its title counts it) instead of
telling everyone again: only the people who hear of it and were not told of the notice yet
(an approver of that reply alone) are told, with the count it has now (`_newcomers_tell`);
a failure that is posted since (retried, or by hand) leaves the count, and the notice
leaves the banners once nothing it told of still fails
(`responses.services.outbox._failure_notices_settle`). The newest failure's task looks again
when the burst may be over; the outbox's sweeper queues what a lost task left.

What waits for its channel to be connected (not connected, its connection expired, a
permission missing) is told once per channel while the channel stays so (`source_failure_ref`),
at once: a second failure there while the notice is open adds to it ("Not posted on …: 4
replies wait until it is connected") instead of telling everyone again, and tells only those
not told of it yet, as above; one posted since (by hand, or once the channel is connected)
leaves the count, and the notice leaves once nothing waits (`outbox.waiting_notice`).

The replies of one batch are told per channel, once, with how many failed there and the
claim's words ("3 replies to the claim “…” were not posted on Google Business Profile"): each
channel has its own notice (`failure_ref`), so a second channel's failure is never taken for
the first's. While other replies of the batch are still on their first attempt on that
channel, the notice waits for them (at most `BATCH_WAIT`; the sweeper sends it again), so the
count is the channel's, not the first reply's.

Replies to post by hand are not failures: the agency's people who post by hand are told once
per channel (`outbox_by_hand_notify`, an open notice that counts what waits and leaves when
nothing does); the clinic is not told. The writer of a reply hears, for information, when it
is published and when it is not posted or goes to be posted by hand (`reply_outcome_tell`):
once per reply and outcome, once per batch and outcome for one answer to many mentions. Her
replies that were not posted come in bursts too: each is a line of her notification history
(at once), and she gets one e-mail per burst that lists them all (`reply_failures_mail`), once
nothing new failed for `FAILURE_BURST_QUIET` (or the first waited `FAILURE_BURST_LONGEST`).
A writer asked to post by hand her replies that wait for their channel (`_post_by_hand_ask`)
gets that one "waiting for you" line of them instead, e-mailed once as she chose."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min, Q
from django.utils import timezone

from accounts.actors import user_id_of
from accounts.models import User
from accounts.selectors import user_is_agency_staff
from agency.models import AgencyMembership, AgencyRole
from clinics.alerting import chat_notice, chat_post, chat_webhooks_for
from clinics.models import Clinic, Notification, clinic_zone
from clinics.notifications import (
    notifications_owed_due,
    notifications_owed_send,
    notifications_retitle,
    people_notify,
)
from core.queueing import enqueue_on_commit
from core.tenancy import current_clinic
from responses.models import (
    WAITING_FOR_SOURCE,
    ApprovalStatus,
    AuditEntry,
    FailureKind,
    OutboxItem,
    OutboxKind,
    OutboxStatus,
    ReplyBatch,
    ReplyDraft,
)
from responses.selectors import failure_advice, review_named
from responses.services.outbox import (
    DELETED_REVIEW,
    NOTIFY_TASK,
    batch_failed_title,
    batch_to,
    by_hand_groups,
    by_hand_lines_open,
    by_hand_notice_settle,
    by_hand_owners,
    by_hand_posters,
    by_hand_ref,
    by_hand_title,
    by_hand_waiting,
    channel_connectors_named,
    channel_failures,
    channel_failures_title,
    failure_ref,
    item_batch_id,
    item_named,
    post_by_hand_notice,
    post_by_hand_ref,
    waiting_notice,
)

logger = logging.getLogger(__name__)
# how long a batch's notice waits for its other replies' first attempt on the same channel
BATCH_WAIT = timedelta(minutes=5)
# Failures that come one after another are one notice per channel, and a writer's one
# e-mail: it goes once nothing new failed for QUIET, or when the first has waited LONGEST (an
# outage that goes on is told in parts, none left out).
FAILURE_BURST_QUIET = timedelta(minutes=1)
FAILURE_BURST_LONGEST = timedelta(minutes=10)
FAILURES_MAIL_TASK = "responses.tasks.reply_failures_mail"


def _approvers(item: OutboxItem) -> list[int]:
    """The people who approved the version the item carries (any step); for a reply of a
    batch, the people who approved the batch (its steps are given once, for all its replies)."""
    batch = item.draft.batch if item_batch_id(item) else None
    if batch is not None:
        object_type, object_id, version = "reply_batch", batch.pk, batch.version
    elif item.kind == OutboxKind.REPLY:
        object_type, object_id, version = "reply", item.draft_id, item.version
    else:
        object_type, object_id, version = "statement", item.statement_id, item.version
    labels = AuditEntry.objects.filter(
        object_type=object_type, object_id=object_id, version=version, action="approved"
    ).values_list("actor_label", flat=True)
    return [pk for pk in map(user_id_of, labels) if pk is not None]


def failure_recipients(items: list[OutboxItem], clinic: Clinic) -> list[User]:
    """Who hears of failed deliveries: the people who approved any of them, then the
    agency's owners; each once."""
    owners = AgencyMembership.objects.filter(
        agency_id=clinic.agency_id, role=AgencyRole.OWNER, user__is_active=True
    ).values_list("user_id", flat=True)
    approvers = [pk for item in items for pk in _approvers(item)]
    ids = list(dict.fromkeys([*approvers, *owners]))
    users = {u.pk: u for u in User.objects.filter(pk__in=ids, is_active=True)}
    return [users[i] for i in ids if i in users]


def one_at_a_time(ref: str) -> None:
    """Until the caller's transaction ends, nobody else tells of `ref` in this clinic: two
    workers that settle two replies of one channel at once tell once, with both counted."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext(%s))", [ref]
        )


def _portal_page(clinic: Clinic, item: OutboxItem) -> str:
    if item_batch_id(item):
        return f"/clinics/{clinic.slug}/portal/approvals/#portal-delivered"
    if item.kind == OutboxKind.REPLY:
        return f"/clinics/{clinic.slug}/portal/approvals/#delivered-{item.draft_id}"
    return f"/clinics/{clinic.slug}/portal/statements/"


def _first_attempt_pending(group: list[OutboxItem]) -> bool:
    """Some reply of the group has not had its first attempt yet (queued, or being sent)."""
    return any(
        i.status == OutboxStatus.SENDING or (i.status == OutboxStatus.PENDING and not i.attempts)
        for i in group
    )


@dataclass(frozen=True)
class _Notice:
    """One notice of failed deliveries as each audience reads it: the agency's people
    (in-app and e-mail, `page`, `detail`), the chat channels (the same), and the clinic's
    approvers (e-mail only, `portal`, `clinic_detail`; not when `clinic_too` is False: they
    were told of it before)."""

    items: list[OutboxItem]  # whose approvers hear of it
    ref: str
    title: str
    page: str
    detail: str
    portal: str
    clinic_detail: str
    clinic_too: bool = True
    button: str = "Open the outbox"


def outbox_failure_notify(*, item_id: int, now: datetime | None = None) -> str:
    """Tell the approvers and the agency's owners that the item failed, with what to do; for
    a reply of a batch, that the batch's replies failed on the item's channel, with how many;
    for any other failure, once per channel and burst (`_channel_failures_notice`). Returns
    what happened (for the task's log)."""
    clinic = current_clinic()
    now = now or timezone.now()
    with transaction.atomic():
        found = OutboxItem.objects.select_related("draft").filter(pk=item_id).first()
        batch_id = item_batch_id(found) if found is not None else None
        if found is not None and (found.failure_kind in WAITING_FOR_SOURCE or not batch_id):
            # the channel's notice: two workers telling two of its failures at once tell once
            one_at_a_time(failure_ref(found))
        # one notice of a batch at a time (each counts the batch's replies on its channel):
        # the batch's row first, then the item
        batch = (
            ReplyBatch.objects.select_for_update(of=("self",))
            .select_related("cluster")
            .filter(pk=batch_id)
            .first()
            if batch_id
            else None
        )
        item = (
            OutboxItem.objects.select_for_update(of=("self",))
            .select_related("source", "review__source", "statement", "draft")
            .filter(pk=item_id)
            .first()
        )
        if item is None or item.status != OutboxStatus.FAILED:
            return "not failed"
        if item.failure_notified_at is not None:
            return "already told"
        if batch is None and item.failure_kind not in WAITING_FOR_SOURCE:
            notice = _channel_failures_notice(item, clinic, now)
        else:
            notice = _waiting_or_batch_notice(item, batch, clinic, now)
        if isinstance(notice, str):
            return notice
        told = _people_tell(notice, clinic)
    outcomes = _chat_tell(notice, clinic)
    logger.info("delivery failure %s told %s people; chat %s", item.pk, len(told), outcomes)
    return f"told {len(told)}; " + ", ".join(outcomes)


def _waiting_or_batch_notice(
    item: OutboxItem, batch: ReplyBatch | None, clinic: Clinic, now: datetime
) -> _Notice | str:
    """What waits for its channel (one notice per channel whose count grows) or a reply of a
    batch (one notice per batch and channel): the notice to give, or what happened instead."""
    # told to the people who approved it (the agency's step: its owners and managers) and
    # the agency's owners: they may connect the channel themselves
    advice = failure_advice(item, may_connect=True)
    if batch is not None:
        group = list(OutboxItem.objects.filter(draft__batch_id=batch.pk, source_id=item.source_id))
        if _first_attempt_pending(group) and (
            item.last_error_at is None or now - item.last_error_at < BATCH_WAIT
        ):
            # the last of them to fail tells of all (or the sweeper, a minute on)
            return "waiting for the batch's other replies on this channel"
    if item.failure_kind in WAITING_FOR_SOURCE:
        return _waiting_notice(item, clinic, now, advice)
    failed = [i for i in group if i.status == OutboxStatus.FAILED]
    untold = [i.pk for i in failed if i.failure_notified_at is None]
    told_before = len(untold) < len(failed)
    OutboxItem.objects.filter(pk__in=untold).update(failure_notified_at=now, updated_at=now)
    for failed_item in failed:
        if failed_item.pk in untold and failed_item.kind == OutboxKind.REPLY:
            _writer_tell(failed_item, "failed", clinic)
    return _Notice(
        items=[item],
        ref=failure_ref(item),
        title=batch_failed_title(batch, item.source.name, len(failed)),
        page=f"/clinics/{clinic.slug}/replies/batches/{batch.pk}/",
        detail=f"{advice['summary']} {advice['action']}",
        portal=_portal_page(clinic, item),
        clinic_detail=f"{advice['clinic_summary']} {advice['clinic_action']}",
        # the e-mail has no open notice to stop a repeat: a batch's channel they were told
        # of (still failing) is not told again, as for staff
        clinic_too=not told_before,
        button="Open the replies",
    )


def _waiting_notice(item: OutboxItem, clinic: Clinic, now: datetime, advice: dict) -> _Notice | str:
    """What waits for its channel to be connected is told once per channel while it stays
    so (`waiting_notice`): a later one while the notice is open is added to it (its title
    counts what waits now) and only the people who hear of it and were not told of the
    notice yet are told (`_newcomers_tell`); one posted since leaves the count
    (`outbox._failure_notices_settle`)."""
    ref = failure_ref(item)
    group = list(
        OutboxItem.objects.select_related("source", "review__source", "statement", "draft")
        .filter(
            source_id=item.source_id,
            status=OutboxStatus.FAILED,
            failure_kind__in=WAITING_FOR_SOURCE,
        )
        .order_by("pk")
    )
    untold = [i for i in group if i.failure_notified_at is None]
    told_items = [i for i in group if i.failure_notified_at is not None]
    told_before = bool(told_items) or _is_open(clinic, ref)
    OutboxItem.objects.filter(pk__in=[i.pk for i in untold]).update(
        failure_notified_at=now, updated_at=now
    )
    # a writer asked to post her replies by hand has that one line; the others hear of them
    asked = _post_by_hand_ask(group, untold, clinic, advice)
    _writers_tell([i for i in untold if _writer_id(i) not in asked], clinic)
    title, page = waiting_notice(group, clinic, newest=item)
    notice = _Notice(
        items=untold,
        ref=ref,
        title=title,
        page=page,
        detail=f"{advice['summary']} {advice['action']}",
        portal=_portal_page(clinic, item),
        clinic_detail=f"{advice['clinic_summary']} {advice['clinic_action']}",
        button="Open the replies" if "/replies/" in page else "Open the outbox",
    )
    if not told_before:
        return notice
    # the channel's notice is out and still open: it now counts this one too
    notifications_retitle(clinic=clinic, ref=ref, title=title, url=page)
    told = _newcomers_tell(notice, clinic, told_items=told_items)
    logger.info("delivery failure %s added to its channel's notice", item.pk)
    return f"added to the channel's notice ({len(group)} waiting)" + _newcomers_words(told)


def _writer_id(item: OutboxItem) -> int | None:
    """Who wrote the reply the item carries (its batch's writer for a reply of a batch);
    None for a statement."""
    if item.kind != OutboxKind.REPLY:
        return None
    return user_id_of((item.draft.batch if item.draft.batch_id else item.draft).author_label)


def _post_by_hand_ask(
    group: list[OutboxItem], untold: list[OutboxItem], clinic: Clinic, advice: dict
) -> set[int]:
    """The replies that wait for their channel (`group`, failed on one channel for a reason
    in WAITING_FOR_SOURCE) are posted by hand meanwhile: whoever posts by hand gets a
    "waiting for you" line (`post_by_hand_ref`) — the writers of the replies newly failed
    there (`untold`) who post by hand (`by_hand_posters`), else everyone who does. Its count
    follows what waits; it closes once each is posted, by hand or by Carewatch
    (`outbox._failure_notices_settle`). Returns the writers asked (told now, or whose line
    was open already): that line is all they hear of these replies' failure, in-app and by
    e-mail as they chose; a writer not asked hears of it for information
    (`_writer_tell`)."""
    replies = [i for i in group if i.kind == OutboxKind.REPLY]
    new = [i for i in untold if i.kind == OutboxKind.REPLY]
    if not new:
        return set()
    ref = post_by_hand_ref(new[0].source_id)
    title, url = post_by_hand_notice(replies, clinic)
    notifications_retitle(clinic=clinic, ref=ref, title=title, url=url)  # those told before
    posters = by_hand_posters(clinic)
    connectors = channel_connectors_named(clinic)
    by_whom = "the agency's owners and managers connect channels" + (
        f": {connectors}" if connectors else ""
    )
    writers = {_writer_id(i) for i in new}
    asked = [u for u in posters if u.pk in writers]
    people_notify(
        users=asked or posters,
        clinic=clinic,
        kind="post_by_hand",
        ref=ref,
        title=title,
        detail=f"{advice['summary']} Until it is connected ({by_whom}), copy each reply, post "
        "it on the platform by hand, then mark it posted with the link to the post. This "
        "closes once they are all posted (by hand, or by Carewatch once the channel is "
        "connected).",
        url=url,
    )
    return {u.pk for u in asked}


def _is_open(clinic: Clinic, ref: str) -> bool:
    return Notification.objects.filter(clinic=clinic, ref=ref, open=True).exists()


def _newcomers_tell(
    notice: _Notice, clinic: Clinic, *, told_items: list[OutboxItem]
) -> dict[int, list[str]]:
    """What was added to a channel's open notice (`notice.items`) tells nobody again, but
    the people who hear of it and were not told of the notice yet (an approver of a reply
    added, not of those it told of) are told now, as they would have been the first time,
    with the count it has now. Told already: the people who hear of what it told of and
    still fails (`told_items`), whoever's message of it is open, and whoever was told of it
    since it opened (a clinic's approver's message is never open). Returns user id →
    channels."""
    rows = Notification.objects.filter(clinic=clinic, ref=notice.ref)
    opened = rows.filter(open=True).aggregate(at=Min("created_at"))["at"]
    since = Q(open=True) | Q(created_at__gte=opened) if opened else Q(open=True)
    told = set(rows.filter(since).values_list("user_id", flat=True))
    told |= {u.pk for u in failure_recipients(told_items, clinic)}
    newcomers = [u for u in failure_recipients(notice.items, clinic) if u.pk not in told]
    return _people_tell(notice, clinic, users=newcomers) if newcomers else {}


def _newcomers_words(told: dict[int, list[str]]) -> str:
    return f"; told {len(told)} who heard of it first now" if told else ""


def _channel_failures_notice(item: OutboxItem, clinic: Clinic, now: datetime) -> _Notice | str:
    """Any other failure (the platform down or refusing, the guard) is told once per channel
    and burst: the failures of a channel that come one after another are one notice, given
    once nothing new failed there for `FAILURE_BURST_QUIET` (or the first waited
    `FAILURE_BURST_LONGEST`); one alone keeps its own title. While the notice is open, a
    later failure there is added to it (its title counts it) instead of telling everyone
    again. The writer of each reply hears at once (her e-mail has its own burst)."""
    ref = failure_ref(item)
    # locked: one posted meanwhile (its notice settled in its own transaction) is not counted
    group = list(
        channel_failures(item.source_id)
        .select_for_update(of=("self",))
        .select_related("source", "review__source", "statement", "draft")
    )
    untold = [i for i in group if i.failure_notified_at is None]
    told_before = len(untold) < len(group) or _is_open(clinic, ref)
    if told_before:
        OutboxItem.objects.filter(pk__in=[i.pk for i in untold]).update(
            failure_notified_at=now, updated_at=now
        )
        notifications_retitle(
            clinic=clinic,
            ref=ref,
            title=channel_failures_title(item.source.name, group),
            url=f"/clinics/{clinic.slug}/outbox/#group-failed",
        )
        _writers_tell(untold, clinic)
        told = _newcomers_tell(
            replace(_several_notice(item, group, clinic), items=untold),
            clinic,
            told_items=[i for i in group if i.failure_notified_at is not None],
        )
        logger.info("delivery failure %s added to its channel's notice", item.pk)
        return f"added to the channel's notice ({len(group)} failed)" + _newcomers_words(told)
    _writers_tell([item], clinic)
    first = min(i.last_error_at or now for i in untold)
    last = max(i.last_error_at or now for i in untold)
    due = min(last + FAILURE_BURST_QUIET, first + FAILURE_BURST_LONGEST)
    if now < due:
        newest = max(untold, key=lambda i: (i.last_error_at or now, i.pk))
        if newest.pk == item.pk:
            # the newest failure's notice looks again once the burst may be over (the others
            # leave it to this one; the sweeper queues what a lost task left)
            countdown = (due - now).total_seconds() + 1
            enqueue_on_commit(NOTIFY_TASK, [(item.pk,)], countdown=countdown)
        return "waiting for the channel's burst of failures to end"
    OutboxItem.objects.filter(pk__in=[i.pk for i in untold]).update(
        failure_notified_at=now, updated_at=now
    )
    _writers_tell(untold, clinic)  # a writer whose reply's notice was lost hears now
    if len(group) == 1:
        advice = failure_advice(item)
        return _Notice(
            items=group,
            ref=ref,
            title=f"Not posted on {item.source.name}: {item_named(item, clinic)}",
            page=f"/clinics/{clinic.slug}/outbox/#item-{item.pk}",
            detail=f"{advice['summary']} {advice['action']}",
            portal=_portal_page(clinic, item),
            clinic_detail=f"{advice['clinic_summary']} {advice['clinic_action']}",
        )
    return _several_notice(item, group, clinic)


def _several_notice(item: OutboxItem, group: list[OutboxItem], clinic: Clinic) -> _Notice:
    """A channel's notice of failures that counts them (`channel_failures_title`), leading
    to the outbox's failed group."""
    statements = all(i.kind != OutboxKind.REPLY for i in group)
    return _Notice(
        items=group,
        ref=failure_ref(item),
        title=channel_failures_title(item.source.name, group),
        page=f"/clinics/{clinic.slug}/outbox/#group-failed",
        detail=_failures_advice(group),
        portal=(
            f"/clinics/{clinic.slug}/portal/statements/"
            if statements
            else f"/clinics/{clinic.slug}/portal/approvals/#portal-delivered"
        ),
        clinic_detail=(
            "The privacy check stopped them before they were sent."
            if all(i.failure_kind == FailureKind.GUARD for i in group)
            else f"{item.source.name} did not take them."
        )
        + " Your agency has been told and will see that they are posted; nothing is needed "
        "from you.",
    )


def _failures_advice(group: list[OutboxItem]) -> str:
    """What the agency's people read under a channel's notice of several failures: why, and
    what to do about them all (the outbox lists each with the platform's own words)."""
    kinds = {i.failure_kind for i in group}
    platform = group[0].source.get_kind_display()
    if kinds == {FailureKind.TRANSIENT}:
        return (
            f"{platform} kept failing. Retry them from the outbox once it answers again, or "
            "post them by hand and mark them posted."
        )
    if kinds == {FailureKind.REFUSED}:
        return (
            f"{platform} refused them. The outbox shows what it said for each: fix that, then "
            "retry, or post them by hand and mark them posted."
        )
    if kinds == {FailureKind.GUARD}:
        return "The guard stopped them before sending. Each needs a legal override, then a retry."
    return "They failed for different reasons: the outbox shows each one's reason and what to do."


def _writers_tell(items: list[OutboxItem], clinic: Clinic) -> None:
    for failed_item in items:
        if failed_item.kind == OutboxKind.REPLY:
            _writer_tell(failed_item, "failed", clinic)


def _people_tell(
    notice: _Notice, clinic: Clinic, *, users: list[User] | None = None
) -> dict[int, list[str]]:
    """The agency's people who approved what failed and its owners (`users`: only these of
    them), in-app and by e-mail; the clinic's approvers by e-mail, for their information.
    Returns user id → channels."""
    recipients = failure_recipients(notice.items, clinic) if users is None else users
    staff = [u for u in recipients if user_is_agency_staff(u)]
    clinic_people = [u for u in recipients if u not in staff] if notice.clinic_too else []
    # the clinic's approver cannot reconnect a channel or open the outbox: nothing waits
    # for them (no banner, no badge); an e-mail tells them where it stands in the portal,
    # in their words, and that the agency acts
    audiences = (
        (staff, notice.detail, notice.page, True),
        (clinic_people, notice.clinic_detail, notice.portal, False),
    )
    told: dict[int, list[str]] = {}
    for users, detail, url, waits in audiences:
        told |= people_notify(
            users=users,
            clinic=clinic,
            kind="delivery_failed",
            ref=notice.ref,
            title=notice.title,
            detail=detail,
            url=url,
            severity="high",
            waits=waits,
        )
    return told


def _chat_tell(notice: _Notice, clinic: Clinic) -> list[str]:
    """The agency's and the clinic's Slack/Teams channels: one message each."""
    outcomes = []
    for hook in chat_webhooks_for(clinic):
        message = chat_notice(
            hook.kind,
            title=f"{clinic.name}: {notice.title}",
            text=notice.detail,
            button=notice.button,
            url=f"{settings.PUBLIC_BASE_URL}{notice.page}",
        )
        outcomes.append(f"{hook.kind}: {chat_post(hook, message)}")
    return outcomes


# --- replies to post by hand --------------------------------------------------------------


def outbox_by_hand_notify(*, item_id: int) -> str:
    """Replies wait to be posted by hand on the item's channel. Each is named to one person
    (`outbox.by_hand_owners`: its writer, else who approved it for the agency), who gets a
    line "… waits for you to post by hand" (in-app and by e-mail, as what waits for them
    always is) with how many of hers wait there; the replies nobody can be named for are told
    to everyone who posts by hand, once per channel. Others may still post them (the outbox
    names the person; a second post is refused). Each line's count follows what waits and it
    leaves when nothing does. The writer of each reply newly there hears it for information
    (`reply_outcome_tell`). Run after the item went to "To post by hand" or was posted by
    hand. Returns what happened."""
    clinic = current_clinic()
    with transaction.atomic():
        item = OutboxItem.objects.select_related("source").filter(pk=item_id).first()
        if item is None or item.kind != OutboxKind.REPLY:
            return "not a reply"
        one_at_a_time(by_hand_ref(item.source_id))
        waiting = by_hand_waiting(item.source_id)
        posters = by_hand_posters(clinic)
        owners = by_hand_owners(waiting, posters=posters)
        groups = by_hand_groups(waiting, owners)
        now = timezone.now()
        untold = [i for i in waiting if i.failure_notified_at is None]
        OutboxItem.objects.filter(pk__in=[i.pk for i in untold]).update(
            failure_notified_at=now, updated_at=now
        )
        by_hand_notice_settle(item)  # every line out counts what waits for it now, or closes
        if not waiting:
            return "nothing waits; notices closed"
        told: dict[int, list[str]] = {}
        lines_open = by_hand_lines_open(clinic, item.source_id)
        everyone_open = Notification.objects.filter(
            clinic=clinic, ref=by_hand_ref(item.source_id), open=True, user__is_active=True
        ).exists()
        untold_ids = {i.pk for i in untold}
        for user_id, items in groups.items():
            if lines_open.get(user_id) if user_id else everyone_open:
                continue  # their line is out and counts what waits for them now
            # Told before, to someone they no longer wait for (who left, was switched off or
            # no longer posts by hand here): told again, to whom they wait for now.
            new = [i for i in items if i.pk in untold_ids] or items
            if user_id is None:
                users = by_hand_fallback(clinic, posters)
                title = by_hand_title(item.source.name, len(items))
                whose = (
                    "Nobody it can be named to posts by hand here any more (its writer, then "
                    "who approved it for the agency), so it waits for the agency's managers; "
                    "anyone of the agency who posts by hand may still do it. "
                    if users != posters
                    else ""
                )
            else:
                owner = owners[new[0].pk]
                users = [owner.user]
                title = by_hand_title(item.source.name, len(items), for_you=True)
                whose = (
                    f"Named to you as {owner.words}, so that one person posts "
                    f"{'it' if len(items) == 1 else 'them'}; anyone of the agency who posts by "
                    "hand may still do it (the outbox refuses a second post). "
                )
            told |= people_notify(
                users=users,
                clinic=clinic,
                kind="post_by_hand",
                ref=by_hand_ref(item.source_id, user_id),
                title=title,
                detail=f"{new[0].manual_reason} {whose}In the outbox, under “To post by "
                "hand”, each waits with its text.",
                url=f"/clinics/{clinic.slug}/outbox/#group-manual",
            )
        poster_ids = {u.pk for u in posters}
        for waiting_item in untold:
            # a writer who posts by hand herself was just told of the channel: her reply's
            # notice is kept in her history, not mailed again
            _writer_tell(waiting_item, "by_hand", clinic, quiet_for=poster_ids)
    logger.info("to post by hand on source %s: %s waiting, told %s", item.source_id,
                len(waiting), len(told))  # fmt: skip
    return f"{len(waiting)} waiting; told {len(told)}"


def by_hand_fallback(clinic: Clinic, posters: list) -> list:
    """Who is told of the replies to post by hand that nobody can be named for
    (`by_hand_owners`: their writer and who approved them for the agency left, were switched
    off or no longer post by hand here): the agency's owners and managers among `posters`;
    everyone who posts by hand when none of them does."""
    managing = set(
        AgencyMembership.objects.filter(
            agency_id=clinic.agency_id,
            role__in=(AgencyRole.OWNER, AgencyRole.MANAGER),
            user__in=[u.pk for u in posters],
        ).values_list("user_id", flat=True)
    )
    return [u for u in posters if u.pk in managing] or posters


# --- the writer: what became of her reply --------------------------------------------------

OUTCOMES = ("published", "failed", "by_hand", "cancelled")


def reply_outcome_tell(*, item_id: int, outcome: str) -> str:
    """Tell the reply's writer, for information, what became of it: `published` (posted, or
    marked posted by hand), `failed`, `by_hand` (it waits to be posted by hand) or
    `cancelled` (its review was deleted before it went out). Once per reply and outcome; for
    one answer to many mentions, once per batch and outcome."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    clinic = current_clinic()
    with transaction.atomic():
        item = (
            OutboxItem.objects.select_related("draft", "review__source", "source")
            .filter(pk=item_id, kind=OutboxKind.REPLY)
            .first()
        )
        if item is None:
            return "not a reply"
        return _writer_tell(item, outcome, clinic)


def _writer_tell(
    item: OutboxItem, outcome: str, clinic: Clinic, *, quiet_for: set[int] = frozenset()
) -> str:
    batch = (
        ReplyBatch.objects.select_related("cluster").filter(pk=item.draft.batch_id).first()
        if item.draft.batch_id
        else None
    )
    writer_id = user_id_of((batch or item.draft).author_label)
    writer = User.objects.filter(pk=writer_id, is_active=True).first() if writer_id else None
    if writer is None:
        return "no writer to tell"
    ref = f"reply-batch:{batch.pk}:{outcome}" if batch else f"reply:{item.draft_id}:{outcome}"
    one_at_a_time(ref)
    told_before = Notification.objects.filter(clinic=clinic, user=writer, ref=ref)
    if told_before.exists():
        if batch is not None and outcome == "published":
            # told once per batch: the line in her history says how many are published now
            told_before.update(title=_batch_published_title(batch)[:300])
        return "already told"
    where = item.source.name
    if batch is not None:
        to = batch_to(batch)
        title, detail = {
            "published": _batch_published_said(batch),
            "failed": (f"Some of your replies {to} were not posted",
                       "The batch's page shows which, and why; the agency's owners were told."),
            "by_hand": (f"Some of your replies {to} are to be posted by hand",
                        "The batch's page shows which; the outbox has their texts."),
            "cancelled": (f"Some of your replies {to} were not published: their mentions "
                          "were deleted",
                          "Deleted at their authors' request, or taken down by their platform, "
                          "after the approval: there is nothing to reply to. The batch's page "
                          "shows which. Nothing for you to do."),
        }[outcome]  # fmt: skip
        url = f"/clinics/{clinic.slug}/replies/batches/{batch.pk}/"
    else:
        what = f"Your reply to {review_named(item.review, tz=clinic_zone(clinic))}"
        if outcome == "published":
            how = (
                "marked posted by hand"
                if item.status == OutboxStatus.POSTED_BY_HAND
                else "published"
            )
            title, detail = f"{what} was {how} on {where}", ""
        elif outcome == "cancelled":
            title = f"{what} was not published: its review was deleted"
            detail = f"{DELETED_REVIEW} Nothing for you to do."
        elif outcome == "failed":
            advice = failure_advice(item)
            title = f"{what} was not posted on {where}"
            detail = (
                f"{advice['summary']} The people who approved it and the agency's owners were told."
            )
        else:
            title, detail = f"{what} is to be posted by hand on {where}", item.manual_reason
        url = f"/clinics/{clinic.slug}/replies/review/{item.review_id}/"
    # a failure's e-mail goes with the others of its burst (`reply_failures_mail`)
    later = outcome == "failed"
    told = people_notify(
        users=[writer],
        clinic=clinic,
        # a reply that will not go out is, for her, one withdrawn (her choice of e-mails)
        kind="reply_withdrawn" if outcome == "cancelled" else f"reply_{outcome}",
        ref=ref,
        title=title,
        detail=detail,
        url=url,
        waits=False,
        email=writer.pk not in quiet_for,
        email_later=later,
    )
    channels = told.get(writer.pk, [])
    if "email_later" in channels:
        countdown = FAILURE_BURST_QUIET.total_seconds() + 5
        enqueue_on_commit(FAILURES_MAIL_TASK, [(writer.pk,)], countdown=countdown)
    return f"told the writer: {channels}"


# Told once per batch, as its first reply is published: the others are often published
# seconds later (all marked posted by hand), and she gets no other e-mail (walk 1, F15).
BATCH_PUBLISHED_SO_FAR = (
    "That is how it stood when this was written, as the first was published: you get no other "
    "e-mail as the rest are published. The batch's page shows where each stands now."
)


def _batch_published_said(batch: ReplyBatch) -> tuple[str, str]:
    """The title and the detail of the writer's one message about a batch's replies being
    published: the detail says a count "so far" is the count when it was written."""
    title = _batch_published_title(batch)
    if " published so far: " in title:
        return title, BATCH_PUBLISHED_SO_FAR
    return title, "The batch's page shows where each stands."


def _batch_published_title(batch: ReplyBatch) -> str:
    """What became of the replies of one answer to many mentions, as it stands now: "Your 17
    replies to the claim “…” were published: all 17 marked posted by hand", or "3 of your 17
    replies to the claim “…” are published so far: 2 by Carewatch, 1 marked posted by hand"."""
    drafts = ReplyDraft.objects.filter(batch=batch).exclude(status=ApprovalStatus.DISCARDED)
    total = drafts.count()
    latest: dict[int, str] = {}
    for draft_id, status in (
        OutboxItem.objects.filter(draft__in=drafts, kind=OutboxKind.REPLY)
        .order_by("created_at", "pk")
        .values_list("draft_id", "status")
    ):
        latest[draft_id] = status
    sent = sum(1 for s in latest.values() if s == OutboxStatus.SENT)
    by_hand = sum(1 for s in latest.values() if s == OutboxStatus.POSTED_BY_HAND)
    done = sent + by_hand
    replies = f"{total} repl{'y' if total == 1 else 'ies'} {batch_to(batch)}"
    if sent and by_hand:
        how = f"{sent} by Carewatch, {by_hand} marked posted by hand"
    elif by_hand:
        how = f"{'all ' if done == total and total > 1 else ''}{by_hand} marked posted by hand"
    else:
        how = f"{'all ' if done == total and total > 1 else ''}{sent} posted by Carewatch"
    if done >= total:
        return f"Your {replies} {'was' if total == 1 else 'were'} published: {how}"
    return f"{done} of your {replies} {'is' if done == 1 else 'are'} published so far: {how}"


# --- the writer: one e-mail for the replies of hers that failed in one burst ---------------

FAILED_KIND = "reply_failed"


def _failure_details(rows: list[Notification]) -> dict[int, str]:
    """What each failed reply's line says under its title: why it was not posted, or what
    became of it since (published, or being sent again)."""
    draft_of = {r.pk: int(r.ref.split(":")[1]) for r in rows if r.ref.startswith("reply:")}
    items: dict[int, OutboxItem] = {}
    for item in (
        OutboxItem.objects.select_related("source", "draft")
        .filter(draft_id__in=set(draft_of.values()), kind=OutboxKind.REPLY)
        .order_by("draft_id", "-updated_at", "-pk")
    ):
        items.setdefault(item.draft_id, item)  # the newest delivery of each reply
    said = {}
    for row in rows:
        item = items.get(draft_of.get(row.pk))
        if row.pk not in draft_of:
            said[row.pk] = "The batch's page shows which, and why; the agency's owners were told."
        elif item is None or item.status == OutboxStatus.FAILED:
            summary = failure_advice(item)["summary"] + " " if item is not None else ""
            said[row.pk] = f"{summary}The people who approved it and the agency's owners were told."
        elif item.status in (OutboxStatus.SENT, OutboxStatus.POSTED_BY_HAND):
            said[row.pk] = "It has been published since."
        else:
            said[row.pk] = f"It is being sent again ({item.get_status_display().lower()})."
    return said


def _failures_title(count: int) -> str:
    return f"{count} of your replies were not posted"


def reply_failures_mail(*, user_id: int, now: datetime | None = None) -> str:
    """The writer's replies that failed in one burst (a platform's outage) are one e-mail,
    listing each with why and a link to it, once the burst is over (`FAILURE_BURST_QUIET`
    without a new one, or `FAILURE_BURST_LONGEST` after the first); every failed reply is in
    one. Queued after each failure she is told of; the outbox's sweeper sends what a lost
    task left behind (`reply_failures_mail_due`). Returns what happened."""
    sent = notifications_owed_send(
        clinic=current_clinic(),
        user_id=user_id,
        kind=FAILED_KIND,
        quiet=FAILURE_BURST_QUIET,
        longest=FAILURE_BURST_LONGEST,
        title_many=_failures_title,
        details=_failure_details,
        now=now,
    )
    return "mailed" if sent else "nothing due"


def reply_failures_mail_due(*, now: datetime | None = None) -> list[int]:
    """The writers of the current clinic whose e-mail about failed replies is due."""
    return notifications_owed_due(
        clinic=current_clinic(),
        kind=FAILED_KIND,
        quiet=FAILURE_BURST_QUIET,
        longest=FAILURE_BURST_LONGEST,
        now=now,
    )
