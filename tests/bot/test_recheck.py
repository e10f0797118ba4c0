"""Pages that go away (bot/ingest/recheck.py): the publisher's site in the sandbox serves
the article's page over real HTTP, real Redis keeps what was seen, the platforms are the
sandbox's."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.app import open_app
from bot.events import EventType
from bot.infra.redis_embedded import EmbeddedRedis
from bot.models import Article
from bot.states import State
from bot.store import Store
from bot.urls import article_id
from sandbox import Sandbox
from tests.bot.test_lifecycle import FB, TG, running, states
from tests.bot.test_pipeline import ENV, fixture_article
from tests.conftest import make_config


def site_article(sandbox: Sandbox, n: int) -> Article:
    sandbox.site.add(n, f"Статья {n}", "Короткий лид статьи.", ["Первый абзац.", "Второй."])
    url = sandbox.site.url_of(n)
    return replace(fixture_article(), id=article_id(url), url=url, title=f"Статья {n}")


async def gone_events(store: Store) -> list[str]:
    events = await store.events.recent(50)
    return [e.article_id for e in events if e.type is EventType.ARTICLE_GONE]


async def test_a_page_answering_410_is_gone_at_once_and_the_editors_are_told_once(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox, channels=[TG, FB])
    kept, removed = site_article(sandbox, 1), site_article(sandbox, 2)
    async with open_app(config, env=ENV) as app, running(app):
        for a in (kept, removed):
            await app.ingest.submit(a)
            await states(app, a.id, {"tg-main": State.SENT, "fb-page": State.SENT})
        assert await app.recheck.check_round() == []
        sandbox.site.remove(2, status=410)
        assert await app.recheck.check_round() == [removed.id]
        assert await app.recheck.check_round() == []  # told once
        assert await gone_events(app.store) == [removed.id]
        # nothing retracted by itself: the editors decide (the alert's Retract button)
        await states(app, removed.id, {"tg-main": State.SENT, "fb-page": State.SENT})
    assert len([p for p in sandbox.telegram.posts if not p.deleted]) == 2


async def test_a_404_counts_only_when_it_is_still_there_later(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox, channels=[TG])
    a = site_article(sandbox, 3)
    async with open_app(config, env=ENV) as app, running(app):
        app.recheck.confirm_ms = 300
        await app.ingest.submit(a)
        await states(app, a.id, {"tg-main": State.SENT})
        sandbox.site.remove(3, status=404)
        assert await app.recheck.check_round() == []  # a first 404: maybe a deploy
        sandbox.site.restore(3)
        await app.recheck.check_round()  # back: the 404 is forgotten
        sandbox.site.remove(3, status=404)
        await asyncio.sleep(0.4)
        assert await app.recheck.check_round() == []  # a new first 404, not the old one
        await asyncio.sleep(0.4)
        assert await app.recheck.check_round() == [a.id]
        assert await app.store.pages.gone(a.id) == "404"


async def test_auto_retract_takes_the_post_down_and_asks_only_for_the_others(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox, channels=[{**TG, "auto_retract": True}, FB])
    a = site_article(sandbox, 4)
    async with open_app(config, env=ENV) as app, running(app):
        await app.ingest.submit(a)
        await states(app, a.id, {"tg-main": State.SENT, "fb-page": State.SENT})
        sandbox.site.remove(4, status=410)
        assert await app.recheck.check_round() == [a.id]
        await states(app, a.id, {"tg-main": State.RETRACTED, "fb-page": State.SENT})
        assert await gone_events(app.store) == [a.id]  # for fb-page
    [post] = sandbox.telegram.posts
    assert post.deleted


async def test_old_posts_and_off_channels_are_not_checked(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    config = make_config(redis_server.url, sandbox, channels=[{**TG, "recheck_hours": 0}])
    a = site_article(sandbox, 5)
    async with open_app(config, env=ENV) as app, running(app):
        await app.ingest.submit(a)
        await states(app, a.id, {"tg-main": State.SENT})
        sandbox.site.remove(5, status=410)
        before = len(sandbox.site.requests)
        assert await app.recheck.check_round() == []
        assert len(sandbox.site.requests) == before  # not even fetched
