"""The article's lead: the standfirst its publisher wrote, never chrome or boilerplate.

Candidates, in order: each og:description (a page may carry two), twitter:, meta and
JSON-LD descriptions, then the page's lead element. Each is cleaned (markup, a label
before "|" as in "Université | Le décret…", a "| Lebanon News" after the text, a
teaser call such as "Read on", a byline with its dateline "By Name CNN WASHINGTON
(CNN) —") and refused when it looks like chrome: too short, a name, a URL, markup or
template code left, the title again, the site's name or slogan, boilerplate (a byline,
"原标题：…", a paywall notice), glued subtitles ("… Izaskun Lesaka Izaskun Lesaka …") or
the article's closing line.

A description the site cut short (ending in "…", or without final punctuation where
the body goes on with the same words) is completed from the body up to the end of
that sentence; failing that it is cut back to its last whole sentence. When nothing
whole remains the next candidate is tried; only when none is left does the cut text
stay, ending in "…", with the note `summary_cut`.

When no candidate is left, the lead is the body's first real paragraphs, about a
lead's size (`summary_from_body`), past the captions, datelines and one-word labels
before them; the body stays whole.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.content.chrome import MAX_BOILERPLATE_CHARS, is_boilerplate, is_promo
from bot.content.dates import parse_written
from bot.content.sentences import sentence_spans
from bot.content.title import is_site_name, key

Note = tuple[str, str]

_TAGS = re.compile(r"<[^>]{0,200}>")
_TEMPLATE = re.compile(r"\{\{|\}\}|\{%|%\}|<%|\$\{")
_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_LABEL = re.compile(r"^([^|.!?。]{1,30}?)\s*\|\s+(?=\S)")
_TRAILING_SITE = re.compile(r"\s+\|\s+[^|.!?。]{1,40}$")
_TEASER = re.compile(
    r"\s*(?:read\s+(?:on|more)|also\s+read|weiter\s*lesen|mehr\s+lesen|lire\s+la\s+suite"
    r"|leer\s+más|читать\s+далее|подробнее)\W*$",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^(?i:by|von|par|por|door|di)\s+(?:[A-ZÀ-ÖØ-Þ][\w.'’-]*\s+){1,8}"
    r"(?=[A-ZÀ-ÖØ-Þ]{2,}[A-ZÀ-ÖØ-Þ .,'/-]*\s*\([^)]{1,40}\)\s*(?:—|–|-{1,2}))"
)
_BYLINE_START = re.compile(r"^(?i:by|von|par|por|door)\s+[A-ZÀ-ÖØ-Þ]")
_TRAILING_DATE = re.compile(r"[.!?…](\s*[^.!?…]{6,40})$")
_GLUED = re.compile(r"\b(\w+(?:\s+\w+)+)\s+\1\b")
_ELLIPSIS = ("...", "…", "[…]", "(…)")
_ENDS_SENTENCE = tuple(".!?。！？…\"”»)’'။।؟")
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\u0e00-\u0e7f\u1000-\u109f]")
_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"',
                       "–": "-", "—": "-", "\u00a0": " ", "\n": " ", "\t": " "})  # fmt: skip
TAIL_CHARS = 24
MAX_SEARCH_CHARS = 20_000  # a lead is completed from the body's start, not its comments
MAX_COMPLETION_CHARS = 300  # a completion adds at most the rest of a sentence or two
ABRIDGED_SHARE = 0.75  # words of an abridged description found in the body's sentence
MIN_CUT_CHARS = 120  # a description this long with a whole sentence, then a fragment, was cut
REAL_PARAGRAPH_CHARS = 100
LEAD_WIDTH = 400  # a lead taken from the body: about two short paragraphs
SIMILAR = 0.9


@dataclass(slots=True)
class Lead:
    text: str = ""
    from_body: bool = False  # `text` is the body's first real paragraphs
    notes: list[Note] = field(default_factory=list)


def fold(text: str) -> str:
    """Quotes, dashes and spaces unified, length kept: for finding text in the body."""
    return text.translate(_FOLD)


def _unspaced(text: str) -> bool:
    return len(_UNSPACED.findall(text[:200])) > len(text[:200]) // 3


def clean_candidate(text: str) -> str:
    """Markup, a leading label, a trailing site name and a teaser call removed."""
    text = " ".join(_TAGS.sub(" ", html.unescape(text)).split())
    if (label := _LABEL.match(text)) and len(label.group(1).split()) <= 3:
        text = text[label.end() :]
    text = _TRAILING_SITE.sub("", text)
    text = _TEASER.sub("", text)
    if byline := _BYLINE.match(text):
        text = text[byline.end() :]
    if (glued := _TRAILING_DATE.search(text)) and parse_written(glued.group(1)):
        text = text[: glued.start(1)]  # "…its recovery?Monday, 6 January 2020"
    return text.strip()


def chrome_reason(
    text: str, *, title: str, sites: Iterable[str], closing: Iterable[str] = ()
) -> str | None:
    """Why `text` is no lead ("a byline", "the title again"...), or None."""
    words = text.split()
    unspaced = _unspaced(text)
    if (unspaced and len(text) < 8) or (not unspaced and len(words) < 3 and len(text) < 20):
        return "too short"
    if _URL.match(text):
        return "a URL"
    if _TEMPLATE.search(text) or ("<" in text and ">" in text):
        return "template code"
    if is_boilerplate(text[: MAX_BOILERPLATE_CHARS - 1]) or _BYLINE_START.match(text):
        return "boilerplate"
    if is_promo(text):
        return "boilerplate"
    if _GLUED.search(text):
        return "glued subtitles"
    if key(text) == key(title) or _similar(key(text), key(title)):
        return "the title again"
    if is_site_name(text, sites):
        return "the site's name"
    capitalised = all(w[:1].isupper() for w in words if w[:1].isalpha())
    plain = not unspaced and not any(ch.isdigit() for ch in text)
    if plain and len(words) <= 5 and capitalised and text[-1:] not in _ENDS_SENTENCE:
        return "a name"
    if key(text) in {key(line) for line in closing}:
        return "the article's closing line"
    return None


def _similar(a: str, b: str) -> bool:
    if not a or not b or abs(len(a) - len(b)) > 0.2 * max(len(a), len(b)):
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= SIMILAR


def _cut_by_site(text: str) -> bool:
    """Whether the site shortened `text`: an ellipsis at its end."""
    return text.endswith(_ELLIPSIS)


def _complete(text: str, body: str) -> tuple[str, bool]:
    """`text` completed from `body` when the body goes on with its last words, to the
    end of that sentence: from where the body has `text` word for word, or, for an
    abridged description, from the start of the body's sentence holding its end.
    (text, True) when completed; (text, False) when the body does not go on."""
    bare = text
    for mark in _ELLIPSIS:
        bare = bare.removesuffix(mark)
    bare = bare.rstrip()
    if len(bare) < TAIL_CHARS // 2:
        return text, False
    folded_body = fold(body[:MAX_SEARCH_CHARS])
    words = fold(bare).split()
    verbatim = re.search(r"\s+".join(map(re.escape, words)), folded_body)
    if verbatim:
        begin, tail_end = verbatim.start(), verbatim.end()
    else:
        tail = fold(bare[-TAIL_CHARS:])
        at = folded_body.find(tail)
        if at < 0:
            return text, False
        begin, tail_end = -1, at + len(tail)
    first = body.rfind("\n\n", 0, tail_end) + 2 if "\n\n" in body[:tail_end] else 0
    last = body.find("\n\n", tail_end)
    paragraph = body[first : last if last >= 0 else len(body)]
    spans = [(first + s, first + e) for s, e in sentence_spans(paragraph)]
    holding = next(((s, e) for s, e in spans if s <= tail_end - 1 < e), None)
    if holding is None or not any(ch.isalnum() for ch in body[tail_end : holding[1]]):
        return text, False  # the body's sentence ends where the text does: not cut
    completed = " ".join(body[begin if begin >= 0 else holding[0] : holding[1]].split())
    if len(completed) > 2 * len(bare) + MAX_COMPLETION_CHARS:
        return text, False
    if begin < 0 and _shared_words(bare, completed) < ABRIDGED_SHARE:
        return text, False  # the same ending, but another sentence: not this text cut
    return completed, True


def _shared_words(text: str, other: str) -> float:
    """The share of `text`'s words that `other` has too."""
    words = set(fold(text).casefold().split())
    return len(words & set(fold(other).casefold().split())) / max(len(words), 1)


