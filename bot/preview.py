"""What each channel would receive for an article, without posting: `newsbot preview`
(and the editors' /preview). Rendering is the platforms' own pure renderer, so a
preview is exactly the post a delivery would store and send.

Loading: an http(s) URL is fetched under the fetcher's rules; a saved page (a file) only
from the command line, never from the editors' bot. Either is vetted (bot.content.guard).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bot.addresses import url_problem
from bot.content.enrich import EnrichmentError, article_from_page, fetch_page
from bot.content.extract import extract_page
from bot.content.guard import vet
from bot.models import Article
from bot.platforms import ChannelConfig, Platforms, Post, PostFormat, vars_of
from bot.routing import route
from bot.text import shorten
from bot.urls import BadUrlError, canonical_url, clean_url

MAX_FILE_BYTES = 5_000_000
ECHO_CHARS = 300  # an address quoted back in an error, at most


class PreviewError(Exception):
    """The article could not be read; the message is one sentence saying why."""


@dataclass(frozen=True, slots=True)
class ChannelPreview:
    """One channel's post, flattened for views (`newsbot preview --json` prints these
    fields); `post` is the typed post itself, None when the channel cannot render it."""

    channel: str
    kind: str
    method: str
    text: str
    parse_mode: str | None
    image: str | None
    link: str
    link_preview: dict[str, Any] | None
    length: int
    limit: int
    warnings: list[dict[str, str]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)  # the exact platform call
    error: str = ""  # the channel cannot render this article: why
    article_id: str = ""
    published: str | None = None  # ISO 8601 with the page's offset
    routed: bool = True  # the channel's routing takes the article (bot.routing)
    route: str = ""  # why it does or does not
    route_code: str = ""
    route_values: dict[str, str] = field(default_factory=dict)
    post: Post | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["post"]
        return data


def default_channels(platforms: Platforms) -> tuple[ChannelConfig, ...]:
    """A channel of each platform with every default: previews without a config file
    show what a new installation would post."""
    return tuple(p.example_channel() for p in platforms)


def preview(
    article: Article, channels: Sequence[ChannelConfig], platforms: Platforms
) -> list[ChannelPreview]:
    return [preview_channel(article, channel, platforms) for channel in channels]


def preview_channel(
    article: Article, channel: ChannelConfig, platforms: Platforms
) -> ChannelPreview:
    published = article.published_at.isoformat() if article.published_at else None
    found = route(article, channel)
    try:
        post = platforms.render(article, channel)
    except ValueError as exc:
        return ChannelPreview(
            channel.id, channel.kind, "", "", None, None, article.url, None, 0, 0,
            error=str(exc), article_id=article.id, published=published, routed=found.chosen,
            route=found.reason, route_code=found.code, route_values=found.values,
        )  # fmt: skip
    return ChannelPreview(
        channel=channel.id,
        kind=channel.kind,
        method=post.call.method,
        text=post.text,
        parse_mode="HTML" if post.format is PostFormat.HTML else None,
        image=post.image,
        link=post.link or article.url,
        link_preview=None if post.link_preview is None else vars_of(post.link_preview),
        length=post.length,
        limit=post.limit,
        warnings=[w.to_dict() for w in post.warnings],
        params=post.call.params,
        article_id=article.id,
        published=published,
        post=post,
        routed=found.chosen,
        route=found.reason,
        route_code=found.code,
        route_values=found.values,
    )


async def load_url(
    url: str,
    session: aiohttp.ClientSession,
    *,
    allow_private: bool,
    timeout: float = 15,
    timezone: str | None = None,
) -> Article:
    """The article at an http(s) URL, fetched under the fetcher's rules, vetted."""
    shown = shorten(url, ECHO_CHARS)
    try:
        url = clean_url(url)
    except BadUrlError:
        raise PreviewError(
            f"{shown!r} is not a web address: give the article's full address"
        ) from None
    stub = Article(id="", url=url, title="")
    try:
        page = await fetch_page(
            stub, session, allow_private=allow_private, timeout=timeout,
            max_bytes=MAX_FILE_BYTES, timezone=timezone,
        )  # fmt: skip
    except EnrichmentError as exc:
        raise PreviewError(f"{shown}: {shorten(str(exc), ECHO_CHARS)}: check the address, "
                           "or save the page and preview the file") from None  # fmt: skip
    return await vet(article_from_page(page), allow_private=allow_private)


async def load_article(
    ref: str,
    session: aiohttp.ClientSession,
    *,
    allow_private: bool,
    timeout: float = 15,
    timezone: str | None = None,
) -> Article:
    """The article at an http(s) URL or in a saved HTML file: `newsbot preview` only.
    The editors' bot never reads the server's disk (it calls load_url)."""
    if ref.startswith(("http://", "https://")):
        return await load_url(
            ref, session, allow_private=allow_private, timeout=timeout, timezone=timezone
        )
    article = await asyncio.to_thread(_article_from_file, Path(ref), timezone)
    problem = url_problem(article.url, allow_private=allow_private)
    if problem is not None:
        raise PreviewError(f"{ref} names the address {article.url}, which may not be posted: "
                           f"{problem}")  # fmt: skip
    return await vet(article, allow_private=allow_private)


def _article_from_file(path: Path, timezone: str | None = None) -> Article:
    try:
        raw = path.read_bytes()[: MAX_FILE_BYTES + 1]
    except OSError as exc:
        raise PreviewError(
            f"{path} is neither an http(s) URL nor a readable file ({exc.strerror}): "
            "give an article's address or a saved page"
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise PreviewError(f"{path} is over {MAX_FILE_BYTES // 1_000_000} MB: is it an article?")
    page = extract_page(raw, path.resolve().as_uri(), timezone=timezone)
    if not page.has_text and not page.title:
        raise PreviewError(f"{path} has no article text: is it an HTML page?")
    try:
        canonical_url(page.canonical)
    except BadUrlError:
        raise PreviewError(
            f"{path} names no web address (no canonical link or og:url): a post needs the "
            "article's URL"
        ) from None
    return article_from_page(page)
