"""Each feed's WebSub subscription, one Redis hash (Keys.websub): hub, topic, secret,
state, lease_until and renew_at (ms), and the bookkeeping of retries. In Redis, not in a
process, because the hub's callbacks reach whichever process of the deployment holds the
shared port, and a restart must keep the subscription.

A change that depends on the state (a verification agrees only to a pending request) is
a compare-and-set (lua/hash_swap.lua): another process writing the hash between the read
and the write makes the change run again on what it wrote, so two processes never both
act on a stale read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from bot.store import scripts
from bot.store.client import RedisClient
from bot.store.keys import Keys, text

Values = Mapping[str, str | int]
Step = Callable[[dict[str, str]], Values | None]

SUBSCRIBING = "subscribing"  # asked the hub, waiting for its verification (§5.3)
ACTIVE = "active"  # verified: the hub pushes the feed until lease_until
RENEWING = "renewing"  # active, and a renewal is waiting for its verification
FAILED = "failed"  # the hub refused the request or never verified it: retried later
DENIED = "denied"  # the hub denied the subscription (§5.2): retried much later
EXPIRED = "expired"  # the lease ended before a renewal was verified
REFUSED = "refused"  # the hub's address breaks bot.addresses' rules: never contacted
UNSUBSCRIBING = "unsubscribing"  # the feed's websub was turned off: asked to end it
UNSUBSCRIBED = "unsubscribed"
PENDING = frozenset({SUBSCRIBING, RENEWING})  # a subscribe request the hub may verify
PUSHING = frozenset({ACTIVE, RENEWING})  # the hub pushes the feed (until lease_until)
HELD = frozenset({SUBSCRIBING, ACTIVE, RENEWING, FAILED})  # the hub may hold one


class Subscriptions:
    def __init__(self, redis: RedisClient, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._swap = scripts.load(redis, "hash_swap")

    async def get(self, feed_id: str) -> dict[str, str]:
        raw = await self.redis.hgetall(self.keys.websub(feed_id))
        return {text(k): text(v) for k, v in raw.items()}

    async def update(self, feed_id: str, values: Values) -> None:
        mapping: dict[Any, Any] = dict(values)
        await self.redis.hset(self.keys.websub(feed_id), mapping=mapping)

    async def replace(self, feed_id: str, values: Values) -> None:
        """A new subscription (another hub or topic): nothing of the old one is kept."""
        await self._write(feed_id, None, values, replace=True)

    async def change(self, feed_id: str, step: Step) -> bool:
        """Write what `step` returns for the hash as it is (nothing when it returns None),
        atomically (see the module's docstring); whether it wrote."""
        while True:
            held = await self.get(feed_id)
            values = step(held)
            if values is None:
                return False
            if await self._write(feed_id, held, values):
                return True

    async def _write(
        self, feed_id: str, held: dict[str, str] | None, values: Values, replace: bool = False
    ) -> bool:
        """Write `values` if the hash still is `held` (None: whatever it is)."""
        seen = "" if held is None else json.dumps(held)
        pairs = [str(x) for item in values.items() for x in item]
        done = await self._swap(keys=[self.keys.websub(feed_id)], args=[seen, int(replace), *pairs])
        return bool(int(done))

    async def change_if(
        self, feed_id: str, when: Callable[[dict[str, str]], bool], values: Values
    ) -> bool:
        """Write `values` if the hash, as it is, passes `when`; whether it did."""
        return await self.change(feed_id, lambda held: values if when(held) else None)
