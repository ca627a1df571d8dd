"""Who may do what with a clip. Visibility (404) is decided in selectors; these are 403s."""

from practika_site.users.models import User

from .models import PracticeClip


def is_admin(user: User) -> bool:
    return user.is_superuser or user.role == User.Role.ADMIN


def can_manage_clip(*, user: User, clip: PracticeClip) -> bool:
    """Upload, commit, rename, delete: the owner (and admins)."""
    return clip.owner_id == user.pk or is_admin(user)
