"""Promo and boxes inside the article's own markup, where trafilatura keeps them."""

from __future__ import annotations

import pytest

from bot.content.chrome import is_promo
from bot.content.extract import extract_page
from tests.conftest import FIXTURES

PAGE = (FIXTURES / "profit-kz-article.html").read_text(encoding="utf-8")
URL = "https://profit.kz/news/71234/"
ANCHOR = "<p>Работа в\xa0этом"  # the fifth paragraph of the article's text
FIGURE = "До 18,5% доведут долю e-commerce в общем объеме розничной торговли"
KEPT = "Работа в этом направлении продолжается"


def with_inside_text(markup: str) -> str:
    assert ANCHOR in PAGE
    return PAGE.replace(ANCHOR, markup + ANCHOR)


def body_of(html: str) -> str:
    return " ".join(extract_page(html, URL).body.split())


def test_promo_paragraphs_inside_the_article_text_are_dropped() -> None:
    body = body_of(
        with_inside_text(
            "<p>Подписывайтесь на\xa0каналы Profit.kz в\xa0Facebook и\xa0Telegram.</p>"
            "<p>Следите за новостями</p><p>Читайте также: <a href='/news/1/'>Другое</a></p>"
        )
    )
    assert "Подписывайтесь" not in body
    assert "Следите за новостями" not in body
    assert "Читайте также" not in body
    assert KEPT in body


@pytest.mark.parametrize(
    "box",
    [
        f"<div><b>Цифра дня</b><p>{FIGURE}</p></div>",
        f"<p><b>Цифра дня</b></p><p>{FIGURE}</p>",  # a bare label heads the block after it
        f"<div><h3>Читайте также:</h3><ul><li><a href='/n/1'>{FIGURE}</a></li></ul></div>",
    ],
)
def test_labelled_box_inside_the_article_text_goes_with_its_content(box: str) -> None:
    body = body_of(with_inside_text(box))
    assert "Цифра дня" not in body
    assert "Читайте также" not in body
    assert "18,5%" not in body
    assert KEPT in body
    assert len(body) > 2500  # the rest of the article is there


def test_regression_a_short_article_around_a_box_label_is_not_taken_for_the_box() -> None:
    text = (
        "Национальный банк сохранил базовую ставку на прежнем уровне, сообщила пресс-служба "
        "регулятора в среду. Решение совпало с ожиданиями большинства аналитиков рынка, "
        "которые не ждали изменений до конца года, и было принято единогласно."
    )
    html = (
        "<html><body><div class='content'><h1>Нацбанк сохранил ставку</h1>"
        f"<span>Реклама</span><p>{text}</p></div></body></html>"
    )
    assert len(text) > 200
    page = extract_page(html, "https://example.kz/n/1")
    assert page.body == text


@pytest.mark.parametrize(
    "line",
    [
        "Подписывайтесь на каналы Profit.kz в Facebook и Telegram.",
        "Подписывайтесь\xa0на\xa0каналы Profit.kz в\xa0Facebook и\xa0Telegram.",
        "Следите за нашими новостями в Telegram",
        "Цифра дня",
        "ЦИФРА ДНЯ:",
        "Читайте также: Казахстан и Туркменистан",
        "Follow us on Facebook",
        "Follow Profit.kz on Facebook and Telegram.",
        "Profit.kz арналарына Facebook пен Telegram-да жазылыңыз.",
        "Сондай-ақ оқыңыз: Қазақстан мен Түрікменстан",
    ],
)
def test_promo_lines(line: str) -> None:
    assert is_promo(line)


@pytest.mark.parametrize(
    "line",
    [
        "Особое внимание страны уделяют проекту по организации международного стыка.",
        "Аналитики советуют инвесторам: «Следите за новостями регулятора».",
        "Цифра дня оказалась выше ожиданий аналитиков.",
        "Жазылушылар саны бір жылда екі есеге өсті, деп хабарлады компания.",
        # an article sentence that opens like a call to action, but is long
        "Подписывайтесь на рассылки осторожно: по данным регулятора, в этом году число "
        "мошеннических писем от имени банков выросло вдвое, а средняя сумма ущерба от одной "
        "такой атаки превысила двести тысяч тенге, сообщили в пресс-службе агентства.",
    ],
)
def test_article_sentences_are_not_promo(line: str) -> None:
    assert not is_promo(line)
