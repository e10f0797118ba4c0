"""Every reply reaches the editor (handlers.fitting): over-long replies are cut, a
reply Telegram refuses goes again as plain text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import cast

import pytest

from bot.infra.redis_embedded import EmbeddedRedis
from handlers.bot import EditorsBot
from handlers.fitting import TEXT_LIMIT, cut, plain
from sandbox import Sandbox
from tests.handlers.harness import EDITOR, Bot, running_bot


@pytest.fixture
async def bot(redis_server: EmbeddedRedis, sandbox: Sandbox) -> AsyncIterator[Bot]:
    async with running_bot(redis_server, sandbox, NEWSBOT_LANGUAGE="ru") as running:
        yield running


async def test_post_with_a_4000_character_url_still_gets_a_reply(bot: Bot) -> None:
    # Regression: the reply echoed the URL (4,101 code points), Telegram refused it and
    # the editor got nothing.
    url = "https://example.com/" + "a" * 3980
    bot.send(EDITOR, f"/post {url}")
    reply = await bot.reply(EDITOR)
    assert reply.startswith("Не получилось:")
    assert len(reply) <= TEXT_LIMIT and "…" in reply


async def test_a_reply_telegram_refuses_is_sent_again_as_plain_text(bot: Bot) -> None:
    # A reply cut inside its markup is refused ("Unmatched end tag"): it goes again as
    # the text the tags held, instead of nothing.
    editors_bot = cast(EditorsBot, bot.app.editors_bot)
    message = await editors_bot.bot.send_message(EDITOR, "<b>cut inside</i> a tag")
    assert message.text == "cut inside a tag"
    assert not message.entities


def test_cut_keeps_the_limit_and_marks_the_cut() -> None:
    text = "word " * 2000
    assert len(cut(text)) <= TEXT_LIMIT and cut(text).endswith("…")
    assert cut("short") == "short"
    assert plain("<b>a &amp; b</b>") == "a & b"
