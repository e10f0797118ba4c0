"""A local WebSub hub (W3C Recommendation, https://www.w3.org/TR/websub/) over real HTTP
(aiohttp.web) on loopback, for the site sandbox's feed and the tests of a subscriber.

The hub is `{base}/` (one endpoint for everything, like public hubs); its own port.
- §5.1 subscribe and unsubscribe: a form POST with hub.mode, hub.topic, hub.callback,
  optional hub.lease_seconds and hub.secret (under 200 bytes). 202 Accepted, or a 400
  with a plain-text reason for a malformed request (§5.1.2). Callbacks and topics must
  be loopback URLs: the sandbox never reaches the network (§5.1.2 lets a hub refuse
  callback and topic URLs by its own policy).
- §5.2 validation: a topic in `denied_topics` is denied: GET callback with
  hub.mode=denied, hub.topic and hub.reason.
- §5.3 verification of intent, after the 202: GET callback with hub.mode, hub.topic,
  hub.challenge and (subscribe) hub.lease_seconds. Only a 2xx whose body is the
  challenge verifies (§5.3.1); the lease runs from the verification request. A failed
  renewal leaves an active subscription as it was.
- §6 publishing: the mechanism is left to hub and publisher; this hub takes the common
  ping, hub.mode=publish with hub.url (PubSubHubbub 0.4; hub.topic is read too),
  answers 204 No Content, fetches the topic and distributes it.
- §7 distribution: a POST of the topic's body to each active subscriber with the
  topic's Content-Type, `Link: <hub>; rel="hub", <topic>; rel="self"`, and, when the
  subscriber gave a secret, `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>`
  (§7.1). Redirects are not followed. Any answer but a 2xx is a failure, retried after
  `retry_delay`, doubling, up to `max_attempts` in all; 410 Gone ends the subscription.

Time is `time.time() + clock_offset`: tests move `clock_offset` to expire leases.
Verification and delivery run as tasks; `await hub.idle()` waits for them.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import asdict
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from sandbox.records import dumps
from sandbox.serving import listen, unlisten
from sandbox.websubmodels import (
    Delivery,
    Publish,
    Subscription,
    Verification,
    is_loopback_url,
)

DEFAULT_LEASE = 10 * 86400
Handler = Callable[[web.Request], Awaitable[web.Response]]
SECRET_LIMIT = 200  # bytes, §5.1


class RequestError(Exception):
    """A malformed hub request: answered 400 with this text (§5.1.2)."""


class WebSubHub:
    def __init__(
        self,
        *,
        default_lease: int = DEFAULT_LEASE,
        min_lease: int = 60,
        max_lease: int = 30 * 86400,
        max_attempts: int = 4,
        retry_delay: float = 1.0,
        signature: str = "sha256",
        timeout: float = 10.0,
    ) -> None:
        # The lease a subscriber asks for is kept within [min_lease, max_lease] (§5.3.1).
        self.default_lease, self.min_lease, self.max_lease = default_lease, min_lease, max_lease
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.signature = signature  # sha1, sha256, sha384 or sha512 (§7.1)
        self.timeout = timeout
        self.clock_offset = 0.0
        self.denied_topics: dict[str, str] = {}  # topic -> hub.reason
        self.subscriptions: dict[tuple[str, str], Subscription] = {}  # (topic, callback)
        self.verifications: list[Verification] = []
        self.deliveries: list[Delivery] = []
        self.publishes: list[Publish] = []
        self.errors: list[BaseException] = []  # of the hub's own tasks, raised by idle()
        self.base_url = ""
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The hub URL subscribers and publishers post to."""
        return self.base_url + "/"

    def now(self) -> float:
        return time.time() + self.clock_offset

    # -- helpers for tests ---------------------------------------------------------------

    def active(self, topic: str | None = None) -> list[Subscription]:
        now = self.now()
        return [
            s
            for s in self.subscriptions.values()
            if s.is_active(now) and (topic is None or s.topic == topic)
        ]

    def subscription(self, topic: str, callback: str) -> Subscription | None:
        return self.subscriptions.get((topic, callback))

    def delivery_count(self, *, callback: str | None = None, topic: str | None = None) -> int:
        """Delivery attempts the callback acknowledged with a 2xx."""
        return sum(
            1
            for d in self.deliveries
            if d.ok
            and (callback is None or d.callback == callback)
            and (topic is None or d.topic == topic)
        )

    async def notify(
        self, topic: str, body: bytes | None = None, content_type: str | None = None
    ) -> int:
        """Distribute `topic` now, as a publish ping would: `body` (else the topic as
        fetched) goes to every active subscriber. Returns how many; `idle()` waits for
        the deliveries."""
        return await self._distribute(topic, body, content_type)

    async def idle(self) -> None:
        """Wait until no verification or delivery is under way; raise the first error
        a task of the hub raised."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.errors:
            raise self.errors[0]

    def reset(self) -> None:
        for task in self._tasks:
            task.cancel()
        self.subscriptions.clear()
        self.verifications.clear()
        self.deliveries.clear()
        self.publishes.clear()
        self.denied_topics.clear()
        self.errors.clear()

    # -- server ----------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/", self._handle)
        app.router.add_get("/_sandbox/subscriptions", _listing(self._subscriptions))
        app.router.add_get(
            "/_sandbox/verifications", _listing(lambda: [asdict(v) for v in self.verifications])
        )
        app.router.add_get(
            "/_sandbox/deliveries", _listing(lambda: [d.json() for d in self.deliveries])
        )
        app.router.add_post("/_sandbox/notify", self._control_notify)
        app.router.add_post("/_sandbox/reset", self._control_reset)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner, self.base_url = await listen(self.app(), host, port)
        return self.base_url

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
            self._http = None
        await unlisten(self._runner)
        self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        try:
            mode = _field(form, "hub.mode")
            if mode == "publish":
                urls = [
                    str(u) for u in (*form.getall("hub.url", []), *form.getall("hub.topic", []))
                ]
                return self._publish(urls)
            if mode in ("subscribe", "unsubscribe"):
                return self._subscribe(mode, form)
            raise RequestError("hub.mode must be subscribe, unsubscribe or publish")
        except RequestError as exc:
            return web.Response(status=400, text=str(exc))

    def _subscribe(self, mode: str, form: Any) -> web.Response:
        callback, topic = _field(form, "hub.callback"), _field(form, "hub.topic")
        for name, value in (("hub.callback", callback), ("hub.topic", topic)):
            if not is_loopback_url(value):
                raise RequestError(f"{name} must be an http(s) URL on this machine: {value}")
        secret = str(form.get("hub.secret", "")) or None
        if secret is not None and len(secret.encode()) >= SECRET_LIMIT:
            raise RequestError("hub.secret must be less than 200 bytes")
        lease = self._lease(str(form.get("hub.lease_seconds", "")).strip())
        self._spawn(self._verify(mode, topic, callback, lease, secret))
        return web.Response(status=202, text="Accepted")

    def _lease(self, asked: str) -> int:
        if not asked:
            return self.default_lease
        try:
            seconds = int(asked)
        except ValueError:
            raise RequestError("hub.lease_seconds must be a whole number of seconds") from None
        return min(max(seconds, self.min_lease), self.max_lease)

    def _publish(self, urls: list[str]) -> web.Response:
        if not urls:
            raise RequestError("hub.url is required")
        for url in urls:
            if not is_loopback_url(url):
                raise RequestError(f"hub.url must be an http(s) URL on this machine: {url}")
        for url in urls:
            self._spawn(self._distribute(url, None, None))
        return web.Response(status=204)

    # -- verification (§5.2, §5.3) ---------------------------------------------------

    async def _verify(
        self, mode: str, topic: str, callback: str, lease: int, secret: str | None
    ) -> None:
        key = (topic, callback)
        existing = self.subscriptions.get(key)
        if mode == "subscribe" and topic in self.denied_topics:
            reason = self.denied_topics[topic]
            query = {"hub.mode": "denied", "hub.topic": topic, "hub.reason": reason}
            status, _ = await self._get(callback, query)
            self.verifications.append(
                Verification("denied", topic, callback, status, False, self.now())
            )
            if existing is None or not existing.is_active(self.now()):
                self.subscriptions[key] = Subscription(
                    topic, callback, secret, lease, "denied", reason=reason
                )
            return
        challenge = secrets.token_urlsafe(24)
        query = {"hub.mode": mode, "hub.topic": topic, "hub.challenge": challenge}
        if mode == "subscribe":
            query["hub.lease_seconds"] = str(lease)
        at = self.now()
        status, body = await self._get(callback, query)
        ok = 200 <= status < 300 and body == challenge
        asked = lease if mode == "subscribe" else None
        self.verifications.append(Verification(mode, topic, callback, status, ok, at, asked))
        if mode == "unsubscribe":
            if ok and existing is not None:
                existing.state = "unsubscribed"
            return
        if ok:
            self.subscriptions[key] = Subscription(
                topic, callback, secret, lease, "active", verified_at=at, expires_at=at + lease
            )
        elif existing is None or not existing.is_active(self.now()):
            self.subscriptions[key] = Subscription(topic, callback, secret, lease, "unverified")

    # -- distribution (§7) ------------------------------------------------------------

    async def _distribute(self, topic: str, body: bytes | None, content_type: str | None) -> int:
        now = self.now()
        for sub in self.subscriptions.values():
            if sub.state == "active" and not sub.is_active(now):
                sub.state = "expired"
        targets = self.active(topic)
        publish = Publish(topic, now, len(targets))
        self.publishes.append(publish)
        if not targets:
            return 0
        if body is None:
            fetched = await self._fetch(topic)
            if isinstance(fetched, str):
                publish.error = fetched
                return 0
            body, content_type = fetched
        for sub in targets:
            self._spawn(self._deliver(sub, body, content_type or "application/octet-stream"))
        return len(targets)

    async def _fetch(self, topic: str) -> tuple[bytes, str | None] | str:
        """The topic's body and Content-Type, or why it could not be had."""
        try:
            async with self._session().get(topic) as resp:
                if resp.status != 200:
                    return f"the topic answered {resp.status}"
                return await resp.read(), resp.headers.get("Content-Type")
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"the topic could not be fetched: {exc!r}"

    async def _deliver(self, sub: Subscription, body: bytes, content_type: str) -> None:
        headers = {
            "Content-Type": content_type,
            "Link": f'<{self.url}>; rel="hub", <{sub.topic}>; rel="self"',
        }
        if sub.secret:
            digest = hmac.new(sub.secret.encode(), body, getattr(hashlib, self.signature))
            headers["X-Hub-Signature"] = f"{self.signature}={digest.hexdigest()}"
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1 and not sub.is_active(self.now()):  # ended meanwhile
                return
            status, error = await self._post(sub.callback, body, headers)
            ok = 200 <= status < 300
            self.deliveries.append(
                Delivery(
                    sub.topic, sub.callback, attempt, status, ok, self.now(), body, headers, error
                )
            )
            if ok:
                return
            if status == 410:
                sub.state = "gone"
                return
            if attempt < self.max_attempts:
                await asyncio.sleep(self.retry_delay * 2 ** (attempt - 1))

    # -- HTTP ------------------------------------------------------------------------

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._http

    async def _get(self, callback: str, query: dict[str, str]) -> tuple[int, str]:
        """Status and body of a GET to the callback with `query` added to its own query
        string (§5.3: "appended"); status 0 when no answer came."""
        url = URL(callback).update_query(query)
        try:
            async with self._session().get(url, allow_redirects=False) as resp:
                return resp.status, await resp.text(errors="replace")
        except (aiohttp.ClientError, TimeoutError):
            return 0, ""

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str | None]:
        try:
            async with self._session().post(
                url, data=body, headers=headers, allow_redirects=False
            ) as resp:
                await resp.read()  # ignored (§7), read to free the connection
                return resp.status, None
        except (aiohttp.ClientError, TimeoutError) as exc:
            return 0, repr(exc)

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            self.errors.append(error)

    # -- control endpoints -----------------------------------------------------------

    def _subscriptions(self) -> list[dict[str, Any]]:
        now = self.now()
        return [{**asdict(s), "active": s.is_active(now)} for s in self.subscriptions.values()]

    async def _control_notify(self, request: web.Request) -> web.Response:
        data = await request.json()
        if not isinstance(data, dict) or not isinstance(data.get("topic"), str):
            return web.json_response(
                {"ok": False, "description": "{topic, body?, content_type?}"}, status=400
            )
        body = data.get("body")
        count = await self.notify(
            data["topic"],
            body.encode() if isinstance(body, str) else None,
            data.get("content_type"),
        )
        return web.json_response({"ok": True, "subscribers": count})

    async def _control_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})


def _listing(read: Callable[[], list[dict[str, Any]]]) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(read(), dumps=dumps)

    return handler


def _field(form: Any, name: str) -> str:
    value = str(form.get(name, "")).strip()
    if not value:
        raise RequestError(f"{name} is required")
    return value
