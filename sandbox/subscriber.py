"""A WebSub subscriber's callback for tests (W3C WebSub §5.3.1, §7): it answers intent
verification, records the notifications it gets and can fail on demand, so that a test
of the hub (or of a publisher) has something real to talk to. newsbot's own callback is
tested against the hub directly; this stands in for any other subscriber.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

from sandbox.serving import listen, unlisten

Verify = Literal["echo", "refuse", "wrong"]


@dataclass
class Notification:
    body: bytes
    content_type: str
    links: list[str]  # the Link header values, as received
    signature: str | None  # X-Hub-Signature
    signature_ok: bool | None  # None when the subscriber has no secret

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class WebSubSubscriber:
    def __init__(self, *, secret: str | None = None, verify: Verify = "echo") -> None:
        self.secret = secret
        # "echo" the challenge (verified), "refuse" with 404 (§5.3.1: the subscriber
        # does not agree) or answer 200 with a "wrong" body (the hub must not verify).
        self.verify: Verify = verify
        self.fail_next = 0  # answer the next N notifications with `fail_status`
        self.fail_status = 500
        self.verifications: list[dict[str, str]] = []
        self.notifications: list[Notification] = []
        self.answered: list[int] = []  # the status of every notification
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    @property
    def callback(self) -> str:
        return self.base_url + "/callback"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/callback", self._on_get)
        app.router.add_post("/callback", self._on_post)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner, self.base_url = await listen(self.app(), host, port)
        return self.callback

    async def close(self) -> None:
        await unlisten(self._runner)
        self._runner = None

    async def _on_get(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.verifications.append(query)
        if query.get("hub.mode") == "denied":
            return web.Response(text="")
        if self.verify == "refuse":
            return web.Response(status=404)
        if self.verify == "wrong":
            return web.Response(text="not the challenge")
        return web.Response(text=query.get("hub.challenge", ""))

    async def _on_post(self, request: web.Request) -> web.Response:
        body = await request.read()
        signature = request.headers.get("X-Hub-Signature")
        self.notifications.append(
            Notification(
                body=body,
                content_type=request.headers.get("Content-Type", ""),
                links=request.headers.getall("Link", []),
                signature=signature,
                signature_ok=None if self.secret is None else self.signed(body, signature),
            )
        )
        status = 204
        if self.fail_next > 0:
            self.fail_next -= 1
            status = self.fail_status
        self.answered.append(status)
        return web.Response(status=status)

    def signed(self, body: bytes, signature: str | None) -> bool:
        """Whether `signature` ("method=hex") is the HMAC of `body` with our secret."""
        if self.secret is None or not signature or "=" not in signature:
            return False
        method, _, digest = signature.partition("=")
        if method not in ("sha1", "sha256", "sha384", "sha512"):
            return False
        expected = hmac.new(self.secret.encode(), body, getattr(hashlib, method)).hexdigest()
        return hmac.compare_digest(expected, digest)
