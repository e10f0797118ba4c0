"""The delivery board: a read-only web page of the service (README "The delivery board").

`add_board` adds its routes to the service's WebServer when NEWSBOT_BOARD_TOKEN is set;
without a token there are no routes, so /board answers 404. Every route checks the
token first (auth.py): a missing or wrong one is a 401.

- GET /board: recent deliveries (model.py), rendered server-side (page.py, templates/);
  `?channel=` and `?state=` (a state or a group: waiting, posted, failed, ended) filter
  them, `?limit=` is how many recent articles (default 50, at most 500).
- GET /board/events: server-sent events that update the page in place (live.py).
- GET /board/login?token=...: sets the cookie, then redirects to /board.

Nothing here writes to Redis.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from bot.board.auth import PRIVATE_HEADERS, BoardAuth
from bot.board.live import LiveStreams
from bot.board.model import GROUP_NAMES, BoardModel
from bot.board.page import STATES, Pages, new_nonce, security_headers
from bot.infra.health import REDIS_ERRORS
from bot.platforms import Outlet
from bot.store import Store
from bot.web import Routes

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Board:
    def __init__(
        self,
        store: Store,
        outlets: Mapping[str, Outlet],
        token: str,
        zone: str,
        base: str = "",
        newsroom: str = "",
    ) -> None:
        self.store = store
        self.auth = BoardAuth(token, base + "/board")
        self.model = BoardModel(store, outlets)
        self.pages = Pages(zone, base, newsroom)
        self.live = LiveStreams(store, self.model, self.pages, self.auth)

    async def page(self, request: web.Request) -> web.Response:
        if not self.auth.allowed(request):
            return self.auth.refuse()
        try:
            channel, state, limit = self._filters(request.query)
        except ValueError as exc:
            return web.Response(status=400, text=f"{exc}\n", headers=PRIVATE_HEADERS)
        # the id first: the live stream replays what happens after it, so a delivery
        # that moves while the rows are read is sent again rather than missed
        try:
            after = await self.store.board.last_event_id()
            snapshot = await self.model.recent(limit)
        except REDIS_ERRORS as exc:
            text = f"The board cannot read Redis now ({type(exc).__name__}): reload in a moment\n"
            return web.Response(status=503, text=text, headers=PRIVATE_HEADERS)
        nonce = new_nonce()
        html = self.pages.page(
            snapshot.rows, snapshot.queue, channels=self.model.channels, channel=channel,
            state=state, limit=limit, after=after, nonce=nonce,
        )  # fmt: skip
        return web.Response(text=html, content_type="text/html", headers=security_headers(nonce))

    def _filters(self, query: Mapping[str, str]) -> tuple[str, str, int]:
        """(channel, state, limit) from the query; ValueError with one sentence."""
        channel = query.get("channel", "")
        if channel and channel not in self.model.channels:
            names = ", ".join(self.model.channels) or "none"
            raise ValueError(f"channel {channel!r} is not an active channel: use one of {names}")
        state = query.get("state", "")
        if state and state not in GROUP_NAMES and state not in STATES:
            choices = ", ".join([*GROUP_NAMES, *STATES])
            raise ValueError(f"state {state!r} is not a state or group: use one of {choices}")
        raw = query.get("limit", "") or str(DEFAULT_LIMIT)
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise ValueError(f"limit must be a whole number from 1 to {MAX_LIMIT}")
        return channel, state, int(raw)


def add_board(
    web_server: Routes,
    store: Store,
    outlets: Mapping[str, Outlet],
    token: str | None,
    zone: str,
    newsroom: str = "",
) -> Board | None:
    """The board's routes on the service's server (under a newsroom's prefix when there
    are several, titled with its name); None (no routes) without a token."""
    if not token:
        return None
    board = Board(store, outlets, token, zone, web_server.prefix, newsroom)
    web_server.add("GET", "/board", board.page)
    web_server.add("GET", "/board/login", board.auth.login)
    web_server.add("GET", "/board/events", board.live.handle)
    web_server.app.on_shutdown.append(board.live.close_all)
    return board
