"""What the editors' bot keeps in Redis: command counts (flood limit), the cached
answer to "is this user in the editors' chat?", the audit stream and the pause switch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.store import scripts
from bot.store.client import RedisClient
from bot.store.keys import Keys, now_ms, text

MEMBER_CACHE_SECONDS = 300
MAX_AUDIT = 100_000


class EditorStore:
    def __init__(self, redis: RedisClient, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._count = scripts.load(redis, "count_command")

    async def count_command(self, user_id: int) -> int:
        """This user's commands in the current minute, this one included."""
        # the minute starts with the first command
        return int(await self._count(keys=[self.keys.commands(user_id)], args=[60]))

    async def cached_member(self, user_id: int) -> bool | None:
        raw = await self.redis.get(self.keys.member(user_id))
        return None if raw is None else raw == b"1"

    async def remember_member(self, user_id: int, member: bool) -> None:
        key = self.keys.member(user_id)
        await self.redis.set(key, "1" if member else "0", ex=MEMBER_CACHE_SECONDS)

    async def audit(self, entry: Mapping[str, str]) -> None:
        fields: dict[Any, Any] = {**entry, "at": str(now_ms())}
        await self.redis.xadd(self.keys.audit, fields, maxlen=MAX_AUDIT, approximate=True)

    async def read_audit(self, count: int = 100) -> list[dict[str, str]]:
        rows: Any = await self.redis.xrevrange(self.keys.audit, count=count)
        return [{text(a): text(b) for a, b in fields.items()} for _id, fields in rows]

    async def set_paused(self, who: str | None) -> None:
        """Pause every delivery of the namespace (`who` paused it), or resume (None)."""
        if who is None:
            await self.redis.delete(self.keys.paused)
        else:
            await self.redis.set(self.keys.paused, f"{who}@{now_ms()}")

    async def paused_by(self) -> str | None:
        raw = await self.redis.get(self.keys.paused)
        return None if raw is None else text(raw).rsplit("@", 1)[0]
