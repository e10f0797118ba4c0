"""WebSub: the feed's hub is found in the poll's answer, subscribed to and verified; the
hub's deliveries are read like a poll (signed right, or ignored); leases are renewed;
polling slows while the hub pushes and comes back when it stops. Real Redis, the
service's own HTTP server, the site and the hub of the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
import structlog.testing
from multidict import CIMultiDict, CIMultiDictProxy
from redis.asyncio import Redis

from bot.app import App, open_app
from bot.config import FeedConfig
from bot.infra.redis_embedded import EmbeddedRedis
from bot.ingest.schedule import FeedSchedule
from bot.ingest.websub import LEASE_SECONDS, Subscriber
from bot.ingest.websubhub import Found, discover
from bot.net import FetchResult, make_fetch_session
from bot.store import Keys, Store
from sandbox import Sandbox
from tests.bot.test_pipeline import ENV
from tests.conftest import make_config

TG = {"id": "tg-main", "kind": "telegram", "chat": "@newsbot_test"}
LEAD = "Первое предложение лида. Второе предложение лида."
BODY = ["Первый абзац статьи о событии дня.", "Второй абзац с подробностями события."]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def service(
    redis_server: EmbeddedRedis,
    sb: Sandbox,
    *,
    interval: float = 3600,
    lead: bool = False,
    feed: dict[str, Any] | None = None,
    port: int | None = None,
    **settings: Any,
) -> AsyncIterator[App]:
    """The service with one feed, the site's, and a public URL the hub can reach; with
    `lead`, running as the leader (polling, renewing)."""
    port = port or free_port()
    feeds = [{"id": "site", "url": sb.site.feed_url, "interval": interval, **(feed or {})}]
    config = make_config(redis_server.url, sb, channels=[TG], feeds=feeds,
                         NEWSBOT_HTTP_PORT=port, NEWSBOT_PUBLIC_URL=f"http://127.0.0.1:{port}",
                         **settings)  # fmt: skip
    async with open_app(config, env=ENV) as app:
        if not lead:
            yield app
            return
        stop = asyncio.Event()
        task = asyncio.create_task(app.run(stop))
        try:
            yield app
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "not within the time"
        await asyncio.sleep(0.05)


async def held(app: App) -> dict[str, str]:
    raw = await app.redis.hgetall(app.store.keys.websub("site"))
    return {k.decode(): v.decode() for k, v in raw.items()}


async def subscribed(app: App, sb: Sandbox) -> dict[str, str]:
    """Poll once (the poll discovers the hub), wait for the hub's verification."""
    await app.pollers[0].poll_once()
    await sb.hub.idle()
    state = await held(app)
    assert state["state"] == "active", state
    return state


def callback(app: App, feed_id: str = "site") -> str:
    return f"http://127.0.0.1:{app.web.port}/websub/{feed_id}"


def signature(secret: str, body: bytes, method: str = "sha256") -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, getattr(hashlib, method)).hexdigest()
    return {"X-Hub-Signature": f"{method}={digest}"}


async def deliver(app: App, body: bytes, headers: dict[str, str], feed_id: str = "site") -> int:
    headers = {"Content-Type": "application/rss+xml; charset=utf-8", **headers}
    url = callback(app, feed_id)
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as r:
        return r.status


async def verify(app: App, feed_id: str = "site", **query: str) -> tuple[int, str]:
    params = {f"hub.{key}": value for key, value in query.items()}
    async with (
        aiohttp.ClientSession() as http,
        http.get(callback(app, feed_id), params=params) as r,
    ):
        return r.status, await r.text()


async def feed_body(sb: Sandbox) -> bytes:
    async with aiohttp.ClientSession() as http, http.get(sb.site.feed_url) as resp:
        return await resp.read()


def rss_polls(sb: Sandbox) -> int:
    return sum(1 for r in sb.site.requests if r.path == "/rss/")


