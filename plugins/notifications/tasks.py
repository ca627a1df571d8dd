from uuid import UUID

from django.core.cache import cache
from django.utils import timezone
from huey.contrib.djhuey import db_task

from .services import notification_emails_send


@db_task(retries=3, retry_delay=60)
def notification_emails_task(user_id: str) -> None:
    """Mail a user's due notifications; if a digest is due later, come back then."""
    again = notification_emails_send(user_id=UUID(user_id))
    if again is not None:
        delay = max(1.0, (again - timezone.now()).total_seconds())
        # Many notifications in one window need one digest run, not one each.
        if cache.add(f"notifications:digest:{user_id}", 1, timeout=int(delay)):
            notification_emails_task.schedule(args=(user_id,), delay=delay)
