"""Telling people that a delivery failed: the agency's people who approved the reply or
statement and the agency's owners, in-app and by e-mail (`clinics.notifications.people_notify`,
as they chose), and in the agency's and the clinic's Slack/Teams channels (`clinics.alerting`,
the channels incident alerts go to). The clinic's own approvers cannot fix a delivery: they
learn of it by e-mail, for their information, never as something waiting for them. Once per
failure: `failure_notified_at` is set in the same transaction, and a retry clears it.

The replies of one batch are told per channel, once, with how many failed there and the
claim's words ("3 replies to the claim “…” were not posted on Google Business Profile"): each
channel has its own notice (`failure_ref`), so a second channel's failure is never taken for
the first's. While other replies of the batch are still on their first attempt on that
channel, the notice waits for them (at most `BATCH_WAIT`; the sweeper sends it again), so the
count is the channel's, not the first reply's."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_is_agency_staff
from agency.models import AgencyMembership, AgencyRole
from clinics.alerting import chat_notice, chat_post, chat_webhooks_for
from clinics.models import Clinic, clinic_zone
from clinics.notifications import people_notify
from core.tenancy import current_clinic
from responses.models import AuditEntry, OutboxItem, OutboxKind, OutboxStatus, ReplyBatch
from responses.selectors import failure_advice, review_named
from responses.services.outbox import failure_ref, item_batch_id

logger = logging.getLogger(__name__)
# how long a batch's notice waits for its other replies' first attempt on the same channel
BATCH_WAIT = timedelta(minutes=5)
CLAIM_WORDS = 80


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
    return [int(label.split(":", 1)[1]) for label in labels if label.startswith("user:")]


def failure_recipients(item: OutboxItem, clinic: Clinic) -> list[User]:
    """Who hears of a failed delivery: its approvers, then the agency's owners; each once."""
    owners = AgencyMembership.objects.filter(
        agency_id=clinic.agency_id, role=AgencyRole.OWNER, user__is_active=True
    ).values_list("user_id", flat=True)
    ids = list(dict.fromkeys([*_approvers(item), *owners]))
    users = {u.pk: u for u in User.objects.filter(pk__in=ids, is_active=True)}
    return [users[i] for i in ids if i in users]


def _what(item: OutboxItem, clinic: Clinic) -> str:
    if item.kind == OutboxKind.REPLY:
        return f"the reply to {review_named(item.review, tz=clinic_zone(clinic))}"
    if item.kind == OutboxKind.STATEMENT_POST:
        return f"the statement “{item.statement.title}”"
    return f"unpinning the statement “{item.statement.title}”"


def _batch_title(batch: ReplyBatch, source_name: str, failed: int) -> str:
    """ "3 replies to the claim “… reuses needles” were not posted on Google Business
    Profile": how many, and the claim as people know it (never a batch number)."""
    replies = "1 reply" if failed == 1 else f"{failed} replies"
    claim = batch.cluster.title.strip() if batch.cluster_id and batch.cluster else ""
    if len(claim) > CLAIM_WORDS:
        claim = "…" + claim[-(CLAIM_WORDS - 1) :].lstrip()
    to = f"to the claim “{claim}”" if claim else "of one answer to many mentions"
    return f"{replies} {to} {'was' if failed == 1 else 'were'} not posted on {source_name}"


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


def outbox_failure_notify(*, item_id: int) -> str:
    """Tell the approvers and the agency's owners that the item failed, with what to do; for
    a reply of a batch, that the batch's replies failed on the item's channel, with how many.
    Returns what happened (for the task's log)."""
    clinic = current_clinic()
    with transaction.atomic():
        found = OutboxItem.objects.select_related("draft").filter(pk=item_id).first()
        batch_id = item_batch_id(found) if found is not None else None
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
        now = timezone.now()
        advice = failure_advice(item)
        told_before = False
        if batch is not None:
            group = list(
                OutboxItem.objects.filter(draft__batch_id=batch.pk, source_id=item.source_id)
            )
            if _first_attempt_pending(group) and (
                item.last_error_at is None or now - item.last_error_at < BATCH_WAIT
            ):
                # the last of them to fail tells of all (or the sweeper, a minute on)
                return "waiting for the batch's other replies on this channel"
            failed = [i for i in group if i.status == OutboxStatus.FAILED]
            untold = [i.pk for i in failed if i.failure_notified_at is None]
            told_before = len(untold) < len(failed)
            OutboxItem.objects.filter(pk__in=untold).update(failure_notified_at=now, updated_at=now)
            title = _batch_title(batch, item.source.name, len(failed))
            page = f"/clinics/{clinic.slug}/replies/batches/{batch.pk}/"
        else:
            item.failure_notified_at = now
            item.save(update_fields=["failure_notified_at", "updated_at"])
            title = f"Not posted on {item.source.name}: {_what(item, clinic)}"
            page = f"/clinics/{clinic.slug}/outbox/#item-{item.pk}"
        recipients = failure_recipients(item, clinic)
        staff = [u for u in recipients if user_is_agency_staff(u)]
        # the e-mail has no open notice to stop a repeat: a batch's channel they were told of
        # (still failing) is not told again, as for staff
        clinic_people = [u for u in recipients if u not in staff and not told_before]
        # the clinic's approver cannot reconnect a channel or open the outbox: nothing waits
        # for them (no banner, no badge); an e-mail tells them where it stands in the portal,
        # in their words, and that the agency acts
        audiences = (
            (staff, f"{advice['summary']} {advice['action']}", page, True),
            (clinic_people, f"{advice['clinic_summary']} {advice['clinic_action']}",
             _portal_page(clinic, item), False),
        )  # fmt: skip
        told: dict[int, list[str]] = {}
        for users, detail, url, waits in audiences:
            told |= people_notify(
                users=users,
                clinic=clinic,
                kind="delivery_failed",
                ref=failure_ref(item),
                title=title,
                detail=detail,
                url=url,
                severity="high",
                waits=waits,
            )
    outcomes = []
    for hook in chat_webhooks_for(clinic):
        message = chat_notice(
            hook.kind,
            title=f"{clinic.name}: {title}",
            text=f"{advice['summary']} {advice['action']}",
            button="Open the replies" if batch is not None else "Open the outbox",
            url=f"{settings.PUBLIC_BASE_URL}{page}",
        )
        outcomes.append(f"{hook.kind}: {chat_post(hook, message)}")
    logger.info("delivery failure %s told %s people; chat %s", item.pk, len(told), outcomes)
    return f"told {len(told)}; " + ", ".join(outcomes)
