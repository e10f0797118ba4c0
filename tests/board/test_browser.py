"""The delivery board in a real headless Chromium: the cookie login, a delivery that
appears without a reload, the live filters, a phone's width, a post link followed to
the sandbox's page of the post, 401 without the token and 404 without a board."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.infra.redis_embedded import EmbeddedRedis
from sandbox import Sandbox
from tests.board.browser import Browser, chromium, require_browser
from tests.board.helpers import HOSTILE, TOKEN, board_service, board_url, new_article

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    require_browser()
    from asyncio import to_thread

    b = Browser(await to_thread(chromium))
    yield b
    await b.quit()


def row_in(state: str, element_id: str) -> Any:
    """A wait condition: the row with that id, once it shows that state."""
    from selenium.webdriver.common.by import By

    def found(driver: Any) -> Any:
        rows = driver.find_elements(By.ID, element_id)
        ok = rows and rows[0].get_attribute("data-state") == state
        return rows[0] if ok else False

    return found


async def test_the_board_updates_live_and_its_post_links_lead_to_the_posts(
    redis_server: EmbeddedRedis, sandbox: Sandbox, browser: Browser
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver = browser.driver
    async with board_service(redis_server, sandbox) as app:
        await browser.get(board_url(app))
        assert await browser.status() == 401
        assert "needs its token" in driver.find_element(By.TAG_NAME, "body").text

        await browser.get(board_url(app, f"/board/login?token={TOKEN}"))
        assert driver.current_url == board_url(app)  # the token left the address bar
        await browser.wait(lambda d: d.find_element(By.ID, "live").text == "live")
        await browser.js("window.sameDocument = true")

        article = new_article()
        await app.ingest.submit(article)
        row = await browser.wait(row_in("sent", f"d-{article.id}-tg-main"))
        await browser.wait(row_in("sent", f"d-{article.id}-fb-page"))
        assert await browser.js("return window.sameDocument") is True  # no reload
        title = row.find_element(By.CSS_SELECTOR, "td.title a").text
        assert title == " ".join(HOSTILE.split())  # shown as text, never run
        assert "tg-main" in row.text and "v1 · published" in row.text

        # the filters apply at once, in the page, and in its address
        Select(driver.find_element(By.NAME, "channel")).select_by_value("fb-page")
        assert not row.is_displayed()
        assert driver.find_element(By.ID, f"d-{article.id}-fb-page").is_displayed()
        assert "channel=fb-page" in driver.current_url
        Select(driver.find_element(By.NAME, "channel")).select_by_value("")
        assert row.is_displayed() and await browser.js("return window.sameDocument") is True

        # a phone: nothing wider than the screen
        await browser.run(driver.set_window_size, 375, 812)
        width = await browser.js("return [document.documentElement.scrollWidth, innerWidth]")
        assert width[0] <= width[1] <= 375, width
        assert not driver.find_element(By.CSS_SELECTOR, "#board thead").is_displayed()
        await browser.run(driver.set_window_size, 1280, 900)

        board = driver.current_window_handle
        link = row.find_element(By.CSS_SELECTOR, "a.post")
        href = link.get_attribute("href")
        assert href.startswith(sandbox.post_pages.telegram_links)
        await browser.run(link.click)  # target=_blank: a new tab
        await browser.wait(lambda d: len(d.window_handles) == 2)
        driver.switch_to.window(next(h for h in driver.window_handles if h != board))
        await browser.wait(lambda d: d.current_url == href)
        assert await browser.status() == 200
        page = driver.find_element(By.TAG_NAME, "body").text
        assert "@newsbot_test · post" in page and "Первое предложение лида" in page
        driver.close()
        driver.switch_to.window(board)

        await browser.run(driver.delete_all_cookies)
        await browser.get(board_url(app))
        assert await browser.status() == 401

    async with board_service(redis_server, sandbox, token=None) as app:
        await browser.get(board_url(app))
        assert await browser.status() == 404
