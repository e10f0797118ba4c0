"""What a page states about itself in markup: Open Graph and article:* meta,
JSON-LD, <link rel=canonical>, <title> and <h1>, <time datetime>, <html lang>, the
lead element, and the site's own names.

Read with lxml, never with regexes over the HTML. Everything the page offers is
kept as candidates (every description, every headline, every tag source) for the
modules that choose among them: bot.content.title, .lead, .tags and .dates.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any
from urllib.parse import urljoin, urlsplit

from bot.content.dates import Stated, choose, modified_time, stated_sources

ARTICLE_TYPES = frozenset(
    {"Article", "NewsArticle", "ReportageNewsArticle", "BlogPosting", "Report",
     "OpinionNewsArticle", "AnalysisNewsArticle", "ReviewNewsArticle", "LiveBlogPosting",
     "TechArticle", "ScholarlyArticle", "RadioEpisode", "PodcastEpisode"}
)  # fmt: skip
SITE_TYPES = frozenset({"WebSite", "Organization", "NewsMediaOrganization", "Corporation"})
# Class names CMSs give the standfirst; matched as whole class tokens.
LEAD_CLASSES = ("lead", "standfirst", "article-lead", "article__lead", "news-lead", "intro")
_CHROME_TAGS = frozenset({"header", "nav", "aside", "footer"})
_LEAD_XPATH = " | ".join(
    f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]" for name in LEAD_CLASSES
)
MAX_TAG_CHARS = 60
DESCRIPTION_KEYS = ("og:description", "twitter:description", "description", "dc.description")
SITE_KEYS = ("og:site_name", "application-name", "apple-mobile-web-app-title", "twitter:site")
AUTHOR_KEYS = ("author", "article:author", "og:article:author", "dc.creator", "sailthru.author")


@dataclass(frozen=True, slots=True)
class PageMeta:
    title: str = ""  # og:title, else twitter:title
    headlines: tuple[str, ...] = ()  # every other headline: JSON-LD, <title>, each <h1>
    descriptions: tuple[str, ...] = ()  # each description, most trusted first
    lead_element: str = ""  # the text of the page's lead/standfirst element, if any
    image: str | None = None
    published: Stated | None = None
    updated: Stated | None = None
    section: str = ""
    tag_sources: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (kind, values), by trust
    canonical: str | None = None
    lang: str | None = None
    site_name: str = ""
    site_names: tuple[str, ...] = ()  # og:site_name, the publisher in JSON-LD, app titles
    authors: tuple[str, ...] = ()
    slogans: tuple[str, ...] = ()  # the site's own description (JSON-LD WebSite...)


def clean(text: str | None) -> str:
    return " ".join((text or "").split())


def http_url(base: str, href: str | None) -> str | None:
    """`href` resolved against `base` when it is an http(s) URL, else None."""
    if not href or not href.strip():
        return None
    resolved = urljoin(base, href.strip())
    parts = urlsplit(resolved)
    return resolved if parts.scheme in ("http", "https") and parts.netloc else None


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
            name = (element.get(attribute) or "").strip().lower()
            if name:
                found.setdefault(name, []).append(content.strip())
    return found


def _walk_jsonld(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _walk_jsonld(item)
    elif isinstance(node, dict):
        yield node
        yield from _walk_jsonld(node.get("@graph"))


def _jsonld_nodes(tree: Any) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            nodes += _walk_jsonld(json.loads(script.text or ""))
        except ValueError:
            continue  # broken JSON-LD is common; the other sources remain
    return nodes


def _kinds(node: dict[str, Any]) -> set[str]:
    kinds = node.get("@type")
    return {k for k in (kinds if isinstance(kinds, list) else [kinds]) if isinstance(k, str)}


def _article_node(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    """The first Article-like JSON-LD object ({} if none)."""
    return next((n for n in nodes if _kinds(n) & ARTICLE_TYPES), {})


def _names(value: Any) -> list[str]:
    """Names of a schema.org Person/Organization value, a list of them, or a string."""
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            found.append(clean(name))
    return found


def _jsonld_image(value: Any) -> str | None:
    """schema.org `image`: a URL, an ImageObject, or a list of either (first wins)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return value if isinstance(value, str) else None


def _as_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
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


