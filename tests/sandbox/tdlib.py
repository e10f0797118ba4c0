"""TDLib itself, offline, as the oracle for the sandbox's port of its HTML parser.

`libtdjson.so` comes from the npm package prebuilt-tdlib (`.ci/install-tdlib` puts it
in var/tdlib/; `NEWSBOT_TDJSON` may name another copy). A Bot API text goes through
two TDLib steps, and two requests that need no network and no login ("Can be called
synchronously", td_api.tl) show each of them:

- `parseTextEntities` is what telegram-bot-api `Client::get_formatted_text` executes
  for parse_mode=HTML: tdlib `parse_html` (td/telegram/MessageEntity.cpp) and nothing
  else: no cleaning, no splitting, no trim. Its error is the Bot API's, behind
  "Bad Request: " with the first letter lower-cased.
- `fix_formatted_text` is what TDLib applies when the message is sent (after
  get_message_entities re-checks each link). It is no request of its own;
  `parseMarkdown` runs both (with skip_trim and skip_new_entities) before and after
  `parse_markdown_v3`, which changes nothing in a text without "`", "[" and doubled
  "_*~|" (its fast path, parse_markdown_v3_without_pre). So `fix` is exact on such
  texts, and `markdown_neutral` says which they are.

Not shown offline, so mirrored from the source instead: the trim of leading and
trailing spaces (`trimmed` below), the 100-entity cap of get_input_message_entities
and the entities the server finds itself (hashtags, URLs; sandbox.tgentities).

The seeded input generators live here too, so that bench/tdlib_agreement.py can ask
the same questions of any revision of the sandbox.

Entities come back in the Bot API's shape (telegram-bot-api Client.cpp JsonEntity):
offsets in UTF-16 units, "pre" with "language" for PreCode, "text_link", ...;
bank-card and media-timestamp entities are left out there too. A date is "date_time"
with "unix_time" and "date_time_format" (r|w?[dD]?[tT]?, Bot API MessageEntity).
"""

from __future__ import annotations

import ctypes
import json
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
INSTALLED = ROOT / "var" / "tdlib" / "node_modules" / "@prebuilt-tdlib"
ENV = "NEWSBOT_TDJSON"

_SIMPLE = {
    "textEntityTypeMention": "mention",
    "textEntityTypeHashtag": "hashtag",
    "textEntityTypeCashtag": "cashtag",
    "textEntityTypeBotCommand": "bot_command",
    "textEntityTypeUrl": "url",
    "textEntityTypeEmailAddress": "email",
    "textEntityTypePhoneNumber": "phone_number",
    "textEntityTypeBold": "bold",
    "textEntityTypeItalic": "italic",
    "textEntityTypeUnderline": "underline",
    "textEntityTypeStrikethrough": "strikethrough",
    "textEntityTypeSpoiler": "spoiler",
    "textEntityTypeCode": "code",
    "textEntityTypePre": "pre",
    "textEntityTypeBlockQuote": "blockquote",
    "textEntityTypeExpandableBlockQuote": "expandable_blockquote",
}
_HIDDEN = frozenset({"textEntityTypeBankCardNumber", "textEntityTypeMediaTimestamp"})
# MessageEntity::get_type_priority, by Bot API type ("pre" with a language is PreCode),
# for the one re-sort the trim needs.
_PRIORITIES = {"bold": 90, "italic": 91, "underline": 92, "strikethrough": 93, "spoiler": 94}
_PRIORITIES |= {"code": 20, "pre": 11, "text_link": 49, "text_mention": 49, "date_time": 30}
_PRIORITIES |= {"blockquote": 0, "expandable_blockquote": 0, "custom_emoji": 99}
_PRECISION = {"dateTimePartPrecisionShort": 0, "dateTimePartPrecisionLong": 1}


@dataclass(frozen=True)
class TdText:
    """A text as the Bot API would show it: `text` and its `entities` (JSON dicts)."""

    text: str
    entities: list[dict[str, Any]]


class TdError(Exception):
    """TDLib refused the text; `description` is the Bot API's wording of it."""

    def __init__(self, message: str) -> None:
        self.message = message
        self.description = "Bad Request: " + message[:1].lower() + message[1:]
        super().__init__(self.description)


