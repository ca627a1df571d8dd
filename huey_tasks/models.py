from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per running Huey consumer; the readiness check reads the newest."""

    worker_id = models.CharField(primary_key=True, max_length=200)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.worker_id
