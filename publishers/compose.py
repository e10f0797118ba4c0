"""What every platform's renderer shares: a channel's template, the values it sees,
and fitting the result into the platform's limit by shortening the summary.

Templates are configuration, not code: they run in Jinja2's immutable sandbox
(no attribute of a Python object beyond plain data, no mutation), with
StrictUndefined so a misspelt name fails when the config is loaded, not at 3 am.

Fitting invariant: only the summary is ever shortened, and only at sentence
boundaries (bot.content.summary); the template's output is never cut. When no
whole sentence fits, the first one is cut at a word with "…"; then the summary,
the hashtags and the signature go, and as a last resort the title is cut at a
word (a single 5,000-character "word" is cut where it must). The rendered text is
measured by the platform's own `measure` (visible code points for Telegram HTML).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.content.summary import Summary, normalise, summarise, truncate
from bot.content.warnings import EditorWarning, article_warnings, summary_warnings
from bot.models import Article
from bot.platforms import ChannelConfig, localized

MAX_HASHTAG_CHARS = 64  # longer "tags" are sentences, not topics
_WORDS = re.compile(r"[^\W_]+")
_BLANK_RUNS = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")


@dataclass(frozen=True, slots=True)
class Parts:
    """The values a template sees, already normalised (and escaped by Jinja for HTML)."""

    title: str
    summary: str
    url: str  # the article's link, UTM parameters added
    read_more: str
    hashtags: tuple[str, ...] = ()
    signature: str = ""
    section: str = ""
    site_name: str = ""
    image: str | None = None
    published: datetime | None = None
    link_in_text: bool = True  # False when the platform carries the link itself

    def context(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class Measure:
    length: int  # as the platform counts it
    entities: int = 0  # formatting entities (Telegram: at most 100)
    error: str = ""  # the platform would refuse the text: why


@dataclass(frozen=True, slots=True)
class Fitted:
    text: str
    measure: Measure
    summary: Summary
    dropped: tuple[str, ...] = ()  # what had to go: "summary", "hashtags", "signature", "title"


SAMPLE = Article(
    id="sample",
    url="https://example.com/news/1/",
    title='Sample title with <, & and "quotes"',
    lead="First sentence of the lead. Second sentence, a little longer than the first.",
    image="https://example.com/image.jpg",
    tags=("Sample tag", "ВОЛС"),
)  # what a template is tried on when the config loads


class TemplateProblem(ValueError):
    """A channel's template does not compile or render; the message says where."""


def parts_for(article: Article, channel: ChannelConfig, *, link_in_text: bool = True) -> Parts:
    """The template's values for `article` on `channel`, before the summary is fitted."""
    return Parts(
        title=" ".join(normalise(article.title).split()),
        summary="",
        url=with_utm(article.url, channel.utm, channel.id),
        read_more=" ".join(localized(channel.read_more, article.lang).split()),
        hashtags=hashtags(
            article.tags, channel.hashtags, deny=channel.hashtags_deny, allow=channel.hashtags_allow
        ),
        signature=normalise(channel.signature),
        section=normalise(article.section),
        site_name=normalise(article.site_name),
        image=article.image,
        published=article.published_at,
        link_in_text=link_in_text,
    )


def hashtag(tag: str) -> str | None:
    """`tag` as a hashtag: its words joined by "_" ("TNS-Plus" -> "#TNS_Plus",
    "ВОЛС" -> "#ВОЛС"); None when it has no letter (Telegram does not link "#2025")
    or is too long to be a topic."""
    words = _WORDS.findall(unicodedata.normalize("NFC", normalise(tag)))
    body = "_".join(words)
    if not any(ch.isalpha() for ch in body) or len(body) > MAX_HASHTAG_CHARS:
        return None
    return "#" + body


