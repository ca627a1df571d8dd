import uuid

from django.db.models import QuerySet

from .models import ExamplePing


def example_ping_list(*, owner_id: uuid.UUID, since: int | None = None) -> QuerySet[ExamplePing]:
    pings = ExamplePing.objects.filter(owner_id=owner_id).order_by("seq")
    if since is not None:
        pings = pings.filter(seq__gt=since)
    return pings
