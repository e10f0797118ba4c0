"""Article -> Graph API post, pure: plain text (Pages show no markup), entities decoded.

A link post (`/feed`: message + link) lets Facebook build the preview from the page's
Open Graph tags; a photo post (`/photos`: url + caption) shows our image and carries
the link in the caption (https://developers.facebook.com/docs/pages-api/posts).
The template is rendered without escaping (the text is shown as written) and the
summary is fitted by publishers.compose like Telegram's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.models import Article
from bot.platforms import PlatformCall, Post, PostFormat
from publishers.compose import (
    SAMPLE,
    Measure,
    Parts,
    TemplateProblem,
    default_template,
    fit,
    parts_for,
    render_template,
    warnings_of,
)

if TYPE_CHECKING:
    from publishers.facebook import FacebookChannel

# Graph documents no limit for a post's message; 63,206 characters is Facebook's limit
# for a status update, as its Help Center has long stated, and the figure every client uses.
MESSAGE_LIMIT = 63206


def measure(text: str) -> Measure:
    return Measure(len(text))


def template_source(channel: FacebookChannel) -> str:
    return channel.template or default_template("publishers.facebook", "post.txt.j2")


def render(article: Article, channel: FacebookChannel, like: Post | None = None) -> Post:
    """A link post, or a photo post (`post_type = "photo"` and an image). `like`: the live
    post an edit replaces; its edge stays (an edit changes the text only)."""
    photo = channel.post_type == "photo" and bool(article.image)
    if like is not None:
        photo = like.call.method == "photos"
    source = template_source(channel)
    parts = parts_for(article, channel, link_in_text=photo)

    def draw(values: Parts) -> str:
        return render_template(source, values, html=False)

    fitted = fit(
        article, parts, render=draw, measure=measure, limit=MESSAGE_LIMIT,
        summary_max=channel.summary_max,
    )  # fmt: skip
    if fitted is None:  # an empty text is fine: the link (or photo) is the post
        raise TemplateProblem(
            f"channel {channel.id}: the template makes no post for {article.url}: "
            "check it with `newsbot preview`"
        )
    params: dict[str, Any]
    if photo:
        image = article.image or (like.image if like is not None else None)
        params = {"url": image, "caption": fitted.text}
        call = PlatformCall("photos", params)
    else:
        params = {"message": fitted.text, "link": parts.url}
        call, image = PlatformCall("feed", params), None
    return Post(
        text=fitted.text, format=PostFormat.PLAIN, plain=fitted.text,
        length=fitted.measure.length, limit=MESSAGE_LIMIT, call=call, image=image,
        link=parts.url,
        warnings=warnings_of(article, fitted),
    )  # fmt: skip


def check_template(channel: FacebookChannel) -> None:
    """Raise ValueError naming the problem if the template does not compile or fails
    on a sample article."""
    source = template_source(channel)
    for photo in (False, True):
        parts = replace(parts_for(SAMPLE, channel, link_in_text=photo), summary=SAMPLE.lead)
        if not render_template(source, parts, html=False):
            raise TemplateProblem("the template makes an empty post")


def with_text(post: Post, text: str) -> Post:
    """`post` carrying an editor's plain `text`; ValueError when Facebook cannot take it."""
    field = "caption" if post.call.method == "photos" else "message"
    text = text.strip()
    if len(text) > MESSAGE_LIMIT:
        raise ValueError(
            f"the text is {len(text)} characters, over Facebook's {MESSAGE_LIMIT}: shorten it"
        )
    call = PlatformCall(post.call.method, {**post.call.params, field: text})
    return replace(post, text=text, plain=text, length=len(text), call=call)
