from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest
from knox.models import AuthToken

from practika_site.core.errors import NotAuthenticated

from .models import User


def token_issue(
    *, request: HttpRequest | None, username: str, password: str
) -> tuple[User, str, AuthToken]:
    """Check the credentials and issue a new API token (stored hashed by knox)."""
    user = authenticate(request, username=username, password=password)
    if not isinstance(user, User) or not user.is_active:
        raise NotAuthenticated("Wrong username or password.", code="invalid_credentials")
    ttl_hours: int = settings.PRACTIKA_TOKEN_TTL_HOURS
    expiry = timedelta(hours=ttl_hours) if ttl_hours > 0 else None
    instance, token = AuthToken.objects.create(user=user, expiry=expiry)
    return user, token, instance


def token_revoke(*, token: AuthToken) -> None:
    token.delete()


def token_revoke_all(*, user: User) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted
