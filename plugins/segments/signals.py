"""Receivers that keep segments in step with their clip's processing and their export job."""

from typing import Any

from django.dispatch import receiver

from huey_tasks.models import MediaJob
from huey_tasks.signals import media_job_finished
from plugins.clips.models import PracticeClip
from plugins.clips.signals import clip_failed, clip_ready

from .models import VideoSegment
from .services import EXPORT_JOB_KIND, segment_export_failed, segments_follow_clip


@receiver(clip_ready, dispatch_uid="segments.on_clip_ready")
def on_clip_ready(sender: Any, clip: PracticeClip, **kwargs: Any) -> None:
    segments_follow_clip(clip=clip, status=VideoSegment.Status.READY)


@receiver(clip_failed, dispatch_uid="segments.on_clip_failed")
def on_clip_failed(sender: Any, clip: PracticeClip, **kwargs: Any) -> None:
    segments_follow_clip(clip=clip, status=VideoSegment.Status.FAILED)


@receiver(media_job_finished, dispatch_uid="segments.on_media_job_finished")
def on_media_job_finished(sender: Any, job: MediaJob, **kwargs: Any) -> None:
    if job.kind == EXPORT_JOB_KIND and job.status == MediaJob.Status.FAILED:
        segment_export_failed(
            segment_id=job.target_id, code=job.error_code, message=job.error_message
        )
