"""The Bot API methods that send messages and read chats: sendMessage, sendPhoto,
getChat, getChatMember (edits and deletes: sandbox.tgedits). Texts of errors:
tdlib/telegram-bot-api `Client.cpp` (fail_query_with_error, check_chat, check_message)
and tdlib; see docs/architecture.md "Telegram".
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from typing import Any

from sandbox.records import UploadedFile, as_bool, as_json, as_str
from sandbox.tghtml import HtmlParseError, ParsedText
from sandbox.tgmodels import (
    Chat,
    ChatRegistry,
    SentMessage,
    TgError,
    bad_request,
    message_json,
    photo_sizes,
    stable_channel_id,
)
from sandbox.tgmodels import prepare_text as _prepare_text

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": False,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": False,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_send_welcome_messages": False,
    "can_edit_messages": True,
}


class MessageMethods:
    chats: ChatRegistry
    strict_chats: bool
    posts: list[SentMessage]
    unreachable_urls: set[str]
    wrong_type_urls: set[str]
    clock_offset: float
    rate_limit: tuple[int, float] | None
    bot_rate_limit: tuple[int, float] | None
    _sent_at: defaultdict[int, deque[float]]
    _bot_sent_at: deque[float]

    def now(self) -> float:
        return time.time() + self.clock_offset

    def bot_user(self, token: str) -> dict[str, Any]:
        return {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": "Sandbox Bot",
            "username": "sandbox_bot",
        }

    # -- chats and rights ---------------------------------------------------------

    def resolve_chat(self, value: Any) -> Chat:
        ref = as_str(value).strip()
        if not ref:
            raise bad_request("chat_id is empty")
        chat = self.chats.find(ref)
        if chat is not None:
            return chat
        if self.strict_chats:
            raise bad_request("chat not found")
        if ref.startswith("@") and len(ref) > 1:
            name = ref[1:]
            return self.chats.add(Chat(stable_channel_id(name), "channel", f"@{name}", name))
        try:
            chat_id = int(ref)
        except ValueError:
            raise bad_request("chat not found") from None
        if chat_id > 0:
            return self.chats.add(Chat(chat_id, "private", "User"))
        if str(chat_id).startswith("-100"):
            return self.chats.add(Chat(chat_id, "channel", f"Channel {chat_id}"))
        return self.chats.add(Chat(chat_id, "group", f"Group {chat_id}"))

    def check_write(self, chat: Chat) -> None:
        kind = "channel" if chat.type == "channel" else "group"
        if chat.type == "private":
            return
        if chat.kicked:
            raise TgError(403, f"Forbidden: bot was kicked from the {kind} chat")
        if not chat.member:
            raise TgError(403, f"Forbidden: bot is not a member of the {kind} chat")
        if not chat.can_post and chat.type == "channel":
            raise bad_request("need administrator rights in the channel chat")

    def check_rate(self, chat_id: int) -> None:
        """429 with the whole seconds until a slot frees, per chat then per bot."""
        now = time.monotonic()
        windows = (
            (self.rate_limit, self._sent_at[chat_id]),
            (self.bot_rate_limit, self._bot_sent_at),
        )
        for limit, sent in windows:
            if limit is None:
                continue
            count, period = limit
            while sent and sent[0] <= now - period:
                sent.popleft()
            if len(sent) >= count:
                wait = max(1, math.ceil(sent[0] + period - now))
                raise TgError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})

    def _record_send(self, chat: Chat, msg: SentMessage) -> None:
        now = time.monotonic()
        self._sent_at[chat.id].append(now)
        self._bot_sent_at.append(now)
        chat.next_message_id += 1
        self.posts.append(msg)

    def _new_message(self, chat: Chat, params: dict[str, Any], method: str) -> SentMessage:
        return SentMessage(
            chat_id=chat.id,
            chat_username=chat.username,
            message_id=chat.next_message_id,
            method=method,
            text=None,
            html="",
            caption=None,
            entities=[],
            photo=None,
            parse_mode=as_str(params.get("parse_mode")) or None,
            link_preview_options=link_preview(params),
            reply_markup=json_dict(params.get("reply_markup")),
            disable_notification=as_bool(params.get("disable_notification")),
            date=int(self.now()),
        )

    # -- send ---------------------------------------------------------------------

    async def _send_message(self, params: dict[str, Any], token: str) -> Any:
        raw = as_str(params.get("text"))
        if not raw:
            raise bad_request("message text is empty")
        parsed = prepare_text(raw, params.get("parse_mode"), params.get("entities"), caption=False)
        chat = self.resolve_chat(params.get("chat_id"))
        self.check_write(chat)
        self.check_rate(chat.id)
        msg = self._new_message(chat, params, "sendMessage")
        msg.text, msg.html, msg.entities = parsed.text, raw, parsed.entities
        self._record_send(chat, msg)
        return message_json(msg, chat, self.bot_user(token))

    async def _send_photo(self, params: dict[str, Any], token: str) -> Any:
        photo = self.photo_source(params.get("photo"), params, "there is no photo in the request")
        raw = as_str(params.get("caption"))
        parsed = prepare_text(
            raw, params.get("parse_mode"), params.get("caption_entities"), caption=True
        )
        chat = self.resolve_chat(params.get("chat_id"))
        self.check_write(chat)
        self.check_rate(chat.id)
        msg = self._new_message(chat, params, "sendPhoto")
        msg.link_preview_options = None
        msg.photo, msg.html = photo, raw
        msg.caption, msg.entities = (parsed.text or None), parsed.entities
        msg.show_caption_above_media = as_bool(params.get("show_caption_above_media"))
        self._record_send(chat, msg)
        return message_json(msg, chat, self.bot_user(token))

    def photo_source(self, value: Any, params: dict[str, Any], missing: str) -> str:
        """The photo a sendPhoto `photo` (or an InputMediaPhoto `media`) names: an
        upload ("attach://<field>" or the field itself), an HTTP URL or a file_id of a
        photo the sandbox sent; `missing` is the error when there is none."""
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if isinstance(value, UploadedFile):
            return f"upload:{value.filename}:{value.size}"
        source = as_str(value).strip()
        if not source:
            raise bad_request(missing)
        if source.startswith(("http://", "https://")):
            # The sandbox never fetches URLs; tests mark the ones that would fail.
            if source in self.unreachable_urls:
                raise bad_request("failed to get HTTP URL content")
            if source in self.wrong_type_urls:
                raise bad_request("wrong type of the web page content")
            return source
        for post in self.posts:
            if post.photo and any(size["file_id"] == source for size in photo_sizes(post.photo)):
                return post.photo
        raise bad_request("wrong file identifier/HTTP URL specified")

    # -- chat info -----------------------------------------------------------------

    async def _get_chat(self, params: dict[str, Any], token: str) -> Any:
        chat = self.resolve_chat(params.get("chat_id"))
        if chat.type != "private" and not chat.member and not chat.username:
            raise bad_request("chat not found")
        return {
            **chat.json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _get_chat_member(self, params: dict[str, Any], token: str) -> Any:
        chat = self.resolve_chat(params.get("chat_id"))
        try:
            user_id = int(as_str(params.get("user_id")).strip())
        except ValueError:
            raise bad_request("invalid user_id specified") from None
        bot = self.bot_user(token)
        if user_id != bot["id"] and chat.members is not None and user_id not in chat.members:
            return {"status": "left", "user": {"id": user_id, "is_bot": False, "first_name": "U"}}
        if user_id != bot["id"]:
            return {
                "status": "member",
                "user": {"id": user_id, "is_bot": False, "first_name": "User"},
            }
        if chat.kicked:
            return {"status": "kicked", "user": bot, "until_date": 0}
        if not chat.member:
            return {"status": "left", "user": bot}
        if chat.type == "private":
            return {"status": "member", "user": bot}
        rights = {**ADMIN_RIGHTS, "can_delete_messages": chat.can_delete}
        if chat.type == "channel":  # can_post_messages and can_edit_messages: channels only
            rights.update(can_post_messages=chat.can_post, can_edit_messages=chat.can_edit)
        else:
            rights.pop("can_edit_messages")
        return {"status": "administrator", "user": bot, **rights}


def json_dict(value: Any) -> dict[str, Any] | None:
    try:
        decoded = as_json(value)
    except ValueError:
        raise bad_request("can't parse reply keyboard markup JSON object") from None
    return decoded if isinstance(decoded, dict) else None


def link_preview(params: dict[str, Any]) -> dict[str, Any] | None:
    if params.get("link_preview_options") is not None:
        try:
            decoded = as_json(params.get("link_preview_options"))
        except ValueError:
            raise bad_request("can't parse link preview options JSON object") from None
        return decoded if isinstance(decoded, dict) else None
    if as_bool(params.get("disable_web_page_preview")):
        return {"is_disabled": True}
    return None


def prepare_text(raw: str, parse_mode: Any, entities: Any, *, caption: bool) -> ParsedText:
    """sandbox.tgmodels.prepare_text; explicit entities TDLib refuses (a text_link whose
    URL fails LinkManager::check_link) are a 400 like a bad parse, not a crash."""
    try:
        return _prepare_text(raw, parse_mode, entities, caption=caption)
    except HtmlParseError as exc:
        raise TgError(400, exc.description) from None
