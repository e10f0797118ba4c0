"""The feed schedule: feeds are polled from one schedule in Redis, spread over their
interval, at most `concurrency` at a time, and a new leader carries on the old one's
schedule (a poll lost with its leader is made again after its lease)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from redis.asyncio import Redis

from bot.config import FeedConfig
from bot.ingest.feeds import FeedPoller
from bot.ingest.schedule import FeedSchedule
from bot.models import Article, IngestResult
from bot.net import make_fetch_session
from bot.store import Keys, Store, now_ms
from sandbox.serving import listen, unlisten

EMPTY_RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


class Feeds:
    """Many feeds on one local server: when each was asked for, how many at once."""

    def __init__(self) -> None:
        self.polls: dict[str, list[float]] = defaultdict(list)
        self.now = self.most = 0
        self.hang: set[str] = set()  # feeds that never answer
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.polls[name].append(time.monotonic())
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            # "hung": longer than the polls' 1 s timeout, short enough for the teardown
            await asyncio.sleep(2.5 if name in self.hang else 0.05)
        finally:
            self.now -= 1
        return web.Response(body=EMPTY_RSS, content_type="application/rss+xml")


@pytest.fixture
async def feeds() -> AsyncIterator[Feeds]:
    server = Feeds()
    app = web.Application()
    app.router.add_get("/{name}", server.handle)
    runner, server.url = await listen(app, "127.0.0.1", 0)
    yield server
    await unlisten(runner)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    fetcher = make_fetch_session(allow_private=True, user_agent="test")
    yield fetcher
    await fetcher.close()


def pollers(
    feeds: Feeds,
    store: Store,
    session: aiohttp.ClientSession,
    count: int,
    interval: float,
    timeout: float = 20.0,
) -> dict[str, FeedPoller]:
    async def submit(article: Article, deliver: bool) -> IngestResult:
        return await store.ingest(article, [], deliver=deliver)

    made = {}
    for n in range(count):
        feed = FeedConfig(id=f"f{n}", url=f"{feeds.url}/f{n}", interval=interval, timeout=timeout)  # type: ignore[arg-type]
        made[feed.id] = FeedPoller(
            feed, session=session, store=store, submit=submit, allow_private=True
        )
    return made


async def lead_for(schedule: FeedSchedule, seconds: float) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(schedule.run(stop))
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait_for(task, 10)


async def test_feeds_new_to_the_schedule_are_spread_not_fired_together(redis: Redis) -> None:
    store = Store(redis, Keys("sched-spread"))
    many = {f"f{n}": n for n in range(200)}
    fake = {
        feed_id: FeedPoller(
            FeedConfig(id=feed_id, url="http://127.0.0.1:9/", interval=60),  # type: ignore[arg-type]
            session=None,  # type: ignore[arg-type]  # never polled here
            store=store,
            submit=None,  # type: ignore[arg-type]
            allow_private=True,
        )
        for feed_id in many
    }
    before = now_ms()
    await FeedSchedule(store, fake).sync()
    due = dict(await redis.zrange(store.keys.feeds_due, 0, -1, withscores=True))
    assert len(due) == 200
    times = sorted(due.values())
    # 200 feeds at 50 first polls a second: spread over 4 s, not all at once
    assert before <= times[0] and times[-1] <= before + 4000 + 50
    assert len(set(times)) > 150
    assert times[-1] - times[0] > 2000


async def test_a_feed_removed_from_the_config_leaves_the_schedule(redis: Redis) -> None:
    store = Store(redis, Keys("sched-drop"))
    await store.feeds.reschedule({"gone": now_ms(), "kept": now_ms()})
    fake = {
        "kept": FeedPoller(
            FeedConfig(id="kept", url="http://127.0.0.1:9/"),  # type: ignore[arg-type]
            session=None,  # type: ignore[arg-type]
            store=store,
            submit=None,  # type: ignore[arg-type]
            allow_private=True,
        )
    }
    await FeedSchedule(store, fake).sync()
    assert await store.feeds.scheduled() == {"kept"}


async def test_polls_are_bounded_by_the_concurrency_and_every_feed_is_polled(
    feeds: Feeds, redis: Redis, session: aiohttp.ClientSession
) -> None:
    store = Store(redis, Keys("sched-bound"))
    schedule = FeedSchedule(store, pollers(feeds, store, session, 40, 60), concurrency=4)
    await lead_for(schedule, 2.5)
    assert {f"f{n}" for n in range(40)} <= set(feeds.polls)
    assert feeds.most <= 4


async def test_a_new_leader_carries_on_the_old_ones_schedule(
    feeds: Feeds, redis: Redis, session: aiohttp.ClientSession
) -> None:
    store = Store(redis, Keys("sched-handover"))
    first = FeedSchedule(store, pollers(feeds, store, session, 10, 2))
    await lead_for(first, 3.0)
    counts = {name: len(times) for name, times in feeds.polls.items()}
    # another process leads now: the same schedule, nothing polled again at once
    second = FeedSchedule(store, pollers(feeds, store, session, 10, 2))
    await lead_for(second, 3.0)
    for name, times in feeds.polls.items():
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert all(g > 2 * 0.9 - 0.2 for g in gaps), (name, gaps)
        assert len(times) > counts[name]  # the second leader polled it too


async def test_a_poll_lost_with_its_leader_is_made_again_after_its_lease(
    feeds: Feeds, redis: Redis, session: aiohttp.ClientSession
) -> None:
    store = Store(redis, Keys("sched-lost"))
    feeds.hang.add("f0")
    # a 600 s interval, a 1 s poll timeout: the poll's lease is 1 + 0.5 s
    first = FeedSchedule(store, pollers(feeds, store, session, 1, 600, timeout=1), lease_margin=0.5)
    task = asyncio.create_task(first.run(asyncio.Event()))
    while not feeds.polls["f0"]:
        await asyncio.sleep(0.02)
    task.cancel()  # the leader dies mid-poll: nobody reschedules the feed
    await asyncio.gather(task, return_exceptions=True)
    feeds.hang.clear()
    second = FeedSchedule(
        store, pollers(feeds, store, session, 1, 600, timeout=1), lease_margin=0.5
    )
    await lead_for(second, 3.5)
    first_poll, again = feeds.polls["f0"][:2]
    assert 1.4 <= again - first_poll <= 3.0  # after the lease, not 600 s later
