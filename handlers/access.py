"""Who may command the bot, and the audit of every command, allowed or refused.

Editors are the user ids of EDITOR_IDS and, when EDITORS_CHAT_ID is set, the members
of that chat (asked with getChatMember, cached for a few minutes). Anyone else gets
one short refusal; nothing else happens. A flood of commands from one editor stops
at the per-minute limit. Every command and button press is counted by outcome
(newsbot_editor_commands_total).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from bot.editorial import COMMANDS_PER_MINUTE, EditorError, Editorial
from bot.metrics import EDITOR_COMMANDS, Metrics
from bot.preview import PreviewError
from handlers.commands import COMMANDS
from handlers.texts import Texts

MEMBER_STATUSES = frozenset({"creator", "administrator", "member"})

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class EditorsOnly(BaseMiddleware):
    def __init__(
        self,
        editorial: Editorial,
        editors: frozenset[int],
        chat_id: int | None,
        texts: Texts,
        metrics: Metrics | None = None,
    ) -> None:
        self.editorial = editorial
        self.editors = editors
        self.chat_id = chat_id
        self.texts = texts
        self.metrics = metrics or Metrics(enabled=False)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            return None
        command, args, chat = _describe(event)
        bot: Bot = data["bot"]
        allowed = await self.is_editor(bot, user.id)
        count = await self.editorial.count_command(user.id)
        outcome = "allowed" if allowed else "refused"
        if allowed and count > COMMANDS_PER_MINUTE:
            outcome = "flood"
        # A flood (a stranger's or an editor's) is audited up to twice the limit a minute,
        # so it cannot push the real history out of the capped audit stream.
        if count <= 2 * COMMANDS_PER_MINUTE:
            await self.editorial.audit(
                {
                    "user_id": str(user.id),
                    "username": user.username or "",
                    "chat": str(chat),
                    "command": command,
                    "arguments": args[:500],
                    "outcome": outcome,
                }
            )
        if outcome != "allowed":
            self.metrics.count(EDITOR_COMMANDS, command_label(command), outcome)
        if outcome == "refused":
            if count == 1:  # one short refusal a minute, however many they send
                await _answer(event, self.texts("refused"))
            return None
        if outcome == "flood":
            if count == COMMANDS_PER_MINUTE + 1:
                await _answer(event, self.texts("flood"))
            return None
        data["who"] = f"@{user.username}" if user.username else str(user.id)
        done = "failed"  # a bug: the dispatcher logs it
        try:
            result = await handler(event, data)
            done = "ok"
        except (EditorError, PreviewError):
            done = "error"  # the editor is told why (commands.on_editor_error)
            raise
        finally:
            self.metrics.count(EDITOR_COMMANDS, command_label(command), done)
        return result

    async def is_editor(self, bot: Bot, user_id: int) -> bool:
        if user_id in self.editors:
            return True
        if self.chat_id is None:
            return False
        cached = await self.editorial.cached_member(user_id)
        if cached is not None:
            return cached
        try:
            member = await bot.get_chat_member(self.chat_id, user_id)
        except TelegramAPIError:
            return False  # not known there (or the bot left the chat): not an editor
        # a restricted user may have left the chat: only is_member says (Bot API ChatMember)
        allowed = member.status in MEMBER_STATUSES or bool(getattr(member, "is_member", False))
        await self.editorial.remember_member(user_id, allowed)
        return allowed


def _describe(event: TelegramObject) -> tuple[str, str, int | str]:
    """(command, arguments, chat) of a message or a button press, for the audit."""
    if isinstance(event, Message):
        text = event.text or event.caption or ""
        command, _, args = text.partition(" ")
        if not command.startswith("/"):
            command, args = "(text)", text
        return command.split("@", 1)[0], args, event.chat.id
    if isinstance(event, CallbackQuery):
        chat = event.message.chat.id if event.message else ""
        return "(button)", event.data or "", chat
    return type(event).__name__, "", ""


def command_label(command: str) -> str:
    """A command as a metric label: one of the bot's commands, text, button or other
    (whatever strangers type stays a handful of series)."""
    if command == "(text)":
        return "text"
    if command == "(button)":
        return "button"
    name = command.removeprefix("/").lower()
    return name if name in COMMANDS else "other"


async def _answer(event: TelegramObject, text: str) -> None:
    if isinstance(event, Message):
        await event.answer(text)
    elif isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
