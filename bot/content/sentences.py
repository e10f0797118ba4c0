"""Sentence splitting for summaries: razdel, corrected by a few rules of our own.

razdel won on our labelled set of Russian, Kazakh and English news paragraphs
(`bench/sentences.py`, gold cases in tests/content/test_sentences.py); the rules below
fix what it still got wrong there: it splits inside «quoted speech», after English
prefixes ("e.g.", "Prof.") and after "ж." (Kazakh "year"), and it cannot tell "2020 г.
Сейчас" (a sentence ends) from "2020 г. в" (it goes on).

A summary that ends mid-sentence is worse than one that is a sentence short, so when
in doubt the rules join: a false boundary can cut "в 2020 г." off its sentence, a
missed one only makes a sentence longer.

Scripts written without spaces between sentences (Chinese, Japanese) end one with a
full-width stop (。！？), after which a sentence ends even with no space; other scripts'
own stops (Burmese ။, Devanagari ।, Arabic ؟ ۔, Armenian ։, Ethiopic ።) count like a
period followed by a space.

Invariants: sentences are non-empty, stripped, in order, and never overlap; a boundary
lies only at whitespace or right after a full-width stop (and its closing quotes), so
a sentence never ends inside a word; a blank line (a paragraph break) always ends a
sentence.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterable

from razdel import sentenize  # type: ignore[import-untyped]

Span = tuple[int, int]
BaseSplitter = Callable[[str, str], Iterable[Span]]

_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
# A gap after terminal punctuation and closing quotes: where a sentence may end.
_GAP_AFTER_END = re.compile(r"(?:[.!?։؟۔।॥။።。！？]|…)[»”“\"')\]」』）》】]*(\s+)")
# A full-width stop and its closers with no space after: a boundary all the same.
_FULL_STOP = re.compile(r"[。！？][”’\"')\]」』）》】]*(?=\S)")
_KANA_PARTICLE = re.compile(r"[\u3041-\u3096]")  # hiragana: a particle after a quote
_QUOTE_OR_BRACKET = re.compile(r"[«»„“”‹›()\[\]\"「」『』（）【】《》]")
# The first word after a gap, past quotes and dashes: "— спросил" -> "спросил".
_NEXT_WORD = re.compile(r"[^\w\n]*?(\w[\w-]*)")
_DOTTED = re.compile(r"(?:[^\W\d]{1,2}\.)+[^\W\d]{1,2}")
_KAZAKH_LETTERS = re.compile(r"[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
_UKRAINIAN_LETTERS = re.compile(r"[їєґЇЄҐ]")
_PERSIAN_LETTERS = re.compile(r"[پچژگ]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_SAMPLE_CHARS = 3000
_CYRILLIC_SHARE = 0.2
# The letters of each script ("cjk": Han, kana and Hangul together).
_SCRIPTS = {
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f]"),
    "cyrillic": re.compile(r"[\u0400-\u052f]"),
    "cjk": re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]"),
    "arabic": re.compile(r"[\u0600-\u06ff\u0750-\u077f]"),
    "he": re.compile(r"[\u0590-\u05ff]"),
    "el": re.compile(r"[\u0370-\u03ff]"),
    "th": re.compile(r"[\u0e00-\u0e7f]"),
    "my": re.compile(r"[\u1000-\u109f]"),
    "hi": re.compile(r"[\u0900-\u097f]"),
    "ka": re.compile(r"[\u10a0-\u10ff]"),
    "hy": re.compile(r"[\u0530-\u058f]"),
}

_CLOSERS = "»”“\"')]"
_OPENERS = "«„“\"'([—–-"
_AFTER_END = frozenset(".?!…" + _CLOSERS)  # a period after these is never an abbreviation's
# Pairs whose inside is never cut: a quote of several sentences stays whole.
_PAIRS = {
    "«": "»", "„": "“", "“": "”", "‹": "›", "(": ")", "[": "]",
    "「": "」", "『": "』", "（": "）", "【": "】", "《": "》",
}  # fmt: skip


def _words(*lines: str) -> frozenset[str]:
    return frozenset(" ".join(lines).split())


# Lower-case, without the final period; "т. д." is looked up as "т.д".
# Abbreviations that only ever precede what they qualify: never the end of a sentence.
_PREFIXES = _words(
    "им ул просп пр-т пл пер д кв корп проф акад доц зав зам см ср рис стр ст гл п пп",
    "тел напр св оз пос обл р-н ген каб",
    "көш даңғ",
    "mr mrs ms dr prof st mt no nos vs cf e.g i.e gen gov sen rep sgt capt lt col rev fig",
    "approx dept",
)
# Abbreviations that often end a sentence: one followed by a capital starts a new one.
_TERMINALS = _words(
    "т.д т.п т.б т.с.с др п.п руб долл млн млрд тг etc a.m p.m",
)
# Other abbreviations, known so that a period after them is not taken for an end
# unless a word that only starts sentences follows ("в 2020 г. Сейчас").
_OTHERS = _words(
    "г гг в вв т.е т.к тыс коп барр км кв.м м га куб мин сек час изд проц",
    "янв фев февр мар апр авг сен сент окт нояб дек",
    "ж жж ғ ғғ қ",
    "u.s u.k u.n jan feb mar apr jun jul aug sep sept oct nov dec inc ltd corp co jr sr",
    "bn mn",
)
_ABBREVIATIONS = _PREFIXES | _TERMINALS | _OTHERS

# Words that are capitalised only at the start of a sentence (pronouns, prepositions,
# conjunctions, sentence adverbs): after an abbreviation they mark a new sentence.
_SENTENCE_STARTERS = _words(
    "в во на по с со к ко о об от до из за для при после перед через без под над но а и",
    "или однако также кроме он она оно они это этот эта эти мы я вы его ее её их там",
    "тогда сейчас теперь сегодня вчера завтра как когда если что где не ни уже еще ещё",
    "так все всё ранее позже затем потом впрочем напомним причем причём итак",
    "ол бұл осы сол олар біз сіз және бірақ алайда қазір енді кейін содан сондай-ақ",
    "сонымен себебі өйткені мұнда онда бүгін кеше ертең әрі яғни дегенмен ал сондықтан",
    "the a an he she it they we i you this that these those there here his her its",
    "their our but and or so yet then now in on at for with by from to as if when",
    "while after before however also meanwhile today yesterday tomorrow",
)

_LATIN_WORD = re.compile(r"[a-zà-öø-ÿ]+")
# Words that are frequent in one Latin-script language and rare in the others.
_COMMON = {
    "en": _words("the and of to is was that with for have has from this are were"),
    "de": _words("der die das und ist nicht mit sich auf dem den des eine für von"),
    "fr": _words("le la les et est des une dans pour qui sur pas au aux du avec"),
    "es": _words("el los las y que en del por una con para se es al su"),
    "it": _words("il di che è per una della sono nel gli dei alla con non"),
    "pt": _words("o os que em do da uma com para não dos das ao foi é"),
    "nl": _words("de het een en van is dat op te zijn met voor niet"),
}


def detect_language(text: str) -> str:
    """The text's language code, from its script: Hangul "ko", kana "ja", Han "zh",
    Arabic script "ar" ("fa" with Persian letters), Hebrew, Greek, Thai, Burmese,
    Devanagari, Georgian, Armenian by their letters; Cyrillic "kk" with the letters
    Kazakh has and Russian lacks, "uk" with Ukrainian ones, else "ru"; Latin by its
    commonest words (en, de, fr, es, it, pt, nl), "en" when none stands out. Reads the
    first few thousand characters: enough for a language, cheap for a long body."""
    sample = text[:_SAMPLE_CHARS]
    counts = {name: len(found.findall(sample)) for name, found in _SCRIPTS.items()}
    script, letters = max(counts.items(), key=lambda item: item[1])
    if letters == 0:
        return "en"
    if counts["cyrillic"] >= _CYRILLIC_SHARE * sum(counts.values()):
        script = "cyrillic"  # Russian and Kazakh news quote Latin names and brands freely
    if script == "cjk":  # kana or Hangul anywhere make Japanese or Korean of the Han
        kana, hangul = len(_KANA.findall(sample)), len(_HANGUL.findall(sample))
        return "ja" if kana and kana >= hangul else "ko" if hangul else "zh"
    if script == "cyrillic":
        if _UKRAINIAN_LETTERS.search(sample):
            return "uk"
        return "kk" if _KAZAKH_LETTERS.search(sample) else "ru"
    if script == "arabic":
        return "fa" if _PERSIAN_LETTERS.search(sample) else "ar"
    if script == "latin":
        return _latin_language(sample)
    return script


def _latin_language(sample: str) -> str:
    words = _LATIN_WORD.findall(sample.lower())
    scores = {lang: sum(word in common for word in words) for lang, common in _COMMON.items()}
    best, score = max(scores.items(), key=lambda item: item[1])
    return best if score >= 2 and score > scores["en"] else "en"


def razdel_spans(text: str, lang: str) -> list[Span]:
    """razdel's sentences as (start, end) offsets; it ignores `lang` (Russian rules)."""
    return [(s.start, s.stop) for s in sentenize(text)]


