"""What the editors' chat is told without asking: one approval request per post that
waits for them, and alerts (a permanent failure, a held delivery with its buttons, a
token or permission problem, a feed failing poll after poll, and what the daily token
watch finds: a token expiring, a token that stopped working, a right lost).

Events come from the events stream through a consumer group, so with several
processes each event is told once. A storm (many alerts read together) becomes one
grouped message instead of hundreds.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
from typing import Any

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramRetryAfter

from bot.editorial import EditorError, Editorial
from bot.events import Event, EventType
from bot.platforms import FailureKind, PostFormat
from bot.states import State
from bot.text import shorten
from handlers.approval import (
    approval_keyboard,
    correction_keyboard,
    gone_keyboard,
    held_keyboard,
)
from handlers.texts import Texts

log = structlog.get_logger("alerts")
STORM = 5  # more alerts than this within GROUP_WINDOW become one message
GROUP_WINDOW = 2.0  # seconds
SHOWN_IN_GROUP = 10
LINE_CHARS = 300  # an alert's line in a grouped message
MESSAGE_CHARS = 3900  # under Telegram's 4,096 after the HTML is parsed
TAG = re.compile(r"<[^>]*>")
# the token watch's events (bot/doctor/watch.py) and their texts
TOKEN_ALERTS = {
    EventType.TOKEN_EXPIRING: "token_expiring",
    EventType.TOKEN_BROKEN: "token_broken",
    EventType.RIGHT_LOST: "right_lost",
}


class Notifier:
    def __init__(
        self, bot: Bot, editorial: Editorial, targets: list[int], texts: Texts, consumer: str
    ) -> None:
        self.bot = bot
        self.editorial = editorial
        self.targets = targets  # the editors' chat, else each editor
        self.texts = texts
        self.consumer = consumer

    async def run(self, stop: asyncio.Event) -> None:
        """Approval requests go out at once; alerts are gathered for GROUP_WINDOW
        seconds after the first, then sent one by one or, in a storm, as one message."""
        pending: list[tuple[str, Any]] = []
        flush_at = 0.0
        while not stop.is_set():
            try:
                events = await self.editorial.next_events(self.consumer, 200, 500)
                fresh = await self.collect(events)
                if fresh and not pending:
                    flush_at = time.monotonic() + GROUP_WINDOW
                pending += fresh
                if pending and time.monotonic() >= flush_at:
                    alerts, pending = pending, []
                    await self.flush(alerts)
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis or Telegram away: try again, never stop telling
                log.exception("alerts failed")
                await asyncio.sleep(2)

    async def collect(self, events: list[Event]) -> list[tuple[str, Any]]:
        """Ask for the approvals among `events`; return their alerts (text, buttons)."""
        alerts: list[tuple[str, Any]] = []
        approvals: dict[str, list[str]] = {}  # one request per article, all its channels
        for event in events:
            if event.type is EventType.STATE and event.state == State.AWAITING_APPROVAL:
                approvals.setdefault(event.article_id, []).append(event.channel)
                continue
            try:
                alerts += await self._alerts_of(event)
            except Exception:  # one bad event must not lose the rest of the batch
                log.exception("alert failed", event_type=event.type.value)
        for article_id, channels in approvals.items():
            try:
                await self.ask_approval(article_id, channels)
            except Exception:
                log.exception("approval request failed", article_id=article_id)
        return alerts

    async def _alerts_of(self, event: Event) -> list[tuple[str, Any]]:
        if event.type is EventType.STATE and event.state == State.HELD:
            return [await self.held(event.article_id, event.channel)]
        if event.type is EventType.STATE and event.state == State.FAILED:
            return [(await self.failed(event.article_id, event.channel, event.failure), None)]
        if event.type is EventType.STATE and event.state == State.SENT and event.failure:
            # a correction or a retraction the platform refused: the post stays as it was
            return [(await self.op_failed(event.article_id, event.channel), None)]
        if event.type is EventType.EDIT_PROPOSED:
            return [await self.correction(event.article_id, event.channel, event.note)]
        if event.type is EventType.ARTICLE_GONE:
            title = await self._title(event.article_id)
            text = self.texts("gone_alert", why=html.escape(event.note),
                              article=event.article_id, title=title)  # fmt: skip
            return [(text, gone_keyboard(event.article_id, self.texts))]
        if event.type in TOKEN_ALERTS:
            return [(self.token_alert(event), None)]
        if event.type is EventType.FEED_FAILING:
            text = self.texts(
                "feed_failing", feed=html.escape(event.feed), count=event.attempt,
                error=html.escape(event.note[:300]),
            )  # fmt: skip
            return [(text, None)]
        return []

    async def flush(self, alerts: list[tuple[str, Any]]) -> None:
        """Alerts with buttons (held deliveries) always go one by one: the buttons are
        the only way to settle them; the others, in a storm, as one message."""
        with_buttons = [a for a in alerts if a[1] is not None]
        plain = [text for text, markup in alerts if markup is None]
        for text, markup in with_buttons:
            await self.send(text, markup)
        if len(plain) <= STORM:
            for text in plain:
                await self.send(text)
            return
        lines = [_shorten(text, LINE_CHARS) for text in plain[:SHOWN_IN_GROUP]]
        more = len(plain) - SHOWN_IN_GROUP
        tail = [self.texts("and_more", count=more)] if more > 0 else []
        head = self.texts("storm", count=len(plain))
        await self.send("\n".join([head, *lines, *tail]))

    async def ask_approval(self, article_id: str, channels: list[str]) -> None:
        """One message for an article waiting for the editors: each channel's post as
        it would go out, the warnings, and the buttons of every channel."""
        try:
            _article, posts = await self.editorial.posts_of(article_id, channels)
        except EditorError:
            return
        parts: list[str] = []
        plain_parts: list[str] = []
        warnings = ""
        for delivery, post in posts:
            channel = delivery.channel
            text = plain = ""
            if post is not None:
                text = post.text if post.format is PostFormat.HTML else html.escape(post.text)
                plain = post.plain
                warnings = "\n".join(f"⚠️ {html.escape(w.message)}" for w in post.warnings)
            label = f"<b>{html.escape(channel)}</b>\n" if len(channels) > 1 else ""
            parts.append(label + text)
            plain_parts.append(label + html.escape(shorten(plain, 3000 // len(channels))))
        if not parts:
            return
        names = html.escape(", ".join(channels))
        head = f"📝 {self.texts('approval', channel=names)} · <code>{article_id}</code>"
        body = "\n\n".join(part for part in (head, *parts, warnings) if part)
        # Too long, or refused: the posts' text shown as plain text, cut (never their HTML)
        fallback = "\n\n".join(part for part in (head, *plain_parts, warnings) if part)
        keyboard = approval_keyboard(article_id, channels, self.texts)
        if len(body) > MESSAGE_CHARS:
            body = fallback
        await self.send(body, keyboard, fallback=fallback)

    async def held(self, article_id: str, channel: str) -> tuple[str, Any]:
        title = await self._title(article_id)
        text = self.texts("held_alert", channel=html.escape(channel), article=article_id,
                          title=title)  # fmt: skip
        return text, held_keyboard(article_id, channel, self.texts)

    def token_alert(self, event: Event) -> str:
        """A token expiring (days left, the date), stopped working or a right lost (what
        was found and what to do, in the doctor's words)."""
        return self.texts(
            TOKEN_ALERTS[event.type], channel=html.escape(event.channel.replace(",", ", ")),
            days=event.attempt, date=html.escape(event.note), detail=html.escape(event.note[:600]),
        )  # fmt: skip

    async def _title_and_error(self, article_id: str, channel: str) -> tuple[str, str]:
        """The article's title and the delivery's last error, escaped ("" when gone)."""
        try:
            article, delivery, _post = await self.editorial.post_of(article_id, channel)
        except EditorError:
            return "", ""
        return html.escape(article.title[:100]), html.escape(delivery.last_error[:300])

    async def failed(self, article_id: str, channel: str, failure: FailureKind | None) -> str:
        title, error = await self._title_and_error(article_id, channel)
        if failure is not None and failure.is_access:
            return self.texts("access_alert", channel=html.escape(channel), kind=failure.value,
                              error=error, article=article_id)  # fmt: skip
        return self.texts("failed_alert", channel=html.escape(channel), article=article_id,
                          title=title, error=error)  # fmt: skip

    async def op_failed(self, article_id: str, channel: str) -> str:
        title, error = await self._title_and_error(article_id, channel)
        return self.texts("op_failed_alert", channel=html.escape(channel), article=article_id,
                          title=title, error=error)  # fmt: skip

    async def correction(self, article_id: str, channel: str, cause: str) -> tuple[str, Any]:
        """A correction awaiting the editors: the post as it would become, with buttons."""
        pending = await self.editorial.pending_correction(article_id, channel)
        head = self.texts("correction", channel=html.escape(channel), article=article_id,
                          cause=html.escape(cause))  # fmt: skip
        body = ""
        if pending is not None:
            body = pending.text if pending.format is PostFormat.HTML else html.escape(pending.text)
        return f"{head}\n\n{body}".strip(), correction_keyboard(article_id, channel, self.texts)

    async def _title(self, article_id: str) -> str:
        try:
            article, _ = await self.editorial.find(article_id)
        except EditorError:
            return ""
        return html.escape(article.title[:100])

    async def send(self, text: str, markup: Any = None, fallback: str | None = None) -> None:
        for chat in self.targets:
            for _ in range(3):
                try:
                    await self.bot.send_message(
                        chat, text, reply_markup=markup, disable_web_page_preview=True
                    )
                    break
                except TelegramRetryAfter as exc:
                    await asyncio.sleep(exc.retry_after)
                except TelegramBadRequest as exc:
                    if fallback is None or text == fallback:
                        log.warning("alert refused", chat=chat, error=exc.message, chars=len(text))
                        break
                    text = fallback
                except TelegramAPIError as exc:
                    log.warning("alert not delivered", chat=chat, error=type(exc).__name__)
                    break
            else:
                log.warning("alert not delivered: rate limited three times", chat=chat)


def _shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters; an HTML line is cut as plain text."""
    if len(text) <= limit:
        return text
    if "<" in text:
        text = html.escape(html.unescape(TAG.sub("", text)))
        if len(text) <= limit:
            return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"
