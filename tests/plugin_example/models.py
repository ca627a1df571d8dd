import uuid

from django.conf import settings
from django.db import models


class ExamplePing(models.Model):
    """A note a user sends to their own ``example:<user id>`` topic, numbered per owner."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="example_pings"
    )
    seq = models.PositiveIntegerField()
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("owner", "seq")
        constraints = [
            models.UniqueConstraint(fields=("owner", "seq"), name="plugin_example_ping_seq_unique")
        ]

    def __str__(self) -> str:
        return f"ping {self.seq} of {self.owner_id}"
