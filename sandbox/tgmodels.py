"""The Telegram sandbox's state: chats, sent messages, and their Bot API JSON.

Shapes follow the Bot API reference (core.telegram.org/bots/api: Message, Chat,
ChatFullInfo, ChatMember*, PhotoSize) closely enough for aiogram 3 to parse them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from sandbox.records import as_json, as_str
from sandbox.tgentities import cap_entities, find_entities, from_json, merge_found, to_json
from sandbox.tghtml import HtmlParseError, ParsedText, parse_html, plain_text

TEXT_LIMIT = 4096  # Unicode code points after entity parsing
CAPTION_LIMIT = 1024
RAW_LIMIT = 1 << 15  # bytes before parsing (telegram-bot-api Client::get_formatted_text)
SECONDS_48H = 48 * 3600


class TgError(Exception):
    """A Bot API error answer: {"ok":false,"error_code":code,"description":...}."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            out["parameters"] = self.parameters
        return out


def bad_request(what: str) -> TgError:
    return TgError(400, f"Bad Request: {what}")


@dataclass
class Chat:
    id: int
    type: str  # "channel", "private" or "group"
    title: str | None = None
    username: str | None = None
    can_post: bool = True
    member: bool = True
    kicked: bool = False
    next_message_id: int = 1
    members: frozenset[int] | None = None  # users in a group (None: anyone asked is)
    # the bot's other administrator rights (ChatMemberAdministrator, channels)
    can_edit: bool = True
    can_delete: bool = True

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            out["first_name"] = self.title or "User"
        else:
            out["title"] = self.title or f"Channel {self.id}"
        if self.username:
            out["username"] = self.username
        return out


@dataclass
class SentMessage:
    chat_id: int
    chat_username: str | None
    message_id: int
    method: str  # how it was sent: "sendMessage" or "sendPhoto"
    text: str | None  # plain text after parsing (a text message)
    html: str  # the text or caption exactly as sent (or as last edited)
    caption: str | None  # plain caption after parsing (a photo message)
    entities: list[dict[str, Any]]  # entities of the text or of the caption
    photo: str | None  # None for a text message; editMessageMedia may add one
    parse_mode: str | None
    link_preview_options: dict[str, Any] | None
    reply_markup: dict[str, Any] | None
    disable_notification: bool
    date: int
    # One entry per accepted edit: {"method", "at", "before", "after"}, the last two
    # being `content()` snapshots.
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    edit_date: int | None = None
    show_caption_above_media: bool = False

    @property
    def is_photo(self) -> bool:
        return self.photo is not None

    def content(self) -> dict[str, Any]:
        """What an edit can change, as a plain dict (the `edits` snapshots)."""
        return {
            "text": self.text,
            "caption": self.caption,
            "html": self.html,
            "entities": list(self.entities),
            "photo": self.photo,
            "show_caption_above_media": self.show_caption_above_media,
            "link_preview_options": self.link_preview_options,
            "reply_markup": self.reply_markup,
        }


def stable_channel_id(username: str) -> int:
    """A -100xxxxxxxxxx id that depends only on the username."""
    digest = int(hashlib.sha256(username.lower().encode()).hexdigest(), 16)
    return -(10**12) - (1_000_000_000 + digest % 9_000_000_000)


class ChatRegistry:
    def __init__(self) -> None:
        self.by_id: dict[int, Chat] = {}

    def add(self, chat: Chat) -> Chat:
        self.by_id[chat.id] = chat
        return chat

    def by_username(self, username: str) -> Chat | None:
        name = username.lstrip("@").lower()
        return next((c for c in self.by_id.values() if (c.username or "").lower() == name), None)

    def find(self, ref: str | int) -> Chat | None:
        text = str(ref).strip()
        if text.startswith("@"):
            return self.by_username(text)
        try:
            return self.by_id.get(int(text))
        except ValueError:
            return None


def photo_sizes(file_key: str) -> list[dict[str, Any]]:
    digest = hashlib.sha256(file_key.encode()).hexdigest()
    sizes = [(90, 51), (320, 180), (800, 450), (1280, 720)]
    return [
        {
            "file_id": f"AgACAgIAAxkBAAI{digest[:24]}{n}",
            "file_unique_id": f"AQAD{digest[24:36]}{n}",
            "width": w,
            "height": h,
            "file_size": w * h // 8,
        }
        for n, (w, h) in enumerate(sizes)
    ]


def message_json(msg: SentMessage, chat: Chat, bot_user: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"message_id": msg.message_id}
    if chat.type == "channel":
        out["sender_chat"] = chat.json()
    else:
        out["from"] = bot_user
    out["chat"] = chat.json()
    out["date"] = msg.date
    if msg.edit_date is not None:
        out["edit_date"] = msg.edit_date
    if msg.is_photo:
        out["photo"] = photo_sizes(msg.photo or "")
        if msg.caption:
            out["caption"] = msg.caption
            if msg.entities:
                out["caption_entities"] = msg.entities
        if msg.show_caption_above_media:
            out["show_caption_above_media"] = True
    else:
        out["text"] = msg.text or ""
        if msg.entities:
            out["entities"] = msg.entities
        if msg.link_preview_options:
            out["link_preview_options"] = msg.link_preview_options
    if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
        out["reply_markup"] = msg.reply_markup
    return out


def prepare_text(raw: str, parse_mode: Any, entities: Any, *, caption: bool) -> ParsedText:
    """The text Telegram would keep, or the TgError it would answer."""
    if len(raw.encode("utf-8", "surrogatepass")) > RAW_LIMIT:
        raise bad_request("text is too long")
    mode = as_str(parse_mode).strip().lower()
    if raw and mode not in ("", "none"):
        if mode != "html":
            # Markdown and MarkdownV2 exist on the real server; the sandbox only speaks HTML.
            raise bad_request("unsupported parse_mode")
        try:
            parsed = parse_html(raw)
        except HtmlParseError as exc:
            raise TgError(400, exc.description) from None
    else:
        parsed = plain_text(raw, _entities_param(entities))
    if not parsed.text and not caption:
        raise bad_request("message text is empty")
    limit = CAPTION_LIMIT if caption else TEXT_LIMIT
    if parsed.length > limit:
        raise bad_request("message caption is too long" if caption else "message is too long")
    kept = cap_entities([from_json(e) for e in parsed.entities])
    final = merge_found(kept, find_entities(parsed.text))
    return ParsedText(parsed.text, [to_json(e) for e in final])


def _entities_param(value: Any) -> list[dict[str, Any]]:
    try:
        decoded = as_json(value)
    except ValueError:
        return []
    if not isinstance(decoded, list):
        return []
    return [e for e in decoded if isinstance(e, dict) and e.get("type") and e.get("length")]
