from typing import Any

from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from practika_site.core.errors import NotAuthenticated

from .models import User
from .services import token_issue, token_revoke


class UserReadSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ("id", "username", "first_name", "last_name", "email", "role")
        read_only_fields = fields


class StrictCharField(serializers.CharField):
    """A JSON string only: DRF's CharField would turn ``12345`` into ``"12345"``."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class TokenCreateSerializer(serializers.Serializer[Any]):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=4096, trim_whitespace=False)


class TokenReadSerializer(serializers.Serializer[Any]):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)
    user = UserReadSerializer()


class TokenView(APIView):
    """Issue (POST) or revoke (DELETE) an API token."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    def get_authenticators(self) -> list[Any]:
        # Logging in never needs (or checks) an old token or session, so no CSRF either.
        if getattr(self, "request", None) is not None and self.request.method == "POST":
            return []
        from knox.auth import TokenAuthentication

        return [TokenAuthentication()]

    @extend_schema(request=TokenCreateSerializer, responses={200: TokenReadSerializer})
    def post(self, request: Request) -> Response:
        data = TokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, token, instance = token_issue(
            request=request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        body = {"token": token, "expires_at": instance.expiry, "user": user}
        return Response(TokenReadSerializer(body).data, status=status.HTTP_200_OK)

    @extend_schema(responses={204: None})
    def delete(self, request: Request) -> Response:
        if not isinstance(request.auth, AuthToken):
            raise NotAuthenticated("Only a token can revoke itself.")
        token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(responses={200: UserReadSerializer})
    def get(self, request: Request) -> Response:
        assert isinstance(request.user, User)  # IsAuthenticated ran first
        return Response(UserReadSerializer(request.user).data)
