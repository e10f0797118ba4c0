"""The Bot API sandbox's edits and deletes: editMessageText, editMessageCaption,
editMessageMedia, editMessageReplyMarkup, deleteMessage.

Sources: https://core.telegram.org/bots/api#updating-messages ; tdlib/telegram-bot-api
`Client.cpp` (process_edit_message_*_query, get_input_media, get_formatted_text,
fail_query_with_error) and tdlib's MessagesManager (edit_message_*, can_delete_message).
The rules kept here:
- A bot edits its own channel posts at any age: the reference names no time limit for
  a bot's own messages (its 48 hours are for business messages not sent by the bot).
  Deleting is what ends at 48 hours: "message can't be deleted".
- An edit that changes nothing (content, entities, keyboard) is refused with "message
  is not modified: ..." (Client.cpp's text for MESSAGE_NOT_MODIFIED).
- editMessageText needs a text message, editMessageCaption a photo (tdlib's "There is
  no text/caption in the message to edit").
- editMessageMedia replaces a photo, or puts a photo on a text message: the reference
  says it may "replace a text ... message with a media". Servers before that answered
  "there is no media in the message to edit"; `media_on_text = False` brings it back.
  Only InputMediaPhoto is implemented; other types get Client.cpp's answer for an
  unknown type.
- Every accepted edit appends {"method", "at", "before", "after"} to
  `SentMessage.edits` (snapshots from `SentMessage.content()`) and sets `edit_date`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.records import UploadedFile, as_bool, as_json, as_str
from sandbox.tgmethods import (
    NOT_MODIFIED,
    MessageMethods,
    json_dict,
    link_preview,
    prepare_text,
)
from sandbox.tgmodels import (
    SECONDS_48H,
    Chat,
    SentMessage,
    TgError,
    bad_request,
    message_json,
)

CAPTION_TOO_LONG = "Bad Request: message caption is too long"


@dataclass(frozen=True)
class InputMediaPhoto:
    media: Any  # a URL, a file_id, "attach://<field>" or an uploaded file
    caption: str
    parse_mode: Any
    caption_entities: Any
    show_caption_above_media: bool


class EditMethods(MessageMethods):
    # False: editMessageMedia refuses a text message, as Bot API servers did before
    # media could be put on one.
    media_on_text: bool = True

    def find_message(self, params: dict[str, Any], what: str) -> tuple[Chat, SentMessage]:
        chat = self.resolve_chat(params.get("chat_id"))
        try:
            message_id = int(as_str(params.get("message_id")).strip())
        except ValueError:
            raise bad_request(f"{what} not found") from None
        for post in self.posts:
            if post.chat_id == chat.id and post.message_id == message_id and not post.deleted:
                return chat, post
        raise bad_request(f"{what} not found")

    def _record_edit(self, msg: SentMessage, method: str, before: dict[str, Any]) -> None:
        at = int(self.now())
        msg.edits.append({"method": method, "at": at, "before": before, "after": msg.content()})
        msg.edit_date = at

    async def _edit_message_text(self, params: dict[str, Any], token: str) -> Any:
        # Client.cpp parses the text and the keyboard before it looks the message up.
        raw = as_str(params.get("text"))
        if not raw:
            raise bad_request("message text is empty")
        parsed = prepare_text(raw, params.get("parse_mode"), params.get("entities"), caption=False)
        markup = json_dict(params.get("reply_markup"))
        chat, msg = self.find_message(params, "message to edit")
        self.check_write(chat)
        if msg.is_photo:
            raise bad_request("there is no text in the message to edit")
        if (parsed.text, parsed.entities, markup) == (msg.text, msg.entities, msg.reply_markup):
            raise bad_request(NOT_MODIFIED)
        before = msg.content()
        msg.text, msg.html, msg.entities = parsed.text, raw, parsed.entities
        msg.reply_markup = markup
        msg.link_preview_options = link_preview(params)
        self._record_edit(msg, "editMessageText", before)
        return message_json(msg, chat, self.bot_user(token))

    async def _edit_message_caption(self, params: dict[str, Any], token: str) -> Any:
        raw = as_str(params.get("caption"))
        parsed = prepare_text(
            raw, params.get("parse_mode"), params.get("caption_entities"), caption=True
        )
        markup = json_dict(params.get("reply_markup"))
        above = as_bool(params.get("show_caption_above_media"))
        chat, msg = self.find_message(params, "message to edit")
        self.check_write(chat)
        if not msg.is_photo:
            raise bad_request("there is no caption in the message to edit")
        caption = parsed.text or None
        new = (caption, parsed.entities, markup, above)
        if new == (msg.caption, msg.entities, msg.reply_markup, msg.show_caption_above_media):
            raise bad_request(NOT_MODIFIED)
        before = msg.content()
        msg.caption, msg.html, msg.entities = caption, raw, parsed.entities
        msg.reply_markup, msg.show_caption_above_media = markup, above
        self._record_edit(msg, "editMessageCaption", before)
        return message_json(msg, chat, self.bot_user(token))

    async def _edit_message_media(self, params: dict[str, Any], token: str) -> Any:
        """https://core.telegram.org/bots/api#editmessagemedia with an InputMediaPhoto."""
        media = _input_media(params)
        too_long: TgError | None = None
        try:
            parsed = prepare_text(
                media.caption, media.parse_mode, media.caption_entities, caption=True
            )
        except TgError as exc:
            # The length is TDLib's check, made after the message is found; every other
            # caption error comes from parsing the InputMedia, before.
            if exc.description != CAPTION_TOO_LONG:
                # TDLib's own words start with a capital ("Can't parse entities: ...").
                inner = exc.description.removeprefix("Bad Request: ")
                raise _media_error(inner[:1].upper() + inner[1:]) from None
            too_long = exc
        markup = json_dict(params.get("reply_markup"))
        chat, msg = self.find_message(params, "message to edit")
        self.check_write(chat)
        if not msg.is_photo and not self.media_on_text:
            raise bad_request("there is no media in the message to edit")
        if too_long is not None:
            raise too_long
        photo = self.photo_source(media.media, params, "media not found")
        caption = parsed.text or None
        above = media.show_caption_above_media
        new = (photo, caption, parsed.entities, above, markup)
        old = (msg.photo, msg.caption, msg.entities, msg.show_caption_above_media)
        if new == (*old, msg.reply_markup):
            raise bad_request(NOT_MODIFIED)
        before = msg.content()
        msg.photo, msg.caption, msg.entities = photo, caption, parsed.entities
        msg.html, msg.text, msg.link_preview_options = media.caption, None, None
        msg.show_caption_above_media, msg.reply_markup = above, markup
        self._record_edit(msg, "editMessageMedia", before)
        return message_json(msg, chat, self.bot_user(token))

    async def _edit_message_reply_markup(self, params: dict[str, Any], token: str) -> Any:
        """https://core.telegram.org/bots/api#editmessagereplymarkup: no markup removes
        the buttons; the same markup again is "message is not modified"."""
        chat, msg = self.find_message(params, "message to edit")
        markup = json_dict(params.get("reply_markup"))
        if markup == msg.reply_markup or (not markup and not msg.reply_markup):
            raise bad_request(NOT_MODIFIED)
        before = msg.content()
        msg.reply_markup = markup
        self._record_edit(msg, "editMessageReplyMarkup", before)
        return message_json(msg, chat, self.bot_user(token))

    async def _delete_message(self, params: dict[str, Any], token: str) -> Any:
        chat, msg = self.find_message(params, "message to delete")
        self.check_write(chat)
        # tdlib can_delete_channel_message: bots can't delete messages older than 48 h.
        if self.now() - msg.date >= SECONDS_48H:
            raise bad_request("message can't be deleted")
        msg.deleted = True
        return True