def _whole_sentences(text: str) -> str:
    """`text` without its last sentence when that one is unfinished; "" if none is whole."""
    spans = sentence_spans(text)
    if len(spans) < 2:
        return ""
    return text[: spans[-2][1]]


def _resolve_cut(text: str, body: str) -> tuple[str, bool]:
    """(lead, whole): a description completed or cut back; whole False when it stays cut."""
    cut_by_site = _cut_by_site(text)
    unfinished = not text.endswith(_ENDS_SENTENCE)
    if not (cut_by_site or unfinished):
        return text, True
    completed, done = _complete(text, body)
    if done:
        return completed, True
    if not cut_by_site:
        looks_cut = len(text) >= MIN_CUT_CHARS and len(sentence_spans(text)) >= 2
        if not looks_cut:
            return text, True  # a dek without a period, not a cut description
    whole = _whole_sentences(text)
    return (whole, True) if whole else (text, False)


def is_real_paragraph(paragraph: str) -> bool:
    """Article text rather than a label, caption, dateline or template code: long, or
    a finished sentence of some length, and no date line."""
    text = " ".join(paragraph.split())
    if _TEMPLATE.search(text):
        return False
    size = len(text) * (3 if _unspaced(text) else 1)
    if size >= REAL_PARAGRAPH_CHARS * 2:
        return True
    if len(text) < 80 and not text.endswith(_ENDS_SENTENCE) and parse_written(text):
        return False  # "Patricio Candia | Palma de Mallorca | 08/01/2014"
    return size >= REAL_PARAGRAPH_CHARS or (text.endswith(_ENDS_SENTENCE) and size >= 45)


