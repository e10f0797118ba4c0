"""Message entities as tdlib keeps them: nesting rules, splitting, the 100-entity cap,
and the url/hashtag/mention entities the server finds by itself.

A port of tdlib `td/telegram/MessageEntity.cpp` (2026, the code of TDLib 1.8.65 that
tests/sandbox/test_tdlib_differential.py runs against): `fix_entities` (continuous
entities cannot intersect or nest; blockquotes cannot nest and cut the continuous
entities that straddle them), `split_entities` (bold/italic/underline/strikethrough/
spoiler are cut out of code, pre and date_time, merged where they touch, and split
where another entity starts inside them: `<b>x <i>y</i> z</b>` is bold "x ", bold
"y z", italic "y"), `get_input_message_entities` (MAX_USER_ENTITY_COUNT = 100
"server-side limit", custom emoji not counted, the rest silently dropped) and
`merge_new_entities` (found entities never overlap entities the sender set).

Invariant: every function takes and returns entities sorted by `sort_key`, tdlib's
MessageEntity::operator< (offset, then longer first, then type priority).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_ENTITIES = 100
# The order split_entities flushes them in; it decides the order of equal pieces.
SPLITTABLE = ("bold", "italic", "underline", "strikethrough", "spoiler")
BLOCKQUOTES = frozenset({"blockquote", "expandable_blockquote"})
# get_pre_entities_mask: nothing can be nested in them, formatting is cut out of them.
PRE_LIKE = frozenset({"code", "pre", "date_time"})
# get_user_entities_mask: what the sender sets (and the server counts).
USER = (
    frozenset(SPLITTABLE) | BLOCKQUOTES | PRE_LIKE | {"text_link", "text_mention", "custom_emoji"}
)
# MessageEntity::get_type_priority; a "pre" with a language is PreCode (10).
PRIORITY = {
    "mention": 50,
    "hashtag": 50,
    "bot_command": 50,
    "url": 50,
    "email": 50,
    "bold": 90,
    "italic": 91,
    "code": 20,
    "pre": 11,
    "text_link": 49,
    "text_mention": 49,
    "cashtag": 50,
    "phone_number": 50,
    "underline": 92,
    "strikethrough": 93,
    "blockquote": 0,
    "bank_card_number": 50,
    "spoiler": 94,
    "custom_emoji": 99,
    "expandable_blockquote": 0,
    "date_time": 30,
}
_END = 1 << 31


@dataclass
class Entity:
    type: str
    offset: int  # UTF-16 code units
    length: int
    url: str | None = None
    language: str | None = None
    custom_emoji_id: str | None = None
    user_id: int | None = None
    unix_time: int | None = None
    date_time_format: str | None = None

    @property
    def end(self) -> int:
        return self.offset + self.length


def sort_key(e: Entity) -> tuple[int, int, int]:
    priority = 10 if e.type == "pre" and e.language else PRIORITY.get(e.type, 50)
    return (e.offset, -e.length, priority)


def sort_entities(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=sort_key)


def to_json(e: Entity) -> dict[str, Any]:
    """The Bot API MessageEntity object."""
    out: dict[str, Any] = {"offset": e.offset, "length": e.length, "type": e.type}
    if e.url is not None:
        out["url"] = e.url
    if e.language:
        out["language"] = e.language
    if e.custom_emoji_id is not None:
        out["custom_emoji_id"] = e.custom_emoji_id
    if e.user_id is not None:
        out["user"] = {"id": e.user_id, "is_bot": False, "first_name": "User"}
    if e.unix_time is not None:
        out["unix_time"] = e.unix_time
    if e.date_time_format:
        out["date_time_format"] = e.date_time_format
    return out


def from_json(d: dict[str, Any]) -> Entity:
    user = d.get("user")
    unix_time = d.get("unix_time")
    return Entity(
        type=str(d.get("type", "")),
        offset=int(d.get("offset", 0)),
        length=int(d.get("length", 0)),
        url=d.get("url"),
        language=d.get("language"),
        custom_emoji_id=d.get("custom_emoji_id"),
        user_id=int(user["id"]) if isinstance(user, dict) and "id" in user else None,
        unix_time=int(unix_time) if unix_time is not None else None,
        date_time_format=d.get("date_time_format"),
    )


def _remove_intersecting(entities: list[Entity]) -> list[Entity]:
    """remove_intersecting_entities: keep an entity only if it starts after every kept
    one ends, so nested ones go too."""
    kept: list[Entity] = []
    last_end = 0
    for e in entities:
        if e.offset >= last_end:
            kept.append(e)
            last_end = e.end
    return kept


def _outside_blockquotes(entities: list[Entity], quotes: list[Entity]) -> list[Entity]:
    """remove_entities_intersecting_blockquote: an entity may sit inside or outside a
    blockquote, never across its border (both lists sorted and non-overlapping)."""
    kept: list[Entity] = []
    q = 0
    for e in entities:
        while q < len(quotes) and quotes[q].end <= e.offset:
            q += 1
        if q < len(quotes) and (quotes[q].end < e.end or e.offset < quotes[q].offset < e.end):
            continue
        kept.append(e)
    return kept


def split_entities(splittable: list[Entity], others: list[Entity]) -> list[Entity]:
    """tdlib split_entities: merge each formatting type's overlapping or touching runs,
    cut them where any entity begins or ends, and drop what lies in code/pre/date_time.
    A run of one type is also cut where a run of another type begins."""
    begin = dict.fromkeys(SPLITTABLE, 0)
    end = dict.fromkeys(SPLITTABLE, 0)
    result: list[Entity] = []
    queue = iter(splittable)
    pending = next(queue, None)

    def flush(offset: int) -> None:
        for kind in SPLITTABLE:
            if end[kind] != 0 and begin[kind] < offset:
                stop = min(end[kind], offset)
                result.append(Entity(kind, begin[kind], stop - begin[kind]))
                begin[kind], end[kind] = (0, 0) if end[kind] <= offset else (offset, end[kind])

    def add_entities(end_offset: int) -> None:
        nonlocal pending
        while pending is not None and pending.offset < end_offset:
            kind = pending.type
            if end[kind] != 0 and pending.offset <= end[kind]:
                end[kind] = max(end[kind], pending.end)
            else:
                flush(pending.offset)
                begin[kind], end[kind] = pending.offset, pending.end
            pending = next(queue, None)
        flush(end_offset)

    stack: list[Entity] = []

    def add_offset(offset: int) -> None:
        while stack and offset >= stack[-1].end:
            before = len(result)
            add_entities(stack[-1].end)
            if stack[-1].type in PRE_LIKE:
                del result[before:]
            stack.pop()
        add_entities(offset)

    for other in others:
        add_offset(other.offset)
        stack.append(other)
    add_offset(_END)
    return sort_entities(result)


def _resplit(splittable: list[Entity], others: list[Entity]) -> list[Entity]:
    if not splittable:
        return others
    pieces = split_entities(splittable, others)
    return sort_entities(others + pieces) if others else pieces


def fix_entities(entities: list[Entity]) -> list[Entity]:
    """tdlib fix_entities (its are_entities_valid fast path gives the same result)."""
    entities = sort_entities(entities)
    splittable = [e for e in entities if e.type in SPLITTABLE]
    quotes = [e for e in entities if e.type in BLOCKQUOTES]
    others = _remove_intersecting(
        [e for e in entities if e.type not in SPLITTABLE and e.type not in BLOCKQUOTES]
    )
    if quotes:
        quotes = _remove_intersecting(quotes)
        others = sort_entities(_outside_blockquotes(others, quotes) + quotes)
    return _resplit(splittable, others)


def counted(entities: list[Entity]) -> list[Entity]:
    """What tdlib get_input_message_entities sends, limit aside: the sender's entities
    with the formatting split again without the others (pieces split around a link
    join up, pieces split where another type begins stay apart)."""
    user = [e for e in entities if e.type in USER]
    formatting = split_entities([e for e in user if e.type in SPLITTABLE], [])
    return [e for e in user if e.type not in SPLITTABLE] + formatting


def count_entities(entities: list[Entity]) -> int:
    """The entities Telegram counts against its 100 (custom emoji are free)."""
    return sum(e.type != "custom_emoji" for e in counted(entities))


def cap_entities(entities: list[Entity]) -> list[Entity]:
    """The entities of the sent message: at most 100 reach the server, others first,
    then formatting; custom emoji do not count; the rest are dropped without an
    error. The server's entities are fixed again when the message comes back."""
    kept: list[Entity] = []
    count = 0
    for e in counted(entities):
        if e.type != "custom_emoji":
            if count >= MAX_ENTITIES:
                continue
            count += 1
        kept.append(e)
    return fix_entities(kept)


