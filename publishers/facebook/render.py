"""Article -> Graph API post, pure: plain text (Pages show no markup), entities decoded.

A link post (`/feed`: message + link) lets Facebook build the preview from the page's
Open Graph tags; a photo post (`/photos`: url + caption) shows our image and carries
the link in the caption (https://developers.facebook.com/docs/pages-api/posts).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from bot.models import Article
from publishers.base import Payload

if TYPE_CHECKING:
    from publishers.facebook import FacebookChannel

# Graph documents no limit for a post's message; 63,206 characters is Facebook's limit
# for a status update, as its Help Center has long stated, and the figure every client uses.
MESSAGE_LIMIT = 63206
ELLIPSIS = "…"
SEPARATOR = "\n\n"


def plain(text: str, *, single_line: bool = False) -> str:
    """Text with HTML entities decoded (`&amp;` -> `&`), trimmed; a title on one line."""
    text = html.unescape(text)
    return " ".join(text.split()) if single_line else text.strip()


def message_text(title: str, lead: str, tail: str = "", limit: int = MESSAGE_LIMIT) -> str:
    """Title, lead and an optional tail (the link), the lead shortened to fit `limit`."""
    fixed = [p for p in (title, tail) if p]
    room = limit - sum(map(len, fixed)) - len(SEPARATOR) * len(fixed)
    if lead and len(lead) > room:
        lead = _shorten(lead, room)
    parts = [p for p in (title, lead, tail) if p]
    return SEPARATOR.join(parts)[:limit]


def _shorten(text: str, room: int) -> str:
    """At most `room` code points, ending with a whole word and an ellipsis."""
    keep = room - len(ELLIPSIS)
    if keep <= 0:
        return ""
    space = text.rfind(" ", 0, keep + 1)
    head = (text[:space] if space > 0 else text[:keep]).rstrip(" \n,;:—–-")
    return head + ELLIPSIS


def render(article: Article, channel: FacebookChannel) -> Payload:
    title = plain(article.title, single_line=True)
    lead = plain(article.lead)
    params: dict[str, Any]
    if channel.post_type == "photo" and article.image:
        caption = message_text(title, lead, article.url)
        params = {"url": article.image, "caption": caption}
        return Payload("photos", params, len(caption), MESSAGE_LIMIT)
    message = message_text(title, lead)
    params = {"message": message, "link": article.url}
    return Payload("feed", params, len(message), MESSAGE_LIMIT)
