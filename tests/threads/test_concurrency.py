"""Posts racing into one thread from two threads of their own (real transactions)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from plugins.threads.models import PracticeThread, ThreadMessage
from plugins.threads.services import message_post

from .conftest import World, make_scene

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_posts_take_distinct_consecutive_seqs(live_world: World) -> None:
    thread = make_scene(live_world).thread
    errors: list[BaseException] = []

    def post_many(author_name: str) -> None:
        try:
            for n in range(8):
                message_post(
                    actor=getattr(live_world, author_name), thread=thread, body=f"{author_name} {n}"
                )
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    posters = [threading.Thread(target=post_many, args=(name,)) for name in ("student", "teacher")]
    for poster in posters:
        poster.start()
    for poster in posters:
        poster.join(timeout=60)
    assert errors == []
    seqs = list(ThreadMessage.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 17))
    assert PracticeThread.objects.get(pk=thread.pk).last_seq == 16
