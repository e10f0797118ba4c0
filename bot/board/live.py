"""GET /board/events: the board's live updates as server-sent events.

Each stream tails the events stream `{ns}:events` with a plain XREAD from the id the
page was rendered at (`?after=`), or from the browser's `Last-Event-ID` when it
reconnects, so nothing that happened in between is missed. A batch of events becomes
one SSE message `rows`: the affected deliveries' rows, rendered by the same template
as the page, and the queue's counts; its `id` is the last stream id read. The page
replaces rows in place by their element id. Format:
https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

A stream ends when the browser goes away (the next write fails: a comment line is
written after every idle XREAD), when Redis fails (the browser reconnects after
`retry`), or when the server stops (on_shutdown cancels every open stream, so a
board left open does not hold a shutdown for aiohttp's 60 s grace).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import structlog
from aiohttp import web

from bot.board.auth import PRIVATE_HEADERS, BoardAuth
from bot.board.model import BoardModel
from bot.board.page import Pages
from bot.events import Event, EventType
from bot.infra.health import REDIS_ERRORS
from bot.store import Store

log = structlog.get_logger("board")

# Under the Redis client's socket timeout (10 s, bot/infra/redis_connect.py): a blocked
# XREAD must answer before the client gives up on the connection.
BLOCK_MS = 5000
RETRY_MS = 2000  # the browser's reconnection delay after a stream ends
ROW_EVENTS = frozenset(
    {EventType.STATE, EventType.REFUSED, EventType.ARTICLE_UPDATED, EventType.EDIT_PROPOSED,
     EventType.ARTICLE_GONE}
)  # fmt: skip
_STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


def message(name: str, data: dict[str, Any], event_id: str) -> bytes:
    """One SSE message; the JSON is one line, so a single `data:` field carries it."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {name}\nid: {event_id}\ndata: {body}\n\n".encode()


def articles_of(events: list[Event]) -> list[str]:
    """The articles whose rows the events changed, each once, in order."""
    found = (e.article_id for e in events if e.type in ROW_EVENTS and e.article_id)
    return list(dict.fromkeys(found))


class LiveStreams:
    def __init__(self, store: Store, model: BoardModel, pages: Pages, auth: BoardAuth) -> None:
        self.store = store
        self.model = model
        self.pages = pages
        self.auth = auth
        self._reads: set[asyncio.Future[tuple[str, list[Event]]]] = set()
        self._closing = False

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self.auth.allowed(request):
            return self.auth.refuse()
        after = request.headers.get("Last-Event-ID") or request.query.get("after") or ""
        if after and not _STREAM_ID.match(after):
            return web.Response(
                status=400,
                text="after must be an events-stream id like 1700000000000-0: reload the board\n",
                headers=PRIVATE_HEADERS,
            )
        after = after or await self.store.board.last_event_id()
        response = web.StreamResponse(
            headers={**PRIVATE_HEADERS, "Content-Type": "text/event-stream; charset=utf-8",
                     "X-Accel-Buffering": "no"}  # a proxy (nginx) must not buffer it
        )  # fmt: skip
        await response.prepare(request)
        try:
            await response.write(f"retry: {RETRY_MS}\n\n".encode())
            await self._follow(response, after)
        except ConnectionResetError:
            pass  # the page was closed or reloaded
        except REDIS_ERRORS as exc:  # a cluster's errors too (redis.exceptions is not all)
            log.warning("board stream ended: Redis failed", error=type(exc).__name__)
        return response

    async def _follow(self, response: web.StreamResponse, after: str) -> None:
        queue_html = ""
        current = asyncio.current_task()
        while not self._closing:
            read = asyncio.ensure_future(self.store.board.tail(after, block_ms=BLOCK_MS))
            self._reads.add(read)
            try:
                last, events = await read
            except asyncio.CancelledError:
                if current is None or current.cancelling():
                    raise
                return  # the server stops (close_all): end the response cleanly
            finally:
                self._reads.discard(read)
            ids = articles_of(events)
            rows = [self.pages.row(row) for row in await self.model.rows_of(ids)] if ids else []
            queue = self.pages.queue(await self.store.board.queue())
            if rows or queue != queue_html:
                data: dict[str, Any] = {"rows": rows, "queue": queue}
                await response.write(message("rows", data, last))
                queue_html = queue
            elif last == after:
                await response.write(b": idle\n\n")  # finds a closed page
            after = last

    async def close_all(self, _app: web.Application) -> None:
        """on_shutdown: end every open stream now (its blocked read is cancelled, and
        the stream ends as a complete response)."""
        self._closing = True
        for read in list(self._reads):
            read.cancel()
