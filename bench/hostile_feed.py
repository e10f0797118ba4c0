"""A hostile feed against the real service: one item whose title is N MiB,
beside ordinary items. Prints the longest event-loop stall while the feed is polled
and its articles delivered, and how much the process's peak memory grew.

    .venv/bin/python bench/hostile_feed.py [--mib 4] [--runs 3]

The service runs in this process (open_app, as the demo does) against the embedded
Redis and the sandbox; a ticker task measures how late the loop wakes it (5 ms ticks).
A stalled loop loses the leader lease (5 s) and makes Redis look unavailable.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
from pathlib import Path

from aiohttp import web

from bot.app import default_platforms, open_app
from bot.config import Config, FeedConfig, Settings, parse_channels, platform_settings
from bot.infra.redis_embedded import EmbeddedRedis
from bot.settings import load
from sandbox import start_sandbox

TOKEN = "123456789:BENCH-not-a-real-token-0123456789abc"
ITEM = (
    "<item><title>{title}</title><link>https://profit.kz/news/{n}/</link>"
    "<pubDate>Wed, 26 Nov 2025 1{n}:00:00 +0500</pubDate><description>{lead}</description></item>"
)


def feed(mib: int) -> bytes:
    huge = "Заголовок " * (mib * 1024 * 1024 // len("Заголовок ".encode()))
    items = [ITEM.format(n=n, title=f"Новость {n}", lead=f"Лид {n}. Второе.") for n in (1, 2)]
    items.append(ITEM.format(n=3, title=huge, lead="Лид. Второе."))
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    return (head + "".join(items) + "</channel></rss>").encode()


async def serve(body: bytes) -> tuple[web.AppRunner, str]:
    async def handle(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/rss+xml", charset="utf-8")

    app = web.Application()
    app.router.add_get("/rss", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/rss"


class Ticker:
    """How late the event loop runs a task that asks to wake every `tick` seconds."""

    def __init__(self, tick: float = 0.005) -> None:
        self.tick = tick
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.tick)
            self.worst = max(self.worst, time.perf_counter() - before - self.tick)

    def __enter__(self) -> Ticker:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def one_run(mib: int, redis_url: str) -> tuple[float, float, int]:
    sandbox = await start_sandbox()
    runner, url = await serve(feed(mib))
    values = {
        "_env_file": None, "REDIS_URL": redis_url,
        "NEWSBOT_NAMESPACE": f"hostile{time.monotonic_ns()}", "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": sandbox.telegram_base, "FACEBOOK_GRAPH_URL": sandbox.graph_url,
        "NEWSBOT_ALLOW_PRIVATE_NETWORKS": True, "NEWSBOT_FETCH_PAGES": False,
        "NEWSBOT_RATE_LIMITS": False,
    }  # fmt: skip
    channels = [{"id": "tg", "kind": "telegram", "chat": "@bench_channel"},
                {"id": "fb", "kind": "facebook", "page_id": "100000000000777"}]  # fmt: skip
    platforms = default_platforms()
    feed_config = FeedConfig(id="hostile", url=url, backfill=10, max_bytes=64_000_000)  # type: ignore[arg-type]
    config = Config(
        load(Settings, **values), (feed_config,), parse_channels(platforms, channels),
        platform_settings(platforms, **values),
    )  # fmt: skip
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        async with open_app(config, env={"FACEBOOK_PAGE_TOKEN": "EAAbench"}) as app:
            stop = asyncio.Event()
            with Ticker() as ticker:
                service = asyncio.create_task(app.run(stop, poll_feeds=False))
                report = await app.pollers[0].poll_once()
                if report.error:
                    raise SystemExit(f"the poll failed: {report.error}")
                while len(sandbox.telegram.posts) + len(sandbox.facebook.posts) < 6:
                    if time.perf_counter() - started > 300:
                        raise SystemExit("not delivered within 300 s")
                    await asyncio.sleep(0.01)
                stop.set()
                await service
        elapsed = time.perf_counter() - started
        grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
        return ticker.worst, elapsed, grown_kb
    finally:
        await runner.cleanup()
        await sandbox.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        redis = EmbeddedRedis(Path(folder))
        url = await redis.start()
        try:
            results = [await one_run(args.mib, url) for _ in range(args.runs)]
        finally:
            await redis.stop(force=True)
    stalls = [r[0] * 1000 for r in results]
    print(f"feed with a {args.mib} MiB title, {args.runs} runs (3 items, 2 channels)")
    print(f"longest event-loop stall: median {statistics.median(stalls):.0f} ms, "
          f"max {max(stalls):.0f} ms")  # fmt: skip
    print(f"poll-to-delivered wall time: median {statistics.median(r[1] for r in results):.2f} s")
    print(f"peak memory growth (ru_maxrss): first run {results[0][2] / 1024:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
