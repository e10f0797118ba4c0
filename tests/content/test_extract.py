"""Extraction of an article page: the first publisher's real page, broken and
bare pages, and whatever bytes a server may send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.content.extract import PageData, extract_page
from tests.conftest import FIXTURES

PAGE = (FIXTURES / "profit-kz-article.html").read_bytes()
URL = "https://profit.kz/news/71234/kazahstan-i-turkmenistan-ukreplyayut-sotrudnichestvo-v-sfere-cifrovyh-tehnologij-i-svyazi/"
TITLE = "Казахстан и Туркменистан укрепляют сотрудничество в сфере цифровых технологий и связи"
LEAD = (
    "Особое внимание страны уделяют проекту по организации международного стыка "
    "телекоммуникационных сетей РК и Туркменистана."
)
IMAGE = "https://profit.kz/clients/uploads/news/2025/11/kz-tm-fiber.jpg"
ALMATY = timezone(timedelta(hours=5))
FIRST = "В рамках официального визита Президента Туркменистана Сердара Бердымухамедова"
LAST = "Напомним — 22 мая 2026 г. в Алматы пройдет конференция PROFIT Telecom Day"
CHROME = (
    "Цифра дня",
    "До 18,5% доведут",
    "Следите за новостями",
    "Подписывайтесь",
    "Главная",
    "© Profit.kz",
    "26 ноября 2025 13:30",
)


def flat(text: str) -> str:
    """Whitespace (the page's no-break spaces too) as single spaces, for comparing."""
    return " ".join(text.split())


def test_fixture_page_body_is_the_articles_paragraphs_without_site_chrome() -> None:
    page = extract_page(PAGE, URL, content_type="text/html; charset=utf-8")
    paragraphs = page.body.split("\n\n")
    assert len(paragraphs) == 6
    assert paragraphs[0].startswith(FIRST)
    assert "Работа в этом направлении продолжается" in page.body
    assert paragraphs[-1].startswith(LAST)
    body = flat(page.body)
    for chrome in CHROME:
        assert chrome not in body
    # title and lead are fields of their own, never repeated in the body
    assert TITLE not in body
    assert LEAD not in body


def test_fixture_page_metadata() -> None:
    page = extract_page(PAGE, URL + "?utm_source=rss")
    assert page.title == TITLE
    assert page.lead == LEAD
    assert page.image == IMAGE
    assert page.published == datetime(2025, 11, 26, 13, 30, tzinfo=ALMATY)
    assert page.published is not None and page.published.utcoffset() == timedelta(hours=5)
    assert page.updated is None
    assert page.section == "Телеком"
    assert page.tags == ("Туркменистан", "ВОЛС", "TNS-Plus")
    assert page.canonical == URL
    assert page.url == URL + "?utm_source=rss"
    assert page.lang == "ru"


def test_broken_html_of_a_truncated_download_still_gives_text_and_metadata() -> None:
    html = PAGE.decode()
    cut = html.index('<div class="tags">')
    # unclosed paragraphs, stray end tags, a bare "&" and "<", and no end of document
    broken = html[:cut].replace("</p>", "</span></td>").replace("АО\xa0«", "AT&T < АО «")
    broken += "<p>Оборв"
    page = extract_page(broken.encode(), URL)
    assert flat(page.body).startswith(FIRST)
    assert LAST in flat(page.body)
    assert "AT&T < АО «Казпочта»" in page.body
    for chrome in CHROME:
        assert chrome not in flat(page.body)
    assert (page.title, page.lead, page.image) == (TITLE, LEAD, IMAGE)
    assert page.published == datetime(2025, 11, 26, 13, 30, tzinfo=ALMATY)


ARTICLE_TEXT = "".join(
    f"<p>{p}</p>"
    for p in (
        "Национальный банк сохранил базовую ставку на прежнем уровне, сообщила пресс-служба "
        "регулятора в среду. Решение совпало с ожиданиями большинства аналитиков рынка.",
        "По оценке регулятора, инфляционное давление в экономике постепенно снижается, однако "
        "риски со стороны внешних цен и бюджетных расходов сохраняются на высоком уровне.",
        "Следующее решение по базовой ставке будет объявлено в январе следующего года, "
        "напомнили в пресс-службе Национального банка.",
    )
)


def test_page_without_open_graph_uses_meta_description_and_json_ld() -> None:
    html = f"""<html lang="kk-KZ"><head><title>Нацбанк сохранил ставку | Деловой портал</title>
    <meta name="description" content="Базовая ставка осталась на уровне 16,5% годовых.">
    <script type="application/ld+json">{{"@context": "https://schema.org",
      "@graph": [{{"@type": "WebSite", "name": "Деловой портал"}},
                 {{"@type": "NewsArticle", "datePublished": "2025-11-26T08:30:00Z",
                   "dateModified": "2025-11-26T10:00:00+00:00",
                   "articleSection": "Экономика", "keywords": "ставка, Нацбанк"}}]}}</script>
    </head><body><article><h1>Нацбанк сохранил ставку</h1>{ARTICLE_TEXT}</article></body></html>"""
    page = extract_page(html, "https://example.kz/news/1")
    assert page.title == "Нацбанк сохранил ставку"
    assert page.lead == "Базовая ставка осталась на уровне 16,5% годовых."
    assert page.body.startswith("Национальный банк сохранил базовую ставку")
    assert len(page.body.split("\n\n")) == 3
    assert page.image is None
    assert page.published == datetime(2025, 11, 26, 8, 30, tzinfo=UTC)
    assert page.updated == datetime(2025, 11, 26, 10, 0, tzinfo=UTC)
    assert (page.section, page.tags) == ("Экономика", ("ставка", "Нацбанк"))
    assert page.canonical == "https://example.kz/news/1"
    assert page.lang == "kk"


def test_json_ld_alone_gives_the_image_and_the_description() -> None:
    ld = (
        '{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Заголовок",'
        ' "description": "Лид из JSON-LD.", "datePublished": "2025-11-26T13:30:00+05:00",'
        ' "image": [{"@type": "ImageObject", "url": "https://e.kz/ld.jpg"}]}'
    )
    page = extract_page(
        f'<html><head><script type="application/ld+json">{ld}</script></head><body>'
        "<article><h1>Заголовок</h1><p>" + "Текст статьи. " * 30 + "</p></article></body></html>",
        "https://e.kz/news/1/",
    )
    assert (page.lead, page.image) == ("Лид из JSON-LD.", "https://e.kz/ld.jpg")


def test_page_with_only_markup_takes_the_lead_element_and_time_element() -> None:
    html = f"""<html><head><title>Нацбанк сохранил ставку</title></head><body>
    <header><div class="lead">Главное меню портала: новости, аналитика, события</div></header>
    <article><h1>Нацбанк сохранил ставку</h1>
    <div class="lead">Базовая ставка осталась на уровне 16,5% годовых.</div>
    <time datetime="2025-11-26T13:30:00+05:00">26 ноября</time>{ARTICLE_TEXT}</article>
    </body></html>"""
    page = extract_page(html, "https://example.kz/news/2")
    assert page.lead == "Базовая ставка осталась на уровне 16,5% годовых."
    assert page.published == datetime(2025, 11, 26, 13, 30, tzinfo=ALMATY)
    assert page.published is not None and page.published.utcoffset() == timedelta(hours=5)
    assert page.body.startswith("Национальный банк сохранил базовую ставку")


def test_cut_short_description_gives_way_to_the_lead_element() -> None:
    html = PAGE.decode().replace(
        f'property="og:description" content="{LEAD}"',
        'property="og:description" content="Особое внимание страны уделяют проекту по..."',
    )
    assert "проекту по..." in html
    assert extract_page(html, URL).lead == LEAD


def test_time_without_offset_is_read_in_the_publishers_time_zone() -> None:
    # Regression: a page stating "13:30" without a zone had no published time at all;
    # it is the publisher's wall clock (UTC unless the publisher's zone is configured).
    html = f"""<html><head><title>Ставка</title></head><body><article><h1>Ставка</h1>
    <time datetime="2025-11-26T13:30:00">26 ноября 13:30</time>{ARTICLE_TEXT}</article>
    </body></html>"""
    page = extract_page(html, "https://example.kz/news/3")
    assert page.published == datetime(2025, 11, 26, 13, 30, tzinfo=UTC)
    in_almaty = extract_page(html, "https://example.kz/news/3", timezone="Asia/Almaty")
    assert in_almaty.published == datetime(2025, 11, 26, 8, 30, tzinfo=UTC)
    assert in_almaty.published is not None and in_almaty.published.utcoffset() == timedelta(hours=5)
    assert page.body.startswith("Национальный банк")


def test_relative_image_and_canonical_are_resolved_against_the_page_url() -> None:
    html = (
        PAGE.decode()
        .replace(IMAGE, "/img/a.jpg")
        .replace('rel="canonical" href="https://profit.kz', 'rel="canonical" href="')
    )
    page = extract_page(html, "https://profit.kz/news/71234/?utm_source=rss")
    assert page.image == "https://profit.kz/img/a.jpg"
    assert page.canonical == URL


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.binary(max_size=3000), st.text(max_size=3000)))
def test_any_content_gives_page_data_and_never_raises(content: bytes | str) -> None:
    page = extract_page(content, "https://example.kz/a")
    assert isinstance(page, PageData)
    assert page.url == "https://example.kz/a"
    assert page.published is None or page.published.tzinfo is not None


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet=st.sampled_from("<>/pdiv a=\"'!-&;#x\n"), max_size=400))
def test_tag_soup_around_the_article_never_raises(soup: str) -> None:
    html = PAGE.decode()
    cut = html.index("<main>")
    page = extract_page(html[:cut] + soup + html[cut:], URL)
    assert page.title == TITLE


