from practika_site.core.realtime import TopicKind, TopicRegistry

from .selectors import clip_subscribable


def _can_subscribe(user: object, clip_id: str) -> bool:
    from practika_site.users.models import User

    return isinstance(user, User) and clip_subscribable(viewer=user, clip_id=clip_id)


def register_topics(registry: TopicRegistry) -> None:
    registry.register(TopicKind(name="clip", can_subscribe=_can_subscribe))
