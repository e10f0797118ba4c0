"""Telegram rendering: escaping, length as Telegram counts it, fitting the limits."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from bot.models import Article
from publishers.base import Payload
from publishers.telegram import TelegramChannel
from publishers.telegram.render import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    photo_fallback,
    render,
    shorten,
)

CHANNEL = TelegramChannel(id="tg", kind="telegram", chat="@newsbot_test")
URL = "https://profit.kz/news/1/?a=1&b=2"
IMAGE = "https://profit.kz/img/1.jpg"


class _Visible(HTMLParser):
    """Telegram's view of an HTML text: tags become entities, entities become text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in ("b", "a"), tag
        self.open.append(tag)
        if tag == "a":
            self.links.append(dict(attrs)["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        assert self.open.pop() == tag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible(markup: str) -> _Visible:
    # Telegram decodes only &lt; &gt; &amp; &quot; and numeric entities.
    assert not re.search(r"&(?!lt;|gt;|amp;|quot;|#x?[0-9a-fA-F]+;)", markup), markup
    parser = _Visible()
    parser.feed(markup)
    parser.close()
    assert parser.open == []
    return parser


def article(**fields: object) -> Article:
    values: dict[str, object] = {"id": "a1", "url": URL, "title": "Заголовок", "lead": "Лид."}
    values.update(fields)
    return Article(**values)  # type: ignore[arg-type]


def text_of(payload: Payload) -> str:
    return str(payload.params.get("caption") or payload.params["text"])


def test_escapes_title_lead_and_href() -> None:
    payload = render(
        article(
            title='Tom & Jerry <b>"quoted"</b>',
            lead="x < y && y > 'z'",
            url='https://e.kz/?q="a"&b=<c>',
            image=IMAGE,
        ),
        CHANNEL,
    )
    markup = text_of(payload)
    assert "&lt;b&gt;&quot;quoted&quot;&lt;/b&gt;" in markup
    assert 'href="https://e.kz/?q=&quot;a&quot;&amp;b=&lt;c&gt;"' in markup
    parsed = visible(markup)
    assert parsed.links == ['https://e.kz/?q="a"&b=<c>']
    expected = "Tom & Jerry <b>\"quoted\"</b>\n\nx < y && y > 'z'\n\nЧитать далее"
    assert "".join(parsed.text) == expected
    assert payload.length == len(expected)


def test_length_counts_code_points_after_entity_parsing() -> None:
    # "🚀" is one code point (two UTF-16 units); "&" is five characters of HTML.
    payload = render(article(title="Қазақстан 🚀", lead="A & B"), CHANNEL)
    assert payload.length == len("Қазақстан 🚀\n\nA & B\n\nЧитать далее")
    assert payload.length == len("".join(visible(text_of(payload)).text))


def test_photo_when_visible_text_fits_caption_even_if_html_does_not() -> None:
    lead = "&" * 990  # 990 visible, 4,950 characters of HTML
    payload = render(article(title="T", lead=lead, image=IMAGE), CHANNEL)
    assert payload.method == "sendPhoto"
    assert payload.params["photo"] == IMAGE
    assert payload.params["parse_mode"] == "HTML"
    assert payload.limit == CAPTION_LIMIT
    assert len(payload.params["caption"]) > CAPTION_LIMIT >= payload.length


def test_long_text_with_image_is_a_message_previewing_the_image() -> None:
    payload = render(article(lead="Слово. " * 200, image=IMAGE), CHANNEL)
    assert payload.method == "sendMessage"
    assert payload.limit == TEXT_LIMIT
    assert payload.params["link_preview_options"] == {
        "url": IMAGE,
        "prefer_large_media": True,
        "show_above_text": False,
    }
    assert payload.params["text"].count("Слово.") == 200  # not shortened: it fits 4096


def test_no_image_is_a_message_previewing_the_article() -> None:
    payload = render(article(), CHANNEL)
    assert payload.method == "sendMessage"
    assert payload.params["link_preview_options"]["url"] == URL
    assert payload.params["text"] == (
        f'<b>Заголовок</b>\n\nЛид.\n\n<a href="{html.escape(URL)}">Читать далее</a>'
    )


def test_params_carry_chat_and_notification_and_survive_json() -> None:
    channel = TelegramChannel(
        id="tg", kind="telegram", chat="-1001234567890", disable_notification=True
    )
    payload = render(article(image=IMAGE), channel)
    assert payload.params["chat_id"] == "-1001234567890"
    assert payload.params["disable_notification"] is True
    assert Payload.from_json(payload.to_json()) == payload


def test_fit_cuts_the_lead_at_a_sentence_boundary() -> None:
    sentence = "Правительство одобрило программу цифровизации на 18,5 млрд тенге. "
    payload = render(article(lead=sentence * 80), CHANNEL)
    text = "".join(visible(payload.params["text"]).text)
    assert payload.length == len(text) <= TEXT_LIMIT
    lead = text.split("\n\n")[1]
    assert lead.endswith("тенге.")
    assert TEXT_LIMIT - payload.length < len(sentence)


def test_fit_falls_back_to_a_word_boundary_with_an_ellipsis() -> None:
    payload = render(article(lead="слово " * 1000), CHANNEL)
    lead = "".join(visible(payload.params["text"]).text).split("\n\n")[1]
    assert lead.endswith("слово…")
    assert payload.length <= TEXT_LIMIT


def test_fit_never_cuts_inside_html() -> None:
    # Every character of this lead becomes an entity; a cut anywhere must stay whole.
    payload = render(article(lead='<&>"' * 2000), CHANNEL)
    parsed = visible(payload.params["text"])
    assert payload.length == len("".join(parsed.text)) <= TEXT_LIMIT
    assert parsed.links == [URL]


def test_giant_title_is_shortened_and_the_lead_dropped() -> None:
    payload = render(article(title="Очень " * 1000, lead="Лид.", image=IMAGE), CHANNEL)
    assert payload.method == "sendMessage"
    parsed = visible(payload.params["text"])
    text = "".join(parsed.text)
    title, link = text.split("\n\n")
    assert title.endswith("Очень…")
    assert link == "Читать далее"
    assert payload.length == len(text) <= TEXT_LIMIT
    assert parsed.links == [URL]


@pytest.mark.parametrize(
    ("text", "room", "expected"),
    [
        ("Один. Два три.", 100, "Один. Два три."),
        ("Первое предложение тут. Второе длинное предложение.", 40, "Первое предложение тут."),
        # An initial and an abbreviation are not sentence ends.
        (
            "Встречу провёл А. С. Пушкин, т. е. поэт. Дальше",
            44,
            "Встречу провёл А. С. Пушкин, т. е. поэт.",
        ),
        ("Сумма 3 млн. рублей пришла. Дальше текст", 30, "Сумма 3 млн. рублей пришла."),
        ("«Цитата.» Ещё предложение здесь", 16, "«Цитата.»"),
        ("abc defgh ijk", 10, "abc defgh…"),
        ("abc defgh ijk", 9, "abc…"),
        # A short first sentence does not stand in for a lead that nearly fits.
        ("Да. Второе предложение длинное очень", 30, "Да. Второе предложение…"),
        ("abcdefghijklmnop", 5, "abcd…"),
        ("abc", 1, ""),
    ],
)
def test_shorten(text: str, room: int, expected: str) -> None:
    assert shorten(text, room) == expected
    assert len(shorten(text, room)) <= room


def test_photo_fallback_keeps_the_caption_as_text() -> None:
    payload = render(article(image=IMAGE), CHANNEL)
    params = photo_fallback(payload.params)
    assert params["text"] == payload.params["caption"]
    assert "photo" not in params
    assert "caption" not in params
    assert params["chat_id"] == "@newsbot_test"
    assert params["link_preview_options"]["prefer_large_media"] is True


@pytest.mark.parametrize("chat", ["@ab", "newsbot", "@1abc", "-100abc", "@news-bot"])
def test_chat_must_be_username_or_numeric_id(chat: str) -> None:
    with pytest.raises(ValueError, match="numeric chat id"):
        TelegramChannel(id="tg", kind="telegram", chat=chat)
