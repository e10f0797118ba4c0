"""The site sandbox over real HTTP: article pages with the markup extractors read (in
the article's language), an RSS feed naming the hub, ETag and Last-Modified with 304s,
changes, 404 and 410, pings to the hub."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import feedparser
import lxml.html
import pytest
import trafilatura
from multidict import CIMultiDict

from sandbox import Sandbox, SiteSandbox

BODY = [
    "В рамках официального визита состоялась двусторонняя встреча министров связи двух "
    "стран. Стороны обсудили развитие цифровой экономики и электронного правительства.",
    "Особое внимание стороны уделили проекту международного стыка телекоммуникационных "
    "сетей. Проект предусматривает строительство волоконно-оптической линии связи.",
    "Для реализации проекта будет создана совместная рабочая группа, которая определит "
    "технические параметры линии и подготовит проектно-сметную документацию.",
]


@pytest.fixture
def site(sb: Sandbox) -> SiteSandbox:
    sb.site.add(
        71234,
        "Казахстан и Туркменистан укрепляют сотрудничество",
        "Страны уделяют внимание международному стыку сетей.",
        BODY,
        image="https://profit.kz/img/fiber.jpg",
        tags=["Туркменистан", "ВОЛС"],
        section="Телеком",
        published="2025-11-26T13:30:00+05:00",
    )
    return sb.site


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def get(
    http: aiohttp.ClientSession, url: str, **headers: str
) -> tuple[int, str, CIMultiDict[str]]:
    async with http.get(url, headers=headers) as resp:
        return resp.status, await resp.text(), CIMultiDict(resp.headers)


def meta(page: str) -> dict[str, Any]:
    """The page's language, canonical link and meta properties (lists for repeats)."""
    tree = lxml.html.fromstring(page)
    out: dict[str, Any] = {"lang": tree.get("lang")}
    out["canonical"] = tree.xpath("//link[@rel='canonical']/@href")[0]
    for node in tree.xpath("//meta[@property]"):
        name, value = node.get("property"), node.get("content")
        if name == "article:tag":
            out.setdefault(name, []).append(value)
        else:
            out[name] = value
    return out


async def test_an_article_page_has_what_extractors_read(
    site: SiteSandbox, http: aiohttp.ClientSession
) -> None:
    url = site.url_of(71234)
    assert (
        url == f"{site.base_url}/news/71234/kazahstan-i-turkmenistan-ukreplyayut-sotrudnichestvo/"
    )
    status, page, headers = await get(http, url)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    found = meta(page)
    assert found["lang"] == "ru" and found["canonical"] == url
    assert found["og:title"] == "Казахстан и Туркменистан укрепляют сотрудничество"
    assert found["og:description"] == "Страны уделяют внимание международному стыку сетей."
    assert found["og:image"] == "https://profit.kz/img/fiber.jpg"
    assert (found["og:locale"], found["og:url"], found["og:type"]) == ("ru_RU", url, "article")
    assert found["article:published_time"] == "2025-11-26T13:30:00+05:00"
    assert found["article:tag"] == ["Туркменистан", "ВОЛС"]
    assert found["article:section"] == "Телеком" and "article:modified_time" not in found
    assert "26 ноября 2025 13:30" in page
    text = trafilatura.extract(page) or ""
    assert all(paragraph in text for paragraph in BODY)
    # The site's chrome is not the article (the "follow us" box inside it is for the
    # project's own chrome removal).
    assert "Главная" not in text and "©" not in text


@pytest.mark.parametrize(
    ("lang", "locale", "shown"),
    [("kk", "kk_KZ", "2025 жылғы 1 желтоқсан 09:05"), ("en", "en_US", "1 December 2025 09:05")],
)
async def test_each_article_has_its_language(
    site: SiteSandbox, http: aiohttp.ClientSession, lang: str, locale: str, shown: str
) -> None:
    site.add(2, "Title", "Lead", ["Text."], lang=lang, published="2025-12-01T09:05:00+05:00")
    _, page, _ = await get(http, site.url_of(2))
    found = meta(page)
    assert (found["lang"], found["og:locale"]) == (lang, locale) and shown in page
    _, other, _ = await get(http, site.url_of(71234))
    assert meta(other)["lang"] == "ru"


async def test_a_change_changes_the_page_the_feed_and_their_etags(
    site: SiteSandbox, http: aiohttp.ClientSession
) -> None:
    url = site.url_of(71234)
    _, _, first = await get(http, url)
    etag, modified = first["ETag"], first["Last-Modified"]
    status, body, again = await get(http, url, **{"If-None-Match": etag})
    assert (status, body, again["ETag"]) == (304, "", etag)
    assert (await get(http, url, **{"If-None-Match": f'"x", W/{etag}'}))[0] == 304
    assert (await get(http, url, **{"If-None-Match": "*"}))[0] == 304
    assert (await get(http, url, **{"If-Modified-Since": modified}))[0] == 304
    _, _, feed_headers = await get(http, site.feed_url)

    site.change(
        71234,
        title="Новый заголовок",
        lead="Новый лид.",
        image="https://profit.kz/img/new.jpg",
        tags=["Связь"],
    )
    status, page, changed = await get(http, url, **{"If-None-Match": etag})
    assert status == 200 and changed["ETag"] != etag
    assert (await get(http, url, **{"If-Modified-Since": modified}))[0] == 200
    found = meta(page)
    assert (found["og:title"], found["og:description"]) == ("Новый заголовок", "Новый лид.")
    assert (found["og:image"], found["article:tag"]) == ("https://profit.kz/img/new.jpg", ["Связь"])
    assert "article:modified_time" in found and found["canonical"] == url  # the URL stays
    status, feed, now = await get(http, site.feed_url, **{"If-None-Match": feed_headers["ETag"]})
    assert status == 200 and now["ETag"] != feed_headers["ETag"]
    [entry] = feedparser.parse(feed).entries
    assert (entry.title, entry.summary, entry.link) == ("Новый заголовок", "Новый лид.", url)
    site.change(71234, image="")
    _, page, _ = await get(http, url)
    assert "og:image" not in meta(page)


