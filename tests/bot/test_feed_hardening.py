"""Hostile feeds: what broke when newsbot was attacked from outside, pinned."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest
import structlog.testing
from redis.asyncio import Redis

from bot.app import open_app
from bot.content.guard import MAX_TAGS, MAX_TITLE_CHARS
from bot.content.warnings import article_warnings
from bot.infra.redis_embedded import EmbeddedRedis
from bot.ingest.feedparse import parse_feed
from bot.net import make_fetch_session
from sandbox import Sandbox
from tests.bot.test_feeds import item, poller_for, rss
from tests.bot.test_pipeline import ENV, fixture_article
from tests.conftest import FeedServer, make_config


def codes(article: object) -> list[str]:
    return [w.code for w in article_warnings(article)]  # type: ignore[arg-type]


def test_one_invalid_utf8_byte_does_not_garble_the_other_items() -> None:
    # Regression: feedparser re-decoded the whole document as iso-8859-2, so every
    # Cyrillic title was posted as mojibake (ĐĽĐžŃ€ĐžŃˆĐ°Ń).
    body = rss(item(1, title="Хорошая новость"), item(2, title="Плохая XX новость"))
    body = body.replace(b"XX", b"\xff\xfe")
    articles = parse_feed(body, "f").articles
    titles = {a.title for a in articles}
    assert "Хорошая новость" in titles
    [bad] = [a for a in articles if "Плохая" in a.title]
    assert bad.title == "Плохая \ufffd\ufffd новость"
    assert "bad_bytes" in codes(bad)
    assert "bad_bytes" not in codes(next(a for a in articles if a is not bad))


def test_a_feed_declared_in_windows_1251_still_reads_right() -> None:
    body = rss(item(1, title="Новость дня")).replace(
        b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="windows-1251"?>'
    )
    body = body.decode().encode("windows-1251")
    (article,) = parse_feed(body, "f").articles
    assert article.title == "Новость дня" and "bad_bytes" not in codes(article)


def test_a_4_mib_title_is_capped_at_ingest_with_a_warning() -> None:
    # Regression: a 1 MiB title stalled the event loop for 10 s and grew memory 320 MB.
    huge = "Заголовок " * (4 * 1024 * 1024 // 10)
    tags = "".join(f"<category>tag {n}</category>" for n in range(500))
    body = rss(item(1, title=huge).replace("</item>", tags + "</item>"))
    (article,) = parse_feed(body, "f").articles
    assert len(article.title) <= MAX_TITLE_CHARS + 1 and article.title.endswith("…")
    assert len(article.tags) == MAX_TAGS
    assert codes(article).count("field_capped") == 3  # title, lead, tags


@pytest.mark.parametrize(
    "link",
    [
        "http://127.0.0.1/news/1",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/x",
        "http://[::7f00:1]/x",
        "http://localhost/x",
        "http://2130706433/x",
    ],
)
def test_an_item_linking_a_private_address_is_skipped(link: str) -> None:
    parsed = parse_feed(rss(item(1), item(2, link=link)), "f")
    assert [a.title for a in parsed.articles] == ["Новость 1"]
    [(_item, reason)] = parsed.skipped
    assert "may not be posted" in reason
    assert len(parse_feed(rss(item(2, link=link)), "f", allow_private=True).articles) == 1


@pytest.mark.parametrize(
    "image",
    [
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/iam",
        "http://127.0.0.1/a.jpg",
        "http://[::1]/a.jpg",
        "http://[::ffff:10.0.0.1]/a.jpg",
    ],
)
def test_an_enclosure_or_media_content_image_is_vetted_later_not_trusted(image: str) -> None:
    enclosure = f'<enclosure url="{image}" type="image/jpeg" length="1"/>'
    media = f'<media:content url="{image}" medium="image"/>'
    for extra in (enclosure, media):
        body = rss(item(1).replace("</item>", extra + "</item>")).replace(
            b'<rss version="2.0">',
            b'<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">',
        )
        (article,) = parse_feed(body, "f").articles
        # the feed keeps what it says; bot.content.guard.vet refuses it before rendering
        assert article.image == image or image.startswith("file:")


@pytest.fixture
async def fetch_session() -> AsyncIterator[aiohttp.ClientSession]:
    session = make_fetch_session(allow_private=True, user_agent="test")
    yield session
    await session.close()


async def test_a_skipped_item_is_logged_once_not_on_every_poll(
    feed_server: FeedServer, redis: Redis, fetch_session: aiohttp.ClientSession
) -> None:
    # Regression: a skipped feed item was logged again on every poll.
    poller, _ = poller_for(feed_server, redis, fetch_session)
    with structlog.testing.capture_logs() as logs:
        for n in range(3):
            feed_server.body = rss(item(1), item(2, link=""), item(10 + n))  # new etag each poll
            report = await poller.poll_once()
            assert len(report.skipped) == 1
    skipped = [line for line in logs if line["event"] == "feed item skipped"]
    assert len(skipped) == 1 and "it has no link" in skipped[0]["reason"]


async def test_items_a_backfill_only_remembers_are_not_rendered(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    # A template that fails on one title only: rendering that article logs the failure.
    template = "{{ title if title != 'BOOM' else missing_name }} {{ url }}"
    channels = [{"id": "tg", "kind": "telegram", "chat": "@newsbot_test", "template": template}]
    config = make_config(redis_server.url, sandbox, channels=channels)
    article = replace(fixture_article(), title="BOOM")
    async with open_app(config, env=ENV) as app:
        with structlog.testing.capture_logs() as logs:
            await app.ingest.submit(article, deliver=False)
        assert not [line for line in logs if line["event"] == "rendering failed"]
        with structlog.testing.capture_logs() as logs:
            await app.ingest.submit(replace(article, id="f" * 16, url="https://profit.kz/news/2/"))
        assert [line for line in logs if line["event"] == "rendering failed"]
