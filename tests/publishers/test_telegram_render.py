"""Telegram rendering: templates, escaping, length as Telegram counts it, fitting.

Telegram's view of the HTML is the sandbox's port of tdlib's parser, not ours.
"""

from __future__ import annotations

import html

import pytest

from bot.models import Article
from bot.platforms import Post
from publishers.telegram import TelegramChannel
from publishers.telegram.html import measure
from publishers.telegram.render import CAPTION_LIMIT, TEXT_LIMIT, photo_fallback, render
from sandbox.tghtml import parse_html

CHANNEL = TelegramChannel(id="tg", kind="telegram", chat="@newsbot_test")
URL = "https://profit.kz/news/1/?a=1&b=2"
IMAGE = "https://profit.kz/img/1.jpg"
SENTENCE = "Правительство одобрило программу цифровизации на 18,5 млрд тенге. "


def article(**fields: object) -> Article:
    values: dict[str, object] = {"id": "a1", "url": URL, "title": "Заголовок", "lead": "Лид."}
    values.update(fields)
    return Article(**values)  # type: ignore[arg-type]


def channel(**fields: object) -> TelegramChannel:
    values: dict[str, object] = {"id": "tg", "kind": "telegram", "chat": "@newsbot_test"}
    values.update(fields)
    return TelegramChannel(**values)  # type: ignore[arg-type]


def text_of(payload: Post) -> str:
    return str(payload.call.params.get("caption") or payload.call.params["text"])


def seen(payload: Post) -> str:
    """The post as a subscriber sees it (tdlib's parse), checked against our length."""
    parsed = parse_html(text_of(payload))
    assert len(parsed.text) == payload.length <= payload.limit
    return parsed.text


def links(payload: Post) -> list[str]:
    return [e["url"] for e in parse_html(text_of(payload)).entities if e["type"] == "text_link"]


def test_default_post_bold_title_summary_link_and_hashtags() -> None:
    payload = render(article(tags=("Туркменистан", "ВОЛС", "TNS-Plus")), CHANNEL)
    assert payload.call.params["text"] == (
        f'<b>Заголовок</b>\n\nЛид.\n\n<a href="{html.escape(URL)}">Читать далее</a>'
        "\n\n#Туркменистан #ВОЛС #TNS_Plus"
    )
    assert [e["type"] for e in parse_html(payload.call.params["text"]).entities] == [
        "bold",
        "text_link",
    ]


def test_escapes_title_summary_and_href() -> None:
    payload = render(
        article(
            title='Tom & Jerry <b>"quoted"</b>',
            lead="x < y && y > 'z'.",
            url='https://e.kz/?q="a"&b=<c>',
            image=IMAGE,
        ),
        CHANNEL,
    )
    assert "&lt;b&gt;&#34;quoted&#34;&lt;/b&gt;" in text_of(payload)
    assert links(payload) == ['https://e.kz/?q="a"&b=<c>']
    assert seen(payload) == "Tom & Jerry <b>\"quoted\"</b>\n\nx < y && y > 'z'.\n\nЧитать далее"


def test_length_counts_code_points_after_entity_parsing() -> None:
    # "🚀" is one code point (two UTF-16 units); "&" is five characters of HTML.
    payload = render(article(title="Қазақстан 🚀", lead="A & B."), CHANNEL)
    assert seen(payload) == "Қазақстан 🚀\n\nA & B.\n\nЧитать далее"


def test_photo_when_two_sentences_fit_the_caption_even_if_the_html_does_not() -> None:
    sentence = "Начало " + "& " * 200 + "конец. "  # 414 visible, 1,214 of HTML
    lead = sentence * 2
    payload = render(article(title="T", lead=lead, image=IMAGE), channel(summary_max=1000))
    assert payload.call.method == "sendPhoto"
    assert payload.call.params["photo"] == IMAGE
    assert payload.call.params["parse_mode"] == "HTML"
    assert payload.limit == CAPTION_LIMIT
    assert len(payload.call.params["caption"]) > CAPTION_LIMIT >= payload.length
    seen(payload)


