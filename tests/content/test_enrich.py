"""Enrichment over real HTTP from a local server; every failure keeps the feed's
article as it was and says why."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone

import aiohttp
import pytest
from aiohttp import web
from structlog.testing import capture_logs

from bot.content.dates import UnknownTimeZone
from bot.content.enrich import article_from_page, enrich, merge
from bot.content.extract import PageData
from bot.ingest.feedparse import parse_feed
from bot.models import Article
from bot.net import make_fetch_session
from tests.conftest import FIXTURES

PAGE = (FIXTURES / "profit-kz-article.html").read_bytes()
PATH = "/news/71234/kazahstan-i-turkmenistan/"
LEAD = (
    "Особое внимание страны уделяют проекту по организации международного стыка "
    "телекоммуникационных сетей РК и Туркменистана."
)
ALMATY = timezone(timedelta(hours=5))


@dataclass
class PageServer:
    base: str = ""
    hits: list[str] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
async def server() -> AsyncIterator[PageServer]:
    state = PageServer()

    async def handle(request: web.Request) -> web.StreamResponse:
        state.hits.append(request.path)
        html = "text/html; charset=utf-8"
        match request.path:
            case "/moved":
                raise web.HTTPFound(PATH)
            case "/slow":
                await asyncio.wait_for(state.release.wait(), 10)
                return web.Response(body=PAGE, content_type="text/html")
            case "/pdf":
                return web.Response(body=b"%PDF-1.4", content_type="application/pdf")
            case "/naive":
                naive = PAGE.replace(b"2025-11-26T13:30:00+05:00", b"2025-11-26T13:30:00")
                return web.Response(body=naive, headers={"Content-Type": html})
            case "/empty":
                body = b"<html><head><title>x</title></head><body><nav>Menu</nav></body></html>"
                return web.Response(body=body, headers={"Content-Type": html})
            case "/other-image":
                body = PAGE.replace(b"kz-tm-fiber.jpg", b"kz-tm-fiber-large.jpg")
                body = body.replace(b'<meta property="og:title" content="', b'<meta x="')
                return web.Response(body=body, headers={"Content-Type": html})
            case _ if request.path == PATH:
                return web.Response(body=PAGE, headers={"Content-Type": html})
        return web.Response(status=404, text="not found")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    state.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield state
    state.release.set()
    await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    client = make_fetch_session(allow_private=True, user_agent="newsbot-test")
    yield client
    await client.close()


def feed_article(url: str) -> Article:
    """The fixture feed's item, as ingest makes it, pointed at the local server."""
    (article,) = parse_feed((FIXTURES / "profit-kz-feed.xml").read_bytes(), "profit").articles
    assert article.body == "" and article.tags == ("Телеком", "Туркменистан")
    return replace(article, url=url)


async def test_enrichment_merges_the_page_into_the_feeds_article(
    server: PageServer, session: aiohttp.ClientSession
) -> None:
    article = feed_article(server.url(PATH))
    enriched, note = await enrich(article, session, allow_private=True)
    assert note == ""
    assert enriched.body.startswith("В рамках официального визита Президента Туркменистана")
    assert len(enriched.body.split("\n\n")) == 6
    flat = " ".join(enriched.body.split())
    for chrome in ("Цифра дня", "До 18,5% доведут", "Следите за новостями", "Подписывайтесь"):
        assert chrome not in flat
    assert enriched.lead == LEAD
    assert enriched.tags == ("Туркменистан", "ВОЛС", "TNS-Plus")
    assert (enriched.section, enriched.site_name) == ("Телеком", "Profit.kz")
    assert enriched.published_at == datetime(2025, 11, 26, 13, 30, tzinfo=ALMATY)
    assert enriched.image == "https://profit.kz/clients/uploads/news/2025/11/kz-tm-fiber.jpg"
    assert (enriched.id, enriched.url, enriched.title, enriched.source) == (
        article.id,
        article.url,
        article.title,
        article.source,
    )
    assert server.hits == [PATH]


async def test_page_values_win_and_the_feeds_title_stays(
    server: PageServer, session: aiohttp.ClientSession
) -> None:
    article = replace(
        feed_article(server.url("/other-image")),
        title="Заголовок из ленты",
        lead="Лид из ленты",
        body="Текст из ленты",
        published_at=datetime(2025, 11, 26, 9, 0, tzinfo=ALMATY),
        lang=None,
    )
    enriched, note = await enrich(article, session, allow_private=True)
    assert note == ""
    assert enriched.image == "https://profit.kz/clients/uploads/news/2025/11/kz-tm-fiber-large.jpg"
    assert enriched.title == "Заголовок из ленты"
    assert enriched.lead == LEAD
    assert enriched.body.startswith("В рамках официального визита")
    assert enriched.published_at == datetime(2025, 11, 26, 13, 30, tzinfo=ALMATY)
    assert enriched.lang == "ru"
    untitled, _ = await enrich(replace(article, title=""), session, allow_private=True)
    assert untitled.title.startswith("Казахстан и Туркменистан укрепляют сотрудничество")


async def test_redirects_are_followed(server: PageServer, session: aiohttp.ClientSession) -> None:
    enriched, note = await enrich(feed_article(server.url("/moved")), session, allow_private=True)
    assert note == ""
    assert enriched.body.startswith("В рамках официального визита")
    assert server.hits == ["/moved", PATH]


async def assert_falls_back(
    article: Article,
    session: aiohttp.ClientSession,
    note_starts: str,
    *,
    allow_private: bool,
    timeout: float = 15,
    max_bytes: int = 5_000_000,
) -> str:
    with capture_logs() as logs:
        enriched, note = await enrich(
            article, session, allow_private=allow_private, timeout=timeout, max_bytes=max_bytes
        )
    assert enriched == article  # every value as the feed gave it
    assert note.startswith(note_starts), note
    assert note.endswith(": using the feed's text")
    assert logs == [
        {
            "event": "enrichment failed",
            "log_level": "warning",
            "article_id": article.id,
            "url": article.url,
            "reason": note.removesuffix(": using the feed's text"),
        }
    ]
    return note


