"""The product's Telegram HTML check agrees with the sandbox's port of tdlib on what
is refused, and counts what Telegram shows."""

from __future__ import annotations

import pytest

from publishers.telegram.html import measure
from sandbox.tghtml import HtmlParseError, parse_html

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
    assert m.entities >= len(parsed.entities)


@pytest.mark.parametrize("text", REFUSED)
def test_refused_text_is_refused_by_both(text: str) -> None:
    with pytest.raises(HtmlParseError):
        parse_html(text)
    assert measure(text).error


def test_entities_are_counted() -> None:
    assert measure("<b>a</b>" * 101).entities == 101
