"""Telegram's HTML parse mode, byte for byte: what the Bot API server keeps of a text.

A port of tdlib `parse_html` and `decode_html_entity` (td/telegram/MessageEntity.cpp,
2026, the code of TDLib 1.8.65): tags, attributes, HTML entities and the error texts
with their UTF-8 byte offsets. The Bot API server (tdlib/telegram-bot-api
`Client::get_formatted_text`) runs exactly this as the `parseTextEntities` request and
answers its error as "Bad Request: can't parse entities: ..."; TDLib then applies
`fix_formatted_text` when the message is sent (sandbox.tgfix). Both steps are checked
against TDLib itself by tests/sandbox/test_tdlib_differential.py.

Offsets and lengths of entities are UTF-16 code units (Bot API "MessageEntity");
length limits are counted by tdlib in Unicode code points (`utf8_length`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.tgentities import Entity, from_json, sort_entities, to_json
from sandbox.tgfix import FixError, fix_formatted_text, utf16_len
from sandbox.tglinks import checked_link, link_user_id, safe_int, wrapped_int

__all__ = [
    "HtmlParseError",
    "ParsedText",
    "code_points",
    "parse_entities",
    "parse_html",
    "plain_text",
    "utf16_len",
]

ERROR_PREFIX = "Bad Request: can't parse entities: "
ALLOWED_TAGS = frozenset(
    {"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji"}
    | {"tg-time", "span", "pre", "code", "blockquote"}
)
SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
}
# td::is_space: the NUL terminator of the C string counts as a space.
SPACES = frozenset(b" \t\r\n\0\v")


class HtmlParseError(ValueError):
    """The HTML was refused; `description` is the Bot API's full error description."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass(frozen=True)
class ParsedText:
    text: str
    entities: list[dict[str, Any]]

    @property
    def length(self) -> int:
        """Unicode code points, as the Bot API counts its 4096/1024 limits."""
        return code_points(self.text)


def code_points(s: str) -> int:
    return len(s)


def parse_entities(text: str) -> ParsedText:
    """tdlib parse_html alone, as the `parseTextEntities` request answers: the text and
    its entities before TDLib cleans, splits and trims them."""
    plain, entities = _parse(_utf8_of(text))
    return ParsedText(plain, [to_json(e) for e in entities])


def parse_html(text: str) -> ParsedText:
    """Parse `text` as parse_mode=HTML and normalise it as Telegram stores it."""
    plain, entities = _parse(_utf8_of(text))
    return _finish(plain, entities, trim=True)


def plain_text(text: str, entities: list[dict[str, Any]] | None = None) -> ParsedText:
    """A text sent without parse_mode (with explicit entities, if any), cleaned and
    trimmed the same way."""
    return _finish(text, [from_json(e) for e in entities or []], trim=True)


def fixed(parsed: ParsedText) -> ParsedText:
    """`fix_formatted_text` without the trim, as TDLib's `parseMarkdown` request shows it."""
    return _finish(parsed.text, [from_json(e) for e in parsed.entities], trim=False)


def _utf8_of(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise HtmlParseError("Bad Request: strings must be encoded in UTF-8") from None


def _finish(plain: str, entities: list[Entity], *, trim: bool) -> ParsedText:
    try:
        text, entities = fix_formatted_text(plain, entities, trim=trim)
    except FixError as exc:
        message = str(exc)
        raise HtmlParseError("Bad Request: " + message[:1].lower() + message[1:]) from None
    return ParsedText(text, [to_json(e) for e in entities])


def _fail(message: str) -> HtmlParseError:
    return HtmlParseError(ERROR_PREFIX + message)


def _lower(b: bytes) -> str:
    # td::to_lower is ASCII-only; the slice ends on ASCII delimiters, so it is valid UTF-8.
    return b.decode("utf-8", "replace").translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _decode_entity(s: bytes, pos: int) -> tuple[int, int]:
    """tdlib decode_html_entity: (code point, next position), or (0, pos) if literal."""
    end = pos + 1
    res = 0
    if s[pos + 1] == ord("#"):
        end += 1
        if s[pos + 2] == ord("x"):  # only a lower-case x, like tdlib
            end += 1
            while chr(s[end]) in "0123456789abcdefABCDEF":
                res = res * 16 + int(chr(s[end]), 16)
                end += 1
        else:
            while 0x30 <= s[end] <= 0x39:
                res = res * 10 + s[end] - 0x30
                end += 1
        if res == 0 or res >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while chr(s[end]).isascii() and chr(s[end]).isalpha():
            end += 1
        named = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}.get(s[pos + 1 : end])
        if named is None:
            return 0, pos
        res = ord(named)
    if s[end] == ord(";"):
        end += 1
    return res, end


