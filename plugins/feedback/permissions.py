"""Who may do what with feedback. Visibility (404) is decided in selectors; these are 403s."""

from plugins.clips.models import PracticeClip
from plugins.clips.permissions import is_admin
from plugins.clips.selectors import clip_is_taught_by
from practika_site.users.models import User

from .models import Feedback


def can_review_clip(*, user: User, clip: PracticeClip) -> bool:
    """Give feedback on a take: the course's teachers (and admins)."""
    return clip_is_taught_by(clip=clip, user=user)


def can_edit_feedback(*, user: User, feedback: Feedback) -> bool:
    """Edit, delete, publish, and change markers: the author (and admins), drafts and
    published feedback alike (a published edit stays published)."""
    return feedback.author_id == user.pk or is_admin(user)


def can_reply_to_feedback(*, user: User, feedback: Feedback) -> bool:
    """Record the video reply: the author only, since the reply is a clip they own."""
    return feedback.author_id == user.pk