def choose_lead(
    candidates: Iterable[str],
    paragraphs: list[str],
    *,
    title: str,
    sites: Iterable[str],
) -> Lead:
    """The lead among `candidates` (most trusted first) and the body's `paragraphs`."""
    site_list = list(sites)
    body = "\n\n".join(paragraphs)
    # The last lines of a longer article: a description equal to one is its kicker.
    closing = paragraphs[-3:] if len(paragraphs) > 4 else []
    reasons: list[str] = []
    kept_cut = ""
    for raw in dict.fromkeys(c for c in candidates if c and c.strip()):
        text = clean_candidate(raw)
        reason = chrome_reason(text, title=title, sites=site_list, closing=closing)
        if reason:
            reasons.append(reason)
            continue
        lead, whole = _resolve_cut(text, body)
        if whole:
            return Lead(lead)
        kept_cut = kept_cut or lead
        reasons.append("cut short by the site")
    first = next((i for i, p in enumerate(paragraphs) if is_real_paragraph(p)), None)
    if first is not None:
        taken = _lead_paragraphs(paragraphs[first:])
        why = ", ".join(dict.fromkeys(reasons)) or "none was given"
        note = ("summary_from_body", f"the page's description: {why}")
        return Lead("\n\n".join(taken), from_body=True, notes=[note])
    if kept_cut:
        text = kept_cut if kept_cut.endswith(_ELLIPSIS) else kept_cut.rstrip(" ,;:—-") + "…"
        return Lead(text, notes=[("summary_cut", "the page's description was cut short")])
    return Lead()


def _width(text: str) -> int:
    """Room a text takes: a letter of a script without spaces counts as two."""
    return len(text) * (2 if _unspaced(text) else 1)


def _lead_paragraphs(paragraphs: list[str]) -> list[str]:
    """The first paragraph and those after it, while they are article text and all of
    them stay about a lead's size (LEAD_WIDTH)."""
    taken = [paragraphs[0]]
    width = _width(paragraphs[0])
    for paragraph in paragraphs[1:]:
        if not is_real_paragraph(paragraph) or width + _width(paragraph) > LEAD_WIDTH:
            break
        taken.append(paragraph)
        width += _width(paragraph)
    return taken
