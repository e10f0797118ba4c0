"""How many posts of the regression corpus an editor would publish as is, and what is
wrong with the others: title, lead, date and hashtags against the manifest's values
(bench/corpus.py judges, as the test suite does), plus extraction + rendering time per
page. Shares count the real pages only; built pages are listed apart. Nothing asserts.

    .venv/bin/python bench/corpus.py fetch          # once
    .venv/bin/python bench/corpus_score.py [--repeat 3] [--json] [--all]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import FETCH_HINT, Evaluation, corpus_pages, evaluate

CHECKS = {
    "title": "titles right",
    "lead": "leads right",
    "date": "dates right",
    "hashtags": "hashtags clean",
    "publishable": "an editor would publish as is",
}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass(frozen=True, slots=True)
class Share:
    right: int
    of: int

    @property
    def ratio(self) -> float:
        return self.right / self.of if self.of else 0.0


@dataclass(frozen=True, slots=True)
class Figures:
    real_pages: int
    built_pages: int
    languages: list[str]
    shares: dict[str, Share]  # by check, real pages only
    built_publishable: Share
    p50_ms: float
    p99_ms: float
    max_ms: float


def passed(evaluation: Evaluation, check: str) -> bool:
    return bool(getattr(evaluation.verdict, check))


def figures_of(evaluations: list[Evaluation], totals: list[float]) -> Figures:
    real = [e for e in evaluations if e.page.real]
    built = [e for e in evaluations if not e.page.real]
    return Figures(
        real_pages=len(real),
        built_pages=len(built),
        languages=sorted({e.page.language for e in real}),
        shares={c: Share(sum(passed(e, c) for e in real), len(real)) for c in CHECKS},
        built_publishable=Share(sum(passed(e, "publishable") for e in built), len(built)),
        p50_ms=round(percentile(totals, 0.5), 1),
        p99_ms=round(percentile(totals, 0.99), 1),
        max_ms=round(max(totals), 1),
    )


def print_report(evaluations: list[Evaluation], figures: Figures, show_all: bool) -> None:
    print(f"{'page':<34} {'lang':<4} {'ms':>6}  T L D H  what is wrong")
    for e in evaluations:
        if e.verdict.publishable and not show_all:
            continue
        marks = " ".join("+" if passed(e, c) else "-" for c in list(CHECKS)[:4])
        name = e.page.id + ("" if e.page.real else " (built)")
        problems = "; ".join(e.verdict.problems) or "publishable"
        ms = e.extract_ms + e.render_ms
        print(f"{name:<34} {e.page.language:<4} {ms:>6.0f}  {marks}  {problems}")
    print()
    languages = ", ".join(figures.languages)
    print(f"{figures.real_pages} real pages in {len(figures.languages)} languages ({languages})")
    for check, label in CHECKS.items():
        share = figures.shares[check]
        print(f"  {label:<31} {share.right:>3}/{share.of}  {share.ratio:.0%}")
    built = figures.built_publishable
    print(f"  {'built pages publishable as is':<31} {built.right:>3}/{built.of}")
    print(
        f"extraction + rendering per page: p50 {figures.p50_ms} ms, "
        f"p99 {figures.p99_ms} ms, max {figures.max_ms} ms"
    )


def as_json(evaluations: list[Evaluation], figures: Figures) -> str:
    pages: list[dict[str, Any]] = [
        {
            "id": e.page.id,
            "kind": e.page.source.kind,
            "language": e.page.language,
            **{check: passed(e, check) for check in CHECKS},
            "problems": e.verdict.problems,
            "post": {
                "title": e.post.title,
                "summary": e.post.summary[:300],
                "hashtags": list(e.post.hashtags),
                "read_more": e.post.read_more,
            },
            "ms": round(e.extract_ms + e.render_ms, 1),
        }
        for e in evaluations
    ]
    return json.dumps({**asdict(figures), "pages": pages}, ensure_ascii=False, indent=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per page (default 3)")
    parser.add_argument("--json", action="store_true", help="figures and pages as JSON")
    parser.add_argument("--all", action="store_true", help="list publishable pages too")
    args = parser.parse_args()
    pages = corpus_pages()
    if not all(page.fetched for page in pages):
        print(f"The corpus is not fetched: {FETCH_HINT}.", file=sys.stderr)
        sys.exit(1)
    evaluate(pages[0])  # warm-up: imports, compiled templates, razdel's first use
    evaluations: list[Evaluation] = []
    totals: list[float] = []
    for page in pages:
        runs = [evaluate(page) for _ in range(max(args.repeat, 1))]
        totals += [run.extract_ms + run.render_ms for run in runs]
        evaluations.append(min(runs, key=lambda run: run.extract_ms + run.render_ms))
    figures = figures_of(evaluations, totals)
    if args.json:
        print(as_json(evaluations, figures))
    else:
        print_report(evaluations, figures, args.all)


if __name__ == "__main__":
    main()