def locate() -> Path | None:
    """libtdjson.so named by NEWSBOT_TDJSON, else the one .ci/install-tdlib installed."""
    named = os.environ.get(ENV)
    if named:
        return Path(named) if Path(named).is_file() else None
    found = sorted(INSTALLED.glob("*/libtdjson.so")) if INSTALLED.is_dir() else []
    return found[0] if found else None


class TdJson:
    """The loaded library; `td_execute` is synchronous and thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lib = ctypes.CDLL(str(path))
        self._lib.td_execute.argtypes = [ctypes.c_char_p]
        self._lib.td_execute.restype = ctypes.c_char_p
        # TDLib logs to stderr by default; the tests want its answers only.
        self.execute({"@type": "setLogVerbosityLevel", "new_verbosity_level": 0})

    def execute(self, query: dict[str, Any]) -> dict[str, Any]:
        raw = self._lib.td_execute(json.dumps(query, ensure_ascii=False).encode("utf-8"))
        if raw is None:
            raise RuntimeError(f"td_execute answered nothing to {query['@type']}")
        answer: dict[str, Any] = json.loads(raw.decode("utf-8"))
        return answer

    def parse_raw(self, html: str) -> dict[str, Any]:
        """parseTextEntities: a td_api formattedText; TdError if TDLib refuses."""
        answer = self.execute(
            {
                "@type": "parseTextEntities",
                "text": html,
                "parse_mode": {"@type": "textParseModeHTML"},
            }
        )
        return _checked(answer)

    def fix_raw(self, formatted: dict[str, Any]) -> dict[str, Any]:
        """fix_formatted_text without the trim (see the module docstring)."""
        return _checked(self.execute({"@type": "parseMarkdown", "text": formatted}))

    def parse_html(self, html: str) -> TdText:
        return bot_api(self.parse_raw(html))

    def fix(self, formatted: dict[str, Any]) -> TdText:
        return bot_api(self.fix_raw(formatted))


def load() -> TdJson | None:
    path = locate()
    return TdJson(path) if path else None


def markdown_neutral(text: str) -> bool:
    """True when parseMarkdown's own markup step leaves `text` as it is."""
    if "`" in text or "[" in text:
        return False
    return not any(pair in text for pair in ("__", "**", "~~", "||"))


def trimmed(fixed: TdText) -> TdText:
    """The trim fix_formatted_text ends with when skip_trim is off (the one step no
    offline request runs): trailing spaces and newlines go, cutting the entities over
    them; leading ones go up to the first entity. Entities stay in TDLib's order."""
    text = fixed.text.rstrip(" \n")
    end = len(text.encode("utf-16-le")) // 2
    entities = [dict(e) for e in fixed.entities if e["offset"] < end]
    for e in entities:
        e["length"] = min(e["length"], end - e["offset"])
    first = min((e["offset"] for e in entities), default=end)
    lead = min(len(text) - len(text.lstrip(" \n")), first)
    for e in entities:
        e["offset"] -= lead
    entities.sort(key=lambda e: (e["offset"], -e["length"], _priority(e)))
    return TdText(text[lead:], entities)


def _priority(entity: dict[str, Any]) -> int:
    if entity["type"] == "pre" and entity.get("language"):
        return 10
    return _PRIORITIES.get(entity["type"], 50)


def _checked(answer: dict[str, Any]) -> dict[str, Any]:
    if answer.get("@type") == "error":
        raise TdError(str(answer.get("message", "")))
    return answer


def bot_api(formatted: dict[str, Any]) -> TdText:
    entities = [_entity(e) for e in formatted.get("entities", [])]
    return TdText(str(formatted["text"]), [e for e in entities if e is not None])


