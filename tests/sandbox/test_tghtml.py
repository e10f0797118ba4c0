"""The HTML parse mode against tdlib's parse_html rules and error texts."""

from __future__ import annotations

import pytest

from sandbox.tghtml import HtmlParseError, code_points, parse_entities, parse_html, utf16_len

PREFIX = "Bad Request: can't parse entities: "
RU = "Привет, мир! "  # 13 characters, 22 bytes in UTF-8


def error_of(html: str) -> str:
    with pytest.raises(HtmlParseError) as info:
        parse_html(html)
    return info.value.description


def test_simple_tags_become_entities_with_utf16_offsets() -> None:
    parsed = parse_html(
        "😀 <b>жирный <i>курсив</i></b> <u>u</u> <s>s</s> <tg-spoiler>x</tg-spoiler>"
    )
    assert parsed.text == "😀 жирный курсив u s x"
    # TDLib splits the bold where the italic starts (its split_entities); the sandbox
    # used to keep one bold over both words.
    assert parsed.entities == [
        {"offset": 3, "length": 7, "type": "bold"},
        {"offset": 10, "length": 6, "type": "bold"},
        {"offset": 10, "length": 6, "type": "italic"},
        {"offset": 17, "length": 1, "type": "underline"},
        {"offset": 19, "length": 1, "type": "strikethrough"},
        {"offset": 21, "length": 1, "type": "spoiler"},
    ]


def test_tag_names_are_case_insensitive_and_aliases_map_to_one_type() -> None:
    parsed = parse_html("<STRONG>a</STRONG><em>b</em><ins>c</ins><del>d</del><strike>e</strike>")
    assert [e["type"] for e in parsed.entities] == [
        "bold",
        "italic",
        "underline",
        "strikethrough",
    ]
    assert parsed.entities[-1] == {"offset": 3, "length": 2, "type": "strikethrough"}


def test_only_four_named_entities_and_numeric_ones_are_decoded() -> None:
    parsed = parse_html("&lt;a&gt; &amp; &quot; &#1044; &#x41f; &nbsp; &copy; AT&T 1 > 0")
    assert parsed.text == '<a> & " Д П &nbsp; &copy; AT&T 1 > 0'


