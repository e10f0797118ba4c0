"""When an article was published, read from whatever its page states.

Sources, most trusted first (the first that reads wins, see `STRUCTURED`): Open Graph
article:published_time, JSON-LD datePublished, itemprop datePublished, an epoch in a
"publish" meta, Dublin Core and other date metas, a <time datetime> of the article;
then, when the markup states none, a visible date next to the article ("12.10.2015,
19:16 Uhr", "Dienstag, 29. Januar 2019", "2023年11月17日"), a date in the title's
affix ("… | DW | 10.06.2013"), htmldate's guess, and the URL (/2015/03/18/).

A time without a zone is the publisher's wall clock: it is read in the publisher's
time zone (`zone`, UTC when none is configured). A date without a time is kept as a
date (`Stated.date_only`, midnight in that zone), so that a feed's exact time can win
over it. Two corrections for real CMS bugs: a stated time exactly twelve hours before
another source's is a 12-hour clock read as 24-hour (the later one wins), and a
date-only source gives way to a later source with a time on the same day.
"""

from __future__ import annotations

import contextlib
import email.utils
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Meta names (lower-cased) whose content is the publication time, by trust.
STRUCTURED = (
    ("article:published_time", "og:article:published_time"),
    ("<json-ld>",),
    ("datepublished", "<itemprop>"),
    ("<epoch>",),
    ("dc.date.issued", "dcterms.issued", "dcterms.created", "dc.date.created", "dc.date",
     "dcterms.date", "pubdate", "publishdate", "publish-date", "publish_date",
     "publication_date", "article:publicationdate", "citation_publication_date",
     "prism.publicationdate", "date", "originalpublicationdate", "parsely-pub-date"),
    ("<time>",),
    ("article_date_original", "sailthru.date", "og:time", "weibo: article:create_at",
     "publishtime", "cxenseparse:recs:publishtime"),
)  # fmt: skip
# Zone abbreviations that name one offset (IST, CST in Asia and others are ambiguous
# and left out: a wrong offset is worse than the publisher's zone).
ZONE_NAMES = {
    "UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 60, "BST": 60, "CET": 60,
    "CEST": 120, "MEZ": 60, "MESZ": 120, "EET": 120, "EEST": 180, "MSK": 180,
    "EST": -300, "EDT": -240, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480,
    "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600, "JST": 540, "KST": 540,
    "HKT": 480, "SGT": 480, "AWST": 480, "ACST": 570, "AEST": 600, "AEDT": 660,
    "NZST": 720, "NZDT": 780, "SAST": 120,
}  # fmt: skip
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "january jan januar janvier enero gennaio janeiro января қаңтар",
            "february feb februar février fevrier febrero febbraio fevereiro февраля ақпан",
            "march mar märz maerz mars marzo março марта наурыз",
            "april apr avril abril aprile апреля сәуір",
            "may mai mayo maggio maio мая мамыр",
            "june jun juni juin junio giugno junho июня маусым",
            "july jul juli juillet julio luglio julho июля шілде",
            "august aug août aout agosto августа тамыз",
            "september sep sept septembre septiembre settembre setembro сентября қыркүйек",
            "october oct oktober octobre octubre ottobre outubro октября қазан",
            "november nov novembre noviembre novembro ноября қараша",
            "december dec dezember décembre decembre diciembre dicembre dezembro декабря желтоқсан",
        ),
        start=1,
    )
    for name in names.split()
}
_ISO = re.compile(
    r"(\d{4})-?(\d{2})-?(\d{2})(?:[T ]+(\d{1,2}):?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?|[A-Z]{2,5})?"
)
_TIME = re.compile(
    r"(?<!\d)(\d{1,2})[:.h](\d{2})(?::(\d{2}))?(?!\d)(?:\s*([ap])\.?\s*m\.?(?![a-z]))?", re.I
)
_NUMERIC_DAY_FIRST = re.compile(r"(?<!\d)(\d{1,2})[./](\d{1,2})[./](\d{4})(?!\d)")
_NUMERIC_YEAR_FIRST = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_CJK_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DAY_MONTH = re.compile(r"(?<!\d)(\d{1,2})\.?\s+(?:de\s+)?([^\W\d_]{3,})\.?,?\s+(?:de\s+)?(\d{4})")
_MONTH_DAY = re.compile(r"([^\W\d_]{3,})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_ZONE_WORD = re.compile(r"\b([A-Z]{1,5})\b")
_EPOCH = re.compile(r"\d{10}(?:\d{3})?")
_URL_DATE = re.compile(r"/(\d{4})/(?:[a-z_-]+/)?(\d{1,2})/(\d{1,2})/|/(\d{4})-(\d{2})-(\d{2})/")
# Classes and ids of elements that show an article's date to the reader.
_DATE_CLASS = re.compile(r"date|time|publi|datum|submitted|posted|fecha|zeit", re.I)
_CHROME = frozenset({"nav", "footer", "blockquote", "li", "a"})
_EMBEDS = frozenset({"blockquote"})  # an embedded post's time is the post's
MAX_DATE_TEXT = 80
TWELVE_HOURS = timedelta(hours=12)
SAME_INSTANT = timedelta(seconds=60)


class UnknownTimeZone(ValueError):
    """A configured time zone is not an IANA name."""


@dataclass(frozen=True, slots=True)
class Stated:
    """A time a page states: always aware; `date_only` when the page gave no time,
    `zoned` when it gave its own offset (not read in the publisher's zone)."""

    at: datetime
    date_only: bool = False
    zoned: bool = True


def zone_of(name: str | None) -> tzinfo:
    """The tzinfo of an IANA name ("Asia/Almaty"); UTC for None or ""."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownTimeZone(
            f"{name!r} is not a time zone: use an IANA name such as Asia/Almaty"
        ) from None


def _aware(year: int, month: int, day: int, clock: tuple[int, int, int] | None,
           offset: int | None, zone: tzinfo) -> Stated | None:  # fmt: skip
    if not 1990 <= year <= 2100:
        return None  # a version number or a placeholder, not a news date
    hour, minute, second = clock or (0, 0, 0)
    tz = timezone(timedelta(minutes=offset)) if offset is not None else zone
    try:
        at = datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return None
    return Stated(at, date_only=clock is None, zoned=offset is not None)


def _offset(text: str | None) -> int | None:
    """Minutes east of UTC of "Z", "+05:00", "+0500", "+05", "EET"; None if unknown."""
    if not text:
        return None
    if text in ZONE_NAMES:
        return ZONE_NAMES[text]
    found = re.fullmatch(r"([+-])(\d{2}):?(\d{2})?", text)
    if not found:
        return None
    minutes = int(found.group(2)) * 60 + int(found.group(3) or 0)
    return -minutes if found.group(1) == "-" else minutes


def parse_stated(value: str | None, zone: tzinfo = UTC) -> Stated | None:
    """The time `value` states: ISO 8601 (basic or extended, "Z", "+0100", a zone name),
    an epoch in seconds or milliseconds, RFC 2822, or words ("Saturday, December 27,
    2014, 12:06 PM", "12.10.2015, 19:16 Uhr", "2019年11月25日"); None if unreadable."""
    text = " ".join((value or "").split())
    if not text or len(text) > MAX_DATE_TEXT * 2:
        return None
    if _EPOCH.fullmatch(text):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        with contextlib.suppress(OverflowError, OSError, ValueError):
            return Stated(datetime.fromtimestamp(seconds, UTC))
        return None
    iso = _ISO.fullmatch(text)
    if iso:
        year, month, day, hour, minute, second, zone_text = iso.groups()
        clock = (int(hour), int(minute), int(second or 0)) if hour else None
        offset = _offset(zone_text)
        if zone_text and offset is None:
            return None
        return _aware(int(year), int(month), int(day), clock, offset, zone)
    with contextlib.suppress(TypeError, ValueError, IndexError):
        found = email.utils.parsedate_to_datetime(text)
        if found.tzinfo is not None and found.utcoffset() is not None:
            return Stated(found)
    return parse_written(text, zone)


def parse_written(text: str, zone: tzinfo = UTC) -> Stated | None:
    """A date (and time) written for readers, in the first form found: "2019-01-21
    13:49", "12.10.2015", "29. Januar 2019", "August 13th, 2011", "09 enero 2014",
    "2019年11月25日"; a zone abbreviation next to it is its offset."""
    date = _written_date(text)
    if date is None:
        return None
    year, month, day, start, end = date
    clock = None
    found = _TIME.search(text, end) or _TIME.search(text[:start])
    if found:
        hour, minute = int(found.group(1)), int(found.group(2))
        meridiem = (found.group(4) or "").lower()
        hour = hour % 12 + (12 if meridiem == "p" else 0) if meridiem else hour
        if hour < 24 and minute < 60:
            clock = (hour, minute, int(found.group(3) or 0))
    offset = None
    for word in _ZONE_WORD.findall(text):
        if word in ZONE_NAMES and word != "Z":
            offset = ZONE_NAMES[word]
    return _aware(year, month, day, clock, offset if clock else None, zone)


def _written_date(text: str) -> tuple[int, int, int, int, int] | None:
    """(year, month, day, start, end) of the first date in `text`."""
    found: list[tuple[int, int, int, int, int]] = []  # start, year, month, day, end
    if m := _CJK_DATE.search(text):
        found.append((m.start(), int(m[1]), int(m[2]), int(m[3]), m.end()))
    if m := _NUMERIC_YEAR_FIRST.search(text):
        found.append((m.start(), int(m[1]), int(m[2]), int(m[3]), m.end()))
    if m := _NUMERIC_DAY_FIRST.search(text):
        first, second = int(m[1]), int(m[2])
        day, month = (second, first) if second > 12 else (first, second)
        found.append((m.start(), int(m[3]), month, day, m.end()))
    if (m := _DAY_MONTH.search(text)) and m[2].lower() in MONTHS:
        found.append((m.start(), int(m[3]), MONTHS[m[2].lower()], int(m[1]), m.end()))
    if (m := _MONTH_DAY.search(text)) and m[1].lower() in MONTHS:
        found.append((m.start(), int(m[3]), MONTHS[m[1].lower()], int(m[2]), m.end()))
    if not found:
        return None
    start, year, month, day, end = min(found)
    return year, month, day, start, end


def _in_chrome(element: Any, chrome: frozenset[str] = _CHROME) -> bool:
    """Inside navigation, a footer, an embed (blockquote), a link or a list (other
    stories'), or a header or aside of the page's own (inside <main> or <article>
    they hold the article's byline)."""
    ancestors = [a.tag for a in element.iterancestors()]
    if any(tag in chrome for tag in ancestors):
        return True
    for tag in ("header", "aside"):
        if tag in ancestors and not {"article", "main"} & set(ancestors[ancestors.index(tag) :]):
            return True
    return False


def _time_values(tree: Any, itemprop_only: bool) -> Iterator[str]:
    """<time datetime> (and itemprop datePublished elements) outside chrome and embeds."""
    marked = tree.xpath("//*[@itemprop='datePublished']")
    for element in marked:
        value = element.get("datetime") or element.get("content")
        if value and not _in_chrome(element, _EMBEDS):
            yield value
    if itemprop_only:
        return
    for element in tree.iter("time"):
        value = element.get("datetime")
        if value and not _in_chrome(element):
            yield value


def visible_date(tree: Any, zone: tzinfo) -> Stated | None:
    """The first short element whose class or id says "date" and whose text is one."""
    for element in tree.iter("div", "span", "p", "time", "small", "em", "h5", "h6", "dd"):
        marker = f"{element.get('class') or ''} {element.get('id') or ''}"
        if not _DATE_CLASS.search(marker) or _in_chrome(element):
            continue
        text = " ".join(element.text_content().split())
        if 6 <= len(text) <= MAX_DATE_TEXT and (stated := parse_written(text, zone)):
            return stated
    return None


def url_date(url: str, zone: tzinfo) -> Stated | None:
    """The date of a URL's /2015/03/18/ (or /2013/section/8/3/, /2015-03-18/) path."""
    found = _URL_DATE.search(url)
    if not found:
        return None
    year, month, day = (int(g) for g in (found.groups()[:3] if found[1] else found.groups()[3:]))
    return _aware(year, month, day, None, None, zone)


def stated_sources(
    metas: Mapping[str, list[str]], ld_published: str | None, tree: Any, zone: tzinfo
) -> list[Stated]:
    """Every publication time the markup states, most trusted source first."""
    found: list[Stated] = []
    for names in STRUCTURED:
        values: list[str] = []
        for name in names:
            if name == "<json-ld>":
                values += [ld_published] if ld_published else []
            elif name == "<itemprop>":
                values += list(_time_values(tree, itemprop_only=True))
            elif name == "<time>":
                values += list(_time_values(tree, itemprop_only=False))
            elif name == "<epoch>":
                values += [v for k, vs in metas.items() if "publish" in k for v in vs
                           if _EPOCH.fullmatch(v.strip())]  # fmt: skip
            else:
                values += metas.get(name, [])
        found += [s for s in (parse_stated(v, zone) for v in values) if s is not None]
    return found


def modified_time(values: list[str], tree: Any, zone: tzinfo) -> Stated | None:
    """The last change the page states: `values` (its metas), else itemprop dateModified."""
    marked = tree.xpath("//*[@itemprop='dateModified']")
    raw = [*values, *(e.get("datetime") or e.get("content") or "" for e in marked)]
    return choose([s for s in (parse_stated(v, zone) for v in raw) if s is not None])


def choose(candidates: list[Stated]) -> Stated | None:
    """The first candidate with its own zone (else the first), corrected for a 12-hour
    clock bug and upgraded from a date to a time stated for the same day."""
    if not candidates:
        return None
    chosen = next((c for c in candidates if c.zoned and not c.date_only), candidates[0])
    for other in candidates:
        if other.date_only or chosen.date_only:
            continue
        if abs(other.at - chosen.at - TWELVE_HOURS) <= SAME_INSTANT and chosen.at.hour < 12:
            return other  # "02:39" where the page's other sources say 14:39
    if chosen.date_only:
        day = chosen.at.date()
        timed = (c for c in candidates if not c.date_only and c.at.date() == day)
        chosen = next(timed, chosen)
    return chosen
