"""The editors' commands: parse, call one Editorial method, reply. Nothing else here."""

from __future__ import annotations

import html
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import ErrorEvent, Message

from bot.editorial import Decision, Editorial
from bot.models import Delivery, Version
from bot.platforms import PostFormat
from bot.preview import ChannelPreview
from bot.states import State
from bot.text import shorten
from handlers.texts import USAGE, Texts

MESSAGE_LIMIT = 4000  # a reply is cut into messages below Telegram's 4,096


def when(ms: int | None, timezone: str) -> str:
    """A time in the newsroom's zone (NEWSBOT_TIMEZONE), as every command shows it."""
    if not ms:
        return "—"
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")


def delivery_line(d: Delivery, texts: Texts, timezone: str) -> str:
    parts = [f"<b>{html.escape(d.channel)}</b>: {d.state.value}"]
    parts += [texts("attempts", count=d.attempts), when(d.updated_ms, timezone)]
    if d.remote_url:
        parts.append(f'<a href="{html.escape(d.remote_url)}">{texts("link")}</a>')
    if d.last_error:
        parts.append(html.escape(d.last_error[:200]))
    return " · ".join(parts)


def version_line(v: Version, texts: Texts, timezone: str) -> str:
    """One published version under its delivery: number, time, cause, its text's start."""
    shown = html.escape(shorten(plain_of(v.text), 80)) if v.text else texts("deleted_post")
    return f"  v{v.number} · {when(v.at_ms, timezone)} · {html.escape(v.by)} · {shown}"


def plain_of(text: str) -> str:
    return html.unescape(re.sub(r"<[^<>]*>", "", text))


def decision_lines(decisions: list[Decision], texts: Texts) -> str:
    lines = []
    for d in decisions:
        key = "applied" if d.applied else "not_applied"
        lines.append(
            texts(key, channel=html.escape(d.channel), state=d.state, detail=html.escape(d.detail))
        )
    return "\n".join(lines)


def preview_text(p: ChannelPreview, texts: Texts) -> str:
    head = f"<b>{html.escape(p.channel)}</b> · {p.method} · {p.length}/{p.limit}"
    head += f"\n{'✓' if p.routed else '✗'} {html.escape(texts.route(p.route_code, p.route_values))}"
    if p.error or p.post is None:
        return f"{head}\n{html.escape(p.error)}"
    body = p.post.text if p.post.format is PostFormat.HTML else html.escape(p.post.text)
    warnings = "\n".join(f"⚠️ {html.escape(w['message'])}" for w in p.warnings)
    return "\n\n".join(part for part in (head, body, warnings) if part)


async def reply(message: Message, text: str) -> None:
    """`text` in as many messages as it needs, cut at line ends."""
    chunk: list[str] = []
    size = 0
    for line in text.split("\n"):
        if chunk and size + len(line) + 1 > MESSAGE_LIMIT:
            await _send(message, "\n".join(chunk))
            chunk, size = [], 0
        chunk.append(line[:MESSAGE_LIMIT])
        size += len(line) + 1
    if chunk:
        await _send(message, "\n".join(chunk))


async def _send(message: Message, text: str) -> None:
    """One message; one Telegram refuses (a cut left a tag open) goes again as plain
    text (handlers.fitting)."""
    await message.answer(text, disable_web_page_preview=True)


async def on_editor_error(event: ErrorEvent, texts: Texts) -> None:
    """What an editor asked cannot be done (EditorError, PreviewError): one sentence back,
    as a reply to the command, or as an alert on the pressed button."""
    problem = texts.problem(event.exception)
    if event.update.callback_query is not None:
        await event.update.callback_query.answer(problem[:200], show_alert=True)
    elif event.update.message is not None:
        await event.update.message.answer(texts("error", error=html.escape(problem)))


def split_args(command: CommandObject) -> list[str]:
    return (command.args or "").split()


