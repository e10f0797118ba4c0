"""Approval with buttons (publish, skip, edit, delay, timeout), held deliveries'
buttons, and the alerts the editors' chat gets, through the sandbox's getUpdates."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from bot.infra.redis_embedded import EmbeddedRedis
from bot.models import State
from sandbox import Sandbox
from sandbox.faults import Fault
from sandbox.tgmodels import SentMessage
from tests.handlers.harness import EDITOR, EDITORS_CHAT, MEMBER, Bot, running_bot


def buttons(message: SentMessage) -> dict[str, str]:
    markup = message.reply_markup or {}
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


async def post_for_approval(bot: Bot, channel: str = "tg-approve") -> tuple[str, SentMessage]:
    bot.send(EDITOR, f"/post {bot.page_url} {channel}")
    await bot.reply(EDITOR)
    [aid] = await bot.app.store.recent_article_ids()
    await bot.state(aid, channel, State.AWAITING_APPROVAL)
    [request] = await bot.replies(EDITORS_CHAT)
    return aid, request


async def test_publish_now_records_who_and_a_second_press_is_already_decided(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with running_bot(redis_server, sandbox) as bot:
        aid, request = await post_for_approval(bot)
        assert request.text is not None
        assert request.text.startswith(f"📝 Approval needed for tg-approve · {aid}")
        assert "Казахстан и Туркменистан" in request.text and "gремьер-министра" in request.text
        keys = buttons(request)
        assert list(keys) == ["Publish now", "Skip", "Edit text", "Delay 1 h"]
        assert sandbox.telegram.posts_in("@newsbot_approve") == []
        bot.press(MEMBER, request, keys["Publish now"])
        assert await bot.reply(EDITORS_CHAT) == f"tg-approve: queued — decided by @u{MEMBER}"
        await bot.state(aid, "tg-approve", State.SENT)
        assert len(sandbox.telegram.posts_in("@newsbot_approve")) == 1
        assert request.reply_markup is None  # the buttons are gone
        bot.press(EDITOR, request, keys["Skip"])
        assert await bot.reply(EDITORS_CHAT) == "tg-approve: already decided (now sent)"
        [delivery] = await bot.app.store.deliveries(aid)
        assert [t.note for t in delivery.history][1] == f"approve by @u{MEMBER}"


async def test_skip_and_delay(redis_server: EmbeddedRedis, sandbox: Sandbox) -> None:
    extra = [{"id": "tg-approve2", "kind": "telegram", "chat": "@newsbot_second", "approval": True}]
    async with running_bot(redis_server, sandbox, channels=extra) as bot:
        bot.send(EDITOR, f"/post {bot.page_url} tg-approve tg-approve2")
        await bot.reply(EDITOR)
        [aid] = await bot.app.store.recent_article_ids()
        # one request for the article, with the buttons of both channels
        [request] = await bot.replies(EDITORS_CHAT)
        assert request.text is not None
        assert request.text.startswith(f"📝 Approval needed for tg-approve, tg-approve2 · {aid}")
        keys = buttons(request)
        assert len(keys) == 8 and "Publish now · tg-approve2" in keys
        bot.press(EDITOR, request, keys["Skip · tg-approve"])
        assert await bot.reply(EDITORS_CHAT) == f"tg-approve: cancelled — decided by @u{EDITOR}"
        assert list(buttons(request)) == [  # only the undecided channel's buttons are left
            "Publish now · tg-approve2", "Skip · tg-approve2", "Edit text · tg-approve2",
            "Delay 1 h · tg-approve2",
        ]  # fmt: skip
        bot.press(EDITOR, request, keys["Delay 1 h · tg-approve2"])
        assert await bot.reply(EDITORS_CHAT) == f"tg-approve2: queued — decided by @u{EDITOR}"
        due = (await bot.app.store.due_times([(aid, "tg-approve2")]))[0]
        assert due is not None and abs(due / 1000 - (time.time() + 3600)) < 30
        await bot.quiet(EDITORS_CHAT)
        assert sandbox.telegram.posts_in("@newsbot_approve") == []
        assert sandbox.telegram.posts_in("@newsbot_second") == []
        await bot.state(aid, "tg-approve", State.CANCELLED)


async def test_edit_text_is_checked_before_it_is_accepted(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with running_bot(redis_server, sandbox) as bot:
        aid, request = await post_for_approval(bot)
        bot.press(EDITOR, request, buttons(request)["Edit text"])
        assert "Send the new text of the post for tg-approve" in await bot.reply(EDITORS_CHAT)
        bot.send(EDITOR, "x" * 1100, chat=EDITORS_CHAT)
        refused = await bot.reply(EDITORS_CHAT)
        assert "the text is 1100 characters, over Telegram's 1024 for a caption" in refused
        assert "the post was not changed" in refused
        bot.send(EDITOR, "Новый текст <без разметки> & с амперсандом", chat=EDITORS_CHAT)
        accepted, again = await bot.replies(EDITORS_CHAT, 2)
        assert accepted.text == "Text for tg-approve accepted."
        # the editors are asked again, with the text they will approve
        assert again.text is not None and "Новый текст <без разметки> & с амперсандом" in again.text
        bot.press(EDITOR, again, buttons(again)["Publish now"])
        assert await bot.reply(EDITORS_CHAT) == f"tg-approve: queued — decided by @u{EDITOR}"
        await bot.state(aid, "tg-approve", State.SENT)
        [post] = sandbox.telegram.posts_in("@newsbot_approve")
        assert post.caption == "Новый текст <без разметки> & с амперсандом"
        [delivery] = await bot.app.store.deliveries(aid)
        assert "edit by @u111" in [t.note for t in delivery.history]


async def test_a_command_while_editing_runs_and_ends_the_edit(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with running_bot(redis_server, sandbox) as bot:
        aid, request = await post_for_approval(bot)
        bot.press(EDITOR, request, buttons(request)["Edit text"])
        prompt = (await bot.replies(EDITORS_CHAT))[0]
        assert prompt.reply_markup == {"force_reply": True, "selective": True}
        bot.send(EDITOR, f"/status {aid}", chat=EDITORS_CHAT)
        assert "tg-approve: awaiting_approval" in await bot.reply(EDITORS_CHAT)
        bot.send(EDITOR, "this is conversation, not a post", chat=EDITORS_CHAT)
        await bot.quiet(EDITORS_CHAT)
        [delivery] = await bot.app.store.deliveries(aid)
        assert "conversation" not in delivery.payload


async def test_a_long_text_post_is_shown_for_approval_as_plain_text(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    long = [{"id": "tg-long", "kind": "telegram", "chat": "@newsbot_long", "approval": True,
             "summary_max": 4000, "template": "<b>{{ title }}</b>\n\n{{ summary }}\n\n"
             "{{ 'слово ' * 600 }}<a href=\"{{ url }}\">{{ read_more }}</a>"}]  # fmt: skip
    async with running_bot(redis_server, sandbox, channels=long) as bot:
        _aid, request = await post_for_approval(bot, "tg-long")
        assert request.text is not None and "слово слово" in request.text
        assert len(request.text) <= 4096
        assert list(buttons(request)) == ["Publish now", "Skip", "Edit text", "Delay 1 h"]


async def test_nobody_deciding_publishes_after_the_approval_timeout(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    timed = [{"id": "tg-timed", "kind": "telegram", "chat": "@newsbot_timed", "approval": True,
              "approval_timeout": 1}]  # fmt: skip
    async with running_bot(redis_server, sandbox, channels=timed) as bot:
        aid, _request = await post_for_approval(bot, "tg-timed")
        await bot.state(aid, "tg-timed", State.SENT, timeout=15)
        [delivery] = await bot.app.store.deliveries(aid)
        assert "no editor decided in time" in delivery.history[1].note


HELD = [{"id": "tg-hold", "kind": "telegram", "chat": "@newsbot_hold", "ambiguous": "hold",
         "timeout": 0.5}]  # fmt: skip


async def post_held(bot: Bot, sandbox: Sandbox) -> tuple[str, SentMessage]:
    """An article whose post went out but whose answer was lost: held, and its alert."""
    # posted, but the answer comes after the channel's timeout: ambiguous -> held
    sandbox.telegram.faults.add(Fault(kind="timeout", method="sendPhoto", delay=2, apply=True))
    bot.send(EDITOR, f"/post {bot.page_url} tg-hold")
    await bot.reply(EDITOR)
    [aid] = await bot.app.store.recent_article_ids()
    await bot.state(aid, "tg-hold", State.HELD, timeout=60)
    [alert] = await bot.replies(EDITORS_CHAT, timeout=20)
    return aid, alert


async def test_a_held_delivery_is_alerted_with_resend_and_it_is_there(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with running_bot(redis_server, sandbox, channels=HELD) as bot:
        aid, alert = await post_held(bot, sandbox)
        assert alert.text is not None and "tg-hold: the answer to a post was lost" in alert.text
        assert list(buttons(alert)) == ["Resend", "It is there"]
        bot.press(EDITOR, alert, buttons(alert)["It is there"])
        assert await bot.reply(EDITORS_CHAT) == f"tg-hold: sent — decided by @u{EDITOR}"
        await bot.state(aid, "tg-hold", State.SENT)
        assert len(sandbox.telegram.posts_in("@newsbot_hold")) == 1  # not sent again


async def test_failures_are_alerted_a_storm_is_grouped_and_a_token_problem_named(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    kicked = [{"id": "tg-kicked", "kind": "telegram", "chat": "@newsbot_kicked"}]
    async with running_bot(redis_server, sandbox, channels=kicked) as bot:
        sandbox.telegram.add_chat("@newsbot_kicked", kicked=True)
        bot.send(EDITOR, f"/post {bot.page_url} tg-kicked")
        await bot.reply(EDITOR)
        [alert] = await bot.replies(EDITORS_CHAT, timeout=20)
        assert alert.text is not None and alert.text.startswith(
            "🔑 tg-kicked: token or permission problem (forbidden)"
        )
        # Six failures read together: one grouped message, not six.
        events = [{"type": "state", "state": "failed", "article_id": "0" * 16, "channel": f"c{n}",
                   "note": ""} for n in range(6)]  # fmt: skip
        # ... and a held delivery among them keeps its own message and buttons
        events.insert(3, {"type": "state", "state": "held", "article_id": "1" * 16,
                          "channel": "tg-main", "note": ""})  # fmt: skip
        for event in events:
            await bot.app.redis.xadd(bot.app.store.keys.events, event)
        held, grouped = await bot.replies(EDITORS_CHAT, 2, timeout=20)
        assert list(buttons(held)) == ["Resend", "It is there"]
        assert grouped.text is not None and grouped.text.startswith("🚨 6 alerts at once:")
        assert grouped.reply_markup is None
        await bot.quiet(EDITORS_CHAT)


async def test_a_feed_failing_three_polls_in_a_row_is_alerted_once(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async def failing(_request: web.Request) -> web.Response:
        return web.Response(status=500, text="down")

    down = web.Application()
    down.router.add_get("/rss", failing)
    runner = web.AppRunner(down, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    feed = {"id": "broken", "url": f"http://127.0.0.1:{runner.addresses[0][1]}/rss"}
    try:
        async with running_bot(redis_server, sandbox, feeds=[feed]) as bot:
            for _ in range(4):
                await bot.app.pollers[0].poll_once()
            [alert] = await bot.replies(EDITORS_CHAT, timeout=20)
            assert alert.text is not None
            assert alert.text.startswith("⚠️ Feed broken failed 3 polls in a row")
            await bot.quiet(EDITORS_CHAT)
    finally:
        await runner.cleanup()


async def test_resend_of_a_held_delivery_posts_again_and_is_not_held_again(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with running_bot(redis_server, sandbox, channels=HELD) as bot:
        aid, alert = await post_held(bot, sandbox)
        bot.press(MEMBER, alert, buttons(alert)["Resend"])
        assert await bot.reply(EDITORS_CHAT) == f"tg-hold: queued — decided by @u{MEMBER}"
        await bot.state(aid, "tg-hold", State.SENT)
        assert len(sandbox.telegram.posts_in("@newsbot_hold")) == 2  # the editor chose so


async def test_an_edit_gives_the_editors_the_full_approval_time_again(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    timed = [{"id": "tg-timed", "kind": "telegram", "chat": "@newsbot_timed", "approval": True,
              "approval_timeout": 3}]  # fmt: skip
    async with running_bot(redis_server, sandbox, channels=timed) as bot:
        aid, request = await post_for_approval(bot, "tg-timed")
        key = bot.app.store.keys.delivery(aid, "tg-timed")
        first = int(await bot.app.redis.hget(key, "approve_by") or 0)
        await asyncio.sleep(1)
        bot.press(EDITOR, request, buttons(request)["Edit text"])
        await bot.reply(EDITORS_CHAT)
        bot.send(EDITOR, "Текст редактора", chat=EDITORS_CHAT)
        accepted, _again = await bot.replies(EDITORS_CHAT, 2)
        assert accepted.text == "Text for tg-timed accepted."
        later = int(await bot.app.redis.hget(key, "approve_by") or 0)
        assert later - first >= 1000
        assert (await bot.app.store.due_times([(aid, "tg-timed")]))[0] == later
        await bot.state(aid, "tg-timed", State.SENT, timeout=15)
        [post] = sandbox.telegram.posts_in("@newsbot_timed")
        assert post.caption == "Текст редактора"
