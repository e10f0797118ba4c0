"""Sending a rendered payload through aiogram's Bot, and nothing but a PublishError back.

One Bot (one aiohttp session) serves every Telegram channel of the process. publish()
lets only PublishError out, except asyncio.CancelledError, which must reach whoever
cancelled the task (shutdown); the engine treats a cancelled send as ambiguous.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    DeleteMessage,
    EditMessageCaption,
    EditMessageMedia,
    EditMessageText,
    SendMessage,
    SendPhoto,
)
from aiogram.methods.base import Response
from aiogram.types import InputMediaPhoto, LinkPreviewOptions, Message

from bot.platforms import (
    FailureKind,
    Outcome,
    PlatformCall,
    Post,
    PublishError,
    RateLimit,
    Receipt,
)  # fmt: skip
from publishers.telegram import errors, render

if TYPE_CHECKING:
    from publishers.telegram import TelegramChannel

PUBLIC_API_BASE = "https://api.telegram.org"
# Bot API deleteMessage (https://core.telegram.org/bots/api#deletemessage): "a message can
# only be deleted if it was sent less than 48 hours ago". The docs let an admin with
# can_delete_messages delete any message; we do not count on that right, and tdlib's
# can_delete_channel_message refuses a bot past 48 h in a channel anyway.
DELETE_WINDOW_MS = 48 * 3600 * 1000

_T = TypeVar("_T")

# aiogram parses every answer as Response[<the method's result type>]
# (BaseSession.check_response), and pydantic keeps such parametrized models in a
# WeakValueDictionary (pydantic/_internal/_generics.py): once the garbage collector has
# taken one, the next answer builds it again, schema and validator (~4% of a delivering
# process's CPU in bench/pipeline.py). Referenced here, they live as long as the process.
_ANSWER_MODELS = tuple(
    Response[method.__returning__]  # type: ignore[name-defined]
    for method in (SendMessage, SendPhoto, EditMessageText, EditMessageCaption,
                   EditMessageMedia, DeleteMessage)
)  # fmt: skip


def _loads(text: str) -> Any:
    """The Bot API's answer; orjson is several times faster than json.loads here. What
    it refuses and json.loads takes (NaN, a lone surrogate escape) goes to json.loads,
    so an answer fails only as it failed before. (An integer past 64 bits would come back
    a float: the Bot API's ids fit in 52 bits.)"""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _dumps(value: Any) -> str:
    """A structured parameter (link_preview_options, media) as JSON for the form."""
    return orjson.dumps(value).decode()


def make_bot(token: str, api_base: str, *, html: bool = False) -> Bot:
    """A Bot on aiogram's default server, or on `api_base` (local Bot API, sandbox);
    `html`: messages default to HTML parse mode (the editors' bot)."""
    if api_base.rstrip("/") == PUBLIC_API_BASE:
        api = PRODUCTION
    else:
        # aiogram 3: TelegramAPIServer.from_base + AiohttpSession(api=...) for a custom server.
        api = TelegramAPIServer.from_base(api_base)
    default = DefaultBotProperties(parse_mode="HTML") if html else None
    session = AiohttpSession(api=api, json_loads=_loads, json_dumps=_dumps)
    return Bot(token, session=session, default=default)


PUBLIC_LINK_BASE = "https://t.me"


def post_url(
    chat_id: int, username: str | None, message_id: int, base: str = PUBLIC_LINK_BASE
) -> str:
    """The public link of a channel post: t.me/<username>/<id>, or t.me/c/<id>/<id>
    for a private channel, whose link drops the -100 prefix of its chat id (`base`:
    TELEGRAM_POST_LINK_BASE, t.me unless the sandbox's post pages stand in)."""
    base = base.rstrip("/")
    if username:
        return f"{base}/{username}/{message_id}"
    internal = str(chat_id).removeprefix("-100").lstrip("-")
    return f"{base}/c/{internal}/{message_id}"


class TelegramPublisher:
    """One channel's client. The Bot API cannot list a channel's posts, so an ambiguous
    send cannot be checked (no RECONCILE): the channel's `ambiguous` policy decides."""

    def __init__(
        self,
        channel: TelegramChannel,
        bot: Bot,
        bot_limit: RateLimit,
        *,
        link_base: str = PUBLIC_LINK_BASE,
    ) -> None:
        self.channel = channel
        self._bot = bot
        self._link_base = link_base
        self._limits = (
            RateLimit(f"tg:chat:{channel.chat}", channel.rate_per_minute / 60, channel.burst),
            bot_limit,
        )

    def rate_limits(self) -> Sequence[RateLimit]:
        return self._limits

    async def find_existing(self, post: Post, since_ms: int) -> Receipt | None:
        return None

    async def delete(self, remote_id: str, sent_at_ms: int) -> None:
        """deleteMessage on the post publish() made; remote_id is "chat_id:message_id"."""
        chat_id, message_id = _split_remote_id(remote_id)
        age_ms = int(time.time() * 1000) - sent_at_ms
        if age_ms >= DELETE_WINDOW_MS:
            raise PublishError(
                Outcome.PERMANENT,
                FailureKind.TOO_OLD,
                "Telegram lets a bot delete a message only within 48 hours of sending it; "
                f"this one was sent {age_ms // 3_600_000} hours ago: "
                "delete it in the channel by hand",
                code="too_old",
            )
        try:
            await self._call(
                self._bot.delete_message(chat_id=chat_id, message_id=message_id, **self._timeout())
            )
        except Exception as exc:
            error = errors.classify(exc, token=self._bot.token, publishing=False)
            # "message to delete not found": it is gone already (deleted by hand, or an
            # earlier attempt went through and its answer was lost), which is what we want.
            if error.code == "already_deleted":
                return
            raise error from None

    async def publish(self, post: Post, *, silent: bool = False) -> Receipt:
        params = {**post.call.params, "disable_notification": True} if silent else post.call.params
        try:
            message = await self._deliver(post.call.method, params)
        except PublishError:
            raise
        except Exception as exc:
            # `from None`: the chained aiohttp error may carry the token in its URL.
            raise errors.classify(exc, token=self._bot.token) from None
        return Receipt(
            remote_id=f"{message.chat.id}:{message.message_id}",
            url=post_url(
                message.chat.id, message.chat.username, message.message_id, self._link_base
            ),
        )

    async def edit(self, remote_id: str, previous: Post, new: Post) -> Receipt:
        """editMessageText for a text post, editMessageCaption for a photo post, and
        editMessageMedia when its photo changed (Bot API: a bot may edit its own channel
        posts at any age; "message is not modified" is a success)."""
        chat_id, message_id = _split_remote_id(remote_id)
        params = new.call.params
        target: dict[str, Any] = {"chat_id": chat_id, "message_id": message_id}
        if previous.call.method == "sendPhoto":
            caption = {"caption": params.get("caption", new.text), "parse_mode": "HTML"}
            if new.image and new.image != previous.image:
                media = InputMediaPhoto(media=new.image, **caption)
                call = self._bot.edit_message_media(media=media, **target, **self._timeout())
            else:
                call = self._bot.edit_message_caption(**caption, **target, **self._timeout())
        else:
            preview = params.get("link_preview_options")
            call = self._bot.edit_message_text(
                text=params.get("text", new.text), parse_mode="HTML", **target,
                link_preview_options=LinkPreviewOptions(**preview) if preview else None,
                **self._timeout(),
            )  # fmt: skip
        try:
            await self._call(call)
        except Exception as exc:
            error = errors.classify(exc, token=self._bot.token, publishing=False)
            if error.code == "no_caption_to_edit":
                # The photo could not be fetched when it went out, so the post is the
                # text fallback (_deliver): edit it as the text it is.
                return await self.edit(remote_id, _as_text(previous), _as_text(new))
            if error.outcome is not Outcome.OK:  # "message is not modified": done already
                raise error from None
        return Receipt(remote_id)

    async def _deliver(self, method: str, params: dict[str, Any]) -> Message:
        if method == "sendMessage":
            return await self._send_message(params)
        if method != "sendPhoto":
            raise PublishError(
                Outcome.PERMANENT, FailureKind.BAD_REQUEST, f"unknown Telegram method {method!r}",
                code="bad_payload",
            )  # fmt: skip
        try:
            return await self._call(self._bot.send_photo(**params, **self._timeout()))
        except TelegramBadRequest as exc:
            if errors.classify(exc).kind is not FailureKind.MEDIA_UNAVAILABLE:
                raise
            # The Bot API suggests retrying a few times first; we send the text at once
            # instead: an article out now without its image beats one out late with it,
            # and an image URL that failed once rarely heals within the retry window.
            return await self._send_message(render.photo_fallback(params))

    async def _send_message(self, params: dict[str, Any]) -> Message:
        kwargs = dict(params)
        preview = kwargs.get("link_preview_options")
        if isinstance(preview, dict):
            kwargs["link_preview_options"] = LinkPreviewOptions(**preview)
        return await self._call(self._bot.send_message(**kwargs, **self._timeout()))

    def _timeout(self) -> dict[str, Any]:
        # aiogram types request_timeout as int; _call enforces the exact float.
        return {"request_timeout": math.ceil(self.channel.timeout)}

    async def _call(self, call: Awaitable[_T]) -> _T:
        async with asyncio.timeout(self.channel.timeout):
            return await call


def _split_remote_id(remote_id: str) -> tuple[int, int]:
    """The chat id and message id of a Receipt's "chat_id:message_id"."""
    chat, _, message = remote_id.rpartition(":")
    try:
        return int(chat), int(message)
    except ValueError:
        raise PublishError(
            Outcome.PERMANENT,
            FailureKind.BAD_REQUEST,
            f"{remote_id!r} is not a Telegram post id (chat_id:message_id)",
            code="bad_remote_id",
        ) from None


def _as_text(post: Post) -> Post:
    """`post` as the sendMessage it became when its photo could not be fetched."""
    if post.call.method != "sendPhoto":
        return post
    call = PlatformCall("sendMessage", render.photo_fallback(post.call.params))
    return replace(post, call=call, image=None)
