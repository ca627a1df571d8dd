"""A second teacher of the course reviews alongside: sees drafts, changes only their own."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from plugins.clips.models import PracticeClip
from practika_site.courses.models import Enrollment
from practika_site.users.models import User
from tests.api.assertions import assert_error
from tests.courses.factories import enroll
from tests.factories import UserFactory

from .conftest import World
from .helpers import FEEDBACK, make_feedback

pytestmark = pytest.mark.django_db


def test_co_teacher_sees_drafts_but_changes_only_their_own(
    world: World, take: PracticeClip, client_for: Callable[[User], APIClient]
) -> None:
    colleague = UserFactory.create(username="colleague", teacher=True)
    enroll(colleague, world.course, Enrollment.Role.TEACHER)
    client = client_for(colleague)
    draft = make_feedback(take, world.teacher)
    url = f"{FEEDBACK}{draft.pk}/"
    assert client.get(url).status_code == 200
    assert_error(client.patch(url, {"summary": "mine now"}), 403, "forbidden")
    assert_error(client.post(f"{url}publish/"), 403, "forbidden")
    assert_error(client.post(f"{url}markers/", {"time": 1, "text": "x"}), 403, "forbidden")
    assert_error(client.delete(url), 403, "forbidden")
    draft.refresh_from_db()
    assert draft.summary == "Steady tempo; watch the left hand."
    assert draft.status == "draft"
    # Their own feedback on the same take is theirs to publish.
    own = client.post(f"/api/v1/clips/{take.pk}/feedback/", {"summary": "Second opinion."})
    assert own.status_code == 201
    assert client.post(f"{FEEDBACK}{own.json()['id']}/publish/").status_code == 200
