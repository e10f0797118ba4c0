"""Telegram HTML as the Bot API reads it: what a subscriber will see, how long it is
and whether Telegram would refuse it, without sending it.

Rules from https://core.telegram.org/bots/api#html-style and tdlib's
`parse_html` (td/telegram/MessageEntity.cpp), PLATFORMS.md "HTML parse mode":
- tags b strong i em u ins s strike del span(class="tg-spoiler") tg-spoiler a(href)
  code pre blockquote(expandable) tg-emoji(emoji-id), case-insensitive; any other tag
  is "Unsupported start tag"; tags must nest properly; links cannot nest;
- only &lt; &gt; &amp; &quot; and numeric references are decoded, other named ones
  stay literal; a bare `<` that starts no tag is fatal, a bare `&` or `>` is text;
- limits count the text left after parsing, in code points, at most 100 entities.

Used to fit a post before it is stored, and to check an editor's text (issue 5).
"""

from __future__ import annotations

import html
import re

from publishers.compose import Measure

TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span",
        "tg-spoiler", "a", "code", "pre", "blockquote", "tg-emoji",
    }
)  # fmt: skip
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^<>]*?)?)\s*(/?)>", re.S)
_ATTRIBUTE = re.compile(r"""([A-Za-z-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_REFERENCE = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def visible(fragment: str) -> str:
    """Text between tags as Telegram shows it."""

    def decode(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _NAMED:
            return _NAMED[name]
        return html.unescape(match.group(0))  # numeric: &#8230; &#x2026;

    return _REFERENCE.sub(decode, fragment)


def measure(text: str) -> Measure:
    """Visible length in code points, formatting entities, and Telegram's objection
    (in its own words, without the byte offset) if it would refuse the text."""
    length = 0
    entities = 0
    stack: list[str] = []
    pos = 0
    while True:
        start = text.find("<", pos)
        chunk = text[pos:] if start < 0 else text[pos:start]
        length += len(visible(chunk))
        if start < 0:
            break
        match = _TAG.match(text, start)
        if match is None:
            return Measure(length, entities, "Unclosed start tag: escape '<' as &lt;")
        closing, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
        pos = match.end()
        if closing:
            if not stack:
                return Measure(length, entities, f'Unexpected end tag "{name}"')
            if stack[-1] != name:
                return Measure(
                    length,
                    entities,
                    f'Unmatched end tag, expected "</{stack[-1]}>", found "</{name}>"',
                )
            stack.pop()
            continue
        problem = _start_tag_problem(name, _attributes(attributes), stack)
        if problem:
            return Measure(length, entities, problem)
        stack.append(name)
        entities += 1
    if stack:
        return Measure(
            length, entities, f'Can\'t find end tag corresponding to start tag "{stack[-1]}"'
        )
    return Measure(length, entities)


def _attributes(raw: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(raw):
        value = next((v for v in match.group(2, 3, 4) if v is not None), "")
        found[match.group(1).lower()] = visible(value)
    return found


def _start_tag_problem(name: str, attributes: dict[str, str], stack: list[str]) -> str:
    if name not in TAGS:
        return f'Unsupported start tag "{name}"'
    if name == "a":
        if "a" in stack:
            return "Links cannot be nested"
        if not attributes.get("href"):
            return 'Tag "a" must have a non-empty href'
    if name == "span" and attributes.get("class") != "tg-spoiler":
        return 'Tag "span" must have class "tg-spoiler"'
    if name == "blockquote" and "blockquote" in stack:
        return "Blockquotes cannot be nested"
    return ""