async def test_the_first_poll_discovers_the_hub_and_the_subscription_is_verified(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    sandbox.site.add(1, "Первая новость", LEAD, BODY)
    async with service(redis_server, sandbox) as app:
        state = await subscribed(app, sandbox)
        topic = sandbox.site.feed_url
        sub = sandbox.hub.subscription(topic, callback(app))
        assert sub is not None and sub.state == "active"
        assert (state["hub"], state["topic"]) == (sandbox.hub.url, topic)
        assert sub.secret == state["secret"] and len(state["secret"]) == 64
        [verification] = sandbox.hub.verifications
        assert verification.ok and verification.lease_seconds == LEASE_SECONDS
        lease_ms = int(state["lease_until"]) - time.time() * 1000
        assert LEASE_SECONDS * 1000 - 60_000 < lease_ms <= LEASE_SECONDS * 1000
        assert int(state["renew_at"]) < int(state["lease_until"])


async def test_a_new_article_is_posted_through_the_hub_without_another_poll(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    sandbox.site.add(1, "Старая новость", LEAD, BODY)  # the backlog: remembered, not posted
    async with service(redis_server, sandbox, lead=True, NEWSBOT_FETCH_PAGES=True) as app:

        async def active() -> bool:
            return (await held(app)).get("state") == "active"

        await eventually(active)
        polls = rss_polls(sandbox)
        sandbox.site.add(2, "Новость через хаб", LEAD, BODY)  # the site pings the hub

        async def posted() -> bool:
            return any("Новость через хаб" in (p.caption or p.text or "")
                       for p in sandbox.telegram.posts)  # fmt: skip

        await eventually(posted, timeout=10)  # the poll interval is an hour
        assert sandbox.hub.delivery_count(callback=callback(app)) >= 1
        # the hub fetched the feed once for its delivery; newsbot did not poll again
        assert rss_polls(sandbox) == polls + 1
    assert [p for p in sandbox.telegram.posts if "Старая" in (p.caption or p.text or "")] == []


async def test_a_delivery_unsigned_or_signed_wrong_ingests_nothing(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    sandbox.site.add(1, "Первая новость", LEAD, BODY)
    async with service(redis_server, sandbox) as app:
        secret = (await subscribed(app, sandbox))["secret"]
        assert app.websub is not None
        known = await app.store.recent_article_ids()
        sandbox.site.auto_ping = False
        sandbox.site.add(2, "Вторая новость", LEAD, BODY)
        body = await feed_body(sandbox)
        for headers in [
            {},  # no signature
            signature("not-our-secret", body),
            signature(secret, body + b" "),  # signed, then changed on the way
            {"X-Hub-Signature": "md5=" + hashlib.md5(body).hexdigest()},
            {"X-Hub-Signature": "sha256=ÿ"},
        ]:
            assert await deliver(app, body, headers) == 202, headers
        await app.websub.idle()
        assert await app.store.recent_article_ids() == known
        assert await deliver(app, body, signature(secret, body, "sha512")) == 202
        await app.websub.idle()
        assert len(await app.store.recent_article_ids()) == len(known) + 1
        assert await deliver(app, body, signature(secret, body), feed_id="nosuchfeed") == 404
        too_big = b" " * (app.pollers[0].feed.max_bytes + 1)  # the poller's cap
        assert await deliver(app, too_big, signature(secret, too_big)) == 413


async def test_a_verification_for_a_topic_not_asked_for_is_404(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with service(redis_server, sandbox) as app:
        before = await subscribed(app, sandbox)
        topic = sandbox.site.feed_url
        other = "http://127.0.0.1:9/other-feed/"
        year = str(365 * 86400)
        ask = {"challenge": "c-123", "lease_seconds": year}
        assert (await verify(app, mode="subscribe", topic=other, **ask))[0] == 404
        # our topic, but nothing pending: nobody may stretch the lease
        assert (await verify(app, mode="subscribe", topic=topic, **ask))[0] == 404
        assert (await verify(app, mode="unsubscribe", topic=topic, challenge="c"))[0] == 404
        assert (await verify(app, mode="denied", topic=other, reason="x"))[0] == 404
        assert (await verify(app, "nosuchfeed", mode="subscribe", topic=topic, **ask))[0] == 404
        assert await held(app) == before
        # the same request while ours is pending is agreed to, challenge echoed
        await app.redis.hset(app.store.keys.websub("site"), "state", "renewing")
        assert await verify(app, mode="subscribe", topic=topic, **ask) == (200, "c-123")
        assert (await held(app))["lease_seconds"] == year


async def test_the_lease_is_renewed_before_it_ends(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    hub = sandbox.hub
    hub.min_lease, hub.max_lease = 1, 3  # whatever is asked, 3 s are granted
    async with service(redis_server, sandbox, lead=True) as app:
        mine = callback(app)

        def verified() -> list[float]:
            return [v.at for v in hub.verifications if v.callback == mine and v.ok]

        async def renewed() -> bool:
            return len(verified()) >= 2

        await eventually(renewed)
        first = verified()[0]
        assert verified()[1] < first + 3  # before the first lease ended
        await asyncio.sleep(max(0.0, first + 3.5 - time.time()))
        assert hub.active(sandbox.site.feed_url)  # past the first lease, still pushed
        assert all(v.lease_seconds == 3 for v in hub.verifications if v.callback == mine)
        assert (await held(app))["state"] in ("active", "renewing")


async def test_an_active_subscription_slows_polling(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with service(redis_server, sandbox, interval=60) as app:
        poller = app.pollers[0]
        assert 54 <= await poller.next_delay() <= 66  # nothing subscribed yet
        await subscribed(app, sandbox)
        assert 540 <= await poller.next_delay() <= 660 and poller.pushed


async def test_a_denied_subscription_leaves_polling_at_the_interval(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    sandbox.hub.denied_topics[sandbox.site.feed_url] = "this topic takes no subscribers"
    async with service(redis_server, sandbox, interval=60) as app:
        await app.pollers[0].poll_once()
        await sandbox.hub.idle()
        state = await held(app)
        assert (state["state"], state["reason"]) == ("denied", "this topic takes no subscribers")
        assert 54 <= await app.pollers[0].next_delay() <= 66
        await app.pollers[0].poll_once()  # the same hub again: not asked again for a day
        await sandbox.hub.idle()
        assert len(sandbox.hub.verifications) == 1


async def test_a_subscription_lost_while_slowed_brings_the_next_poll_within_an_interval(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with service(redis_server, sandbox, interval=1) as app:  # slowed: every 10 s
        poller, stop = app.pollers[0], asyncio.Event()
        task = asyncio.create_task(FeedSchedule(app.store, {poller.feed.id: poller}).run(stop))
        try:

            async def slowed() -> bool:
                return poller.pushed

            await eventually(slowed)
            polls = rss_polls(sandbox)
            await asyncio.sleep(2.5)
            assert rss_polls(sandbox) == polls  # pushed: no poll every second
            reason = "the publisher left this hub"
            assert (await verify(app, mode="denied", topic=sandbox.site.feed_url, reason=reason))[
                0
            ] == 200  # what the hub sends (WebSub §5.2)

            async def polled() -> bool:
                return rss_polls(sandbox) > polls

            await eventually(polled, timeout=2.5)
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)


async def test_a_feed_with_websub_off_is_only_polled(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with service(redis_server, sandbox, feed={"websub": False}) as app:
        await app.pollers[0].poll_once()
        await sandbox.hub.idle()
        assert sandbox.hub.subscriptions == {} and await held(app) == {}
        assert await deliver(app, b"<rss/>", signature("x", b"<rss/>")) == 410


async def test_a_feed_turned_off_is_unsubscribed_once(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    same = {"NEWSBOT_NAMESPACE": f"ws{time.time_ns()}", "port": free_port()}
    async with service(redis_server, sandbox, **same) as app:
        await subscribed(app, sandbox)
        mine = callback(app)
    async with service(redis_server, sandbox, lead=True, feed={"websub": False}, **same) as app:

        async def unsubscribed() -> bool:
            return (await held(app)).get("state") == "unsubscribed"

        await eventually(unsubscribed)
    sub = sandbox.hub.subscription(sandbox.site.feed_url, mine)
    assert sub is not None and sub.state == "unsubscribed"


# -- discovery and the address rules, without a hub -------------------------------------


def test_discovery_reads_the_link_headers_first_then_the_feeds_own_links() -> None:
    url = "https://news.example.kz/rss/"
    header = '<https://hub.example.com/>; rel="hub", </feed.xml>; rel=self'
    body = (b'<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
            b'<atom:link rel="self" href="https://news.example.kz/rss/?a=1&amp;b=2"/>'
            b'<atom:link rel="hub" href="https://body-hub.example.com/"/>'
            b'<item><atom:link rel="hub" href="https://evil.example.com/"/></item>'
            b"</channel></rss>")  # fmt: skip
    assert discover(url, [header], body) == Found(
        "https://hub.example.com/", "https://news.example.kz/feed.xml"
    )
    assert discover(url, [], body) == Found(
        "https://body-hub.example.com/", "https://news.example.kz/rss/?a=1&b=2"
    )
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><link rel='hub' href='/hub'/>
    <entry><link href="https://news.example.kz/a/1/"/></entry></feed>"""
    assert discover(url, [], atom) == Found("https://news.example.kz/hub", url)
    only_in_item = body.replace(b'rel="hub" href="https://body-hub', b'rel="x" href="https://b')
    assert discover(url, [], only_in_item) is None
    assert discover(url, ['<ftp://hub.example.com/>; rel="hub"'], b"") is None


@pytest.mark.parametrize(
    "hub", ["http://127.0.0.1:9/", "http://localhost/hub", "http://10.1.2.3/", "http://[::1]/"]
)
async def test_a_hub_on_a_private_network_is_refused_with_one_log_line(
    redis: Redis, hub: str
) -> None:
    store = Store(redis, Keys("websub"))
    feed = FeedConfig(id="f", url="https://news.example.kz/rss/")  # type: ignore[arg-type]
    http = make_fetch_session(allow_private=False, user_agent="test")
    subscriber = Subscriber([feed], store, http, public_url="https://bot.example.kz",
                            allow_private=False)  # fmt: skip
    headers = CIMultiDictProxy(CIMultiDict({"Link": f'<{hub}>; rel="hub"'}))
    answer = FetchResult(str(feed.url), 200, headers, b"<rss/>")
    try:
        with structlog.testing.capture_logs() as logs:
            await subscriber.discovered(feed, answer)
            await subscriber.discovered(feed, answer)  # the next poll: no second line
    finally:
        await http.close()
    refused = [e for e in logs if e["event"] == "websub hub refused"]
    assert len(refused) == 1 and "private address" in refused[0]["reason"]
    state = await subscriber.subs.get("f")
    assert (state["state"], state["hub"]) == ("refused", hub) and "secret" not in state
    assert not await subscriber.covers("f", 0)
