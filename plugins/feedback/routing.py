"""The ``review:<course uuid>`` topic kind: a course's review queue, live for its teachers."""

from practika_site.core.realtime import TopicKind, TopicRegistry

from .review_events import REVIEW_TOPIC_KIND, can_watch_review_queue


def register_topics(registry: TopicRegistry) -> None:
    registry.register(TopicKind(name=REVIEW_TOPIC_KIND, can_subscribe=can_watch_review_queue))
