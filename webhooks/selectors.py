from __future__ import annotations

from django.db.models import QuerySet

from webhooks.models import WebhookDelivery, WebhookSubscription


def subscriptions_list() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.order_by("-created_at", "-pk")


def deliveries_for_subscription(
    *, subscription: WebhookSubscription, status: str | None = None
) -> QuerySet[WebhookDelivery]:
    deliveries = WebhookDelivery.objects.filter(subscription=subscription)
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries.order_by("-created_at", "-pk")


def deliveries_recent(*, limit: int = 50) -> list[WebhookDelivery]:
    return list(
        WebhookDelivery.objects.select_related("subscription").order_by("-created_at", "-pk")[
            :limit
        ]
    )
