"""The push stream `{ns}:ingest`: what a CMS sent (POST /ingest, or its own XADD), read
by every process through the consumer group `ingest`; an entry is acknowledged only
once its article is stored (or the push is given up), so a crash loses none: another
process takes a silent consumer's entries over."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from redis.exceptions import ResponseError

from bot.store.client import RedisClient
from bot.store.keys import Keys, text
from bot.store.replication import Replication

GROUP = "ingest"
MAX_PUSHES = 100_000


class PushStream:
    def __init__(
        self, redis: RedisClient, keys: Keys, replication: Replication | None = None
    ) -> None:
        self.redis = redis
        self.key = keys.ingest
        self.replication = replication or Replication(redis, keys.fence)

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(self.key, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def add(self, fields: Mapping[str, str]) -> str:
        """Keep a push; on the replicas before the sender is told it is kept (202)."""
        entry: dict[Any, Any] = dict(fields)
        entry_id = await self.redis.xadd(self.key, entry, maxlen=MAX_PUSHES, approximate=True)
        await self.replication.confirm()
        return text(entry_id)

    async def read(
        self, consumer: str, count: int, block_ms: int
    ) -> list[tuple[str, dict[str, str]]]:
        reply: Any = await self.redis.xreadgroup(
            GROUP, consumer, {self.key: ">"}, count=count, block=block_ms
        )
        return [
            (text(entry_id), {text(a): text(b) for a, b in fields.items()})
            for _stream, entries in reply or []
            for entry_id, fields in entries
        ]

    async def take_over(
        self, consumer: str, idle_ms: int, count: int = 20
    ) -> list[tuple[str, dict[str, str]]]:
        """Entries a silent consumer held longer than `idle_ms` (XAUTOCLAIM)."""
        reply: Any = await self.redis.xautoclaim(
            self.key, GROUP, consumer, idle_ms, "0-0", count=count
        )
        return [
            (text(entry_id), {text(a): text(b) for a, b in fields.items()})
            for entry_id, fields in reply[1]
            if fields is not None
        ]

    async def keep(self, consumer: str, entry_id: str) -> None:
        """Still working on it (a retry waits): reset its idle time so nobody takes it over."""
        await self.redis.xclaim(self.key, GROUP, consumer, 0, [entry_id], justid=True)

    async def done(self, entry_id: str) -> None:
        await self.redis.xack(self.key, GROUP, entry_id)
        await self.redis.xdel(self.key, entry_id)