def _utf8(code: int) -> bytes:
    return chr(code).encode("utf-8", "surrogatepass")


@dataclass
class _Open:
    tag: str
    argument: str
    offset: int  # UTF-16 offset in the output
    out_pos: int  # byte position in the output
    date: int = 0  # <tg-time unix=...>


def _parse(raw: bytes) -> tuple[str, list[Entity]]:
    n = len(raw)
    s = raw + b"\0"  # tdlib reads the C string's terminator
    out = bytearray()
    utf16 = 0
    bad_surrogate = False
    stack: list[_Open] = []
    entities: list[Entity] = []
    i = 0
    while i < n:
        c = s[i]
        if c == ord("&"):
            code, nxt = _decode_entity(s, i)
            if code:
                utf16 += 1 + (code > 0xFFFF)
                bad_surrogate |= 0xD800 <= code <= 0xDFFF
                out += _utf8(code)
                i = nxt
                continue
        if c != ord("<"):
            if c & 0xC0 != 0x80:
                utf16 += 1 + (c >= 0xF0)
            out.append(c)
            i += 1
            continue
        begin = i
        i += 1
        if s[i] != ord("/"):
            i, tag, argument, date = _start_tag(s, i, begin)
            stack.append(_Open(tag, argument, utf16, len(out), date))
        else:
            if not stack:
                raise _fail(f"Unexpected end tag at byte offset {begin}")
            while s[i] not in SPACES and s[i] != ord(">"):
                i += 1
            end_tag = _lower(s[begin + 2 : i])
            while s[i] in SPACES and s[i] != 0:
                i += 1
            if s[i] != ord(">"):
                raise _fail(f"Unclosed end tag at byte offset {begin}")
            top = stack[-1]
            if end_tag and end_tag != top.tag:
                raise _fail(
                    f'Unmatched end tag at byte offset {begin}, expected "</{top.tag}>", '
                    f'found "</{end_tag}>"'
                )
            if utf16 > top.offset:
                _close(top, utf16 - top.offset, out, entities)
            stack.pop()
        i += 1  # past the '>'
    if stack:
        raise _fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    for e in entities:
        if e.type == "code":
            e.language = None  # a lone <code class="language-x"> keeps no language
    if bad_surrogate:
        raise _fail(
            "Text contains invalid Unicode characters after decoding HTML entities, "
            "check for unmatched surrogate code units"
        )
    return out.decode("utf-8"), sort_entities(entities)