def split_sentences(text: str, lang: str | None = None) -> list[str]:
    """The sentences of `text`, stripped, in order."""
    return [text[start:end] for start, end in sentence_spans(text, lang)]


def sentence_spans(
    text: str, lang: str | None = None, *, base: BaseSplitter = razdel_spans
) -> list[Span]:
    """(start, end) offsets of the sentences of `text`: `text[start:end]` is one
    stripped sentence. `base` is the splitter the rules correct (the bench swaps it)."""
    language = lang or detect_language(text)
    spans: list[Span] = []
    for start, end in _paragraphs(text):
        paragraph = text[start:end]
        for s, e in _refine(paragraph, base(paragraph, language)):
            spans.append((start + s, start + e))
    return spans


def _paragraphs(text: str) -> list[Span]:
    spans, start = [], 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _refine(text: str, base: Iterable[Span]) -> list[Span]:
    """The base splitter's boundaries, corrected: each gap after terminal punctuation
    that is not inside quotes or brackets is kept or dropped by `_is_boundary`."""
    proposed = {end for _, end in base}
    inside = _Enclosures(text)
    cuts = [0]
    for gap in _GAP_AFTER_END.finditer(text):
        left, right = gap.start(1), gap.end(1)
        if right == len(text) or inside.contain(left):
            continue
        prev = text[_token_start(text, left) : left]
        following = text[right : _token_end(text, right)]
        if _is_boundary(text, left, right, prev, following, left in proposed):
            cuts.append(right)
    for stop in _FULL_STOP.finditer(text):
        quoted = stop.end() - stop.start() > 1
        if inside.contain(stop.end() - 1) or (quoted and _KANA_PARTICLE.match(text, stop.end())):
            continue  # 「…。」と述べた: a quotation the sentence goes on after
        cuts.append(stop.end())
    cuts = sorted(set(cuts))
    cuts.append(len(text))
    spans = []
    for start, end in itertools.pairwise(cuts):
        chunk = text[start:end]
        stripped = chunk.strip()
        if stripped:
            offset = start + len(chunk) - len(chunk.lstrip())
            spans.append((offset, offset + len(stripped)))
    return spans


