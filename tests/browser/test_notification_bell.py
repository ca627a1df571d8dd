"""The header bell counts unread notifications live, opens a dropdown and marks all read."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import uuid4

import pytest

from plugins.notifications.models import Notification, NotificationKind
from plugins.notifications.services import notification_create
from practika_site.users.models import User
from tests.factories import TEST_PASSWORD
from tests.live import AsgiLiveServer

pytestmark = pytest.mark.browser


def tell(user: User, title: str) -> None:
    """As a worker does it: from a thread of its own (Playwright's loop runs in this one)."""
    with ThreadPoolExecutor(1) as worker:
        worker.submit(_tell, user, title).result()


def _tell(user: User, title: str) -> None:
    notification_create(
        user=user,
        kind=NotificationKind.FEEDBACK_PUBLISHED,
        title=title,
        body="Keep the bow straight.",
        target_type="feedback",
        target_id=uuid4(),
        url="/notifications/",
    )


def test_bell_counts_live_and_marks_all_read(
    asgi_live_server: AsgiLiveServer, student: User, page: Any
) -> None:
    base = asgi_live_server.url
    tell(student, "Waiting since yesterday")
    page.goto(f"{base}/accounts/login/?next=/notifications/settings/")
    page.fill("#id_username", student.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/notifications/settings/")
    count = page.locator(".bell-count")
    assert count.is_visible()
    assert page.locator(".bell-number").inner_text() == "1"

    # Give the socket a moment to subscribe, then something happens server-side.
    page.wait_for_function(
        "document.querySelector('practika-notification-bell').socket?.readyState === 1"
    )
    page.wait_for_timeout(300)
    tell(student, "Teacher left feedback on take 2")
    page.wait_for_function("document.querySelector('.bell-number').textContent === '2'")

    page.click(".bell-link")
    panel = page.locator(".bell-panel")
    assert panel.is_visible()
    assert page.locator(".bell-link").get_attribute("aria-expanded") == "true"
    items = page.locator(".bell-list li")
    assert items.first.inner_text().startswith("Teacher left feedback on take 2")
    page.screenshot(path="/tmp/practika-bell-phone.png")

    page.click(".bell-read-all")
    page.wait_for_function("document.querySelector('.bell-count').hidden === true")
    assert not Notification.objects.filter(user=student, read_at__isnull=True).exists()
    page.keyboard.press("Escape")
    assert not panel.is_visible()
