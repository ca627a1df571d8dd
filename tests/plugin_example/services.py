from django.db import transaction
from django.db.models import Max

from practika_site.core.realtime import publish_on_commit
from practika_site.users.models import User

from .events import EXAMPLE_PINGED, example_ping_data, example_topic
from .models import ExamplePing


@transaction.atomic
def example_ping_create(*, owner: User, note: str = "") -> ExamplePing:
    """Save the next ping of ``owner`` and announce it on their topic after commit."""
    # The owner's row serializes seq assignment between concurrent pings.
    User.objects.select_for_update().filter(pk=owner.pk).first()
    last = ExamplePing.objects.filter(owner=owner).aggregate(last=Max("seq"))["last"]
    ping = ExamplePing(owner=owner, seq=(last or 0) + 1, note=note)
    ping.full_clean()
    ping.save()
    publish_on_commit(
        example_topic(owner.pk), EXAMPLE_PINGED, example_ping_data(ping), seq=ping.seq
    )
    return ping
