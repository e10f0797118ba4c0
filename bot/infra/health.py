"""Redis going away is waited out, never fatal: the errors that mean "Redis is not
answering now", a health flag that logs an outage once when it starts and once when
it ends (not per retry), and a sleep that ends early on shutdown."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from redis.exceptions import RedisClusterException, RedisError

log = structlog.get_logger("redis")
# Any Redis refusal (connection lost, READONLY after a failover, OOM, BUSY; on a
# cluster MOVED/ASK, TRYAGAIN, CLUSTERDOWN, a slot not covered yet; Sentinel's
# MasterNotFoundError) is waited out and retried; it must never stop the service.
REDIS_ERRORS = (RedisError, RedisClusterException, ConnectionError, OSError)


class RedisHealth:
    def __init__(self) -> None:
        self.up = True

    def failed(self, exc: BaseException) -> None:
        if self.up:
            self.up = False
            log.warning("redis unavailable, retrying", error=str(exc))

    def ok(self) -> None:
        if not self.up:
            self.up = True
            log.info("redis available again")


async def sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
