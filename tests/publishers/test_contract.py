"""Both platforms honour publishers/base.py without any network: loading, building,
and payloads they cannot send."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.config import Settings
from publishers.base import (
    Outcome,
    Payload,
    PlatformContext,
    PublishError,
    load_platform,
)
from publishers.facebook import FacebookChannel
from publishers.telegram import TelegramChannel

TOKEN = "987654321:TEST-secret-bot-token-ABCDEFGHIJKLMNO"
TG = TelegramChannel(id="tg", kind="telegram", chat="@newsbot_test")
FB = FacebookChannel(id="fb", kind="facebook", page_id="100000000000042", token_env="FB_TOKEN")


@pytest.fixture
async def ctx() -> AsyncIterator[PlatformContext]:
    settings = Settings(_env_file=None, TELEGRAM_BOT_TOKEN=TOKEN)
    async with aiohttp.ClientSession() as session:
        yield PlatformContext(settings, session, {"FB_TOKEN": "EAAx"})


@pytest.mark.parametrize("kind", ["telegram", "facebook"])
async def test_platform_loads_and_builds_nothing_without_channels(
    kind: str, ctx: PlatformContext
) -> None:
    platform = load_platform(kind)
    assert platform.CHANNEL_MODEL.model_fields["kind"].annotation is not None
    handle = platform.create_publishers([], ctx)
    assert handle.publishers == {}
    await handle.close()


async def test_each_platform_takes_only_its_own_channels(ctx: PlatformContext) -> None:
    tg = load_platform("telegram").create_publishers([TG, FB], ctx)
    fb = load_platform("facebook").create_publishers([TG, FB], ctx)
    assert list(tg.publishers) == ["tg"]
    assert list(fb.publishers) == ["fb"]
    await tg.close()
    await fb.close()
    assert not ctx.http.closed  # the shared session is not the platform's to close


def test_malformed_bot_token_is_a_config_sentence() -> None:
    settings = Settings(_env_file=None, TELEGRAM_BOT_TOKEN="not-a-token")
    ctx = PlatformContext(settings, None, {})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^TELEGRAM_BOT_TOKEN is malformed: "):
        load_platform("telegram").create_publishers([TG], ctx)


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("telegram", Payload("sendDice", {"chat_id": "@x"})),
        ("telegram", Payload("sendMessage", {"chat_id": "@x", "text": "t", "bogus": 1})),
        ("facebook", Payload("videos", {"message": "m"})),
    ],
)
async def test_payload_it_cannot_send_is_permanent(
    kind: str, payload: Payload, ctx: PlatformContext
) -> None:
    handle = load_platform(kind).create_publishers([TG, FB], ctx)
    [publisher] = handle.publishers.values()
    with pytest.raises(PublishError) as info:
        await publisher.publish(payload)
    assert (info.value.outcome, info.value.code) == (Outcome.PERMANENT, "bad_payload")
    await handle.close()