# A simplified tdlib find_entities: explicit http(s)/www links, #hashtags, @usernames.
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"«»]+", re.IGNORECASE)
_HASHTAG = re.compile(r"(?<![\w#])#(\w{1,256})(?![\w#])")
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{5,32})(?!\w)")
_URL_TRAILING = ".,;:!?)]}'\""


def _utf16_offsets(text: str) -> list[int]:
    offsets = [0]
    for ch in text:
        offsets.append(offsets[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return offsets


def find_entities(text: str) -> list[Entity]:
    at = _utf16_offsets(text)
    found: list[Entity] = []
    for m in _URL.finditer(text):
        start, end = m.start(), m.end()
        while end > start and text[end - 1] in _URL_TRAILING:
            end -= 1
        if end - start > 8:
            found.append(Entity("url", at[start], at[end] - at[start]))
    for m in _HASHTAG.finditer(text):
        if any(ch.isalpha() for ch in m.group(1)):
            found.append(Entity("hashtag", at[m.start()], at[m.end()] - at[m.start()]))
    for m in _MENTION.finditer(text):
        found.append(Entity("mention", at[m.start()], at[m.end()] - at[m.start()]))
    return _remove_intersecting(sort_entities(found))


def merge_found(entities: list[Entity], found: list[Entity]) -> list[Entity]:
    """tdlib merge_new_entities: a found entity is kept unless it overlaps a continuous
    entity or a blockquote border; formatting is split around the kept ones."""
    if not found:
        return entities
    splittable = [e for e in entities if e.type in SPLITTABLE]
    quotes = [e for e in entities if e.type in BLOCKQUOTES]
    old = [e for e in entities if e.type not in SPLITTABLE and e.type not in BLOCKQUOTES]
    new = _outside_blockquotes(found, quotes)
    merged: list[Entity] = []
    i = 0
    for e in old:  # merge_entities
        while i < len(new) and new[i].end <= e.offset:
            merged.append(new[i])
            i += 1
        merged.append(e)
        while i < len(new) and new[i].offset < e.end:
            i += 1
    merged += new[i:]
    if quotes:
        merged = sort_entities(merged + quotes)
    return _resplit(splittable, merged)
