"""What the token-and-rights watch (bot/doctor/watch.py) keeps in Redis: when each
channel's token expires (`token_expiry`, read by /metrics; a token that never expires
has no field) and which problems the editors were already told of (`token_alerts`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.store import scripts
from bot.store.client import RedisClient
from bot.store.keys import Keys, text


class TokenMarks:
    def __init__(self, redis: RedisClient, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._swap = scripts.load(redis, "hash_swap")

    async def record_expiry(self, expiries: Mapping[str, int]) -> None:
        """Channel id -> Unix seconds its token expires at; 0 (never) removes the field."""
        key = self.keys.token_expiry()
        # no MULTI/EXEC on a cluster client (lua/count_command.lua): each field stands alone
        pipe = self.redis.pipeline(transaction=False)
        for channel, expires_at in expiries.items():
            if expires_at > 0:
                pipe.hset(key, channel, expires_at)
            else:
                pipe.hdel(key, channel)
        await pipe.execute()

    async def expiries(self) -> dict[str, int]:
        raw = await self.redis.hgetall(self.keys.token_expiry())
        return {text(k): int(v) for k, v in raw.items()}

    async def told(self) -> dict[str, str]:
        """Problem id -> its channels, for every problem the editors were told of."""
        raw = await self.redis.hgetall(self.keys.token_alerts())
        return {text(k): text(v) for k, v in raw.items()}

    async def replace_problems(
        self, problems: Mapping[str, str], keep: Callable[[str], bool]
    ) -> list[str]:
        """Make `problems` (id -> channels) the told ones, plus earlier ones whose
        channels `keep` says could not be checked now; the ids not told before."""
        before = await self.told()
        kept = {k: v for k, v in before.items() if k not in problems and keep(v)}
        told = {**kept, **problems}
        pairs = [x for item in told.items() for x in item]
        # replaced in one script (lua/hash_swap.lua), not MULTI/EXEC: a cluster client's
        # transactions break after a failover (lua/count_command.lua)
        await self._swap(keys=[self.keys.token_alerts()], args=["", 1, *pairs])
        return [problem for problem in problems if problem not in before]
