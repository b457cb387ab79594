"""Chromium, driven by Playwright, for the tests that use a real browser.

Playwright downloads browsers of its own, which this project's machines
cannot; it drives the system's Chromium instead (Debian's, which
``scripts/install-system-packages`` installs). ``VALET_KEYS_CHROMIUM`` names
another executable.

Every page a test visits is photographed at a desktop and at a phone width
under ``artifacts/screenshots/``, which git ignores, to be looked at.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, sync_playwright

REPOSITORY = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPOSITORY / "artifacts" / "screenshots"

DESKTOP = {"width": 1280, "height": 860}
# The narrowest common phone screen, in CSS pixels.
PHONE = {"width": 360, "height": 780}

CHROMIUM_ARGUMENTS = [
    # Containers run as root without the kernel features of Chromium's
    # sandbox; the pages under test are the project's own.
    "--no-sandbox",
    "--disable-gpu",
    # No update checks or other calls home while a test runs.
    "--disable-background-networking",
]


def chromium_executable() -> str | None:
    """Return the Chromium to drive, or None when there is none."""
    configured = os.environ.get("VALET_KEYS_CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """Return the Chromium to drive, or skip the test without one.

    Under CI a missing Chromium fails the run instead: a skip would let the
    browser tests pass unseen.
    """
    executable = chromium_executable()
    if executable is not None:
        return executable
    message = (
        "no Chromium found; install it (scripts/install-system-packages does) "
        "or name it with VALET_KEYS_CHROMIUM"
    )
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message + "; CI=true requires it.")
    pytest.skip(message)


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Start Playwright and Chromium for the length of the block.

    Playwright's synchronous API keeps an asyncio event loop marked as
    running on this thread from start to stop, and Django refuses to query
    the database from a thread with a running loop (SynchronousOnlyOperation)
    even though nothing else runs on that loop while a test waits. Rather
    than switch that check off with DJANGO_ALLOW_ASYNC_UNSAFE, the tests
    prepare their data before the block, act only through the browser and
    the SDK inside it, and let pytest-django flush the database after it.
    """
    executable = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGUMENTS
        )
        try:
            yield browser
        finally:
            browser.close()


class Camera:
    """Save full-page screenshots of a test's pages, numbered in order.

    Each shot is taken at the desktop width and again at the phone width,
    where it also checks that nothing makes the page scroll sideways.
    """

    def __init__(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.folder = folder
        self.count = 0

    def shoot(self, page: Page, name: str) -> None:
        self.count += 1
        stem = f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower())}"
        size = page.viewport_size or DESKTOP
        page.screenshot(path=self.folder / f"{stem}-desktop.png", full_page=True)
        page.set_viewport_size(PHONE)
        try:
            page.screenshot(path=self.folder / f"{stem}-phone.png", full_page=True)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px on a phone"
        finally:
            page.set_viewport_size(size)


# The browser tests exercise the pages, the SDK and a real server, none of
# which differs between databases; the rest of the suite covers the database
# paths on each. Running them on SQLite alone keeps the six runs of CI from
# paying six times for Chromium.
only_on_sqlite = pytest.mark.skipif(
    settings.DATABASE_VENDOR != "sqlite",
    reason="the browser tests run on SQLite only",
)
