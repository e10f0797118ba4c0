"""The editors' bot, wired: aiogram's dispatcher over the routers (commands, approval),
the access middleware, the alerts notifier, polling or the webhook.

`open_editors_bot` is called by the composition root (bot/app.py) with the bot it
made. Updates come by long polling, or by webhook (TELEGRAM_WEBHOOK_URL) on the
service's own aiohttp server; either runs only in the process that leads (one
getUpdates per token, or Telegram answers 409). FSM state and event isolation live in
the service's Redis, under its namespace.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

import structlog
from aiogram import Bot, Dispatcher
from aiogram.filters import ExceptionTypeFilter
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from aiogram.types import Message, TelegramObject
from redis.asyncio import Redis

from bot.editorial import EditorError, Editorial
from bot.metrics import Metrics
from bot.preview import PreviewError
from bot.settings import Settings
from bot.store.client import RedisClient
from bot.web import WebServer
from handlers import approval, commands
from handlers.access import EditorsOnly
from handlers.alerts import Notifier
from handlers.fitting import FitMessages
from handlers.settings import EditorsSettings
from handlers.texts import Texts
from handlers.webhook import CheckedRequestHandler

log = structlog.get_logger("editors_bot")


@dataclass(frozen=True, slots=True)
class Webhook:
    url: str  # the public URL Telegram posts to (a TLS proxy forwards it to our server)
    secret: str = field(repr=False)


@dataclass(slots=True)
class EditorsBot:
    bot: Bot
    dispatcher: Dispatcher
    notifier: Notifier
    webhook: Webhook | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Take updates (long polling, or the webhook) and tell the editors' chat what
        happens, until `stop`. Telegram unreachable or the port taken is retried with
        backoff and logged: the editors' bot must never stop deliveries."""
        alerts = asyncio.create_task(self.notifier.run(stop))
        delay = 1.0
        try:
            while not stop.is_set():
                try:
                    if self.webhook is None:
                        await self._poll(stop)
                    else:
                        await self._serve(stop, self.webhook)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    # the message too: a bug here repeats forever, it must say what it is
                    log.warning("editors' bot error, retrying", error=type(exc).__name__,
                                detail=str(exc)[:500], retry_in=delay)  # fmt: skip
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), delay)
                    delay = min(delay * 2, 60.0)
        finally:
            alerts.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await alerts

    async def _poll(self, stop: asyncio.Event) -> None:
        await self.bot.delete_webhook()  # getUpdates is refused while a webhook is set
        polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot, handle_signals=False, close_bot_session=False, polling_timeout=10
            )
        )
        try:
            await stop.wait()
        finally:
            with contextlib.suppress(RuntimeError):  # polling had not started yet
                await self.dispatcher.stop_polling()
            with contextlib.suppress(asyncio.CancelledError):
                await polling

    async def _serve(self, stop: asyncio.Event, hook: Webhook) -> None:
        """The route is on the service's HTTP server (every process answers it: the
        bot's state is in Redis); the leader tells Telegram where to post."""
        await self.bot.set_webhook(
            hook.url, secret_token=hook.secret, allowed_updates=["message", "callback_query"]
        )
        await stop.wait()

    async def close(self) -> None:
        await self.bot.session.close()


def build_dispatcher(
    editorial: Editorial,
    settings: EditorsSettings,
    timezone: str,
    redis: RedisClient,
    metrics: Metrics | None = None,
) -> Dispatcher:
    prefix = editorial.store.keys.prefix
    keys = DefaultKeyBuilder(prefix=f"{prefix}:fsm", with_bot_id=True)
    # aiogram types its storage for a plain client; a cluster client runs the same GET,
    # SET, DEL and lock scripts, every key in the namespace's slot (`{ns}:fsm:...`)
    plain = cast(Redis, redis)
    dispatcher = Dispatcher(
        # an abandoned "edit text" step ends by itself after an hour
        storage=RedisStorage(plain, key_builder=keys, state_ttl=3600, data_ttl=3600),
        events_isolation=RedisEventIsolation(plain, key_builder=keys),
    )
    texts = Texts(settings.language)
    access = EditorsOnly(editorial, settings.editors, settings.editors_chat_id, texts, metrics)
    dispatcher.message.outer_middleware(_only_commands_in_groups)
    dispatcher.message.outer_middleware(access)
    dispatcher.callback_query.outer_middleware(access)
    dispatcher.message.outer_middleware(approval.end_edit_on_command)
    dispatcher.include_router(approval.make_router())
    dispatcher.include_router(commands.make_router())
    # an EditorError or PreviewError raised by any handler: one sentence to the editor
    dispatcher.errors.register(
        commands.on_editor_error, ExceptionTypeFilter(EditorError, PreviewError)
    )
    dispatcher["editorial"] = editorial
    dispatcher["texts"] = texts
    dispatcher["timezone"] = timezone
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
    bot: Bot,
    editorial: Editorial,
    settings: EditorsSettings,
    core: Settings,
    redis: RedisClient,
    consumer: str,
    web: WebServer,
    metrics: Metrics | None = None,
) -> EditorsBot:
    bot.session.middleware(FitMessages())  # every reply and alert fits, or goes as plain text
    dispatcher = build_dispatcher(editorial, settings, core.timezone, redis, metrics)
    targets = [settings.editors_chat_id] if settings.editors_chat_id else sorted(settings.editors)
    notifier = Notifier(bot, editorial, targets, Texts(settings.language), consumer)
    webhook = None
    if settings.webhook_url and settings.webhook_secret is not None:
        secret = settings.webhook_secret.get_secret_value()
        webhook = Webhook(settings.webhook_url, secret)
        # a request without the right X-Telegram-Bot-Api-Secret-Token gets 401, a body
        # that is not an update 400; neither is processed (handlers.webhook)
        handler = CheckedRequestHandler(dispatcher, bot, secret_token=secret)
        web.add("POST", urlsplit(settings.webhook_url).path or "/", handler.handle)
    return EditorsBot(bot, dispatcher, notifier, webhook)
