"""The service's own HTTP server (NEWSBOT_HTTP_HOST:NEWSBOT_HTTP_PORT): one aiohttp
application whose routes the components add before it starts (the probes /healthz and
/readyz, /metrics, the CMS push endpoint, WebSub callbacks, the editors' bot's webhook).
It always listens: the probes and the metrics are on it.

Every process serves it: the port is opened with SO_REUSEPORT, so the processes of
`newsbot run --workers N` on one machine share it, and any of them may answer (the
routes only write to Redis, or feed the editors' bot, whose state is in Redis; /metrics
answers for the whole deployment; /healthz and /readyz answer for the process the kernel
picked, so a probe of a shared port sees one process at a time). Port 0 (tests, the
demo) picks a free port per process.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

import structlog
from aiohttp import web

from bot.settings import ConfigError

log = structlog.get_logger("web")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Routes(Protocol):
    """Where a component adds its routes: the server, or a newsroom's part of it."""

    app: web.Application
    prefix: str

    def add(self, method: str, path: str, handler: Handler) -> None: ...


class Scoped:
    """Part of the server: the routes a newsroom adds, under its prefix."""

    def __init__(self, server: WebServer, prefix: str) -> None:
        self.server = server
        self.app = server.app
        self.prefix = prefix

    def add(self, method: str, path: str, handler: Handler) -> None:
        self.server.add(method, self.prefix + path, handler)


class WebServer:
    prefix = ""  # the routes' prefix: none; `under` gives a newsroom's

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.app = web.Application(client_max_size=2 * 1024 * 1024)
        self.routes: list[str] = []
        self._runner: web.AppRunner | None = None

    def add(self, method: str, path: str, handler: Handler) -> None:
        try:
            self.app.router.add_route(method, path, handler)
        except RuntimeError:  # aiohttp: "Added route will never be executed"
            raise ConfigError(
                f"two parts of the service answer {method} {path}: give each newsroom's "
                "editors' bot its own TELEGRAM_WEBHOOK_URL path"
            ) from None
        self.routes.append(f"{method} {path}")

    def under(self, prefix: str) -> Routes:
        """The routes of one newsroom: each path under `prefix` (bot/newsrooms.py)."""
        return Scoped(self, prefix) if prefix else self

    async def start(self) -> None:
        """Listen; the bound port is `self.port`."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_port=True)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            raise ConfigError(
                f"NEWSBOT_HTTP_HOST:NEWSBOT_HTTP_PORT {self.host}:{self.port} cannot be "
                f"listened on ({exc.strerror or exc}): free that port or choose another"
            ) from None
        self.port = int(self._runner.addresses[0][1])
        log.info("http server listening", host=self.host, port=self.port, routes=self.routes)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
