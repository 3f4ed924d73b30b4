"""Private follow-ups of reviews: start one (sending the invitation where a private channel
reaches the person), its thread, owner, due date, status and outcome; the person's consent to
be contacted; and the signed inbound hooks through which their answers arrive."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from clinics.models import Clinic
from core.api import (
    AnonymousAPIView,
    ClinicAPIView,
    HookRateThrottle,
    Pagination,
    paginated_response,
    query_params_validated,
)
from core.errors import ValidationFailed
from feeds.models import Review, Source, SourceKind
from responses.apis.serializers import (
    ContactConsentInputSerializer,
    ContactConsentOutputSerializer,
    FollowUpChannelOutputSerializer,
    FollowUpMessageInputSerializer,
    FollowUpMessageOutputSerializer,
    FollowUpNoteInputSerializer,
    PrivateConversationDetailSerializer,
    PrivateConversationFilterSerializer,
    PrivateConversationInputSerializer,
    PrivateConversationSerializer,
    PrivateConversationUpdateSerializer,
)
from responses.selectors import contact_consents_for, followup_get, private_conversations_list
from responses.services import messaging
from responses.services.private import (
    UNSET,
    contact_consent_record,
    contact_consent_revoke,
    followup_channels,
    followup_inbound_email,
    followup_inbound_messenger,
    followup_inbound_sms,
    followup_message_add,
    followup_message_retry,
    followup_note_add,
    followup_start,
    followup_update,
)


def _detail(conversation_id: int, *, code=status.HTTP_200_OK) -> Response:
    conversation = followup_get(conversation_id)
    if conversation is None:
        raise NotFound()
    return Response(PrivateConversationDetailSerializer(conversation).data, status=code)


def _review_known(review_id: int) -> None:
    """A 404 for a review the clinic does not have: its lists are never another's, nor all."""
    if not Review.objects.filter(pk=review_id).exists():
        raise NotFound()


class ReviewPrivateConversationApi(ClinicAPIView):
    """A review's private follow-ups. POST starts one: on a private channel that reaches the
    person (a Facebook comment's private reply, a consented e-mail or mobile number) the
    invitation is checked by the guard (422 when it blocks; nothing is stored) and sent; with
    no such channel the answer is 400 `no_private_channel`, proposing the public reply
    (`fields.proposal`), which `channel: public_reply` drafts for the approval chain. One open
    follow-up per review (409)."""

    @extend_schema(responses=PrivateConversationSerializer(many=True))
    def get(self, request, review_id: int):
        _review_known(review_id)
        return paginated_response(
            self, private_conversations_list(review_id=review_id), PrivateConversationSerializer
        )

    @extend_schema(
        request=PrivateConversationInputSerializer,
        responses={201: PrivateConversationDetailSerializer},
    )
    def post(self, request, review_id: int):
        data = PrivateConversationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        conversation = followup_start(
            review_id=review_id,
            access=self.access,
            channel=values["channel"] or None,
            text=values["text"] or None,
            owner_id=values["owner_id"],
            due_at=values["due_at"],
            notes=values["notes"],
        )
        return _detail(conversation.pk, code=status.HTTP_201_CREATED)


class ReviewFollowUpChannelsApi(ClinicAPIView):
    """Which private channels reach the author of a review, best first, each with where it goes
    or why it cannot be used; the public reply last (always possible)."""

    @extend_schema(responses=FollowUpChannelOutputSerializer(many=True))
    def get(self, request, review_id: int):
        review = Review.objects.select_related("source").filter(pk=review_id).first()
        if review is None:
            raise NotFound()
        return paginated_response(
            self, list(followup_channels(review)), FollowUpChannelOutputSerializer
        )


class ReviewContactConsentListApi(ClinicAPIView):
    """The reviewer's consents to be contacted (e-mail, SMS), newest first. POST records one:
    the address, how and when the person agreed (`basis`), and you as who recorded it; it
    replaces the active consent of that channel."""

    @extend_schema(responses=ContactConsentOutputSerializer(many=True))
    def get(self, request, review_id: int):
        _review_known(review_id)
        return paginated_response(
            self, contact_consents_for(review_id), ContactConsentOutputSerializer
        )

    @extend_schema(
        request=ContactConsentInputSerializer, responses={201: ContactConsentOutputSerializer}
    )
    def post(self, request, review_id: int):
        data = ContactConsentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consent = contact_consent_record(
            review_id=review_id, access=self.access, **data.validated_data
        )
        return Response(
            ContactConsentOutputSerializer(consent).data, status=status.HTTP_201_CREATED
        )