def test_caption_that_would_keep_one_sentence_becomes_a_message_previewing_the_image() -> None:
    lead = "Первое предложение короткое. " + "Второе очень длинное " * 50 + "."
    payload = render(article(lead=lead, image=IMAGE), channel(summary_max=4000))
    assert payload.call.method == "sendMessage"
    assert payload.limit == TEXT_LIMIT
    assert payload.call.params["link_preview_options"] == {
        "url": IMAGE,
        "prefer_large_media": True,
        "show_above_text": True,
    }
    assert "Второе очень длинное" in seen(payload)


def test_no_image_is_a_message_previewing_the_article_below_if_configured() -> None:
    payload = render(article(), channel(preview_above_text=False))
    assert payload.call.method == "sendMessage"
    assert payload.call.params["link_preview_options"] == {
        "url": URL,
        "prefer_large_media": True,
        "show_above_text": False,
    }


def test_params_carry_chat_and_notification_and_survive_json() -> None:
    payload = render(
        article(image=IMAGE), channel(chat="-1001234567890", disable_notification=True)
    )
    assert payload.call.params["chat_id"] == "-1001234567890"
    assert payload.call.params["disable_notification"] is True
    assert Post.from_json(payload.to_json()) == payload


def test_summary_is_whole_sentences_within_summary_max() -> None:
    payload = render(article(lead=SENTENCE * 20), CHANNEL)
    summary = seen(payload).split("\n\n")[1]
    assert summary == (SENTENCE * 10).strip()  # 10 x 67 = 670 <= 700 < 737
    assert [w.code for w in payload.warnings] == ["no_image"]


def test_fit_cuts_the_summary_at_a_sentence_boundary_to_the_text_limit() -> None:
    payload = render(article(title="З" * 3000, lead=SENTENCE * 60), channel(summary_max=4000))
    summary = seen(payload).split("\n\n")[1]
    assert summary.endswith("тенге.")
    assert TEXT_LIMIT - payload.length < len(SENTENCE)
    assert summary.count("тенге.") == (TEXT_LIMIT - 3000 - 2 - 2 - 12) // len(SENTENCE)


def test_one_giant_sentence_is_cut_at_a_word_with_an_ellipsis_and_a_warning() -> None:
    payload = render(article(lead="слово " * 1000), CHANNEL)
    summary = seen(payload).split("\n\n")[1]
    assert summary.endswith("слово…")
    assert len(summary) <= CHANNEL.summary_max
    assert "summary_cut" in [w.code for w in payload.warnings]


def test_fit_never_cuts_inside_html() -> None:
    # Every character of this lead becomes an entity reference; the HTML stays whole.
    payload = render(article(lead='<&>" ' * 2000), channel(summary_max=4000))
    seen(payload)
    assert links(payload) == [URL]


def test_giant_title_is_cut_the_summary_and_hashtags_dropped_with_a_warning() -> None:
    payload = render(article(title="Очень " * 1000, lead="Лид.", image=IMAGE, tags=("a",)), CHANNEL)
    assert payload.call.method == "sendMessage"
    title, link = seen(payload).split("\n\n")
    assert title.endswith("Очень…")
    assert link == "Читать далее"
    assert links(payload) == [URL]
    dropped = [w for w in payload.warnings if w.code == "parts_dropped"]
    assert dropped and "summary, hashtags, title" in dropped[0].message
    assert "long_title" in [w.code for w in payload.warnings]


def test_hashtags_are_normalised_deduplicated_and_limited() -> None:
    tags = ("TNS-Plus", "tns plus", "ВОЛС", "5G", "2025", "#AI", "искусственный интеллект")
    payload = render(article(tags=tags), channel(hashtags=4))
    assert seen(payload).endswith("\n\n#TNS_Plus #ВОЛС #5G #AI")
    assert seen(render(article(tags=tags), channel(hashtags=0))).endswith("Читать далее")


