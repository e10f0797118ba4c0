"""A channel's summary of an article: its lead, cut to whole sentences within a budget.

Invariants of `summarise` (budgets are in Unicode code points, what `len` counts):
- the text is a prefix of the normalised lead (or body) after the title is removed,
  ending where a sentence of `bot.content.sentences` ends, so never inside a word or
  a sentence; and it is at most `budget` long;
- it holds as many whole sentences as fit; when not even the first one (or fewer
  than `min_sentences`) fits, the text is "" and `fits` is False: the caller chooses
  what to give up (the image, the title, the summary);
- only a caller that passes `allow_truncation=True` gets, in that last case, the first
  sentence cut at a word boundary with "…", flagged by `truncated_sentence`.
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from dataclasses import dataclass

from bot.content.sentences import detect_language, sentence_spans

ELLIPSIS = "…"

# A near-repeat of the title (a lead that restates it with a word changed or the
# site's name added) is at least this similar to it, case and punctuation aside.
TITLE_SIMILARITY = 0.9

_LINE_BREAKS = re.compile(r"\r\n|[\r\v\f\x1c-\x1e\x85\u2028]")
_PARAGRAPH_SEPARATOR = "\u2029"
# Invisible format characters that only get in the way (zero-width space, word joiner,
# BOM, soft hyphen, bidi marks); ZWJ and ZWNJ stay: they shape emoji and scripts.
_INVISIBLE = re.compile(
    r"[\u00ad\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_SPACES = re.compile(r"[^\S\n]+")  # any whitespace but a line break: NBSP, thin, tab...
_BLANK_LINES = re.compile(r"\n{3,}")

# What may sit between a title repeated at the start of a lead and the lead itself.
_SENTENCE_ENDS = ".!?…"
_TITLE_SEPARATORS = _SENTENCE_ENDS + ":;—–-|/•·"
_TITLE_TRAILERS = " \n»”“\"')]" + _TITLE_SEPARATORS
# A truncated sentence does not end on these, nor on a one- or two-letter word.
_DANGLING = " \n,;:—–-(«„“\"'/"
_LAST_WORD = re.compile(r"\S+$")
# Letters of scripts written without spaces between words: Han, kana, Thai, Lao,
# Burmese, Khmer (a word boundary is anywhere between two of them).
_UNSPACED = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]"
)


@dataclass(frozen=True, slots=True)
class Summary:
    text: str
    sentences_used: int  # sentences of the source in `text` (a truncated one counts)
    sentences_available: int  # sentences of the source: the lead, or else the body
    cut: bool  # sentences had to be dropped (or one truncated)
    fits: bool  # False: nothing acceptable fits the budget and `text` is ""
    truncated_sentence: bool = False  # `text` ends in a sentence cut with "…"


def normalise(text: str) -> str:
    """Text as a post shows it: HTML entities decoded (double-encoded ones too), NFC,
    invisible and control characters removed, runs of spaces (NBSP, thin, tabs) one
    space, lines stripped, at most one blank line in a row, no space at either end.
    Idempotent."""
    while True:
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded  # each pass shortens the text, so this ends
    text = unicodedata.normalize("NFC", text)
    text = text.replace(_PARAGRAPH_SEPARATOR, "\n\n")
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROLS.sub("", _INVISIBLE.sub("", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def remove_title(text: str, title: str) -> str:
    """`text` (normalised) without a leading repeat of `title`: the title word for word,
    case and punctuation aside, set off by a sentence end, a line break or a separator
    ("Title. lead", "Title\\nlead", "Title | Lead"); or a first sentence nearly the same
    as the title (a word changed, the site's name added)."""
    folded_title = _fold(title)
    if not folded_title or not text:
        return text
    # Enough of the text to hold the title and whatever punctuation it carries.
    folded, origins = _fold_with_origins(text[: 2 * len(title) + 64])
    if folded.startswith(folded_title):
        end = origins[len(folded_title) - 1] + 1
        rest = text[end:]
        if not rest or not rest[0].isalnum():
            remainder = rest.lstrip(_TITLE_TRAILERS)
            skipped = rest[: len(rest) - len(remainder)]
            if not remainder or _sets_off(skipped, remainder):
                return remainder
    paragraph = text.split("\n\n", 1)[0]
    spans = sentence_spans(paragraph)
    if spans and _similar(_fold(paragraph[: spans[0][1]]), folded_title):
        return text[spans[0][1] :].lstrip()
    return text


def _sets_off(separator: str, remainder: str) -> bool:
    """Whether `separator` ends the title rather than a clause of the lead's first
    sentence: "Title. lead", "Title\\nlead", "Title: Lead", not "Title — it goes on"."""
    if any(ch in _SENTENCE_ENDS or ch == "\n" for ch in separator):
        return True
    return any(ch in _TITLE_SEPARATORS for ch in separator) and not remainder[0].islower()


def _similar(a: str, b: str) -> bool:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.quick_ratio() >= TITLE_SIMILARITY and matcher.ratio() >= TITLE_SIMILARITY


def summarise(
    lead: str,
    body: str,
    title: str,
    budget: int,
    *,
    lang: str | None = None,
    min_sentences: int = 1,
    allow_truncation: bool = False,
) -> Summary:
    """The longest run of whole sentences from the start of the lead (the body when the
    lead is empty or only repeats the title) that fits `budget` code points. Fewer than
    `min_sentences` of them (or than the source has, if it has fewer) is no summary."""
    if budget < 0 or min_sentences < 1:
        raise ValueError(f"budget {budget} must be >= 0, min_sentences {min_sentences} >= 1")
    clean_title = normalise(title)
    source = remove_title(normalise(lead), clean_title)
    if not source:
        source = remove_title(normalise(body), clean_title)
    spans = sentence_spans(source, lang or detect_language(source))
    available = len(spans)
    if not spans:
        return Summary("", 0, 0, cut=False, fits=True)
    used = 0
    while used < available and spans[used][1] <= budget:
        used += 1
    if used and used >= min(min_sentences, available):
        end = spans[used - 1][1]
        return Summary(source[:end], used, available, cut=used < available, fits=True)
    if allow_truncation and not used:
        text = truncate(source[: spans[0][1]], budget)
        if text:
            return Summary(text, 1, available, cut=True, fits=True, truncated_sentence=True)
    return Summary("", 0, available, cut=True, fits=False)


def truncate(sentence: str, budget: int) -> str:
    """`sentence` cut at the last word boundary that leaves room for "…", without a
    dangling comma, dash, opening quote or short word ("в", "и", "of"); "" if no word
    fits. Between two letters of a script written without spaces (Chinese, Japanese,
    Thai) is a word boundary too. The part kept is a prefix of `sentence`."""
    if len(sentence) <= budget:
        return sentence
    room = budget - len(ELLIPSIS)
    cut = max(sentence.rfind(" ", 0, room + 1), sentence.rfind("\n", 0, room + 1))
    if room > 0 and _UNSPACED.match(sentence, room - 1) and _UNSPACED.match(sentence, room):
        cut = max(cut, room)  # scripts written without spaces break between any two letters
    head = sentence[: max(cut, 0)]
    while head:
        head = head.rstrip(_DANGLING)
        last = _LAST_WORD.search(head)
        if last is None or not _is_short_word(last.group()):
            break
        head = head[: last.start()]
    return head + ELLIPSIS if head else ""


def _is_short_word(word: str) -> bool:
    return len(word) <= 2 and word.isalpha() and word.islower()


def _fold(text: str) -> str:
    return _fold_with_origins(text)[0]


def _fold_with_origins(text: str) -> tuple[str, list[int]]:
    """Letters and digits only, case-folded, "ё" as "е"; and for each folded character
    the offset in `text` of the character it came from."""
    chars: list[str] = []
    origins: list[int] = []
    for index, ch in enumerate(text):
        if ch.isalnum():
            for folded in ch.casefold().replace("ё", "е"):
                chars.append(folded)
                origins.append(index)
    return "".join(chars), origins