async def usage(message: Message, texts: Texts, name: str) -> None:
    await message.answer(texts("usage", usage=html.escape(USAGE[name])))


async def help_command(message: Message, texts: Texts) -> None:
    await message.answer(texts("help"))


async def post(
    message: Message, command: CommandObject, editorial: Editorial, texts: Texts, who: str,
    timezone: str,
) -> None:  # fmt: skip
    args = split_args(command)
    if not args:
        await usage(message, texts, "post")
        return
    article, deliveries, new = await editorial.post(args[0], args[1:], who)
    head = texts("posted" if new else "already", title=html.escape(article.title))
    lines = [head, f"id <code>{article.id}</code>"]
    lines += [delivery_line(d, texts, timezone) for d in deliveries]
    await reply(message, "\n".join(lines))


async def preview(
    message: Message, command: CommandObject, editorial: Editorial, texts: Texts
) -> None:
    args = split_args(command)
    if len(args) != 1:
        await usage(message, texts, "preview")
        return
    _article, previews = await editorial.preview(args[0])
    for p in previews:
        await reply(message, preview_text(p, texts))


async def status(
    message: Message, command: CommandObject, editorial: Editorial, texts: Texts, timezone: str
) -> None:
    args = split_args(command)
    if len(args) != 1:
        await usage(message, texts, "status")
        return
    article, deliveries = await editorial.find(args[0])
    lines = [f"<b>{html.escape(article.title)}</b>", f"id <code>{article.id}</code>"]
    paused = await editorial.paused_by()
    if paused:
        lines.append(texts("paused_note", who=html.escape(paused)))
    for d in deliveries:
        lines.append(delivery_line(d, texts, timezone))
        lines += [version_line(v, texts, timezone) for v in d.versions]
    for channel, (chosen, code, values) in (await editorial.routes(article.id)).items():
        why = html.escape(texts.route(code, values))
        lines.append(f"{'✓' if chosen else '✗'} {html.escape(channel)}: {why}")
    await reply(message, "\n".join(lines))


async def queue(message: Message, editorial: Editorial, texts: Texts, timezone: str) -> None:
    waiting = await editorial.queue()
    if not waiting:
        await message.answer(texts("queue_empty"))
        return
    lines = []
    paused = await editorial.paused_by()
    if paused:
        lines.append(texts("paused_note", who=html.escape(paused)))
    for w in waiting:
        title = html.escape(w.article.title[:80])
        due = when(w.due_ms, timezone) if w.due_ms else texts("now")
        if w.delivery.wait and w.delivery.state is State.QUEUED:
            due += f" ({texts.wait(w.delivery.wait)})"
        lines.append(
            f"<code>{w.article.id}</code> {html.escape(w.delivery.channel)}: "
            f"{w.delivery.state.value} · {texts('due')} {due} · {title}"
        )
    await reply(message, "\n".join(lines))


async def _decide(
    message: Message, command: CommandObject, editorial: Editorial, texts: Texts, who: str,
    name: str,
) -> None:  # fmt: skip
    args = split_args(command)
    if not 1 <= len(args) <= 2:
        await usage(message, texts, name)
        return
    channel = args[1] if len(args) == 2 else None
    if name == "delete":
        decisions = await editorial.delete(args[0], channel, who)
    else:
        decisions = await editorial.decide(args[0], channel, name, who)
    await reply(message, decision_lines(decisions, texts))


async def retry(
    message: Message, command: CommandObject, editorial: Editorial, texts: Texts, who: str
) -> None:
    await _decide(message, command, editorial, texts, who, "retry")


async def cancel(
    message: Message, command: CommandObject, editorial: Editorial, texts: Texts, who: str
) -> None:
    await _decide(message, command, editorial, texts, who, "cancel")


async def delete(
    message: Message, command: CommandObject, editorial: Editorial, texts: Texts, who: str
) -> None:
    await _decide(message, command, editorial, texts, who, "delete")


