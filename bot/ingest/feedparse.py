"""An RSS 2.0 / Atom document as articles, item by item: one broken item is skipped
with its reason, never the feed.

Hostile input costs what a normal feed does: the document is decoded here (one bad
byte becomes U+FFFD in its item, instead of feedparser re-decoding every item in
another code page), every raw field is cut before its markup is stripped, and an
item whose link may not be posted (not http(s), a private address) is skipped.
Runs in a worker thread (parse_feed is CPU work).
"""

from __future__ import annotations

import calendar
import contextlib
import email.utils
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import feedparser

from bot.addresses import url_problem
from bot.content.charset import as_utf8_feed, decode_feed
from bot.content.guard import (
    MAX_LEAD_CHARS,
    MAX_TAGS,
    MAX_TITLE_CHARS,
    RAW_FACTOR,
    cap_fields,
    with_notes,
)
from bot.models import Article
from bot.urls import BadUrlError, article_id, clean_url

MAX_ENCLOSURES = 20  # looked at for an image, per item


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(html: str, limit: int | None = None) -> str:
    """The text of an HTML fragment, spaces collapsed; a raw value over `limit` times
    RAW_FACTOR is cut first (the stripping must not cost more than the field is worth)."""
    if limit is not None:
        html = html[: limit * RAW_FACTOR]
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


def _published(entry: Any) -> datetime | None:
    """The item's time, always time-zone aware (a date without an offset is UTC, as
    RFC 822's "-0000" means), so items of one feed always sort together."""
    found = _raw_published(entry)
    if found is not None and found.tzinfo is None:
        return found.replace(tzinfo=UTC)
    return found


def _raw_published(entry: Any) -> datetime | None:
    for key in ("published", "updated"):
        raw = entry.get(key)
        if not raw:
            continue
        with contextlib.suppress(TypeError, ValueError):
            return email.utils.parsedate_to_datetime(raw)  # RSS: keeps the +0500 offset
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(raw.replace("Z", "+00:00"))  # Atom
        parsed = entry.get(f"{key}_parsed")
        if parsed:
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    return None


def _image(entry: Any) -> str | None:
    for enc in entry.get("enclosures", [])[:MAX_ENCLOSURES]:
        if str(enc.get("type", "")).startswith("image/") and enc.get("href"):
            return str(enc["href"])
    for media in entry.get("media_content", [])[:MAX_ENCLOSURES]:
        if media.get("medium") == "image" or str(media.get("type", "")).startswith("image/"):
            return str(media["url"]) if media.get("url") else None
    for thumb in entry.get("media_thumbnail", [])[:MAX_ENCLOSURES]:
        if thumb.get("url"):
            return str(thumb["url"])
    return None


def entry_to_article(
    entry: Any, feed_id: str, lang: str | None, *, allow_private: bool = False
) -> Article:
    """One feed item as an Article; ValueError with the reason when it is unusable."""
    link = entry.get("link") or ""
    if not link and entry.get("guidislink"):
        link = entry.get("id") or ""
    if not link:
        raise ValueError("it has no link")
    try:
        url = clean_url(link)
    except BadUrlError as exc:
        raise ValueError(str(exc)) from None
    problem = url_problem(url, allow_private=allow_private)
    if problem is not None:
        raise ValueError(f"its link may not be posted: {problem}")
    title = plain_text(entry.get("title") or "", MAX_TITLE_CHARS)
    lead = plain_text(entry.get("summary") or "", MAX_LEAD_CHARS)
    if not title and not lead:
        raise ValueError("it has neither title nor description")
    terms = (t.get("term", "") for t in entry.get("tags", [])[: MAX_TAGS * 2])
    tags = tuple(term.strip() for term in terms if term.strip())
    article = Article(
        id=article_id(url),
        url=url,
        title=title or lead[:120],
        lead=lead if lead != title else "",
        image=_image(entry),
        tags=tags,
        published_at=_published(entry),
        lang=lang,
        source=feed_id,
    )
    return cap_fields(article)


@dataclass(slots=True)
class ParsedFeed:
    articles: list[Article]  # oldest first
    skipped: list[tuple[str, str]]  # (the item's identity, why it is unusable)
    merged: int = 0  # items that were another listing of an article already in the feed


def _identity(entry: Any, index: int) -> str:
    """What names an item across polls, for logging a skipped one once."""
    for key in ("id", "link", "title"):
        value = entry.get(key)
        if isinstance(value, str) and value:
            return value[:200]
    return f"item {index + 1}"


def parse_feed(
    body: bytes, feed_id: str, *, content_type: str | None = None, allow_private: bool = False
) -> ParsedFeed:
    text, bad_bytes = decode_feed(body, content_type)
    parsed = feedparser.parse(
        as_utf8_feed(text), response_headers={"content-type": "application/xml; charset=utf-8"}
    )
    if not parsed.entries and (parsed.get("bozo") or not parsed.get("version")):
        reason = parsed.get("bozo_exception") or "no feed element"
        raise ValueError(f"the body is not an RSS or Atom feed ({str(reason)[:200]})")
    lang = (parsed.feed.get("language") or "").split("-")[0].lower()[:8] or None
    articles: list[Article] = []
    seen: set[str] = set()
    skipped: list[tuple[str, str]] = []
    merged = 0
    for index, entry in enumerate(parsed.entries):
        try:
            article = entry_to_article(entry, feed_id, lang, allow_private=allow_private)
        except Exception as exc:  # one odd item must never block the feed
            title = str(entry.get("title", "untitled"))[:80]
            skipped.append((_identity(entry, index), f"item {index + 1} ({title!r}): {exc}"))
            continue
        if bad_bytes and "\ufffd" in article.title + article.lead:
            article = with_notes(article, [("bad_bytes", "UTF-8")])
        # the same article twice in one feed: the first (newest) listing wins
        if article.id in seen:
            merged += 1
        else:
            seen.add(article.id)
            articles.append(article)
    oldest = datetime.min.replace(tzinfo=UTC)
    # newest last, so channels read in publication order; feed order breaks ties
    order = sorted(range(len(articles)), key=lambda i: (articles[i].published_at or oldest, -i))
    return ParsedFeed([articles[i] for i in order], skipped, merged)