def test_utm_parameters_are_added_to_the_link_keeping_the_pages_own() -> None:
    utm = {"utm_source": "telegram", "utm_medium": "social", "utm_campaign": "{channel}"}
    payload = render(article(url=URL + "&utm_source=rss"), channel(id="tg-main", utm=utm))
    assert links(payload) == [URL + "&utm_source=telegram&utm_medium=social&utm_campaign=tg-main"]
    assert payload.call.params["link_preview_options"]["url"] == links(payload)[0]


def test_signature_and_read_more_words_per_channel() -> None:
    payload = render(article(), channel(read_more="Толығырақ", signature="@profitkz — IT"))
    assert seen(payload) == "Заголовок\n\nЛид.\n\nТолығырақ\n\n@profitkz — IT"


def test_custom_template_is_autoescaped() -> None:
    template = '<i>{{ section }}</i> {{ title }}\n{{ summary }}\n<a href="{{ url }}">→</a>'
    payload = render(article(title="<script>", section="A&B"), channel(template=template))
    assert text_of(payload).startswith("<i>A&amp;B</i> &lt;script&gt;\n")
    assert seen(payload) == "A&B <script>\nЛид.\n→"


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("<p>{{ title }}</p>", 'Unsupported start tag "p"'),
        ("<b>{{ title }}", "Can't find end tag"),
        ("{{ title.__class__.__mro__ }}", "fails to render"),
        ("{{ titel }}", "'titel' is undefined"),
        ("{% for %}", "does not compile at line 1"),
        ("{{ '' }}", "empty post"),
    ],
)
def test_a_template_telegram_would_refuse_is_refused_when_the_config_loads(
    template: str, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem.replace("(", r"\(")):
        channel(template=template)


def test_a_template_cannot_exceed_100_entities() -> None:
    template = '{% for w in summary.split() %}<i>{{ w }}</i> {% endfor %}<a href="{{ url }}">→</a>'
    payload = render(article(lead="Слово. " * 300), channel(template=template))
    assert len(parse_html(text_of(payload)).entities) <= 100
    assert measure(text_of(payload)).entities <= 100


def test_photo_fallback_keeps_the_caption_as_text() -> None:
    payload = render(article(image=IMAGE), CHANNEL)
    params = photo_fallback(payload.call.params)
    assert params["text"] == payload.call.params["caption"]
    assert "photo" not in params
    assert "caption" not in params
    assert params["chat_id"] == "@newsbot_test"
    assert params["link_preview_options"]["prefer_large_media"] is True


@pytest.mark.parametrize("chat", ["@ab", "newsbot", "@1abc", "-100abc", "@news-bot"])
def test_chat_must_be_username_or_numeric_id(chat: str) -> None:
    with pytest.raises(ValueError, match="numeric chat id"):
        TelegramChannel(id="tg", kind="telegram", chat=chat)


def test_a_channel_denies_or_allows_hashtags() -> None:
    tagged = article(tags=("Туркменистан", "ВОЛС", "TNS-Plus"))
    denied = render(tagged, channel(hashtags_deny=("#вОЛС", "tns plus")))
    assert text_of(denied).endswith("#Туркменистан")
    allowed = render(tagged, channel(hashtags_allow=("TNS_Plus",)))
    assert text_of(allowed).endswith("#TNS_Plus")


@pytest.mark.parametrize(
    ("lang", "words"), [("kk", "Толығырақ"), ("en", "Read more"), ("ru", "Читать далее")]
)
def test_read_more_speaks_the_articles_language(lang: str, words: str) -> None:
    # Regression: every post, whatever its language, said "Читать далее".
    assert f">{words}</a>" in text_of(render(article(lang=lang), channel()))


def test_a_channel_may_set_its_own_words_or_a_table_of_them() -> None:
    assert ">Далее</a>" in text_of(render(article(lang="kk"), channel(read_more="Далее")))
    table = {"ru": "Подробнее", "kk": "Толығырақ оқу"}
    assert ">Толығырақ оқу</a>" in text_of(render(article(lang="kk"), channel(read_more=table)))
    assert ">Подробнее</a>" in text_of(render(article(lang="de"), channel(read_more=table)))
