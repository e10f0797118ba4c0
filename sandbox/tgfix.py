"""What TDLib does to a parsed text before it is sent: tdlib `fix_formatted_text`
(td/telegram/MessageEntity.cpp) with `clean_input_string_with_entities` and
`replace_offending_characters` (td/telegram/misc.cpp).

First the entities go through get_message_entities, as the Bot API hands them to
TDLib: a link's URL is cleaned like the text below and checked again
(LinkManager::check_link). Then, in order: entities are fixed
(sandbox.tgentities.fix_entities); control characters become spaces; '\r',
U+2028..U+202E and the combining vertical lines U+0333, U+033F, U+030A go (entities
shrink with them); in a run of LRM/RLM marks all but the last become ZWNJ (U+200C);
a text of spaces and newlines only becomes empty; entities are fixed again; then,
unless `trim` is off, trailing spaces and newlines go (cutting the entities over
them) and leading ones go up to the first entity.

Entities that cover only spaces stay (TDLib 1.8.65 keeps them; older tdlib dropped
them). This is the bot's side: allow_empty and allow_empty_string, as for captions;
the Bot API turns an empty message text into "message text is empty" itself.
"""

from __future__ import annotations

import re

from sandbox.tgentities import Entity, fix_entities, sort_entities
from sandbox.tglinks import check_link

__all__ = ["FixError", "clean_string", "fix_formatted_text", "utf16_len"]

_REMOVED = frozenset("\r\u0333\u033f\u030a" + "".join(map(chr, range(0x2028, 0x202F))))
_MARKS = re.compile("[\u200e\u200f]{2,}")


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


class FixError(ValueError):
    """TDLib refused an entity; the message is TDLib's."""


def fix_formatted_text(
    text: str, entities: list[Entity], *, trim: bool
) -> tuple[str, list[Entity]]:
    for e in entities:
        if e.type == "text_link" and e.url is not None:
            try:
                e.url = check_link(clean_string(e.url))
            except ValueError as exc:
                raise FixError(f"Entity {exc}") from None
    if entities:
        entities = fix_entities([e for e in entities if e.length > 0])
    text, entities = _clean(text, entities)
    entities = [e for e in entities if e.length > 0]
    if not text.strip(" \n"):
        return "", []
    entities = fix_entities(entities)
    if trim:
        text, entities = _trim(text, entities)
    return text, entities


def clean_string(s: str) -> str:
    """tdlib clean_input_string, for a string without entities."""
    return _clean(s, [])[0]


def _clean(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    out: list[str] = []
    shift = [0] * (utf16_len(text) + 1)  # UTF-16 position -> units removed before it
    pos = removed = 0
    for ch in text:
        width = 2 if ord(ch) > 0xFFFF else 1
        if ch in _REMOVED:
            removed += width
        elif ord(ch) < 32 and ch != "\n":
            out.append(" ")
        else:
            out.append(ch)
        for k in range(1, width + 1):
            shift[pos + k] = removed
        pos += width
    if removed:
        for e in entities:
            end = e.end
            e.offset -= shift[e.offset]
            e.length = end - shift[end] - e.offset
    # Same length in and out, so the entities stay where they are.
    cleaned = _MARKS.sub(lambda m: "\u200c" * (len(m[0]) - 1) + m[0][-1], "".join(out))
    return cleaned, entities


def _trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """The rtrim (drops or cuts entities past the end) and ltrim (never past the
    first entity) of spaces and newlines."""
    stripped = text.rstrip(" \n")
    end = utf16_len(stripped)
    kept: list[Entity] = []
    for e in entities:
        if e.offset >= end:
            continue
        e.length = min(e.length, end - e.offset)
        kept.append(e)
    first = min((e.offset for e in kept), default=end)
    lead = len(stripped) - len(stripped.lstrip(" \n"))
    lead = min(lead, first)  # leading characters are ASCII: code points == UTF-16 units
    for e in kept:
        e.offset -= lead
    return stripped[lead:], sort_entities(kept)
