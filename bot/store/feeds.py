"""What the feed poller keeps in Redis per feed: its HTTP validators, its last result
and error streak, and the skipped items already told of (logged once, not per poll)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import cast

from redis.asyncio import Redis
from redis.typing import EncodableT

from bot.store.keys import Keys, text

SKIPPED_MEMORY_SECONDS = 30 * 86400  # a skipped item is logged again after this


class FeedStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
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
