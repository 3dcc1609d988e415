"""Debian's chromium driven by Playwright, for the browser system tests (never `playwright
install`): the marks of such a test module, one chromium per module (tests/system/conftest.py's
`browser` fixture; `page` is a 1920×1080 tab of it), a tab that records what the page's script
threw, and screenshots that go to docs/screenshots with ANTREAN_WEB_SCREENSHOTS=docs/screenshots
(else to the test's temporary folder).

Importing this module skips the importing test module where Playwright is not installed."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

playwright_sync = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# A browser test module's `pytestmark`: slow, and skipped on a machine without Debian's chromium.
CHROMIUM_MARKS = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
SHOTS = os.environ.get("ANTREAN_WEB_SCREENSHOTS")
WAIT_MS = 10_000  # how long a page may take to show what another process did


@contextmanager
def chromium() -> Iterator[Any]:
    """A running chromium (a Playwright Browser); closed at the end unless the test closed it."""
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        if browser.is_connected():
            browser.close()


class Tab:
    """A browser context of its own (its own cookies) with one page, which records every error
    the page's script throws; the test decides when `errors` must be empty."""

    def __init__(self, browser: Any, width: int = 1920, height: int = 1080,
                 init_script: str | None = None, javascript: bool = True) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height},
                                           java_script_enabled=javascript)
        if init_script is not None:  # before the page, so its first document has it
            self.context.add_init_script(init_script)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def close(self) -> None:
        self.context.close()


def expect(page: Any, selector: str) -> Any:
    """Playwright's auto-waiting assertions on the elements `selector` finds on `page`."""
    return playwright_sync.expect(page.locator(selector))


def shot(page: Any, tmp: Path, name: str, full_page: bool = False) -> None:
    """A screenshot `name`.png: into ANTREAN_WEB_SCREENSHOTS when set (the docs' pictures), else
    into the test's temporary folder."""
    path = Path(SHOTS) if SHOTS else tmp
    path.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path / f"{name}.png"), full_page=full_page)
