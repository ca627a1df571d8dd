"""Notifications: made from other plugins' signals, live on ``user:<id>``, listed and marked
read over REST, mailed one by one or as a digest, each kind switchable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from plugins.notifications.models import Notification, NotificationKind, NotificationPreference
from plugins.notifications.services import (
    notification_create,
    notification_emails_send,
    notifications_mark_read,
)
from practika_site.users.models import User
from tests.api.assertions import assert_error, response_json
from tests.clips.conftest import Published

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications/"


def tell(user: User, title: str = "Something happened", **fields: Any) -> Notification:
    notification = notification_create(
        user=user,
        kind=fields.pop("kind", NotificationKind.CLIP_READY),
        title=title,
        target_type="clip",
        target_id=fields.pop("target_id", uuid4()),
        url="/courses/x/",
        **fields,
    )
    assert notification is not None
    return notification


def test_nobody_is_told_of_their_own_action(student: User) -> None:
    assert (
        notification_create(
            user=student,
            kind=NotificationKind.THREAD_MESSAGE,
            title="x",
            target_type="thread",
            target_id=uuid4(),
            actor=student,
        )
        is None
    )


def test_switching_a_kind_off_in_the_app_stops_it(student: User) -> None:
    NotificationPreference.objects.create(
        user=student, kind=NotificationKind.CLIP_READY, in_app=False
    )
    assert (
        notification_create(
            user=student,
            kind=NotificationKind.CLIP_READY,
            title="x",
            target_type="clip",
            target_id=uuid4(),
        )
        is None
    )
    assert not Notification.objects.exists()


def test_switching_email_off_keeps_the_notification_but_sends_nothing(
    student: User, django_capture_on_commit_callbacks: Any
) -> None:
    NotificationPreference.objects.create(
        user=student, kind=NotificationKind.CLIP_READY, email=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        tell(student)
    assert Notification.objects.count() == 1
    assert mail.outbox == []
    assert notification_emails_send(user_id=student.pk) is None
    assert mail.outbox == []


def test_many_notifications_in_a_short_time_arrive_as_one_digest(
    student: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        tell(student, "First")
    assert [m.subject for m in mail.outbox] == ["First"]
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            tell(student, f"Later {n}")
    assert len(mail.outbox) == 1  # within the window: they wait

    first_mail = Notification.objects.get(title="First").emailed_at
    assert first_mail is not None
    due = notification_emails_send(user_id=student.pk, now=first_mail + timedelta(seconds=5))
    assert due == first_mail + timedelta(seconds=600)
    assert notification_emails_send(user_id=student.pk, now=due) is None
    assert len(mail.outbox) == 2
    digest = mail.outbox[1]
    assert digest.subject == "3 new notifications on Practika"
    for n in range(3):
        assert f"Later {n}" in str(digest.body)
    # Run again (a retried task): nothing more is sent.
    assert notification_emails_send(user_id=student.pk, now=due + timedelta(hours=1)) is None
    assert len(mail.outbox) == 2


def test_read_notifications_are_never_mailed(student: User) -> None:
    notification = tell(student)
    notifications_mark_read(user=student, ids=[notification.pk])
    assert notification_emails_send(user_id=student.pk) is None
    assert mail.outbox == []


def test_users_without_an_address_get_no_mail(student: User) -> None:
    User.objects.filter(pk=student.pk).update(email="")
    student.refresh_from_db()
    tell(student)
    assert notification_emails_send(user_id=student.pk) is None


def test_coalesced_notifications_count_up_instead_of_piling_up(
    student: User, published: Published, django_capture_on_commit_callbacks: Any
) -> None:
    thread_id = uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            tell(
                student,
                f"Message {n}",
                kind=NotificationKind.THREAD_MESSAGE,
                target_id=thread_id,
                coalesce=True,
            )
    notification = Notification.objects.get()
    assert notification.title == "Message 2"
    assert notification.data["count"] == 3
    assert published.types(f"user:{student.pk}") == [
        "notification.created",
        "notification.updated",
        "notification.updated",
    ]
    # Once read, the next message starts a new one.
    notifications_mark_read(user=student, everything=True)
    tell(student, "Again", kind=NotificationKind.THREAD_MESSAGE, target_id=thread_id, coalesce=True)
    assert Notification.objects.count() == 2


# --- REST ---------------------------------------------------------------------------------


def test_list_is_newest_first_and_filters(
    student: User,
    student2: User,
    client_for: Callable[[User], APIClient],
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(12):
        tell(student, f"N{n}")
    tell(student2, "Not yours")
    notifications_mark_read(user=student, ids=[Notification.objects.get(title="N0").pk])
    client = client_for(student)
    with django_assert_max_num_queries(4):
        body = response_json(client.get(LIST, {"page_size": "50"}))
    assert body["count"] == 12
    assert [n["title"] for n in body["results"]][:2] == ["N11", "N10"]
    assert set(body["results"][0]) == {
        "id",
        "kind",
        "title",
        "body",
        "actor",
        "target_type",
        "target_id",
        "url",
        "data",
        "read",
        "read_at",
        "created_at",
    }
    unread = response_json(client.get(LIST, {"unread": "true", "page_size": "50"}))
    assert unread["count"] == 11
    read = response_json(client.get(LIST, {"unread": "false"}))
    assert [n["title"] for n in read["results"]] == ["N0"]
    assert response_json(client.get(LIST, {"kind": "clip_ready"}))["count"] == 12
    assert response_json(client.get(LIST + "unread-count/")) == {"unread_count": 11}


def test_mark_some_then_all_read(
    student: User, client_for: Callable[[User], APIClient], published: Published
) -> None:
    first, second, third = (tell(student, f"N{n}") for n in range(3))
    client = client_for(student)
    response = client.post(LIST + "read/", {"ids": [str(first.pk), str(second.pk)]}, format="json")
    assert response_json(response) == {"marked": 2, "unread_count": 1}
    response = client.post(LIST + "read/", {"all": True}, format="json")
    assert response_json(response) == {"marked": 1, "unread_count": 0}
    detail = response_json(client.get(f"{LIST}{third.pk}/"))
    assert detail["read"] is True


def test_another_users_notification_is_404_and_nothing_is_marked(
    student: User, student2: User, client_for: Callable[[User], APIClient]
) -> None:
    mine = tell(student)
    theirs = tell(student2)
    client = client_for(student)
    assert_error(client.get(f"{LIST}{theirs.pk}/"), 404, "not_found")
    response = client.post(LIST + "read/", {"ids": [str(mine.pk), str(theirs.pk)]}, format="json")
    assert_error(response, 404, "not_found")
    assert Notification.objects.filter(read_at__isnull=False).count() == 0
    assert_error(client.get(f"{LIST}not-a-uuid/"), 404, "not_found")


@pytest.mark.parametrize(
    "body",
    [{}, {"ids": []}, {"ids": ["nope"]}, {"ids": "x"}, {"all": "maybe"}],
)
def test_mark_read_bad_input(
    student: User, client_for: Callable[[User], APIClient], body: dict[str, Any]
) -> None:
    tell(student)
    assert_error(client_for(student).post(LIST + "read/", body, format="json"), 400, "invalid")
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


def test_bad_kind_filter(student: User, client_for: Callable[[User], APIClient]) -> None:
    assert_error(client_for(student).get(LIST, {"kind": "spam"}), 400, "invalid")


def test_preferences_read_and_update(
    student: User, client_for: Callable[[User], APIClient]
) -> None:
    client = client_for(student)
    body = response_json(client.get(LIST + "preferences/"))
    assert {p["kind"] for p in body["preferences"]} == set(NotificationKind.values)
    assert all(p["in_app"] and p["email"] for p in body["preferences"])
    change = {"preferences": [{"kind": "thread_message", "email": False}]}
    body = response_json(client.patch(LIST + "preferences/", change, format="json"))
    thread = next(p for p in body["preferences"] if p["kind"] == "thread_message")
    assert thread == {
        "kind": "thread_message",
        "label": "New message in your thread",
        "in_app": True,
        "email": False,
    }


def test_preferences_bad_input_writes_nothing(
    student: User, client_for: Callable[[User], APIClient]
) -> None:
    change = {
        "preferences": [
            {"kind": "thread_message", "email": False},
            {"kind": "spam", "email": False},
        ]
    }
    response = client_for(student).patch(LIST + "preferences/", change, format="json")
    assert_error(response, 400, "invalid")
    assert not NotificationPreference.objects.exists()


def test_anonymous_is_401(anon_client: APIClient) -> None:
    assert_error(anon_client.get(LIST), 401, "not_authenticated")
    assert_error(
        anon_client.post(LIST + "read/", {"all": True}, format="json"), 401, "not_authenticated"
    )


# --- site pages ---------------------------------------------------------------------------


def test_site_pages_list_mark_read_and_save_settings(student: User) -> None:
    tell(student, "Take 1 is ready")
    browser = Client()
    browser.force_login(student)
    page = browser.get("/notifications/")
    assert page.status_code == 200
    assert b"Take 1 is ready" in page.content
    assert browser.post("/notifications/").status_code == 302
    assert not Notification.objects.filter(read_at__isnull=True).exists()

    settings_page = browser.get("/notifications/settings/")
    assert b"Your take is ready" in settings_page.content
    # Everything switched on except feedback by email.
    form = {f"{kind}-in_app": "on" for kind in NotificationKind.values}
    form |= {
        f"{kind}-email": "on" for kind in NotificationKind.values if kind != "feedback_published"
    }
    assert browser.post("/notifications/settings/", form).status_code == 302
    preference = NotificationPreference.objects.get(user=student, kind="feedback_published")
    assert (preference.in_app, preference.email) == (True, False)


def test_site_pages_need_a_login() -> None:
    response = Client().get("/notifications/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_emails_due_later_are_scheduled_once(
    student: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plugins.notifications import tasks

    scheduled: list[float] = []
    monkeypatch.setattr(
        tasks.notification_emails_task,
        "schedule",
        lambda args, delay: scheduled.append(delay),
    )
    tell(student, "First")
    tasks.notification_emails_task.call_local(str(student.pk))  # mails "First"
    tell(student, "Second")
    tasks.notification_emails_task.call_local(str(student.pk))
    tell(student, "Third")
    tasks.notification_emails_task.call_local(str(student.pk))
    assert len(mail.outbox) == 1
    assert len(scheduled) == 1
    assert 590 < scheduled[0] <= 600
