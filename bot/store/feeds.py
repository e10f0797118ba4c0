"""What the feed poller keeps in Redis per feed: its HTTP validators, its last result
and error streak, and the skipped items already told of (logged once, not per poll)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from typing import cast

from redis.typing import EncodableT

from bot.store.client import RedisClient
from bot.store.keys import Keys, now_ms, text

SKIPPED_MEMORY_SECONDS = 30 * 86400  # a skipped item is logged again after this


class FeedStore:
    def __init__(self, redis: RedisClient, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def state(self, feed_id: str) -> dict[str, str]:
        raw = await self.redis.hgetall(self.keys.feed(feed_id))
        return {text(k): text(v) for k, v in raw.items()}

    async def save(self, feed_id: str, values: Mapping[str, str | int]) -> None:
        mapping = cast(dict[EncodableT, EncodableT], dict(values))
        await self.redis.hset(self.keys.feed(feed_id), mapping=mapping)

    async def error_streak(self, feed_id: str) -> int:
        return int(await self.redis.hget(self.keys.feed(feed_id), "error_streak") or 0)

    async def first_time_skipped(self, feed_id: str, items: Sequence[str]) -> list[bool]:
        """For each skipped item (its identity), whether it is skipped for the first time."""
        key = self.keys.feed_skipped(feed_id)
        pipe = self.redis.pipeline(transaction=False)
        for item in items:
            pipe.sadd(key, hashlib.sha256(item.encode()).hexdigest()[:16])
        pipe.expire(key, SKIPPED_MEMORY_SECONDS)
        added = await pipe.execute()
        return [bool(n) for n in added[: len(items)]]

    async def scheduled(self) -> set[str]:
        """The feeds on the poll schedule."""
        return {text(m) for m in await self.redis.zrange(self.keys.feeds_due, 0, -1)}

    async def reschedule(self, due_ms: Mapping[str, int], drop: Sequence[str] = ()) -> None:
        """Set when feeds are next polled; take `drop` off the schedule."""
        pipe = self.redis.pipeline(transaction=False)
        if due_ms:
            pipe.zadd(self.keys.feeds_due, dict(due_ms))
        if drop:
            pipe.zrem(self.keys.feeds_due, *drop)
        await pipe.execute()

    async def take_due(
        self, limit: int, exclude: Collection[str], lease_s: Mapping[str, float]
    ) -> list[str]:
        """Up to `limit` feeds due now (not in `exclude`), each pushed `lease_s` ahead
        so that a poll lost with its process is made again after that."""
        now = now_ms()
        due = await self.redis.zrangebyscore(
            self.keys.feeds_due, "-inf", now, start=0, num=limit + len(exclude)
        )
        taken = [f for f in (text(m) for m in due) if f not in exclude][:limit]
        if taken:
            leases = {f: now + int(1000 * lease_s.get(f, 60.0)) for f in taken}
            await self.redis.zadd(self.keys.feeds_due, leases, xx=True)
        return taken

    async def next_due_ms(self) -> int | None:
        """When the first feed on the schedule is due; None when none is."""
        first = await self.redis.zrange(self.keys.feeds_due, 0, 0, withscores=True)
        return int(first[0][1]) if first else None
