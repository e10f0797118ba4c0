"""The article's headline without the site's name and other affixes.

Pages append (or prepend) their name, section, authors or date to the headline in
og:title and <title>: "… | CBC News", "TechCrunch | …", "…：日本経済新聞", "… | DW |
10.06.2013", "… - Maggie Haberman and Shira Toeplitz". Two rules take them off:
- the difference: when another of the page's headlines (its h1, og:title, JSON-LD
  headline) is the same text without a part that a separator sets off, that part is an
  affix ("X | Yonhap News Agency" beside an h1 "X");
- the affix itself: a part at either end, set off by a separator (| – — - › » / : ：),
  that is the site's name (og:site_name, the publisher in JSON-LD, the host's name),
  a generic word ("News", "뉴스", "新闻"), the section, the author, or a date.
A photo credit in brackets at the end ("（写真＝ロイター）", "(Photo: Reuters)") and a stray
quote before a quotation ("'\"en prison…\"") go too. The cleaning never empties a title:
when nothing would remain, the title stays as the page gives it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

from bot.content.dates import parse_written

# A separator between a headline and an affix; the strong ones may also precede it.
_SEPARATOR = re.compile(
    r"\s+[|｜–—›»/·•]\s+|\s*[|｜]\s*|\s+::\s+|\s+-\s+|\s+:\s+|\s*：\s*"
    r"|(?<=[\u3000-\u9fff])[-_](?=[\u3000-\u9fff])"
)
_ENDS_IN_STRONG = re.compile(r"(?:[|｜–—›»/·•]|::)\s*$")
_DOMAIN_END = re.compile(r"(?:\.[a-z]{2,4}){1,2}$", re.IGNORECASE)  # "Süddeutsche.de"
_SEPARATOR_CHARS = " |｜–—›»/·•:：-_"
_STRONG = frozenset("|｜–—›»/·•:")  # ":" of "::" only; a lone ":" is a kicker's
_CREDIT = re.compile(
    r"\s*[(（\[［]\s*(?:写真|画像|図|图|圖|照片|사진|photo|foto|фото|video|видео|動画|image)"
    r"[^)）\]］]{0,40}[)）\]］]\s*$",
    re.IGNORECASE,
)
_STRAY_QUOTE = re.compile(r"(?<=\s)['’‘`](?=[\"“«„])")


def words(*lines: str) -> frozenset[str]:
    return frozenset(" ".join(lines).split())


GENERIC_WORDS = words(
    "news nachrichten noticias actualités actualites notizie nieuws новости жаңалықтар",
    "뉴스 新闻 新聞 ニュース 资讯 資訊 home startseite accueil inicio главная raksts",
    "article artikel meldung online",
)
_GENERIC_LAST = words("news nachrichten noticias новости 뉴스 新闻 新聞 ニュース")
_GENERIC_HOST_LABELS = words("com org net gov gv edu ac co info www")
MAX_AFFIX_WORDS = 6


def key(text: str) -> str:
    """Letters and digits only, NFKC, case-folded: how names are compared."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def host_names(url: str) -> list[str]:
    """The host's own name ("yna" of en.yna.co.kr, "cnn" of arabic.cnn.com) and the
    host itself without "www."."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    labels = host.split(".")
    while len(labels) > 1 and (len(labels[-1]) == 2 or labels[-1] in _GENERIC_HOST_LABELS):
        labels.pop()
    return [name for name in (labels[-1] if labels else "", host) if name]


def url_sections(url: str) -> list[str]:
    """The directories of a URL's path ("local" of /mallorca/noticia/local/slug.html):
    the site's sections, not the article's topics."""
    directories = urlsplit(url).path.split("/")[1:-1]
    return [d for d in directories if d.isalpha()]


def is_site_name(part: str, sites: Iterable[str]) -> bool:
    """Whether `part` is one of the site's names, or one of them with a word added
    ("CNN Politics") or a domain dropped ("Telegraph" for "Telegraph.co.uk")."""
    part_key = key(part)
    if len(part_key) < 2:
        return False
    short = len(part.split()) <= MAX_AFFIX_WORDS // 2 + 1
    names = [name for site in sites for name in (site, _DOMAIN_END.sub("", site))]
    for site in names:
        site_key = key(site)
        if len(site_key) < 2:
            continue
        if part_key == site_key or site_key.startswith(part_key):
            return True
        if short and len(site_key) >= 3 and part_key.startswith(site_key):
            return True
    return False


def _is_affix(part: str, sites: list[str], others: list[str]) -> bool:
    words = part.split()
    if not words or len(words) > MAX_AFFIX_WORDS:
        return False
    if is_site_name(part, sites) or key(part) in {key(o) for o in others if o}:
        return True
    if part.casefold() in GENERIC_WORDS or words[-1].casefold() in _GENERIC_LAST:
        return True
    stated = parse_written(part)
    return stated is not None and len(part) <= 24  # "10.06.2013", "Jan. 3, 2019"


def _parts(title: str) -> list[tuple[str, str]]:
    """(separator before, text) pairs; the first separator is ""."""
    parts: list[tuple[str, str]] = []
    last, separator = 0, ""
    for found in _SEPARATOR.finditer(title):
        if found.start() == 0 or found.end() == len(title):
            continue
        parts.append((separator, title[last : found.start()]))
        separator, last = found.group(), found.end()
    parts.append((separator, title[last:]))
    return parts


def _strong(separator: str) -> bool:
    stripped = separator.strip()
    return bool(stripped) and (stripped[0] in _STRONG) and stripped != ":"


def _by_difference(title: str, headlines: Iterable[str]) -> tuple[str, list[str]]:
    """`title` as another headline that is it without affixes set off by separators."""
    for other in headlines:
        other = " ".join(other.split())
        if not other or other == title or len(other) < 0.3 * len(title):
            continue
        at = title.find(other)
        if at < 0:
            continue
        end = at + len(other)
        before, after = title[:at], title[end:]
        # a part before the headline goes only after a strong separator: "Kicker:"
        # belongs to the headline as the publisher shows it ("Zugverkehr: Im ICE…")
        before_ok = not before or _ENDS_IN_STRONG.search(before) is not None
        after_ok = not after or _SEPARATOR.match(title, end) is not None
        if before_ok and after_ok and (before or after):
            return other, [p.strip(_SEPARATOR_CHARS) for p in (before, after) if p.strip()]
    return title, []


def affixes_of(title: str, headlines: Iterable[str]) -> list[str]:
    """The parts other headlines add to `title` ("Local", "Noticias" of "Title » Local »
    Noticias » Ultima Hora Mallorca"), for telling a section from a topic."""
    found: list[str] = []
    for other in headlines:
        other = " ".join(other.split())
        at = other.find(title) if title else -1
        if at < 0 or other == title:
            continue
        for rest in (other[:at], other[at + len(title) :]):
            found += [part for _, part in _parts(rest.strip(_SEPARATOR_CHARS))]
    return [part.strip(_SEPARATOR_CHARS) for part in found if part.strip(_SEPARATOR_CHARS)]


def clean_title(
    title: str,
    *,
    headlines: Iterable[str] = (),
    sites: Iterable[str] = (),
    others: Iterable[str] = (),
) -> tuple[str, list[str]]:
    """`title` without the site's name and other affixes, and the parts removed.
    `headlines`: the page's other headlines (h1, og:title, JSON-LD headline...);
    `sites`: the site's names; `others`: its section and authors."""
    original = " ".join(title.split())
    text = _STRAY_QUOTE.sub("", original)
    text, removed = _by_difference(text, headlines)
    credit = _CREDIT.search(text)
    if credit and credit.start() > 0:
        removed.append(credit.group().strip())
        text = text[: credit.start()].rstrip()
    site_list, other_list = list(sites), list(others)
    parts = _parts(text)
    while len(parts) > 1 and _is_affix(parts[-1][1], site_list, other_list):
        removed.insert(0, parts.pop()[1])
    while len(parts) > 1 and _strong(parts[1][0]) and _is_affix(parts[0][1], site_list, other_list):
        removed.append(parts.pop(0)[1])
        parts[0] = ("", parts[0][1])
    text = "".join(separator + part for separator, part in parts).strip()
    if sum(ch.isalnum() for ch in text) < 2 or _is_affix(text, site_list, []):
        return original, []  # nothing but affixes: the page's title is all there is
    return text, removed
