"""The delivery board's figures, in a real headless Chromium (tests/board/browser.py):
time to first paint of /board, and the update delay after a delivery.

    .venv/bin/python bench/board.py [--articles 50] [--loads 10] [--updates 20]

The service runs in this process on an embedded Redis in a temp folder, against the
sandbox, rate limits off; `--articles` articles x 2 channels are delivered first, so
the page shows that many rows x 2 (50 is the board's default window).

- First paint: the browser loads /board `--loads` times (logged in by cookie); the
  Paint Timing API's first-paint and first-contentful-paint
  (performance.getEntriesByType('paint'),
  https://developer.mozilla.org/docs/Web/API/PerformancePaintTiming) from navigation
  start, with the server's part (Navigation Timing responseEnd).
- Update delay: `--updates` times, an article is ingested while the board is open; the
  delay is from the delivery recorded as sent (its `sent` transition in Redis, the
  store's clock) to the frame after its row shows `sent` on the page (a
  MutationObserver, then requestAnimationFrame; the browser's clock: same machine).

Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import App, default_platforms, open_app  # noqa: E402
from bot.config import Config, Settings, parse_channels, platform_settings  # noqa: E402
from bot.infra.redis_embedded import EmbeddedRedis  # noqa: E402
from bot.models import Article  # noqa: E402
from bot.states import State  # noqa: E402
from bot.urls import article_id  # noqa: E402
from sandbox import Sandbox, start_sandbox  # noqa: E402
from tests.board.browser import Browser, chromium, missing  # noqa: E402

TOKEN = "bench-board-token-0123456789abcdef"
BOT_TOKEN = "123456789:BENCH-not-a-real-token-0123456789abc"
PAGE_TOKEN = "EAAbenchBoard0123456789"
CHANNELS = [
    {"id": "tg-main", "kind": "telegram", "chat": "@bench_board"},
    {"id": "fb-page", "kind": "facebook", "page_id": "100000000000778"},
]
# Marks when each row shows `sent`: the DOM change, then the next frame (painted).
OBSERVE = """
window.sentAt = {};
const rows = document.getElementById("rows");
new MutationObserver(() => {
  for (const tr of rows.rows) {
    if (tr.dataset.state === "sent" && !(tr.id in window.sentAt)) {
      const id = tr.id;
      window.sentAt[id] = 0;
      requestAnimationFrame(() => {
        window.sentAt[id] = performance.timeOrigin + performance.now();
      });
    }
  }
}).observe(rows, {childList: true, subtree: true, attributes: true});
"""


def config(redis_url: str, data: Path, sandbox: Sandbox) -> Config:
    platforms = default_platforms()
    values = {
        "_env_file": None,
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_BASE": sandbox.telegram_base,
        "FACEBOOK_GRAPH_URL": sandbox.graph_url,
        "TELEGRAM_POST_LINK_BASE": sandbox.post_pages.telegram_links,
        "FACEBOOK_POST_LINK_BASE": sandbox.post_pages.facebook_links,
    }
    settings = Settings(
        _env_file=None, REDIS_URL=redis_url, NEWSBOT_NAMESPACE="benchboard",
        NEWSBOT_DATA_DIR=data, NEWSBOT_ALLOW_PRIVATE_NETWORKS=True, NEWSBOT_FETCH_PAGES=False,
        NEWSBOT_RATE_LIMITS=False, NEWSBOT_HTTP_PORT=0, NEWSBOT_BOARD_TOKEN=TOKEN,
    )  # fmt: skip
    return Config(
        settings, (), parse_channels(platforms, CHANNELS), platform_settings(platforms, **values)
    )


def article(n: int) -> Article:
    url = f"https://profit.kz/news/bench-board-{n}-{time.time_ns()}/"
    title = f"Новость {n}: Kaspi & Halyk <свыше 1 млн тенге> меняют правила P2P-переводов"
    lead = "Банки будут проверять переводы на сумму свыше 1 млн тенге. " * 3
    return Article(id=article_id(url), url=url, title=title, lead=lead.strip())


async def delivered(app: App, ids: list[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        found = await app.store.deliveries_of(ids)
        if all(d.state is State.SENT for aid in ids for d in found[aid]):
            return
        if time.monotonic() > deadline:
            raise SystemExit("deliveries did not finish in time")
        await asyncio.sleep(0.05)


def summary(name: str, values: list[float]) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
    return (
        f"{name:<34} median {statistics.median(values):7.1f} ms   p90 {p90:7.1f} ms   "
        f"min {values[0]:7.1f}   max {values[-1]:7.1f}   (n={len(values)})"
    )


async def first_paints(b: Browser, url: str, loads: int) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {"first-paint": [], "first-contentful-paint": [],
                                     "server (responseEnd)": []}  # fmt: skip
    for _ in range(loads):
        await b.get(url)
        paints: list[list[object]] = []
        deadline = time.monotonic() + 5
        while len(paints) < 2 and time.monotonic() < deadline:  # painted after `load`
            paints = await b.js(
                "return performance.getEntriesByType('paint').map(e => [e.name, e.startTime])"
            )
        for name, at in paints:
            found[str(name)].append(float(str(at)))
        nav = await b.js("return performance.getEntriesByType('navigation')[0].responseEnd")
        found["server (responseEnd)"].append(float(nav))
    return found


async def update_delays(app: App, b: Browser, url: str, updates: int) -> list[float]:
    await b.get(url)
    await b.wait(lambda d: d.find_element("id", "live").text == "live")
    await b.js(OBSERVE)
    delays = []
    for n in range(updates):
        item = article(10_000 + n)
        await app.ingest.submit(item)
        await delivered(app, [item.id])
        row = f"d-{item.id}-tg-main"
        seen = 0.0
        deadline = time.monotonic() + 30
        while not seen and time.monotonic() < deadline:
            seen = float(await b.js("return window.sentAt[arguments[0]] || 0", row))
            await asyncio.sleep(0.01)
        [tg] = [d for d in await app.store.deliveries(item.id) if d.channel == "tg-main"]
        sent_ms = next(t.at_ms for t in tg.history if t.state == State.SENT)
        delays.append(seen - sent_ms)
        await asyncio.sleep(0.2)
    return delays


async def main(articles: int, loads: int, updates: int) -> None:
    reason = missing()
    if reason:
        raise SystemExit(f"bench/board.py: {reason}")
    with tempfile.TemporaryDirectory() as tmp:
        redis = EmbeddedRedis(Path(tmp) / "redis")
        url = await redis.start()
        sandbox = await start_sandbox()
        driver = await asyncio.to_thread(chromium)
        b = Browser(driver)
        try:
            env = {"FACEBOOK_PAGE_TOKEN": PAGE_TOKEN}
            async with open_app(config(url, Path(tmp), sandbox), env=env, editors_bot=False) as app:
                stop = asyncio.Event()
                runner = asyncio.create_task(app.run(stop, poll_feeds=False))
                ids = []
                for n in range(articles):
                    item = article(n)
                    await app.ingest.submit(item)
                    ids.append(item.id)
                await delivered(app, ids)
                base = f"http://127.0.0.1:{app.web.port}"
                await b.get(f"{base}/board/login?token={TOKEN}")
                rows = await b.js("return document.getElementById('rows').rows.length")
                await b.get(f"{base}/board")  # a warm-up load: fonts, caches
                paints = await first_paints(b, f"{base}/board", loads)
                delays = await update_delays(app, b, f"{base}/board", updates)
                stop.set()
                await runner
        finally:
            await b.quit()
            await sandbox.close()
            await redis.stop(force=True)
    version = driver.capabilities.get("browserVersion", "?")
    print(f"Chromium {version} headless, /board with {rows} rows ({articles} articles x 2)")
    for name, values in paints.items():
        print(summary(f"time to {name}", values))
    print(summary("update delay: sent -> row painted", delays))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=50)
    parser.add_argument("--loads", type=int, default=10)
    parser.add_argument("--updates", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.articles, args.loads, args.updates))