def _entity(entity: dict[str, Any]) -> dict[str, Any] | None:
    kind = entity["type"]
    name = kind["@type"]
    if name in _HIDDEN:
        return None
    out: dict[str, Any] = {"offset": entity["offset"], "length": entity["length"]}
    if name in _SIMPLE:
        out["type"] = _SIMPLE[name]
    elif name == "textEntityTypePreCode":
        out.update(type="pre", language=kind["language"])
    elif name == "textEntityTypeTextUrl":
        out.update(type="text_link", url=kind["url"])
    elif name == "textEntityTypeMentionName":
        out.update(type="text_mention", user={"id": kind["user_id"]})
    elif name == "textEntityTypeCustomEmoji":
        out.update(type="custom_emoji", custom_emoji_id=str(kind["custom_emoji_id"]))
    elif name == "textEntityTypeDateTime":
        out.update(type="date_time", unix_time=kind["unix_time"])
        formatting = kind.get("formatting_type")
        if formatting:
            out["date_time_format"] = _date_time_format(formatting)
    else:
        raise ValueError(f"an entity type this binding does not know: {name}")
    return out


def _date_time_format(formatting: dict[str, Any]) -> str:
    """The Bot API's "date_time_format" (r|w?[dD]?[tT]?) of a dateTimeFormattingType."""
    if formatting["@type"] == "dateTimeFormattingTypeRelative":
        return "r"
    week = "w" if formatting.get("show_day_of_week") else ""
    date = _PRECISION.get(formatting["date_precision"]["@type"])
    time = _PRECISION.get(formatting["time_precision"]["@type"])
    return week + ("" if date is None else "dD"[date]) + ("" if time is None else "tT"[time])


# --- inputs: what TDLib is asked about (tests/sandbox/test_tdlib_differential.py,
# bench/tdlib_agreement.py). NUL is left out: TDLib's JSON interface cuts a string
# at it, which a Bot API request does not.

