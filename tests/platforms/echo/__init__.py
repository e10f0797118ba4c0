"""A throwaway platform that exists only in the tests: "echo", a service that keeps the
posts it is sent (echo/server.py). It proves a platform is one folder: it is loaded
like the real ones (NEWSBOT_PLATFORMS names its module), and nothing in the core, the
handlers or the config names it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.models import Article
from bot.platforms import (
    Capability,
    ChannelConfig,
    OutcomeRule,
    PlatformCall,
    PlatformContext,
    PlatformHandle,
    Post,
    PostFormat,
    Publisher,
)
from tests.platforms.echo.client import OUTCOMES, EchoPublisher

LIMIT = 500


class EchoSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    url: str = Field("http://127.0.0.1:1", validation_alias="ECHO_URL")


class EchoChannel(ChannelConfig):
    kind: Literal["echo"]
    room: str = Field(pattern=r"^[a-z]+$")


class EchoPlatform:
    kind = "echo"
    channel_model = EchoChannel
    settings_model = EchoSettings
    capabilities = frozenset({Capability.RECONCILE})
    outcomes: Sequence[OutcomeRule] = OUTCOMES

    def render(self, article: Article, channel: ChannelConfig, like: Post | None = None) -> Post:
        text = f"{article.title}\n\n{article.lead}".strip()[:LIMIT]
        call = PlatformCall("post", {"room": getattr(channel, "room", ""), "text": text})
        return Post(text, PostFormat.PLAIN, text, len(text), LIMIT, call, link=article.url)

    def with_text(self, post: Post, text: str) -> Post:
        if len(text) > LIMIT:
            raise ValueError(f"the text is {len(text)} characters, over echo's {LIMIT}")
        call = PlatformCall("post", {**post.call.params, "text": text})
        return Post(text, PostFormat.PLAIN, text, len(text), LIMIT, call, link=post.link)

    def example_channel(self) -> ChannelConfig:
        return EchoChannel(id="echo", kind="echo", room="lobby")

    def open(self, channels: Sequence[ChannelConfig], ctx: PlatformContext) -> PlatformHandle:
        settings = ctx.settings
        assert isinstance(settings, EchoSettings)
        publishers: dict[str, Publisher] = {
            c.id: EchoPublisher(c, ctx.http, settings.url)
            for c in channels
            if isinstance(c, EchoChannel)
        }
        return PlatformHandle(publishers, _nothing)


async def _nothing() -> None:
    return None


PLATFORM = EchoPlatform()