def _start_tag(s: bytes, i: int, begin: int) -> tuple[int, str, str, int]:
    """Read `<tag attr=...>` from after the '<'; return the index of its '>'."""
    while s[i] not in SPACES and s[i] != ord(">"):
        i += 1
    if s[i] == 0:
        raise _fail(f"Unclosed start tag at byte offset {begin}")
    tag = _lower(s[begin + 1 : i])
    if tag not in ALLOWED_TAGS:
        raise _fail(f'Unsupported start tag "{tag}" at byte offset {begin}')
    argument = ""
    date = 0
    while s[i] != ord(">"):
        while s[i] != 0 and s[i] in SPACES:
            i += 1
        if s[i] == ord(">"):
            break
        name_begin = i
        while s[i] not in SPACES and s[i] not in b"=>/\"'":
            i += 1
        name = s[name_begin:i]
        if not name:
            raise _fail(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
        while s[i] != 0 and s[i] in SPACES:
            i += 1
        if s[i] != ord("="):
            if s[i] == 0:
                raise _fail(f'Unclosed start tag "{tag}" at byte offset {begin}')
            if tag == "blockquote" and name == b"expandable":
                argument = "1"
            continue
        i += 1
        while s[i] != 0 and s[i] in SPACES:
            i += 1
        if s[i] == 0:
            raise _fail(f'Unclosed start tag "{tag}" at byte offset {begin}')
        i, value = _attribute_value(s, i)
        if s[i] == 0:
            raise _fail(f"Unclosed start tag at byte offset {begin}")
        # Attribute names compare case-sensitively in tdlib, unlike tag names.
        if tag == "a" and name == b"href":
            argument = value
        elif tag == "code" and name == b"class" and value.startswith("language-"):
            argument = value[9:]
        elif tag == "span" and name == b"class" and value.startswith("tg-"):
            argument = value[3:]
        elif (tag == "tg-emoji" and name == b"emoji-id") or (
            tag == "tg-time" and name == b"format"
        ):
            argument = value
        elif tag == "blockquote" and name == b"expandable":
            argument = "1"
        elif tag == "tg-time" and name == b"unix":
            date = wrapped_int(value, 32)  # to_integer<int32>: no check, wraps around
    if tag == "span" and argument != "spoiler":
        raise _fail(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
    return i, tag, argument, date


def _attribute_value(s: bytes, i: int) -> tuple[int, str]:
    if s[i] not in b"'\"":
        # A name token (letters, digits, periods, hyphens), case-insensitive.
        token_begin = i
        while chr(s[i]).isascii() and (chr(s[i]).isalnum() or s[i] in b".-"):
            i += 1
        if s[i] not in SPACES and s[i] != ord(">"):
            raise _fail(f"Unexpected end of name token at byte offset {token_begin}")
        return i, _lower(s[token_begin:i])
    quote = s[i]
    i += 1
    value = bytearray()
    while s[i] != quote and s[i] != 0:
        if s[i] == ord("&"):
            code, nxt = _decode_entity(s, i)
            if code:
                value += _utf8(code)
                i = nxt
                continue
        value.append(s[i])
        i += 1
    if s[i] == quote:
        i += 1
    return i, value.decode("utf-8", "surrogatepass")


def _close(top: _Open, length: int, out: bytearray, entities: list[Entity]) -> None:
    offset, tag = top.offset, top.tag
    if tag in SIMPLE_TAGS or tag == "span":
        entities.append(Entity(SIMPLE_TAGS.get(tag, "spoiler"), offset, length))
    elif tag == "tg-emoji":
        # to_integer_safe<int64>: a decimal int64 that prints back identically, not 0.
        if not safe_int(top.argument, 64):
            raise _fail("Invalid custom emoji identifier specified")
        entities.append(Entity("custom_emoji", offset, length, custom_emoji_id=top.argument))
    elif tag == "tg-time":
        date_format = _date_time_format(top.argument)
        if top.date > 0:
            entities.append(
                Entity(
                    "date_time", offset, length, unix_time=top.date, date_time_format=date_format
                )
            )
    elif tag == "a":
        url = top.argument or out[top.out_pos :].decode("utf-8", "surrogatepass")
        if (user_id := link_user_id(url)) is not None:
            entities.append(Entity("text_mention", offset, length, user_id=user_id))
        elif checked := checked_link(url):
            entities.append(Entity("text_link", offset, length, url=checked))
    elif tag == "pre":
        last = entities[-1] if entities else None
        same = last is not None and (last.offset, last.length) == (offset, length)
        if last is not None and same and last.type == "code" and last.language:
            last.type = "pre"  # <code class="language-x"> inside <pre>
            return
        entities.append(Entity("pre", offset, length))
    elif tag == "code":
        last = entities[-1] if entities else None
        same = last is not None and (last.offset, last.length) == (offset, length)
        if last is not None and same and last.type == "pre" and not last.language and top.argument:
            last.language = top.argument  # <pre><code class="language-x">
            return
        entities.append(Entity("code", offset, length, language=top.argument or None))
    else:  # blockquote
        kind = "expandable_blockquote" if top.argument else "blockquote"
        entities.append(Entity(kind, offset, length))


def _date_time_format(value: str) -> str | None:
    """tdlib get_date_flags, written back as the Bot API's "date_time_format":
    "r" alone, or any of w/W, d, D, t, T (a short form wins over a long one);
    None when there is no format."""
    if value in ("r", "R"):
        return "r"
    if any(ch not in "wWdDtT" for ch in value):
        raise _fail("Invalid date format used")
    week = "w" if "w" in value or "W" in value else ""
    date = "d" if "d" in value else "D" if "D" in value else ""
    time = "t" if "t" in value else "T" if "T" in value else ""
    return week + date + time or None
