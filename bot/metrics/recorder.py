"""Counting in a process, summing in Redis.

The components that count hold one `Metrics` (made by the composition root) and call
`count` / `observe`: a dict update, no I/O. A `Flusher` sends what was counted since
its last flush to Redis about once a second, in one script (HINCRBY, HINCRBYFLOAT
into the namespace's `metrics` hash: bot/store/lua/metrics_add.lua), so the sums are
those of every process of the deployment, on any machine, and survive restarts (a
counter only resets when the hash is deleted, which Prometheus handles as a reset). A
flush also runs just before this process answers a scrape and once at shutdown. While
Redis is away the increments stay in memory and go with the next flush that succeeds; a
flush whose reply is lost may count its increments twice (rare; a counter is then
slightly high, never low).

A histogram is kept as one counter per bucket (not cumulative: an observation adds 1 to
the first bucket whose bound holds it) and a `sum`; the exposition accumulates them.
"""

from __future__ import annotations

import asyncio
import json
import time
from bisect import bisect_left

import structlog

from bot.infra.health import REDIS_ERRORS, RedisHealth, sleep_unless
from bot.metrics.families import REDIS_ROUNDTRIP, Family
from bot.store.keys import now_ms
from bot.store.metrics import MetricsStore

log = structlog.get_logger("metrics")
FLUSH_SECONDS = 1.0
SUM = "sum"
INF = "+Inf"
Series = tuple[str, str, tuple[str, ...]]  # (family name, "" | "sum" | a bucket's le, labels)


def encode(series: Series) -> str:
    """A series as its field in the Redis hash: a JSON list, unambiguous whatever the
    label values hold."""
    name, part, labels = series
    return json.dumps([name, part, *labels], ensure_ascii=False, separators=(",", ":"))


def decode(field: str | bytes) -> Series | None:
    """A field of the Redis hash as a series; None for one this version cannot read."""
    try:
        value = json.loads(field)
    except ValueError:
        return None
    if not isinstance(value, list) or len(value) < 2 or not all(isinstance(v, str) for v in value):
        return None
    return value[0], value[1], tuple(value[2:])


def bucket_label(bound: float) -> str:
    """A bucket's `le` as prometheus_client writes it for these bounds (1.0, 0.25, 86400.0)."""
    return repr(float(bound))


class Metrics:
    """What this process counted since the last flush. `enabled=False`
    (NEWSBOT_METRICS=false) makes every call return at once."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._counts: dict[Series, int] = {}
        self._sums: dict[Series, float] = {}
        self._les: dict[str, tuple[str, ...]] = {}

    def count(self, family: Family, *labels: str, by: int = 1) -> None:
        if not self.enabled:
            return
        key = (family.name, "", labels)
        self._counts[key] = self._counts.get(key, 0) + by

    def observe(self, family: Family, seconds: float, *labels: str) -> None:
        if not self.enabled:
            return
        les = self._les.get(family.name)
        if les is None:
            les = self._les[family.name] = (*map(bucket_label, family.buckets), INF)
        key = (family.name, les[bisect_left(family.buckets, seconds)], labels)
        self._counts[key] = self._counts.get(key, 0) + 1
        total = (family.name, SUM, labels)
        self._sums[total] = self._sums.get(total, 0.0) + seconds

    def take(self) -> tuple[dict[Series, int], dict[Series, float]]:
        """Everything counted so far, which this object then forgets."""
        counts, sums = self._counts, self._sums
        self._counts, self._sums = {}, {}
        return counts, sums

    def give_back(self, counts: dict[Series, int], sums: dict[Series, float]) -> None:
        """Increments a flush could not write: they go with the next one."""
        for key, n in counts.items():
            self._counts[key] = self._counts.get(key, 0) + n
        for key, x in sums.items():
            self._sums[key] = self._sums.get(key, 0.0) + x


class Flusher:
    """Sends a process's increments to Redis, and says the process is alive."""

    def __init__(
        self, metrics: Metrics, store: MetricsStore, process: str, health: RedisHealth
    ) -> None:
        self.metrics = metrics
        self.store = store
        self.process = process
        self.health = health
        self._lock = asyncio.Lock()  # one flush at a time: the order of give_back is kept

    async def flush(self) -> None:
        """Write what was counted; RedisError (the increments are kept) when Redis is away."""
        if not self.metrics.enabled:
            return
        async with self._lock:
            counts, sums = self.metrics.take()
            started = time.perf_counter()
            try:
                await self.store.add(
                    {encode(k): n for k, n in counts.items()},
                    {encode(k): x for k, x in sums.items()},
                    self.process,
                    now_ms(),
                )
            except BaseException:
                self.metrics.give_back(counts, sums)
                raise
            self.metrics.observe(REDIS_ROUNDTRIP, time.perf_counter() - started)

    async def run(self, stop: asyncio.Event) -> None:
        """Flush about once a second until `stop`."""
        while self.metrics.enabled and not stop.is_set():
            await sleep_unless(stop, FLUSH_SECONDS)
            await self.flush_quietly()

    async def flush_quietly(self) -> None:
        """A flush that never raises (Redis away is logged once by the health flag)."""
        try:
            await self.flush()
            self.health.ok()
        except REDIS_ERRORS as exc:
            self.health.failed(exc)
        except Exception:  # a bug must not stop the service
            log.exception("metrics flush error")
