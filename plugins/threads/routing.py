from practika_site.core.realtime import TopicKind, TopicRegistry

from . import consumers
from .signals import TOPIC_KIND


def register_topics(registry: TopicRegistry) -> None:
    registry.register(
        TopicKind(
            name=TOPIC_KIND,
            can_subscribe=consumers.can_subscribe,
            replay=consumers.replay,
            head=consumers.head,
            on_join=consumers.on_join,
            on_leave=consumers.on_leave,
            keepalive=consumers.keepalive,
            handlers={"message": consumers.on_message, "typing": consumers.on_typing},
        )
    )
