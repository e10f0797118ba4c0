"""Page extraction + post rendering time per article, over the built page corpus
(bench/pages.py: Russian, Kazakh, English; short, long, 2 MB, broken HTML, no image,
many tags, windows-1251...). Times what a new article costs before it is stored:
`extract_page` (charset, lxml, trafilatura + htmldate, chrome removal), the merge into
an article, and rendering the default Telegram and Facebook posts. Nothing asserts.
`--corpus` times the real pages of the regression corpus instead (bench/corpus.py).

    .venv/bin/python bench/content.py [--repeat 5] [--corpus]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pages import Page, build_pages  # noqa: E402

from bot.app import default_platforms  # noqa: E402
from bot.content.enrich import article_from_page  # noqa: E402
from bot.content.extract import extract_page  # noqa: E402
from bot.preview import default_channels, preview  # noqa: E402

PLATFORMS = default_platforms()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def corpus_pages() -> list[Page]:
    """The regression corpus's pages (real and built), as this bench's pages."""
    from corpus import FETCH_HINT
    from corpus import corpus_pages as manifest_pages

    found = manifest_pages()
    if not all(page.fetched for page in found):
        print(f"The corpus is not fetched: {FETCH_HINT}.", file=sys.stderr)
        sys.exit(1)
    return [Page(p.id, p.language, p.url, p.path.read_bytes(), p.content_type) for p in found]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs over the corpus (default 5)")
    parser.add_argument("--corpus", action="store_true", help="the regression corpus's pages")
    args = parser.parse_args()
    pages = corpus_pages() if args.corpus else build_pages()
    channels = default_channels(PLATFORMS)
    # Warm-up: imports, compiled templates, razdel's first use.
    for page in pages[:3]:
        preview(article_from_page(extract_page(page.html, page.url)), channels, PLATFORMS)
    extract_ms: list[float] = []
    render_ms: list[float] = []
    total_ms: list[float] = []
    per_page: dict[str, list[float]] = {p.name: [] for p in pages}
    outcome: dict[str, str] = {}
    for _ in range(args.repeat):
        for page in pages:
            start = time.perf_counter()
            data = extract_page(page.html, page.url, content_type=page.content_type)
            article = article_from_page(data)
            extracted = time.perf_counter()
            posts = preview(article, channels, PLATFORMS)
            done = time.perf_counter()
            extract_ms.append((extracted - start) * 1000)
            render_ms.append((done - extracted) * 1000)
            total_ms.append((done - start) * 1000)
            per_page[page.name].append((done - start) * 1000)
            tg = posts[0]
            outcome[page.name] = (
                f"{tg.method or 'error'} {tg.length}/{tg.limit} "
                f"{','.join(w['code'] for w in tg.warnings) or '-'}"
            )
    print(f"{len(pages)} pages x {args.repeat} runs\n")
    print(f"{'page':<18} {'KB':>7} {'median ms':>10}  telegram post, warnings")
    for page in pages:
        times = per_page[page.name]
        print(
            f"{page.name:<18} {len(page.html) / 1024:>7.0f} {statistics.median(times):>10.1f}"
            f"  {outcome[page.name]}"
        )
    print()
    for name, values in (
        ("extraction", extract_ms),
        ("rendering (2 channels)", render_ms),
        ("extraction + rendering", total_ms),
    ):
        print(
            f"{name:<24} p50 {percentile(values, 0.5):7.1f} ms   "
            f"p99 {percentile(values, 0.99):7.1f} ms   max {max(values):7.1f} ms"
        )


if __name__ == "__main__":
    main()
