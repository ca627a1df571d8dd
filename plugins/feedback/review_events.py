"""The ``review:<course uuid>`` topic: a course's review queue, told when it changes.

A take joins the queue when it becomes ready (``review.take_ready``) and leaves it when
feedback on it is published (``review.take_reviewed``) or when it is deleted
(``review.take_removed``). Each event's data is only ``{"clip_id": ...}``: the page reads the
queue again with its own filters, so an event says nothing a subscriber could not read.

The course's teachers (and admins) may subscribe. Events leave after commit.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from django.db.models.signals import post_delete

from plugins.clips.models import PracticeClip
from plugins.clips.permissions import is_admin
from plugins.clips.signals import clip_ready
from practika_site.core.realtime import publish_on_commit
from practika_site.courses.models import CoursePage
from practika_site.users.models import User

from .selectors import _taught_course_ids

logger = logging.getLogger(__name__)

REVIEW_TOPIC_KIND = "review"
TAKE_READY = "review.take_ready"
TAKE_REVIEWED = "review.take_reviewed"
TAKE_REMOVED = "review.take_removed"


def review_topic(course_uuid: UUID | str) -> str:
    return f"{REVIEW_TOPIC_KIND}:{course_uuid}"


def can_watch_review_queue(user: object, course_id: str) -> bool:
    """``can_subscribe`` of ``review:<course uuid>``: the course's teachers and admins."""
    if not isinstance(user, User) or not user.is_active:
        return False
    try:
        course_uuid = UUID(course_id)
    except ValueError:
        return False
    courses = CoursePage.objects.filter(uuid=course_uuid)
    if not is_admin(user):
        courses = courses.filter(pk__in=_taught_course_ids(user))
    return courses.exists()


def _course_uuid(clip: PracticeClip) -> UUID | None:
    """The uuid of the clip's course, or None once the course row is gone."""
    return CoursePage.objects.filter(pk=clip.course_id).values_list("uuid", flat=True).first()


def _publish_take_event(clip: PracticeClip, event_type: str) -> None:
    """``event_type`` on the take's course's topic after commit. A queue that cannot be told
    must not fail what changed it (a job, a publish, a delete): the page catches up on its
    next read."""
    try:
        course_uuid = _course_uuid(clip)
        if course_uuid is not None:
            publish_on_commit(review_topic(course_uuid), event_type, {"clip_id": str(clip.pk)})
    except Exception:
        logger.exception("Could not tell the review queue %s of clip %s.", event_type, clip.pk)


def review_take_reviewed(clip: PracticeClip) -> None:
    """Called by ``feedback_publish``: the take leaves its course's queue after commit."""
    _publish_take_event(clip, TAKE_REVIEWED)


def review_take_waiting_again(clip: PracticeClip) -> None:
    """Called by ``feedback_delete`` for published feedback: the take may be back in its
    course's queue (unless other feedback on it is published; the page reads the queue)."""
    _publish_take_event(clip, TAKE_READY)


# --- receivers ------------------------------------------------------------------------------


def on_clip_ready(sender: Any, clip: PracticeClip, **kwargs: Any) -> None:
    if clip.kind == PracticeClip.Kind.TAKE:
        _publish_take_event(clip, TAKE_READY)


def on_clip_deleted(sender: Any, instance: PracticeClip, **kwargs: Any) -> None:
    # Only a ready take was in a queue; an unfinished upload going away changes none.
    if instance.kind == PracticeClip.Kind.TAKE and instance.status == PracticeClip.Status.READY:
        _publish_take_event(instance, TAKE_REMOVED)


def connect_receivers() -> None:
    clip_ready.connect(on_clip_ready, dispatch_uid="feedback.review_on_clip_ready")
    post_delete.connect(
        on_clip_deleted, sender=PracticeClip, dispatch_uid="feedback.review_on_clip_deleted"
    )
