"""`newsbot demo`: the real service against the local sandbox, on the embedded Redis.

A local feed server serves `bot/cli/demo_data/feed.xml` (the fixture article of the
first publisher and articles made for the demo); the service polls it once,
plans deliveries to a Telegram channel and a Facebook Page in the sandbox,
delivers them (one injected 429 shows a retry that honours retry_after) and
prints each post and a final table. The data folder keeps the embedded Redis,
so a second run delivers nothing new and says so.

It also serves the delivery board (bot/board/) with a token made for this run (the
demo listens on loopback only) and prints its login link; post links point at the
sandbox's post pages. In a terminal it keeps serving until Enter or Ctrl-C (the
sandbox stays up, so the links work); without one, or with --no-wait, it exits.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import shutil
import signal
import sys
import time
from contextlib import AsyncExitStack
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.app import App, default_platforms, open_app
from bot.cli.report import format_table, status_rows, status_table
from bot.config import Config, FeedConfig, Settings, parse_channels, platform_settings
from bot.infra.logging import Redactor, configure_logging
from bot.models import Delivery
from bot.platforms import Platforms, Post
from bot.text import shorten
from sandbox import Fault, Sandbox, start_sandbox

DEMO_BOT_TOKEN = "123456789:DEMO-not-a-real-token-0123456789abcd"
DEMO_PAGE_TOKEN = "EAADEMOnotarealpagetoken0123456789"
DEMO_CHANNELS: list[dict[str, Any]] = [
    {"id": "tg-main", "kind": "telegram", "chat": "@newsbot_demo"},
    # a faster Page limit than the conservative default (6/min), so the demo runs in seconds
    {"id": "fb-page", "kind": "facebook", "page_id": "100000000000001", "rate_per_minute": 60},
]
TIMEOUT_SECONDS = 60.0


def say(text: str = "") -> None:
    print(text, flush=True)


async def start_feed_server() -> tuple[web.AppRunner, str]:
    """Serves the demo feed with an ETag, so a second poll gets 304 Not Modified."""
    body = (resources.files("bot.cli") / "demo_data" / "feed.xml").read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'

    async def feed(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=body, content_type="application/rss+xml", charset="utf-8", headers={"ETag": etag}
        )

    app = web.Application()
    app.router.add_get("/rss.xml", feed)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/rss.xml"


def demo_config(
    platforms: Platforms, data_dir: Path, feed_url: str, sandbox: Sandbox, board_token: str
) -> Config:
    values = {
        "_env_file": None,  # the demo ignores the user's .env
        "TELEGRAM_BOT_TOKEN": DEMO_BOT_TOKEN,
        "TELEGRAM_API_BASE": sandbox.telegram_base,
        "FACEBOOK_GRAPH_URL": sandbox.graph_url,
        # post links lead to the sandbox's pages of the posts, not to t.me / facebook.com
        "TELEGRAM_POST_LINK_BASE": sandbox.post_pages.telegram_links,
        "FACEBOOK_POST_LINK_BASE": sandbox.post_pages.facebook_links,
    }
    settings = Settings(
        _env_file=None,
        REDIS_URL=None,
        NEWSBOT_NAMESPACE="demo",
        NEWSBOT_DATA_DIR=data_dir,
        NEWSBOT_ALLOW_PRIVATE_NETWORKS=True,
        NEWSBOT_RETRY_BASE_SECONDS=0.2,
        NEWSBOT_HTTP_PORT=0,  # its probes and /metrics on a free port, never a service's
        NEWSBOT_HTTP_HOST="127.0.0.1",  # the board's one-time token stays on this machine
        NEWSBOT_BOARD_TOKEN=board_token,
    )
    feeds = (FeedConfig(id="profit", url=feed_url, interval=60, backfill=50),)
    return Config(
        settings, feeds, parse_channels(platforms, DEMO_CHANNELS),
        platform_settings(platforms, **values),
    )  # fmt: skip


def show_post(d: Delivery, title: str) -> None:
    head = f"── {d.channel} · {d.state.value} · attempt {d.attempts}"
    if d.state.value != "sent":
        say(f"{head} · {shorten(title, 50)}\n   {d.last_error}\n")
        return
    post = Post.from_json(d.payload)
    say(f"{head} · {post.call.method} · {d.latency_ms} ms · {d.remote_url or d.remote_id}")
    if post.image:
        say(f"   [image] {post.image}")
    for line in post.plain.splitlines():
        say(f"   {line}")
    if post.call.params.get("link"):  # a link post: the platform shows the link itself
        say(f"   [link] {post.link}")
    say()


async def watch(app: App, article_ids: list[str]) -> list[Delivery]:
    """Print each delivery as it ends; return them all once every one has ended."""
    shown: set[tuple[str, str]] = set()
    titles = {
        aid: (a.title if (a := await app.store.get_article(aid)) else aid) for aid in article_ids
    }
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while True:
        everything = [d for aid in article_ids for d in await app.store.deliveries(aid)]
        for d in everything:
            if d.state.is_settled and (d.article_id, d.channel) not in shown:
                shown.add((d.article_id, d.channel))
                show_post(d, titles[d.article_id])
        if all(d.state.is_settled for d in everything) or time.monotonic() > deadline:
            return everything
        await asyncio.sleep(0.05)


def board_link(app: App, token: str) -> str:
    return f"http://127.0.0.1:{app.web.port}/board/login?token={token}"


async def serve_until_enter(app: App, token: str) -> None:
    """Keep the board and the sandbox's post pages up until Enter (or end of input) or
    Ctrl-C."""
    say(f"\nThe delivery board stays up at {board_link(app, token)} until Enter or Ctrl-C.")
    loop = asyncio.get_running_loop()
    done = asyncio.Event()

    def on_line() -> None:
        sys.stdin.readline()  # the Enter, so the shell does not see it
        done.set()

    loop.add_reader(sys.stdin.fileno(), on_line)
    loop.add_signal_handler(signal.SIGINT, done.set)
    try:
        await done.wait()
    finally:
        loop.remove_reader(sys.stdin.fileno())
        loop.remove_signal_handler(signal.SIGINT)


async def run_demo(data_dir: Path, *, fresh: bool = False, wait: bool = True) -> int:
    """The demo; `wait`: when stdin is a terminal, serve the board until Enter."""
    if fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    redactor = Redactor()
    with (data_dir / "demo.log").open("a", encoding="utf-8") as log_file:
        configure_logging("INFO", redactor, stream=log_file)
        try:
            async with AsyncExitStack() as stack:
                sandbox = await start_sandbox()
                stack.push_async_callback(sandbox.close)
                feed_runner, feed_url = await start_feed_server()
                stack.push_async_callback(feed_runner.cleanup)
                platforms = default_platforms()
                board_token = secrets.token_urlsafe(24)  # this run's, printed below
                config = demo_config(platforms, data_dir, feed_url, sandbox, board_token)
                # one 429 on the first photo post: the retry waits for retry_after
                sandbox.telegram.faults.add(
                    Fault(kind="rate_limit", method="sendPhoto", retry_after=1)
                )
                env = {"FACEBOOK_PAGE_TOKEN": DEMO_PAGE_TOKEN}
                app = await stack.enter_async_context(
                    open_app(config, platforms, redactor=redactor, env=env, editors_bot=False)
                )
                code = await _demo(app, data_dir, feed_url, board_token)
                if wait and sys.stdin.isatty():
                    await serve_until_enter(app, board_token)
                return code
        finally:
            logging.getLogger().handlers.clear()  # the log file closes with this block


async def _demo(app: App, data_dir: Path, feed_url: str, board_token: str) -> int:
    say(f"newsbot demo · embedded Redis in {data_dir} · sandbox Telegram and Facebook")
    say(f"delivery board: {board_link(app, board_token)}")
    say(f"polling {feed_url}")
    started_ms = int(time.time() * 1000)
    report = await app.pollers[0].poll_once()
    if report.error:
        say(f"the demo feed could not be read: {report.error}")
        return 1
    new_ids = await app.store.article_ids_since(started_ms)
    if not new_ids:
        why = "304 Not Modified" if report.not_modified else f"{report.duplicates} known articles"
        say(
            f"Nothing new to deliver: the feed answered {why}; everything in it was delivered in an"
        )
        say(f"earlier run, kept in {data_dir}. Run `newsbot demo --fresh` to start over.\n")
        say(status_table(await status_rows(app.store, await app.store.recent_article_ids(20))))
        return 0
    say(
        f"{len(new_ids)} new articles ({report.merged} duplicate listing merged) -> "
        f"{len(app.outlets)} channels\n"
    )
    stop = asyncio.Event()
    runner = asyncio.create_task(app.run(stop, poll_feeds=False))
    t0 = time.monotonic()
    deliveries = await watch(app, new_ids)
    elapsed = time.monotonic() - t0
    stop.set()
    await runner
    rows = await status_rows(app.store, new_ids)
    say(
        format_table(
            ["article", "title", "channel", "state", "attempts", "latency_ms"],
            [
                (r.article_id, shorten(r.title, 44), r.channel, r.state, r.attempts, r.latency_ms)
                for r in rows
            ],
        )
    )
    sent = sum(d.state.value == "sent" for d in deliveries)
    say(
        f"\n{sent} of {len(deliveries)} deliveries sent in {elapsed:.2f} s "
        f"({len(deliveries) / elapsed:.1f} deliveries/s, paced by the channels' rate limits "
        "and a 1 s retry_after). "
        f"Logs: {data_dir / 'demo.log'}"
    )
    unfinished = [d for d in deliveries if not d.state.is_settled]
    if unfinished:
        print(
            f"{len(unfinished)} deliveries did not finish within {TIMEOUT_SECONDS:.0f} s",
            file=sys.stderr,
        )
        return 1
    return 0 if sent == len(deliveries) else 1
