"""Sentence splitters compared on the gold paragraphs of tests/content/test_sentences.py.

Prints, per splitter, language and case set (tuned: the cases the correction rules were
written against; held-out: written before them): exact-split accuracy per paragraph,
boundary precision, recall and F1, false boundaries (the harmful error for a summary:
it cuts a sentence in two), and speed. Nothing here asserts.

    .venv/bin/python bench/sentences.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import sentencex

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content.sentences import Span, razdel_spans, sentence_spans  # noqa: E402
from tests.content.test_sentences import HELD_OUT, TUNED, Case  # noqa: E402

Splitter = Callable[[str, str], list[Span]]


def _stripped(text: str, spans: Sequence[Span]) -> list[Span]:
    out = []
    for start, end in spans:
        chunk = text[start:end]
        if chunk.strip():
            offset = start + len(chunk) - len(chunk.lstrip())
            out.append((offset, offset + len(chunk.strip())))
    return out


def sentencex_raw(text: str, lang: str) -> list[Span]:
    bounds = sentencex.get_sentence_boundaries(lang, text)
    return _stripped(text, [(b["start_index"], b["end_index"]) for b in bounds])


def render_regex(text: str, lang: str) -> list[Span]:
    """The ad-hoc shortening of publishers/telegram/render.py (before the summary module
    replaces it), as a splitter: its sentence-end regex and abbreviation list."""
    from publishers.telegram import render

    ends = [
        m.end()
        for m in render._SENTENCE_END.finditer(text)
        if render._is_sentence_end(text, m.start(), m.end())
    ]
    cuts = [0, *ends, len(text)]
    return _stripped(text, list(itertools.pairwise(cuts)))


def _has_render_regex() -> bool:
    try:
        from publishers.telegram import render
    except ImportError:
        return False
    return hasattr(render, "_SENTENCE_END") and hasattr(render, "_is_sentence_end")


def with_rules(base: Splitter) -> Splitter:
    return lambda text, lang: sentence_spans(text, lang, base=base)


SPLITTERS: dict[str, Splitter] = {
    **({"regex (render.py)": render_regex} if _has_render_regex() else {}),
    "razdel": razdel_spans,
    "sentencex": sentencex_raw,
    "sentencex + rules": with_rules(sentencex_raw),
    "razdel + rules (chosen)": with_rules(razdel_spans),
}


@dataclass
class Score:
    exact: int = 0
    cases: int = 0
    true: int = 0
    false: int = 0
    missed: int = 0

    def add(self, gold: set[int], got: set[int], exact: bool) -> None:
        self.cases += 1
        self.exact += exact
        self.true += len(gold & got)
        self.false += len(got - gold)
        self.missed += len(gold - got)

    def row(self) -> str:
        precision = self.true / max(1, self.true + self.false)
        recall = self.true / max(1, self.true + self.missed)
        f1 = 2 * precision * recall / max(1e-9, precision + recall)
        exact = f"{self.exact}/{self.cases} ({100 * self.exact / max(1, self.cases):.0f}%)"
        return f"{exact:>13} | {precision:.3f} | {recall:.3f} | {f1:.3f} | {self.false:>3}"


def boundaries(case: Case) -> set[int]:
    """Where each sentence but the first starts in the joined paragraph."""
    starts, offset = set(), 0
    for sentence in case.sentences:
        starts.add(offset)
        offset += len(sentence) + 1
    return starts - {0}


def score(split: Splitter, cases: Sequence[Case]) -> Score:
    result = Score()
    for case in cases:
        spans = split(case.text, case.lang)
        got = {start for start, _ in spans} - {0}
        sentences = [case.text[s:e] for s, e in spans]
        result.add(boundaries(case), got, sentences == list(case.sentences))
    return result


def speed(split: Splitter, cases: Sequence[Case], repeat: int) -> tuple[float, float]:
    """(µs per paragraph, thousand characters per second): the best of `repeat` runs."""
    chars = sum(len(case.text) for case in cases)
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        for case in cases:
            split(case.text, case.lang)
        runs.append(time.perf_counter() - started)
    best = min(runs)
    return best / len(cases) * 1e6, chars / best / 1000


def fixture_article() -> Case:
    page = (ROOT / "tests" / "fixtures" / "profit-kz-article.html").read_text(encoding="utf-8")
    paragraphs = re.findall(r"<p>(.*?)</p>", page, re.S)
    return Case("profit-kz", "ru", ("\n\n".join(paragraphs),))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    sets = {"tuned": TUNED, "held-out": HELD_OUT, "all": TUNED + HELD_OUT}
    langs = ("ru", "kk", "en")
    print(f"{len(TUNED)} tuned + {len(HELD_OUT)} held-out paragraphs, by language:")
    for lang in langs:
        print(f"  {lang}: {sum(c.lang == lang for c in TUNED + HELD_OUT)}")
    print()
    print("| splitter | lang | set | exact paragraphs | P | R | F1 | false bounds |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for name, split in SPLITTERS.items():
        for set_name, cases in sets.items():
            for lang in (*langs, "all"):
                chosen = [c for c in cases if lang in ("all", c.lang)]
                print(f"| {name} | {lang} | {set_name} | {score(split, chosen).row()} |")
    print()
    article = fixture_article()
    print(f"Speed: the best of {args.repeat} runs over the gold paragraphs; 'article' is the")
    print(f"body of tests/fixtures/profit-kz-article.html ({len(article.text)} characters).")
    print("| splitter | lang | µs per text | k chars/s |")
    print("|---|---|---:|---:|")
    everything = TUNED + HELD_OUT
    for name, split in SPLITTERS.items():
        for lang in (*langs, "all"):
            chosen = [c for c in everything if lang in ("all", c.lang)]
            per_paragraph, rate = speed(split, chosen, args.repeat)
            print(f"| {name} | {lang} | {per_paragraph:.0f} | {rate:.0f} |")
        per_article, rate = speed(split, [article], args.repeat)
        print(f"| {name} | article | {per_article:.0f} | {rate:.0f} |")


if __name__ == "__main__":
    main()
