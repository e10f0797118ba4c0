"""The service with its delivery board on, for the board's tests: the test session's
Redis, the sandbox, post links pointing at the sandbox's post pages."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiohttp

from bot.app import App, open_app
from bot.infra.logging import Redactor
from bot.infra.redis_embedded import EmbeddedRedis
from bot.models import Article
from bot.urls import article_id
from sandbox import Sandbox
from tests.bot.test_lifecycle import running
from tests.conftest import PAGE_ID, PAGE_TOKEN, make_config

TOKEN = "board-Token-0123456789-abcdefXYZ"
TG = {"id": "tg-main", "kind": "telegram", "chat": "@newsbot_test"}
FB = {"id": "fb-page", "kind": "facebook", "page_id": PAGE_ID}
ENV = {"FACEBOOK_PAGE_TOKEN": PAGE_TOKEN}
BEARER = {"Authorization": f"Bearer {TOKEN}"}
HOSTILE = "<img src=x onerror=alert(1)> \"Kaspi\" & 'Halyk' </td></tr><script>alert(2)</script>"


@asynccontextmanager
async def board_service(
    redis_server: EmbeddedRedis,
    sandbox: Sandbox,
    *,
    token: str | None = TOKEN,
    channels: list[dict[str, Any]] | None = None,
    redactor: Redactor | None = None,
    **settings: Any,
) -> AsyncIterator[App]:
    config = make_config(
        redis_server.url,
        sandbox,
        channels=channels or [TG, FB],
        NEWSBOT_BOARD_TOKEN=token,
        TELEGRAM_POST_LINK_BASE=sandbox.post_pages.telegram_links,
        FACEBOOK_POST_LINK_BASE=sandbox.post_pages.facebook_links,
        **settings,
    )
    async with open_app(config, env=ENV, redactor=redactor) as app, running(app):
        yield app


def board_url(app: App, path: str = "/board") -> str:
    return f"http://127.0.0.1:{app.web.port}{path}"


def new_article(title: str = HOSTILE, **fields: Any) -> Article:
    url = f"https://profit.kz/news/{uuid.uuid4().hex[:10]}/"
    values: dict[str, Any] = {
        "lead": "Первое предложение лида. Второе предложение.",
        "published_at": datetime.now(UTC),
    }
    values.update(fields)
    return Article(id=article_id(url), url=url, title=title, **values)


async def until_state(app: App, aid: str, channel: str, state: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        found = {d.channel: d.state.value for d in await app.store.deliveries(aid)}
        if found.get(channel) == state:
            return
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.05)


async def get(
    url: str, headers: dict[str, str] | None = None, **kwargs: Any
) -> tuple[int, str, aiohttp.ClientResponse]:
    async with aiohttp.ClientSession() as client, client.get(url, headers=headers, **kwargs) as r:
        return r.status, await r.text(), r


def row_of(page: str, aid: str, channel: str) -> str:
    """The <tr> of one delivery in the board's HTML ("" when it is not there)."""
    found = re.search(rf'<tr id="d-{aid}-{channel}".*?</tr>', page, re.S)
    return found.group(0) if found else ""