def _is_boundary(
    text: str, left: int, right: int, prev: str, following: str, proposed: bool
) -> bool:
    """Whether a sentence ends between `prev` (ending in terminal punctuation, not
    inside quotes or brackets) and `following`, the words around text[left:right]."""
    word = _NEXT_WORD.match(text, right)
    if word is None:
        return False
    letters = word.group(1).replace("-", "")
    if letters.isalpha() and letters.islower():
        return False  # "т.е. о линиях", "? — спросил он", "... и дождались"
    core = prev.lstrip(_OPENERS).rstrip(_CLOSERS)
    if not core.endswith(".") or core[-2:-1] in _AFTER_END:
        return True  # "?", "!", an ellipsis, "?..", "(Казахстан)."
    abbreviation = _abbreviation(text, left - len(prev.lstrip(_OPENERS)), core)
    if abbreviation is None:
        return proposed or _plain_word_end(core)
    if abbreviation in _PREFIXES or following[:1].isdigit():
        return False  # "им. Абая"; "с 1 янв. 2026 г.", "2026 ж. 22 мамырда"
    if abbreviation in _TERMINALS and letters[:1].isupper():
        return True  # "и т.д. Меморандум"
    return _starts_sentence(following)  # "в 2020 г. Сейчас", "Толстой Л. Н. Она"


