"""Article -> Bot API call, pure: no I/O, the same article always gives the same post.

Telegram counts text limits *after entity parsing* in Unicode code points (tdlib
`utf8_length`): text 1-4096, caption 0-1024, at most 100 formatting entities
(https://core.telegram.org/bots/api#sendmessage, docs/architecture.md "Telegram").
`publishers.telegram.html.measure` counts the same way.

A post with an image is a photo with caption when the caption holds at least two
sentences of the summary (all of it when it has fewer); otherwise it is a text
message up to 4,096 whose large link preview shows the image (or the page). The
text is fitted by shortening the summary at sentence boundaries (publishers.compose),
never by cutting HTML: the template's output is measured whole, values are escaped
by Jinja's autoescape, so every `<`, `&` and `"` that reaches Telegram is escaped.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.models import Article
from bot.platforms import LinkPreview, PlatformCall, Post, PostFormat
from publishers.compose import (
    SAMPLE,
    Fitted,
    Parts,
    TemplateProblem,
    default_template,
    fit,
    parts_for,
    render_template,
    warnings_of,
)
from publishers.telegram.html import measure, visible

if TYPE_CHECKING:
    from publishers.telegram import TelegramChannel

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
MAX_ENTITIES = 100
CAPTION_MIN_SENTENCES = 2
_TAG = re.compile(r"<[^<>]*>")


def template_source(channel: TelegramChannel) -> str:
    return channel.template or default_template("publishers.telegram", "post.html.j2")


def render(article: Article, channel: TelegramChannel, like: Post | None = None) -> Post:
    """sendPhoto when there is an image and the caption keeps two sentences, else
    sendMessage with a large link preview (of the image, or of the article).

    `like`: the post this one will replace by an edit, whose form an edit cannot change
    (a photo post stays a photo post, its caption fitted to 1,024 even if that costs
    sentences; a text post stays a text post: Bot API editMessageCaption / editMessageText)."""
    source = template_source(channel)
    parts = parts_for(article, channel)

    def draw(values: Parts) -> str:
        return render_template(source, values, html=True)

    def fitted(limit: int, min_sentences: int = 1, strict: bool = False) -> Fitted | None:
        return fit(
            article, parts, render=draw, measure=measure, limit=limit,
            summary_max=channel.summary_max, max_entities=MAX_ENTITIES,
            min_sentences=min_sentences, strict=strict,
        )  # fmt: skip

    params: dict[str, Any] = {
        "chat_id": channel.chat,
        # DefaultBotProperties.disable_notification is applied by no method (aiogram
        # 3.30+): it must travel with each call.
        "disable_notification": channel.disable_notification,
    }
    if like is not None and like.call.method == "sendPhoto":
        caption = fitted(CAPTION_LIMIT)
        if caption is None:
            raise TemplateProblem(f"channel {channel.id}: no caption fits for {article.url}")
        # the photo stays when the corrected article lost its image: it cannot be removed
        params.update(photo=article.image or like.image, caption=caption.text, parse_mode="HTML")
        return _post("sendPhoto", params, caption, CAPTION_LIMIT, article, parts.url)
    if article.image and like is None:
        caption = fitted(CAPTION_LIMIT, CAPTION_MIN_SENTENCES, strict=True)
        if caption is not None:
            params.update(photo=article.image, caption=caption.text, parse_mode="HTML")
            return _post("sendPhoto", params, caption, CAPTION_LIMIT, article, parts.url)
    text = fitted(TEXT_LIMIT)
    if text is None or text.measure.length == 0:
        raise TemplateProblem(
            f"channel {channel.id}: the template makes no post Telegram accepts for "
            f"{article.url}: check it with `newsbot preview`"
        )
    preview = LinkPreview(article.image or parts.url, channel.preview_above_text)
    params.update(
        text=text.text,
        parse_mode="HTML",
        link_preview_options={
            "url": preview.url,
            "prefer_large_media": preview.large_media,
            "show_above_text": preview.above_text,
        },
    )
    return _post("sendMessage", params, text, TEXT_LIMIT, article, parts.url, preview)


def plain_text(html: str) -> str:
    """What a reader sees of Telegram HTML: tags gone, Telegram's entities decoded."""
    return visible(_TAG.sub("", html))


def _post(
    method: str,
    params: dict[str, Any],
    fitted: Fitted,
    limit: int,
    article: Article,
    link: str,
    preview: LinkPreview | None = None,
) -> Post:
    return Post(
        text=fitted.text,
        format=PostFormat.HTML,
        plain=plain_text(fitted.text),
        length=fitted.measure.length,
        limit=limit,
        call=PlatformCall(method, params),
        image=params.get("photo"),
        link=link,
        link_preview=preview,
        warnings=warnings_of(article, fitted),
    )


def check_template(channel: TelegramChannel) -> None:
    """Raise ValueError naming the problem if the channel's template does not compile,
    fails on a sample article or makes HTML Telegram refuses."""
    source = template_source(channel)
    parts = parts_for(SAMPLE, channel)
    for values in (parts, replace(parts, summary=SAMPLE.lead, image=None)):
        text = render_template(source, values, html=True)
        problem = measure(text).error
        if problem:
            raise TemplateProblem(f"the template makes HTML Telegram refuses: {problem}")
        if not text:
            raise TemplateProblem("the template makes an empty post")


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


def with_text(post: Post, text: str) -> Post:
    """`post` carrying an editor's `text` (Telegram HTML) instead of ours; ValueError
    with one sentence when Telegram would refuse it."""
    photo = post.call.method == "sendPhoto"
    field = "caption" if photo else "text"
    limit = CAPTION_LIMIT if photo else TEXT_LIMIT
    text = text.strip()
    m = measure(text)
    if m.error:
        raise ValueError(
            f"Telegram would refuse this text ({m.error}): use only <b>, <i>, <u>, <s>, "
            "<a href>, <code>, <pre>, <blockquote> and write < as &lt;"
        )
    if m.length == 0:
        raise ValueError("the text is empty: send the post's text")
    if m.length > limit:
        raise ValueError(
            f"the text is {m.length} characters, over Telegram's {limit} for a {field}: shorten it"
        )
    if m.entities > MAX_ENTITIES:
        raise ValueError(f"the text has {m.entities} formatting tags, over Telegram's 100")
    call = PlatformCall(post.call.method, {**post.call.params, field: text})
    return replace(post, text=text, plain=plain_text(text), length=m.length, limit=limit, call=call)
