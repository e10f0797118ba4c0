"""The service's own HTTP server (NEWSBOT_HTTP_HOST:NEWSBOT_HTTP_PORT): one aiohttp
application whose routes the components add before it starts (the CMS push endpoint,
WebSub callbacks, the editors' bot's webhook).

Every process serves it: the port is opened with SO_REUSEPORT, so the processes of
`newsbot run --workers N` on one machine share it, and any of them may answer (the
routes only write to Redis, or feed the editors' bot, whose state is in Redis).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

log = structlog.get_logger("web")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WebServer:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.app = web.Application(client_max_size=2 * 1024 * 1024)
        self.routes: list[str] = []
        self._runner: web.AppRunner | None = None

    def add(self, method: str, path: str, handler: Handler) -> None:
        self.app.router.add_route(method, path, handler)
        self.routes.append(f"{method} {path}")

    async def start(self) -> None:
        """Listen, when some component added a route; the bound port is `self.port`."""
        if not self.routes:
            return
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_port=True)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        log.info("http server listening", host=self.host, port=self.port, routes=self.routes)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
