"""Telegram channels through the Bot API (aiogram 3).

A channel names a chat the bot posts to as an administrator; one bot token, from
TELEGRAM_BOT_TOKEN, serves every Telegram channel.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.models import Article
from publishers.base import (
    ChannelConfig,
    Payload,
    PlatformContext,
    PlatformHandle,
    Publisher,
    RateLimit,
)

# @username (5-32 characters; 4 for collectible ones) or a numeric chat id.
_CHAT_FORM = re.compile(r"^(@[A-Za-z][A-Za-z0-9_]{3,31}|-?\d{1,20})$")


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


CHANNEL_MODEL = TelegramChannel


def render_post(article: Article, channel: ChannelConfig) -> Payload:
    from publishers.telegram.render import render

    if not isinstance(channel, TelegramChannel):
        raise TypeError(f"channel {channel.id} is not a Telegram channel")
    return render(article, channel)


def with_text(payload: Payload, text: str) -> Payload:
    from publishers.telegram.render import with_text

    return with_text(payload, text)


def create_publishers(channels: Sequence[ChannelConfig], ctx: PlatformContext) -> PlatformHandle:
    """One publisher per Telegram channel, all sharing one Bot; close() closes its session."""
    ours = [c for c in channels if isinstance(c, TelegramChannel)]
    if not ours:
        return PlatformHandle(publishers={}, close=_nothing)
    secret = ctx.settings.telegram_bot_token
    token = secret.get_secret_value().strip() if secret is not None else ""
    if not token:
        raise ValueError(
            "TELEGRAM_BOT_TOKEN is not set: put the token @BotFather gave your bot in it "
            "(see .env.example), or disable the Telegram channels"
        )
    ctx.register_secret(token)
    # aiogram is imported here, not at module level: loading the config (the
    # supervisor of `run --workers N`, `status`) must not pay its ~140 MB.
    from aiogram.utils.token import TokenValidationError

    from publishers.telegram.client import TelegramPublisher, make_bot

    try:
        bot = make_bot(token, ctx.settings.telegram_api_base)
    except TokenValidationError:
        raise ValueError(
            "TELEGRAM_BOT_TOKEN is malformed: it must look like 123456789:AA... "
            "exactly as @BotFather gave it"
        ) from None
    bot_limit = RateLimit("tg:bot", ctx.settings.telegram_bot_rate_per_second, 5, reserve=False)
    publishers: dict[str, Publisher] = {c.id: TelegramPublisher(c, bot, bot_limit) for c in ours}
    return PlatformHandle(publishers=publishers, close=bot.session.close)


async def _nothing() -> None:
    return None
