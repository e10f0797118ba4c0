"""Routing: which channels take an article, and why (bot/routing.py). The rules are
pure; the end-to-end tests run ingest on real Redis and the sandbox over real HTTP."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.app import open_app
from bot.cli.report import article_details, status_rows
from bot.infra.redis_embedded import EmbeddedRedis
from bot.models import Article, State
from bot.platforms import ChannelConfig
from bot.preview import preview
from bot.routing import route, routes
from bot.urls import article_id
from sandbox import Sandbox
from tests.bot.test_lifecycle import running, states
from tests.bot.test_pipeline import ENV, fixture_article
from tests.conftest import PAGE_ID, make_config

KK_TITLE = "Қазақстанда жасанды интеллект орталығы ашылды"
KK_LEAD = "Астанада жаңа цифрлық орталық жұмысын бастады. Онда өңірдің стартаптары жұмыс істейді."


def channel(**values: object) -> ChannelConfig:
    return ChannelConfig.model_validate({"id": "c", "kind": "telegram", **values})


def kazakh(url: str = "https://profit.kz/kk/news/1/") -> Article:
    return Article(article_id(url), url, KK_TITLE, KK_LEAD, source="profit", tags=("AI",))


def test_a_channel_without_rules_takes_every_article() -> None:
    found = route(kazakh(), channel())
    assert (found.chosen, found.reason) == (True, "it takes every article")


def test_language_stated_or_told_from_the_letters() -> None:
    ru_only, kk_only = channel(languages=["ru"]), channel(languages=["kk"])
    assert route(kazakh(), kk_only).chosen  # no lang stated: "қ", "ң", "ұ" are Kazakh
    refused = route(kazakh(), ru_only)
    assert not refused.chosen
    assert refused.reason == "the article is in kk, the channel takes ru"
    assert route(replace(kazakh(), lang="ru-RU"), ru_only).chosen  # as stated wins


def test_keywords_match_whole_words_case_aside_and_phrases_across_lines() -> None:
    article = replace(kazakh(), title="Облачные сервисы и ИИ", lead="Новый\nдата центр открыт")
    assert route(article, channel(keywords_any=["ии"])).chosen
    assert not route(replace(article, title="ИИСУС"), channel(keywords_any=["ии"])).chosen
    assert route(article, channel(keywords_any=["дата центр"])).chosen  # the line break
    found = route(article, channel(keywords_none=["Облачные"]))
    assert not found.chosen and found.reason == "the text has 'Облачные', one of its keywords_none"
    # never a regular expression
    assert not route(article, channel(keywords_any=["И.И"])).chosen


def test_feeds_sections_and_tags_combine_with_and() -> None:
    strict = channel(feeds=["profit"], sections=["Технологии"], tags_any=["ai"])
    article = replace(kazakh(), section="технологии")
    found = route(article, strict)
    assert found.chosen and found.reason == "it matches: технологии · #AI"
    assert route(replace(article, source="other"), strict).code == "not_feed"
    assert route(replace(article, section="Спорт"), strict).code == "not_section"
    assert route(replace(article, tags=("Telecom",)), strict).code == "not_tags"


async def test_a_kazakh_article_goes_to_the_kazakh_channel_only_with_its_own_read_more(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    sandbox.telegram.add_chat("@newsbot_kk", title="Kazakh")
    channels = [
        {"id": "tg-ru", "kind": "telegram", "chat": "@newsbot_test", "languages": ["ru"]},
        {"id": "tg-kk", "kind": "telegram", "chat": "@newsbot_kk", "languages": ["kk"]},
        {"id": "fb-page", "kind": "facebook", "page_id": PAGE_ID, "keywords_none": ["казино"]},
    ]
    config = make_config(redis_server.url, sandbox, channels=channels)
    article = replace(fixture_article(), id=kazakh().id, url=kazakh().url, title=KK_TITLE,
                      lead=KK_LEAD, lang="kk")  # fmt: skip
    async with open_app(config, env=ENV) as app, running(app):
        result = await app.ingest.submit(article)
        assert result.channels == ("tg-kk", "fb-page")
        await states(app, article.id, {"tg-kk": State.SENT, "fb-page": State.SENT})
        routes_kept = await app.store.routes(article.id)
        rows = await status_rows(app.store, [article.id])
        shown = preview(article, config.active_channels, app.platforms)
    assert routes_kept["tg-ru"] == (
        False, "not_language", {"language": "kk", "wanted": "ru"}
    )  # fmt: skip
    assert routes_kept["tg-kk"][0] and routes_kept["fb-page"][0]
    assert "route tg-ru: not taken: the article is in kk, the channel takes ru" in (
        article_details(rows, routes_kept)
    )
    assert [(p.channel, p.routed) for p in shown] == [
        ("tg-ru", False), ("tg-kk", True), ("fb-page", True)
    ]  # fmt: skip
    [post] = sandbox.telegram.posts
    assert post.chat_username == "newsbot_kk"
    assert "Толығырақ" in post.html and "Читать далее" not in post.html


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_routes_list_every_channel_looked_at(lang: str) -> None:
    configured = [channel(id="a", languages=["kk"]), channel(id="b", languages=["ru"])]
    found = routes(replace(kazakh(), lang=lang), configured)
    assert [(r.channel, r.chosen) for r in found] == [("a", lang == "kk"), ("b", lang == "ru")]