def test_regression_a_page_of_site_chrome_posts_the_headline_lead_and_topics_only() -> None:
    # The site's name in og:title, a byline as every description, an internal id and
    # the site's name among the tags: each went into the post before.
    tag = '<meta property="article:tag" content="{}">'
    html = (
        PAGE.decode()
        .replace(f'"og:title" content="{TITLE}"', f'"og:title" content="{TITLE} | Profit.kz"')
        .replace(f'content="{LEAD}"', 'content="Автор: Иван Петров"')
        .replace(tag.format("ВОЛС"), "".join(map(tag.format, ("ВОЛС", "5050", "Profit.kz"))))
    )
    page = extract_page(html, URL)
    assert page.title == TITLE
    assert page.lead == LEAD  # the page's lead element, the byline refused
    assert page.tags == ("Туркменистан", "ВОЛС", "TNS-Plus")
    assert page.notes == (
        ("title_suffix_removed", "Profit.kz"),
        ("tags_dropped", "5050, Profit.kz (an id, the site's name)"),
    )
    without_lead = extract_page(html.replace('<div class="lead">', "<div>"), URL)
    assert without_lead.lead.startswith(FIRST)  # the body's first paragraph
    assert ("summary_from_body", "the page's description: boilerplate") in without_lead.notes


def test_the_fixture_page_needs_no_note() -> None:
    page = extract_page(PAGE, URL)
    assert page.notes == ()
    assert not page.published_date_only
