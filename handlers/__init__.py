"""The editors' bot: aiogram 3 routers over the core's Editorial service.

`open_editors_bot` is called by the composition root (bot/app.py). Long polling runs
only in the process that leads (one getUpdates per bot token, or Telegram answers
409); FSM state and event isolation live in the service's Redis, under its namespace.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from aiogram.types import Message, TelegramObject
from redis.asyncio import Redis

from bot.config import Settings
from bot.editorial import Editorial
from handlers import approval, commands
from handlers.access import EditorsOnly
from handlers.alerts import Notifier
from handlers.texts import Texts


@dataclass(slots=True)
class EditorsBot:
    bot: Bot
    dispatcher: Dispatcher
    notifier: Notifier

    async def run(self, stop: asyncio.Event) -> None:
        """Poll for updates and tell the editors' chat what happens, until `stop`."""
        polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot, handle_signals=False, close_bot_session=False, polling_timeout=10
            )
        )
        alerts = asyncio.create_task(self.notifier.run(stop))
        try:
            await stop.wait()
        finally:
            with contextlib.suppress(RuntimeError):  # polling had not started yet
                await self.dispatcher.stop_polling()
            alerts.cancel()
            for task in (polling, alerts):
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def close(self) -> None:
        await self.bot.session.close()


def build_dispatcher(editorial: Editorial, settings: Settings, redis: Redis) -> Dispatcher:
    prefix = editorial.store.keys.prefix
    keys = DefaultKeyBuilder(prefix=f"{prefix}:fsm", with_bot_id=True)
    dispatcher = Dispatcher(
        storage=RedisStorage(redis, key_builder=keys),
        events_isolation=RedisEventIsolation(redis, key_builder=keys),
    )
    texts = Texts(settings.language)
    access = EditorsOnly(editorial, settings.editors, settings.editors_chat_id, texts)
    dispatcher.message.outer_middleware(_only_commands_in_groups)
    dispatcher.message.outer_middleware(access)
    dispatcher.callback_query.outer_middleware(access)
    dispatcher.include_router(approval.make_router())
    dispatcher.include_router(commands.make_router())
    dispatcher["editorial"] = editorial
    dispatcher["texts"] = texts
    dispatcher["timezone"] = settings.timezone
    return dispatcher


async def _only_commands_in_groups(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    """In the editors' chat people talk: only commands (and an edit in progress) are ours."""
    if isinstance(event, Message) and event.chat.type != "private":
        text = event.text or ""
        if not text.startswith("/") and data.get("raw_state") is None:
            return None
    return await handler(event, data)


def open_editors_bot(
    editorial: Editorial, settings: Settings, redis: Redis, consumer: str
) -> EditorsBot:
    from publishers.telegram.client import make_bot

    token = settings.telegram_bot_token
    if token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set: the editors' bot needs it")
    bot = make_bot(token.get_secret_value().strip(), settings.telegram_api_base, html=True)
    dispatcher = build_dispatcher(editorial, settings, redis)
    targets = [settings.editors_chat_id] if settings.editors_chat_id else sorted(settings.editors)
    notifier = Notifier(bot, editorial, targets, Texts(settings.language), consumer)
    return EditorsBot(bot, dispatcher, notifier)
