"""Async entry points of outbound webhooks (queue `default`). Tasks take ids and run in the
clinic's schema that queued them (tenant-schemas-celery)."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from clinics.schemas import clinic_schemas_each
from core.queueing import tasks_enqueue
from webhooks.models import DeliveryStatus, WebhookDelivery

logger = logging.getLogger(__name__)
SWEEP_BATCH = 1000


@shared_task(name="webhooks.tasks.delivery_attempt", acks_late=True, reject_on_worker_lost=True)
def delivery_attempt_task(delivery_id: int) -> str:
    """One attempt of one delivery; a failure queues the next attempt at its time (if that
    cannot be queued, the sweeper does it)."""
    from webhooks.deliver import delivery_attempt

    delivery = delivery_attempt(delivery_id=delivery_id)
    if delivery is None:
        return "skipped"
    if delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at is not None:
        countdown = max((delivery.next_attempt_at - timezone.now()).total_seconds(), 0)
        # if it cannot be queued, the sweeper queues it when it is due
        tasks_enqueue(delivery_attempt_task, [(delivery_id,)], countdown=countdown)
    return delivery.status


@shared_task(name="webhooks.tasks.deliveries_sweep")
def deliveries_sweep_task(min_overdue_seconds: int = 60) -> int:
    """Beat: queue the pending deliveries of every clinic that are overdue by
    `min_overdue_seconds` - queued while Redis was down, lost with a worker, or whose retry
    could not be queued. A delivery queued twice is attempted once."""
    from webhooks.services import deliveries_queue

    cutoff = timezone.now() - timedelta(seconds=min_overdue_seconds)
    queued = 0
    for schema in clinic_schemas_each():
        ids = list(
            WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
            .filter(Q(next_attempt_at__lte=cutoff) | Q(next_attempt_at__isnull=True))
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        if ids:
            queued += deliveries_queue(delivery_ids=ids, schema_name=schema)
    return queued
