"""Leader lease: work that must run in one process at a time (feed polling, the
due-set promoter) runs only while this process holds `{ns}:lock:<name>`.

The lease is a key set with NX and a TTL, renewed every third of it by its owner
(compare-and-set in Lua); a process that stops releases it, one that crashes
loses it after the TTL, and another takes over within that time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

import structlog

from bot.infra.health import REDIS_ERRORS, RedisHealth, sleep_unless
from bot.store import scripts
from bot.store.client import RedisClient

log = structlog.get_logger("leader")
Work = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


class LeaderLease:
    def __init__(
        self, redis: RedisClient, key: str, owner: str, *, ttl_ms: int = 5000, health: RedisHealth
    ) -> None:
        self.redis = redis
        self.key = key
        self.owner = owner
        self.ttl_ms = ttl_ms
        self.health = health
        self._renew = scripts.load(redis, "lease_renew")
        self._release = scripts.load(redis, "lease_release")

    async def run(self, stop: asyncio.Event, work: Work) -> None:
        """Run `work` whenever this process leads, until `stop`; release on the way out."""
        while not stop.is_set():
            try:
                acquired = await self.redis.set(self.key, self.owner, nx=True, px=self.ttl_ms)
                self.health.ok()
            except REDIS_ERRORS as exc:
                self.health.failed(exc)
                acquired = False
            if acquired:
                log.info("leader lease taken", lease=self.key, owner=self.owner)
                await self._lead(stop, work)
            await sleep_unless(stop, self.ttl_ms / 3000)

    async def _lead(self, stop: asyncio.Event, work: Work) -> None:
        leading = asyncio.Event()  # set = stop leading
        async with asyncio.TaskGroup() as tg:
            tg.create_task(work(leading))
            tg.create_task(self._keep(stop, leading))
        with contextlib.suppress(*REDIS_ERRORS):  # unreleased, it expires by itself
            await self._release(keys=[self.key], args=[self.owner])
        log.info("leader lease given up", lease=self.key, owner=self.owner)

    async def _keep(self, stop: asyncio.Event, leading: asyncio.Event) -> None:
        while not stop.is_set():
            await sleep_unless(stop, self.ttl_ms / 3000)
            if stop.is_set():
                break
            try:
                if not await self._renew(keys=[self.key], args=[self.owner, self.ttl_ms]):
                    log.warning("leader lease lost", lease=self.key, owner=self.owner)
                    break
            except REDIS_ERRORS as exc:
                self.health.failed(exc)
                break  # cannot prove we still lead: step down
        leading.set()
