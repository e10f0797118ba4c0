"""Both platforms honour the core's contract (bot/platforms.py) without any network:
loading, building, their outcome tables, and posts they cannot send."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.app import default_platforms
from bot.platforms import (
    FailureKind,
    Outcome,
    PlatformCall,
    PlatformContext,
    Post,
    PostFormat,
    PublishError,
    UnknownKind,
    load_platforms,
)
from publishers.facebook import FacebookChannel, FacebookSettings
from publishers.telegram import TelegramChannel, TelegramSettings

TOKEN = "987654321:TEST-secret-bot-token-ABCDEFGHIJKLMNO"
TG = TelegramChannel(id="tg", kind="telegram", chat="@newsbot_test")
FB = FacebookChannel(id="fb", kind="facebook", page_id="100000000000042", token_env="FB_TOKEN")
PLATFORMS = default_platforms()


def settings_for(kind: str, token: str = TOKEN) -> TelegramSettings | FacebookSettings:
    if kind == "telegram":
        return TelegramSettings(_env_file=None, TELEGRAM_BOT_TOKEN=token)
    return FacebookSettings(_env_file=None)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def ctx_for(kind: str, http: aiohttp.ClientSession) -> PlatformContext:
    return PlatformContext(settings_for(kind), http, {"FB_TOKEN": "EAAx"})


@pytest.mark.parametrize("kind", ["telegram", "facebook"])
async def test_platform_loads_and_builds_nothing_without_channels(
    kind: str, http: aiohttp.ClientSession
) -> None:
    platform = PLATFORMS.get(kind)
    assert platform.kind == kind
    assert platform.channel_model.model_fields["kind"].annotation is not None
    handle = platform.open([], ctx_for(kind, http))
    assert handle.publishers == {}
    await handle.close()


async def test_each_platform_takes_only_its_own_channels(http: aiohttp.ClientSession) -> None:
    tg = PLATFORMS.get("telegram").open([TG, FB], ctx_for("telegram", http))
    fb = PLATFORMS.get("facebook").open([TG, FB], ctx_for("facebook", http))
    assert list(tg.publishers) == ["tg"]
    assert list(fb.publishers) == ["fb"]
    await tg.close()
    await fb.close()
    assert not http.closed  # the shared session is not the platform's to close


def test_malformed_bot_token_is_a_config_sentence() -> None:
    ctx = PlatformContext(settings_for("telegram", "not-a-token"), None, {})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^TELEGRAM_BOT_TOKEN is malformed: "):
        PLATFORMS.get("telegram").open([TG], ctx)


def test_an_unknown_kind_is_one_sentence_naming_the_known_ones() -> None:
    with pytest.raises(UnknownKind, match=r"unknown kind 'compose': use one of \"telegram\", "):
        PLATFORMS.get("compose")
    with pytest.raises(UnknownKind, match="cannot be imported"):
        load_platforms(["publishers.nonexistent"])
    with pytest.raises(UnknownKind, match="has no PLATFORM"):
        load_platforms(["publishers.compose"])


@pytest.mark.parametrize("kind", ["telegram", "facebook"])
def test_every_outcome_rule_names_a_kind_unless_it_is_a_success(kind: str) -> None:
    rules = PLATFORMS.get(kind).outcomes
    assert rules
    for rule in rules:
        assert (rule.kind is None) == (rule.outcome is Outcome.OK), rule
        assert rule.code


def post(method: str, params: dict[str, object]) -> Post:
    return Post("t", PostFormat.PLAIN, "t", 1, 10, PlatformCall(method, params))


@pytest.mark.parametrize(
    ("kind", "bad"),
    [
        ("telegram", post("sendDice", {"chat_id": "@x"})),
        ("telegram", post("sendMessage", {"chat_id": "@x", "text": "t", "bogus": 1})),
        ("facebook", post("videos", {"message": "m"})),
    ],
)
async def test_a_post_it_cannot_send_is_permanent(
    kind: str, bad: Post, http: aiohttp.ClientSession
) -> None:
    handle = PLATFORMS.get(kind).open([TG, FB], ctx_for(kind, http))
    [publisher] = handle.publishers.values()
    with pytest.raises(PublishError) as info:
        await publisher.publish(bad)
    assert (info.value.outcome, info.value.kind, info.value.code) == (
        Outcome.PERMANENT,
        FailureKind.BAD_REQUEST,
        "bad_payload",
    )
    await handle.close()
