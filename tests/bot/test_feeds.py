"""Feed parsing and polling over real HTTP, with the feed state in a real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from redis.asyncio import Redis

from bot.config import FeedConfig
from bot.ingest.feedparse import parse_feed
from bot.ingest.feeds import FeedPoller
from bot.models import Article, IngestResult
from bot.net import make_fetch_session
from bot.store import Store
from bot.store.keys import Keys
from tests.conftest import FIXTURES, FeedServer

ITEM = """<item><title>{title}</title><link>{link}</link><guid isPermaLink="false">{guid}</guid>
<pubDate>{date}</pubDate><description>Lead {title}</description></item>"""


def rss(*items: str) -> bytes:
    body = "".join(items)
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
    return f"{head}{body}</channel></rss>".encode()


def item(
    n: int, *, link: str | None = None, guid: str | None = None, title: str | None = None
) -> str:
    return ITEM.format(
        title=title if title is not None else f"Новость {n}",
        link=link if link is not None else f"https://profit.kz/news/{n}/?utm_source=rss",
        guid=guid or f"g{n}",
        date=f"Wed, 26 Nov 2025 {10 + n:02d}:00:00 +0500",
    )


def test_fixture_feed_item_becomes_the_article() -> None:
    parsed = parse_feed((FIXTURES / "profit-kz-feed.xml").read_bytes(), "profit")
    (article,) = parsed.articles
    assert parsed.skipped == []
    # the site's own spelling (trailing slash kept), tracking parameters gone
    assert article.url.endswith("svyazi/") and "utm_" not in article.url
    assert article.title.startswith("Казахстан и Туркменистан")
    assert article.lead.startswith("Особое внимание")
    assert article.image == "https://profit.kz/clients/uploads/news/2025/11/kz-tm-fiber.jpg"
    assert article.tags == ("Телеком", "Туркменистан")
    assert article.published_at is not None
    assert article.published_at.utcoffset() == timedelta(hours=5)
    assert (article.published_at.hour, article.lang, article.source) == (13, "ru", "profit")


def test_atom_feeds_are_read_too() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
    <title>t</title><entry><title>Atom news</title><link href="https://x.kz/a/1/"/>
    <id>urn:1</id><updated>2025-11-26T13:30:00+05:00</updated><summary>Lead</summary></entry></feed>"""
    (article,) = parse_feed(atom, "atom").articles
    assert (article.url, article.title, article.lead) == ("https://x.kz/a/1/", "Atom news", "Lead")
    assert article.published_at is not None and article.published_at.utcoffset() == timedelta(
        hours=5
    )


def test_a_broken_item_is_skipped_with_its_reason_and_the_rest_go_through() -> None:
    body = rss(item(1), item(2, link="", title=""), item(3, link="ftp://x/3"), item(4))
    parsed = parse_feed(body, "f")
    assert [a.title for a in parsed.articles] == ["Новость 1", "Новость 4"]
    skipped = parsed.skipped
    reasons = [reason for _item, reason in skipped]
    assert len(reasons) == 2 and "no link" in reasons[0] and "ftp://x/3" in reasons[1]


def test_the_same_article_twice_in_one_feed_is_one_article() -> None:
    body = rss(item(1), item(1, link="https://PROFIT.kz/news/1?utm_medium=x", guid="other"))
    parsed = parse_feed(body, "f")
    assert len(parsed.articles) == 1 and parsed.merged == 1


def test_articles_come_oldest_first() -> None:
    articles = parse_feed(rss(item(3), item(1), item(2)), "f").articles
    assert [a.title for a in articles] == ["Новость 1", "Новость 2", "Новость 3"]


@pytest.fixture
async def fetch_session() -> AsyncIterator[aiohttp.ClientSession]:
    session = make_fetch_session(allow_private=True, user_agent="test")
    yield session
    await session.close()


def poller_for(
    feed_server: FeedServer, redis: Redis, session: aiohttp.ClientSession, backfill: int = 0
) -> tuple[FeedPoller, Store]:
    store = Store(redis, Keys("feeds"))
    feed = FeedConfig(id="f", url=feed_server.url, backfill=backfill)  # type: ignore[arg-type]

    async def submit(article: Article, deliver: bool) -> IngestResult:
        return await store.ingest(article, ["tg"], deliver=deliver)

    poller = FeedPoller(feed, session=session, store=store, submit=submit, allow_private=True)
    return poller, store