def _token_start(text: str, end: int) -> int:
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return start


def _token_end(text: str, start: int) -> int:
    end = start
    while end < len(text) and not text[end].isspace():
        end += 1
    return end


def _abbreviation(text: str, start: int, core: str) -> str | None:
    """The abbreviation `core` (found at `start`) ends with: lower-case without the
    final period, "т. д." read as "т.д", any initial as "<initial>"; None for a word."""
    token = core[:-1]
    if len(token) == 1 and token.isalpha():
        before_end = len(text[:start].rstrip())
        before = text[_token_start(text, before_end) : before_end]
        pair = f"{before[:1]}.{token}".lower()
        if len(before) == 2 and before[1] == "." and pair in _ABBREVIATIONS:
            return pair  # "т. д."
        if token.isupper():
            return "<initial>"
    lowered = token.lower()
    if lowered in _ABBREVIATIONS:
        return lowered
    if _DOTTED.fullmatch(token):
        return lowered if token.islower() else "<initial>"  # "т.е", "Б.Б", "Ph.D"
    return None


def _plain_word_end(core: str) -> bool:
    """A period after a word no list knows ends a sentence the base splitter missed
    only if the word is long or a figure ("болды.", "18,5%.", "2025."): a short word
    may be an abbreviation, "17." a list item."""
    token = core[:-1]
    letters = sum(ch.isalpha() for ch in token)
    return letters >= 5 or (letters == 0 and (len(token) >= 3 or token.endswith("%")))


def _starts_sentence(following: str) -> bool:
    """A capitalised word that begins only sentences, not an initial ("В. В. Путин")."""
    token = following.lstrip(_OPENERS)
    if token.endswith(".") and len(token.rstrip(".")) == 1:
        return False
    word = token.rstrip(_CLOSERS + ".,;:!?…")
    return word[:1].isupper() and word.lower() in _SENTENCE_STARTERS


class _Enclosures:
    """Which offsets lie inside a matched pair of quotes or brackets. An unmatched one
    encloses nothing: a stray « must not glue the rest of a paragraph together."""

    def __init__(self, text: str) -> None:
        deltas: list[tuple[int, int]] = []
        stack: list[tuple[str, int]] = []
        straight = text.count('"') % 2 == 0
        for match in _QUOTE_OR_BRACKET.finditer(text):
            ch, i = match.group(), match.start()
            if stack and ch == _PAIRS.get(stack[-1][0], '"'):
                deltas += [(stack.pop()[1] + 1, 1), (i, -1)]
            elif ch in _PAIRS or (ch == '"' and straight):
                stack.append((ch, i))
        deltas.sort()
        self._positions = [position for position, _ in deltas]
        self._depths = list(itertools.accumulate(delta for _, delta in deltas))

    def contain(self, offset: int) -> bool:
        index = bisect.bisect_right(self._positions, offset)
        return index > 0 and self._depths[index - 1] > 0