class ContactConsentRevokeApi(ClinicAPIView):
    """Withdraw a consent (the person asked not to be contacted there any more)."""

    @extend_schema(request=None, responses=ContactConsentOutputSerializer)
    def post(self, request, consent_id: int):
        consent = contact_consent_revoke(consent_id=consent_id, access=self.access)
        return Response(ContactConsentOutputSerializer(consent).data)


class PrivateConversationListApi(ClinicAPIView):
    """The clinic's private follow-ups, newest first."""

    pagination_class = Pagination

    @extend_schema(
        parameters=[PrivateConversationFilterSerializer],
        responses=PrivateConversationSerializer(many=True),
    )
    def get(self, request):
        filters = query_params_validated(PrivateConversationFilterSerializer, request.query_params)
        return paginated_response(
            self,
            private_conversations_list(
                status=filters.get("status"),
                owner_id=filters.get("owner_id"),
                overdue=filters.get("overdue", False),
            ),
            PrivateConversationSerializer,
        )


class PrivateConversationDetailApi(ClinicAPIView):
    @extend_schema(responses=PrivateConversationDetailSerializer)
    def get(self, request, conversation_id: int):
        """A follow-up with its thread, oldest message first."""
        return _detail(conversation_id)

    @extend_schema(
        request=PrivateConversationUpdateSerializer, responses=PrivateConversationDetailSerializer
    )
    def patch(self, request, conversation_id: int):
        """Change a follow-up's owner, due date, status or outcome (an outcome closes it)."""
        data = PrivateConversationUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        followup_update(
            conversation_id=conversation_id,
            access=self.access,
            owner_id=values.pop("owner_id", UNSET),
            due_at=values.pop("due_at", UNSET),
            **values,
        )
        return _detail(conversation_id)


class FollowUpMessageListApi(ClinicAPIView):
    """Write to the person again on the follow-up's channel; the guard checks it (422 when it
    blocks) and it is sent at once. On Facebook, only once the person has answered (409)."""

    @extend_schema(
        request=FollowUpMessageInputSerializer, responses={201: FollowUpMessageOutputSerializer}
    )
    def post(self, request, conversation_id: int):
        data = FollowUpMessageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = followup_message_add(
            conversation_id=conversation_id, access=self.access, text=data.validated_data["text"]
        )
        return Response(
            FollowUpMessageOutputSerializer(message).data, status=status.HTTP_201_CREATED
        )


class FollowUpMessageRetryApi(ClinicAPIView):
    """Send a failed message again (409 unless it failed)."""

    @extend_schema(request=None, responses=FollowUpMessageOutputSerializer)
    def post(self, request, conversation_id: int, message_id: int):
        message = followup_message_retry(
            conversation_id=conversation_id, message_id=message_id, access=self.access
        )
        return Response(FollowUpMessageOutputSerializer(message).data)


class FollowUpNoteApi(ClinicAPIView):
    """Note what was said outside Carewatch (a call); `from_person` notes the person's answer."""

    @extend_schema(
        request=FollowUpNoteInputSerializer, responses={201: FollowUpMessageOutputSerializer}
    )
    def post(self, request, conversation_id: int):
        data = FollowUpNoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = followup_note_add(
            conversation_id=conversation_id, access=self.access, **data.validated_data
        )
        return Response(
            FollowUpMessageOutputSerializer(message).data, status=status.HTTP_201_CREATED
        )


# --- inbound hooks (no credential: each is signed) -------------------------------------------


