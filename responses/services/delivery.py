"""Telling people that a delivery failed: the agency's people who approved the reply or
statement and the agency's owners, in-app and by e-mail (`clinics.notifications.people_notify`,
as they chose), and in the agency's and the clinic's Slack/Teams channels (`clinics.alerting`,
the channels incident alerts go to). The clinic's own approvers cannot fix a delivery: they
learn of it by e-mail, for their information, never as something waiting for them. Once per
failure: `failure_notified_at` is set in the same transaction, and a retry clears it."""

from __future__ import annotations

import logging

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
from responses.models import AuditEntry, OutboxItem, OutboxKind, OutboxStatus
from responses.selectors import failure_advice, review_named
from responses.services.outbox import failure_ref, item_batch_id

logger = logging.getLogger(__name__)


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
    if batch_id := item_batch_id(item):
        return f"replies of the batch #{batch_id} (one reply to many mentions)"
    if item.kind == OutboxKind.REPLY:
        return f"the reply to {review_named(item.review, tz=clinic_zone(clinic))}"
    if item.kind == OutboxKind.STATEMENT_POST:
        return f"the statement “{item.statement.title}”"
    return f"unpinning the statement “{item.statement.title}”"


def _portal_page(clinic: Clinic, item: OutboxItem) -> str:
    if item.kind == OutboxKind.REPLY:
        return f"/clinics/{clinic.slug}/portal/approvals/#delivered-{item.draft_id}"
    return f"/clinics/{clinic.slug}/portal/statements/"


def _batch_already_told(item: OutboxItem, batch_id: int) -> bool:
    """Another reply of the batch failed and its people were told, and it is not posted yet."""
    return (
        OutboxItem.objects.filter(
            draft__batch_id=batch_id, status=OutboxStatus.FAILED, failure_notified_at__isnull=False
        )
        .exclude(pk=item.pk)
        .exists()
    )


def outbox_failure_notify(*, item_id: int) -> str:
    """Tell the approvers and the agency's owners that the item failed, with what to do.
    Returns what happened (for the task's log)."""
    clinic = current_clinic()
    with transaction.atomic():
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
        item.failure_notified_at = timezone.now()
        item.save(update_fields=["failure_notified_at", "updated_at"])
        advice = failure_advice(item)
        title = f"Not posted on {item.source.name}: {_what(item, clinic)}"
        batch_id = item_batch_id(item)
        page = (
            f"/clinics/{clinic.slug}/replies/batches/{batch_id}/"
            if batch_id
            else f"/clinics/{clinic.slug}/outbox/#item-{item.pk}"
        )
        recipients = failure_recipients(item, clinic)
        staff = [u for u in recipients if user_is_agency_staff(u)]
        clinic_people = [u for u in recipients if u not in staff]
        if batch_id and _batch_already_told(item, batch_id):
            # the e-mail has no open notice to stop a repeat: once per batch, as for staff
            clinic_people = []
        # the clinic's approver cannot reconnect a channel or open the outbox: nothing waits
        # for them (no banner, no badge); an e-mail tells them where it stands in the portal
        # and that the agency acts
        audiences = (
            (staff, advice["action"], page, True),
            (clinic_people, advice["clinic_action"], _portal_page(clinic, item), False),
        )  # fmt: skip
        told: dict[int, list[str]] = {}
        for users, what_to_do, url, waits in audiences:
            told |= people_notify(
                users=users,
                clinic=clinic,
                kind="delivery_failed",
                ref=failure_ref(item),
                title=title,
                detail=f"{advice['summary']} {what_to_do}",
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
            button="Open the outbox",
            url=f"{settings.PUBLIC_BASE_URL}{page}",
        )
        outcomes.append(f"{hook.kind}: {chat_post(hook, message)}")
    logger.info("delivery failure %s told %s people; chat %s", item.pk, len(told), outcomes)
    return f"told {len(told)}; " + ", ".join(outcomes)
