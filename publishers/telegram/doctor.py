"""What `newsbot doctor` and the daily watch ask Telegram (PlatformHandle.diagnose):
getMe (the token works), then for each channel getChat (the chat exists and the bot can
see it) and getChatMember for the bot itself (its rights there).

Bot API (https://core.telegram.org/bots/api): a revoked or wrong token answers 401
Unauthorized; ChatMemberAdministrator has can_post_messages and can_edit_messages
("channels only", optional) and can_delete_messages; other statuses are "creator",
"member", "restricted", "left" and "kicked". deleteMessage: "Bots granted
can_post_messages permissions can delete outgoing messages in channels" (within 48
hours); "If the bot has can_delete_messages permission in a supergroup or a channel, it
can delete any message there". Posting needs can_post_messages: without it a channel
refuses every post (FAIL); without can_edit_messages or can_delete_messages corrections
and retractions may be refused (WARN). Bot tokens do not expire (expires_at 0).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from aiogram import Bot

from bot.platforms import Check, Concern, FailureKind, Level
from publishers.telegram import errors

if TYPE_CHECKING:
    from publishers.telegram import TelegramChannel

MAX_SECONDS = 15.0  # per call: a doctor that hangs tells nothing
BOT_CHECK = "telegram bot"
_UNREACHABLE_KINDS = (FailureKind.UNAVAILABLE, FailureKind.RATE_LIMITED, FailureKind.UNKNOWN)
_ADMIN_ADVICE = (
    "open the channel → Administrators → the bot, and turn on {rights} "
    "(or add the bot as an administrator with them)"
)
_T = TypeVar("_T")


async def diagnose(bot: Bot, channels: Sequence[TelegramChannel], token: str) -> list[Check]:
    """The bot's token, then every channel's chat and rights, asked concurrently."""
    names = tuple(c.id for c in channels)
    try:
        me = await _call(bot.get_me())
    except Exception as exc:  # a doctor reports, it never raises
        error = errors.classify(exc, token=token, publishing=False)
        if error.kind is FailureKind.TOKEN_INVALID:
            return [Check(
                BOT_CHECK, Level.FAIL,
                f"Telegram refused TELEGRAM_BOT_TOKEN ({error.message}): it was revoked or is "
                "not this bot's", "get the bot's current token from @BotFather (/mybots → API "
                "Token) and put it in TELEGRAM_BOT_TOKEN", names, Concern.TOKEN,
            )]  # fmt: skip
        return [Check(
            BOT_CHECK, Level.FAIL, f"Telegram did not answer getMe: {error.message}",
            "check the network and TELEGRAM_API_BASE, then run newsbot doctor again",
            names, Concern.UNREACHABLE,
        )]  # fmt: skip
    bot_check = Check(
        BOT_CHECK, Level.OK, f"@{me.username} (id {me.id}), token works; bot tokens do not expire",
        channels=names, concern=Concern.TOKEN, expires_at=0,
    )  # fmt: skip
    found = await asyncio.gather(*(_channel(bot, c, me.id, token) for c in channels))
    return [bot_check, *(check for checks in found for check in checks)]


async def _channel(bot: Bot, channel: TelegramChannel, bot_id: int, token: str) -> list[Check]:
    where = (channel.id,)
    try:
        chat = await _call(bot.get_chat(channel.chat))
    except Exception as exc:
        return [_refused(f"{channel.id} chat", channel, exc, token)]
    seen = Check(
        f"{channel.id} chat", Level.OK, f'{channel.chat}: "{chat.title or chat.id}" ({chat.type})',
        channels=where, concern=Concern.RIGHTS,
    )  # fmt: skip
    try:
        member = await _call(bot.get_chat_member(chat.id, bot_id))
    except Exception as exc:
        return [seen, _refused(f"{channel.id} rights", channel, exc, token)]
    return [seen, _rights(channel, chat.type, member)]


def _rights(channel: TelegramChannel, chat_type: str, member: Any) -> Check:
    """The bot's standing in the chat, judged for posting, correcting and retracting."""
    name, where = f"{channel.id} rights", (channel.id,)
    status = str(getattr(member, "status", ""))
    if status == "creator":
        return Check(name, Level.OK, "the bot owns the chat", channels=where,
                     concern=Concern.RIGHTS)  # fmt: skip
    if status != "administrator":
        return Check(
            name, Level.FAIL, f"the bot is not an administrator of {channel.chat} (status: "
            f"{status}): it cannot post there", _ADMIN_ADVICE.format(rights="Post messages"),
            where, Concern.RIGHTS,
        )  # fmt: skip
    channel_rights = chat_type == "channel"  # can_post/can_edit_messages: channels only
    cannot_post = channel_rights and not getattr(member, "can_post_messages", False)
    lacking = {
        "can_edit_messages": channel_rights and not getattr(member, "can_edit_messages", False),
        "can_delete_messages": not getattr(member, "can_delete_messages", False),
    }
    missing = [right for right, absent in lacking.items() if absent]
    if cannot_post:
        return Check(
            name, Level.FAIL, f"the bot is an administrator of {channel.chat} without "
            "can_post_messages: every post will be refused",
            _ADMIN_ADVICE.format(rights="Post messages"), where, Concern.RIGHTS,
        )  # fmt: skip
    if missing:
        return Check(
            name, Level.WARN, f"administrator without {' and '.join(missing)}: corrections "
            "and retractions of posts may be refused",
            _ADMIN_ADVICE.format(rights="Edit messages of others and Delete messages of others"),
            where, Concern.RIGHTS,
        )  # fmt: skip
    return Check(
        name, Level.OK, "administrator: can post, edit and delete messages",
        channels=where, concern=Concern.RIGHTS,
    )  # fmt: skip


def _refused(name: str, channel: TelegramChannel, exc: Exception, token: str) -> Check:
    error = errors.classify(exc, token=token, publishing=False)
    if error.kind in _UNREACHABLE_KINDS:
        return Check(
            name, Level.FAIL, f"Telegram did not answer for {channel.chat}: {error.message}",
            "check the network, then run newsbot doctor again", (channel.id,), Concern.UNREACHABLE,
        )  # fmt: skip
    if error.kind is FailureKind.TOKEN_INVALID:
        advice = "get the bot's current token from @BotFather and put it in TELEGRAM_BOT_TOKEN"
        return Check(name, Level.FAIL, error.message, advice, (channel.id,), Concern.TOKEN)
    return Check(
        name, Level.FAIL, f"{channel.chat}: {error.message}",
        f"check `chat` of channel {channel.id} (@username, or the -100… id of a private "
        "channel) and add the bot to that channel as an administrator who may post",
        (channel.id,), Concern.RIGHTS,
    )  # fmt: skip


async def _call(call: Awaitable[_T]) -> _T:
    async with asyncio.timeout(MAX_SECONDS):
        return await call
