"""An article page's text and metadata, extracted without I/O.

trafilatura finds the main text (its boilerplate removal drops header, menus,
asides and footers); lxml reads what the page states in markup (bot.content.meta).
From those candidates: the title without the site's name (bot.content.title), the
lead (bot.content.lead: the publisher's description when it is one, completed when
the site cut it), the topic tags (bot.content.tags), the publication time
(bot.content.dates: markup first, then a visible date, the title, htmldate through
trafilatura, the URL) and the language (the page's, else told from the text).
bot.content.chrome removes the promo and boilerplate inside the article's markup.

What the editors should check is recorded as notes (`PageData.notes`, codes of
bot.content.warnings.NOTES): title_suffix_removed, summary_from_body, summary_cut,
no_date, tags_dropped.

`extract_page` never raises on content: a page that is not HTML, is empty or has no
readable text gives a PageData with empty fields. It raises UnknownTimeZone only for
a `timezone` that is no IANA name, which is configuration, not content.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

import trafilatura

from bot.content.charset import decode_html
from bot.content.chrome import is_boilerplate, is_promo, remove_labelled_boxes
from bot.content.dates import Stated, parse_stated, parse_written, url_date, visible_date, zone_of
from bot.content.lead import choose_lead
from bot.content.meta import PageMeta, clean, http_url, read_meta
from bot.content.sentences import detect_language
from bot.content.tags import TagContext, topic_tags
from bot.content.title import affixes_of, clean_title, host_names, url_sections

# htmldate's format with time and offset; a time without one is read in the
# publisher's zone, and a bare date comes back at midnight (bot.content.dates).
DATE_PARAMS = {
    "extensive_search": True,
    "original_date": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}
MAX_TAG_TEXT = 20_000  # of the body, where a tag's words are looked for


@dataclass(frozen=True, slots=True)
class PageData:
    url: str  # the page as fetched (after redirects)
    canonical: str  # <link rel=canonical>, else og:url, else `url`
    title: str = ""
    lead: str = ""
    body: str = ""  # main text paragraphs joined by "\n\n", chrome and promo removed
    image: str | None = None
    published: datetime | None = None  # always aware
    updated: datetime | None = None  # always aware, later than `published`
    section: str = ""
    tags: tuple[str, ...] = ()
    lang: str | None = None
    site_name: str = ""
    published_date_only: bool = False  # the page states the day, not the time
    notes: tuple[tuple[str, str], ...] = ()  # for the editors (bot.content.warnings.NOTES)

    @property
    def has_text(self) -> bool:
        return bool(self.body or self.lead)


def _block_text(element: Any) -> str:
    if element.tag == "list":
        return "\n".join(_block_text(item) for item in element.iter("item"))
    if element.tag == "table":
        rows = (" | ".join(clean(c.xpath("string()")) for c in r.iter("cell")) for r in element)
        return "\n".join(row for row in rows if row.strip(" |"))
    return clean(element.xpath("string()"))


def _paragraphs(body: Any, skip: set[str]) -> list[str]:
    """Blocks of trafilatura's XML body as text, minus promo lines, boilerplate
    (bylines, credits) and repeats of a headline (shown separately)."""
    paragraphs: list[str] = []
    for block in body if body is not None else ():
        if block.tag == "graphic":
            continue
        lines = [
            line
            for line in _block_text(block).split("\n")
            if any(ch.isalnum() for ch in line) and not is_promo(line)
        ]
        text = "\n".join(lines)
        if text and clean(text).casefold() not in skip and not is_boilerplate(text):
            paragraphs.append(text)
    return paragraphs


def _trafilatura(tree: Any, url: str) -> Any:
    """trafilatura's Document (text and metadata), or one with metadata only."""
    options: dict[str, Any] = {
        "url": url,
        "include_comments": False,
        "include_tables": True,
        "date_extraction_params": dict(DATE_PARAMS),
    }
    document = trafilatura.bare_extraction(tree, with_metadata=True, **options)
    if document is None:  # too little text: still read the metadata
        document = trafilatura.extract_metadata(
            tree, default_url=url, date_config=dict(DATE_PARAMS)
        )
        document.body = None
    return document


