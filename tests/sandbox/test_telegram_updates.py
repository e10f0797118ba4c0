"""getUpdates, long polling, conflicts and webhook delivery of the Bot API sandbox."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiohttp import web

from sandbox import Sandbox


def editor_message(text: str, message_id: int = 1) -> dict[str, Any]:
    user = {"id": 42, "is_bot": False, "first_name": "Редактор"}
    chat = {"id": 42, "type": "private", "first_name": "Редактор"}
    return {
        "message": {
            "message_id": message_id,
            "date": 1_700_000_000,
            "chat": chat,
            "from": user,
            "text": text,
        }
    }


@pytest.fixture
async def receiver() -> AsyncIterator[
    tuple[str, list[tuple[dict[str, Any], str | None]], list[web.Response]]
]:
    """A webhook endpoint: records (update, secret header), answers from a script."""
    got: list[tuple[dict[str, Any], str | None]] = []
    script: list[web.Response] = []

    async def hook(request: web.Request) -> web.Response:
        got.append((await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        return script.pop(0) if script else web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook", got, script
    await runner.cleanup()


async def wait_for(condition: Any, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_offset_confirms_earlier_updates(bot: Bot, sb: Sandbox) -> None:
    ids = [sb.telegram.push_update(editor_message(f"/cmd{i}", i)) for i in range(3)]
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == ids
    assert updates[0].message is not None and updates[0].message.text == "/cmd0"
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert [u.update_id for u in await bot.get_updates()] == ids[1:]  # the first is gone
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == ids[2:]
    assert [u.update_id for u in await bot.get_updates(offset=ids[2] + 1)] == []


async def test_long_poll_returns_as_soon_as_an_update_arrives(bot: Bot, sb: Sandbox) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    assert not poll.done()
    update_id = sb.telegram.push_update(editor_message("/status"))
    updates = await asyncio.wait_for(poll, 5)
    assert [u.update_id for u in updates] == [update_id]
    assert time.monotonic() - started < 2


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    assert 0.9 <= time.monotonic() - started < 3


async def test_a_second_poller_terminates_the_first_with_409(bot: Bot, sb: Sandbox) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    second = asyncio.create_task(bot.get_updates(timeout=10))
    with pytest.raises(TelegramConflictError) as info:
        await asyncio.wait_for(first, 5)
    assert info.value.message == (
        "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running"
    )
    sb.telegram.push_update(editor_message("/status"))
    assert len(await asyncio.wait_for(second, 5)) == 1


async def test_allowed_updates_filters_types(bot: Bot, sb: Sandbox) -> None:
    sb.telegram.push_update(editor_message("/status"))
    query = {
        "id": "cq1",
        "from": {"id": 42, "is_bot": False, "first_name": "Р"},
        "chat_instance": "1",
        "data": "skip:1",
    }
    cq_id = sb.telegram.push_update({"callback_query": query})
    updates = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.update_id for u in updates] == [cq_id]
    assert updates[0].callback_query is not None and updates[0].callback_query.data == "skip:1"
    assert await bot.answer_callback_query("cq1", text="Пропущено") is True
    assert sb.telegram.callback_answers == [
        {"callback_query_id": "cq1", "text": "Пропущено", "show_alert": False, "url": None}
    ]
    with pytest.raises(TelegramBadRequest, match="query is too old and response timeout expired"):
        await bot.answer_callback_query("cq1")


async def test_webhook_delivers_with_the_secret_header(
    bot: Bot,
    sb: Sandbox,
    receiver: tuple[str, list[tuple[dict[str, Any], str | None]], list[web.Response]],
) -> None:
    url, got, _ = receiver
    early = sb.telegram.push_update(editor_message("/before"))
    assert await bot.set_webhook(url, secret_token="s3cr-et_") is True
    late = sb.telegram.push_update(editor_message("/after"))
    await wait_for(lambda: len(got) == 2)
    assert [(u["update_id"], secret) for u, secret in got] == [
        (early, "s3cr-et_"),
        (late, "s3cr-et_"),
    ]
    assert got[1][0]["message"]["text"] == "/after"
    with pytest.raises(TelegramConflictError) as info:
        await bot.get_updates()
    assert info.value.message == (
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first"
    )
    info_ = await bot.get_webhook_info()
    assert info_.url == url and info_.pending_update_count == 0
    assert await bot.delete_webhook() is True
    sb.telegram.push_update(editor_message("/polled"))
    assert len(await bot.get_updates()) == 1


async def test_webhook_retries_until_accepted_and_runs_a_method_reply(
    bot: Bot,
    sb: Sandbox,
    receiver: tuple[str, list[tuple[dict[str, Any], str | None]], list[web.Response]],
) -> None:
    url, got, script = receiver
    sb.telegram.updates.webhook_retry_delay = 0.05
    script.append(web.Response(status=500))
    script.append(web.json_response({"method": "sendMessage", "chat_id": 42, "text": "Принято"}))
    await bot.set_webhook(url)
    update_id = sb.telegram.push_update(editor_message("/post https://profit.kz/1"))
    await wait_for(lambda: bool(sb.telegram.posts))
    assert [(d.update_id, d.status) for d in sb.telegram.webhook_deliveries] == [
        (update_id, 500),
        (update_id, 200),
    ]
    assert got[0][1] is None  # no secret token was set
    assert sb.telegram.posts_in(42)[0].text == "Принято"


async def test_set_webhook_validates_url_and_secret(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest) as info:
        await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="bad token!")
    assert info.value.message == "Bad Request: secret token contains unallowed characters"
    with pytest.raises(TelegramBadRequest, match="Bad Request: secret token is too long"):
        await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="a" * 257)
    with pytest.raises(TelegramBadRequest, match="Bad Request: invalid webhook URL specified"):
        await bot.set_webhook("ftp://example.com/hook")


async def test_set_webhook_ends_a_waiting_long_poll(bot: Bot, receiver: Any) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    await bot.set_webhook(receiver[0])
    with pytest.raises(TelegramConflictError, match="Conflict: terminated by setWebhook request"):
        await asyncio.wait_for(poll, 5)
