from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import clips_expire_uploads


@db_periodic_task(crontab(minute="*/5"))
def clips_expire_uploads_task() -> None:
    clips_expire_uploads()
