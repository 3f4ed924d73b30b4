from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.selectors import user_tokens_active
from accounts.services import (
    SignInThrottled,
    client_ip,
    user_authenticate,
    user_token_issue,
    user_token_revoke,
)
from core.api import AnonymousAPIView, PublicAPIView, paginated_response
from core.errors import NotFound, PermissionDenied


class TokenObtainApi(AnonymousAPIView):
    """Exchange e-mail and password for a personal API token (shown once, valid 30 days).
    People who use two-factor sign-in (all agency staff) also send `otp`: the current code of
    their authenticator app, or a backup code."""

    # Sign-in attempts per client address are limited by `user_authenticate` (429 with
    # Retry-After), the same budget as the web sign-in's.
    throttle_classes = []

    class TokenObtainInputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(trim_whitespace=False, max_length=1024)
        otp = serializers.CharField(required=False, allow_blank=True, max_length=16)
        name = serializers.CharField(required=False, default="API token", max_length=100)

    class TokenObtainOutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        token = serializers.CharField()
        expires_at = serializers.DateTimeField()

    @extend_schema(
        request=TokenObtainInputSerializer, responses={201: TokenObtainOutputSerializer}, auth=[]
    )
    def post(self, request):
        data = self.TokenObtainInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = user_authenticate(
                email=data.validated_data["email"],
                password=data.validated_data["password"],
                otp=data.validated_data.get("otp", ""),
                otp_now=True,
                ip=client_ip(request),
                channel="api",
            )
        except SignInThrottled as exc:
            return Response(
                {"detail": exc.detail, "code": exc.code},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(exc.retry_after)},
            )
        token, issued = user_token_issue(user=user, name=data.validated_data["name"])
        return Response(
            self.TokenObtainOutputSerializer(
                {"id": token.pk, "token": issued.secret, "expires_at": token.expires_at}
            ).data,
            status=status.HTTP_201_CREATED,
        )


class _OwnTokensMixin:
    def caller(self):
        user = self.actor.user
        if user is None:
            raise PermissionDenied("Personal tokens belong to people: use a session or a token.")
        return user


class PersonalTokenOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField()


class TokenListApi(_OwnTokensMixin, PublicAPIView):
    """The caller's own personal tokens that still work (never their secrets)."""

    @extend_schema(responses=PersonalTokenOutputSerializer(many=True))
    def get(self, request):
        tokens = user_tokens_active(user=self.caller(), now=timezone.now())
        return paginated_response(self, tokens, PersonalTokenOutputSerializer)


class TokenRevokeApi(_OwnTokensMixin, PublicAPIView):
    """Revoke one of the caller's personal tokens (another person's is 404)."""

    @extend_schema(responses={204: None})
    def delete(self, request, token_id: int):
        token = user_tokens_active(user=self.caller(), now=timezone.now()).filter(pk=token_id)
        token = token.first()
        if token is None:
            raise NotFound("No such token.")
        user_token_revoke(token=token, reason="revoked_by_owner")
        return Response(status=status.HTTP_204_NO_CONTENT)
