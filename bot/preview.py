"""What each channel would receive for an article, without posting: `newsbot preview`
(and the editors' /preview). Rendering is the publishers' own pure renderer, so a
preview is exactly the payload a delivery would store and send.
"""

from __future__ import annotations

import asyncio
import json
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
from bot.report import shorten
from bot.urls import BadUrlError, canonical_url, clean_url
from publishers.base import ChannelConfig, load_platform
from publishers.compose import with_utm

MAX_FILE_BYTES = 5_000_000
ECHO_CHARS = 300  # an address quoted back in an error, at most


class PreviewError(Exception):
    """The article could not be read; the message is one sentence saying why."""


@dataclass(frozen=True, slots=True)
class ChannelPreview:
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
    params: dict[str, Any] = field(default_factory=dict)  # the exact API call
    error: str = ""  # the channel cannot render this article: why
    article_id: str = ""
    published: str | None = None  # ISO 8601 with the page's offset

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_channels() -> tuple[ChannelConfig, ...]:
    """A Telegram channel and a Facebook Page with every default: previews without a
    config file show what a new installation would post."""
    return (
        load_platform("telegram").CHANNEL_MODEL.model_validate(
            {"id": "telegram", "kind": "telegram", "chat": "@channel"}
        ),
        load_platform("facebook").CHANNEL_MODEL.model_validate(
            {"id": "facebook", "kind": "facebook", "page_id": "1"}
        ),
    )


def preview(article: Article, channels: Sequence[ChannelConfig]) -> list[ChannelPreview]:
    return [preview_channel(article, channel) for channel in channels]


def preview_channel(article: Article, channel: ChannelConfig) -> ChannelPreview:
    link = with_utm(article.url, channel.utm, channel.id)
    published = article.published_at.isoformat() if article.published_at else None
    try:
        payload = load_platform(channel.kind).render_post(article, channel)
    except ValueError as exc:
        return ChannelPreview(
            channel.id, channel.kind, "", "", None, None, link, None, 0, 0,
            error=str(exc), article_id=article.id, published=published,
        )  # fmt: skip
    params = payload.params
    text = params.get("caption") or params.get("text") or params.get("message") or ""
    image = params.get("photo") or (params.get("url") if payload.method == "photos" else None)
    return ChannelPreview(
        channel=channel.id,
        kind=channel.kind,
        method=payload.method,
        text=text,
        parse_mode=params.get("parse_mode"),
        image=image,
        link=params.get("link") or link,
        link_preview=params.get("link_preview_options"),
        length=payload.length,
        limit=payload.limit,
        warnings=[w.to_dict() for w in payload.warnings],
        params=params,
        article_id=article.id,
        published=published,
    )


async def load_url(
    url: str, session: aiohttp.ClientSession, *, allow_private: bool, timeout: float = 15
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
            max_bytes=MAX_FILE_BYTES,
        )  # fmt: skip
    except EnrichmentError as exc:
        raise PreviewError(f"{shown}: {shorten(str(exc), ECHO_CHARS)}: check the address, "
                           "or save the page and preview the file") from None  # fmt: skip
    return await vet(article_from_page(page), allow_private=allow_private)


async def load_article(
    ref: str, session: aiohttp.ClientSession, *, allow_private: bool, timeout: float = 15
) -> Article:
    """The article at an http(s) URL or in a saved HTML file: `newsbot preview` only.
    The editors' bot never reads the server's disk (it calls load_url)."""
    if ref.startswith(("http://", "https://")):
        return await load_url(ref, session, allow_private=allow_private, timeout=timeout)
    article = await asyncio.to_thread(_article_from_file, Path(ref))
    problem = url_problem(article.url, allow_private=allow_private)
    if problem is not None:
        raise PreviewError(f"{ref} names the address {article.url}, which may not be posted: "
                           f"{problem}")  # fmt: skip
    return await vet(article, allow_private=allow_private)


def _article_from_file(path: Path) -> Article:
    try:
        raw = path.read_bytes()[: MAX_FILE_BYTES + 1]
    except OSError as exc:
        raise PreviewError(
            f"{path} is neither an http(s) URL nor a readable file ({exc.strerror}): "
            "give an article's address or a saved page"
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise PreviewError(f"{path} is over {MAX_FILE_BYTES // 1_000_000} MB: is it an article?")
    page = extract_page(raw, path.resolve().as_uri())
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


def as_json(previews: Sequence[ChannelPreview]) -> str:
    return json.dumps([p.to_dict() for p in previews], ensure_ascii=False, indent=2)


def as_text(article: Article, previews: Sequence[ChannelPreview]) -> str:
    """A human view: each channel's call, the text as sent, its length and warnings."""
    published = article.published_at.isoformat() if article.published_at else "unknown"
    lines = [
        f"{article.title or '(no title)'}",
        f"{article.url}  ·  published {published}  ·  id {article.id}",
    ]
    for p in previews:
        lines.append("")
        if p.error:
            lines.append(f"── {p.channel} ({p.kind}): cannot be posted: {p.error}")
            continue
        mode = f" · {p.parse_mode}" if p.parse_mode else ""
        lines.append(f"── {p.channel} ({p.kind}) · {p.method} · {p.length}/{p.limit}{mode}")
        if p.image:
            lines.append(f"image:   {p.image}")
        lines.append(f"link:    {p.link}")
        if p.link_preview:
            options = ", ".join(f"{k}={v}" for k, v in p.link_preview.items())
            lines.append(f"preview: {options}")
        lines.append("")
        lines.extend("  " + line if line else "" for line in p.text.splitlines())
        if p.warnings:
            lines.append("")
        lines.extend(f"! {warning['message']}" for warning in p.warnings)
    return "\n".join(lines)
