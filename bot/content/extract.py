"""An article page's text and metadata, extracted without I/O.

trafilatura finds the main text (its boilerplate removal drops header, menus,
asides and footers) and, through htmldate, a publication date; lxml reads what
the page states in markup (bot.content.meta), which wins where both answer
because it keeps the time zone. bot.content.chrome removes the promo that sits
inside the article's own markup.

The lead is the page's og:description (else twitter:/meta description): the
publisher writes it for link previews, so a post's text matches the preview
Telegram and Facebook show under it, and it is there whatever the markup. A
description cut short ("...") or equal to the title or the site's name is no
lead; the page's lead element (class "lead", "standfirst"...) is used instead.

`extract_page` never raises on content: a page that is not HTML, is empty or
has no readable text gives a PageData with empty fields.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import trafilatura

from bot.content.charset import decode_html
from bot.content.chrome import is_promo, remove_labelled_boxes
from bot.content.meta import PageMeta, clean, http_url, parse_time, read_meta, unique_tags

# htmldate's format with time and offset; it returns a naive time when the page
# gives none, which parse_time then refuses.
DATE_PARAMS = {
    "extensive_search": True,
    "original_date": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}


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
    """Blocks of trafilatura's XML body as text, minus promo lines and repeats of
    the title or lead (shown separately)."""
    paragraphs: list[str] = []
    for block in body if body is not None else ():
        if block.tag == "graphic":
            continue
        lines = [line for line in _block_text(block).split("\n") if line and not is_promo(line)]
        text = "\n".join(lines)
        if text and clean(text).casefold() not in skip:
            paragraphs.append(text)
    return paragraphs


def _lead(meta: PageMeta, title: str) -> str:
    description = meta.description
    unusable = (
        not description
        or description.endswith(("...", "…"))
        or description.casefold() in {title.casefold(), meta.site_name.casefold()}
        or is_promo(description)
    )
    return meta.lead_element if unusable else description


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


def extract_page(html: bytes | str, url: str, *, content_type: str | None = None) -> PageData:
    """The article in `html` (fetched from `url`): text, lead and metadata."""
    text = decode_html(html, content_type) if isinstance(html, bytes) else html
    tree = None
    # lxml refuses some inputs outright (NUL-only, control characters): no page then
    with contextlib.suppress(ValueError, TypeError):
        tree = trafilatura.load_html(text)
    if tree is None:
        return PageData(url=url, canonical=url)
    remove_labelled_boxes(tree)
    meta = read_meta(tree, url)
    document = _trafilatura(tree, url)
    title = meta.title or clean(document.title)
    lead = _lead(meta, title)
    skip = {t.casefold() for t in (title, lead) if t}
    tags = meta.tags or unique_tags(
        [part for tag in document.tags or () for part in tag.split(",")]
    )
    section = meta.section or clean((document.categories or [""])[0])
    return PageData(
        url=url,
        canonical=meta.canonical or url,
        title=title,
        lead=lead,
        body="\n\n".join(_paragraphs(document.body, skip)),
        image=meta.image or http_url(url, document.image),
        published=meta.published or parse_time(document.date),
        updated=meta.updated,
        section=section,
        tags=tags,
        lang=meta.lang or document.language,
        site_name=meta.site_name or clean(document.sitename),
    )
