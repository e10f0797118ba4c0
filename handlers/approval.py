"""Buttons: approval of a post (Publish now, Skip, Edit text, Delay 1 h) and the
decision on a held delivery (Resend, It is there). "Edit text" takes the editor's
next message as the new text, checked against the platform's rules first.
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.editorial import Editorial
from bot.platforms import PostFormat
from bot.store import now_ms
from handlers.texts import Texts

DELAY_MS = 3600 * 1000
# Buttons that are a decision of bot/store/lua/decide.lua, under the same name ("edit"
# asks first; "retract" takes the whole article down).
ACTIONS = frozenset({"approve", "skip", "delay", "resend", "confirm", "edit_apply", "edit_keep"})


class Decide(CallbackData, prefix="d"):
    """At most 64 bytes: "d:<action>:<16 hex>:<channel id, <= 32>"."""

    action: str
    article: str
    channel: str


class Editing(StatesGroup):
    text = State()


def approval_keyboard(article_id: str, channels: list[str], texts: Texts) -> InlineKeyboardMarkup:
    """Four buttons per channel: two rows for one channel, one row (named) for several."""
    kb = InlineKeyboardBuilder()
    for channel in channels:
        for action in ("approve", "skip", "edit", "delay"):
            label = texts(action) if len(channels) == 1 else f"{texts(action)} · {channel}"
            kb.button(
                text=label, callback_data=Decide(action=action, article=article_id, channel=channel)
            )
    kb.adjust(*([2, 2] if len(channels) == 1 else [4] * len(channels)))
    return kb.as_markup()


def held_keyboard(article_id: str, channel: str, texts: Texts) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for action in ("resend", "confirm"):
        kb.button(
            text=texts(action),
            callback_data=Decide(action=action, article=article_id, channel=channel),
        )
    return kb.as_markup()


def correction_keyboard(article_id: str, channel: str, texts: Texts) -> InlineKeyboardMarkup:
    """A proposed correction of a live post (`on_update = "approve"`): apply or keep."""
    kb = InlineKeyboardBuilder()
    for action, label in (("edit_apply", "apply_edit"), ("edit_keep", "keep_post")):
        kb.button(
            text=texts(label),
            callback_data=Decide(action=action, article=article_id, channel=channel),
        )
    return kb.as_markup()


def gone_keyboard(article_id: str, texts: Texts) -> InlineKeyboardMarkup:
    """An article whose page is gone: retract it everywhere."""
    kb = InlineKeyboardBuilder()
    kb.button(
        text=texts("retract_button"),
        callback_data=Decide(action="retract", article=article_id, channel=""),
    )
    return kb.as_markup()


async def retract(
    query: CallbackQuery, callback_data: Decide, editorial: Editorial, texts: Texts, who: str
) -> None:
    decisions = await editorial.retract(callback_data.article, [], who, "its page is gone")
    await query.answer()
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):
            await query.message.edit_reply_markup(reply_markup=None)
        lines = [texts("applied", channel=html.escape(d.channel), state=d.state)
                 for d in decisions]  # fmt: skip
        await query.message.reply("\n".join(lines) or "—")


async def start_edit(
    query: CallbackQuery, callback_data: Decide, state: FSMContext, texts: Texts
) -> None:
    await state.set_state(Editing.text)
    await state.update_data(article=callback_data.article, channel=callback_data.channel)
    await query.answer()
    if query.message is not None:
        # ForceReply: in a group with privacy mode the bot sees only replies to itself
        await query.message.answer(
            texts("send_text", channel=html.escape(callback_data.channel)),
            reply_markup=ForceReply(selective=True),
        )


async def decide(
    query: CallbackQuery, callback_data: Decide, editorial: Editorial, texts: Texts, who: str
) -> None:
    value = now_ms() + DELAY_MS if callback_data.action == "delay" else ""
    [decision] = await editorial.decide(
        callback_data.article, callback_data.channel, callback_data.action, who, value
    )
    channel = html.escape(decision.channel)
    if decision.applied:
        line = texts("decided", channel=channel, state=decision.state, who=html.escape(who))
    else:
        line = texts("already_decided", channel=channel, state=decision.state)
    await query.answer(line[:200])
    message = query.message
    if isinstance(message, Message):
        # decided: that channel's buttons go; another channel's stay
        keep = _without_channel(message.reply_markup, callback_data.channel)
        with contextlib.suppress(TelegramBadRequest):  # "not modified": already gone
            await message.edit_reply_markup(reply_markup=keep)
        await message.reply(line)


async def take_text(
    message: Message, state: FSMContext, editorial: Editorial, texts: Texts, who: str
) -> None:
    data = await state.get_data()
    article, channel = str(data.get("article", "")), str(data.get("channel", ""))
    _article, _delivery, post = await editorial.post_of(article, channel)
    # the editor's formatting is kept where the post is HTML (Telegram), else plain text
    html_post = post is not None and post.format is PostFormat.HTML
    text = message.html_text if html_post else message.text or ""
    # a refused text raises EditorError (answered by on_editor_error) before the state is
    # cleared: still editing, the next message is taken as the text
    decision = await editorial.edit_text(article, channel, text, who)
    await state.clear()
    if decision.applied:
        await message.answer(texts("text_accepted", channel=html.escape(channel)))
    else:
        await message.answer(
            texts("already_decided", channel=html.escape(channel), state=decision.state)
        )


def _without_channel(
    markup: InlineKeyboardMarkup | None, channel: str
) -> InlineKeyboardMarkup | None:
    if markup is None:
        return None
    rows = []
    for row in markup.inline_keyboard:
        kept = []
        for button in row:
            try:
                decided = Decide.unpack(button.callback_data or "").channel == channel
            except (TypeError, ValueError):
                decided = False
            if not decided:
                kept.append(button)
        if kept:
            rows.append(kept)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def end_edit_on_command(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    """A command sent while editing ends the edit: the command runs, the text stays."""
    state: FSMContext | None = data.get("state")
    command = isinstance(event, Message) and (event.text or "").startswith("/")
    if command and state is not None and await state.get_state() == Editing.text.state:
        await state.clear()
    return await handler(event, data)


def make_router() -> Router:
    """A new router each time: an aiogram router belongs to one dispatcher."""
    router = Router(name="approval")
    router.callback_query.register(start_edit, Decide.filter(F.action == "edit"))
    router.callback_query.register(decide, Decide.filter(F.action.in_(ACTIONS)))
    router.callback_query.register(retract, Decide.filter(F.action == "retract"))
    router.message.register(take_text, Editing.text, F.text, ~F.text.startswith("/"))
    return router
