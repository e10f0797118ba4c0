"""Fixtures shared by the sandbox tests: a fresh sandbox per test and one aiogram
Bot per module pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from sandbox import Sandbox, start_sandbox

TOKEN = "123456:" + "A" * 35


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    sandbox = await start_sandbox()
    yield sandbox
    await sandbox.close()


@pytest.fixture(scope="module")
async def module_bot() -> AsyncIterator[Bot]:
    """One Bot per module: closing an aiogram session sleeps 250 ms."""
    bot = Bot(TOKEN, session=AiohttpSession())
    yield bot
    await bot.session.close()


@pytest.fixture
def bot(module_bot: Bot, sb: Sandbox) -> Bot:
    module_bot.session.api = TelegramAPIServer.from_base(sb.telegram_base)
    return module_bot
