"""The ambiguous path end to end over many articles: a worker dies between the platform
call and the state write (tests.faults: the channel's client dies after posting) on
every third publish of each channel, recovery attempts included. Facebook reconciles and
never posts twice; Telegram with ambiguous="resend" posts once more per lost attempt,
with ambiguous="hold" the lost ones end held and are never posted again."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable

from bot.app import open_app
from bot.infra.redis_embedded import EmbeddedRedis
from bot.models import State
from sandbox import Sandbox
from tests.bot.test_pipeline import ENV
from tests.chaos.helpers import (
    FAST,
    ambiguous_per_delivery,
    fb_posts_per_article,
    make_articles,
    queue_state,
    read_events,
    resends,
    tg_posts_per_article,
    wait_until_settled,
)
from tests.conftest import PAGE_ID, make_config
from tests.faults import die_after_publish

ARTICLES = 30
CHANNELS = [
    {"id": "tg-resend", "kind": "telegram", "chat": "@chaos_resend", **FAST},
    {"id": "tg-hold", "kind": "telegram", "chat": "@chaos_hold", "ambiguous": "hold", **FAST},
    {"id": "fb-page", "kind": "facebook", "page_id": PAGE_ID, **FAST},
]


def every_third_publish() -> tuple[Callable[[str, str], bool], dict[str, Counter[str]]]:
    """Whether a publish kills its worker, and how many times it did per delivery."""
    seen: Counter[str] = Counter()
    crashed: dict[str, Counter[str]] = {ch["id"]: Counter() for ch in CHANNELS}

    def should_die(channel: str, article_id: str) -> bool:
        seen[channel] += 1
        if seen[channel] % 3 == 0:
            crashed[channel][article_id] += 1
            return True
        return False

    return should_die, crashed


async def test_lost_workers_after_posting_never_duplicate_except_by_resend(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    started = time.monotonic()
    config = make_config(
        redis_server.url,
        sandbox,
        channels=CHANNELS,
        NEWSBOT_LEASE_SECONDS=1,
        NEWSBOT_WORKERS=4,
        # a delivery may be lost again on its recovery attempt; it must not fail for it
        NEWSBOT_MAX_CRASHES=20,
        TELEGRAM_BOT_RATE_PER_SECOND=1000,
    )
    items = make_articles(ARTICLES, "hook")
    should_die, crashed = every_third_publish()
    async with open_app(config, env=ENV) as app:
        die_after_publish(app, should_die)
        for article in items:
            await app.ingest.submit(article)
        stop = asyncio.Event()
        runner = asyncio.create_task(app.run(stop, poll_feeds=False))
        try:
            deliveries = await wait_until_settled(app.store, [a.id for a in items], 3, timeout=45)
            # settled is not the end of the story: nothing may be posted later either
            posts_then = (len(sandbox.telegram.posts), len(sandbox.facebook.posts))
            await asyncio.sleep(config.settings.lease_seconds + 2.5)
            assert (len(sandbox.telegram.posts), len(sandbox.facebook.posts)) == posts_then
            queue = await queue_state(app.redis, app.store.keys)
        finally:
            stop.set()
            await runner
        events = await read_events(app.redis, app.store.keys)

    by_channel = {ch["id"]: {d.article_id: d for d in deliveries if d.channel == ch["id"]}
                  for ch in CHANNELS}  # fmt: skip
    lost = {ch["id"]: ambiguous_per_delivery(events, ch["id"]) for ch in CHANNELS}
    for channel, counts in lost.items():
        # every crash the hook caused was noticed as a lost worker, and nothing else was
        assert counts == crashed[channel], channel
        assert sum(counts.values()) >= ARTICLES // 4, f"too few crashes on {channel}"
    assert queue.empty, queue

    # Facebook: every delivery sent, one post each; the lost ones found their post
    fb_posts = fb_posts_per_article(sandbox, items)
    assert {a.id: fb_posts[a.id] for a in items} == {a.id: 1 for a in items}
    for aid, delivery in by_channel["fb-page"].items():
        assert delivery.state is State.SENT
        assert delivery.remote_id in {p.id for p in sandbox.facebook.posts}
        if lost["fb-page"][aid]:
            assert delivery.history[-1].note == "reconciled: the post was there", delivery

    posts = {
        chat: tg_posts_per_article(sandbox, items, chat=chat)
        for chat in ("chaos_resend", "chaos_hold")
    }
    # Telegram, resend: every lost attempt had posted, and the article is posted once
    # more per lost attempt; each such delivery ends with one resend event
    resent = resends(events, "tg-resend")
    for article in items:
        delivery = by_channel["tg-resend"][article.id]
        assert delivery.state is State.SENT
        assert posts["chaos_resend"][article.id] == 1 + lost["tg-resend"][article.id], delivery
    assert sorted(e["article_id"] for e in resent) == sorted(lost["tg-resend"])
    # Telegram, hold: the lost ones are held for the editors, and none is posted twice
    held = {aid for aid, d in by_channel["tg-hold"].items() if d.state is State.HELD}
    assert held == set(lost["tg-hold"])
    assert all(d.state is State.SENT for aid, d in by_channel["tg-hold"].items() if aid not in held)
    assert {a.id: posts["chaos_hold"][a.id] for a in items} == {a.id: 1 for a in items}
    assert not resends(events, "tg-hold")
    print(
        f"\nambiguous hook: {ARTICLES} articles x 3 channels in "
        f"{time.monotonic() - started:.1f} s; lost attempts per channel "
        f"{ {ch: sum(n.values()) for ch, n in lost.items()} }; deliveries lost twice or more "
        f"{ {ch: sum(1 for v in n.values() if v > 1) for ch, n in lost.items()} }; "
        f"tg-resend posts {sum(posts['chaos_resend'].values())} = {ARTICLES} + "
        f"{sum(lost['tg-resend'].values())} lost, resend events {len(resent)}; "
        f"held {len(held)}; fb posts {len(sandbox.facebook.posts)}"
    )
