"""Routes of this app inside a clinic (mounted under /clinics/<slug>/ by config.urls_tenant).
`api_patterns` go under api/v1/, `page_patterns` at the clinic root."""

from django.urls import path

from webhooks.apis import (
    WebhookDeliveryListApi,
    WebhookDeliveryReplayApi,
    WebhookDetailApi,
    WebhookListApi,
    WebhookRotateSecretApi,
)
from webhooks.views import WebhookDeliveryReplayView, WebhooksView

api_patterns: list = [
    path("webhooks/", WebhookListApi.as_view(), name="webhook-list"),
    path("webhooks/<int:subscription_id>/", WebhookDetailApi.as_view(), name="webhook-detail"),
    path(
        "webhooks/<int:subscription_id>/rotate-secret/",
        WebhookRotateSecretApi.as_view(),
        name="webhook-rotate-secret",
    ),
    path(
        "webhooks/<int:subscription_id>/deliveries/",
        WebhookDeliveryListApi.as_view(),
        name="webhook-delivery-list",
    ),
    path(
        "webhooks/deliveries/<int:delivery_id>/replay/",
        WebhookDeliveryReplayApi.as_view(),
        name="webhook-delivery-replay",
    ),
]
page_patterns: list = [
    path("webhooks/", WebhooksView.as_view(), name="webhooks"),
    path(
        "webhooks/deliveries/<int:delivery_id>/replay/",
        WebhookDeliveryReplayView.as_view(),
        name="webhooks-delivery-replay",
    ),
]
