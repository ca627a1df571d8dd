import uuid

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from practika_site.users.models import User


def can_watch_example_topic(*, user: AbstractBaseUser | AnonymousUser, owner_id: str) -> bool:
    """The owner watches their own pings; staff, as the database says now, watch anyone's."""
    if not user.is_authenticated:
        return False
    try:
        owner_pk = uuid.UUID(owner_id)
    except ValueError:
        return False
    if not User.objects.filter(pk=owner_pk, is_active=True).exists():
        return False
    if owner_pk == user.pk:
        return True
    return User.objects.filter(pk=user.pk, is_active=True, is_staff=True).exists()
