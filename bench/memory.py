"""Resident memory of a running service: `python -m bot run --workers 1` (one process)
delivering N articles x 2 channels against the sandbox in its own process
(`python -m bot sandbox`), on one embedded Redis; rate limits off.

    .venv/bin/python bench/memory.py [--articles 1000] [--rounds 3] [--workers 4]

Prints VmRSS (and VmHWM, the peak) from /proc/<pid>/status once the service is up and idle,
then after each round of N articles x 2 channels has been delivered (several rounds show
whether it keeps growing), and for comparison the RSS of bare Python processes that only
import what the service imports. Figures, not assertions; each round gives up after 180 s.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import (
    Bench,
    channels_toml,
    make_article,
    service_env,
    start_sandbox_process,
    start_service,
    status_kb,
)

CHANNELS = ("tg", "fb")
ROUND_TIMEOUT = 180.0
IMPORTS = (
    ("python, nothing imported", "pass"),
    ("+ redis, aiohttp, structlog, pydantic", "import redis.asyncio, aiohttp, structlog, pydantic"),
    ("+ aiogram Bot and types", "import aiogram, aiogram.types; from aiogram import Bot"),
    ("the service's modules (bot.app, both publishers)", "import bot.app, publishers.telegram, "
     "publishers.facebook, publishers.telegram.client"),
)  # fmt: skip


def rss(pid: int) -> str:
    now, peak = status_kb(pid, "VmRSS") / 1024, status_kb(pid, "VmHWM") / 1024
    return f"VmRSS {now:.1f} MB (VmHWM {peak:.1f} MB)"


def import_footprint(code: str) -> float:
    """RSS in MB of a fresh interpreter after running `code`."""
    probe = f"{code}\nfrom pathlib import Path\nprint([l for l in Path('/proc/self/status')"
    probe += ".read_text().splitlines() if l.startswith('VmRSS:')][0].split()[1])"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    return int(out.stdout.strip()) / 1024


async def used_memory(bench: Bench) -> int:
    return int((await bench.redis.info("memory"))["used_memory"])


async def bench(articles: int, rounds: int, workers: int) -> None:
    with tempfile.TemporaryDirectory(prefix="nb-mem-") as tmp_name:
        tmp = Path(tmp_name)
        async with Bench(tmp) as redis:
            box = await start_sandbox_process(tmp)
            env = service_env(
                tmp, redis.url, box.telegram_base, box.graph_url, channels_toml(),
                NEWSBOT_WORKERS=str(workers), NEWSBOT_RATE_LIMITS="false",
            )  # fmt: skip
            service = await start_service(tmp, env, 1)
            try:
                await redis.wait_consumers(workers, service)
                await asyncio.sleep(1.0)
                print(f"  up and idle: {rss(service.pid)}")
                redis_before = await used_memory(redis)
                for r in range(rounds):
                    items = [make_article(r * articles + i) for i in range(articles)]
                    t0 = time.monotonic()
                    for start in range(0, articles, 32):
                        chunk = items[start : start + 32]
                        await asyncio.gather(*(redis.store.ingest(a, CHANNELS) for a in chunk))
                    while await redis.store.pending_count():
                        if time.monotonic() - t0 > ROUND_TIMEOUT:
                            print("  gave up waiting for the deliveries")
                            break
                        await asyncio.sleep(0.05)
                    states = await redis.states([a.id for a in items], CHANNELS)
                    sent = sum(1 for s, _ in states if s == "sent")
                    await asyncio.sleep(1.0)
                    done = (r + 1) * articles
                    print(
                        f"  after {done} articles x 2 ({sent}/{len(states)} of this round sent "
                        f"in {time.monotonic() - t0:.1f} s): {rss(service.pid)}"
                    )
                print(f"  sandbox process (for comparison): {rss(box.proc.pid)}")
                grown = await used_memory(redis) - redis_before
                print(
                    f"  Redis used_memory: +{grown / 1e6:.1f} MB for {rounds * articles} articles"
                    f" x 2 channels = {grown / (rounds * articles) / 1024:.1f} KiB per article"
                    " (events stream included)"
                )
            finally:
                code = await service.stop()
                await box.proc.stop(signal.SIGINT)
            if code != 0:
                print(f"  service exited with {code}:\n{service.tail()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000, help="articles per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4, help="NEWSBOT_WORKERS")
    args = parser.parse_args()
    print(
        f"python -m bot run --workers 1, NEWSBOT_WORKERS={args.workers}, "
        f"{args.rounds} rounds of {args.articles} articles x 2 channels, rate limits off"
    )
    asyncio.run(bench(args.articles, args.rounds, args.workers))
    print("import footprint of fresh interpreters (RSS):")
    for label, code in IMPORTS:
        print(f"  {label}: {import_footprint(code):.1f} MB")


if __name__ == "__main__":
    main()