def _input_media(params: dict[str, Any]) -> InputMediaPhoto:
    """Client.cpp get_input_media: the `media` parameter as an InputMediaPhoto, or the
    server's words for what is wrong with it."""
    raw = params.get("media")
    if raw is None or raw == "":
        raise bad_request('parameter "media" is required')
    if isinstance(raw, UploadedFile):
        raise bad_request("can't parse input media JSON object")
    try:
        value = as_json(raw)
    except ValueError:
        raise bad_request("can't parse input media JSON object") from None
    if not isinstance(value, dict):
        raise _media_error("expected an Object")
    source = value.get("media")
    attached = isinstance(source, str) and source.startswith("attach://")
    if attached and not isinstance(params.get(str(source)[len("attach://") :]), UploadedFile):
        source = None
    if not isinstance(source, str) or not source:
        raise _media_error("media not found")
    kind = value.get("type")
    if not isinstance(kind, str):
        # td::JsonObject::get_required_string_field (recalled wording).
        raise _media_error('Can\'t find field "type"')
    if kind != "photo":
        raise _media_error(f'type "{kind}" is unsupported')
    return InputMediaPhoto(
        media=source,
        caption=as_str(value.get("caption")),
        parse_mode=value.get("parse_mode"),
        caption_entities=value.get("caption_entities"),
        show_caption_above_media=as_bool(value.get("show_caption_above_media")),
    )


def _media_error(message: str) -> TgError:
    """An error inside the InputMedia: Client.cpp prefixes "Can't parse InputMedia: "
    and fail_query_with_error lowers only the first letter of the whole."""
    return bad_request("can't parse InputMedia: " + message)
