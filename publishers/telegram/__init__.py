"""Telegram channels through the Bot API (aiogram 3): one platform of the contract in
bot.platforms.

A channel names a chat the bot posts to as an administrator; one bot token, from
TELEGRAM_BOT_TOKEN, serves every Telegram channel. aiogram is imported only when
clients are opened: loading the config (the supervisor of `run --workers N`,
`status`) must not pay its ~140 MB.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.models import Article
from bot.platforms import (
    Capability,
    ChannelConfig,
    OutcomeRule,
    PlatformContext,
    PlatformHandle,
    Post,
    Publisher,
    RateLimit,
)

# @username (5-32 characters; 4 for collectible ones) or a numeric chat id.
_CHAT_FORM = re.compile(r"^(@[A-Za-z][A-Za-z0-9_]{3,31}|-?\d{1,20})$")


class TelegramSettings(BaseSettings):
    """The platform's environment settings (prefix TELEGRAM_)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    bot_token: SecretStr | None = Field(None, validation_alias="TELEGRAM_BOT_TOKEN")
    api_base: str = Field("https://api.telegram.org", validation_alias="TELEGRAM_API_BASE")
    # Where a channel post's public link points (t.me/<channel>/<id>); the sandbox's
    # post pages in tests and the demo.
    post_link_base: str = Field(
        "https://t.me",
        validation_alias="TELEGRAM_POST_LINK_BASE",
        pattern=r"^https?://[^\s/]+(/\S*)?$",
    )
    # Telegram FAQ: about 30 messages a second per bot for bulk sending.
    bot_rate_per_second: float = Field(
        25.0, validation_alias="TELEGRAM_BOT_RATE_PER_SECOND", gt=0, le=1000
    )


class TelegramChannel(ChannelConfig):
    kind: Literal["telegram"]
    chat: str
    disable_notification: bool = False
    preview_above_text: bool = True  # a text post's link preview above its text
    timeout: float = Field(30.0, gt=0, le=300)  # seconds per request
    # Telegram FAQ: about 20 messages a minute per group or channel (not contractual).
    rate_per_minute: float = Field(20.0, gt=0, le=6000)
    burst: int = Field(3, ge=1, le=100)

    @field_validator("chat")
    @classmethod
    def _chat_form(cls, value: str) -> str:
        if not _CHAT_FORM.match(value):
            raise ValueError("must be @username or a numeric chat id like -1001234567890")
        return value

    @model_validator(mode="after")
    def _template_works(self) -> TelegramChannel:
        from publishers.telegram.render import check_template

        check_template(self)  # TemplateProblem is a ValueError: pydantic reports it
        return self


class TelegramPlatform:
    kind = "telegram"
    channel_model = TelegramChannel
    settings_model = TelegramSettings
    capabilities = frozenset({Capability.DELETE, Capability.EDIT, Capability.SILENT})

    @property
    def outcomes(self) -> Sequence[OutcomeRule]:
        from publishers.telegram.errors import OUTCOMES

        return OUTCOMES

    def render(self, article: Article, channel: ChannelConfig, like: Post | None = None) -> Post:
        from publishers.telegram.render import render

        if not isinstance(channel, TelegramChannel):
            raise TypeError(f"channel {channel.id} is not a Telegram channel")
        return render(article, channel, like)

    def with_text(self, post: Post, text: str) -> Post:
        from publishers.telegram.render import with_text

        return with_text(post, text)

    def example_channel(self) -> ChannelConfig:
        return TelegramChannel(id="telegram", kind="telegram", chat="@channel")

    def open(self, channels: Sequence[ChannelConfig], ctx: PlatformContext) -> PlatformHandle:
        """One client per Telegram channel, all sharing one Bot; close() closes its session."""
        ours = [c for c in channels if isinstance(c, TelegramChannel)]
        if not ours:
            return PlatformHandle(publishers={}, close=_nothing)
        settings = ctx.settings
        assert isinstance(settings, TelegramSettings)
        token = bot_token(settings)
        ctx.register_secret(token)
        from publishers.telegram.client import TelegramPublisher, make_bot
        from publishers.telegram.doctor import diagnose

        bot = make_bot(token, settings.api_base)
        limit = RateLimit("tg:bot", settings.bot_rate_per_second, 5, reserve=False)
        publishers: dict[str, Publisher] = {
            c.id: TelegramPublisher(c, bot, limit, link_base=settings.post_link_base) for c in ours
        }
        checks = partial(diagnose, bot, ours, token)  # getMe, getChat, getChatMember
        return PlatformHandle(publishers=publishers, close=bot.session.close, diagnose=checks)


def bot_token(settings: TelegramSettings) -> str:
    """The bot's token, checked: ValueError with one sentence when missing or malformed."""
    from aiogram.utils.token import TokenValidationError, validate_token

    secret = settings.bot_token
    token = secret.get_secret_value().strip() if secret is not None else ""
    if not token:
        raise ValueError(
            "TELEGRAM_BOT_TOKEN is not set: put the token @BotFather gave your bot in it "
            "(see .env.example), or disable the Telegram channels"
        )
    try:
        validate_token(token)
    except TokenValidationError:
        raise ValueError(
            "TELEGRAM_BOT_TOKEN is malformed: it must look like 123456789:AA... "
            "exactly as @BotFather gave it"
        ) from None
    return token


async def _nothing() -> None:
    return None


PLATFORM = TelegramPlatform()