def _htmldate(value: str | None, zone: tzinfo) -> Stated | None:
    """htmldate's guess; its 1 January at midnight is a year read off a URL, no date."""
    stated = parse_stated(value, zone)
    if stated is None or (stated.at.month, stated.at.day, stated.at.hour) == (1, 1, 0):
        return None
    naive_midnight = stated.at.time() == datetime.min.time() and not stated.zoned
    return Stated(stated.at, date_only=naive_midnight, zoned=stated.zoned)


def _published(
    meta: PageMeta, shown: Stated | None, affixes: list[str], document: Any, url: str, zone: tzinfo
) -> Stated | None:
    """The markup's time; else a date in the title, a visible one, htmldate's, the URL's.
    A bare date gives way to a later source's time on the same day."""
    in_title = next((s for s in map(parse_written, affixes) if s is not None), None)
    if in_title is not None:
        in_title = Stated(in_title.at.replace(tzinfo=zone), date_only=in_title.date_only)
    found = [meta.published, in_title, shown, _htmldate(document.date, zone), url_date(url, zone)]
    candidates = [s for s in found if s is not None]
    if not candidates:
        return None
    first = candidates[0]
    if first.date_only:
        day = first.at.date()
        first = next((c for c in candidates if not c.date_only and c.at.date() == day), first)
    return first


def extract_page(
    html: bytes | str, url: str, *, content_type: str | None = None, timezone: str | None = None
) -> PageData:
    """The article in `html` (fetched from `url`): text, lead and metadata. A time the
    page states without a zone is read in `timezone` (an IANA name; None: UTC)."""
    zone = zone_of(timezone)
    text = decode_html(html, content_type) if isinstance(html, bytes) else html
    tree = None
    # lxml refuses some inputs outright (NUL-only, control characters): no page then
    with contextlib.suppress(ValueError, TypeError):
        tree = trafilatura.load_html(text)
    if tree is None:
        return PageData(url=url, canonical=url)
    remove_labelled_boxes(tree)
    meta = read_meta(tree, url, zone)
    shown = visible_date(tree, zone) if meta.published is None else None
    document = _trafilatura(tree, url)
    notes: list[tuple[str, str]] = []

    sites = [*meta.site_names, *host_names(url)]
    base = meta.title or clean(document.title) or next(iter(meta.headlines), "")
    headlines = [*meta.headlines, clean(document.title)]
    title, affixes = clean_title(
        base, headlines=headlines, sites=sites, others=[meta.section, *meta.authors]
    )
    if affixes:
        notes.append(("title_suffix_removed", " | ".join(affixes)))

    skip = {h.casefold() for h in (title, *headlines) if h}
    paragraphs = _paragraphs(document.body, skip)
    lead = choose_lead(
        [*meta.descriptions, meta.lead_element],
        paragraphs,
        title=title,
        sites=[*sites, *meta.slogans],
    )
    notes += lead.notes
    lead_text = clean(lead.text)
    body = "\n\n".join(p for p in paragraphs if lead.from_body or clean(p) != lead_text)

    context = TagContext(
        title=title,
        text="\n".join((title, lead.text, body[:MAX_TAG_TEXT])),
        lead_text="\n".join((title, *meta.descriptions)),
        sites=tuple(sites),
        sections=(*affixes, *affixes_of(title, headlines), *url_sections(url)),
    )
    sources = [(kind, list(values)) for kind, values in meta.tag_sources]
    links = [part for tag in document.tags or () for part in tag.split(",")]
    topics = topic_tags([*sources, ("links", links)], context)
    if note := topics.note():
        notes.append(note)

    published = _published(meta, shown, affixes, document, url, zone)
    if published is None:
        notes.append(("no_date", "the page states none"))
    section = meta.section or clean((document.categories or [""])[0])
    lang = meta.lang or (detect_language("\n".join((title, lead.text, body))) if body else None)
    return PageData(
        url=url,
        canonical=meta.canonical or url,
        title=title,
        lead=lead.text,
        body=body,
        image=meta.image or http_url(url, document.image),
        published=published.at if published else None,
        updated=meta.updated.at if meta.updated else None,
        section=section,
        tags=topics.tags,
        lang=lang,
        site_name=meta.site_name or clean(document.sitename),
        published_date_only=bool(published and published.date_only),
        notes=tuple(dict.fromkeys(notes)),
    )