def hashtags(
    tags: Sequence[str], limit: int, *, deny: Sequence[str] = (), allow: Sequence[str] = ()
) -> tuple[str, ...]:
    """Up to `limit` distinct hashtags (case aside), in the article's order; none of the
    channel's `deny` list, and, when it sets `allow`, only those (compared as hashtags:
    "TNS-Plus", "tns plus" and "#TNS_Plus" are one)."""
    denied = {made.casefold() for made in map(hashtag, deny) if made}
    allowed = {made.casefold() for made in map(hashtag, allow) if made}
    seen: dict[str, str] = {}
    for tag in tags:
        if len(seen) >= limit:
            break
        made = hashtag(tag)
        if not made or made.casefold() in seen or made.casefold() in denied:
            continue
        if allowed and made.casefold() not in allowed:
            continue
        seen[made.casefold()] = made
    return tuple(seen.values())


def with_utm(url: str, utm: dict[str, str], channel_id: str) -> str:
    """`url` with the channel's UTM parameters set ("{channel}" in a value is the
    channel's id); the page's own parameters stay, ours replace same-named ones."""
    if not utm:
        return url
    parts = urlsplit(url)
    ours = {key: value.replace("{channel}", channel_id) for key, value in utm.items()}
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ours]
    return urlunsplit(parts._replace(query=urlencode([*kept, *ours.items()])))


@lru_cache(maxsize=4)
def _environment(html: bool) -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


@lru_cache(maxsize=64)  # compiling costs ~1 ms; a template is a pure function of its text
def compile_template(source: str, html: bool) -> Any:
    try:
        return _environment(html).from_string(source)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f" at line {line}" if line else ""
        raise TemplateProblem(f"the template does not compile{where}: {exc}") from None


@lru_cache(maxsize=16)  # package data: read once, not on every render
def default_template(package: str, name: str) -> str:
    return resources.files(package).joinpath("templates", name).read_text(encoding="utf-8")


# Each channel's fitting asks for the same summaries of an article: kept for the next
# channel, since sentence splitting is most of a render's CPU (bench/pipeline.py).
# summarise() is pure, its Summary frozen. A few entries: the channels of an article
# are rendered one after another.
_summarise = lru_cache(maxsize=32)(summarise)


def summary_for(
    lead: str,
    body: str,
    title: str,
    budget: int,
    *,
    lang: str | None = None,
    min_sentences: int = 1,
    allow_truncation: bool = False,
) -> Summary:
    """summarise(), answered from the one-sentence-minimum summary every channel shares
    when that one is the answer: summarise() takes the longest run of whole sentences
    that fits, and `min_sentences` only refuses a run shorter than it (or than the
    source). So a run that long, or no whole sentence fitting (then `min_sentences`
    plays no part), is the answer; only a run too short asks summarise() itself.
    tests/publishers/test_summary_sharing.py checks that both agree."""
    one = _summarise(
        lead, body, title, budget, lang=lang, min_sentences=1, allow_truncation=allow_truncation
    )
    whole = one.sentences_used if one.fits and not one.truncated_sentence else 0
    if min_sentences >= 1 and not 0 < whole < min(min_sentences, one.sentences_available):
        return one
    return _summarise(
        lead, body, title, budget, lang=lang, min_sentences=min_sentences,
        allow_truncation=allow_truncation,
    )  # fmt: skip