def _canonical(tree: Any, base: str, og_url: str | None) -> str | None:
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            found = http_url(base, link.get("href"))
            if found:
                return found
    return http_url(base, og_url)


def _lang(tree: Any, *declared: str | None) -> str | None:
    root = tree.getroottree().getroot()
    xml_lang = root.get("{http://www.w3.org/XML/1998/namespace}lang")
    for raw in (root.get("lang"), xml_lang, *declared):
        code = (raw or "").strip().replace("_", "-").split("-")[0].lower()
        if 2 <= len(code) <= 3 and code.isalpha():
            return code
    return None


def _headlines(tree: Any, ld: dict[str, Any], meta: dict[str, list[str]]) -> list[str]:
    title = tree.find(".//title")
    found = [*_as_strings(ld.get("headline")), *meta.get("og:title", [])]
    found += meta.get("twitter:title", [])
    found += [h.text_content() for h in tree.iter("h1")]
    found.append(title.text_content() if title is not None else "")
    return [text for text in dict.fromkeys(map(clean, found)) if text]


def _site_names(meta: dict[str, list[str]], nodes: list[dict[str, Any]]) -> list[str]:
    names = [value.lstrip("@") for k in SITE_KEYS for value in meta.get(k, [])]
    for node in nodes:
        names += _names(node.get("publisher"))
        if _kinds(node) & SITE_TYPES:
            names += _names(node.get("name")) + _names(node.get("alternateName"))
    return [name for name in dict.fromkeys(map(clean, names)) if name and "://" not in name]


def read_meta(tree: Any, url: str, zone: tzinfo = UTC) -> PageMeta:
    """Everything the page states about itself; missing values stay empty. Times
    without a zone are read in `zone` (bot.content.dates)."""
    meta = _meta_values(tree)
    nodes = _jsonld_nodes(tree)
    ld = _article_node(nodes)

    def one(*keys: str) -> str | None:
        return next((meta[k][0] for k in keys if k in meta), None)

    ld_published = next(iter(_as_strings(ld.get("datePublished"))), None)
    published = choose(stated_sources(meta, ld_published, tree, zone))
    modified = [*meta.get("article:modified_time", []), *meta.get("og:updated_time", []),
                *meta.get("og:article:modified_time", []), *meta.get("datemodified", []),
                *_as_strings(ld.get("dateModified"))]  # fmt: skip
    updated = modified_time(modified, tree, zone)
    if updated is not None and published is not None and updated.at <= published.at:
        updated = None  # "modified" equal to "published" means never modified
    sections = meta.get("article:section") or _as_strings(ld.get("articleSection"))
    image = one("og:image", "og:image:url", "og:image:secure_url", "twitter:image")
    image = image or one("twitter:image:src", "image") or _jsonld_image(ld.get("image"))
    descriptions = [d for k in DESCRIPTION_KEYS for d in meta.get(k, [])]
    descriptions += _as_strings(ld.get("description"))
    keywords = [k for v in _as_strings(ld.get("keywords")) for k in v.split(",")]
    tag_sources = (
        ("tags", tuple(meta.get("article:tag", []) + meta.get("og:article:tag", []))),
        ("keywords", tuple(meta.get("news_keywords", []))),
        ("tags", tuple(keywords)),
        ("keywords", tuple(meta.get("keywords", []))),
    )
    authors = [a for k in AUTHOR_KEYS for a in meta.get(k, []) if "://" not in a]
    slogans = [
        d for n in nodes if _kinds(n) & SITE_TYPES for d in _as_strings(n.get("description"))
    ]
    return PageMeta(
        title=clean(one("og:title", "twitter:title")),
        headlines=tuple(_headlines(tree, ld, meta)),
        descriptions=tuple(dict.fromkeys(clean(d) for d in descriptions if clean(d))),
        lead_element=_lead_element(tree),
        image=http_url(url, image),
        published=published,
        updated=updated,
        section=clean(sections[0]) if sections else "",
        tag_sources=tag_sources,
        canonical=_canonical(tree, url, one("og:url")),
        lang=_lang(tree, one("og:locale"), one("content-language", "language", "dc.language")),
        site_name=clean(one("og:site_name")),
        site_names=tuple(_site_names(meta, nodes)),
        authors=tuple(dict.fromkeys([*authors, *_names(ld.get("author"))])),
        slogans=tuple(clean(s) for s in slogans),
    )
