"""The service end to end: feed or editor -> Redis -> the sandbox's Telegram and Facebook,
over real HTTP, on a real Redis server."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

from aiohttp import web

from bot.app import App, open_app
from bot.config import Config
from bot.infra.redis_embedded import EmbeddedRedis
from bot.ingest.feedparse import parse_feed
from bot.models import Article, Delivery, State
from sandbox import Fault, Sandbox
from tests.conftest import FIXTURES, PAGE_ID, PAGE_TOKEN, FeedServer, make_config

ENV = {"FACEBOOK_PAGE_TOKEN": PAGE_TOKEN}


def fixture_article() -> Article:
    (article,) = parse_feed((FIXTURES / "profit-kz-feed.xml").read_bytes(), "profit").articles
    return article


async def deliver_all(app: App, article_ids: list[str], timeout: float = 20) -> list[Delivery]:
    """Run the service until every delivery of these articles has ended."""
    stop = asyncio.Event()
    runner = asyncio.create_task(app.run(stop, poll_feeds=False))
    deadline = time.monotonic() + timeout
    try:
        while True:
            found = [d for aid in article_ids for d in await app.store.deliveries(aid)]
            if found and all(d.state.is_settled for d in found):
                return found
            assert time.monotonic() < deadline, f"not finished: {found}"
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await runner


async def test_one_article_reaches_both_channels(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox)
    article = fixture_article()
    async with open_app(config, env=ENV) as app:
        result = await app.ingest.submit(article)
        assert result.channels == ("tg-main", "fb-page")
        tg, fb = await deliver_all(app, [article.id])
    assert (tg.state, fb.state) == (State.SENT, State.SENT)
    (tg_post,) = sandbox.telegram.posts
    assert tg_post.method == "sendPhoto" and tg_post.photo == article.image
    assert article.title in (tg_post.caption or "")
    assert tg.remote_id.endswith(f":{tg_post.message_id}")
    (fb_post,) = sandbox.facebook.posts
    assert fb_post.page_id == PAGE_ID and fb_post.link == article.url
    assert fb.remote_id == fb_post.id and article.title in (fb_post.message or "")


async def test_the_same_article_twice_is_posted_once(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox)
    article = fixture_article()
    async with open_app(config, env=ENV) as app:
        await app.ingest.submit(article)
        again = await app.ingest.submit(article)
        assert again.outcome.value == "duplicate"
        await deliver_all(app, [article.id])
        await app.ingest.submit(article)
        await deliver_all(app, [article.id])
    assert len(sandbox.telegram.posts) == 1 and len(sandbox.facebook.posts) == 1


async def test_a_restart_of_service_and_embedded_redis_does_not_resend(
    tmp_path: Path, sandbox: Sandbox, feed_server: FeedServer
) -> None:
    feeds = [{"id": "profit", "url": feed_server.url, "backfill": 5}]
    config = make_config("", sandbox, feeds=feeds, REDIS_URL=None, NEWSBOT_DATA_DIR=tmp_path)
    async with open_app(config, env=ENV) as app:
        report = await app.pollers[0].poll_once()
        assert report.new == 1
        await deliver_all(app, await app.store.recent_article_ids())
    assert (len(sandbox.telegram.posts), len(sandbox.facebook.posts)) == (1, 1)
    # the feed changes (so it is parsed again, not a 304) but still lists the article
    feed_server.body = feed_server.body.replace(b"</channel>", b"<!-- edited --></channel>")
    async with open_app(config, env=ENV) as app:  # a new embedded server on the same folder
        report = await app.pollers[0].poll_once()
        assert (report.status, report.new, report.duplicates) == (200, 0, 1)
        stop = asyncio.Event()
        runner = asyncio.create_task(app.run(stop, poll_feeds=False))
        await asyncio.sleep(0.5)
        stop.set()
        await runner
        (aid,) = await app.store.recent_article_ids()
        assert [d.state for d in await app.store.deliveries(aid)] == [State.SENT, State.SENT]
    assert (len(sandbox.telegram.posts), len(sandbox.facebook.posts)) == (1, 1)


async def test_429_then_success_waits_for_retry_after(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox)
    sandbox.telegram.faults.add(Fault(kind="rate_limit", retry_after=1))
    article = fixture_article()
    async with open_app(config, env=ENV) as app:
        await app.ingest.submit(article)
        tg, _fb = await deliver_all(app, [article.id])
    assert tg.state is State.SENT and tg.attempts == 2
    assert "retry after 1" in tg.last_error
    calls = [c for c in sandbox.telegram.calls if c.method.lower() == "sendphoto"]
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 1.0  # never before retry_after
    assert [h.state for h in tg.history] == [
        "queued",
        "sending",
        "retry_wait",
        "queued",
        "sending",
        "sent",
    ]


async def test_a_permanent_error_fails_at_once_with_the_platforms_message(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    sandbox.telegram.strict_chats = True  # the bot was never added to @newsbot_test
    sandbox.facebook.add_page(PAGE_ID, "another-token-of-this-page")
    config = make_config(redis_server.url, sandbox)
    article = fixture_article()
    async with open_app(config, env=ENV) as app:
        await app.ingest.submit(article)
        tg, fb = await deliver_all(app, [article.id])
    assert (tg.state, tg.attempts) == (State.FAILED, 1)
    assert "Bad Request: chat not found" in tg.last_error
    assert (fb.state, fb.attempts) == (State.FAILED, 1)
    assert "access token" in fb.last_error.lower()
    assert sandbox.telegram.posts == [] and sandbox.facebook.posts == []


async def test_a_broken_feed_item_is_skipped_and_the_good_ones_are_delivered(
    redis_server: EmbeddedRedis, sandbox: Sandbox, feed_server: FeedServer
) -> None:
    good = (FIXTURES / "profit-kz-feed.xml").read_bytes()
    broken = b"<item><title></title><description></description></item>"
    other = (
        b"<item><title>Second &amp; last</title><link>https://profit.kz/news/2/</link>"
        b"<description>Lead two.</description></item>"
    )
    feed_server.body = good.replace(b"<item>", broken + other + b"<item>", 1)
    feeds = [{"id": "profit", "url": feed_server.url, "backfill": 10}]
    config: Config = make_config(redis_server.url, sandbox, feeds=feeds)
    async with open_app(config, env=ENV) as app:
        report = await app.pollers[0].poll_once()
        assert report.new == 2 and len(report.skipped) == 1
        assert "it has no link" in report.skipped[0][1]
        deliveries = await deliver_all(app, await app.store.recent_article_ids())
    assert [d.state for d in deliveries] == [State.SENT] * 4
    assert len(sandbox.telegram.posts) == 2 and len(sandbox.facebook.posts) == 2


async def test_a_server_error_that_posted_nothing_is_retried_and_the_post_goes_out(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    sandbox.facebook.faults.add(
        Fault(kind="status", status=500, code=1, description="An unknown error occurred")
    )
    config = make_config(redis_server.url, sandbox)
    article = fixture_article()
    async with open_app(config, env=ENV) as app:
        await app.ingest.submit(article)
        _tg, fb = await deliver_all(app, [article.id])
    assert fb.state is State.SENT and fb.attempts == 2 and "ambiguous" in fb.last_error


async def test_a_server_error_after_the_post_was_made_does_not_post_twice(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    sandbox.facebook.faults.add(
        Fault(kind="status", status=500, code=2, description="Service temporarily unavailable",
              apply=True)
    )  # fmt: skip
    config = make_config(redis_server.url, sandbox)
    article = fixture_article()
    async with open_app(config, env=ENV) as app:
        await app.ingest.submit(article)
        _tg, fb = await deliver_all(app, [article.id])
    (post,) = sandbox.facebook.posts
    assert (fb.state, fb.remote_id) == (State.SENT, post.id)


async def test_the_rendering_is_stored_with_the_delivery_before_sending(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox)
    article = fixture_article()
    async with open_app(config, env=ENV) as app:
        await app.ingest.submit(article)
        tg, fb = await app.store.deliveries(article.id)
        assert tg.state is State.QUEUED and '"sendPhoto"' in tg.payload
        assert fb.state is State.QUEUED and article.url in fb.payload
        # an update before sending re-renders what has not gone out yet
        await app.ingest.submit(replace(article, title="Заголовок исправлен"))
        tg, _fb = await app.store.deliveries(article.id)
        assert "Заголовок исправлен" in tg.payload
        await deliver_all(app, [article.id])
    assert "Заголовок исправлен" in (sandbox.telegram.posts[0].caption or "")


async def test_a_new_article_is_completed_from_its_page_once(
    redis_server: EmbeddedRedis, sandbox: Sandbox, feed_server: FeedServer
) -> None:
    page = (FIXTURES / "profit-kz-article.html").read_bytes()
    hits: list[str] = []

    async def article_page(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=page, content_type="text/html", charset="utf-8")

    app_ = web.Application()
    app_.router.add_get("/news/71234/", article_page)
    runner = web.AppRunner(app_, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    link = f"http://127.0.0.1:{runner.addresses[0][1]}/news/71234/?utm_source=rss"
    # the feed item has a thin description and no image: the page has both
    feed_server.body = (
        feed_server.body.replace(b"https://profit.kz/news/71234/kazahstan-i-turkmenistan-"
                                 b"ukreplyayut-sotrudnichestvo-v-sfere-cifrovyh-tehnologij-i-"
                                 b"svyazi/?utm_source=rss&amp;utm_medium=feed", link.encode())
        .replace(b"<enclosure", b"<!-- <enclosure").replace(b'length="0"/>', b'length="0"/> -->')
        .replace("<description>О".encode(), "<description>Кратко. О".encode(), 1)
    )  # fmt: skip
    feeds = [{"id": "profit", "url": feed_server.url, "backfill": 5}]
    config = make_config(redis_server.url, sandbox, feeds=feeds, NEWSBOT_FETCH_PAGES=True)
    sandbox.telegram.faults.add(Fault(kind="rate_limit", retry_after=1))
    try:
        async with open_app(config, env=ENV) as app:
            await app.pollers[0].poll_once()
            (aid,) = await app.store.recent_article_ids()
            await deliver_all(app, [aid])
            feed_server.body += b" "  # a changed feed is parsed again: the article is known
            await app.pollers[0].poll_once()
            article = await app.store.get_article(aid)
    finally:
        await runner.cleanup()
    assert hits == ["/news/71234/"]  # fetched once: not on the retry, not on the next poll
    assert article is not None and article.image and article.image.endswith("kz-tm-fiber.jpg")
    assert article.lead.startswith("Особое внимание страны")
    assert {"ВОЛС", "TNS-Plus"} <= set(article.tags)
    assert "Цифра дня" not in article.body and "Подписывайтесь" not in article.body
    (post,) = sandbox.telegram.posts
    assert post.method == "sendPhoto" and "Особое внимание страны" in (post.caption or "")