async def test_first_poll_delivers_only_backfill_items_later_polls_deliver_new_ones(
    feed_server: FeedServer, redis: Redis, fetch_session: aiohttp.ClientSession
) -> None:
    feed_server.body = rss(item(3), item(2), item(1))
    poller, store = poller_for(feed_server, redis, fetch_session, backfill=1)
    report = await poller.poll_once()
    assert (report.new, report.known) == (1, 2)
    delivered = [aid for aid in await store.recent_article_ids() if await store.deliveries(aid)]
    assert [(await store.get_article(a)).title for a in delivered] == ["Новость 3"]  # type: ignore[union-attr]
    feed_server.body = rss(item(4), item(3), item(2), item(1))
    report = await poller.poll_once()
    assert (report.new, report.known, report.duplicates) == (1, 0, 3)


async def test_default_backfill_zero_delivers_nothing_of_the_backlog(
    feed_server: FeedServer, redis: Redis, fetch_session: aiohttp.ClientSession
) -> None:
    feed_server.body = rss(item(2), item(1))
    poller, store = poller_for(feed_server, redis, fetch_session)
    report = await poller.poll_once()
    assert (report.new, report.known) == (0, 2)
    assert await redis.xlen(store.keys.work) == 0


async def test_a_guid_that_changes_while_the_link_stays_is_not_a_new_article(
    feed_server: FeedServer, redis: Redis, fetch_session: aiohttp.ClientSession
) -> None:
    feed_server.body = rss(item(1))
    poller, _ = poller_for(feed_server, redis, fetch_session)
    await poller.poll_once()
    feed_server.body = rss(item(1, guid="changed-guid"))
    report = await poller.poll_once()
    assert (report.new, report.duplicates) == (0, 1)


async def test_conditional_get_304_costs_no_parsing(
    feed_server: FeedServer, redis: Redis, fetch_session: aiohttp.ClientSession
) -> None:
    poller, _ = poller_for(feed_server, redis, fetch_session)
    await poller.poll_once()
    report = await poller.poll_once()
    assert report.not_modified and report.status == 304 and report.new == report.duplicates == 0
    assert feed_server.requests[1]["If-None-Match"] == feed_server.etag


async def test_failures_build_an_error_streak_with_backoff_and_a_success_resets_it(
    feed_server: FeedServer, redis: Redis, fetch_session: aiohttp.ClientSession
) -> None:
    poller, store = poller_for(feed_server, redis, fetch_session)
    feed_server.status = 503
    for _ in range(3):
        report = await poller.poll_once()
    assert "HTTP 503" in report.error
    state = await redis.hgetall(store.keys.feed("f"))
    assert state[b"error_streak"] == b"3"
    assert await poller.next_delay() >= 60 * 8 * 0.9
    feed_server.status = 200
    assert not (await poller.poll_once()).error
    assert await redis.hget(store.keys.feed("f"), "error_streak") == b"0"


async def test_a_body_that_is_not_a_feed_is_a_failed_poll(
    feed_server: FeedServer, redis: Redis, fetch_session: aiohttp.ClientSession
) -> None:
    feed_server.body = b"<html><body>Maintenance</body></html>"
    poller, _ = poller_for(feed_server, redis, fetch_session)
    assert "not an RSS or Atom feed" in (await poller.poll_once()).error


async def test_a_feed_over_the_size_cap_is_refused(
    feed_server: FeedServer, redis: Redis, fetch_session: aiohttp.ClientSession
) -> None:
    feed_server.body = rss(*(item(n) for n in range(400)))
    poller, _ = poller_for(feed_server, redis, fetch_session)
    poller.feed = poller.feed.model_copy(update={"max_bytes": 4096})
    assert "byte cap" in (await poller.poll_once()).error


def test_an_item_without_a_time_zone_sorts_with_the_others_as_utc() -> None:
    body = rss(item(1), item(2)).replace(
        b"Wed, 26 Nov 2025 12:00:00 +0500", b"Wed, 26 Nov 2025 12:00:00 -0000"
    )
    articles = parse_feed(body, "f").articles
    assert [a.title for a in articles] == ["Новость 1", "Новость 2"]
    assert all(a.published_at is not None and a.published_at.tzinfo for a in articles)
