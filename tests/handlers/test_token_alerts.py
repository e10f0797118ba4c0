"""The token-and-rights watch tells the editors' chat, once per problem: a Page token 7
days and 1 day before it expires, a token that stopped working, a right the bot lost;
a problem that goes away and comes back is told again; a platform that cannot be asked
tells nothing and forgets nothing. Real service, real Redis, the sandbox over HTTP."""

from __future__ import annotations

import time

from bot.doctor.watch import TokenWatch
from bot.infra.redis_embedded import EmbeddedRedis
from sandbox import Fault, Sandbox
from tests.conftest import PAGE_ID, PAGE_TOKEN
from tests.handlers.harness import EDITORS_CHAT, Bot, running_bot

DAY = 86400


def watch_of(bot: Bot) -> TokenWatch:
    assert bot.app.watch is not None
    return bot.app.watch


async def test_an_expiring_page_token_is_told_7_days_and_1_day_before_once_each(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    now = time.time()
    expires = int(now + 6 * DAY + 3600)
    sandbox.facebook.add_page(PAGE_ID, PAGE_TOKEN, expires_at=expires)
    async with running_bot(redis_server, sandbox, NEWSBOT_DOCTOR_HOURS=24) as bot:
        watch = watch_of(bot)
        await watch.check_once(now)
        alert = await bot.reply(EDITORS_CHAT)
        assert alert.startswith("⏳ fb-page: the token expires in 6 day(s) (")
        assert "replace it before then" in alert
        await watch.check_once(now + 3600)  # the next run: told already
        await bot.quiet(EDITORS_CHAT)
        assert await watch.marks.expiries() == {"fb-page": expires}  # for /metrics
        await watch.check_once(now + 5.5 * DAY)
        assert (await bot.reply(EDITORS_CHAT)).startswith(
            "⏳ fb-page: the token expires in 1 day(s)"
        )
        await watch.check_once(now + 5.6 * DAY)
        await bot.quiet(EDITORS_CHAT)


async def test_a_token_first_seen_a_day_from_expiry_is_told_once(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    now = time.time()
    sandbox.facebook.add_page(PAGE_ID, PAGE_TOKEN, expires_at=int(now + 12 * 3600))
    async with running_bot(redis_server, sandbox, NEWSBOT_DOCTOR_HOURS=24) as bot:
        await watch_of(bot).check_once(now)
        assert "expires in 1 day(s)" in await bot.reply(EDITORS_CHAT)
        await bot.quiet(EDITORS_CHAT)  # not the 7-day alert as well


async def test_a_lost_right_is_told_once_and_again_when_it_comes_back(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    sandbox.facebook.add_page(PAGE_ID, PAGE_TOKEN)
    sandbox.telegram.add_chat("@newsbot_test")
    async with running_bot(redis_server, sandbox, NEWSBOT_DOCTOR_HOURS=24) as bot:
        watch = watch_of(bot)
        await watch.check_once()
        await bot.quiet(EDITORS_CHAT)  # all is well: nothing to tell
        sandbox.telegram.set_rights("@newsbot_test", can_post=False)
        await watch.check_once()
        alert = await bot.reply(EDITORS_CHAT)
        assert alert.startswith("🚫 tg-main: a right newsbot needs is missing: the bot is an")
        assert "without can_post_messages" in alert and "turn on Post messages" in alert
        await watch.check_once()
        await bot.quiet(EDITORS_CHAT)
        # Telegram cannot be asked: the problem is neither told again nor forgotten
        sandbox.telegram.faults.add(Fault(kind="status", method="getChat", status=502,
                                          description="Bad Gateway"))  # fmt: skip
        await watch.check_once()
        await watch.check_once()
        await bot.quiet(EDITORS_CHAT)
        sandbox.telegram.set_rights("@newsbot_test", can_post=True)
        await watch.check_once()
        await bot.quiet(EDITORS_CHAT)
        sandbox.telegram.set_rights("@newsbot_test", can_post=False)
        await watch.check_once()
        assert (await bot.reply(EDITORS_CHAT)).startswith("🚫 tg-main:")


async def test_a_page_token_that_stops_working_is_told_once(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    sandbox.facebook.add_page(PAGE_ID, PAGE_TOKEN)
    async with running_bot(redis_server, sandbox, NEWSBOT_DOCTOR_HOURS=24) as bot:
        watch = watch_of(bot)
        await watch.check_once()
        sandbox.facebook.invalidate_token(PAGE_TOKEN, subcode=460)
        await watch.check_once()
        alert = await bot.reply(EDITORS_CHAT)
        assert alert.startswith("🔑 fb-page: the token stopped working; nothing is posted")
        assert "FACEBOOK_PAGE_TOKEN" in alert and PAGE_TOKEN not in alert
        await watch.check_once()
        await bot.quiet(EDITORS_CHAT)


async def test_alerts_are_in_the_editors_language(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    now = time.time()
    sandbox.facebook.add_page(PAGE_ID, PAGE_TOKEN, expires_at=int(now + 3 * DAY + 3600))
    async with running_bot(
        redis_server, sandbox, NEWSBOT_DOCTOR_HOURS=24, NEWSBOT_LANGUAGE="ru"
    ) as bot:
        await watch_of(bot).check_once(now)
        alert = await bot.reply(EDITORS_CHAT)
    assert alert.startswith("⏳ fb-page: токен истекает через 3 дн.")
