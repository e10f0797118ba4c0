"""What an article may carry into a post, whatever its source sent.

Every article passes here before it is stored or previewed (bot.ingest, preview):
- fields are capped at sizes no real article reaches, so a hostile feed item (a
  4 MiB title) costs what a normal one does, and the editors are told (`field_capped`);
- the image must be a URL a platform may be handed (bot.addresses): otherwise it is
  dropped, with the editors' warning `image_refused`, and the post goes out without
  it. The article's own link is checked where it enters (feeds skip such an item;
  pages are fetched under the same rules).
"""

from __future__ import annotations

from dataclasses import replace

from bot.addresses import resolved_problem, url_problem
from bot.models import Article

MAX_TITLE_CHARS = 1_000
MAX_LEAD_CHARS = 10_000
MAX_BODY_CHARS = 200_000  # a long read is ~60,000
MAX_TAGS = 50
MAX_TAG_CHARS = 100
MAX_NAME_CHARS = 200  # section, site name
# A raw feed value is cut to this many times its cap before its markup is stripped:
# the stripping must not cost more than the field is worth.
RAW_FACTOR = 4


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` code points, cut at a space when one is near the end."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ", limit - 100)
    return (head[:space] if space > 0 else head).rstrip() + "…"


def cap_fields(article: Article) -> Article:
    """`article` with every field within its cap; a `field_capped` note for each cut."""
    notes: list[tuple[str, str]] = []

    def capped(name: str, text: str, limit: int) -> str:
        if len(text) <= limit:
            return text
        notes.append(("field_capped", f"{name} cut to {limit} characters"))
        return cut(text, limit)

    tags = article.tags
    if len(tags) > MAX_TAGS:
        notes.append(("field_capped", f"tags cut to the first {MAX_TAGS}"))
        tags = tags[:MAX_TAGS]
    long_tags = [t for t in tags if len(t) > MAX_TAG_CHARS]
    if long_tags:
        notes.append(("field_capped", f"tags over {MAX_TAG_CHARS} characters dropped"))
        tags = tuple(t for t in tags if len(t) <= MAX_TAG_CHARS)
    changed = replace(
        article,
        title=capped("title", article.title, MAX_TITLE_CHARS),
        lead=capped("lead", article.lead, MAX_LEAD_CHARS),
        body=capped("body", article.body, MAX_BODY_CHARS),
        section=capped("section", article.section, MAX_NAME_CHARS),
        site_name=capped("site_name", article.site_name, MAX_NAME_CHARS),
        tags=tags,
    )
    return with_notes(changed, notes) if notes else article


def with_notes(article: Article, notes: list[tuple[str, str]]) -> Article:
    """`article` with `notes` added (each once)."""
    merged = dict.fromkeys((*article.notes, *notes))
    return replace(article, notes=tuple(merged))


async def vet(article: Article, *, allow_private: bool) -> Article:
    """`article` capped, its image kept only if a platform may be handed it."""
    article = cap_fields(article)
    if not article.image:
        return article
    problem = url_problem(article.image, allow_private=allow_private)
    if problem is None and not allow_private:
        problem = await resolved_problem(article.image)
    if problem is None:
        return article
    shown = cut(article.image, 120)
    refused = with_notes(article, [("image_refused", f"{shown}: {problem}")])
    return replace(refused, image=None)
