"""What a page states about itself in markup: Open Graph and article:* meta,
JSON-LD, <link rel=canonical>, <time datetime>, <html lang>, the lead element.

Read with lxml, never with regexes over the HTML. Times are kept only when they
carry a time zone: a naive "13:30" could be off by the publisher's UTC offset,
and the feed's time (always aware) is better than a wrong one.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

ARTICLE_TYPES = ("Article", "NewsArticle", "ReportageNewsArticle", "BlogPosting", "Report")
# Class names CMSs give the standfirst; matched as whole class tokens.
LEAD_CLASSES = ("lead", "standfirst", "article-lead", "article__lead", "news-lead", "intro")
_CHROME_TAGS = frozenset({"header", "nav", "aside", "footer"})
_LEAD_XPATH = " | ".join(
    f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]" for name in LEAD_CLASSES
)
MAX_TAG_CHARS = 60


@dataclass(frozen=True, slots=True)
class PageMeta:
    title: str = ""
    description: str = ""  # og:description, else twitter:description, else meta description
    lead_element: str = ""  # the text of the page's lead/standfirst element, if any
    image: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    section: str = ""
    tags: tuple[str, ...] = ()
    canonical: str | None = None
    lang: str | None = None
    site_name: str = ""


def clean(text: str | None) -> str:
    return " ".join((text or "").split())


def http_url(base: str, href: str | None) -> str | None:
    """`href` resolved against `base` when it is an http(s) URL, else None."""
    if not href or not href.strip():
        return None
    resolved = urljoin(base, href.strip())
    parts = urlsplit(resolved)
    return resolved if parts.scheme in ("http", "https") and parts.netloc else None


def parse_time(value: str | None) -> datetime | None:
    """An aware datetime from ISO 8601 or RFC 2822 text; None when naive or unreadable."""
    value = clean(value)
    if not value:
        return None
    found: datetime | None = None
    with contextlib.suppress(ValueError):
        found = datetime.fromisoformat(value.replace(" ", "T", 1) if "T" not in value else value)
    if found is None:
        with contextlib.suppress(TypeError, ValueError, IndexError):
            found = email.utils.parsedate_to_datetime(value)
    if found is None or found.tzinfo is None or found.utcoffset() is None:
        return None
    return found


def first_aware(*values: str | None) -> datetime | None:
    return next((t for t in map(parse_time, values) if t is not None), None)


def unique_tags(values: Iterator[str] | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Tags cleaned and de-duplicated case-insensitively, first spelling and order kept."""
    seen: dict[str, str] = {}
    for value in values:
        tag = clean(value).strip(" ,;#")
        if tag and len(tag) <= MAX_TAG_CHARS and tag.casefold() not in seen:
            seen[tag.casefold()] = tag
    return tuple(seen.values())


def _meta_values(tree: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for element in tree.iter("meta"):
        content = element.get("content")
        if content is None or not content.strip():
            continue
        for attribute in ("property", "name", "itemprop"):
            key = (element.get(attribute) or "").strip().lower()
            if key:
                found.setdefault(key, []).append(content.strip())
    return found


def _walk_jsonld(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _walk_jsonld(item)
    elif isinstance(node, dict):
        yield node
        yield from _walk_jsonld(node.get("@graph"))


def _jsonld_article(tree: Any) -> dict[str, Any]:
    """The first Article-like JSON-LD object of the page ({} if none or unreadable)."""
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue  # broken JSON-LD is common; the other sources remain
        for node in _walk_jsonld(data):
            kinds = node.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if any(kind in ARTICLE_TYPES for kind in kinds):
                return node
    return {}


def _jsonld_image(value: Any) -> str | None:
    """schema.org `image`: a URL, an ImageObject, or a list of either (first wins)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return value if isinstance(value, str) else None


def _as_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split(",")
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _in_chrome(element: Any) -> bool:
    return any(ancestor.tag in _CHROME_TAGS for ancestor in element.iterancestors())


def _lead_element(tree: Any) -> str:
    for element in tree.xpath(_LEAD_XPATH):
        text = clean(element.text_content())
        if 20 <= len(text) <= 600 and not _in_chrome(element):
            return text
    return ""


def _time_element(tree: Any, wanted: str) -> datetime | None:
    """<time datetime> marked as `wanted` (itemprop), else the first one in the article."""
    marked = tree.xpath(f"//time[@datetime][@itemprop='{wanted}']")
    anywhere = tree.xpath("//article//time[@datetime] | //main//time[@datetime]")
    candidates = marked if wanted != "datePublished" else marked + anywhere
    return first_aware(*(t.get("datetime") for t in candidates if not _in_chrome(t)))


def _canonical(tree: Any, base: str, og_url: str | None) -> str | None:
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            found = http_url(base, link.get("href"))
            if found:
                return found
    return http_url(base, og_url)


def _lang(tree: Any, locale: str | None) -> str | None:
    root = tree.getroottree().getroot()
    for raw in (root.get("lang"), root.get("{http://www.w3.org/XML/1998/namespace}lang"), locale):
        code = (raw or "").strip().replace("_", "-").split("-")[0].lower()
        if 2 <= len(code) <= 3 and code.isalpha():
            return code
    return None


def read_meta(tree: Any, url: str) -> PageMeta:
    """Everything the page states about itself; missing values stay empty."""
    meta = _meta_values(tree)

    def one(*keys: str) -> str | None:
        return next((meta[k][0] for k in keys if k in meta), None)

    ld = _jsonld_article(tree)
    published = first_aware(
        one("article:published_time"),
        one("og:article:published_time", "datepublished", "pubdate", "publish-date"),
        ld.get("datePublished") if isinstance(ld.get("datePublished"), str) else None,
    ) or _time_element(tree, "datePublished")
    updated = first_aware(
        one("article:modified_time"),
        one("og:updated_time", "og:article:modified_time", "datemodified"),
        ld.get("dateModified") if isinstance(ld.get("dateModified"), str) else None,
    ) or _time_element(tree, "dateModified")
    if updated is not None and published is not None and updated <= published:
        updated = None  # "modified" equal to "published" means never modified
    sections = meta.get("article:section") or _as_strings(ld.get("articleSection"))
    tags = [part for tag in meta.get("article:tag", []) for part in tag.split(",")]
    image = one("og:image", "og:image:url", "og:image:secure_url", "twitter:image")
    image = image or one("twitter:image:src", "image") or _jsonld_image(ld.get("image"))
    description = one("og:description", "twitter:description", "description")
    ld_description = ld.get("description")
    if description is None and isinstance(ld_description, str):
        description = ld_description
    return PageMeta(
        title=clean(one("og:title", "twitter:title")),
        description=clean(description),
        lead_element=_lead_element(tree),
        image=http_url(url, image),
        published=published,
        updated=updated,
        section=clean(sections[0]) if sections else "",
        tags=unique_tags(tags or _as_strings(ld.get("keywords"))),
        canonical=_canonical(tree, url, one("og:url")),
        lang=_lang(tree, one("og:locale")),
        site_name=clean(one("og:site_name")),
    )
