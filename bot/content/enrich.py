"""A feed's article completed from its page: text, lead, image, times, tags.

Enrich once, when an article is first seen, and keep the result with the
article: the store's copy is what deliveries render, so a retry never fetches
the page again. Enrichment never fails an article: when the page cannot be
fetched or read, the feed's article goes on unchanged, with a note saying why.

Merge rules (the page knows the article better than a feed item does): the
page's body, image, published and updated times, section, site name and topic tags
(bot.content.tags) win when present; its lead wins when it is the publisher's (a
lead the page only made of its first paragraphs, or one the site cut short, gives
way to the feed's); a page that states only the day gives way to the feed's time on
that day; the feed's title stays unless the feed had none; the page's language wins.
The feed's categories, when they are the tags, pass the same rules as the page's.
The page's notes for the editors come along, except those the feed's values make
moot (no_date when the feed has a time...). The id, URL and source never change:
the article id is derived from the feed's canonical URL.

A time the page states without a zone is read in the publisher's `timezone` (an
IANA name; None: UTC), passed from the configuration by the caller.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import aiohttp
import structlog

from bot.content.dates import zone_of
from bot.content.extract import PageData, extract_page
from bot.content.guard import with_notes
from bot.content.meta import unique_tags
from bot.content.tags import TagContext, filter_tags
from bot.content.title import host_names
from bot.models import Article
from bot.net import FetchError, fetch
from bot.urls import BadUrlError, article_id, canonical_url, clean_url

log = structlog.get_logger("content")

ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
HTML_TYPES = ("text/html", "application/xhtml+xml", "")  # "": servers that send none
FALLBACK = ": using the feed's text"


class EnrichmentError(Exception):
    """The page gave nothing usable; the message says why."""


def merge(article: Article, page: PageData) -> Article:
    """`article` with the page's values where the page has them."""
    notes = dict(page.notes)
    lead = page.lead
    if article.lead and ("summary_from_body" in notes or "summary_cut" in notes):
        lead = article.lead  # the feed's lead is the publisher's; the page had none whole
        notes.pop("summary_from_body", None)
        notes.pop("summary_cut", None)
    published = page.published or article.published_at
    if page.published_date_only and article.published_at and page.published:
        same_day = article.published_at.astimezone(page.published.tzinfo).date()
        if same_day == page.published.date():
            published = article.published_at  # the feed knows the time of that day
    if article.published_at:
        notes.pop("no_date", None)
    if article.title:
        notes.pop("title_suffix_removed", None)
    tags = unique_tags(page.tags)
    if not tags and article.tags:
        context = TagContext(
            title=article.title or page.title,
            text="\n".join((article.title, article.lead, page.body or article.body)),
            sites=(page.site_name, article.site_name, *host_names(article.url)),
        )
        feed = filter_tags(article.tags, context)
        tags = feed.tags
        if note := feed.note():
            notes["tags_dropped"] = "; ".join(filter(None, (notes.get("tags_dropped"), note[1])))
    merged = replace(
        article,
        title=article.title or page.title,
        lead=lead or article.lead,
        body=page.body or article.body,
        image=page.image or article.image,
        published_at=published,
        tags=tags,
        lang=page.lang or article.lang,
        updated_at=page.updated or article.updated_at,
        section=page.section or article.section,
        site_name=page.site_name or article.site_name,
    )
    return with_notes(merged, list(notes.items())) if notes else merged


def article_from_page(page: PageData, source: str = "") -> Article:
    """An article known only by its page (preview, an editor's /post): identified by
    the page's canonical URL when it is a web address, else by the URL it came from."""
    for candidate in (page.canonical, page.url):
        try:
            url = clean_url(candidate)
            return merge(Article(id=article_id(url), url=url, title="", source=source), page)
        except BadUrlError:
            continue
    raise BadUrlError(f"{page.url} has no web address: give the page a canonical link")


def _other_canonical(article: Article, page: PageData) -> str | None:
    """The page's canonical URL when it names another URL than the article's id does."""
    try:
        canonical = canonical_url(page.canonical)
    except BadUrlError:
        return None
    return canonical if canonical != article.url else None


async def fetch_page(
    article: Article,
    session: aiohttp.ClientSession,
    *,
    allow_private: bool,
    timeout: float,
    max_bytes: int,
    timezone: str | None = None,
) -> PageData:
    zone_of(timezone)  # a misconfigured zone is the operator's to fix, not the page's
    try:
        result = await fetch(
            session,
            article.url,
            allow_private=allow_private,
            max_bytes=max_bytes,
            timeout=timeout,
            headers={"Accept": ACCEPT},
        )
    except (FetchError, aiohttp.ClientError, OSError, ValueError) as exc:
        raise EnrichmentError(f"the page could not be fetched ({exc})") from None
    if result.status != 200:
        raise EnrichmentError(f"the page answered HTTP {result.status}")
    content_type = result.headers.get("Content-Type", "")
    if content_type.split(";")[0].strip().lower() not in HTML_TYPES:
        raise EnrichmentError(f"the page is not HTML ({content_type})")
    try:
        page = await asyncio.to_thread(
            extract_page, result.body, result.url, content_type=content_type, timezone=timezone
        )
    except Exception as exc:  # a bug in a third-party parser must not drop the article
        raise EnrichmentError(
            f"the page could not be parsed ({exc.__class__.__name__}: {exc})"
        ) from None
    if not page.has_text:
        raise EnrichmentError("no article text was found on the page")
    return page


async def enrich(
    article: Article,
    session: aiohttp.ClientSession,
    *,
    allow_private: bool,
    timeout: float = 15,
    max_bytes: int = 5_000_000,
    timezone: str | None = None,
) -> tuple[Article, str]:
    """The article merged with its page, and "" — or the article unchanged and
    one sentence saying why the page was not used."""
    try:
        page = await fetch_page(
            article, session, allow_private=allow_private, timeout=timeout,
            max_bytes=max_bytes, timezone=timezone,
        )  # fmt: skip
    except EnrichmentError as exc:
        reason = str(exc)
        log.warning("enrichment failed", article_id=article.id, url=article.url, reason=reason)
        return article, reason + FALLBACK
    enriched = merge(article, page)
    log.info(
        "article enriched",
        article_id=article.id,
        body_chars=len(enriched.body),
        updated_at=page.updated.isoformat() if page.updated else None,
        section=page.section or None,
        other_canonical=_other_canonical(article, page),
    )
    return enriched, ""
