"""The failover scenario of tests/cluster/test_failover.py, repeated, with its counts:
the real service delivers a stream of articles (each platform call takes 0.1 s) to the
sandbox while the master holding the namespace is killed (SIGKILL); prints per run
the deliveries, how many were lost, the duplicates on each platform, the ambiguous
attempts, how long the replica took to be promoted, the first delivery sent after the
kill, and when everything had settled.

    .venv/bin/python bench/failover.py [--runs 3] [--articles 60] [--topology cluster|sentinel|both]

Redis Cluster: 3 masters + 3 replicas, cluster-node-timeout 1000 ms; Sentinel: a
master, a replica, 3 sentinels, down-after-milliseconds 1000 (tests/cluster/servers.py).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.infra.logging import Redactor, configure_logging  # noqa: E402
from sandbox import start_sandbox  # noqa: E402
from tests.cluster.scenario import Figures, failover_config, run_failover  # noqa: E402
from tests.cluster.servers import (  # noqa: E402
    MASTER_NAME,
    PASSWORD,
    SENTINEL_PASSWORD,
    RedisCluster,
    SentinelGroup,
)


async def cluster_run(folder: Path, articles: int, n: int) -> Figures:
    topology = RedisCluster(folder)
    sandbox = await start_sandbox()
    try:
        await topology.start()
        config = failover_config(topology.url, sandbox)
        victim = await topology.master_of(f"{{{config.settings.namespace}}}:work")
        replica = await topology.replica_of(victim)

        async def kill() -> None:
            await victim.kill()
            await topology.wait_promoted(replica)

        figures, *_ = await run_failover(config, sandbox, kill, articles, tag=f"c{n}")
        return figures
    finally:
        await sandbox.close()
        await topology.stop()


async def sentinel_run(folder: Path, articles: int, n: int) -> Figures:
    group = SentinelGroup(folder)
    sandbox = await start_sandbox()
    try:
        await group.start()
        assert group.master is not None
        config = failover_config(
            "", sandbox, REDIS_URL=None, REDIS_SENTINELS=group.sentinel_addresses,
            REDIS_SENTINEL_MASTER=MASTER_NAME, REDIS_SENTINEL_PASSWORD=SENTINEL_PASSWORD,
            REDIS_PASSWORD=PASSWORD,
        )  # fmt: skip
        old, master = group.master.port, group.master

        async def kill() -> None:
            await master.kill()
            await group.wait_failover(old)

        figures, *_ = await run_failover(config, sandbox, kill, articles, tag=f"s{n}")
        return figures
    finally:
        await sandbox.close()
        await group.stop()


def summary(name: str, runs: list[Figures]) -> str:
    def med(attr: str) -> str:
        values = [float(getattr(f, attr)) for f in runs]
        return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"

    total = sum(f.deliveries for f in runs)
    return (
        f"{name}: {len(runs)} runs, {total} deliveries, lost {sum(f.lost for f in runs)}, "
        f"Facebook duplicates {sum(f.fb_duplicates for f in runs)}, Telegram duplicates "
        f"{sum(f.tg_duplicates for f in runs)} (unexplained {sum(f.tg_unexplained for f in runs)}"
        f"), ambiguous attempts {sum(f.ambiguous_events for f in runs)}, attempts in flight "
        f"across the kill {sum(f.in_flight for f in runs)}; seconds after the kill (median, "
        f"range): promoted {med('promoted_s')}, first new delivery sent {med('recovered_s')}, "
        f"all settled {med('settled_s')}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--topology", choices=("cluster", "sentinel", "both"), default="both")
    args = parser.parse_args()
    configure_logging("WARNING", Redactor())
    logging.getLogger("asyncio").setLevel(logging.ERROR)
    kinds = ["cluster", "sentinel"] if args.topology == "both" else [args.topology]
    results: dict[str, list[Figures]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory(prefix="failover-") as tmp:
        for n in range(args.runs):
            for kind in kinds:
                run = cluster_run if kind == "cluster" else sentinel_run
                figures = await run(Path(tmp) / f"{kind}-{n}", args.articles, n)
                results[kind].append(figures)
                print(f"{kind} run {n + 1}: {figures.line()}", flush=True)
    for kind, runs in results.items():
        print(summary(kind, runs))


if __name__ == "__main__":
    asyncio.run(main())
