from __future__ import annotations

import json
from urllib.parse import urlsplit

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.api import ClinicAPIView, Pagination, paginated_response, query_params_validated
from core.errors import PermissionDenied
from core.permissions import Permission
from core.tenancy import current_clinic
from webhooks.deliver import delivery_body
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookSubscription
from webhooks.selectors import deliveries_for_subscription, subscriptions_list
from webhooks.services import (
    delivery_replay,
    subscription_create,
    subscription_delete,
    subscription_rotate_secret,
    subscription_update,
)


class SubscriptionOutputSerializer(serializers.ModelSerializer):
    """A webhook URL often carries a secret (a token in its path or query): callers who cannot
    manage webhooks see only its scheme and host (context `full_url` False)."""

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "description", "is_active", "created_at", "updated_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("full_url", True):
            parts = urlsplit(data["url"])
            data["url"] = f"{parts.scheme}://{parts.hostname}/…"
        return data


class SubscriptionSecretSerializer(SubscriptionOutputSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The signing secret. Shown in this response only."
    )

    class Meta(SubscriptionOutputSerializer.Meta):
        fields = [*SubscriptionOutputSerializer.Meta.fields, "secret"]


class EventsField(serializers.ListField):
    """The subscribed events. A wrong one is named in one list of messages under `events`
    (DRF's ListField keys them by position: `{"0": [...]}`)."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.ChoiceField(choices=WebhookEvent.choices), **kwargs)

    def run_child_validation(self, data):
        result, errors = [], []
        for item in data:
            try:
                result.append(self.child.run_validation(item))
            except serializers.ValidationError:
                errors.append(
                    f"{str(item)[:100]!r} is not an event: choose from "
                    f"{', '.join(WebhookEvent.values)}."
                )
        if errors:
            raise serializers.ValidationError(errors)
        return result


class SubscriptionInputSerializer(serializers.Serializer):
    # The URL is checked by the service (scheme, credentials and the SSRF guard).
    url = serializers.CharField(max_length=2000)
    events = EventsField(min_length=1)
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    is_active = serializers.BooleanField(required=False, default=True)


class SubscriptionUpdateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2000, required=False)
    events = EventsField(min_length=1, required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class DeliveryBodySerializer(serializers.Serializer):
    """The JSON body of the delivery, as the receiver gets it."""

    id = serializers.UUIDField(help_text="The event's id (`X-Carewatch-Delivery`).")
    event = serializers.CharField(help_text="The event's name (`X-Carewatch-Event`).")
    clinic = serializers.CharField(help_text="The clinic's slug.")
    created_at = serializers.DateTimeField(help_text="When the event happened.")
    data = serializers.DictField(help_text="The event's resource under its name.")


class DeliveryOutputSerializer(serializers.ModelSerializer):
    subscription_id = serializers.IntegerField(read_only=True)
    # A plain string here keeps one name (EventsEnum) for the event choices in the schema.
    event = serializers.CharField(read_only=True, help_text="The event's name.")
    event_id = serializers.UUIDField(
        read_only=True, help_text="The event's `id` (`body.id`); a replay keeps it."
    )
    replay_of_id = serializers.IntegerField(read_only=True, allow_null=True)
    body = serializers.SerializerMethodField()
    occurred_at = serializers.DateTimeField(
        read_only=True, help_text="Deprecated: `body.created_at` (sent until the next release)."
    )
    payload = serializers.JSONField(
        read_only=True, help_text="Deprecated: `body.data` (sent until the next release)."
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription_id",
            "event",
            "event_id",
            "status",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "response_ms",
            "delivered_at",
            "replay_of_id",
            "body",
            "created_at",
            "occurred_at",
            "payload",
        ]

    @extend_schema_field(DeliveryBodySerializer)
    def get_body(self, delivery) -> dict:
        # the very bytes the receiver gets, read back: its times as written there (to the
        # millisecond), not re-written at another precision
        return json.loads(delivery_body(delivery, clinic_slug=current_clinic().slug))

    def to_representation(self, delivery):
        data = super().to_representation(delivery)
        data["occurred_at"] = data["body"]["created_at"]  # its deprecated copy, the same string
        return data


AGENCY_PLUMBING = (
    "Webhooks are your agency's integrations: their subscriptions and delivery logs (every "
    "event as sent, with the receivers' answers) are for its staff and its keys. Ask your "
    "agency about them."
)


def _agency_reads(access) -> None:
    """The clinic's own people and their keys (`ClinicAccess.is_clinic_side`) read nothing of
    the webhooks: the agency's plumbing, whose payloads carry what the clinic's copies leave
    out (the detectors' figures, the agency's drafts). The agency reads them with `view`."""
    if access.is_clinic_side:
        raise PermissionDenied(AGENCY_PLUMBING)


def _subscription(subscription_id: int) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.filter(pk=subscription_id).first()
    if subscription is None:
        raise NotFound()
    return subscription


class WebhookListApi(ClinicAPIView):
    """The clinic's outbound webhook subscriptions. Creating one returns its signing secret,
    once; it is stored encrypted and never returned again. The agency's plumbing: the clinic's
    own people and their keys are refused (403), here, on a subscription and its log."""

    write_permission = Permission.MANAGE

    @extend_schema(responses=SubscriptionOutputSerializer(many=True))
    def get(self, request):
        _agency_reads(self.access)
        full = {"full_url": self.access.can(Permission.MANAGE)}
        return paginated_response(
            self, subscriptions_list(), SubscriptionOutputSerializer, context=full
        )

    @extend_schema(
        request=SubscriptionInputSerializer, responses={201: SubscriptionSecretSerializer}
    )
    def post(self, request):
        data = SubscriptionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription, secret = subscription_create(**data.validated_data)
        subscription.secret = secret
        return Response(
            SubscriptionSecretSerializer(subscription).data, status=status.HTTP_201_CREATED
        )


class WebhookDetailApi(ClinicAPIView):
    write_permission = Permission.MANAGE

    @extend_schema(responses=SubscriptionOutputSerializer)
    def get(self, request, subscription_id: int):
        _agency_reads(self.access)
        full = {"full_url": self.access.can(Permission.MANAGE)}
        return Response(
            SubscriptionOutputSerializer(_subscription(subscription_id), context=full).data
        )

    @extend_schema(request=SubscriptionUpdateSerializer, responses=SubscriptionOutputSerializer)
    def patch(self, request, subscription_id: int):
        subscription = _subscription(subscription_id)
        data = SubscriptionUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        subscription = subscription_update(subscription=subscription, **data.validated_data)
        return Response(SubscriptionOutputSerializer(subscription).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, subscription_id: int):
        subscription_delete(subscription=_subscription(subscription_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecretApi(ClinicAPIView):
    """Issue a new signing secret (in this response only). For 24 hours deliveries also carry
    a signature made with the previous secret, so the receiver can switch without a gap. One
    rotation at a time: a second call while one is being answered is a 409
    `rotation_in_progress` that changes nothing (the new secret is in the first call's
    answer)."""

    write_permission = Permission.MANAGE

    @extend_schema(request=None, responses={201: SubscriptionSecretSerializer})
    def post(self, request, subscription_id: int):
        subscription = _subscription(subscription_id)
        secret = subscription_rotate_secret(subscription=subscription)
        subscription.refresh_from_db()
        subscription.secret = secret
        # 201 like every call that issues a new credential, shown once (API keys, rotation)
        return Response(
            SubscriptionSecretSerializer(subscription).data, status=status.HTTP_201_CREATED
        )


class DeliveryFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, required=False)


class WebhookDeliveryListApi(ClinicAPIView):
    """The delivery log of one subscription, newest first, 50 a page (follow `next`;
    `?page_size=`); `?status=pending|delivered|failed` filters it. A value it cannot read or
    a parameter it does not know is a 400 naming it."""

    pagination_class = Pagination

    @extend_schema(
        parameters=[DeliveryFilterSerializer], responses=DeliveryOutputSerializer(many=True)
    )
    def get(self, request, subscription_id: int):
        _agency_reads(self.access)
        subscription = _subscription(subscription_id)
        filters = query_params_validated(DeliveryFilterSerializer, request.query_params)
        deliveries = deliveries_for_subscription(
            subscription=subscription, status=filters.get("status")
        )
        return paginated_response(self, deliveries, DeliveryOutputSerializer)


class WebhookDeliveryReplayApi(ClinicAPIView):
    """Send a logged delivery again: a new delivery of the same event (same `id` in the body
    and `X-Carewatch-Delivery` header), freshly signed, retried for 24 hours."""

    write_permission = Permission.MANAGE

    @extend_schema(request=None, responses={202: DeliveryOutputSerializer})
    def post(self, request, delivery_id: int):
        delivery = (
            WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
        )
        if delivery is None:
            raise NotFound()
        replay = delivery_replay(delivery=delivery)
        return Response(DeliveryOutputSerializer(replay).data, status=status.HTTP_202_ACCEPTED)
