from datetime import timedelta

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from accounts.credentials import token_create
from core.api import AnonymousAPIView


class TokenObtainApi(AnonymousAPIView):
    """Exchange e-mail and password for a personal API token (shown once, valid 30 days)."""

    throttle_classes = [AnonRateThrottle]
    throttle_scope = "anon"

    class TokenObtainInputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(trim_whitespace=False)
        name = serializers.CharField(required=False, default="API token", max_length=100)

    class TokenObtainOutputSerializer(serializers.Serializer):
        token = serializers.CharField()
        expires_at = serializers.DateTimeField()

    @extend_schema(
        request=TokenObtainInputSerializer, responses={201: TokenObtainOutputSerializer}, auth=[]
    )
    def post(self, request):
        data = self.TokenObtainInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            email=data.validated_data["email"],
            password=data.validated_data["password"],
        )
        if user is None:
            return Response(
                {
                    "detail": "E-mail or password is wrong, or the account is locked.",
                    "code": "authentication_failed",
                },
                status=status.HTTP_401_UNAUTHORIZED,
            )
        token, issued = token_create(
            user=user, name=data.validated_data["name"], ttl=timedelta(days=30)
        )
        return Response(
            self.TokenObtainOutputSerializer(
                {"token": issued.secret, "expires_at": token.expires_at}
            ).data,
            status=status.HTTP_201_CREATED,
        )
