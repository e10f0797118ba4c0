from __future__ import annotations

import pytest

from bot.urls import BadUrlError, article_id, canonical_url

FIXTURE_LINK = (
    "https://profit.kz/news/71234/kazahstan-i-turkmenistan-ukreplyayut-sotrudnichestvo-v-sfere-"
    "cifrovyh-tehnologij-i-svyazi/?utm_source=rss&utm_medium=feed"
)


def test_tracking_parameters_fragment_and_trailing_slash_go() -> None:
    assert canonical_url(FIXTURE_LINK) == (
        "https://profit.kz/news/71234/kazahstan-i-turkmenistan-ukreplyayut-sotrudnichestvo-v-sfere-"
        "cifrovyh-tehnologij-i-svyazi"
    )
    assert canonical_url("https://x.kz/a?fbclid=1&gclid=2&yclid=3#top") == "https://x.kz/a"


def test_scheme_host_and_default_port_are_normalised_path_case_is_kept() -> None:
    assert canonical_url("HTTPS://Profit.KZ:443/News/1/") == "https://profit.kz/News/1"
    assert canonical_url("http://profit.kz:8080/a") == "http://profit.kz:8080/a"


def test_remaining_query_is_sorted_and_kept() -> None:
    assert canonical_url("https://x.kz/a?b=2&a=1&utm_campaign=z") == "https://x.kz/a?a=1&b=2"


def test_the_same_article_from_feed_webhook_and_editor_has_one_id() -> None:
    variants = [
        FIXTURE_LINK,
        FIXTURE_LINK.split("?")[0],
        FIXTURE_LINK.split("?")[0].rstrip("/") + "#comments",
        FIXTURE_LINK.replace("https://profit.kz", "https://PROFIT.kz") + "&fbclid=abc",
    ]
    assert len({article_id(v) for v in variants}) == 1
    assert article_id(FIXTURE_LINK) != article_id("https://profit.kz/news/71235/other/")


@pytest.mark.parametrize("bad", ["ftp://x.kz/a", "javascript:alert(1)", "not a url", "https://"])
def test_non_http_urls_are_refused(bad: str) -> None:
    with pytest.raises(BadUrlError):
        canonical_url(bad)
