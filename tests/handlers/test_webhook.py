"""Webhook mode: updates posted by the sandbox with the secret are handled; a request
without the right X-Telegram-Bot-Api-Secret-Token gets 401 and changes nothing."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest

from bot.infra.redis_embedded import EmbeddedRedis
from bot.settings import ConfigError, load
from handlers.settings import EditorsSettings
from sandbox import Sandbox
from tests.handlers.harness import EDITOR, Bot, running_bot

SECRET = "webhook-Secret_123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def webhook_bot(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> AsyncIterator[tuple[Bot, str]]:
    """The editors' bot in webhook mode, once it has set its webhook: (bot, its URL)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    settings = {"TELEGRAM_WEBHOOK_URL": url, "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "NEWSBOT_HTTP_PORT": port}  # fmt: skip
    async with running_bot(redis_server, sandbox, **settings) as bot:
        deadline = time.monotonic() + 15
        while sandbox.telegram.updates.webhook_url != url:
            assert time.monotonic() < deadline, "the webhook was never set"
            await asyncio.sleep(0.05)
        yield bot, url


async def test_webhook_with_the_secret_is_handled_without_it_is_401(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with webhook_bot(redis_server, sandbox) as (bot, url):
        assert sandbox.telegram.updates.webhook_secret == SECRET
        bot.send(EDITOR, "/help")
        assert "/post URL|ID [channel ...]" in await bot.reply(EDITOR)
        message = {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": EDITOR, "type": "private"},
            "from": {"id": EDITOR, "is_bot": False, "first_name": "E"},
            "text": "/pause",
        }
        update = {"update_id": 10**6, "message": message}
        async with aiohttp.ClientSession() as client:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with client.post(url, data=json.dumps(update), headers={
                    "Content-Type": "application/json", **headers}) as resp:  # fmt: skip
                    assert resp.status == 401
        await bot.quiet(EDITOR)
        assert await bot.app.store.editors.paused_by() is None  # /pause was not processed
        assert len(await bot.app.store.editors.read_audit()) == 1  # only the /help


def test_a_webhook_url_without_a_secret_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://newsbot.example.kz/hook")
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET is missing"):
        load(EditorsSettings, _env_file=None)


async def test_malformed_json_and_a_json_array_get_400_and_nothing_is_processed(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    # Regression: with the right secret, malformed JSON got 500 and a JSON array 200.
    async with webhook_bot(redis_server, sandbox) as (bot, url):
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
        bodies = ['{"update_id": 1, "message": {', '[{"update_id": 1}]', '"text"', "{}",
                  '{"update_id": "1"}', '{"update_id": 2, "message": {"text": 5}}']  # fmt: skip
        async with aiohttp.ClientSession() as client:
            for body in bodies:
                async with client.post(url, data=body, headers=headers) as resp:
                    assert resp.status == 400, body
                    assert "Update" in await resp.text()
        await bot.quiet(EDITOR)
        assert await bot.app.store.editors.read_audit() == []  # nothing reached the dispatcher