class _ClinicHook(AnonymousAPIView):
    throttle_classes = [HookRateThrottle]

    def _enter(self, clinic_slug: str) -> Clinic:
        clinic = Clinic.objects.active().filter(slug=clinic_slug).first()
        if clinic is None:
            raise NotFound()
        if len(self.request.body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise ValidationFailed("Request body too large.")
        connection.set_tenant(clinic)
        return clinic


def _json(body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("Body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise ValidationFailed("Body must be a JSON object.")
    return payload


class MessengerHookApi(_ClinicHook):
    """Messenger's webhook for a clinic's Facebook page source. GET is Meta's subscription
    handshake (hub.mode=subscribe, hub.verify_token, hub.challenge); POST a delivery signed
    `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body with the app secret>`. A person's
    message whose sender matches an open Facebook follow-up is threaded into it."""

    def _source(self, source_id: int) -> Source:
        source = Source.objects.filter(pk=source_id, kind=SourceKind.FACEBOOK).first()
        if source is None:
            raise NotFound()
        return source

    def get(self, request, clinic_slug: str, source_id: int):
        self._enter(clinic_slug)
        try:
            source = self._source(source_id)
            token = messaging.messenger_verify_token(source)
            q = request.query_params
            if q.get("hub.mode") != "subscribe" or not token or q.get("hub.verify_token") != token:
                return HttpResponse("Verify token does not match.", status=403)
            return HttpResponse(q.get("hub.challenge", ""), content_type="text/plain")
        finally:
            connection.set_schema_to_public()

    def post(self, request, clinic_slug: str, source_id: int):
        self._enter(clinic_slug)
        try:
            source = self._source(source_id)
            body = request.body
            header = request.headers.get("X-Hub-Signature-256", "")
            if not messaging.messenger_signature_ok(source=source, header=header, body=body):
                raise ValidationFailed("Signature does not match.", code="bad_signature")
            return Response(followup_inbound_messenger(source=source, payload=_json(body)))
        finally:
            connection.set_schema_to_public()


class SmsHookApi(_ClinicHook):
    """Twilio's incoming-message webhook of the clinic's number: a form post (From, Body,
    MessageSid, ...) signed `X-Twilio-Signature`. Answers empty TwiML (no automatic reply)."""

    def post(self, request, clinic_slug: str):
        self._enter(clinic_slug)
        try:
            params = dict(
                parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
            )
            url = settings.PUBLIC_BASE_URL + request.get_full_path()
            header = request.headers.get("X-Twilio-Signature", "")
            if not messaging.twilio_signature_ok(url=url, params=params, header=header):
                raise ValidationFailed("Signature does not match.", code="bad_signature")
            if not params.get("From") or not params.get("MessageSid"):
                raise ValidationFailed(
                    "Invalid input.", fields={"From": ["Required."], "MessageSid": ["Required."]}
                )
            followup_inbound_sms(
                sender=params["From"], text=params.get("Body", ""), message_sid=params["MessageSid"]
            )
            return HttpResponse(
                '<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
                content_type="text/xml",
            )
        finally:
            connection.set_schema_to_public()


class EmailHookApi(_ClinicHook):
    """The inbound-mail provider's post of an answer to a follow-up e-mail: JSON {"from",
    "to", "subject", "text", "message_id"}, signed `X-Carewatch-Signature: t=<unix time>,
    v1=<HMAC-SHA256 of "<t>.<body>" with FOLLOWUP_EMAIL_INBOUND_SECRET>`. The `to` address
    (the follow-up's signed reply address) finds the thread."""

    def post(self, request, clinic_slug: str):
        clinic = self._enter(clinic_slug)
        try:
            body = request.body
            header = request.headers.get("X-Carewatch-Signature", "")
            secret = settings.FOLLOWUP_EMAIL_INBOUND_SECRET
            if not messaging.carewatch_signature_ok(secret=secret, header=header, body=body):
                raise ValidationFailed("Signature does not match.", code="bad_signature")
            payload = _json(body)
            to = payload.get("to")
            to = ", ".join(to) if isinstance(to, list) else str(to or "")
            found = messaging.reply_address_parse(to)
            if found is None or found[0] != clinic.slug:
                raise ValidationFailed(
                    "Invalid input.", fields={"to": ["Not a follow-up reply address."]}
                )
            result = followup_inbound_email(
                conversation_id=found[1],
                sender=str(payload.get("from") or ""),
                text=str(payload.get("text") or ""),
                message_id=str(payload.get("message_id") or ""),
            )
            return Response(result)
        finally:
            connection.set_schema_to_public()
