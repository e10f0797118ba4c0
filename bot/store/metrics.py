"""What the metrics keep in Redis (bot/metrics/): the summed counters of every process
(`{ns}:metrics`, a hash), when each process last flushed (`{ns}:metrics:processes`),
and the reads a scrape makes of the queues, cooldowns, feeds and tokens."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.store import scripts
from bot.store.client import RedisClient
from bot.store.keys import WORK_GROUP, Keys, text

FORGET_PROCESS_MS = 86_400_000  # a process silent this long leaves the list


@dataclass(slots=True)
class Snapshot:
    """Everything one scrape reads from Redis, in one round trip."""

    counters: dict[str, float] = field(default_factory=dict)  # field -> value
    work_length: int = 0
    pending: int = 0
    due: int = 0
    oldest_due_ms: int | None = None  # the lowest score of the due set
    cooldowns_ms: dict[str, int] = field(default_factory=dict)  # bucket -> ms left
    feeds: dict[str, dict[str, str]] = field(default_factory=dict)  # feed -> its state
    token_expiry: dict[str, float] = field(default_factory=dict)  # channel -> Unix s
    processes: dict[str, int] = field(default_factory=dict)  # process -> last flush ms
    paused: bool = False


class MetricsStore:
    def __init__(self, redis: RedisClient, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._add = scripts.load(redis, "metrics_add")

    async def add(
        self, counts: Mapping[str, int], sums: Mapping[str, float], process: str, at_ms: int
    ) -> None:
        """One process's increments and its heartbeat, all or nothing (one script: every
        key shares the namespace's slot; lua/metrics_add.lua says why not MULTI/EXEC)."""
        args: list[str | int | float] = [process, at_ms, len(counts)]
        args += [x for item in counts.items() for x in item]
        args += [x for item in sums.items() for x in item]
        await self._add(keys=[self.keys.metrics(), self.keys.processes()], args=args)

    async def snapshot(self, feeds: Sequence[str], buckets: Sequence[str], now_ms: int) -> Snapshot:
        k = self.keys
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(k.metrics())
        pipe.xlen(k.work)
        pipe.xpending(k.work, WORK_GROUP)
        pipe.zcard(k.due)
        pipe.zrange(k.due, 0, 0, withscores=True)
        pipe.hgetall(k.token_expiry())
        pipe.hgetall(k.processes())
        pipe.exists(k.paused)
        for bucket in buckets:
            pipe.pttl(k.cooldown(bucket))
        for feed in feeds:
            pipe.hgetall(k.feed(feed))
        rows: list[Any] = await pipe.execute(raise_on_error=False)
        for row in rows[:2] + rows[3:]:  # XPENDING fails only without the group: 0 then
            if isinstance(row, Exception):
                raise row
        counters, work, pending, due, oldest, tokens, processes, paused = rows[:8]
        rest = rows[8:]
        snap = Snapshot(
            counters={text(a): float(b) for a, b in counters.items()},
            work_length=int(work),
            pending=0 if isinstance(pending, Exception) else int(pending["pending"]),
            due=int(due),
            oldest_due_ms=int(oldest[0][1]) if oldest else None,
            cooldowns_ms={b: max(int(ms), 0) for b, ms in zip(buckets, rest, strict=False)},
            feeds={
                f: {text(a): text(b) for a, b in state.items()}
                for f, state in zip(feeds, rest[len(buckets) :], strict=True)
            },
            token_expiry=_numbers(tokens),
            processes={text(p): int(ms) for p, ms in processes.items()},
            paused=bool(paused),
        )
        gone = [p for p, ms in snap.processes.items() if now_ms - ms > FORGET_PROCESS_MS]
        if gone:
            await self.redis.hdel(k.processes(), *gone)
        return snap


def _numbers(raw: Mapping[Any, Any]) -> dict[str, float]:
    """A hash of numbers; a value that is none is left out."""
    found = {}
    for name, value in raw.items():
        try:
            found[text(name)] = float(value)
        except ValueError:
            continue
    return found
