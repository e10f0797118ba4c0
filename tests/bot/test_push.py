"""Push ingest: POST /ingest signed with HMAC, the {ns}:ingest stream, one article
whatever the source. Real HTTP to the service's own server, real Redis, the sandbox."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web

from bot.app import App, open_app
from bot.infra.redis_embedded import EmbeddedRedis
from bot.models import State
from bot.urls import article_id
from sandbox import Sandbox
from tests.bot.test_feeds import item, rss
from tests.bot.test_lifecycle import running, states
from tests.bot.test_pipeline import ENV
from tests.conftest import FIXTURES, PAGE_ID, FeedServer, make_config

SECRET = "push-secret-0123456789"
TG = {"id": "tg-main", "kind": "telegram", "chat": "@newsbot_test"}
FB = {"id": "fb-page", "kind": "facebook", "page_id": PAGE_ID}
URL = "https://profit.kz/news/1/"  # the feed's item 1 links here (tests.bot.test_feeds)


def signed(body: bytes, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if at is None else at)
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Newsbot-Timestamp": stamp, "X-Newsbot-Signature": f"sha256={digest}",
            "Content-Type": "application/json"}  # fmt: skip


@asynccontextmanager
async def service(
    redis_server: EmbeddedRedis, sandbox: Sandbox, **settings: Any
) -> AsyncIterator[App]:
    config = make_config(redis_server.url, sandbox, channels=[TG, FB], **settings)
    async with open_app(config, env=ENV) as app, running(app):
        yield app


async def post(app: App, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    url = f"http://127.0.0.1:{app.web.port}/ingest"
    async with aiohttp.ClientSession() as client, client.post(url, data=body, headers=headers) as r:
        return r.status, await r.json()


def push(**fields: Any) -> bytes:
    values = {"event": "published", "url": URL, "title": "Новость по push",
              "summary": "Первое предложение лида. Второе предложение лида."}  # fmt: skip
    values.update(fields)
    return json.dumps(values, ensure_ascii=False).encode()


async def test_a_signed_push_is_accepted_and_posted(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with service(redis_server, sandbox, NEWSBOT_INGEST_SECRET=SECRET) as app:
        body = push(tags=["Push"], breaking=True)
        status, answer = await post(app, body, signed(body))
        assert (status, answer["event"]) == (202, "published")
        await states(app, article_id(URL), {"tg-main": State.SENT, "fb-page": State.SENT})
        for _ in range(100):  # done: acknowledged, never left pending for a takeover
            pending = await app.redis.xpending(app.store.keys.ingest, "ingest")
            if pending["pending"] == 0:
                break
            await asyncio.sleep(0.05)
        assert pending["pending"] == 0
    [tg] = sandbox.telegram.posts
    assert "Новость по push" in (tg.text or tg.caption or "") and "#Push" in (tg.text or "")


async def test_a_replay_a_stale_timestamp_and_a_wrong_signature_are_refused(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with service(redis_server, sandbox, NEWSBOT_INGEST_SECRET=SECRET) as app:
        body = push()
        stale = signed(body, at=int(time.time()) - 301)  # a captured request, 5 min later
        assert (await post(app, body, stale))[0] == 401
        wrong = signed(body, secret="not-the-secret")
        assert (await post(app, body, wrong))[0] == 401
        tampered = signed(body)
        assert (await post(app, push(title="Чужой заголовок"), tampered))[0] == 401
        assert (await post(app, body, {"Content-Type": "application/json"}))[0] == 401
        assert await app.store.recent_article_ids() == []
        assert await app.redis.xlen(app.store.keys.ingest) == 0


async def test_no_secret_configured_refuses_every_push(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with service(redis_server, sandbox) as app:
        body = push()
        status, answer = await post(app, body, signed(body))
        assert status == 401 and "NEWSBOT_INGEST_SECRET" in answer["error"]


async def test_a_body_that_is_no_push_is_400_with_a_sentence(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with service(redis_server, sandbox, NEWSBOT_INGEST_SECRET=SECRET) as app:
        for body, words in [
            (b"[1, 2]", "JSON object"),
            (b"{not json", "not JSON"),
            (push(event="deleted"), "event must be one of"),
            (push(url="ftp://x/1"), "url must be"),
            (push(published_at="yesterday"), "ISO 8601"),
            (push(tags="a,b"), None),  # a comma list is read, not refused
        ]:
            status, answer = await post(app, body, signed(body))
            if words is None:
                assert status == 202
            else:
                assert status == 400 and words in answer["error"], (body, answer)


async def test_push_then_poll_of_the_same_article_is_one_article(
    redis_server: EmbeddedRedis, sandbox: Sandbox, feed_server: FeedServer
) -> None:
    feed_server.body = rss(item(1, title="Новость по push"))
    feeds = [{"id": "f", "url": feed_server.url, "backfill": 5}]
    async with service(redis_server, sandbox, NEWSBOT_INGEST_SECRET=SECRET, feeds=feeds) as app:
        body = push(url=URL + "?utm_source=cms")
        assert (await post(app, body, signed(body)))[0] == 202
        await states(app, article_id(URL), {"tg-main": State.SENT, "fb-page": State.SENT})
        report = await app.pollers[0].poll_once()
        assert report.new == 0
        assert await app.store.recent_article_ids() == [article_id(URL)]
    assert len(sandbox.telegram.posts) == 1 and len(sandbox.facebook.posts) == 1


async def test_unpublished_takes_the_article_down(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with service(redis_server, sandbox, NEWSBOT_INGEST_SECRET=SECRET) as app:
        body = push()
        await post(app, body, signed(body))
        await states(app, article_id(URL), {"tg-main": State.SENT, "fb-page": State.SENT})
        gone = push(event="unpublished")
        assert (await post(app, gone, signed(gone)))[0] == 202
        await states(app, article_id(URL), {"tg-main": State.RETRACTED, "fb-page": State.RETRACTED})
    assert sandbox.telegram.posts[0].deleted and sandbox.facebook.posts[0].deleted


async def test_a_cms_may_xadd_to_the_stream_itself(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with service(redis_server, sandbox) as app:
        fields = {"event": "published", "url": URL, "title": "Из потока", "summary": "Лид."}
        await app.redis.xadd(app.store.keys.ingest, fields)  # type: ignore[arg-type]
        await states(app, article_id(URL), {"tg-main": State.SENT, "fb-page": State.SENT})


async def test_a_push_whose_page_is_not_yet_reachable_waits_for_it(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    page = (FIXTURES / "profit-kz-article.html").read_bytes()
    served = {"ready": False}

    async def handler(_request: web.Request) -> web.Response:
        if not served["ready"]:
            return web.Response(status=404)
        return web.Response(body=page, content_type="text/html")

    site = web.Application()
    site.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(site, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/news/71234/"
    try:
        async with service(redis_server, sandbox, NEWSBOT_INGEST_SECRET=SECRET,
                           NEWSBOT_FETCH_PAGES=True) as app:  # fmt: skip
            body = json.dumps({"event": "published", "url": url}).encode()
            assert (await post(app, body, signed(body)))[0] == 202
            await asyncio.sleep(1.0)
            assert await app.store.recent_article_ids() == []  # waiting, not lost
            assert await app.redis.xlen(app.store.keys.ingest) == 1
            served["ready"] = True
            await states(app, article_id(url), {"tg-main": State.SENT, "fb-page": State.SENT},
                         timeout=20)  # fmt: skip
    finally:
        await runner.cleanup()
    assert "Туркменистан" in (sandbox.telegram.posts[0].caption or "")


async def test_a_url_only_push_then_the_feed_listing_it_edits_nothing(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    sandbox.site.auto_ping = False
    feeds = [{"id": "site", "url": sandbox.site.feed_url, "websub": False}]
    settings = {"NEWSBOT_INGEST_SECRET": SECRET, "NEWSBOT_FETCH_PAGES": True}
    async with service(redis_server, sandbox, feeds=feeds, **settings) as app:
        await app.pollers[0].poll_once()  # an empty feed: nothing to remember
        sandbox.site.add(7, "Новость сайта", "Лид новости сайта. Второе предложение.",
                         ["Первый абзац.", "Второй абзац."])  # fmt: skip
        url = sandbox.site.url_of(7)
        body = json.dumps({"event": "published", "url": url}).encode()
        assert (await post(app, body, signed(body)))[0] == 202
        aid = article_id(url)
        await states(app, aid, {"tg-main": State.SENT, "fb-page": State.SENT})
        report = await app.pollers[0].poll_once()  # the feed's own version of the article
        assert (report.new, report.duplicates) == (0, 1)
        await asyncio.sleep(0.3)
        tg, fb = await states(app, aid, {"tg-main": State.SENT, "fb-page": State.SENT})
        assert len(tg.versions) == 1 and len(fb.versions) == 1
        # and the feed's next listing is the same version again: no page fetched
        fetched = len(sandbox.site.requests)
        assert (await app.pollers[0].poll_once()).duplicates in (0, 1)
        assert [r for r in sandbox.site.requests[fetched:] if "/news/" in r.path] == []
    assert sandbox.telegram.posts[0].edits == [] and sandbox.facebook.posts[0].edits == []
