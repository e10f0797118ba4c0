"""What the sandbox tests of both platforms share: the article they publish, a closed
port, the module-scoped sandbox of the table tests and the base of the harnesses."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from bot.models import Article
from bot.platforms import ChannelConfig, Post, Publisher, PublishError, Receipt
from sandbox import Sandbox, start_sandbox

URL = "https://profit.kz/news/71234/"
IMAGE = "https://profit.kz/img/71234.jpg"

ArticleFactory = Callable[..., Article]


def article(**fields: Any) -> Article:
    values: dict[str, Any] = {
        "id": "a1",
        "url": URL,
        "title": "Kaspi & Halyk",
        "lead": "Банки отчитались за квартал.",
        "image": IMAGE,
    }
    values.update(fields)
    return Article(**values)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class BaseHarness:
    """Builds a platform's real publisher against the sandbox; `publish()` renders and
    sends an article (by default `self.article()`), `fail()` expects a PublishError."""

    def __init__(
        self, sandbox: Sandbox, http: aiohttp.ClientSession, article: ArticleFactory = article
    ) -> None:
        self.sandbox = sandbox
        self.http = http
        self.article = article
        self.secrets: list[str] = []  # what the platform registered for redaction

    def publisher(self, **kwargs: Any) -> Publisher:
        raise NotImplementedError

    async def publish(self, art: Article | None = None, **kwargs: Any) -> Receipt:
        publisher = self.publisher(**kwargs)
        return await publisher.publish(self.render(art or self.article(), publisher.channel))

    def render(self, art: Article, channel: ChannelConfig) -> Post:
        raise NotImplementedError

    async def fail(self, art: Article | None = None, **kwargs: Any) -> PublishError:
        with pytest.raises(PublishError) as info:
            await self.publish(art, **kwargs)
        return info.value


# Module-scoped `sandbox` and `http` for the table modules to import (instead of the
# conftest ones, one per test): the `fb` and `tg` fixtures reset the sandbox per test.


@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[Sandbox]:
    """One sandbox for the module (instead of conftest's one per test); reset per test."""
    sb = await start_sandbox()
    yield sb
    await sb.close()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
