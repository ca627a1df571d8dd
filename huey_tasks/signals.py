from django.dispatch import Signal

media_job_finished = Signal()
"""Sent when a MediaJob ends for good: succeeded, or failed with no attempt left.

sender: the ``MediaJob`` class. kwargs: ``job`` (the MediaJob, status SUCCEEDED or FAILED,
``error_code``/``error_message`` set on failure). Sent after the job row is committed.
Receivers filter on ``job.kind`` and must be idempotent: the reaper may finish a job whose
worker died, so a receiver can see a job it never saw start.
"""
