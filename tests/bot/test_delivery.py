"""Delivery semantics under limits and faults: shared rate limits and cooldowns,
crash recovery by lease, ambiguous answers reconciled, resent or held.
Real Redis, real HTTP to the sandbox."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from redis.asyncio import Redis

from bot.app import App, open_app
from bot.infra.redis_embedded import EmbeddedRedis
from bot.models import Article, State
from sandbox import Fault, Sandbox
from tests.bot.test_pipeline import ENV, deliver_all, fixture_article
from tests.conftest import PAGE_ID, make_config
from tests.faults import die_after_publish

TG = {"id": "tg-main", "kind": "telegram", "chat": "@newsbot_test"}
FB = {"id": "fb-page", "kind": "facebook", "page_id": PAGE_ID}


def articles(n: int, source: str = "") -> list[Article]:
    return [
        Article(
            id=f"{source or 'x'}{i:015x}"[-16:],
            url=f"https://profit.kz/news/{source}{i}",
            title=f"Новость {source}{i}",
            lead="Лид.",
            source=source,
        )
        for i in range(n)
    ]


def crash_after_publish(app: App, channels: set[str], times: int = 1) -> None:
    """The first `times` publishes of each of `channels` kill their worker after posting."""
    left = dict.fromkeys(channels, times)

    def should_die(channel: str, _article: str) -> bool:
        if left.get(channel, 0) > 0:
            left[channel] -= 1
            return True
        return False

    die_after_publish(app, should_die)


async def events(redis: Redis, ns: str) -> list[dict[str, str]]:
    raw = await redis.xrange(f"{{{ns}}}:events")
    return [{k.decode(): v.decode() for k, v in fields.items()} for _id, fields in raw]


async def test_a_channel_rate_limit_spaces_posts_in_order_without_429(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    sandbox.telegram.rate_limit = (1, 0.9)  # the sandbox refuses two posts within 0.9 s
    channel = {**TG, "rate_per_minute": 60, "burst": 1}
    config = make_config(redis_server.url, sandbox, channels=[channel])
    items = articles(4)
    async with open_app(config, env=ENV) as app:
        for article in items:
            await app.ingest.submit(article)
        await deliver_all(app, [a.id for a in items])
    calls = [c for c in sandbox.telegram.calls if c.method.lower() == "sendmessage"]
    assert [c.status for c in calls] == [200] * 4
    assert min(b.at - a.at for a, b in itertools.pairwise(calls)) >= 0.9
    # the order of claims: ingest order, but two workers may claim at the same instant
    assert sorted(p.text.split("\n")[0] for p in sandbox.telegram.posts) == [a.title for a in items]


async def test_a_429_pauses_its_chat_for_every_worker_and_no_other_chat(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    feeds = [{"id": f, "url": f"https://profit.kz/{f}.xml"} for f in ("a", "b")]
    channels = [
        {"id": "chat-a", "kind": "telegram", "chat": "@chat_aaaa", "feeds": ["a"]},
        {"id": "chat-b", "kind": "telegram", "chat": "@chat_bbbb", "feeds": ["b"]},
    ]
    config = make_config(redis_server.url, sandbox, feeds=feeds, channels=channels)
    sandbox.telegram.faults.add(Fault(kind="rate_limit", retry_after=2))
    first, second = articles(2, "a")
    (other,) = articles(1, "b")
    async with open_app(config, env=ENV) as app:
        await app.ingest.submit(first)
        stop = asyncio.Event()
        runner = asyncio.create_task(app.run(stop, poll_feeds=False))
        await asyncio.wait_for(
            _until(lambda: any(c.status == 429 for c in sandbox.telegram.calls)), 5
        )
        stop.set()
        await runner
        await app.ingest.submit(second)
        await app.ingest.submit(other)
        await deliver_all(app, [first.id, second.id, other.id])
    refused = next(c for c in sandbox.telegram.calls if c.status == 429)
    later_a = [c for c in sandbox.telegram.calls if c.chat_id == "@chat_aaaa" and c.at > refused.at]
    assert len(later_a) == 2 and min(c.at for c in later_a) - refused.at >= 2.0
    (b_call,) = [c for c in sandbox.telegram.calls if c.chat_id == "@chat_bbbb"]
    assert b_call.status == 200 and b_call.at - refused.at < 1.0


async def test_a_lost_worker_after_posting_is_reconciled_on_facebook_and_resent_on_telegram(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox, NEWSBOT_LEASE_SECONDS=1)
    article = fixture_article()
    async with open_app(config, env=ENV) as app:
        crash_after_publish(app, {"tg-main", "fb-page"})
        await app.ingest.submit(article)
        tg, fb = await deliver_all(app, [article.id])
        log = await events(app.redis, config.settings.namespace)
    assert (fb.state, fb.attempts, len(sandbox.facebook.posts)) == (State.SENT, 2, 1)
    assert fb.remote_id == sandbox.facebook.posts[0].id
    assert "reconciled: the post was there" in [h.note for h in fb.history]
    # Telegram cannot be checked: the default policy resends, one extra post at most
    assert (tg.state, tg.attempts, len(sandbox.telegram.posts)) == (State.SENT, 2, 2)
    resends = [e for e in log if e["state"] == "sent" and e["note"].startswith("resend")]
    assert len(resends) == 1 and resends[0]["channel"] == "tg-main"
    assert [e["note"] for e in log if e["state"] == "ambiguous"] == ["worker lost"] * 2


async def test_hold_policy_keeps_an_unverifiable_telegram_post_for_the_editors(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    channel = {**TG, "ambiguous": "hold"}
    config = make_config(redis_server.url, sandbox, channels=[channel], NEWSBOT_LEASE_SECONDS=1)
    article = fixture_article()
    async with open_app(config, env=ENV) as app:
        crash_after_publish(app, {"tg-main"})
        await app.ingest.submit(article)
        (tg,) = await deliver_all(app, [article.id])
    assert tg.state is State.HELD and len(sandbox.telegram.posts) == 1


async def test_a_delivery_that_keeps_losing_its_worker_fails_with_that_reason(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(
        redis_server.url, sandbox, channels=[TG], NEWSBOT_LEASE_SECONDS=1, NEWSBOT_MAX_CRASHES=2
    )
    article = fixture_article()
    async with open_app(config, env=ENV) as app:
        crash_after_publish(app, {"tg-main"}, 99)
        await app.ingest.submit(article)
        (tg,) = await deliver_all(app, [article.id])
    assert tg.state is State.FAILED and "lost 2 times" in tg.last_error


async def test_an_ambiguous_graph_answer_that_posted_is_found_not_posted_again(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    sandbox.facebook.faults.add(Fault(kind="status", status=500, code=2, method="feed", apply=True))
    config = make_config(redis_server.url, sandbox, channels=[FB])
    article = fixture_article()
    async with open_app(config, env=ENV) as app:
        await app.ingest.submit(article)
        (fb,) = await deliver_all(app, [article.id])
    assert (fb.state, len(sandbox.facebook.posts)) == (State.SENT, 1)
    assert fb.remote_id == sandbox.facebook.posts[0].id
    assert [h.state for h in fb.history][-3:] == ["queued", "sending", "sent"]
    assert fb.history[-1].note == "reconciled: the post was there"


async def test_an_ambiguous_graph_answer_that_did_not_post_posts_once(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    sandbox.facebook.faults.add(Fault(kind="reset", method="feed", apply=False))
    config = make_config(redis_server.url, sandbox, channels=[FB])
    article = fixture_article()
    async with open_app(config, env=ENV) as app:
        await app.ingest.submit(article)
        (fb,) = await deliver_all(app, [article.id])
    assert (fb.state, fb.attempts, len(sandbox.facebook.posts)) == (State.SENT, 2, 1)
    assert fb.history[-1].note == "reconciled: no post found, posting"


async def test_a_telegram_timeout_after_sending_is_held_under_the_hold_policy(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    sandbox.telegram.faults.add(Fault(kind="timeout", delay=3, apply=True))
    channel = {**TG, "ambiguous": "hold", "timeout": 0.5}
    config = make_config(redis_server.url, sandbox, channels=[channel])
    article = fixture_article()
    async with open_app(config, env=ENV) as app:
        await app.ingest.submit(article)
        (tg,) = await deliver_all(app, [article.id])
    assert tg.state is State.HELD and "ambiguous" in tg.last_error
    assert len(sandbox.telegram.posts) == 1


async def test_graph_usage_near_the_limit_pauses_the_page_for_every_worker(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    sandbox.facebook.calls_per_hour = 10  # one post = 10% of the Page's budget
    channel = {**FB, "rate_per_minute": 6000, "burst": 20}
    # one worker: with several, posts already in flight when the pause is set still land
    config = make_config(redis_server.url, sandbox, channels=[channel], NEWSBOT_WORKERS=1)
    items = articles(10)
    async with open_app(config, env=ENV) as app:
        for article in items:
            await app.ingest.submit(article)
        stop = asyncio.Event()
        runner = asyncio.create_task(app.run(stop, poll_feeds=False))
        await asyncio.wait_for(_until(lambda: len(sandbox.facebook.posts) >= 9), 10)
        await asyncio.sleep(1.0)
        ttl = await app.redis.pttl(app.store.keys.cooldown(f"fb:page:{PAGE_ID}"))
        states = [d.state for a in items for d in await app.store.deliveries(a.id)]
        stop.set()
        await runner
    assert len(sandbox.facebook.posts) == 9  # paused at 90%: the 10th waits
    assert ttl > 30_000 and states.count(State.SENT) == 9
    assert not [c for c in sandbox.facebook.calls if c.status != 200]


async def _until(predicate: Any) -> None:
    while not predicate():
        await asyncio.sleep(0.02)


async def test_a_slow_call_is_never_taken_over_while_its_worker_lives(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    """Regression (issue 14): leases were long (120 s) so that slow calls would not be
    taken over, and a dead worker's deliveries waited that long. Now a 1 s lease is
    renewed while the call runs: a 5 s call of a live worker stays its own, with
    another process's reclaimer looking every quarter second."""
    config = make_config(redis_server.url, sandbox, channels=[TG], NEWSBOT_LEASE_SECONDS=1)
    sandbox.telegram.faults.add(Fault(kind="timeout", delay=5.0, times=1))  # answers in 5 s
    article = fixture_article()
    stop = asyncio.Event()
    async with (
        open_app(config, env=ENV, consumer="proc-a") as a,
        open_app(config, env=ENV, consumer="proc-b") as b,
    ):
        await a.ingest.submit(article)
        other = asyncio.create_task(b.run(stop, poll_feeds=False))
        try:
            (tg,) = await deliver_all(a, [article.id])
        finally:
            stop.set()
            await other
        log = await events(a.redis, config.settings.namespace)
    assert (tg.state, tg.attempts, len(sandbox.telegram.posts)) == (State.SENT, 1, 1)
    assert not [e for e in log if e["state"] == "ambiguous"]
