"""What the page recheck keeps in Redis (bot/ingest/recheck.py): when an article's page
first answered 404 (`{ns}:recheck`, a zset scored by that time), and that an article was
found gone (its hash's `gone` field), so the editors are told once."""

from __future__ import annotations

from bot.store.client import RedisClient
from bot.store.keys import Keys


class PageMarks:
    def __init__(self, redis: RedisClient, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def missing(self, article_id: str, now_ms: int) -> int:
        """The page answered 404 now: when it first did (now, if this is the first)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(self.keys.recheck, {article_id: now_ms}, nx=True)
        pipe.zscore(self.keys.recheck, article_id)
        _added, first = await pipe.execute()
        return int(first)

    async def found(self, article_id: str) -> None:
        """The page answers again: a 404 before it was a glitch."""
        await self.redis.zrem(self.keys.recheck, article_id)

    async def mark_gone(self, article_id: str, why: str) -> bool:
        """Record that the article's page is gone; False when it already was."""
        await self.redis.zrem(self.keys.recheck, article_id)
        return bool(await self.redis.hsetnx(self.keys.article(article_id), "gone", why))

    async def gone(self, article_id: str) -> str:
        """Why the article's page is gone ("" while it is not known to be)."""
        raw = await self.redis.hget(self.keys.article(article_id), "gone")
        return "" if raw is None else raw.decode() if isinstance(raw, bytes) else str(raw)
