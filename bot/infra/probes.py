"""GET /healthz and GET /readyz: liveness and readiness, for Kubernetes probes and the
Docker healthcheck. Unauthenticated, fast, bounded in time; neither says anything
secret.

- /healthz: this process's event loop turns. A heartbeat task ticks every
  TICK_SECONDS; 200 while its last tick is under STALE_SECONDS old, else 503 with the
  reason (a loop too busy to tick but still able to answer, or a heartbeat not started).
  It touches nothing outside the process: Redis being away must not get the process
  killed (it waits Redis out by design).
- /readyz: this process can do its work now: Redis answers a PING within
  CHECK_TIMEOUT, it holds the Lua scripts (loaded when missing), and this process's
  delivery workers are running. 200 or 503 with every check named.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from aiohttp import web

from bot.infra.health import REDIS_ERRORS, sleep_unless
from bot.store.probes import ProbeStore

TICK_SECONDS = 0.5
STALE_SECONDS = 5.0
CHECK_TIMEOUT = 1.0
Running = Callable[[], tuple[int, int]]  # (tasks running, tasks expected)


class Heartbeat:
    def __init__(self) -> None:
        self.last: float | None = None  # monotonic time of the last tick

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.last = time.monotonic()
            await sleep_unless(stop, TICK_SECONDS)

    def age(self) -> float | None:
        return None if self.last is None else time.monotonic() - self.last

    async def handle(self, _request: web.Request) -> web.Response:
        age = self.age()
        if age is None:
            return _json(503, ok=False, reason="the service has not started its loop yet")
        if age > STALE_SECONDS:
            why = f"the event loop last ticked {age:.1f} s ago (limit {STALE_SECONDS:.0f} s)"
            return _json(503, ok=False, reason=why)
        return _json(200, ok=True, tick_age_seconds=round(age, 3))


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


class Readiness:
    def __init__(self, store: ProbeStore, workers: Running) -> None:
        self.store = store
        self.workers = workers

    async def checks(self) -> list[Check]:
        redis = await _bounded("redis", self._redis)
        scripts = await _bounded("scripts", self._scripts) if redis.ok else None
        skipped = Check("scripts", False, "not checked: Redis does not answer")
        return [redis, scripts or skipped, self._workers()]

    async def _redis(self) -> Check:
        await self.store.ping()
        return Check("redis", True, "PING answered")

    async def _scripts(self) -> Check:
        missing = await self.store.missing_scripts()
        if missing:
            await self.store.load(missing)
            missing = await self.store.missing_scripts()
            if missing:
                return Check("scripts", False, "Redis does not keep " + ", ".join(missing))
        return Check("scripts", True, f"{len(self.store.shas)} Lua scripts loaded")

    def _workers(self) -> Check:
        running, expected = self.workers()
        detail = f"{running} of {expected} delivery tasks running"
        return Check("workers", expected > 0 and running >= expected, detail)

    async def handle(self, _request: web.Request) -> web.Response:
        found = await self.checks()
        ready = all(c.ok for c in found)
        return _json(200 if ready else 503, ready=ready, checks=[asdict(c) for c in found])


async def _bounded(name: str, check: Callable[[], Awaitable[Check]]) -> Check:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            return await check()
    except TimeoutError:
        return Check(name, False, f"no answer from Redis within {CHECK_TIMEOUT:.0f} s")
    except REDIS_ERRORS as exc:  # the class only: a redis-py text may quote the URL
        return Check(name, False, f"Redis refused or is unreachable ({type(exc).__name__})")


def _json(status: int, **body: object) -> web.Response:
    return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})