URLS = [
    "https://example.com", "http://EXAMPLE.com/Path?q=1&amp;r=2#frag", "example.com",
    "example.com/ a b ", "www.example.com/x", "https://example.com:443/", "http://a.b:0/",
    "http://a.b:65536", "http://a.b:00080/x", "https://user:pw@a.b/", "https://@a.b",
    "tg://user?id=123", "tg:user?id=5", "TG://USER?ID=7#x", "tg://user/?x=1&id=9",
    "tg://user?id=0", "tg://user?id=1099511627776", "tg://resolve?domain=durov",
    "tg:resolve", "tg://a.b", "tg://a_b-c/?q", "ton://wallet", "tonsite://a.ton/x",
    "ton://a.b", "ftp://example.com", "javascript:alert(1)", "mailto:a@b.c",
    "//example.com", "http://", "http://localhost/", "http://[::1]/x", "http://[::g]/",
    "http://[::1", "https://пример.рф/путь", "http://a%20b.c", "http://a%2g.c", "http://.",
    "http://a b.c", " https://a.b ", "https://a.b/\t", "x", "", "https://a.b/\"q\"",
    "https://a.b/&lt;&gt;", "HTTPS://A.B/C", "http://a.b?x", "http://a.b#y", "a.b:8080",
    "http://a.b/%zz", "https://a.b/\u00a0x", "http://a,b.c", "http://a!b.c",
    "a@b@c.d", "x y@a.b", "%zz@a.b", "%4A:p@a.b", "é@a.b", "@a.b", "http://[::1]:80/",
    "http://[fe80::1%25eth0]/", "http://1.2.3.4", "http://a.b:99999", "http://a.b:-1",
    "http://a.b:+80", "http://:80", "http://a.b:", "https://a.b/?q=1 2", "tg://user?id=-5",
    "tg://user?id=5&id=6", "tg://user#id=5", "tg:user?ID=5", "tonsite://a-b.c_d/",
    "ton://a.b.c", "tg://a%20b", "tg://", "tg:", "http:/a.b", "http:a.b", "mailto:x@y.z",
    "HtTp://a.b", "http://a.b/\u2028x", "http://a.\u202e", "http://.\u2028",
    "https://a.b/\u200e\u200ex", "http://a\u0333.b",
]  # fmt: skip
TEXTS = [
    "a", "word", "Привет", "мир", "مرحبا", "שלום", "😀", "👨‍👩‍👧", "𝕏", "e\u0301",
    " ", "  ", "\n", "\n\n", "\t", "\r\n", "\r", "\x0b", "\x01", "\x1f", "\u00a0",
    "\u2028", "\u2029", "\u202e", "x\u0333", "\u030a", "\u033f", "\u200b", "\ufeff",
    "\u200e", "\u200f", "\u200e\u200e", "\u200f\u200e\u200f", "\u200e\u200f\u200e\u200f",
    "&lt;", "&gt;", "&amp;", "&quot;", "&nbsp;", "&#65;", "&#x41;", "&#X41;", "&#0;",
    "&#1114111;", "&#x10FFFF;", "&#x10fffe;", "&#128512;", "&#x1F600", "&#12345678;",
    "&", "&#", "&#x", "&amp", "&lt", "&LT;", ">", "'", '"', "=",
    "#tag", "#тег", "@username", "https://x.y/z", "1.5", "_", "*", "~", "|", "/cmd",
]  # fmt: skip
RARE_TEXTS = ["&#xd83d;&#xde00;", "&#xDFFF;", "<", "a < b", "<3", "</", "<<b>>"]
TAG_NOISE = ["<", "</", ">", "&", "<b>", "</b>", "<a ", "=", '"', "<b\x0b>", "</b\t>", "</b x>"]
TAG_NOISE += ["< b>", '<a href=x href="http://a.b">', '<a HREF="http://a.b">', "<i\r\n>"]
TAG_NOISE += ["<a href = 'http://a.b' >", '<a href="http://a.b>', "<code class=language-py>"]
TAG_NOISE += ["<blockquote EXPANDABLE>", "<tg-emoji emoji-id=5>", "<b title=&quot;>", "</i\n>"]
TAG_NOISE += ['<span class="tg-spoiler" class="x">', '<span class="x" class="tg-spoiler">']
SIMPLE = ["b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler"]
JUNK_ATTRIBUTES = [' title="x"', " x=1", " expandable", " a='b'", ' class="language-x"']
LANGUAGES = ["python", "c++", "", "Py", "a b", "language-x", "&lt;x&gt;"]
EMOJI_IDS = ["5368324170671202286"] * 12 + ["1", "0", "-5", "9223372036854775807"]
EMOJI_IDS += ["9223372036854775808", "-9223372036854775808", "99999999999999999999", "abc"]
EMOJI_IDS += ["", "05", "+1", "-0", "1 "]
UNIX = ["1700000000"] * 6 + ["1", "0", "-1", "99999999999", "2147483648", "4294967301", "abc"]
UNIX += ["", " 5", "5x", "+5", "--5", "-4294967291"]
FORMATS = [None] * 3 + ["", "r", "R", "wDT", "dt", "Dd", "tT", "w", "W", "D", "T"]
FORMATS += ["x", "rw", "d d"]


def _quoted(rng: random.Random, value: str) -> str:
    token = value and all(ch.isascii() and (ch.isalnum() or ch in ".-") for ch in value)
    style = rng.random()
    if token and style < 0.2:
        return value
    if style < 0.3 and "'" not in value:
        return f"'{value}'"
    return f'"{value}"'


def _open_tag(rng: random.Random) -> tuple[str, str]:
    """A start tag and the name its end tag uses."""
    roll = rng.random()
    if roll < 0.45:
        name = rng.choice(SIMPLE)
        attrs = rng.choice(JUNK_ATTRIBUTES) if rng.random() < 0.1 else ""
    elif roll < 0.6:
        name = "a"
        attrs = f" href={_quoted(rng, rng.choice(URLS))}" if rng.random() < 0.85 else ""
    elif roll < 0.67:
        name = "code"
        attrs = f" class={_quoted(rng, 'language-' + rng.choice(LANGUAGES))}"
        attrs = attrs if rng.random() < 0.5 else ""
    elif roll < 0.73:
        name, attrs = "pre", ""
    elif roll < 0.8:
        name = "blockquote"
        attrs = rng.choice(["", "", " expandable", ' expandable=""', " expandable=1"])
    elif roll < 0.85:
        name = "span"
        attrs = f" class={_quoted(rng, rng.choice(['tg-spoiler'] * 18 + ['tg-x', 'x']))}"
    elif roll < 0.9:
        name, attrs = "tg-emoji", f" emoji-id={_quoted(rng, rng.choice(EMOJI_IDS))}"
    elif roll < 0.975:
        name = "tg-time"
        attrs = f" unix={_quoted(rng, rng.choice(UNIX))}" if rng.random() < 0.9 else ""
        date_format = rng.choice(FORMATS)
        attrs += "" if date_format is None else f" format={_quoted(rng, date_format)}"
    elif roll < 0.985:
        name, attrs = rng.choice(SIMPLE), rng.choice(["/", " =x", " x='1'/", ' "x"'])
    else:
        name, attrs = rng.choice(["p", "br", "div", "tg-x", "b1", "a:b"]), ""
    shown = name.upper() if rng.random() < 0.05 else name
    return f"<{shown}{attrs}{rng.choice(['', '', '', ' ', chr(10)])}>", name