async def test_missing_page_falls_back(server: PageServer, session: aiohttp.ClientSession) -> None:
    note = await assert_falls_back(
        feed_article(server.url("/gone")), session, "the page answered HTTP 404", allow_private=True
    )
    assert note == "the page answered HTTP 404: using the feed's text"


async def test_slow_page_falls_back_after_the_timeout(
    server: PageServer, session: aiohttp.ClientSession
) -> None:
    started = asyncio.get_running_loop().time()
    note = await assert_falls_back(
        feed_article(server.url("/slow")),
        session,
        "the page could not be fetched (",
        allow_private=True,
        timeout=0.3,
    )
    assert "did not answer within 0.3 s" in note
    assert asyncio.get_running_loop().time() - started < 3


async def test_too_large_page_falls_back(
    server: PageServer, session: aiohttp.ClientSession
) -> None:
    note = await assert_falls_back(
        feed_article(server.url(PATH)),
        session,
        "the page could not be fetched (",
        allow_private=True,
        max_bytes=len(PAGE) - 1,
    )
    assert f"over the {len(PAGE) - 1}-byte cap" in note


async def test_private_address_is_refused_unless_allowed(server: PageServer) -> None:
    public_only = make_fetch_session(allow_private=False, user_agent="newsbot-test")
    try:
        note = await assert_falls_back(
            feed_article(server.url(PATH)),
            public_only,
            "the page could not be fetched (",
            allow_private=False,
        )
    finally:
        await public_only.close()
    assert "127.0.0.1 is a private address" in note
    assert server.hits == []  # refused before connecting


async def test_page_that_is_not_html_falls_back(
    server: PageServer, session: aiohttp.ClientSession
) -> None:
    note = await assert_falls_back(
        feed_article(server.url("/pdf")), session, "the page is not HTML", allow_private=True
    )
    assert "application/pdf" in note


async def test_page_without_article_text_falls_back(
    server: PageServer, session: aiohttp.ClientSession
) -> None:
    note = await assert_falls_back(
        feed_article(server.url("/empty")), session, "no article text", allow_private=True
    )
    assert note == "no article text was found on the page: using the feed's text"


async def test_a_page_time_without_zone_is_read_in_the_timezone_given_to_enrich(
    server: PageServer, session: aiohttp.ClientSession
) -> None:
    article = replace(feed_article(server.url("/naive")), published_at=None)
    in_utc, _ = await enrich(article, session, allow_private=True)
    assert in_utc.published_at == datetime(2025, 11, 26, 13, 30, tzinfo=UTC)
    in_almaty, _ = await enrich(article, session, allow_private=True, timezone="Asia/Almaty")
    assert in_almaty.published_at == datetime(2025, 11, 26, 13, 30, tzinfo=ALMATY)


async def test_an_unknown_timezone_is_the_operators_error_not_the_pages(
    server: PageServer, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(UnknownTimeZone):
        await enrich(
            feed_article(server.url(PATH)), session, allow_private=True, timezone="Nowhere"
        )
    assert server.hits == []


STUB = Article(id="a", url="https://e.kz/news/1", title="")


def page_data(**fields: object) -> PageData:
    values: dict[str, object] = {"url": STUB.url, "canonical": STUB.url, "body": "Текст."}
    values.update(fields)
    return PageData(**values)  # type: ignore[arg-type]


def test_the_pages_notes_come_with_the_article() -> None:
    notes = (("title_suffix_removed", "Profit.kz"), ("tags_dropped", "5050 (an id)"))
    article = article_from_page(page_data(title="Заголовок", notes=notes))
    assert article.notes == notes


def test_the_feeds_lead_wins_over_one_the_page_made_of_its_paragraphs() -> None:
    body_lead = page_data(lead="Первый абзац.", notes=(("summary_from_body", "none was given"),))
    merged = merge(replace(STUB, lead="Лид из ленты."), body_lead)
    assert (merged.lead, merged.notes) == ("Лид из ленты.", ())
    assert merge(STUB, body_lead).lead == "Первый абзац."


def test_the_feeds_time_wins_over_a_bare_date_of_the_same_day() -> None:
    feed_time = datetime(2025, 11, 26, 9, 15, tzinfo=ALMATY)
    day = page_data(published=datetime(2025, 11, 26, tzinfo=ALMATY), published_date_only=True)
    assert merge(replace(STUB, published_at=feed_time), day).published_at == feed_time
    next_day = replace(day, published=datetime(2025, 11, 27, tzinfo=ALMATY))
    assert merge(replace(STUB, published_at=feed_time), next_day).published_at == next_day.published


def test_notes_the_feed_makes_moot_are_dropped() -> None:
    notes = (("no_date", "the page states none"), ("title_suffix_removed", "Profit.kz"))
    merged = merge(replace(STUB, title="Из ленты", published_at=datetime(2025, 1, 1, tzinfo=UTC)),
                   page_data(title="Со страницы", notes=notes))  # fmt: skip
    assert merged.notes == ()


def test_the_feeds_categories_pass_the_same_rules_as_the_pages_tags() -> None:
    article = replace(STUB, tags=("Телеком", "Uncategorized", "98be933f_38cf_4a1b", "e.kz"))
    merged = merge(article, page_data())
    assert merged.tags == ("Телеком",)
    assert dict(merged.notes)["tags_dropped"].startswith("Uncategorized, 98be933f_38cf_4a1b")
