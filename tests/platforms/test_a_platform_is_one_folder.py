"""A new platform is one folder: "echo" (tests/platforms/echo, its renderer, client and
outcome table, talking to a tiny aiohttp server) is registered the way the real ones
are (NEWSBOT_PLATFORMS), and goes through ingest, delivery, a retry, preview, approval
and an alert without a line of core, handler or config code naming it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.infra.redis_embedded import EmbeddedRedis
from bot.models import State
from bot.preview import preview
from sandbox import Sandbox
from tests.bot.test_pipeline import fixture_article
from tests.handlers.harness import EDITOR, EDITORS_CHAT, running_bot
from tests.handlers.test_approval import buttons
from tests.platforms.echo.server import EchoServer

REGISTRY = "publishers.telegram,publishers.facebook,tests.platforms.echo"
ECHO = [
    {"id": "echo-news", "kind": "echo", "room": "news"},
    {"id": "echo-desk", "kind": "echo", "room": "desk", "approval": True},
]


@pytest.fixture
async def echo() -> AsyncIterator[EchoServer]:
    server = await EchoServer().start()
    yield server
    await server.close()


async def test_the_echo_platform_goes_through_everything(
    redis_server: EmbeddedRedis, sandbox: Sandbox, echo: EchoServer
) -> None:
    async with running_bot(
        redis_server, sandbox, channels=ECHO, NEWSBOT_PLATFORMS=REGISTRY, ECHO_URL=echo.url
    ) as bot:
        article = fixture_article()
        echo.answers = [429]  # the first post is asked to wait: a retry
        result = await bot.app.ingest.submit(article, channels=["echo-news", "echo-desk"])
        assert result.channels == ("echo-news", "echo-desk")
        await bot.state(article.id, "echo-news", State.SENT)
        [delivery] = [d for d in await bot.app.store.deliveries(article.id)
                      if d.channel == "echo-news"]  # fmt: skip
        assert delivery.attempts == 2 and delivery.remote_url.startswith(echo.url)
        assert [p["room"] for p in echo.posts] == ["news"]
        assert echo.posts[0]["text"].startswith(article.title)

        # preview: the same renderer, through the registry
        [shown] = preview(article, [c for c in bot.app.config.channels if c.id == "echo-news"],
                          bot.app.platforms)  # fmt: skip
        assert shown.kind == "echo" and shown.text == echo.posts[0]["text"] and not shown.error

        # approval: the editors see the echo post and publish it
        [request] = await bot.replies(EDITORS_CHAT, timeout=20)
        assert request.text is not None and "echo-desk" in request.text
        assert article.title in request.text
        bot.press(EDITOR, request, buttons(request)["Publish now"])
        await bot.replies(EDITORS_CHAT)
        await bot.state(article.id, "echo-desk", State.SENT)
        assert [p["room"] for p in echo.posts] == ["news", "desk"]

        # an alert: the room refuses us, the editors hear it as a permission problem
        refused = replace(article, id="e" * 16, url="https://profit.kz/news/2/")
        echo.answers = [403]
        await bot.app.ingest.submit(refused, channels=["echo-news"])
        await bot.state(refused.id, "echo-news", State.FAILED)
        [alert] = await bot.replies(EDITORS_CHAT, timeout=20)
        assert alert.text is not None and alert.text.startswith(
            "🔑 echo-news: token or permission problem (forbidden): permanent: refused (403)"
        )
