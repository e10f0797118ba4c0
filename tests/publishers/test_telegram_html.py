"""The product's Telegram HTML check agrees with the sandbox's port of tdlib on what
is refused, and counts what Telegram shows."""

from __future__ import annotations

import pytest

from publishers.telegram.html import measure
from publishers.telegram.render import render
from sandbox.tgentities import count_entities, from_json
from sandbox.tghtml import HtmlParseError, parse_html
from tests.publishers.test_telegram_render import article, channel, text_of

ACCEPTED = [
    "plain text",
    "<b>bold</b> and <i>it</i> <u>u</u> <s>s</s> <tg-spoiler>x</tg-spoiler>",
    '<span class="tg-spoiler">s</span> <a href="https://e.kz/?a=1&amp;b=2">link</a>',
    "<B>upper</B> &lt;tag&gt; &amp; &quot;q&quot; &#8230; &#x1F680;",
    "a & b > c",  # a bare & or > is text
    "&nbsp; &laquo; stay literal",
    '<pre><code class="language-python">x = 1</code></pre> <blockquote>q</blockquote>',
    "<blockquote expandable>long</blockquote>",
    "🚀 Қазақстан \u200f RTL",
    '<tg-time unix="1700000000" format="wDT">вторник</tg-time> <b>x <i>y</i> z</b>',
]
REFUSED = [
    "<p>paragraph</p>",
    "<br>",
    "a < b",
    "<b>unclosed",
    "</b>",
    "<b><i>crossed</b></i>",
    '<span class="x">s</span>',
    "<div>x</div>",
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_accepted_text_is_measured_as_telegram_shows_it(text: str) -> None:
    parsed = parse_html(text)
    m = measure(text)
    assert m.error == ""
    assert m.length == len(parsed.text)
    assert m.entities == telegram_count(text)


@pytest.mark.parametrize("text", REFUSED)
def test_refused_text_is_refused_by_both(text: str) -> None:
    with pytest.raises(HtmlParseError):
        parse_html(text)
    assert measure(text).error


def telegram_count(text: str) -> int:
    """The entities Telegram counts against its 100, by the sandbox's port of tdlib."""
    return count_entities([from_json(e) for e in parse_html(text).entities])


def test_entities_are_counted() -> None:
    assert measure("<b>a</b> " * 101).entities == 101 == telegram_count("<b>a</b> " * 101)
    # Touching runs of one type are one entity to Telegram.
    assert measure("<b>a</b>" * 101).entities == 1 == telegram_count("<b>a</b>" * 101)


# Hashtags in italic, each bold with an underlined comma: 3 tags a hashtag, 5 entities.
HASHTAGS = "<i>" + " ".join(f"<b>#тег{k}</b><u>,</u>" for k in range(30)) + "</i>"
POST = '<b>Заголовок</b>\n\nЛид.\n\n<a href="https://profit.kz/news/1/">Читать далее</a>\n\n'


def test_nested_formatting_counts_entities_as_telegram_splits_them() -> None:
    # measure counted one entity a start tag: 63 for this post, under the 100 limit,
    # while TDLib 1.8.65 splits the italic at every bold and comma and sends 122, so
    # Telegram dropped 22 of them without an error. 122 is what TDLib itself gives
    # (tests/sandbox/test_tdlib_differential.py checks measure against it).
    assert measure("<b>x <i>y</i> z</b>").entities == 3
    assert measure(POST + HASHTAGS).entities == 122 == telegram_count(POST + HASHTAGS)


def test_a_template_with_nested_tags_on_30_hashtags_stays_within_100_entities() -> None:
    template = (
        '<b>{{ title }}</b>\n\n{{ summary }}\n\n<a href="{{ url }}">{{ read_more }}</a>\n\n'
        "<i>{% for tag in hashtags %}<b>{{ tag }}</b><u>,</u> {% endfor %}</i>"
    )
    tags = tuple(f"тег{k}" for k in range(30))
    payload = render(article(tags=tags), channel(template=template, hashtags=30))
    text = text_of(payload)
    # Counted one a start tag (63), the 30 hashtags fitted and Telegram dropped 22
    # entities; counted as Telegram does (122), they go and the editor is told.
    assert measure(text).entities == telegram_count(text) <= 100
    assert any("hashtags" in w.message for w in payload.warnings if w.code == "parts_dropped")
