"""A real TelegramPublisher against the Bot API sandbox, for the sandbox tests."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import aiohttp

import publishers.telegram as telegram
from bot.models import Article
from bot.platforms import ChannelConfig, PlatformContext, PlatformHandle, Post
from publishers.telegram.client import TelegramPublisher
from sandbox import Sandbox
from tests.conftest import BOT_TOKEN
from tests.publishers import harness
from tests.publishers.harness import IMAGE, URL, ArticleFactory, BaseHarness

__all__ = ["CHAT", "IMAGE", "URL", "Harness", "article"]

CHAT = "@newsbot_test"

article = partial(harness.article, title="Kaspi & «Halyk»: рост на 18,5%")


class Harness(BaseHarness):
    """One handle per setup, kept until the harness is closed (`async with`): closing an
    aiogram session sleeps 0.25 s, so they are all closed together at the end."""

    def __init__(
        self, sandbox: Sandbox, http: aiohttp.ClientSession, article: ArticleFactory = article
    ) -> None:
        super().__init__(sandbox, http, article)
        self.handles: list[PlatformHandle] = []
        self.publishers: dict[tuple[Any, ...], TelegramPublisher] = {}

    def handle(self, *, api_base: str | None = None, token: str | None = BOT_TOKEN,
               **channel: Any) -> PlatformHandle:  # fmt: skip
        settings = telegram.TelegramSettings(
            _env_file=None,
            TELEGRAM_BOT_TOKEN=token,
            TELEGRAM_API_BASE=api_base or self.sandbox.telegram_base,
        )
        ctx = PlatformContext(settings, self.http, {}, self.secrets.append)
        config = telegram.TelegramChannel.model_validate(
            {"id": "tg", "kind": "telegram", "chat": CHAT, **channel}
        )
        handle = telegram.PLATFORM.open([config], ctx)
        self.handles.append(handle)
        return handle

    def publisher(self, *, api_base: str | None = None, token: str | None = BOT_TOKEN,
                  **channel: Any) -> TelegramPublisher:  # fmt: skip
        key = (api_base, token, *sorted(channel.items()))
        if key not in self.publishers:
            publisher = self.handle(api_base=api_base, token=token, **channel).publishers["tg"]
            assert isinstance(publisher, TelegramPublisher)
            self.publishers[key] = publisher
        return self.publishers[key]

    def render(self, art: Article, channel: ChannelConfig) -> Post:
        return telegram.PLATFORM.render(art, channel)

    async def __aenter__(self) -> Harness:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.gather(*(handle.close() for handle in self.handles))
