"""The board's live stream (GET /board/events): server-sent events read over real HTTP
while the service delivers."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from bot.infra.redis_embedded import EmbeddedRedis
from sandbox import Sandbox
from tests.board.helpers import (
    BEARER,
    board_service,
    board_url,
    get,
    new_article,
    until_state,
)


async def messages(response: aiohttp.ClientResponse) -> AsyncIterator[dict[str, str]]:
    """The SSE messages of a response, as {field: value} (comments skipped)."""
    fields: dict[str, str] = {}
    async for raw in response.content:
        line = raw.decode().rstrip("\r\n")
        if not line:
            if fields:
                yield fields
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


async def row_update(
    response: aiohttp.ClientResponse, aid: str, channel: str, state: str
) -> tuple[str, dict[str, Any]]:
    """The first `rows` message carrying that delivery in that state: (its id, its data)."""
    async for message in messages(response):
        if message.get("event") != "rows":
            continue
        data = json.loads(message["data"])
        for row in data["rows"]:
            if row.startswith(f'<tr id="d-{aid}-{channel}"') and f'data-state="{state}"' in row:
                return message["id"], data
    raise AssertionError("the stream ended")


async def test_a_delivery_reaches_an_open_stream_as_its_row(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with (
        board_service(redis_server, sandbox) as app,
        aiohttp.ClientSession() as client,
        client.get(board_url(app, "/board/events"), headers=BEARER) as stream,
    ):
        assert stream.status == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        article = new_article()
        await app.ingest.submit(article)
        async with asyncio.timeout(30):
            event_id, data = await row_update(stream, article.id, "tg-main", "sent")
    assert re.fullmatch(r"\d+-\d+", event_id)
    [row] = [r for r in data["rows"] if f"d-{article.id}-tg-main" in r]
    assert "&lt;img src=x onerror=alert(1)&gt;" in row and "<img src=x" not in row
    assert '<a class="post" href="' + sandbox.post_pages.telegram_links in row
    assert "ready to send" in data["queue"]


async def test_a_reconnecting_page_gets_what_happened_meanwhile(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with board_service(redis_server, sandbox) as app:
        _s, page, _r = await get(board_url(app), BEARER)
        found = re.search(r'<body data-after="([^"]+)">', page)
        assert found
        after = found.group(1)
        article = new_article("Пока страница была закрыта")
        await app.ingest.submit(article)
        await until_state(app, article.id, "fb-page", "sent")
        # what the browser sends when it reconnects: the last id it saw
        headers = {**BEARER, "Last-Event-ID": after}
        url = board_url(app, "/board/events?after=0-0")  # the header wins over the query
        async with aiohttp.ClientSession() as client, client.get(url, headers=headers) as stream:
            async with asyncio.timeout(30):
                _id, data = await row_update(stream, article.id, "fb-page", "sent")
        assert any("Пока страница была закрыта" in row for row in data["rows"])
        status, text, _r = await get(board_url(app, "/board/events?after=x"), BEARER)
        assert status == 400 and "after must be an events-stream id" in text


async def test_closing_the_service_ends_open_streams(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    client = aiohttp.ClientSession()
    try:
        async with board_service(redis_server, sandbox) as app:
            stream = await client.get(board_url(app, "/board/events"), headers=BEARER)
            assert stream.status == 200
            await stream.content.readline()  # the stream is open
        # without on_shutdown ending the stream, aiohttp would wait 60 s for it here
        async with asyncio.timeout(30):
            rest = await stream.content.read()
        assert b"data-state" not in rest
        stream.release()
    finally:
        await client.close()
