"""Telegram's HTML parse mode, byte for byte: what the Bot API server keeps of a text.

A port of tdlib `td/telegram/MessageEntity.cpp` (github.com/tdlib/td, 2024):
`parse_html` + `decode_html_entity` for the tags, entities and error texts with
their UTF-8 byte offsets, then the parts of `fix_formatted_text` that change what
a channel shows: control characters, nested and intersecting entities, and the
trim of leading/trailing spaces and newlines. The Bot API server
(tdlib/telegram-bot-api `Client.cpp`) prefixes tdlib's "Can't parse entities: ..."
with "Bad Request: " and lower-cases the first letter.

Offsets and lengths of entities are UTF-16 code units (Bot API "MessageEntity");
length limits are counted by tdlib in Unicode code points (`utf8_length`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.tgentities import Entity, fix_entities, from_json, to_json

__all__ = ["HtmlParseError", "ParsedText", "code_points", "parse_html", "plain_text", "utf16_len"]

ERROR_PREFIX = "Bad Request: can't parse entities: "
ALLOWED_TAGS = frozenset(
    {"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji"}
    | {"span", "pre", "code", "blockquote"}
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
LINK_SCHEMES = ("http", "https", "tg", "ton", "tonsite")


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


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def code_points(s: str) -> int:
    return len(s)


def parse_html(text: str) -> ParsedText:
    """Parse `text` as parse_mode=HTML and normalise it as Telegram stores it."""
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:
        raise HtmlParseError("Bad Request: strings must be encoded in UTF-8") from None
    plain, entities = _parse(raw)
    return _finish(plain, entities)


def plain_text(text: str, entities: list[dict[str, Any]] | None = None) -> ParsedText:
    """A text sent without parse_mode (with explicit entities, if any), cleaned and
    trimmed the same way."""
    return _finish(text, [from_json(e) for e in entities or []])


def _finish(plain: str, entities: list[Entity]) -> ParsedText:
    cleaned, entities = _clean(plain, fix_entities(entities))
    trimmed, entities = _trim(cleaned, entities)
    return ParsedText(trimmed, [to_json(e) for e in fix_entities(entities)])


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
            i, tag, argument = _start_tag(s, i, begin)
            stack.append(_Open(tag, argument, utf16, len(out)))
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
    return out.decode("utf-8"), entities


def _start_tag(s: bytes, i: int, begin: int) -> tuple[int, str, str]:
    """Read `<tag attr=...>` from after the '<'; return the index of its '>'."""
    while s[i] not in SPACES and s[i] != ord(">"):
        i += 1
    if s[i] == 0:
        raise _fail(f"Unclosed start tag at byte offset {begin}")
    tag = _lower(s[begin + 1 : i])
    if tag not in ALLOWED_TAGS:
        raise _fail(f'Unsupported start tag "{tag}" at byte offset {begin}')
    argument = ""
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
            tag == "blockquote" and name == b"expandable"
        ):
            argument = value if tag == "tg-emoji" else "1"
    if tag == "span" and argument != "spoiler":
        raise _fail(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
    return i, tag, argument


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
        arg = top.argument
        # to_integer_safe<int64>: the decimal must print back identically, and not be 0.
        if not arg.lstrip("-").isdigit() or str(int(arg)) != arg or int(arg) == 0:
            raise _fail("Invalid custom emoji identifier specified")
        entities.append(Entity("custom_emoji", offset, length, custom_emoji_id=arg))
    elif tag == "a":
        url = top.argument or out[top.out_pos :].decode("utf-8", "surrogatepass")
        if url.startswith("tg://user?id=") and url[13:].isdigit():
            entities.append(Entity("text_mention", offset, length, user_id=int(url[13:])))
        elif checked := _checked_link(url):
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
        if last is not None and same and last.type == "pre" and top.argument:
            last.language = top.argument  # <pre><code class="language-x">
            return
        entities.append(Entity("code", offset, length, language=top.argument or None))
    else:  # blockquote
        kind = "expandable_blockquote" if top.argument else "blockquote"
        entities.append(Entity(kind, offset, length))


def _checked_link(url: str) -> str:
    """An approximation of tdlib LinkManager::get_checked_link: http(s), tg, ton links;
    a link without a scheme gets http://; anything else is dropped (no entity)."""
    url = url.strip()
    if not url or any(ch.isspace() for ch in url):
        return ""
    scheme, sep, rest = url.partition(":")
    if not sep or not scheme.isascii() or not scheme.isalpha() or not rest.startswith("//"):
        if "." not in url.split("/")[0]:
            return ""
        return "http://" + url
    if scheme.lower() not in LINK_SCHEMES:
        return ""
    if scheme.lower() in ("http", "https") and not rest[2:].split("/")[0]:
        return ""
    return url


def _clean(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """tdlib clean_input_string_with_entities: control characters become spaces,
    '\\r' and a few invisible or combining characters go; offsets move with them."""
    out: list[str] = []
    shift = [0] * (utf16_len(text) + 1)  # old UTF-16 position -> UTF-16 units removed before
    pos = removed = 0
    for ch in text:
        width = 2 if ord(ch) > 0xFFFF else 1
        if ch == "\r" or 0x2028 <= ord(ch) <= 0x202E or ord(ch) in (0x0333, 0x033F, 0x030A):
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
            end = e.offset + e.length
            e.offset -= shift[e.offset]
            e.length = end - shift[end] - e.offset
        entities = [e for e in entities if e.length > 0]
    return "".join(out), entities


def _trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """tdlib's rtrim (drops or cuts entities past the end) and ltrim (never past the
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
    return stripped[lead:], kept
