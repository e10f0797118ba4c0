"""Article -> Bot API call, pure: no I/O, the same article always gives the same payload.

Telegram counts text limits *after entity parsing* in Unicode code points (tdlib
`utf8_length`): text 1-4096, caption 0-1024 (PLATFORMS.md "Telegram Bot API",
https://core.telegram.org/bots/api#sendmessage). So a payload's length is its visible
text (tags gone, entities decoded), which Python's `len` counts the same way.

Invariant: text is only ever shortened before it is escaped, so a cut can never land
inside a tag or an entity, and every `<`, `&` and `"` that reaches Telegram is escaped.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

from bot.models import Article
from publishers.base import Payload

if TYPE_CHECKING:
    from publishers.telegram import TelegramChannel

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
ELLIPSIS = "…"
SEPARATOR = "\n\n"

# A sentence cut is preferred only while it keeps at least this share of the room:
# one short first sentence must not stand in for a lead that nearly fits.
MIN_SENTENCE_SHARE = 0.5

# End of a sentence: terminal punctuation, optional closing quotes/brackets, then space.
_SENTENCE_END = re.compile(r"[.!?…]+[\"»”’')\]]*(?=\s)")
_LAST_WORD = re.compile(r"(\S+)$")
# Abbreviations that end with a period inside a sentence (lower-cased, without the dot).
_ABBREVIATIONS = frozenset(
    {
        "т",
        "е",
        "д",
        "п",
        "г",
        "гг",
        "вв",
        "см",
        "ср",
        "стр",
        "рис",
        "др",
        "пр",
        "им",
        "ул",
        "кв",
        "млн",
        "млрд",
        "тыс",
        "руб",
        "долл",
        "тг",
        "напр",
        "проф",
        "акад",
        "e",
        "g",
        "i",
        "mr",
        "mrs",
        "ms",
        "dr",
        "vs",
        "etc",
        "inc",
        "ltd",
        "no",
    }
)
_TRAILING_JUNK = ' \t\n,;:—–-(«"“„'


def clean(text: str, *, single_line: bool = False) -> str:
    """Text as it will be shown: trimmed; a title collapsed to one line."""
    if single_line:
        return " ".join(text.split())
    return text.strip()


def html_text(title: str, lead: str, url: str, read_more: str) -> str:
    """The post in Telegram HTML; every piece escaped (href too: aiogram does not)."""
    parts = []
    if title:
        parts.append(f"<b>{html.escape(title)}</b>")
    if lead:
        parts.append(html.escape(lead))
    parts.append(f'<a href="{html.escape(url)}">{html.escape(read_more)}</a>')
    return SEPARATOR.join(parts)


def visible_length(title: str, lead: str, read_more: str) -> int:
    """Code points of `html_text(...)` after entity parsing: what Telegram checks."""
    parts = [p for p in (title, lead) if p] + [read_more]
    return sum(len(p) for p in parts) + len(SEPARATOR) * (len(parts) - 1)


def fit(title: str, lead: str, read_more: str, limit: int) -> tuple[str, str]:
    """(title, lead) shortened so the post fits `limit`: the lead first, the title last."""
    if visible_length(title, lead, read_more) <= limit:
        return title, lead
    without_lead = visible_length(title, "", read_more)
    room = limit - without_lead - len(SEPARATOR)
    if room > 0:
        short = shorten(lead, room)
        if short:
            return title, short
    if without_lead <= limit:
        return title, ""
    room = limit - len(read_more) - len(SEPARATOR)
    return shorten(title, room), ""


def shorten(text: str, room: int) -> str:
    """`text` in at most `room` code points: whole sentences if that keeps enough of
    it, else whole words and an ellipsis; "" when nothing sensible fits."""
    if len(text) <= room:
        return text
    if room <= len(ELLIPSIS):
        return ""
    end = _last_sentence_end(text, room)
    if end >= room * MIN_SENTENCE_SHARE:
        return text[:end]
    keep = room - len(ELLIPSIS)
    # A space right after the kept part means the cut already falls between words.
    space = max(text.rfind(" ", 0, keep + 1), text.rfind("\n", 0, keep + 1))
    head = text[:space] if space > 0 else text[:keep]
    head = head.rstrip(_TRAILING_JUNK)
    if not head:
        head = text[:keep]
    return head + ELLIPSIS


def _last_sentence_end(text: str, room: int) -> int:
    """Index just past the last sentence that ends within `room`, or 0."""
    best = 0
    for match in _SENTENCE_END.finditer(text, 0, room + 1):
        end = match.end()
        if end > room:
            break
        if _is_sentence_end(text, match.start(), end):
            best = end
    return best


def _is_sentence_end(text: str, start: int, end: int) -> bool:
    following = text[end:].lstrip()
    if following and following[0].islower():
        return False  # "т. е. это", "3 млн. рублей": the sentence goes on
    if text[start] != ".":
        return True
    word = _LAST_WORD.search(text, 0, start)
    if word is None:
        return True
    token = word.group(1).strip('«"(“„')
    if len(token) == 1 and token.isupper():
        return False  # an initial: "А. С. Пушкин"
    return token.lower().rsplit(".", 1)[-1] not in _ABBREVIATIONS


def render(article: Article, channel: TelegramChannel) -> Payload:
    """sendPhoto when there is an image and the whole post fits a caption, else
    sendMessage with a large link preview (of the image, or of the article)."""
    title = clean(article.title, single_line=True)
    lead = clean(article.lead)
    read_more = clean(channel.read_more, single_line=True)
    params: dict[str, Any] = {
        "chat_id": channel.chat,
        # DefaultBotProperties.disable_notification is applied by no method (aiogram
        # 3.30+, PLATFORMS.md "aiogram 3 pitfalls"): it must travel with each call.
        "disable_notification": channel.disable_notification,
    }
    length = visible_length(title, lead, read_more)
    if article.image and length <= CAPTION_LIMIT:
        params.update(
            photo=article.image,
            caption=html_text(title, lead, article.url, read_more),
            parse_mode="HTML",
        )
        return Payload("sendPhoto", params, length, CAPTION_LIMIT)
    title, lead = fit(title, lead, read_more, TEXT_LIMIT)
    params.update(
        text=html_text(title, lead, article.url, read_more),
        parse_mode="HTML",
        link_preview_options={
            "url": article.image or article.url,
            "prefer_large_media": True,
            "show_above_text": False,
        },
    )
    return Payload("sendMessage", params, visible_length(title, lead, read_more), TEXT_LIMIT)


def photo_fallback(params: dict[str, Any]) -> dict[str, Any]:
    """sendMessage params carrying a sendPhoto's caption, for a photo Telegram cannot fetch.

    The preview has no `url`: Bot API then previews the first link of the text
    (https://core.telegram.org/bots/api#linkpreviewoptions), which is the article's.
    """
    text = params.get("caption") or ""
    message = {k: v for k, v in params.items() if k not in ("photo", "caption")}
    message.update(
        text=text,
        link_preview_options={"prefer_large_media": True, "show_above_text": False},
    )
    return message
