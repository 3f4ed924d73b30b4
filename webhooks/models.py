"""Per-clinic outbound webhooks (each clinic's schema): subscriptions and their delivery log."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from core.models import BaseModel


class WebhookEvent(models.TextChoices):
    REVIEW_CREATED = "review.created", "A review or mention arrived"
    REVIEW_UPDATED = "review.updated", "A review changed on its platform (edited, taken down)"
    REVIEW_SCORED = "review.scored", "A review was scored"
    INCIDENT_OPENED = "incident.opened", "An incident was opened"
    INCIDENT_GREW = "incident.grew", "An open incident grew (its people were alerted again)"
    INCIDENT_RESOLVED = "incident.resolved", "An incident was resolved"
    REPLY_APPROVED = "reply.approved", "A reply was approved"
    REPLY_PUBLISHED = "reply.published", "A reply was published"
    STATEMENT_PUBLISHED = "statement.published", "A statement was published"
    PRIVACY_REQUEST_RECEIVED = "privacy_request.received", "A privacy request was received"
    PRIVACY_REQUEST_COMPLETED = "privacy_request.completed", "A privacy request was carried out"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (given up)"


PAUSED_ERROR = "Not sent: the subscription is paused."


class WebhookSubscription(BaseModel):
    """An endpoint of the clinic's that receives the events it chose, signed with its secret."""

    url = models.CharField(max_length=2000)
    events = ArrayField(models.CharField(max_length=64, choices=WebhookEvent.choices))
    description = models.CharField(max_length=200, blank=True, default="")
    # Fernet token (core.crypto) of {"secret", "previous"?, "previous_until"?}; never returned
    # by the API after creation, shown in a page or logged.
    secret_encrypted = models.TextField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(events__len__gt=0), name="webhook_subscription_has_events"
            ),
            models.CheckConstraint(
                condition=Q(events__contained_by=WebhookEvent.values),
                name="webhook_subscription_known_events",
            ),
        ]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(BaseModel):
    """One event for one subscription: the log row and the retry state. A replay is a new row
    with the same `event_id` (receivers deduplicate on it)."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    event = models.CharField(max_length=64, choices=WebhookEvent.choices)
    event_id = models.UUIDField(db_index=True)
    occurred_at = models.DateTimeField()
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True, default="")
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            ),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_log"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="webhook_delivery_status"
            ),
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_at__isnull=False),
                name="webhook_delivery_delivered_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk} ({self.status})"