def render_template(source: str, parts: Parts, *, html: bool) -> str:
    """The template's output with blank lines collapsed (an empty part leaves no gap)."""
    try:
        text = str(compile_template(source, html).render(parts.context()))
    except TemplateError as exc:
        raise TemplateProblem(f"the template fails to render: {exc}") from None
    text = _TRAILING_SPACE.sub("\n", text.replace("\r\n", "\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip()


def fit(
    article: Article,
    parts: Parts,
    *,
    render: Callable[[Parts], str],
    measure: Callable[[str], Measure],
    limit: int,
    summary_max: int,
    max_entities: int = 100,
    min_sentences: int = 1,
    strict: bool = False,
) -> Fitted | None:
    """The post with the longest summary (whole sentences, at most `summary_max`) that
    fits `limit`. `strict`: give up (None) rather than truncate a sentence or drop
    anything; used to ask "does it fit a caption?"."""

    def fits(m: Measure) -> bool:
        return not m.error and m.length <= limit and m.entities <= max_entities

    def attempt(budget: int, truncation: bool) -> Fitted | None:
        for _ in range(8):  # each round shrinks the budget by the overshoot: converges fast
            summary = summary_for(
                article.lead, article.body, article.title, max(budget, 0),
                lang=article.lang, min_sentences=min_sentences, allow_truncation=truncation,
            )  # fmt: skip
            if not summary.fits or not summary.text:
                return None
            text = render(replace(parts, summary=summary.text))
            m = measure(text)
            if fits(m):
                return Fitted(text, m, summary)
            if m.error:
                return None  # not a matter of length: the summary cannot help
            budget = min(budget, len(summary.text)) - max(m.length - limit, 0)
            if m.entities > max_entities:  # a template that marks up the summary's parts
                budget = min(budget, len(summary.text) * max_entities // m.entities - 1)
        return None

    # The first summary the fitting below asks for (kept by _summarise for it) tells
    # whether there is anything to summarise; only when it finds no sentence is the
    # budget-0 summary (the language guessed, as the check always was) asked to decide.
    # A source with text has sentences whatever the language and one without has none,
    # so the decision is the one it was, one summary cheaper per channel.
    first = summary_for(
        article.lead, article.body, article.title, max(summary_max, 0),
        lang=article.lang, min_sentences=min_sentences, allow_truncation=False,
    )  # fmt: skip
    if first.sentences_available == 0:
        empty = _summarise(article.lead, article.body, article.title, 0)
        if empty.sentences_available == 0:  # nothing to summarise
            text = render(replace(parts, summary=""))
            m = measure(text)
            if fits(m):
                return Fitted(text, m, empty)
            if strict:
                return None
            return _give_up_parts(parts, empty, render, measure, fits, limit, ())
    found = attempt(summary_max, False)
    if found or strict:
        return found
    found = attempt(summary_max, True)
    if found:
        return found
    empty = _summarise(article.lead, article.body, article.title, 0)
    return _give_up_parts(parts, empty, render, measure, fits, limit, ("summary",))


def _give_up_parts(
    parts: Parts,
    summary: Summary,
    render: Callable[[Parts], str],
    measure: Callable[[str], Measure],
    fits: Callable[[Measure], bool],
    limit: int,
    dropped: tuple[str, ...],
) -> Fitted | None:
    """Without a summary: drop the hashtags, then the signature, then cut the title."""
    current = replace(parts, summary="")
    text = render(current)
    m = measure(text)
    for name, candidate in (
        ("hashtags", replace(current, hashtags=())),
        ("signature", replace(current, hashtags=(), signature="")),
    ):
        if fits(m):
            return Fitted(text, m, summary, dropped)
        if candidate != current:
            dropped, current = (*dropped, name), candidate
            text = render(current)
            m = measure(text)
    if fits(m):
        return Fitted(text, m, summary, dropped)
    # The title counts one for one; its markup may vanish with it, hence the loop.
    room = len(current.title) - (m.length - limit)
    for _ in range(8):
        title = cut_title(current.title, max(room, 0))
        text = render(replace(current, title=title))
        m = measure(text)
        if fits(m):
            return Fitted(text, m, summary, (*dropped, "title"))
        if not title or m.error:
            return None
        room = len(title) - max(m.length - limit, 1)
    return None


def warnings_of(article: Article, fitted: Fitted) -> tuple[EditorWarning, ...]:
    """The editors' warnings for a post: the article's own, and what fitting cost."""
    return (*article_warnings(article), *summary_warnings(fitted.summary, fitted.dropped))


def cut_title(title: str, room: int) -> str:
    """`title` in at most `room` code points: at a word with "…", or hard when one
    word is longer than the room."""
    if len(title) <= room:
        return title
    cut = truncate(title, room)
    if cut:
        return cut
    return title[: room - 1] + "…" if room > 1 else ""
