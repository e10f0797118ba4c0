"""The editors' bot under test: the real service (open_app) polling the sandbox's
getUpdates, with updates pushed as an editor's or a stranger's Telegram client would
send them, and replies read back from what the sandbox recorded."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.app import App, open_app
from bot.infra.redis_embedded import EmbeddedRedis
from bot.models import State
from sandbox import Sandbox
from sandbox.tgmodels import SentMessage
from tests.bot.test_pipeline import ENV
from tests.conftest import FIXTURES, PAGE_ID, editors_settings, make_config

EDITOR, MEMBER, STRANGER, OUTSIDER = 111, 222, 999, 333
EDITORS_CHAT = -1001234567777
PAGE = (FIXTURES / "profit-kz-article.html").read_bytes()
CHANNELS = [
    {"id": "tg-main", "kind": "telegram", "chat": "@newsbot_test"},
    {"id": "fb-page", "kind": "facebook", "page_id": PAGE_ID},
    {"id": "tg-approve", "kind": "telegram", "chat": "@newsbot_approve", "approval": True},
]
_ids = itertools.count(1)


@dataclass
class Bot:
    app: App
    sandbox: Sandbox
    page_url: str
    seen: dict[int, int] = field(default_factory=dict)  # chat -> messages already read

    def user(self, user_id: int) -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": f"U{user_id}",
            "username": f"u{user_id}",
        }

    def send(self, user_id: int, text: str, chat: int | None = None) -> None:
        chat_id = chat or user_id
        kind = "private" if chat_id > 0 else "supergroup"
        message: dict[str, Any] = {
            "message_id": next(_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": kind, **({"title": "Editors"} if chat_id < 0 else {})},
            "from": self.user(user_id),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self.sandbox.telegram.push_update({"message": message})

    def press(self, user_id: int, message: SentMessage, data: str) -> None:
        self.sandbox.telegram.push_update(
            {
                "callback_query": {
                    "id": uuid.uuid4().hex,
                    "from": self.user(user_id),
                    "chat_instance": "1",
                    "message": {
                        "message_id": message.message_id,
                        "date": message.date,
                        "chat": {"id": message.chat_id, "type": "supergroup", "title": "Editors"},
                        "text": message.text or "",
                        # Telegram sends the message with its buttons as they are now
                        **({"reply_markup": message.reply_markup} if message.reply_markup else {}),
                    },
                    "data": data,
                }
            }
        )

    def messages(self, chat: int) -> list[SentMessage]:
        return [p for p in self.sandbox.telegram.posts if p.chat_id == chat]

    async def replies(self, chat: int, count: int = 1, timeout: float = 10) -> list[SentMessage]:
        """The next `count` messages the bot sends to `chat`."""
        start = self.seen.get(chat, 0)
        deadline = time.monotonic() + timeout
        while len(self.messages(chat)) < start + count:
            assert time.monotonic() < deadline, f"no reply in {chat}: {self.texts(chat)[-3:]}"
            await asyncio.sleep(0.02)
        self.seen[chat] = start + count
        return self.messages(chat)[start : start + count]

    async def reply(self, chat: int) -> str:
        [message] = await self.replies(chat)
        return message.text or ""

    async def quiet(self, chat: int, seconds: float = 0.5) -> None:
        """Nothing more is sent to `chat` for a while."""
        await asyncio.sleep(seconds)
        assert len(self.messages(chat)) == self.seen.get(chat, 0), self.texts(chat)[-2:]

    def texts(self, chat: int) -> list[str]:
        return [m.text or m.caption or "" for m in self.messages(chat)]

    async def state(
        self, article_id: str, channel: str, wanted: State, timeout: float = 10
    ) -> None:
        deadline = time.monotonic() + timeout
        while True:
            found = {d.channel: d.state for d in await self.app.store.deliveries(article_id)}
            if found.get(channel) is wanted:
                return
            assert time.monotonic() < deadline, f"{channel}: {found.get(channel)}, not {wanted}"
            await asyncio.sleep(0.05)


@asynccontextmanager
async def running_bot(
    redis_server: EmbeddedRedis,
    sandbox: Sandbox,
    *,
    channels: list[dict[str, Any]] | None = None,
    feeds: list[dict[str, Any]] | None = None,
    **settings: Any,
) -> AsyncIterator[Bot]:
    for user in (EDITOR, MEMBER, STRANGER, OUTSIDER):
        sandbox.telegram.add_chat(user)
    sandbox.telegram.add_chat(
        EDITORS_CHAT, kind="supergroup", title="Editors", members=frozenset({EDITOR, MEMBER})
    )
    pages = web.Application()

    async def page(request: web.Request) -> web.Response:
        return web.Response(body=PAGE, content_type="text/html")

    pages.router.add_get("/{tail:.*}", page)
    runner = web.AppRunner(pages, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    page_url = f"http://127.0.0.1:{runner.addresses[0][1]}/news/71234/"
    values: dict[str, Any] = {
        "EDITOR_IDS": str(EDITOR),
        "EDITORS_CHAT_ID": EDITORS_CHAT,
        "NEWSBOT_LANGUAGE": "en",
        **settings,
    }
    config = make_config(
        redis_server.url, sandbox, channels=CHANNELS + (channels or []), feeds=feeds, **values
    )
    try:
        async with open_app(config, env=ENV, editors=editors_settings(**values)) as app:
            stop = asyncio.Event()
            task = asyncio.create_task(app.run(stop, poll_feeds=False))
            try:
                yield Bot(app, sandbox, page_url)
            finally:
                stop.set()
                await asyncio.wait_for(task, 30)
    finally:
        await runner.cleanup()
