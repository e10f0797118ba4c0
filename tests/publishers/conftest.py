"""The `fb` and `tg` harnesses of the sandbox tests, over conftest's sandbox (one per
test) and one HTTP session per test; the table modules import module-scoped `sandbox`
and `http` from `harness` instead, so these reset the sandbox's fake for every test.
A module publishing another article by default overrides `fb_article`/`tg_article`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from sandbox import Sandbox
from tests.conftest import BOT_TOKEN, PAGE_ID, PAGE_TOKEN
from tests.publishers import fb_harness, tg_harness
from tests.publishers.fb_harness import Harness as FacebookHarness
from tests.publishers.harness import ArticleFactory
from tests.publishers.tg_harness import CHAT
from tests.publishers.tg_harness import Harness as TelegramHarness


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def fb_article() -> ArticleFactory:
    return fb_harness.article


@pytest.fixture
def fb(
    sandbox: Sandbox, http: aiohttp.ClientSession, fb_article: ArticleFactory
) -> FacebookHarness:
    fake = sandbox.facebook
    fake.reset()
    fake.strict_pages = False
    fake.calls_per_hour, fake.app_calls_per_hour = 4800, 20000
    fake.page_limit_code = 32
    fake.unreachable_urls.clear()
    fake.unscrapable_urls.clear()
    fake.pages.clear()
    fake.add_page(PAGE_ID, PAGE_TOKEN)
    return FacebookHarness(sandbox, http, fb_article)


@pytest.fixture
def tg_article() -> ArticleFactory:
    return tg_harness.article


@pytest.fixture
async def telegram_harness(
    sandbox: Sandbox, http: aiohttp.ClientSession, tg_article: ArticleFactory
) -> AsyncIterator[TelegramHarness]:
    async with TelegramHarness(sandbox, http, tg_article) as harness:
        yield harness


@pytest.fixture
def tg(telegram_harness: TelegramHarness) -> TelegramHarness:
    """The harness over a sandbox reset to one plain channel."""
    fake = telegram_harness.sandbox.telegram
    fake.reset()
    fake.valid_tokens = {BOT_TOKEN}
    fake.strict_chats = False
    fake.rate_limit = fake.bot_rate_limit = None
    fake.clock_offset = 0.0
    fake.unreachable_urls.clear()
    fake.wrong_type_urls.clear()
    fake.add_chat(CHAT)
    return telegram_harness