async def retract(
    message: Message, command: CommandObject, editorial: Editorial, texts: Texts, who: str
) -> None:
    args = split_args(command)
    if not args:
        await usage(message, texts, "retract")
        return
    decisions = await editorial.retract(args[0], args[1:], who)
    await reply(message, decision_lines(decisions, texts))


async def refresh(
    message: Message, command: CommandObject, editorial: Editorial, texts: Texts, who: str,
    timezone: str,
) -> None:  # fmt: skip
    args = split_args(command)
    if len(args) != 1:
        await usage(message, texts, "refresh")
        return
    article, deliveries, changed = await editorial.refresh(args[0], who)
    head = texts("refreshed" if changed else "unchanged", title=html.escape(article.title))
    lines = [head, *(delivery_line(d, texts, timezone) for d in deliveries)]
    await reply(message, "\n".join(lines))


async def pause(message: Message, editorial: Editorial, texts: Texts, who: str) -> None:
    await editorial.pause(who)
    await message.answer(texts("paused"))


async def resume(message: Message, editorial: Editorial, texts: Texts) -> None:
    await editorial.resume()
    await message.answer(texts("resumed"))


async def channels(message: Message, editorial: Editorial, texts: Texts, timezone: str) -> None:
    lines = []
    for c in await editorial.channels():
        state = texts("on") if c.enabled else texts("off")
        parts = [
            f"<b>{html.escape(c.id)}</b> ({c.kind}, {state})",
            f"{texts('last_post')} {when(c.last_sent_ms, timezone)}",
        ]
        if c.approval:
            parts.append(texts("approval_short"))
        if c.last_error:
            error = html.escape(c.last_error[:150])
            parts.append(f"{texts('last_error')} {when(c.last_error_ms, timezone)}: {error}")
        if c.cooldown_seconds:
            parts.append(texts("paused_for", seconds=f"{c.cooldown_seconds:.0f}"))
        lines.append(" · ".join(parts))
    await reply(message, "\n".join(lines))


async def stats(message: Message, editorial: Editorial, texts: Texts, timezone: str) -> None:
    zone = ZoneInfo(timezone)
    midnight = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    counts = await editorial.stats(int(midnight.timestamp() * 1000))
    if not counts:
        await message.answer(texts("stats_empty"))
        return
    lines = [f"<b>{midnight:%Y-%m-%d}</b> ({timezone})"]
    for channel, by_state in sorted(counts.items()):
        states = ", ".join(f"{state} {n}" for state, n in sorted(by_state.items()))
        lines.append(f"{html.escape(channel)}: {states}")
    await reply(message, "\n".join(lines))


async def unknown(message: Message, texts: Texts) -> None:
    await message.answer(texts("help"))


# every command the router knows (the metrics count these by name, the rest as "other")
COMMANDS = frozenset({
    "start", "help", "post", "preview", "status", "queue", "retry", "cancel", "delete",
    "retract", "refresh", "pause", "resume", "channels", "stats",
})  # fmt: skip


def make_router() -> Router:
    """A new router each time: an aiogram router belongs to one dispatcher."""
    router = Router(name="commands")
    router.message.register(help_command, CommandStart())
    router.message.register(help_command, Command("help"))
    router.message.register(post, Command("post"))
    router.message.register(preview, Command("preview"))
    router.message.register(status, Command("status"))
    router.message.register(queue, Command("queue"))
    router.message.register(retry, Command("retry"))
    router.message.register(cancel, Command("cancel"))
    router.message.register(delete, Command("delete"))
    router.message.register(retract, Command("retract"))
    router.message.register(refresh, Command("refresh"))
    router.message.register(pause, Command("pause"))
    router.message.register(resume, Command("resume"))
    router.message.register(channels, Command("channels"))
    router.message.register(stats, Command("stats"))
    router.message.register(unknown, F.text.startswith("/"))
    return router
