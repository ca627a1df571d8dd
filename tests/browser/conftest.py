"""Playwright driving Debian's Chromium (never a downloaded browser)."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import browser_required, skip_or_fail

CHROMIUM = Path("/usr/bin/chromium")
# Without these, Chromium tries Google's services on a closed network at every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser per module: Playwright's sync API keeps an asyncio loop running in this
    thread, so Django's ORM must be told the test's own (synchronous) calls are fine, and
    only while the loop lives; tests of other modules run without it."""
    if not CHROMIUM.exists():
        skip_or_fail("Debian's chromium is not installed", required=browser_required())
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    # A phone-sized viewport: most students practise on a phone.
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture(scope="module")
def media_browser(chromium: Any) -> Iterator[Any]:
    """Chromium with a fake camera and microphone (a test pattern and a beep), allowed without
    a prompt, and media that may play without a click. Launched through the module's Playwright
    (the ``chromium`` fixture), which keeps the ORM allowed while its loop runs."""
    browser = chromium.browser_type.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )
    yield browser
    browser.close()
