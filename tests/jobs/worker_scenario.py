"""Run in a subprocess by test_worker_killed.py against its own SQLite file and Huey queue.

``setup`` builds a course, uploads a generated video and commits it (the job goes to the
SqliteHuey queue, no worker yet); ``status`` prints the job and clip as JSON.
"""

import json
import sys
from pathlib import Path

import django


def setup(video_seconds: float) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from plugins.clips.services import clip_commit, clip_request_upload
    from plugins.clips.storage import store_local_file
    from tests.courses.factories import enroll, make_course_tree, make_index
    from tests.factories import UserFactory
    from tests.mediafiles import make_video

    student = UserFactory.create(username="killed-worker-student")
    tree = make_course_tree(make_index(), modules=1, lessons=1, exercises=1)
    enroll(student, tree.course)
    target = clip_request_upload(
        actor=student,
        exercise_id=tree.exercises[0].uuid,
        duration_sec=video_seconds,
        filename="take.mp4",
        content_type="video/mp4",
        absolute_url=lambda path: f"http://testserver{path}",
    )
    work = Path(sys.argv[3])
    video = make_video(work / "take.mp4", duration=video_seconds, width=960, height=540)
    store_local_file(video, target.clip.original_key)
    clip_commit(clip=target.clip, actor=student)
    print(json.dumps({"clip_id": str(target.clip.pk)}))


def status() -> None:
    from huey_tasks.models import MediaJob
    from plugins.clips.models import PracticeClip
    from plugins.clips.services import PROCESS_JOB_KIND

    clip = PracticeClip.objects.get()
    job = MediaJob.objects.get(target_id=clip.pk, kind=PROCESS_JOB_KIND)
    print(
        json.dumps(
            {
                "clip_status": clip.status,
                "clip_progress": clip.progress,
                "renditions": clip.renditions,
                "hls_prefix": clip.hls_prefix,
                "job_status": job.status,
                "stage": job.stage,
                "attempts": job.attempts,
                "error": job.error_message,
            }
        )
    )


if __name__ == "__main__":
    django.setup()
    if sys.argv[1] == "setup":
        setup(float(sys.argv[2]))
    else:
        status()