def _close_tag(rng: random.Random, name: str) -> str:
    roll = rng.random()
    if roll < 0.04:
        return "</>"  # an empty end tag closes whatever is open
    if roll < 0.08:
        return f"</{name.upper()} >"
    return f"</{name}>"


def _content(rng: random.Random, depth: int) -> str:
    out = []
    for _ in range(rng.randint(0, 4)):
        if depth < 4 and rng.random() < 0.4:
            out.append(_element(rng, depth + 1))
        else:
            pool = RARE_TEXTS if rng.random() < 0.01 else TEXTS
            out.append("".join(rng.choices(pool, k=rng.randint(1, 3))))
    return "".join(out)


def _element(rng: random.Random, depth: int) -> str:
    if rng.random() < 0.05:  # <pre><code class="language-...">: a pre with a language
        language = rng.choice(LANGUAGES)
        inner = _content(rng, depth + 1)
        return f'<pre><code class="language-{language}">{inner}</code></pre>'
    start, name = _open_tag(rng)
    return start + _content(rng, depth) + _close_tag(rng, name)


def _mutate(rng: random.Random, html: str) -> str:
    at = rng.randint(0, len(html))
    roll = rng.random()
    if roll < 0.3:
        return html[:at] + rng.choice(TAG_NOISE) + html[at:]
    if roll < 0.6:
        return html[:at] + html[at + 1 :]
    if roll < 0.8:
        return html[:at]
    end = rng.randint(at, len(html))
    return html[:at] + html[at:end] * 2 + html[end:]


def hostile_html(rng: random.Random) -> str:
    html = "".join(_element(rng, 0) for _ in range(rng.randint(1, 4)))
    while rng.random() < 0.2:
        html = _mutate(rng, html)
    return html


def product_html(rng: random.Random) -> str:
    """Well-formed markup of the kind a channel template makes: tags nested properly,
    quoted attributes, escaped text, no link in a link nor quote in a quote (the
    product refuses those itself)."""
    texts = [t for t in TEXTS if "&" not in t and t not in ("<", ">")] + ["&amp;", "&lt;"]
    tags = [*SIMPLE, "span", "a", "a", "code", "pre", "blockquote", "tg-emoji", "tg-time"]

    def node(depth: int, inside: frozenset[str]) -> str:
        name = rng.choice(tags)
        if depth > 3 or rng.random() < 0.45 or name in inside:
            return "".join(rng.choices(texts, k=rng.randint(1, 3)))
        attrs = {
            "a": f' href="{rng.choice(URLS[:20])}"',
            "span": ' class="tg-spoiler"',
            "code": rng.choice(["", ' class="language-python"']),
            "tg-emoji": ' emoji-id="5368324170671202286"',
            "tg-time": f' unix="{rng.choice(UNIX[:8])}" format="{rng.choice(["", "r", "wDT"])}"',
            "blockquote": rng.choice(["", " expandable"]),
        }.get(name, "")
        inner = "".join(node(depth + 1, inside | {name}) for _ in range(rng.randint(1, 3)))
        return f"<{name}{attrs}>{inner}</{name}>"

    return "".join(node(0, frozenset()) for _ in range(rng.randint(1, 6)))


def inputs(make: Callable[[random.Random], str], count: int, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    for _ in range(count):
        yield make(rng)
