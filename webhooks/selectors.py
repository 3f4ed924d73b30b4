from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit, urlunsplit

from django.db.models import QuerySet

from webhooks.models import WebhookDelivery, WebhookSubscription

HIDDEN = "(hidden)"


def subscriptions_list() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.order_by("-created_at", "-pk")


def url_secrets_hidden(url: str) -> str:
    """A subscription's URL as a file that leaves Carewatch shows it (the clinic's export):
    its scheme, host, port and path, with what may hold a credential hidden, as some receivers
    take one there: the user and password (`https://(hidden)@host/`), each query value (its
    name kept: `?token=(hidden)`) and the fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # not a URL a subscription could have kept: nothing of it is shown
        return HIDDEN
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    if parts.username is not None or parts.password is not None:
        netloc = f"{HIDDEN}@{netloc}"
    query = "&".join(
        f"{name}={HIDDEN}" for name, _ in parse_qsl(parts.query, keep_blank_values=True)
    )
    fragment = HIDDEN if parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


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
