"""Which channels take an article, and why (README "Routing"): per channel, all optional
and combined with AND: the feeds it takes (`feeds`), the article's language
(`languages`), its section (`sections`), any of its tags (`tags_any`), any of some words
or phrases in its text (`keywords_any`), none of others (`keywords_none`). Words and
phrases match whole words, case aside, never as regular expressions. Every decision
carries its reason (a code and its values), kept with the article, so /preview and
/status can say why a channel was or was not chosen.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from bot.content.sentences import detect_language
from bot.models import Article
from bot.platforms import ChannelConfig

# Why a channel was or was not chosen: a code with its values, shown in English here
# (CLI, preview, logs) and in the editors' language by the bot (handlers/texts.py).
REASONS: dict[str, str] = {
    "every": "it takes every article",
    "editor": "an editor asked for it",
    "matched": "it matches: {filters}",
    "not_feed": "it takes only the feeds {feeds}",
    "not_language": "the article is in {language}, the channel takes {wanted}",
    "not_section": "section {section!r} is not among its sections",
    "not_tags": "none of its tags_any",
    "not_keywords": "none of its keywords_any in the text",
    "keywords_none": "the text has {word!r}, one of its keywords_none",
}


@dataclass(frozen=True, slots=True)
class Route:
    channel: str
    chosen: bool
    code: str  # a key of REASONS
    values: dict[str, str] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return explain(self.code, self.values)

    def stored(self) -> list[object]:
        return [self.chosen, self.code, self.values]


def explain(code: str, values: dict[str, str]) -> str:
    return REASONS.get(code, code).format_map(defaultdict(str, values))


def language_of(article: Article) -> str:
    """The article's language: as stated (push, <html lang>, og:locale), else detected
    from its text (Kazakh has letters Russian lacks)."""
    stated = (article.lang or "").split("-")[0].lower()
    return stated or detect_language(f"{article.title}\n{article.lead}\n{article.body[:2000]}")


@lru_cache(maxsize=1024)
def _phrase(phrase: str) -> re.Pattern[str]:
    words = [re.escape(word) for word in phrase.casefold().split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


def matching(phrases: Iterable[str], text: str) -> list[str]:
    """The phrases of `phrases` found in `text` as whole words (case aside)."""
    folded = text.casefold()
    return [p for p in phrases if p.split() and _phrase(p).search(folded)]


def route(article: Article, channel: ChannelConfig) -> Route:
    def no(code: str, **values: str) -> Route:
        return Route(channel.id, False, code, values)

    if channel.feeds and article.source not in channel.feeds:
        return no("not_feed", feeds=", ".join(channel.feeds))
    filters: list[str] = []
    if channel.languages:
        lang = language_of(article)
        if lang not in channel.languages:
            return no("not_language", language=lang or "?", wanted=", ".join(channel.languages))
        filters.append(lang)
    if channel.sections:
        section = article.section.casefold().strip()
        if section not in {s.casefold() for s in channel.sections}:
            return no("not_section", section=article.section or "-")
        filters.append(article.section)
    if channel.tags_any:
        wanted = {" ".join(t.casefold().split()) for t in channel.tags_any}
        found = [t for t in article.tags if " ".join(t.casefold().split()) in wanted]
        if not found:
            return no("not_tags")
        filters.append(f"#{found[0]}")
    text = f"{article.title}\n{article.lead}\n{article.body}"
    if channel.keywords_any:
        found = matching(channel.keywords_any, text)
        if not found:
            return no("not_keywords")
        filters.append(f"«{found[0]}»")
    if channel.keywords_none:
        found = matching(channel.keywords_none, text)
        if found:
            return no("keywords_none", word=found[0])
    if not filters:
        return Route(channel.id, True, "every")
    return Route(channel.id, True, "matched", {"filters": " · ".join(filters)})


def routes(article: Article, channels: Sequence[ChannelConfig]) -> list[Route]:
    return [route(article, channel) for channel in channels]
