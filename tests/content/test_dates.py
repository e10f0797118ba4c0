# ruff: noqa: E501  (page snippets are data)
"""Publication times from every common source and spelling; a time without a zone is
the publisher's wall clock; a date alone stays a date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import lxml.html
import pytest

from bot.content.dates import (
    Stated,
    UnknownTimeZone,
    choose,
    parse_stated,
    stated_sources,
    url_date,
    visible_date,
    zone_of,
)
from bot.content.extract import extract_page

ALMATY = zone_of("Asia/Almaty")


def at(hours: float, *args: int) -> datetime:
    return datetime(*args, tzinfo=timezone(timedelta(hours=hours)))  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-11-06T13:00:15.055Z", at(0, 2023, 11, 6, 13, 0, 15)),
        ("20180619T055000+0900", at(9, 2018, 6, 19, 5, 50)),  # ISO basic
        ("2012-10-28T02:48:29+0100", at(1, 2012, 10, 28, 2, 48, 29)),
        ("2014-06-29 20:08:00-0400", at(-4, 2014, 6, 29, 20, 8)),
        ("2021-01-03T17:40:00EET", at(2, 2021, 1, 3, 17, 40)),  # a zone's name
        ("Sat, 09 Oct 2010 07:15:45 EST", at(-5, 2010, 10, 9, 7, 15, 45)),
        ("Fr, 17 Mai 2019 13:38:23 MESZ", at(2, 2019, 5, 17, 13, 38, 23)),
        ("1529283660000", at(0, 2018, 6, 18, 1, 1)),  # epoch in milliseconds
    ],
)
def test_times_with_their_own_zone(value: str, expected: datetime) -> None:
    stated = parse_stated(value, ALMATY)
    assert stated is not None and stated.zoned and not stated.date_only
    assert stated.at == expected and stated.at.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("value", "expected", "date_only"),
    [
        ("2019-06-20T07:30:00", (2019, 6, 20, 7, 30), False),
        ("2014-10-02T14:52:39.4770000", (2014, 10, 2, 14, 52, 39), False),
        ("Saturday, December 27, 2014, 12:06 PM", (2014, 12, 27, 12, 6), False),
        ("jueves, 09 enero 2014 10:21", (2014, 1, 9, 10, 21), False),
        ("12.10.2015, 19:16 Uhr", (2015, 10, 12, 19, 16), False),
        ("Submitted on Mon, 2019-01-21 13:49", (2019, 1, 21, 13, 49), False),
        ("le 05/04/2013 à 17h08", (2013, 4, 5, 17, 8), False),
        ("2023-11-17", (2023, 11, 17), True),
        ("Dienstag, 29. Januar 2019", (2019, 1, 29), True),
        ("posted on Saturday, August 13th, 2011", (2011, 8, 13), True),
        ("2019年11月25日", (2019, 11, 25), True),
        ("26 ноября 2025", (2025, 11, 26), True),
        ("3 желтоқсан 2025", (2025, 12, 3), True),
    ],
)
def test_times_without_a_zone_are_the_publishers_wall_clock(
    value: str, expected: tuple[int, ...], date_only: bool
) -> None:
    stated = parse_stated(value, ALMATY)
    assert stated is not None and not stated.zoned
    assert stated.at == datetime(*expected, tzinfo=ALMATY)  # type: ignore[misc]
    assert stated.date_only is date_only


@pytest.mark.parametrize("value", ["", "soon", "0.9.6", "10/2019", "1899-01-01", "2019-13-45"])
def test_what_is_no_date_reads_as_none(value: str) -> None:
    assert parse_stated(value) is None


def test_an_unknown_time_zone_is_one_sentence() -> None:
    with pytest.raises(UnknownTimeZone, match="'Mars/Olympus' is not a time zone: use an IANA"):
        zone_of("Mars/Olympus")
    assert zone_of(None) is UTC


def test_a_twelve_hour_clock_read_as_twenty_four_is_corrected() -> None:
    # Regression (Wunderweib): JSON-LD said 02:39 where the page's <time> says 14:39.
    wrong = Stated(at(2, 2019, 6, 20, 2, 39, 54))
    right = Stated(at(2, 2019, 6, 20, 14, 39))
    assert choose([wrong, right]) == right
    assert choose([right, Stated(at(2, 2019, 6, 21, 2, 39))]) == right  # only earlier ones


def test_a_date_gives_way_to_a_time_stated_for_that_day() -> None:
    day = Stated(datetime(2023, 11, 17, tzinfo=UTC), date_only=True, zoned=False)
    timed = Stated(datetime(2023, 11, 17, 15, 13, tzinfo=UTC), zoned=False)
    other_day = Stated(datetime(2023, 11, 18, 9, 0, tzinfo=UTC), zoned=False)
    assert choose([day, other_day, timed]) == timed
    assert choose([day, other_day]) == day


def test_a_zoned_source_wins_over_a_naive_one_of_the_same_rank() -> None:
    naive = parse_stated("2013-12-30T21:42:01", ALMATY)
    zoned = parse_stated("2013-12-30T14:42:01-0700", ALMATY)
    assert naive is not None and zoned is not None
    assert choose([naive, zoned]) == zoned


def page(body: str, head: str = "") -> object:
    return lxml.html.fromstring(f"<html><head>{head}</head><body>{body}</body></html>")


def test_an_embedded_posts_time_is_not_the_articles() -> None:
    # Regression (Horizont): the only <time> elements were embedded Instagram posts'.
    tree = page(
        '<article><h1>T</h1><blockquote class="instagram-media">'
        '<time datetime="2018-03-12T19:30:12+00:00">Mar 12</time></blockquote></article>'
    )
    assert stated_sources({}, None, tree, UTC) == []


def test_an_article_headers_time_counts_and_a_pages_header_does_not() -> None:
    tree = page(
        '<header><time datetime="2020-01-01T10:00:00+01:00">clock</time></header>'
        '<article><header><time datetime="2013-04-05T17:08:23+02:00">Publié</time></header>'
        "</article>"
    )
    assert [s.at for s in stated_sources({}, None, tree, UTC)] == [at(2, 2013, 4, 5, 17, 8, 23)]


def test_a_visible_date_next_to_the_article_and_not_in_a_link() -> None:
    # Regression (RNZ): the only machine-readable date was the CMS migration's.
    tree = page(
        '<main><aside><header><div class="nfy-ar-date">12.10.2015, 19:16 Uhr</div></header>'
        '</aside><a href="/other"><span class="date">01.08.2019</span></a></main>'
    )
    assert visible_date(tree, UTC) == Stated(
        datetime(2015, 10, 12, 19, 16, tzinfo=UTC), zoned=False
    )
    assert visible_date(page('<a href="/x"><span class="date">01.08.2019</span></a>'), UTC) is None


def test_a_url_with_a_date_dates_the_article() -> None:
    assert url_date("http://arabic.cnn.com/2013/middle_east/8/3/syria/index.html", UTC) == Stated(
        datetime(2013, 8, 3, tzinfo=UTC), date_only=True, zoned=False
    )
    assert url_date("https://example.com/2015-03-18/story", UTC) is not None
    assert url_date("https://example.com/news/4451133.html", UTC) is None


ARTICLE = "<p>" + "Текст статьи о базовой ставке Национального банка. " * 12 + "</p>"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<meta property="article:published_time" content="2025-11-26T13:30:00">',
         datetime(2025, 11, 26, 13, 30, tzinfo=ALMATY)),
        ('<script type="application/ld+json">{"@type": "NewsArticle", '
         '"datePublished": "2025-11-26T08:30:00Z"}</script>', datetime(2025, 11, 26, 8, 30, tzinfo=UTC)),
        ('<meta name="dc.date" content="2025-11-26">', datetime(2025, 11, 26, tzinfo=ALMATY)),
        ('<meta name="epoch-publish-date" content="1764142200000">',
         datetime(2025, 11, 26, 7, 30, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_the_page_states_its_time_in_any_common_source(head: str, expected: datetime) -> None:
    html = (
        f"<html><head><title>T</title>{head}</head><body><article>{ARTICLE}</article></body></html>"
    )
    extracted = extract_page(html, "https://example.kz/news/1", timezone="Asia/Almaty")
    assert extracted.published == expected
    assert "no_date" not in dict(extracted.notes)


def test_a_page_without_any_date_is_noted() -> None:
    html = f"<html><head><title>T</title></head><body><article>{ARTICLE}</article></body></html>"
    extracted = extract_page(html, "https://example.kz/news/1")
    assert extracted.published is None
    assert ("no_date", "the page states none") in extracted.notes
