"""Token authentication for websockets: ``?token=`` or ``Authorization: Token <token>``."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from knox.auth import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


def _token_from_scope(scope: dict[str, Any]) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == b"authorization":
            scheme, _, token = bytes(value).decode("latin-1").partition(" ")
            if scheme.lower() == "token" and token.strip():
                return token.strip()
    query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
    tokens = query.get("token")
    return tokens[0] if tokens else None


@database_sync_to_async
def _user_for_token(token: str) -> Any:
    try:
        user, _ = TokenAuthentication().authenticate_credentials(token.encode())
    except AuthenticationFailed:
        return AnonymousUser()
    return user


class TokenAuthMiddleware:
    """Inside AuthMiddlewareStack: a token, when given, decides who the user is."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        token = _token_from_scope(scope)
        if token is not None:
            scope = {**scope, "user": await _user_for_token(token), "auth_method": "token"}
        else:
            scope = {**scope, "auth_method": "session"}
        return await self.inner(scope, receive, send)
