"""The echo service, for the tests: keeps every post; answers the next posts with the
statuses a test queues (429 with retry_after, 403, 500)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class EchoServer:
    posts: list[dict[str, Any]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # statuses for the next posts
    url: str = ""
    runner: web.AppRunner | None = None

    async def start(self) -> EchoServer:
        app = web.Application()
        app.router.add_post("/posts", self._post)
        app.router.add_get("/posts", self._list)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
        return self

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        status = self.answers.pop(0) if self.answers else 200
        if status == 429:
            return web.json_response({"error": "slow down", "retry_after": 0.2}, status=429)
        if status != 200:
            return web.json_response({"error": f"refused ({status})"}, status=status)
        post = {"id": len(self.posts) + 1, "room": body["room"], "text": body["text"]}
        self.posts.append(post)
        return web.json_response({"id": post["id"]})

    async def _list(self, request: web.Request) -> web.Response:
        return web.json_response(self.posts)
