"""Topic tags for hashtags: the page's real topics, never CMS metadata or SEO lists.

Sources, most trusted first; the first that keeps a topic wins: article:tag (the
editors' own tags), news_keywords, JSON-LD keywords, meta keywords, and tag links
(rel=tag, /tag/ URLs, as trafilatura finds them) that the text names. The feed's
categories pass the same item rules (bot.content.enrich).

An item is no topic when it is an internal id ("98be933f_38cf…", "5050"), CMS
metadata ("NLP_Category_General", "Textart: Heftarchiv", "digital_syndication",
"textaboveleftsmall"), a taxonomy code ("… (TRBC level 5)"), a wire code in Latin
capitals that the text never uses ("AWARDS", "NK"), a generic word ("news", "video",
"Company News", "뉴스"), the site's name or its initials ("Süddeutsche Zeitung", "SZ",
"Paris Sciences & Lettres" of psl.eu), a section of the site that the text never
names (a part cut off the title, a directory of the URL: "Local"), the title itself,
a sentence (over six words), glued items ("tunis attack tunisia attack"), or a news
outlet's name in Chinese ("澎湃新闻").

A keyword meta is dropped whole when it is the site's list rather than the article's:
it holds the word "news" (a site-wide SEO list: "actualités, news", "뉴스, 기사, 속보…"),
it is the title and lead split into words ("lista, espera, agravar, recorte…"), or it
is an auto-generated dump of more than MAX_KEYWORDS items. A keyword string without
commas in a script written without spaces is a list separated by spaces.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.content.meta import unique_tags
from bot.content.title import GENERIC_WORDS, is_site_name, key, words

Dropped = tuple[str, str]  # (tag, why)

MAX_TAG_WORDS = 6
MAX_KEYWORDS = 25
WORD_LIST_MIN = 4
GENERIC_TAGS = (
    GENERIC_WORDS
    | words(
        "video videos pictures photos photo gallery general top breaking latest front-page",
        "homepage video-article uncategorized actu actus aktuell aktuelles noticia nachricht",
        "новость 기사 속보 未分类",
    )
    | {"picture available", "video available", "top stories", "big stories", "must read"}
)
_NEWS_WORDS = words(
    "news nachrichten noticias новости жаңалықтар 뉴스 新闻 新聞 ニュース 资讯 actualités",
    "actualites notizie nieuws",
)
_HEXISH = re.compile(r"^(?=.*\d)[0-9a-f_-]{8,}$", re.IGNORECASE)
_CMS_PREFIX = re.compile(
    r"^(?:nlp|category|cat|page_?type|day|time|section|template|brand|type|format|tag)[_-]",
    re.IGNORECASE,
)
_KEY_VALUE = re.compile(r"^\w{2,20}:\s*\w[\w-]*$")  # "Textart: Heftarchiv"
_CODE_IN_PARENS = re.compile(r"\((?:[A-Z]{2,}|[^)]*\d)[^)]*\)")
_LAYOUT_WORD = re.compile(r"text|above|below|left|right|small|large|big|hero|layout|teaser|image")
_WIRE_CODE = re.compile(r"^[A-Z]{2,6}$")
_CJK_OUTLET = re.compile(r"(?:新闻|新聞|日报|日報|晚报|晚報|新闻网|电视台|通讯社)$")
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\u0e00-\u0e7f]")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class TagContext:
    """What the rules compare a tag with."""

    title: str = ""
    text: str = ""  # the article's title, lead and body
    lead_text: str = ""  # its title and descriptions: what a word list is split from
    sites: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()  # parts cut off the title, the URL's directories


@dataclass(slots=True)
class Topics:
    tags: tuple[str, ...] = ()
    dropped: list[Dropped] = field(default_factory=list)

    def note(self) -> tuple[str, str] | None:
        """The `tags_dropped` note, when keywords were dropped."""
        if not self.dropped:
            return None
        reasons = ", ".join(dict.fromkeys(why for _, why in self.dropped))
        shown = ", ".join(tag for tag, _ in self.dropped[:6])
        more = f" and {len(self.dropped) - 6} more" if len(self.dropped) > 6 else ""
        return "tags_dropped", f"{shown}{more} ({reasons})"


def split_keywords(value: str) -> list[str]:
    """A keyword string's items: at commas or semicolons; at spaces in a script
    written without them ("小花 小刚 纸片")."""
    value = html.unescape(value)  # "editor&#39;s picks" is one item, not two
    if not re.search(r"[,;、]", value) and _UNSPACED.search(value):
        return value.split()
    return [item for item in re.split(r"[,;、]", value) if item.strip()]


def _initials(tag: str) -> str:
    return "".join(w[0] for w in tag.split() if w[:1].isupper()).casefold()


def why_not_topic(tag: str, ctx: TagContext) -> str | None:
    """Why `tag` is no topic of the article, or None when it is one."""
    tag_key = key(tag)
    tag_words = tag.split()
    digits = sum(ch.isdigit() for ch in tag)
    if _HEXISH.match(tag) or (len(tag) >= 4 and digits > len(tag) // 2):
        return "an id"
    if _CMS_PREFIX.match(tag) or _KEY_VALUE.match(tag) or _CODE_IN_PARENS.search(tag):
        return "CMS metadata"
    if "_" in tag and tag.casefold().replace("_", " ") not in ctx.text.casefold():
        return "CMS metadata"  # "digital_syndication"
    if tag.isascii() and tag.islower() and len(_LAYOUT_WORD.findall(tag)) >= 2:
        return "CMS metadata"  # a layout flag run together: "textaboveleftsmall"
    initials = _initials(tag)
    if is_site_name(tag, ctx.sites) or (
        len(initials) >= 2 and any(initials == key(s) for s in ctx.sites)
    ):
        return "the site's name"
    if _WIRE_CODE.match(tag) and not re.search(rf"\b{tag}\b", ctx.text):
        return "a wire code"
    if _is_generic(tag):
        return "a generic word"
    if tag_key in {key(s) for s in ctx.sections} and tag.casefold() not in ctx.text.casefold():
        return "the site's section"
    if tag_key == key(ctx.title):
        return "the title"
    if len(tag_words) > MAX_TAG_WORDS:
        return "a sentence"
    lowered = [w.casefold() for w in _WORD.findall(tag)]
    if len(set(lowered)) < len(lowered) and not re.search(r"[/&,+]", tag):
        return "glued items"  # "tunis attack tunisia attack", not "Awards / Awards Shows"
    if _CJK_OUTLET.search(tag):
        return "a news outlet"
    return None


def _is_generic(item: str) -> bool:
    item_words = item.split()
    last = item_words[-1].casefold() if item_words else ""
    return item.casefold() in GENERIC_TAGS or (len(item_words) > 1 and last in _NEWS_WORDS)


def _is_site_list(items: list[str]) -> bool:
    """A site-wide SEO list: it holds the word "news" (in some language), alone or
    closing an item ("UK news", "Physics News")."""
    for item in items:
        item_words = item.casefold().split()
        if item_words and (item_words[-1] in _NEWS_WORDS or item.casefold() in _NEWS_WORDS):
            return True
    return False


def _is_word_list(items: list[str], text: str) -> bool:
    """The title and lead split into (lemmatised) words: most items one word, found in
    that text in the order listed."""
    if len(items) < WORD_LIST_MIN or any(_UNSPACED.search(i) for i in items):
        return False
    single = [i for i in items if len(i.split()) == 1]
    if len(single) < 0.75 * len(items):
        return False
    text_words = [w.casefold() for w in _WORD.findall(text)]
    found = in_order = 0
    position = 0
    for item in single:
        stem = item.casefold()[:5]
        matches = [n for n, w in enumerate(text_words) if w.startswith(stem)]
        if not matches:
            continue
        found += 1
        following = [n for n in matches if n >= position]
        if following:
            in_order += 1
            position = following[0] + 1
    return found >= 0.6 * len(single) and in_order >= WORD_LIST_MIN


def filter_tags(items: Iterable[str], ctx: TagContext) -> Topics:
    """`items` without those that are no topic."""
    kept: list[str] = []
    dropped: list[Dropped] = []
    for tag in unique_tags(list(items)):
        reason = why_not_topic(tag, ctx)
        if reason:
            dropped.append((tag, reason))
        else:
            kept.append(tag)
    return Topics(tuple(kept), dropped)


def topic_tags(sources: list[tuple[str, list[str]]], ctx: TagContext) -> Topics:
    """The first source's topics (sources: (kind, raw values), most trusted first;
    kind "keywords" for a keyword meta, which may be dropped whole)."""
    dropped: list[Dropped] = []
    for kind, values in sources:
        items = [i.strip() for v in values for i in split_keywords(v) if i.strip(" ,;#")]
        # an item already refused stays refused: trafilatura's tags repeat the metas
        refused = {tag.casefold() for tag, _ in dropped}
        items = [i for i in unique_tags(items) if i.casefold() not in refused]
        if not items:
            continue
        if kind == "links":  # tag links anywhere on the page: only those the text names
            text = ctx.text.casefold()
            dropped += [(i, "not in the text") for i in items if i.casefold() not in text]
            items = [i for i in items if i.casefold() in text]
        if kind in ("keywords", "links"):
            if len(items) > MAX_KEYWORDS:
                dropped += [(i, "an SEO keyword dump") for i in items]
                continue
            if _is_site_list(items):
                dropped += [(i, "the site's keyword list") for i in items]
                continue
            if _is_word_list(items, ctx.lead_text):
                dropped += [(i, "the text split into words") for i in items]
                continue
        found = filter_tags(items, ctx)
        dropped += found.dropped
        if found.tags:
            return Topics(found.tags, _once(dropped))
    return Topics((), _once(dropped))


def _once(dropped: list[Dropped]) -> list[Dropped]:
    """Each dropped tag once (several sources often repeat the same list)."""
    return list({tag.casefold(): (tag, why) for tag, why in reversed(dropped)}.values())[::-1]
