"""Browser tests: Debian's Chromium driven by Playwright. No browser is ever downloaded."""

import os
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright


def chromium_path() -> str:
    """The system's Chromium. Without it the browser tests skip, except under CI, where they fail."""
    path = shutil.which("chromium")
    if path is None:
        message = "no `chromium` on PATH (Debian: apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    path = chromium_path()
    # Chromium refuses to start as root inside its sandbox; containers and CI often run as root.
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=path, headless=True, args=args)
        try:
            yield browser
        finally:
            await browser.close()
