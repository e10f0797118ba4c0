"""Articles live on after they are posted: a correction edits the posts in place (once,
never a second post), a retraction takes them down (deleted within 48 hours, replaced by
the notice after), each delivery keeps the versions it published. Real Redis, the
sandbox over real HTTP, the feed served over HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest

from bot.app import App, open_app
from bot.infra.redis_embedded import EmbeddedRedis
from bot.models import Delivery, State
from bot.platforms import Post, Publisher, Receipt
from sandbox import Sandbox
from sandbox.tgmodels import SECONDS_48H
from tests.bot.test_feeds import item, rss
from tests.bot.test_pipeline import ENV, fixture_article
from tests.conftest import PAGE_ID, FeedServer, make_config
from tests.faults import DyingPublisher, WorkerDied

TG = {"id": "tg-main", "kind": "telegram", "chat": "@newsbot_test"}
FB = {"id": "fb-page", "kind": "facebook", "page_id": PAGE_ID}


@asynccontextmanager
async def running(app: App) -> AsyncIterator[App]:
    stop = asyncio.Event()
    task = asyncio.create_task(app.run(stop, poll_feeds=False))
    try:
        yield app
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def states(
    app: App, aid: str, wanted: dict[str, State], timeout: float = 20
) -> list[Delivery]:
    deadline = time.monotonic() + timeout
    while True:
        found = await app.store.deliveries(aid)
        if {d.channel: d.state for d in found} == wanted:
            return found
        assert time.monotonic() < deadline, {d.channel: (d.state, d.last_error) for d in found}
        await asyncio.sleep(0.05)


async def test_a_title_corrected_in_the_feed_edits_both_posts_once(
    redis_server: EmbeddedRedis, sandbox: Sandbox, feed_server: FeedServer
) -> None:
    feed_server.body = rss(item(1, title="Казахстан и Туркменистан укрепляют сотрудничествo"))
    feeds = [{"id": "f", "url": feed_server.url, "backfill": 5}]
    config = make_config(redis_server.url, sandbox, feeds=feeds, channels=[TG, FB])
    async with open_app(config, env=ENV) as app, running(app):
        await app.pollers[0].poll_once()
        [aid] = await app.store.recent_article_ids()
        await states(app, aid, {"tg-main": State.SENT, "fb-page": State.SENT})
        # the newsroom fixes the Latin "o" at the end of the title
        feed_server.body = rss(item(1, title="Казахстан и Туркменистан укрепляют сотрудничество"))
        report = await app.pollers[0].poll_once()
        assert report.duplicates == 1 and report.new == 0  # an update, not a new article
        tg, fb = await states(app, aid, {"tg-main": State.SENT, "fb-page": State.SENT})
        for delivery in (tg, fb):
            assert [v.number for v in delivery.versions] == [1, 2]
            assert delivery.versions[1].by == "f" and "сотрудничество" in delivery.versions[1].text
            assert "сотрудничествo" in delivery.versions[0].text
    [tg_post] = sandbox.telegram.posts
    assert "сотрудничество" in (tg_post.text or tg_post.caption or "")
    assert len(tg_post.edits) == 1
    [fb_post] = sandbox.facebook.posts
    assert "сотрудничество" in (fb_post.message or "") and len(fb_post.edits) == 1


async def test_an_unchanged_article_edits_nothing_and_ignore_leaves_the_post(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    channels = [{**TG, "on_update": "ignore"}, FB]
    config = make_config(redis_server.url, sandbox, channels=channels)
    article = fixture_article()
    async with open_app(config, env=ENV) as app, running(app):
        await app.ingest.submit(article)
        await states(app, article.id, {"tg-main": State.SENT, "fb-page": State.SENT})
        assert (await app.ingest.submit(article)).outcome.value == "duplicate"
        await app.ingest.submit(replace(article, title=article.title + " (обновлено)"))
        tg, _fb = await states(app, article.id, {"tg-main": State.SENT, "fb-page": State.SENT})
        await asyncio.sleep(0.5)
        assert len(tg.versions) == 1  # on_update = "ignore"
    assert sandbox.telegram.posts[0].edits == []
    assert len(sandbox.facebook.posts[0].edits) == 1 and len(sandbox.facebook.posts) == 1


async def test_retract_within_48_hours_deletes_after_48_hours_replaces_by_the_notice(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox, channels=[TG, FB])
    fresh = fixture_article()
    old = replace(fresh, id="b" * 16, url="https://profit.kz/news/2/", title="Старая")
    async with open_app(config, env=ENV) as app, running(app):
        for article in (fresh, old):
            await app.ingest.submit(article)
            await states(app, article.id, {"tg-main": State.SENT, "fb-page": State.SENT})
        # the old article was posted three days ago
        aged = int((time.time() - 3 * 86400) * 1000)
        await app.redis.hset(app.store.keys.delivery(old.id, "tg-main"), "sent_at", aged)
        [old_post] = [p for p in sandbox.telegram.posts if "Старая" in (p.caption or p.text or "")]
        old_post.date -= 3 * 86400
        assert SECONDS_48H < 3 * 86400
        for article in (fresh, old):
            decisions = await app.editorial.retract(article.id, [], "@editor", "ошибка в тексте")
            assert {d.channel: d.applied for d in decisions} == {"tg-main": True, "fb-page": True}
            await states(app, article.id, {"tg-main": State.RETRACTED, "fb-page": State.RETRACTED})
        tg_old = next(d for d in await app.store.deliveries(old.id) if d.channel == "tg-main")
        assert tg_old.versions[-1].by == "retracted by @editor: ошибка в тексте"
        assert tg_old.versions[-1].text == "Материал снят с публикации."
    by_text = {(p.caption or p.text or ""): p for p in sandbox.telegram.posts}
    assert not any(p.deleted for p in by_text.values() if p is old_post)
    assert (
        old_post.caption == "Материал снят с публикации."
        or old_post.text == "Материал снят с публикации."
    )
    assert [p.deleted for p in sandbox.telegram.posts if p is not old_post] == [True]
    assert all(p.deleted for p in sandbox.facebook.posts)


async def test_a_retraction_cancels_what_has_not_been_sent(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox, channels=[{**TG, "approval": True}])
    article = fixture_article()
    async with open_app(config, env=ENV) as app:
        await app.ingest.submit(article)
        [decision] = await app.editorial.retract(article.id, [], "@editor")
        assert (decision.applied, decision.state) == (True, "cancelled")
    assert sandbox.telegram.posts == []


class DyingEdit(DyingPublisher):
    """The first edit reaches the platform, then its worker dies before the state write."""

    died = False

    async def edit(self, remote_id: str, previous: Post, new: Post) -> Receipt:
        receipt = await self.inner.edit(remote_id, previous, new)
        if not DyingEdit.died:
            DyingEdit.died = True
            raise WorkerDied
        return receipt


async def test_a_crash_between_an_edit_and_its_state_write_does_not_lose_the_edit(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox, channels=[TG], NEWSBOT_LEASE_SECONDS=1)
    article = fixture_article()
    async with open_app(config, env=ENV) as app, running(app):
        await app.ingest.submit(article)
        await states(app, article.id, {"tg-main": State.SENT})
        outlet = app.outlets["tg-main"]
        publisher: Publisher = DyingEdit(outlet.publisher, lambda *_: False)
        app.outlets["tg-main"] = replace(outlet, publisher=publisher)
        await app.ingest.submit(replace(article, title="Исправленный заголовок"))
        [tg] = await states(app, article.id, {"tg-main": State.SENT}, timeout=30)
        while len(tg.versions) < 2:  # the edit is made again once its lease has run out
            await asyncio.sleep(0.1)
            [tg] = await app.store.deliveries(article.id)
        assert DyingEdit.died and "Исправленный заголовок" in tg.versions[-1].text
    [post] = sandbox.telegram.posts  # never a second post
    assert "Исправленный заголовок" in (post.caption or post.text or "")


@pytest.mark.parametrize("channel", [TG, FB], ids=["telegram", "facebook"])
async def test_a_posted_delivery_keeps_its_first_version(
    redis_server: EmbeddedRedis, sandbox: Sandbox, channel: dict[str, Any]
) -> None:
    config = make_config(redis_server.url, sandbox, channels=[channel])
    article = fixture_article()
    async with open_app(config, env=ENV) as app, running(app):
        await app.ingest.submit(article)
        [delivery] = await states(app, article.id, {channel["id"]: State.SENT})
    [first] = delivery.versions
    assert (first.number, first.by) == (1, "published") and article.title in first.text


async def test_a_photo_that_went_out_as_text_is_corrected_as_text(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    article = fixture_article()
    assert article.image
    sandbox.telegram.unreachable_urls.add(article.image)  # sendPhoto falls back to text
    config = make_config(redis_server.url, sandbox, channels=[TG])
    async with open_app(config, env=ENV) as app, running(app):
        await app.ingest.submit(article)
        await states(app, article.id, {"tg-main": State.SENT})
        await app.ingest.submit(replace(article, title="Исправленный заголовок"))
        for _ in range(200):
            [tg] = await app.store.deliveries(article.id)
            if len(tg.versions) == 2:
                break
            await asyncio.sleep(0.05)
        assert tg.state is State.SENT and len(tg.versions) == 2 and not tg.last_error
    [post] = sandbox.telegram.posts
    assert post.photo is None and "Исправленный заголовок" in (post.text or "")
    assert len(post.edits) == 1