async def test_removed_articles_answer_404_or_410_and_leave_the_feed(
    site: SiteSandbox, http: aiohttp.ClientSession
) -> None:
    site.add(2, "Вторая", "Лид", ["Текст."])
    gone, missing = site.url_of(71234), site.url_of(2)
    site.remove(71234, status=410)
    site.remove(2, status=404)
    assert (await get(http, gone))[0] == 410
    assert (await get(http, missing))[0] == 404
    assert (await get(http, f"{site.base_url}/news/999/"))[0] == 404
    _, feed, _ = await get(http, site.feed_url)
    assert feedparser.parse(feed).entries == []
    site.restore(71234)
    assert (await get(http, gone))[0] == 200
    with pytest.raises(ValueError, match="404 or 410"):
        site.remove(2, status=500)


async def test_the_feed_names_its_hub_and_itself(
    sb: Sandbox, site: SiteSandbox, http: aiohttp.ClientSession
) -> None:
    site.add(2, "Вторая", "Лид второй", ["Текст."], published="2025-11-27T10:00:00+05:00")
    status, feed, headers = await get(http, site.feed_url)
    assert status == 200 and headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert headers["Link"] == f'<{sb.hub.url}>; rel="hub", <{site.feed_url}>; rel="self"'
    parsed = feedparser.parse(feed)
    links = {link["rel"]: link["href"] for link in parsed.feed.links if link["rel"] != "alternate"}
    assert links == {"self": site.feed_url, "hub": sb.hub.url}
    assert [e.title for e in parsed.entries] == [
        "Вторая",
        "Казахстан и Туркменистан укрепляют сотрудничество",
    ]
    first = parsed.entries[1]
    assert [t.term for t in first.tags] == ["Туркменистан", "ВОЛС"]
    assert first.enclosures[0].href == "https://profit.kz/img/fiber.jpg"
    assert first.published == "Wed, 26 Nov 2025 13:30:00 +0500"


async def test_changes_ping_the_hub(sb: Sandbox, site: SiteSandbox) -> None:
    site.change(71234, title="Исправлено")
    site.remove(71234)
    await site.idle()
    await sb.hub.idle()
    assert [(p.topic, p.status) for p in site.pings][-2:] == [(site.feed_url, 204)] * 2
    assert all(p.topic == site.feed_url for p in sb.hub.publishes)
    site.auto_ping = False
    before = len(site.pings)
    site.change(71234, lead="Без пинга")
    await site.idle()
    assert len(site.pings) == before
    assert await site.ping_hub() == 204


async def test_a_site_without_a_hub(http: aiohttp.ClientSession) -> None:
    site = SiteSandbox(name="Solo", lang="en", promo=False)
    await site.start()
    try:
        site.add("a", "Alone", "Lead.", "First paragraph.\n\nSecond paragraph.")
        _, feed, headers = await get(http, site.feed_url)
        assert "Link" not in headers and 'rel="hub"' not in feed
        _, page, _ = await get(http, site.url_of("a"))
        assert "<p>First paragraph.</p>" in page and 'class="promo"' not in page
        with pytest.raises(RuntimeError, match="no hub_url"):
            await site.ping_hub()
    finally:
        await site.close()


async def test_control_endpoints(site: SiteSandbox, http: aiohttp.ClientSession) -> None:
    control = f"{site.base_url}/_sandbox/articles"
    article = {"id": "7", "title": "Через HTTP", "lead": "Лид", "body": ["Абзац."], "lang": "kk"}
    async with http.post(control, json=article) as resp:
        added = await resp.json()
    assert added["ok"] is True and added["url"] == site.url_of(7)
    async with http.post(control, json={"id": "7", "title": "Изменён"}) as resp:
        assert (await resp.json())["article"]["title"] == "Изменён"
    async with http.post(control, json={"id": "8"}) as resp:
        assert resp.status == 400
    async with http.delete(f"{control}/7?status=404") as resp:
        assert resp.status == 200
    assert (await get(http, site.url_of(7)))[0] == 404
    async with http.get(control) as resp:
        assert [a["id"] for a in await resp.json()] == ["71234", "7"]
    async with http.get(f"{site.base_url}/_sandbox/requests") as resp:
        assert {
            "method": "GET",
            "path": "/news/7/cherez-http/",
            "status": 404,
            "if_none_match": None,
        } in (await resp.json())
    async with http.get(f"{site.base_url}/img/fiber.png") as resp:
        assert resp.content_type == "image/png" and (await resp.read()).startswith(b"\x89PNG")
