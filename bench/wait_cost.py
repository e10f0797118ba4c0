"""What WAIT costs (bot/store/replication.py), on a real Redis Cluster (3 masters +
3 replicas on loopback, tests/cluster/servers.py), printed side by side without WAIT
(NEWSBOT_REDIS_WAIT_REPLICAS=0) and with it (1):

- store: one delivery's Redis work alone (claim, then the outcome recorded; with WAIT
  each is followed by a fence + WAIT on the master), latency per delivery by one worker,
  and deliveries/s with 16 concurrent workers;
- service: the real service in this process (16 delivery workers, rate limits off)
  delivering articles to the sandbox's Telegram channel and Facebook Page: deliveries/s
  through a backlog, and latency from ingest to sent at a steady 20 articles/s.

    .venv/bin/python bench/wait_cost.py [--deliveries 1000] [--articles 300] [--runs 2]

Loopback replicas answer a WAIT within a fraction of a millisecond; across machines add
the network's round trip to each WAIT (two per delivery, one per new article).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import percentile, quiet_machine  # noqa: E402

from bot.app import open_app  # noqa: E402
from bot.infra.logging import Redactor, configure_logging  # noqa: E402
from bot.infra.redis_connect import connect  # noqa: E402
from bot.models import State  # noqa: E402
from bot.settings import Settings, load  # noqa: E402
from bot.store import Claim, Completion, Job, Keys, Store  # noqa: E402
from bot.store.replication import Replication  # noqa: E402
from sandbox import start_sandbox  # noqa: E402
from tests.bot.test_pipeline import ENV  # noqa: E402
from tests.chaos.helpers import make_articles, read_events, wait_until_settled  # noqa: E402
from tests.cluster.scenario import failover_config  # noqa: E402
from tests.cluster.servers import RedisCluster  # noqa: E402

PACE = 20  # articles/s for the latency phase


async def store_round(
    url: str, replicas: int, deliveries: int, run: int
) -> tuple[list[float], float]:
    """(ms per delivery by one worker, deliveries/s by 16 workers)."""
    settings = load(Settings, _env_file=None, REDIS_URL=url)
    async with AsyncExitStack() as stack:
        connected = await connect(settings, stack, Redactor())
        keys = Keys(f"wait{replicas}r{run}")
        replication = Replication(
            connected.client, keys.fence, replicas=replicas, node_client=connected.node_client
        )
        stack.push_async_callback(replication.aclose)
        store = Store(connected.client, keys, replication)
        await store.ensure_groups()
        latencies: list[float] = []
        rate = 0.0
        for phase, workers in (("latency", 1), ("throughput", 16)):
            for article in make_articles(deliveries, f"{phase}{replicas}{run}"):
                await store.ingest(article, ["ch"])
            jobs = await store.read_jobs("bench", deliveries, 100)
            started = time.perf_counter()
            chunks = [jobs[n::workers] for n in range(workers)]
            timings = await asyncio.gather(*(deliver_all(store, chunk) for chunk in chunks))
            rate = len(jobs) / (time.perf_counter() - started)
            if workers == 1:
                latencies = timings[0]
        return latencies, rate


async def deliver_all(store: Store, jobs: list[Job]) -> list[float]:
    """Claim each job and record it sent, as a worker does around a platform call;
    ms per delivery."""
    timings = []
    for job in jobs:
        started = time.perf_counter()
        claim = await store.claim(job, "bench", 60_000)
        assert isinstance(claim, Claim)
        assert await store.complete(claim, Completion(State.SENT, remote_id="1"))
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def service_round(
    url: str, replicas: int, articles: int, run: int
) -> tuple[float, list[float], int]:
    """(deliveries/s through a backlog, ms from ingest to sent at a steady 20 articles/s,
    WAITs confirmed)."""
    sandbox = await start_sandbox()
    try:
        config = failover_config(
            url, sandbox, NEWSBOT_WORKERS=16, NEWSBOT_RATE_LIMITS=False,
            NEWSBOT_REDIS_WAIT_REPLICAS=replicas,
        )  # fmt: skip
        backlog = make_articles(articles, f"svc{replicas}{run}")
        paced = make_articles(min(articles, 200), f"pace{replicas}{run}")
        async with open_app(config, env=ENV) as app:
            for article in backlog:  # waiting before the workers start
                await app.ingest.submit(article)
            stop = asyncio.Event()
            runner = asyncio.create_task(app.run(stop, poll_feeds=False))
            started = time.perf_counter()
            try:
                await wait_until_settled(app.store, [a.id for a in backlog], 2, 300)
                rate = 2 * articles / (time.perf_counter() - started)
                for article in paced:
                    await app.ingest.submit(article)
                    await asyncio.sleep(1 / PACE)
                await wait_until_settled(app.store, [a.id for a in paced], 2, 300)
            finally:
                stop.set()
                await runner
            events = await read_events(app.redis, app.store.keys)
            confirmed = app.store.replication.confirmed
        ids = {a.id for a in paced}
        queued = {(e["article_id"], e["channel"]): int(e["at"]) for e in events
                  if e["state"] == "queued" and e["article_id"] in ids}  # fmt: skip
        latencies = [
            float(int(e["at"]) - queued[(e["article_id"], e["channel"])])
            for e in events
            if e["state"] == "sent" and (e["article_id"], e["channel"]) in queued
        ]
        return rate, latencies, confirmed
    finally:
        await sandbox.close()


def figures(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 50):.2f} ms, p95 {percentile(values, 95):.2f} ms, "
        f"p99 {percentile(values, 99):.2f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    configure_logging("WARNING", Redactor())
    logging.getLogger("asyncio").setLevel(logging.ERROR)
    store_lat: dict[int, list[float]] = {0: [], 1: []}
    store_rate: dict[int, list[float]] = {0: [], 1: []}
    svc_rate: dict[int, list[float]] = {0: [], 1: []}
    svc_lat: dict[int, list[float]] = {0: [], 1: []}
    with tempfile.TemporaryDirectory(prefix="wait-cost-") as tmp:
        topology = RedisCluster(Path(tmp))
        try:
            await topology.start()
            for run in range(args.runs):
                for replicas in (0, 1):  # alternated: drift hits both alike
                    load = await quiet_machine()
                    lat, rate = await store_round(topology.url, replicas, args.deliveries, run)
                    store_lat[replicas] += lat
                    store_rate[replicas].append(rate)
                    srate, slat, confirmed = await service_round(
                        topology.url, replicas, args.articles, run
                    )
                    svc_rate[replicas].append(srate)
                    svc_lat[replicas] += slat
                    print(
                        f"run {run + 1}, WAIT {'on ' if replicas else 'off'}: store "
                        f"{statistics.median(lat):.2f} ms/delivery, {rate:.0f} deliveries/s; "
                        f"service {srate:.0f} deliveries/s, {figures(slat)}, "
                        f"{confirmed} WAITs confirmed; other load before: {load:.2f} cores",
                        flush=True,
                    )
        finally:
            await topology.stop()
    for replicas in (0, 1):
        print(
            f"WAIT {'on ' if replicas else 'off'} | store, 1 worker: {figures(store_lat[replicas])}"
            f" | store, 16 workers: {statistics.median(store_rate[replicas]):.0f} deliveries/s"
            f" | service: {statistics.median(svc_rate[replicas]):.0f} deliveries/s, ingest to "
            f"sent {figures(svc_lat[replicas])}"
        )


if __name__ == "__main__":
    asyncio.run(main())
