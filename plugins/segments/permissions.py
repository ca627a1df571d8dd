"""Who may change segments. Seeing one (404 otherwise) is decided in selectors; these are 403s."""

from plugins.clips.models import PracticeClip
from plugins.clips.selectors import clip_is_taught_by
from practika_site.users.models import User

from .models import VideoSegment


def can_create_segment(*, user: User, clip: PracticeClip) -> bool:
    """The clip's owner (a student marks what they want help with) and its course's
    teachers (admins count as teachers everywhere)."""
    return clip.owner_id == user.pk or clip_is_taught_by(clip=clip, user=user)


def can_change_segment(*, user: User, segment: VideoSegment) -> bool:
    """Edit or delete: the segment's creator and the course's teachers (and admins)."""
    return segment.created_by_id == user.pk or clip_is_taught_by(clip=segment.clip, user=user)


def can_export_segment(*, user: User, segment: VideoSegment) -> bool:
    """An export costs a transcode: those who may cut segments on the clip."""
    return can_create_segment(user=user, clip=segment.clip)
