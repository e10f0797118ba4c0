"""Pipeline throughput: N articles x 2 channels through the real service against the
sandbox (no rate limits), on the embedded Redis, in one process.

    .venv/bin/python bench/pipeline.py [--articles 500] [--workers 16]

Prints deliveries per second (ingest to last `sent`), Redis round trips per
delivery on the delivery path (the EVALSHA and XREADGROUP calls the service makes:
ingest, read, claim, complete, promote), and the process's peak resident memory.
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path

from bot.app import open_app
from bot.config import Config, Settings
from bot.logging import Redactor, configure_logging
from bot.models import Article
from bot.sandbox import start_sandbox
from publishers.base import load_platform

TOKEN = "123456789:BENCH-not-a-real-token-0123456789abc"


async def bench(articles: int, workers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, (Path(tmp) / "bench.log").open("w") as log:
        configure_logging("WARNING", Redactor(), stream=log)
        sandbox = await start_sandbox()
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            REDIS_URL=None,
            NEWSBOT_DATA_DIR=Path(tmp),
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE=sandbox.telegram_base,
            FACEBOOK_GRAPH_URL=sandbox.graph_url,
            NEWSBOT_WORKERS=workers,
        )
        raw = [
            {"id": "tg", "kind": "telegram", "chat": "@bench_channel"},
            {"id": "fb", "kind": "facebook", "page_id": "100000000000777"},
        ]
        channels = tuple(load_platform(c["kind"]).CHANNEL_MODEL.model_validate(c) for c in raw)
        config = Config(settings=settings, feeds=(), channels=channels)
        try:
            async with open_app(config, env={"FACEBOOK_PAGE_TOKEN": "EAAbench0123456789"}) as app:
                await app.redis.config_resetstat()
                items = [
                    Article(
                        id=f"{n:016x}",
                        url=f"https://bench.kz/news/{n}",
                        title=f"Новость {n}",
                        lead="Короткий лид. " * 5,
                        image=f"https://bench.kz/i/{n}.jpg",
                    )
                    for n in range(articles)
                ]
                stop = asyncio.Event()
                runner = asyncio.create_task(app.run(stop, poll_feeds=False))
                t0 = time.perf_counter()
                for article in items:
                    await app.submit(article)
                while len(sandbox.telegram.posts) + len(sandbox.facebook.posts) < 2 * articles:
                    await asyncio.sleep(0.01)
                while await app.store.pending_count():
                    await asyncio.sleep(0.01)
                elapsed = time.perf_counter() - t0
                stop.set()
                await runner
                stats = await app.redis.info("commandstats")
        finally:
            await sandbox.close()
    deliveries = 2 * articles
    round_trips = sum(
        stats.get(f"cmdstat_{c}", {}).get("calls", 0) for c in ("evalsha", "xreadgroup")
    )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"articles={articles} channels=2 workers={workers} (one process, sandbox in-process)")
    print(f"deliveries: {deliveries} in {elapsed:.2f} s = {deliveries / elapsed:.0f} deliveries/s")
    print(f"redis round trips per delivery (delivery path): {round_trips / deliveries:.2f}")
    print(f"peak RSS of this process (service + sandbox): {rss_mb:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(bench(args.articles, args.workers))


if __name__ == "__main__":
    main()