def test_links_pre_code_blockquote_and_custom_emoji() -> None:
    html = (
        '<a href="https://example.com/a?b=1&amp;c=2">link</a> '
        '<pre><code class="language-python">x = 1</code></pre>'
        '<code>y</code><blockquote expandable>q</blockquote><span class="tg-spoiler">s</span>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    parsed = parse_html(html)
    assert parsed.entities == [
        {"offset": 0, "length": 4, "type": "text_link", "url": "https://example.com/a?b=1&c=2"},
        {"offset": 5, "length": 5, "type": "pre", "language": "python"},
        {"offset": 10, "length": 1, "type": "code"},
        {"offset": 11, "length": 1, "type": "expandable_blockquote"},
        {"offset": 12, "length": 1, "type": "spoiler"},
        {
            "offset": 13,
            "length": 2,
            "type": "custom_emoji",
            "custom_emoji_id": "5368324170671202286",
        },
    ]


def test_nested_links_and_blockquotes_keep_only_the_outer_one() -> None:
    parsed = parse_html(
        '<a href="https://a.kz">x<a href="https://b.kz">y</a></a>'
        "<blockquote>q<blockquote>r</blockquote></blockquote>"
    )
    assert parsed.entities == [
        {"offset": 0, "length": 2, "type": "text_link", "url": "https://a.kz/"},
        {"offset": 2, "length": 2, "type": "blockquote"},
    ]


def test_spaces_and_newlines_are_trimmed_but_not_past_the_first_entity() -> None:
    parsed = parse_html("  \n <b> жирный </b>\n\n ")
    assert parsed.text == " жирный"
    assert parsed.entities == [{"offset": 0, "length": 7, "type": "bold"}]


@pytest.mark.parametrize(
    ("html", "message"),
    [
        (RU + "<p>x</p>", 'Unsupported start tag "p" at byte offset 22'),
        (RU + "a < b", 'Unsupported start tag "" at byte offset 24'),
        (RU + "<b", "Unclosed start tag at byte offset 22"),
        (RU + "</b>", "Unexpected end tag at byte offset 22"),
        (RU + "<b>x</i>", 'Unmatched end tag at byte offset 26, expected "</b>", found "</i>"'),
        (RU + "<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        (
            RU + '<span class="x">s</span>',
            'Tag "span" must have class "tg-spoiler" at byte offset 22',
        ),
        (RU + "<b>x</b", "Unclosed end tag at byte offset 26"),
        (
            RU + "<b><i>x</b></i>",
            'Unmatched end tag at byte offset 29, expected "</i>", found "</b>"',
        ),
        (RU + '<a href="x', "Unclosed start tag at byte offset 22"),
        (RU + "<a =x>", 'Empty attribute name in the tag "a" at byte offset 22'),
        ('<tg-emoji emoji-id="x">y</tg-emoji>', "Invalid custom emoji identifier specified"),
    ],
)
def test_errors_carry_tdlib_texts_with_utf8_byte_offsets(html: str, message: str) -> None:
    assert error_of(html) == PREFIX + message


def test_length_counts_code_points_after_parsing() -> None:
    parsed = parse_html("<b>" + "я" * 10 + "</b>😀")
    assert parsed.length == 11 == code_points(parsed.text)
    assert utf16_len(parsed.text) == 12
    assert parsed.entities == [{"offset": 0, "length": 10, "type": "bold"}]


# --- what the comparison with TDLib 1.8.65 found (tests/sandbox/test_tdlib_differential.py)


def test_tg_time_makes_a_date_time_entity_with_its_format() -> None:
    parsed = parse_html(
        '<tg-time unix="1700000000" format="Dtw">a</tg-time> <tg-time unix="5">b</tg-time>'
        ' <tg-time unix="0" format="r">c</tg-time> <tg-time unix="4294967301">d</tg-time>'
    )
    assert parsed.entities == [
        {
            "offset": 0,
            "length": 1,
            "type": "date_time",
            "unix_time": 1700000000,
            "date_time_format": "wDt",
        },
        {"offset": 2, "length": 1, "type": "date_time", "unix_time": 5},
        # unix 0 makes no entity; tdlib reads unix as an int32 that wraps around
        {"offset": 6, "length": 1, "type": "date_time", "unix_time": 5},
    ]
    assert error_of('<tg-time unix="5" format="rw">x</tg-time>') == (
        PREFIX + "Invalid date format used"
    )


def test_custom_emoji_id_that_overflows_int64_is_refused() -> None:
    for emoji_id in ("9223372036854775808", "18446744073709551617", "05", "+5", "--5", "²"):
        html = f'<tg-emoji emoji-id="{emoji_id}">👍</tg-emoji>'
        assert error_of(html) == PREFIX + "Invalid custom emoji identifier specified"
    parsed = parse_html('<tg-emoji emoji-id="-9223372036854775808">👍</tg-emoji>')
    assert parsed.entities[0]["custom_emoji_id"] == "-9223372036854775808"


def test_runs_of_lrm_and_rlm_marks_keep_only_the_last_one() -> None:
    assert parse_html("a\u200e\u200f\u200eb\u200fc").text == "a\u200c\u200c\u200eb\u200fc"


def test_link_urls_are_normalised_or_dropped_as_tdlib_does() -> None:
    html = (
        '<a href="Example.COM">a</a><a href="https://a.kz/ b">b</a>'
        '<a href="tg:resolve?domain=x">c</a><a href="tg://a.b">d</a>'
        '<a href="http://localhost">e</a><a href="x y@a.b">f</a><a>example.org</a>'
    )
    assert parse_html(html).entities == [
        {"offset": 0, "length": 1, "type": "text_link", "url": "http://example.com/"},
        {"offset": 1, "length": 1, "type": "text_link", "url": "https://a.kz/%20b"},
        {"offset": 2, "length": 1, "type": "text_link", "url": "tg://resolve?domain=x"},
        {"offset": 6, "length": 11, "type": "text_link", "url": "http://example.org/"},
    ]


def test_nested_pre_takes_the_language_of_the_outer_code() -> None:
    html = '<pre><code class="language-a"><code class="language-b">x</code></code></pre>'
    assert parse_entities(html).entities == [
        {"offset": 0, "length": 1, "type": "pre", "language": "a"},
        {"offset": 0, "length": 1, "type": "code"},
    ]
    assert parse_html(html).entities == [{"offset": 0, "length": 1, "type": "pre", "language": "a"}]


def test_adjacent_formatting_merges_and_spaces_only_entities_stay() -> None:
    parsed = parse_html("<b>a</b><b>b</b> <u> </u>c")
    assert parsed.entities == [
        {"offset": 0, "length": 2, "type": "bold"},
        {"offset": 3, "length": 1, "type": "underline"},
    ]
