"""Who may do what in a thread they can see. Visibility (404) is decided in selectors."""

from practika_site.users.models import User

from .models import ThreadMessage


def is_admin(user: User) -> bool:
    return user.is_superuser or user.role == User.Role.ADMIN


def can_edit_message(*, user: User, message: ThreadMessage) -> bool:
    return message.author_id == user.pk


def can_delete_message(*, user: User, message: ThreadMessage) -> bool:
    return message.author_id == user.pk or is_admin(user)
