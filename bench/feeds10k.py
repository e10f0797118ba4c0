"""Many feeds on one process (issue 14, point 6): `python -m bot run --workers 1` polls
FEEDS feeds at INTERVAL seconds from a local feed server (in this process) where 90% of
the feeds answer 304 and 10% change on every poll (a new item each time, delivered to a
Telegram channel on the sandbox, rate limits off, pages not fetched).

After a warm-up interval (every feed's first poll reads the whole feed), it measures one
or more further intervals: polls per second sustained, how late each poll came against
the feed's schedule (a gap since its previous poll longer than the interval and its 10%
jitter), the service
process's CPU (cores) and memory, and Redis commands per poll (a round trip carries one
command, or several when pipelined: an upper bound of round trips).

    .venv/bin/python bench/feeds10k.py                       # 10,000 feeds, 300 s
    .venv/bin/python bench/feeds10k.py --feeds 2000 --interval 60 --intervals 1
The service also checks every feed once at start-up (`newsbot doctor`'s checks): those
fetches fall in the warm-up. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from aiohttp import web
from harness import (
    Bench,
    cpu_seconds,
    free_port,
    percentile,
    service_env,
    start_sandbox_process,
    start_service,
    status_kb,
)

CHANGING_EVERY = 10  # feed n changes on every poll when n % 10 == 0: 10% of the feeds
JITTER = 0.1  # FeedPoller.next_delay: every delay is the interval +-10%


class FeedServer:
    """FEEDS RSS documents with ETags; records when each feed was asked for."""

    def __init__(self, feeds: int) -> None:
        self.feeds = feeds
        self.version = [0] * feeds
        self.polls: dict[int, list[float]] = defaultdict(list)
        self.answers: dict[int, int] = defaultdict(int)

    def document(self, n: int) -> bytes:
        v = self.version[n]
        now = format_datetime(datetime.now(UTC), usegmt=True)
        item = (
            f"<item><title>Feed {n} item {v}</title><link>http://feeds.test/{n}/{v}</link>"
            f"<guid>feed-{n}-{v}</guid><pubDate>{now}</pubDate>"
            f"<description>Item {v} of feed {n}.</description></item>"
        )
        return (
            '<?xml version="1.0"?><rss version="2.0"><channel>'
            f"<title>Feed {n}</title><link>http://feeds.test/{n}</link>{item}</channel></rss>"
        ).encode()

    async def handle(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        self.polls[n].append(time.monotonic())
        if n % CHANGING_EVERY == 0 and len(self.polls[n]) > 1:
            self.version[n] += 1
        etag = f'"{n}-{self.version[n]}"'
        if request.headers.get("If-None-Match") == etag:
            self.answers[304] += 1
            return web.Response(status=304, headers={"ETag": etag})
        self.answers[200] += 1
        return web.Response(
            body=self.document(n), content_type="application/rss+xml", headers={"ETag": etag}
        )


def feeds_toml(base: str, feeds: int, interval: int) -> str:
    channel = '[[channels]]\nid = "tg"\nkind = "telegram"\nchat = "@bench_channel"\n'
    lines = [channel]
    for n in range(feeds):
        lines.append(f'[[feeds]]\nid = "f{n}"\nurl = "{base}/feed/{n}"\ninterval = {interval}\n')
    return "\n".join(lines)


async def commands_processed(bench: Bench) -> int:
    return int((await bench.redis.info("stats"))["total_commands_processed"])


async def run(feeds: int, interval: int, intervals: int) -> None:
    server = FeedServer(feeds)
    app = web.Application()
    app.router.add_get("/feed/{n}", server.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print(
        f"{feeds} feeds every {interval} s on one process (--workers 1), "
        f"{100 // CHANGING_EVERY}% changing on every poll; warm-up {interval * 1.2:.0f} s, "
        f"then {intervals} x {interval} s measured"
    )
    with tempfile.TemporaryDirectory(prefix="nb-feeds-") as tmp_name:
        tmp = Path(tmp_name)
        async with Bench(tmp) as redis:
            box = await start_sandbox_process(tmp)
            env = service_env(
                tmp, redis.url, box.telegram_base, box.graph_url,
                feeds_toml(f"http://127.0.0.1:{port}", feeds, interval),
                NEWSBOT_RATE_LIMITS="false", NEWSBOT_FETCH_PAGES="false",
                NEWSBOT_ALLOW_PRIVATE_NETWORKS="true", LOG_LEVEL="warning",
                NEWSBOT_RECHECK_SECONDS="0",
            )  # fmt: skip
            started = time.monotonic()
            service = await start_service(tmp, env, 1)
            try:
                while not server.polls and service.proc.returncode is None:
                    await asyncio.sleep(0.1)  # the service is up: its first fetches came
                print(f"  service up after {time.monotonic() - started:.1f} s")
                warm_end = time.monotonic() + interval * 1.2
                while (left := warm_end - time.monotonic()) > 0:
                    await asyncio.sleep(min(left, 10))
                    polled = sum(1 for p in server.polls.values() if p)
                    print(f"  {time.monotonic() - started:5.0f} s: {polled} feeds polled")
                polled = sum(1 for p in server.polls.values() if p)
                print(f"  warm-up: {polled}/{feeds} feeds polled at least once")
                window_start = time.monotonic()
                pid = service.pid  # `run --workers 1` serves in the process itself
                cpu0 = cpu_seconds(pid)
                cmds0 = await commands_processed(redis)
                polls0 = sum(len(p) for p in server.polls.values())
                await asyncio.sleep(interval * intervals)
                window = time.monotonic() - window_start
                cpu = cpu_seconds(pid) - cpu0
                cmds = await commands_processed(redis) - cmds0
                polls = sum(len(p) for p in server.polls.values()) - polls0
                gaps = [
                    b - a
                    for times in server.polls.values()
                    for a, b in itertools.pairwise(times)
                    if b >= window_start
                ]
                late = [max(0.0, g - interval * (1 + JITTER)) for g in gaps]
                never = [n for n in range(feeds) if not server.polls.get(n)]
                print(
                    f"  polls: {polls} in {window:.0f} s = {polls / window:.1f}/s "
                    f"(schedule: {feeds / interval:.1f}/s); answers {dict(server.answers)}"
                )
                if gaps:
                    print(
                        f"  gaps between a feed's polls: p1 {percentile(gaps, 1):.1f} s, "
                        f"p50 {percentile(gaps, 50):.1f} s, p99 {percentile(gaps, 99):.1f} s "
                        f"(interval {interval} s +-{JITTER:.0%} jitter)"
                    )
                    print(
                        f"  late beyond the jitter: p99 {percentile(late, 99):.2f} s, "
                        f"max {max(late):.2f} s; feeds never polled: {len(never)}"
                    )
                print(
                    f"  service CPU: {cpu / window:.2f} cores "
                    f"({1000 * cpu / max(polls, 1):.2f} ms per poll)"
                )
                print(
                    f"  service memory: VmRSS {status_kb(pid, 'VmRSS') / 1024:.0f} MB, "
                    f"VmHWM {status_kb(pid, 'VmHWM') / 1024:.0f} MB"
                )
                print(
                    f"  Redis commands per poll: {cmds / max(polls, 1):.1f} "
                    "(deliveries of the changed feeds' items included)"
                )
                print(f"  total wall time {time.monotonic() - started:.0f} s")
            finally:
                code = await service.stop()
                errors = '"level": "error"' in service.err.read_text(errors="replace")
                await box.proc.stop()
                await runner.cleanup()
            if code != 0 or errors:
                print(f"  service exited with {code}; its last lines:\n{service.tail()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--interval", type=int, default=300)
    parser.add_argument("--intervals", type=int, default=1, help="measured intervals")
    args = parser.parse_args()
    asyncio.run(run(args.feeds, args.interval, args.intervals))


if __name__ == "__main__":
    main()
