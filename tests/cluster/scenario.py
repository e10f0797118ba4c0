"""The failover scenario the cluster and Sentinel tests run, and bench/failover.py with
them: the real service delivers a stream of articles to the sandbox's Telegram
channel and Facebook Page while the master holding the namespace dies (SIGKILL); its
replica takes over, the service reconnects, and every delivery must end sent.

`run_failover` only measures; the tests assert on what it returns."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from bot.app import open_app
from bot.config import Config
from bot.infra.health import REDIS_ERRORS
from bot.models import Article, Delivery, State
from bot.store import Store
from sandbox import Fault, Sandbox
from tests.bot.test_pipeline import ENV
from tests.chaos.helpers import (
    FAST,
    TG_CHAT,
    ambiguous_per_delivery,
    fb_posts_per_article,
    make_articles,
    read_events,
    tg_posts_per_article,
    wait_until_settled,
)
from tests.conftest import PAGE_ID, make_config

INGEST_EVERY = 0.05  # seconds: the stream of articles spans the failover
KILL_AFTER = 1.5  # seconds after the service started
Kill = Callable[[], Awaitable[None]]  # kills the master; returns once a replica took over


@dataclass
class Figures:
    deliveries: int = 0
    sent: int = 0
    lost: int = 0  # planned deliveries not sent at the end
    fb_duplicates: int = 0  # Facebook posts beyond one per article
    tg_duplicates: int = 0  # Telegram posts beyond one per article
    tg_unexplained: int = 0  # Telegram posts beyond 1 + the ambiguous attempts recorded
    ambiguous_events: int = 0
    sent_before_kill: int = 0
    in_flight: int = 0  # attempts claimed before the kill, recorded sent after it
    promoted_s: float = 0.0  # kill -> the replica is master
    recovered_s: float = 0.0  # kill -> the first delivery claimed after it is sent
    settled_s: float = 0.0  # kill -> every delivery settled
    confirmed_waits: int = 0  # WAITs that reached the replicas
    short_waits: int = 0  # WAITs that did not (no replica after the failover)
    ingest_retries: int = 0

    def line(self) -> str:
        return ", ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                         for k, v in asdict(self).items())  # fmt: skip


def failover_config(url: str, sandbox: Sandbox, **settings: object) -> Config:
    channels = [
        {"id": "tg-main", "kind": "telegram", "chat": TG_CHAT, **FAST},
        {"id": "fb-page", "kind": "facebook", "page_id": PAGE_ID, **FAST},
    ]
    values: dict[str, object] = {
        "NEWSBOT_WORKERS": 4,
        # an outcome in flight is written once the replica took over (~2-3 s), within
        # the lease; a claim whose WAIT failed is taken over once it ends
        "NEWSBOT_LEASE_SECONDS": 5,
        "TELEGRAM_BOT_RATE_PER_SECOND": 1000,
        **settings,
    }
    return make_config(url, sandbox, channels=channels, **values)


async def run_failover(
    config: Config, sandbox: Sandbox, kill: Kill, articles: int = 60, tag: str = "failover"
) -> tuple[Figures, list[Delivery], list[dict[str, str]], list[Article]]:
    """Deliver `articles` articles while `kill` runs; what happened, measured."""
    # slow answers (0.1 s, posted at once): attempts are in flight when the master dies
    slow = [Fault(kind="timeout", delay=0.1, apply=True)]
    sandbox.telegram.faults.random(1.0, slow)
    sandbox.facebook.faults.random(1.0, slow)
    items = make_articles(articles, tag)
    figures = Figures(deliveries=2 * articles)

    async def ingest() -> None:
        for article in items:
            deadline = time.monotonic() + 30
            while True:
                try:
                    await app.ingest.submit(article)
                    break
                except REDIS_ERRORS:
                    figures.ingest_retries += 1
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.1)
            await asyncio.sleep(INGEST_EVERY)

    async with open_app(config, env=ENV) as app:
        stop = asyncio.Event()
        runner = asyncio.create_task(app.run(stop, poll_feeds=False))
        feeder = asyncio.create_task(ingest())
        try:
            await asyncio.sleep(KILL_AFTER)
            figures.sent_before_kill = sum(
                1 for d in await _deliveries(app.store, items) if d.state is State.SENT
            )
            killed_wall_ms = int(time.time() * 1000)
            killed = time.monotonic()
            await kill()
            figures.promoted_s = time.monotonic() - killed
            await asyncio.wait_for(feeder, 60)
            deliveries = await wait_until_settled(app.store, [a.id for a in items], 2, timeout=90)
            figures.settled_s = time.monotonic() - killed
        finally:
            feeder.cancel()
            stop.set()
            await runner
        events = await read_events(app.redis, app.store.keys)
        figures.confirmed_waits = app.store.replication.confirmed
        figures.short_waits = app.store.replication.short
    _count(figures, sandbox, items, deliveries, events, killed_wall_ms)
    return figures, deliveries, events, items


async def _deliveries(store: Store, items: list[Article]) -> list[Delivery]:
    try:
        found = await store.deliveries_of([a.id for a in items])
    except REDIS_ERRORS:
        return []
    return [d for ds in found.values() for d in ds]


def _count(
    figures: Figures,
    sandbox: Sandbox,
    items: list[Article],
    deliveries: list[Delivery],
    events: list[dict[str, str]],
    killed_ms: int,
) -> None:
    figures.sent = sum(1 for d in deliveries if d.state is State.SENT)
    figures.lost = figures.deliveries - figures.sent
    fb = fb_posts_per_article(sandbox, items)
    tg = tg_posts_per_article(sandbox, items)
    ambiguous = ambiguous_per_delivery(events, "tg-main")
    figures.fb_duplicates = sum(max(0, fb[a.id] - 1) for a in items)
    figures.tg_duplicates = sum(max(0, tg[a.id] - 1) for a in items)
    figures.tg_unexplained = sum(max(0, tg[a.id] - 1 - ambiguous[a.id]) for a in items)
    figures.ambiguous_events = sum(
        1 for e in events if e["type"] == "state" and e["state"] == "ambiguous"
    )
    claimed_before = {
        (e["article_id"], e["channel"], e["attempt"])
        for e in events
        if e["state"] == "sending" and int(e["at"]) < killed_ms
    }
    figures.in_flight = sum(
        1
        for e in events
        if e["state"] == "sent"
        and int(e["at"]) >= killed_ms
        and (e["article_id"], e["channel"], e["attempt"]) in claimed_before
    )
    claimed_after = {
        (e["article_id"], e["channel"], e["attempt"])
        for e in events
        if e["state"] == "sending" and int(e["at"]) >= killed_ms
    }
    firsts = [
        int(e["at"])
        for e in events
        if e["state"] == "sent" and (e["article_id"], e["channel"], e["attempt"]) in claimed_after
    ]
    figures.recovered_s = (min(firsts) - killed_ms) / 1000 if firsts else -1.0


def states(deliveries: list[Delivery]) -> Counter[State]:
    return Counter(d.state for d in deliveries)
