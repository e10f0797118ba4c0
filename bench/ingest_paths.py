"""Publication-to-post latency by the way an article comes in: a CMS push (signed
POST /ingest), WebSub (the site pings its hub, the hub delivers the feed to newsbot's
callback) and polling the feed at its interval.

    .venv/bin/python bench/ingest_paths.py [--articles 50] [--poll-articles 8]
        [--poll-interval 60]

`python -m bot run` runs as a subprocess; the sandbox (Telegram, the publisher's site
and its WebSub hub) runs in this process, so an article's publication (the site adding
it) and its post (the sandbox recording it) are timed on one monotonic clock. Every
article is a real page on the site: newsbot fetches it before posting, as in production.
Rate limits are off, so the figures are the ingest path's own. Polling at the default
interval takes about `poll-articles` × interval / 2 plus the interval: minutes.
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import random
import re
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from harness import TG_CHAT, Bench, TimedPosts, free_port, percentile, service_env, start_service

from sandbox import Sandbox, start_sandbox

SECRET = "bench-ingest-secret"
ARTICLE_IN_POST = re.compile(r"/news/(\d+)/")


def toml(feed_url: str, interval: float, websub: bool) -> str:
    feed = f'[[feeds]]\nid = "site"\nurl = "{feed_url}"\ninterval = {interval}\n'
    feed += f"websub = {'true' if websub else 'false'}\n"
    return feed + f'\n[[channels]]\nid = "tg"\nkind = "telegram"\nchat = "{TG_CHAT}"\n'


def latencies(posts: TimedPosts, published: dict[int, float]) -> list[float]:
    found = []
    for post, at in zip(list(posts), posts.times, strict=True):
        match = ARTICLE_IN_POST.search(post.html)
        if match and int(match.group(1)) in published:
            found.append((at - published[int(match.group(1))]) * 1000)
    return found


def describe(name: str, values: list[float], expected: int) -> None:
    if not values:
        print(f"  {name}: no posts of {expected}")
        return
    print(
        f"  {name}: {len(values)}/{expected} posted; publication -> post ms "
        f"p50 {percentile(values, 50):.0f}  p99 {percentile(values, 99):.0f}  "
        f"max {max(values):.0f}"
    )


def add_article(sandbox: Sandbox, n: int) -> None:
    sandbox.site.add(
        n, f"Новость {n}: бенчмарк пути публикации", "Лид новости для бенчмарка. " * 3,
        ["Первый абзац текста новости.", "Второй абзац текста новости."],
        published=datetime.now(UTC),  # the site's own clock runs ahead by a second a change
    )  # fmt: skip


async def push(http: aiohttp.ClientSession, base: str, url: str) -> None:
    body = json.dumps({"event": "published", "url": url}).encode()
    ts = str(int(time.time()))
    sig = hmac.new(SECRET.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    headers = {"X-Newsbot-Timestamp": ts, "X-Newsbot-Signature": f"sha256={sig}",
               "Content-Type": "application/json"}  # fmt: skip
    async with http.post(f"{base}/ingest", data=body, headers=headers) as resp:
        assert resp.status == 202, await resp.text()


async def wait_posts(posts: TimedPosts, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(posts) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


async def fast_paths(tmp: Path, articles: int) -> None:
    tmp.mkdir()
    sandbox = await start_sandbox()
    posts = TimedPosts()
    sandbox.telegram.posts = posts
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        async with Bench(tmp) as redis, aiohttp.ClientSession() as http:
            env = service_env(
                tmp, redis.url, sandbox.telegram_base, sandbox.graph_url,
                toml(sandbox.site.feed_url, 3600, websub=True),
                NEWSBOT_HTTP_PORT=str(port), NEWSBOT_PUBLIC_URL=base,
                NEWSBOT_INGEST_SECRET=SECRET, NEWSBOT_ALLOW_PRIVATE_NETWORKS="true",
                NEWSBOT_RATE_LIMITS="false", NEWSBOT_WORKERS="4",
            )  # fmt: skip
            service = await start_service(tmp, env, 1)
            try:
                await redis.wait_consumers(4, service)
                deadline = time.monotonic() + 30
                while not sandbox.hub.active(sandbox.site.feed_url):
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"no WebSub subscription:\n{service.tail()}")
                    await asyncio.sleep(0.1)
                # push: the site publishes without pinging its hub; the CMS pushes
                sandbox.site.auto_ping = False
                published: dict[int, float] = {}
                for n in range(1, articles + 1):
                    add_article(sandbox, n)
                    published[n] = time.monotonic()
                    await push(http, base, sandbox.site.url_of(n))
                    await asyncio.sleep(0.1)
                await wait_posts(posts, articles, 60)
                describe("push (POST /ingest)", latencies(posts, published), articles)
                # WebSub: the site pings its hub on each publication
                sandbox.site.auto_ping = True
                published = {}
                for n in range(1001, 1001 + articles):
                    published[n] = time.monotonic()
                    add_article(sandbox, n)
                    await asyncio.sleep(0.1)
                await wait_posts(posts, 2 * articles, 60)
                describe("WebSub (hub delivery)", latencies(posts, published), articles)
            finally:
                await service.stop()
    finally:
        await sandbox.close()


async def polling(tmp: Path, articles: int, interval: float) -> None:
    tmp.mkdir()
    sandbox = await start_sandbox()
    posts = TimedPosts()
    sandbox.telegram.posts = posts
    sandbox.site.auto_ping = False
    try:
        async with Bench(tmp) as redis:
            env = service_env(
                tmp, redis.url, sandbox.telegram_base, sandbox.graph_url,
                toml(sandbox.site.feed_url, interval, websub=False),
                NEWSBOT_ALLOW_PRIVATE_NETWORKS="true", NEWSBOT_RATE_LIMITS="false",
            )  # fmt: skip
            service = await start_service(tmp, env, 1)
            try:
                await redis.wait_consumers(4, service)
                await asyncio.sleep(2)  # the first poll: what is there is only remembered
                published: dict[int, float] = {}
                rng = random.Random(7)
                for n in range(2001, 2001 + articles):
                    await asyncio.sleep(rng.uniform(0, interval))  # any moment of a cycle
                    add_article(sandbox, n)
                    published[n] = time.monotonic()
                await wait_posts(posts, articles, interval * 2 + 30)
                describe(f"polling every {interval:g} s", latencies(posts, published), articles)
            finally:
                await service.stop()
    finally:
        await sandbox.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=50)
    parser.add_argument("--poll-articles", type=int, default=8)
    parser.add_argument("--poll-interval", type=float, default=60.0)
    args = parser.parse_args()
    print(f"{args.articles} articles by push, {args.articles} by WebSub, "
          f"{args.poll_articles} by polling every {args.poll_interval:g} s")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="nb-paths-") as tmp_name:
        asyncio.run(fast_paths(Path(tmp_name) / "fast", args.articles))
    if args.poll_articles:
        with tempfile.TemporaryDirectory(prefix="nb-poll-") as tmp_name:
            asyncio.run(polling(Path(tmp_name) / "poll", args.poll_articles, args.poll_interval))


if __name__ == "__main__":
    main()
