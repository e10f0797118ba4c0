"""Telegram HTML as the Bot API reads it: what a subscriber will see, how long it is,
how many entities Telegram counts and whether Telegram would refuse it, without
sending it.

Rules from https://core.telegram.org/bots/api#html-style and tdlib's
`parse_html` (td/telegram/MessageEntity.cpp), docs/architecture.md "Telegram":
- tags b strong i em u ins s strike del span(class="tg-spoiler") tg-spoiler a(href)
  code pre blockquote(expandable) tg-emoji(emoji-id) tg-time(unix, format),
  case-insensitive; any other tag is "Unsupported start tag"; tags must nest
  properly; links cannot nest;
- only &lt; &gt; &amp; &quot; and numeric references are decoded, other named ones
  stay literal; a bare `<` that starts no tag is fatal, a bare `&` or `>` is text;
- limits count the text left after parsing, in code points, at most 100 entities.

Entities are counted as tdlib `get_input_message_entities` sends them, after
`fix_formatted_text` has split the formatting: `<b>x <i>y</i> z</b>` is three
(bold "x ", bold "y z", italic "y"), not two tags. Formatting inside code, pre or a
date is dropped, a link Telegram refuses makes none, custom emoji are free. The
sandbox (sandbox/tgentities.py) holds the full port; this is the part the count
needs, checked against TDLib by tests/sandbox/test_tdlib_differential.py.

Used to fit a post before it is stored, and to check an editor's text (issue 5).
"""

from __future__ import annotations

import html
import re
import socket
from dataclasses import dataclass

from publishers.compose import Measure

TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span",
        "tg-spoiler", "a", "code", "pre", "blockquote", "tg-emoji", "tg-time",
    }
)  # fmt: skip
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^<>]*?)?)\s*(/?)>", re.S)
_ATTRIBUTE = re.compile(r"""([A-Za-z-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_REFERENCE = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_FORMATTING = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic"}
_FORMATTING |= {"u": "underline", "ins": "underline", "s": "strikethrough"}
_FORMATTING |= {"strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler"}
_FORMATTING |= {"span": "spoiler"}
SPLITTABLE = ("bold", "italic", "underline", "strikethrough", "spoiler")
_PRE_LIKE = frozenset({"code", "pre", "date_time"})  # nothing nests in them
# MessageEntity::get_type_priority, the tie-break when entities cover the same text.
_PRIORITY = {"bold": 90, "italic": 91, "underline": 92, "strikethrough": 93, "spoiler": 94}
_PRIORITY |= {"code": 20, "pre": 11, "text_link": 49, "date_time": 30, "blockquote": 0}
_PRIORITY |= {"custom_emoji": 99}
# What tdlib clean_input_string removes from a text.
_REMOVED = frozenset("\r\u0333\u033f\u030a" + "".join(map(chr, range(0x2028, 0x202F))))
# What _clean changes: those, and the control characters it turns into spaces.
_UNCLEAN = re.compile(
    "[" + re.escape("".join(sorted(_REMOVED | {chr(c) for c in range(32)} - {"\n"}))) + "]"
)


def visible(fragment: str) -> str:
    """Text between tags as Telegram shows it."""

    def decode(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _NAMED:
            return _NAMED[name]
        return html.unescape(match.group(0))  # numeric: &#8230; &#x2026;

    return _REFERENCE.sub(decode, fragment)


@dataclass
class _Entity:
    kind: str
    start: int  # UTF-16 units
    end: int
    language: str = ""

    def key(self) -> tuple[int, int, int]:
        priority = 10 if self.kind == "pre" and self.language else _PRIORITY[self.kind]
        return (self.start, self.start - self.end, priority)


@dataclass
class _Open:
    name: str
    attributes: dict[str, str]
    start: int  # UTF-16 units shown before the tag
    chunk: int  # index of the first chunk shown inside it


def measure(text: str) -> Measure:
    """Visible length in code points, the entities Telegram counts against its 100,
    and Telegram's objection (in its own words, without the byte offset) if it
    would refuse the text."""
    shown: list[str] = []
    units = 0
    entities: list[_Entity] = []
    stack: list[_Open] = []
    pos = 0
    while True:
        start = text.find("<", pos)
        chunk = visible(text[pos:] if start < 0 else text[pos:start])
        shown.append(chunk)
        units += _utf16_len(chunk)
        if start < 0:
            break
        match = _TAG.match(text, start)
        if match is None:
            return _refused(shown, entities, "Unclosed start tag: escape '<' as &lt;")
        closing, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
        pos = match.end()
        if not closing:
            found = _attributes(attributes)
            problem = _start_tag_problem(name, found, [o.name for o in stack])
            if problem:
                return _refused(shown, entities, problem)
            stack.append(_Open(name, found, units, len(shown)))
            continue
        if not stack:
            return _refused(shown, entities, f'Unexpected end tag "{name}"')
        if stack[-1].name != name:
            problem = f'Unmatched end tag, expected "</{stack[-1].name}>", found "</{name}>"'
            return _refused(shown, entities, problem)
        opened = stack.pop()
        if units > opened.start:
            problem = _close(opened, units, "".join(shown[opened.chunk :]), entities)
            if problem:
                return _refused(shown, entities, problem)
    if stack:
        problem = f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"'
        return _refused(shown, entities, problem)
    return Measure(len("".join(shown)), _telegram_count("".join(shown), entities))


def _refused(shown: list[str], entities: list[_Entity], problem: str) -> Measure:
    return Measure(len("".join(shown)), len(entities), problem)


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


def _close(opened: _Open, end: int, inner: str, entities: list[_Entity]) -> str:
    """The entity tdlib parse_html makes of a closed, non-empty tag; its objection."""
    name, attributes, start = opened.name, opened.attributes, opened.start
    last = (
        entities[-1]
        if entities and (entities[-1].start, entities[-1].end) == (start, end)
        else None
    )
    if name in _FORMATTING:
        entities.append(_Entity(_FORMATTING[name], start, end))
    elif name == "tg-emoji":
        if _int(attributes.get("emoji-id", ""), 64, exact=True) in (None, 0):
            return "Invalid custom emoji identifier specified"
        entities.append(_Entity("custom_emoji", start, end))
    elif name == "tg-time":
        date_format = attributes.get("format", "")
        if date_format not in ("r", "R") and set(date_format) - set("wWdDtT"):
            return "Invalid date format used"
        if (_int(attributes.get("unix", ""), 32) or 0) > 0:
            entities.append(_Entity("date_time", start, end))
    elif name == "a":
        if _is_link(attributes.get("href") or inner):
            entities.append(_Entity("text_link", start, end))
    elif name == "code":
        css = attributes.get("class", "")
        language = css[9:] if css.startswith("language-") else ""
        if last is not None and last.kind == "pre" and not last.language and language:
            last.language = language  # <pre><code class="language-x">: one entity
        else:
            entities.append(_Entity("code", start, end, language))
    elif name == "pre":
        if last is not None and last.kind == "code" and last.language:
            last.kind = "pre"
        else:
            entities.append(_Entity("pre", start, end))
    else:
        entities.append(_Entity("blockquote", start, end))
    return ""


def _telegram_count(text: str, entities: list[_Entity]) -> int:
    """fix_formatted_text (fix, clean, fix again, trim) then get_input_message_entities."""
    for e in entities:
        if e.kind == "code":
            e.language = ""  # a lone <code class="language-x"> keeps no language
    text, entities = _clean(text, _fix(entities))
    if not text.strip(" \n"):
        return 0  # Telegram empties a blank text
    end = _utf16_len(text.rstrip(" \n"))
    kept = [e for e in _fix(entities) if e.start < end]
    formatting = [e for e in kept if e.kind in SPLITTABLE]
    others = sum(e.kind not in SPLITTABLE and e.kind != "custom_emoji" for e in kept)
    return others + len(_split(formatting, []))


def _fix(entities: list[_Entity]) -> list[_Entity]:
    """tdlib fix_entities: no continuous entity intersects another, blockquotes do not
    nest nor straddle one, formatting is split around them."""
    entities = sorted((e for e in entities if e.end > e.start), key=_Entity.key)
    formatting = [e for e in entities if e.kind in SPLITTABLE]
    quotes = _disjoint([e for e in entities if e.kind == "blockquote"])
    others = _disjoint([e for e in entities if e.kind not in SPLITTABLE and e.kind != "blockquote"])
    others = [
        e
        for e in others
        if not any(
            q.start < e.end and e.start < q.end and not q.start <= e.start <= e.end <= q.end
            for q in quotes
        )
    ]
    others = sorted(others + quotes, key=_Entity.key)
    return sorted(others + _split(formatting, others), key=_Entity.key)


def _disjoint(entities: list[_Entity]) -> list[_Entity]:
    """tdlib remove_intersecting_entities: nested and crossing ones go."""
    kept: list[_Entity] = []
    last_end = 0
    for e in entities:
        if e.start >= last_end:
            kept.append(e)
            last_end = e.end
    return kept


def _split(formatting: list[_Entity], others: list[_Entity]) -> list[_Entity]:
    """tdlib split_entities: runs of one type merge where they touch, every run is cut
    where any entity begins or ends and where another type's run begins, and what
    lies inside code, pre or a date goes."""
    begin = dict.fromkeys(SPLITTABLE, 0)
    end = dict.fromkeys(SPLITTABLE, 0)
    pieces: list[_Entity] = []
    queue = iter(formatting)
    pending = next(queue, None)

    def flush(offset: int) -> None:
        for kind in SPLITTABLE:
            if end[kind] and begin[kind] < offset:
                pieces.append(_Entity(kind, begin[kind], min(end[kind], offset)))
                begin[kind], end[kind] = (0, 0) if end[kind] <= offset else (offset, end[kind])

    def advance(offset: int) -> None:
        nonlocal pending
        while pending is not None and pending.start < offset:
            kind = pending.kind
            if end[kind] and pending.start <= end[kind]:
                end[kind] = max(end[kind], pending.end)
            else:
                flush(pending.start)
                begin[kind], end[kind] = pending.start, pending.end
            pending = next(queue, None)
        flush(offset)

    stack: list[_Entity] = []
    for boundary in [*others, None]:
        offset = boundary.start if boundary else 1 << 31
        while stack and offset >= stack[-1].end:
            before = len(pieces)
            advance(stack[-1].end)
            if stack.pop().kind in _PRE_LIKE:
                del pieces[before:]
        advance(offset)
        if boundary:
            stack.append(boundary)
    return pieces


def _clean(text: str, entities: list[_Entity]) -> tuple[str, list[_Entity]]:
    """The characters tdlib clean_input_string removes, and the entities shrunk with them."""
    if not _UNCLEAN.search(text):  # most texts: nothing to remove, a character loop saved
        return text, [e for e in entities if e.end > e.start]
    removed_before = [0]
    kept: list[str] = []
    for ch in text:
        gone = ch in _REMOVED
        if not gone:
            kept.append(" " if ch < " " and ch != "\n" else ch)  # control characters
        for _ in range(_utf16_len(ch)):
            removed_before.append(removed_before[-1] + gone)
    for e in entities:
        e.start, e.end = e.start - removed_before[e.start], e.end - removed_before[e.end]
    return "".join(kept), [e for e in entities if e.end > e.start]


def _utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def _int(value: str, bits: int, *, exact: bool = False) -> int | None:
    """td::to_integer<intN> (leading digits, wrapping); `exact` is to_integer_safe,
    None unless the number prints back as `value`."""
    digits = re.match(r"-?[0-9]*", value)
    text = digits.group(0) if digits else ""
    number = int(text) if text.strip("-") else 0
    number = (number + (1 << (bits - 1))) % (1 << bits) - (1 << (bits - 1))
    if exact and str(number) != value:
        return None
    return number


_HOST = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_!$,~*'();&+=")
_USERINFO = _HOST | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ:")


def _is_link(url: str) -> bool:
    """Whether tdlib LinkManager::get_checked_link keeps `url` (td/utils/HttpUrl.cpp
    parse_url underneath): http(s) with a dotted host, or a plain tg/ton/tonsite link."""
    lowered = url.lower()
    scheme = next((s for s in ("tg:", "ton:", "tonsite:") if lowered.startswith(s)), "")
    rest = url[len(scheme) :]
    rest = rest[2:] if scheme and rest.startswith("//") else rest
    head = re.match(r"[^:/?#@\[\]]*", rest)
    protocol = head.group(0).lower() if head else ""
    explicit = rest[len(protocol) :].startswith("://")
    if explicit:
        if protocol not in ("http", "https"):
            return False
        rest = rest[len(protocol) + 3 :]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    port = ""
    colon = max(authority.rfind(":"), authority.rfind("]"), authority.rfind("@"))
    if colon > 0 and authority[colon] == ":":
        port = authority[colon + 1 :].lstrip("0") or authority[colon + 1 :][-1:]
        if not port.isascii() or not port.isdigit() or not 0 < int(port) <= 65535:
            return False
        authority = authority[:colon]
    userinfo, _, host = authority.rpartition("@")
    host = host.lower()
    ipv6 = len(host) >= 2 and host[0] == "[" and host[-1] == "]"
    if not host or host == "." or not _valid_part(userinfo, _USERINFO):
        return False
    if ipv6:
        return _ipv6(host[1:-1]) and not scheme
    if not _valid_part(host, _HOST):
        return False
    if not scheme:
        return "." in host
    if explicit or userinfo or port:  # "Wrong tg URL"
        return False
    allowed = "-_." if scheme == "tonsite:" else "-_"
    return all((ch.isascii() and ch.isalnum()) or ch in allowed for ch in host)


def _valid_part(part: str, allowed: frozenset[str]) -> bool:
    """Host or user info characters: `allowed`, non-ASCII, or %XX."""
    i = 0
    while i < len(part):
        if part[i] in allowed or not part[i].isascii():
            i += 1
        elif re.fullmatch(r"%[0-9a-fA-F]{2}", part[i : i + 3]):
            i += 3
        else:
            return False
    return True


def _ipv6(address: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6, address)  # what IPAddress::init_ipv6_port uses
    except (OSError, ValueError):
        return False
    return True
