"""GET /metrics: the Prometheus text format, for the whole deployment.

A scrape flushes this process's own increments, reads the summed counters and the
gauges from Redis in one round trip (bot/store/metrics.py), and builds the families with
prometheus_client in a fresh registry (a custom collector, as
https://prometheus.github.io/client_python/collector/custom/ describes). The format is
negotiated from the Accept header with the library's own `choose_encoder`, as its own
HTTP handler does (prometheus_client/exposition.py). Unauthenticated and bounded in time:
Redis not answering within SCRAPE_TIMEOUT gives 503, so Prometheus records the scrape as
failed (`up` 0) rather than showing stale figures. Several newsrooms (NEWSBOT_NEWSROOMS):
each one's figures are read from its namespace and every series gets a `newsroom` label.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from prometheus_client.core import (
    CollectorRegistry,
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from bot.config import Config
from bot.infra.health import REDIS_ERRORS
from bot.metrics.families import COUNTED, GAUGES, Family
from bot.metrics.recorder import INF, SUM, Flusher, bucket_label, decode
from bot.platforms import Outlet
from bot.store.keys import now_ms
from bot.store.metrics import MetricsStore, Snapshot

SCRAPE_TIMEOUT = 5.0
LIVE_PROCESS_MS = 15_000
Labels = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Scope:
    """What this process's config names: the feeds (with their intervals), the channels'
    platforms, the rate-limit buckets that may cool down."""

    feeds: Mapping[str, float]
    platforms: Mapping[str, str]
    buckets: tuple[str, ...]


def scope_of(config: Config, outlets: Mapping[str, Outlet]) -> Scope:
    limits = {
        limit.name
        for outlet in outlets.values()
        for limit in outlet.publisher.rate_limits()
        if not limit.spacing
    }
    return Scope(
        feeds={f.id: f.interval for f in config.feeds if f.enabled},
        platforms={c.id: c.kind for c in config.channels},
        buckets=tuple(sorted(limits)),
    )


def counted(family: Family, counters: Mapping[str, float]) -> Metric:
    """A counter or histogram family from the summed fields of the Redis hash."""
    series: dict[Labels, dict[str, float]] = {}
    for raw, value in counters.items():
        found = decode(raw)
        if found is None or found[0] != family.name or len(found[2]) != len(family.labels):
            continue  # another family's, or written by a version with other labels
        series.setdefault(found[2], {})[found[1]] = value
    if family.kind == "counter":
        counter = CounterMetricFamily(family.name, family.help, labels=family.labels)
        for labels, parts in sorted(series.items()):
            counter.add_metric(labels, parts.get("", 0.0))
        return counter
    histogram = HistogramMetricFamily(family.name, family.help, labels=family.labels)
    les = [*map(bucket_label, family.buckets), INF]
    for labels, parts in sorted(series.items()):
        total, buckets = 0.0, []
        for le in les:
            total += parts.get(le, 0.0)
            buckets.append((le, total))
        histogram.add_metric(labels, buckets, parts.get(SUM, 0.0))
    return histogram


def gauges(snap: Snapshot, scope: Scope, now: int) -> Iterator[Metric]:
    made = {f.name: GaugeMetricFamily(f.name, f.help, labels=f.labels) for f in GAUGES}

    def put(name: str, value: float, *labels: str) -> None:
        made[name].add_metric(labels, value)

    put("newsbot_work_stream_length", snap.work_length)
    put("newsbot_work_pending_jobs", snap.pending)
    put("newsbot_due_jobs", snap.due)
    overdue = now - snap.oldest_due_ms if snap.oldest_due_ms is not None else 0
    put("newsbot_due_lag_seconds", max(overdue, 0) / 1000)
    for bucket in scope.buckets:
        put("newsbot_cooldown_seconds", snap.cooldowns_ms.get(bucket, 0) / 1000, bucket)
    for feed, interval in sorted(scope.feeds.items()):
        state = snap.feeds.get(feed, {})
        put("newsbot_feed_interval_seconds", interval, feed)
        put("newsbot_feed_error_streak", int(state.get("error_streak") or 0), feed)
        success = max(_seconds(state.get("last_ok_at")), _seconds(state.get("last_push_at")))
        since = success or _seconds(state.get("failing_since"))
        if success:
            put("newsbot_feed_last_success_timestamp_seconds", success, feed)
        if since:
            put("newsbot_feed_lag_seconds", max(now / 1000 - since, 0.0), feed)
    for channel, expires in sorted(snap.token_expiry.items()):
        platform = scope.platforms.get(channel, "unknown")
        put("newsbot_token_expiry_timestamp_seconds", expires, platform, channel)
    live = sum(1 for ms in snap.processes.values() if now - ms <= LIVE_PROCESS_MS)
    put("newsbot_processes", live)
    put("newsbot_paused", 1 if snap.paused else 0)
    yield from made.values()


def _seconds(iso: str | None) -> float:
    """An ISO time of the feed state as Unix seconds; 0 when absent or unreadable."""
    if not iso:
        return 0.0
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return 0.0


def families(snap: Snapshot, scope: Scope, now: int) -> list[Metric]:
    return [counted(f, snap.counters) for f in COUNTED] + list(gauges(snap, scope, now))


class _Fixed(Collector):
    """Families built before the registry asks (collection is synchronous; the Redis
    reads are not)."""

    def __init__(self, found: Iterable[Metric]) -> None:
        self.found = list(found)

    def collect(self) -> Iterable[Metric]:
        return self.found


@dataclass(frozen=True, slots=True)
class Room:
    """One newsroom's figures: its label (None when it is the deployment's only one), its
    process's counts, what its config names."""

    label: str | None
    flusher: Flusher
    scope: Scope


def labelled(found: Mapping[str, list[Metric]]) -> list[Metric]:
    """The families of several newsrooms as one, each sample labelled with its newsroom."""
    merged: dict[str, Metric] = {}
    for name, families_ in found.items():
        for family in families_:
            into = merged.setdefault(
                family.name, Metric(family.name, family.documentation, family.type, family.unit)
            )
            into.samples += [
                s._replace(labels={"newsroom": name, **s.labels}) for s in family.samples
            ]
    return list(merged.values())


class MetricsEndpoint:
    def __init__(self, rooms: list[Room]) -> None:
        self.rooms = rooms

    async def read(self) -> list[Metric]:
        """This process's increments flushed, then the deployment's figures."""
        async with asyncio.timeout(SCRAPE_TIMEOUT):
            found = {}
            for room in self.rooms:
                found[room.label] = await self._read(room.flusher, room.flusher.store, room.scope)
        if len(found) == 1 and None in found:
            return found[None]
        return labelled({str(k): v for k, v in found.items()})

    @staticmethod
    async def _read(flusher: Flusher, store: MetricsStore, scope: Scope) -> list[Metric]:
        await flusher.flush()
        now = now_ms()
        snap = await store.snapshot(list(scope.feeds), scope.buckets, now)
        return families(snap, scope, now)

    async def handle(self, request: web.Request) -> web.Response:
        try:
            found = await self.read()
        except (TimeoutError, *REDIS_ERRORS) as exc:
            why = f"metrics unavailable: Redis did not answer ({type(exc).__name__}); see /readyz"
            return web.Response(status=503, text=why + "\n")
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Fixed(found))
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        return web.Response(body=encode(registry), headers={"Content-Type": content_type})
