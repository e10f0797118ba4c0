"""Message entities as tdlib keeps them: nesting rules, the 100-entity cap, and the
url/hashtag/mention entities the server finds by itself.

Follows tdlib `td/telegram/MessageEntity.cpp`: `fix_entities` (continuous entities
cannot intersect or nest; blockquotes cannot nest; bold/italic/underline/strike/
spoiler are cut out of code and pre and merged when they touch),
`get_input_message_entities` (MAX_USER_ENTITY_COUNT = 100 "server-side limit",
custom emoji not counted, extra entities silently dropped) and `merge_new_entities`
(found entities never overlap entities the sender set). The Bot API ("Formatting
options") states the same nesting rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_ENTITIES = 100
SPLITTABLE = frozenset({"bold", "italic", "underline", "strikethrough", "spoiler"})
BLOCKQUOTES = frozenset({"blockquote", "expandable_blockquote"})
PRE_LIKE = frozenset({"pre", "code"})
# MessageEntity::get_type_priority: the tie-break of sort_entities.
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
}


@dataclass
class Entity:
    type: str
    offset: int  # UTF-16 code units
    length: int
    url: str | None = None
    language: str | None = None
    custom_emoji_id: str | None = None
    user_id: int | None = None

    @property
    def end(self) -> int:
        return self.offset + self.length


def sort_key(e: Entity) -> tuple[int, int, int]:
    return (e.offset, -e.length, PRIORITY.get(e.type, 50))


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
    return out


def from_json(d: dict[str, Any]) -> Entity:
    user = d.get("user")
    return Entity(
        type=str(d.get("type", "")),
        offset=int(d.get("offset", 0)),
        length=int(d.get("length", 0)),
        url=d.get("url"),
        language=d.get("language"),
        custom_emoji_id=d.get("custom_emoji_id"),
        user_id=int(user["id"]) if isinstance(user, dict) and "id" in user else None,
    )


def _remove_intersecting(entities: list[Entity]) -> list[Entity]:
    """Keep an entity only if it starts after every kept one ends (nested ones go)."""
    kept: list[Entity] = []
    last_end = 0
    for e in sorted(entities, key=sort_key):
        if e.offset >= last_end:
            kept.append(e)
            last_end = e.end
    return kept


def _outside_blockquotes(entities: list[Entity], quotes: list[Entity]) -> list[Entity]:
    """Drop entities that straddle a blockquote border (tdlib
    remove_entities_intersecting_blockquote); inside or outside is fine."""
    kept = []
    for e in entities:
        straddles = any(
            q.offset < e.end and e.offset < q.end and not (q.offset <= e.offset and e.end <= q.end)
            for q in quotes
        )
        if not straddles:
            kept.append(e)
    return kept


def _split(splittable: list[Entity], others: list[Entity]) -> list[Entity]:
    """Cut formatting out of code/pre and merge overlapping or touching runs of one type."""
    holes = [(o.offset, o.end) for o in others if o.type in PRE_LIKE]
    result: list[Entity] = []
    for kind in sorted({e.type for e in splittable}):
        covered: set[int] = set()
        for e in splittable:
            if e.type == kind:
                covered.update(range(e.offset, e.end))
        for start, end in holes:
            covered.difference_update(range(start, end))
        runs: list[list[int]] = []  # [start, end) pairs
        for pos in sorted(covered):
            if runs and runs[-1][1] == pos:
                runs[-1][1] = pos + 1
            else:
                runs.append([pos, pos + 1])
        result.extend(Entity(kind, start, end - start) for start, end in runs)
    return result


def fix_entities(entities: list[Entity]) -> list[Entity]:
    entities = [e for e in entities if e.length > 0]
    splittable = [e for e in entities if e.type in SPLITTABLE]
    quotes = _remove_intersecting([e for e in entities if e.type in BLOCKQUOTES])
    continuous = _remove_intersecting(
        [e for e in entities if e.type not in SPLITTABLE and e.type not in BLOCKQUOTES]
    )
    continuous = _outside_blockquotes(continuous, quotes)
    others = continuous + quotes
    return sorted(others + _split(splittable, others), key=sort_key)


def cap_entities(entities: list[Entity]) -> list[Entity]:
    """At most 100 entities reach the server: others first, then formatting; custom
    emoji do not count. The rest are dropped without an error."""
    kept: list[Entity] = []
    count = 0
    ordered = [e for e in entities if e.type not in SPLITTABLE] + [
        e for e in entities if e.type in SPLITTABLE
    ]
    for e in ordered:
        if e.type == "custom_emoji":
            kept.append(e)
        elif count < MAX_ENTITIES:
            kept.append(e)
            count += 1
    return sorted(kept, key=sort_key)


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
    return _remove_intersecting(found)


def merge_found(entities: list[Entity], found: list[Entity]) -> list[Entity]:
    """Add found entities that overlap no continuous entity and no blockquote border."""
    solid = [e for e in entities if e.type not in SPLITTABLE and e.type not in BLOCKQUOTES]
    quotes = [e for e in entities if e.type in BLOCKQUOTES]
    new = [f for f in found if not any(f.offset < s.end and s.offset < f.end for s in solid)]
    return sorted(entities + _outside_blockquotes(new, quotes), key=sort_key)
