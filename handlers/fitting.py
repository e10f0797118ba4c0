"""Every message of the editors' bot reaches the editor: a request middleware on the
bot's session, so replies, alerts and approval requests all pass through it.

- A text longer than Telegram allows (4,096 code points of visible text: Bot API
  sendMessage) is sent as plain text cut with "…", never refused whole.
- A message Telegram refuses (its HTML, its length) is sent once more as plain text:
  the editor reads the tags' text instead of nothing.
"""

from __future__ import annotations

import html
import re
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageText, SendMessage
from aiogram.methods.base import Response, TelegramMethod, TelegramType

TEXT_LIMIT = 4096  # https://core.telegram.org/bots/api#sendmessage "1-4096 characters"
_TAG = re.compile(r"<[^<>]*>")


def plain(text: str) -> str:
    """The text a subscriber would read of Telegram HTML: tags gone, entities decoded."""
    return html.unescape(_TAG.sub("", text))


def cut(text: str, limit: int = TEXT_LIMIT) -> str:
    """`text` in at most `limit` code points, cut with "…" (at a space when near)."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ", limit - 200)
    return (head[:space] if space > 0 else head) + "…"


def _as_plain(method: SendMessage | EditMessageText, text: str) -> Any:
    return method.model_copy(update={"text": cut(text), "parse_mode": None, "entities": None})


def _is_html(method: SendMessage | EditMessageText) -> bool:
    return method.parse_mode is not None  # HTML, or the bot's default (HTML here)


class FitMessages(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if not isinstance(method, SendMessage | EditMessageText):
            return await make_request(bot, method)
        message: SendMessage | EditMessageText = method
        text = message.text or ""
        if len(text) > TEXT_LIMIT:  # raw length bounds the visible length
            visible = plain(text) if _is_html(message) else text
            if len(visible) > TEXT_LIMIT:
                message = _as_plain(message, visible)
        try:
            return await make_request(bot, cast(TelegramMethod[TelegramType], message))
        except TelegramBadRequest:
            if not _is_html(message):
                raise
            fallback = _as_plain(message, plain(message.text or ""))
            return await make_request(bot, cast(TelegramMethod[TelegramType], fallback))
