"""Pipeline throughput: N articles x 2 channels (Telegram + Facebook) through
`python -m bot run --workers P` (P worker processes on one embedded Redis) against the
sandbox in its own process (`python -m bot sandbox`), rate limits off.

    .venv/bin/python bench/pipeline.py [--articles 1000] [--processes 1 2] [--workers 16]
        [--log-level info] [--runs 1] [--profile DIR] [--metrics on off]

For each P (and run): waits until the rest of the machine is quiet, then a fresh Redis,
sandbox and service; once every delivery coroutine of every process is reading the work
stream, 64 warm-up articles (they open the HTTP connections), CONFIG RESETSTAT, and the
bench ingests the articles with the product's Store (32 at a time). Prints deliveries per
second (first ingest to the last delivery's `sent`, from its updated_at), Redis commands
per delivery (the service's EVALSHA + XREADGROUP + XAUTOCLAIM from INFO commandstats, i.e.
all of them less the bench's one EVALSHA per ingested article; the metrics' flush, one
EVALSHA a second per process, is among them; a command a script calls counts too), Redis
round trips per delivery (the requests Redis read, INFO stats total_reads_processed, less
the bench's own: one per ingested article and one per progress check), and the CPU each process
used meanwhile (2 cores = 200%, and what processes outside the bench took) with the CPU ms
per delivery and the rate all of that allows on 2 idle cores. --profile DIR samples the
workers and the sandbox with py-spy (the venv's, on PATH or $PY_SPY) and prints where their
CPU went.
--metrics on off runs each configuration with counting for /metrics on and off
(NEWSBOT_METRICS), alternately, and prints both medians: the cost of the metrics.
Figures, not assertions; each phase gives up after 180 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from harness import (
    Bench,
    Proc,
    channels_toml,
    children,
    cpu_seconds,
    machine_cpu,
    make_article,
    quiet_machine,
    service_env,
    spawn,
    start_sandbox_process,
    start_service,
)

CHANNELS = ("tg", "fb")
PHASE_TIMEOUT = 180.0
COUNTED = ("evalsha", "xreadgroup", "xautoclaim")
# Inclusive buckets for the profile: a sample counts for the first that its stack shows.
BUCKETS = (
    ("structlog (logging)", "(structlog/"),
    ("redis client", "(redis/"),
    ("aiogram (+its pydantic, aiohttp)", "(aiogram/"),
    ("facebook publisher (+aiohttp)", "(publishers/facebook/"),
    ("sandbox handlers", "(sandbox/"),
    ("aiohttp", "(aiohttp/"),
    ("idle (epoll)", "select (selectors"),
    ("asyncio loop", "(asyncio/"),
)


async def phase(
    articles: int,
    processes: int,
    workers: int,
    log_level: str,
    prof: Path | None,
    metrics: str = "on",
) -> tuple[float, float, float, float]:
    """(deliveries per second, service commands per delivery, service round trips per
    delivery, the worker processes' CPU ms per delivery) of one run."""
    with tempfile.TemporaryDirectory(prefix="nb-pipe-") as tmp_name:
        tmp = Path(tmp_name)
        async with Bench(tmp) as bench:
            box = await start_sandbox_process(tmp)
            env = service_env(
                tmp, bench.url, box.telegram_base, box.graph_url, channels_toml(),
                NEWSBOT_WORKERS=str(workers), NEWSBOT_RATE_LIMITS="false", LOG_LEVEL=log_level,
                NEWSBOT_METRICS="true" if metrics == "on" else "false",
            )  # fmt: skip
            service = await start_service(tmp, env, processes)
            try:
                await bench.wait_consumers(processes * workers, service)
                worker_pids = [service.pid] if processes == 1 else children(service.pid)
                result = await run_phase(bench, box.proc, service, worker_pids, articles, prof)
            finally:
                code = await service.stop()
                await box.proc.stop(signal.SIGINT)
            if code != 0:
                print(f"  service exited with {code}:\n{service.tail()}")
    return result


async def run_phase(
    bench: Bench, sandbox: Proc, service: Proc, worker_pids: list[int], n: int, prof: Path | None
) -> tuple[float, float, float, float]:
    warmup = [make_article(n + i) for i in range(64)]  # opens the HTTP connections
    await asyncio.gather(*(bench.store.ingest(a, CHANNELS) for a in warmup))
    while await bench.store.pending_count():
        await asyncio.sleep(0.01)
    items = [make_article(i) for i in range(n)]
    pids = {f"worker {i + 1}": pid for i, pid in enumerate(worker_pids)}
    pids |= {"sandbox": sandbox.pid, "redis-server": bench.redis_pid, "bench": os.getpid()}
    if len(worker_pids) > 1:
        pids["supervisor"] = service.pid
    spies = await start_spies(
        prof, {k: v for k, v in pids.items() if k.startswith(("worker", "sandbox"))}
    )
    cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
    machine0 = machine_cpu()
    await bench.redis.config_resetstat()
    t0_wall, t0 = time.time(), time.perf_counter()
    for start in range(0, n, 32):
        chunk = items[start : start + 32]
        await asyncio.gather(*(bench.store.ingest(a, CHANNELS) for a in chunk))
    ingest_s = time.perf_counter() - t0
    deadline = t0 + PHASE_TIMEOUT
    checks = 1
    while await bench.store.pending_count() and time.perf_counter() < deadline:
        checks += 1
        await asyncio.sleep(0.01)
    wall_s = time.perf_counter() - t0
    reads = int((await bench.redis.info("stats"))["total_reads_processed"])
    stats = await bench.redis.info("commandstats")
    cpu = {name: cpu_seconds(pid) - cpu0[name] for name, pid in pids.items()}
    others = machine_cpu() - machine0 - sum(cpu.values())
    for spy in spies.values():
        await spy.stop(signal.SIGINT)
    states = await bench.states([a.id for a in items], CHANNELS)
    sent = [u for s, u in states if s == "sent"]
    deliveries = len(states)
    elapsed = (max(sent) / 1000 - t0_wall) if sent else wall_s
    calls = {c: int(stats.get(f"cmdstat_{c}", {}).get("calls", 0)) for c in COUNTED}
    service_commands = sum(calls.values()) - n
    service_trips = reads - n - checks - 1  # the bench's ingests, checks, INFO stats
    print(
        f"  deliveries: {len(sent)}/{deliveries} sent, states {dict(Counter(s for s, _ in states))}"
    )
    print(f"  ingest of {n} articles took {ingest_s:.2f} s ({n / ingest_s:.0f} articles/s)")
    print(f"  throughput: {len(sent)} in {elapsed:.2f} s = {len(sent) / elapsed:.0f} deliveries/s")
    print(
        f"  redis commands per delivery (service): {service_commands / deliveries:.2f} "
        f"{calls} less {n} ingest EVALSHAs; with ingest {(service_commands + n) / deliveries:.2f}"
    )
    print(
        f"  redis round trips per delivery (service): {service_trips / deliveries:.2f} "
        f"({reads} requests read by Redis less {n} ingests and {checks + 1} of the bench's)"
    )
    print("  CPU during the run (% of one core): " + ", ".join(
        f"{name} {100 * s / wall_s:.0f}%" for name, s in cpu.items()
    ))  # fmt: skip
    print(
        f"  total {100 * sum(cpu.values()) / wall_s:.0f}% of 200% over {wall_s:.2f} s; "
        f"processes outside this bench (kernel included) {100 * others / wall_s:.0f}%"
    )
    per = {name: 1000 * s / deliveries for name, s in cpu.items() if s}
    print("  CPU ms per delivery: " + ", ".join(f"{k} {v:.2f}" for k, v in per.items()))
    print(
        f"  => {sum(per.values()):.2f} ms in all: at most {2000 / sum(per.values()):.0f} "
        "deliveries/s with all of it on 2 otherwise idle cores"
    )
    for name in spies:
        assert prof is not None
        summarize(name, prof / f"{name.replace(' ', '-')}.txt")
    workers_ms = sum(v for k, v in per.items() if k.startswith("worker"))
    return (
        len(sent) / elapsed,
        service_commands / deliveries,
        service_trips / deliveries,
        workers_ms,
    )


async def start_spies(prof: Path | None, pids: dict[str, int]) -> dict[str, Proc]:
    if prof is None:
        return {}
    beside = Path(sys.executable).with_name("py-spy")  # the venv's (the dev extra installs it)
    exe = os.environ.get("PY_SPY") or shutil.which("py-spy")
    exe = exe or (str(beside) if beside.exists() else None)
    if not exe:
        raise SystemExit("--profile needs py-spy: pip install py-spy, or set $PY_SPY")
    prof.mkdir(parents=True, exist_ok=True)
    spies: dict[str, Proc] = {}
    for name, pid in pids.items():
        out = prof / f"{name.replace(' ', '-')}.txt"
        args = [
            exe,
            "record",
            "--nonblocking",
            "-r",
            "200",
            "-f",
            "raw",
            "-o",
            str(out),
            "--pid",
            str(pid),
        ]
        spies[name] = await spawn(prof, f"py-spy-{pid}", args, None)
    await asyncio.sleep(1.0)  # py-spy attaches
    return spies


def summarize(name: str, raw: Path) -> None:
    """Where a process's samples went: inclusive buckets and the top self-time frames."""
    if not raw.exists():
        print(f"  profile {name}: no output")
        return
    buckets: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, samples_text = line.rpartition(" ")
        samples = int(samples_text)
        total += samples
        frames = stack.split(";")
        leaves[frames[-1]] += samples
        bucket = next((b for b, needle in BUCKETS if needle in stack), "other")
        buckets[bucket] += samples
    print(f"  profile {name} ({total} samples): " + ", ".join(
        f"{b} {100 * c / total:.0f}%" for b, c in buckets.most_common()
    ))  # fmt: skip
    for leaf, samples in leaves.most_common(5):
        print(f"      {100 * samples / total:4.1f}% self  {leaf[:110]}")


def counting_cost_us(deliveries: int = 200_000) -> float:
    """Microseconds of CPU that counting one delivery costs a worker: what
    DeliveryEngine._count does for a sent publish (one histogram observation, two counters),
    plus its share of the once-a-second flush's encoding."""
    from bot.metrics import ATTEMPTS, DELIVERIES, PLATFORM_CALL, Metrics
    from bot.metrics.recorder import encode

    metrics = Metrics()
    started = time.process_time()
    for n in range(deliveries):
        channel = CHANNELS[n % 2]
        metrics.observe(PLATFORM_CALL, 0.004, channel, "publish")
        metrics.count(ATTEMPTS, channel, "publish", "ok")
        metrics.count(DELIVERIES, channel, "sent")
        if n % 1000 == 999:  # a flush every ~1000 deliveries (about once a second)
            counts, sums = metrics.take()
            [encode(k) for k in counts], [encode(k) for k in sums]
    return (time.process_time() - started) / deliveries * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workers", type=int, default=16, help="NEWSBOT_WORKERS per process")
    parser.add_argument("--log-level", default="info", help="the service's LOG_LEVEL")
    parser.add_argument("--runs", type=int, default=1, help="runs per process count")
    parser.add_argument("--profile", type=Path, help="py-spy the workers and sandbox into DIR")
    parser.add_argument(
        "--metrics", nargs="+", choices=("on", "off"), default=["on"],
        help="NEWSBOT_METRICS for the service: on, off, or both in turn",
    )  # fmt: skip
    args = parser.parse_args()
    if "on" in args.metrics:
        print(f"counting one delivery for /metrics: {counting_cost_us():.1f} µs of worker CPU")
    results: dict[tuple[int, str], list[tuple[float, float, float, float]]] = {}
    for run in range(args.runs):
        for processes in args.processes:
            # alternate the order, so that neither setting always runs on a warmer machine
            order = args.metrics if run % 2 == 0 else args.metrics[::-1]
            for metrics in order:
                print(
                    f"run {run + 1}: processes={processes} NEWSBOT_WORKERS={args.workers} "
                    f"articles={args.articles} x {len(CHANNELS)} channels, "
                    f"LOG_LEVEL={args.log_level}, rate limits off, metrics {metrics}"
                )
                load = asyncio.run(quiet_machine())
                print(f"  (other load before the run: {load:.2f} cores)")
                prof = args.profile / f"p{processes}-{metrics}-{run}" if args.profile else None
                result = asyncio.run(
                    phase(args.articles, processes, args.workers, args.log_level, prof, metrics)
                )
                results.setdefault((processes, metrics), []).append(result)
    for (processes, metrics), rows in results.items():
        rates = sorted(row[0] for row in rows)
        cpu = sorted(row[3] for row in rows)
        print(
            f"processes={processes} metrics {metrics}: deliveries/s median "
            f"{statistics.median(rates):.0f}, best {rates[-1]:.0f}, worst {rates[0]:.0f} over "
            f"{len(rates)} runs; worker CPU ms/delivery median {statistics.median(cpu):.2f} "
            f"({cpu[0]:.2f}-{cpu[-1]:.2f}); Redis commands/delivery median "
            f"{statistics.median(row[1] for row in rows):.2f}, round trips/delivery median "
            f"{statistics.median(row[2] for row in rows):.2f}"
        )


if __name__ == "__main__":
    main()
