"""A real headless Chromium for the board's browser test and bench/board.py: Debian's
`chromium` and `chromium-driver` (`.ci/install-browser` installs them), driven with
selenium. NEWSBOT_CHROMIUM and NEWSBOT_CHROMEDRIVER may name other copies.

Selenium is synchronous: a test whose service runs on the same event loop must call
it through `asyncio.to_thread` (`Browser.run`), or the service cannot answer.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

T = TypeVar("T")
CHROMIUM = os.environ.get("NEWSBOT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("NEWSBOT_CHROMEDRIVER") or "/usr/bin/chromedriver"


def missing() -> str | None:
    """Why no browser can be started here, or None."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not Path(path).is_file():
            return f"{path} is missing: run .ci/install-browser (apt-get install {package})"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: pip install -e '.[dev]'"
    return None


def require_browser() -> None:
    """Skip the test without a browser; in CI (CI set), fail instead."""
    reason = missing()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must install it before the tests")
    pytest.skip(reason)


def chromium(width: int = 1280, height: int = 900) -> Any:
    """A headless Chromium (a selenium WebDriver); quit() it when done."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    # --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--disable-gpu", "--no-first-run", f"--window-size={width},{height}"):  # fmt: skip
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


class Browser:
    """A WebDriver used from async code: every call runs in a thread."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    async def run(self, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(call, *args)

    async def get(self, url: str) -> None:
        await self.run(self.driver.get, url)

    async def js(self, script: str, *args: Any) -> Any:
        return await self.run(self.driver.execute_script, script, *args)

    async def wait(self, condition: Callable[[Any], Any], timeout: float = 30) -> Any:
        from selenium.webdriver.support.ui import WebDriverWait

        return await self.run(WebDriverWait(self.driver, timeout).until, condition)

    async def status(self) -> int:
        """The HTTP status of the page shown (Navigation Timing's responseStatus)."""
        found = await self.js("return performance.getEntriesByType('navigation')[0].responseStatus")
        return int(found)

    async def quit(self) -> None:
        await self.run(self.driver.quit)
