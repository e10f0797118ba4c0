"""Ingest-to-post latency at a steady rate: `python -m bot run --workers 1` in a subprocess,
the sandbox in this process (so that a post's time is taken when the sandbox records it,
on the same monotonic clock as the ingest call), one embedded Redis.

    .venv/bin/python bench/latency.py [--rate 50] [--seconds 30] [--channels 2]
        [--workers 4] [--limits]

Ingests `rate` articles per second for `seconds` with the product's Store, each going to
Telegram and (with --channels 2) Facebook. Latency of a delivery = from just before its
article's ingest call to the sandbox appending the post. Prints p50/p95/p99/max per
channel and overall. Rate limits are off, or with --limits on and high (6,000 a minute,
burst 3, per channel; 1,000 a second for the bot). Figures, not assertions; gives up
waiting 30 s after the last ingest.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import (
    Bench,
    TimedPosts,
    channels_toml,
    make_article,
    percentile,
    quiet_machine,
    service_env,
    start_service,
)

from sandbox import start_sandbox

ARTICLE_IN_POST = re.compile(r"bench\.kz/news/(\d+)")


def latencies(posts: TimedPosts, ingested: dict[int, float]) -> list[float]:
    found: list[float] = []
    for post, at in zip(list(posts), posts.times, strict=True):
        match = ARTICLE_IN_POST.search(repr(vars(post)))
        if match and int(match.group(1)) in ingested:
            found.append((at - ingested[int(match.group(1))]) * 1000)
    return found


def describe(name: str, values: list[float], expected: int) -> None:
    if not values:
        print(f"  {name}: no posts")
        return
    print(
        f"  {name}: {len(values)}/{expected} posted; latency ms p50 {percentile(values, 50):.1f}"
        f"  p95 {percentile(values, 95):.1f}  p99 {percentile(values, 99):.1f}"
        f"  max {max(values):.1f}"
    )


async def bench(rate: float, seconds: float, channels: int, workers: int, limits: bool) -> None:
    count = round(rate * seconds)
    names = ("tg", "fb")[:channels]
    with tempfile.TemporaryDirectory(prefix="nb-lat-") as tmp_name:
        tmp = Path(tmp_name)
        sandbox = await start_sandbox()
        tg_posts, fb_posts = TimedPosts(), TimedPosts()
        sandbox.telegram.posts, sandbox.facebook.posts = tg_posts, fb_posts
        try:
            async with Bench(tmp) as redis:
                toml = channels_toml(facebook=channels == 2, rate=6000 if limits else None)
                env = service_env(
                    tmp, redis.url, sandbox.telegram_base, sandbox.graph_url, toml,
                    NEWSBOT_WORKERS=str(workers), NEWSBOT_RATE_LIMITS=str(limits).lower(),
                    TELEGRAM_BOT_RATE_PER_SECOND="1000",
                )  # fmt: skip
                service = await start_service(tmp, env, 1)
                try:
                    await redis.wait_consumers(workers, service)
                    ingested = await ingest_steadily(redis, count, rate, names)
                    deadline = time.monotonic() + 30
                    while len(tg_posts) + len(fb_posts) < count * channels:
                        if time.monotonic() > deadline:
                            break
                        await asyncio.sleep(0.05)
                finally:
                    code = await service.stop()
                if code != 0:
                    print(f"  service exited with {code}:\n{service.tail()}")
        finally:
            await sandbox.close()
    tg, fb = latencies(tg_posts, ingested), latencies(fb_posts, ingested)
    print(
        f"rate={rate:g} articles/s for {seconds:g} s ({count} articles x {channels} channels), "
        f"NEWSBOT_WORKERS={workers}, rate limits {'on, high' if limits else 'off'}"
    )
    describe("telegram", tg, count)
    if channels == 2:
        describe("facebook", fb, count)
        describe("all", tg + fb, count * 2)


async def ingest_steadily(
    redis: Bench, count: int, rate: float, names: tuple[str, ...]
) -> dict[int, float]:
    """Ingest on schedule (article i at start + i/rate); the monotonic time of each call."""
    items = [make_article(i) for i in range(count)]
    ingested: dict[int, float] = {}
    tasks: set[asyncio.Task[Any]] = set()
    start = time.monotonic() + 0.1
    late = 0
    for i, article in enumerate(items):
        due = start + i / rate
        now = time.monotonic()
        if due > now:
            await asyncio.sleep(due - now)
        elif now - due > 0.005:
            late += 1
        ingested[i] = time.monotonic()
        task = asyncio.create_task(redis.store.ingest(article, names))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    if late:
        print(f"  note: {late} ingest calls started over 5 ms late (bench loop busy)")
    return ingested


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="articles per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--channels", type=int, choices=(1, 2), default=2)
    parser.add_argument("--workers", type=int, default=4, help="NEWSBOT_WORKERS")
    parser.add_argument("--limits", action="store_true", help="rate limits on, but high")
    args = parser.parse_args()
    load = asyncio.run(quiet_machine())
    print(f"(other load before the run: {load:.2f} cores)")
    asyncio.run(bench(args.rate, args.seconds, args.channels, args.workers, args.limits))


if __name__ == "__main__":
    main()
