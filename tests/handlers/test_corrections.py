"""The editors' side of an article's life after posting, through the sandbox's
getUpdates: /refresh corrects the posts from the page, /retract takes them down, a
correction on an `approve` channel waits for a button, a gone page's alert retracts."""

from __future__ import annotations

from bot.events import Event, EventType
from bot.infra.redis_embedded import EmbeddedRedis
from bot.models import State
from bot.store.keys import now_ms
from sandbox import Sandbox
from tests.handlers.harness import EDITOR, EDITORS_CHAT, MEMBER, Bot, running_bot
from tests.handlers.test_approval import buttons


async def post_site_article(bot: Bot, n: int, channels: str = "tg-main fb-page") -> str:
    bot.sandbox.site.add(n, f"Статья {n}", "Лид статьи.", ["Первый абзац.", "Второй абзац."])
    bot.send(EDITOR, f"/post {bot.sandbox.site.url_of(n)} {channels}")
    await bot.reply(EDITOR)
    aid = (await bot.app.store.recent_article_ids(1))[0]
    for channel in channels.split():
        await bot.state(aid, channel, State.SENT)
    return aid


async def test_refresh_corrects_the_posts_once_and_status_lists_the_versions(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with running_bot(redis_server, sandbox) as bot:
        aid = await post_site_article(bot, 1)
        bot.send(EDITOR, f"/refresh {aid}")
        assert (await bot.reply(EDITOR)).startswith("The article did not change: Статья 1")
        sandbox.site.change(1, title="Статья 1, исправленная")
        bot.send(EDITOR, f"/refresh {aid}")
        assert "its posts are being corrected" in await bot.reply(EDITOR)
        await bot.state(aid, "tg-main", State.SENT)
        for _ in range(100):
            [tg_post] = sandbox.telegram.posts_in("@newsbot_test")
            if tg_post.edits:
                break
            await bot.quiet(EDITOR, 0.05)
        assert "исправленная" in tg_post.html and len(tg_post.edits) == 1
        bot.send(EDITOR, f"/status {aid}")
        status = await bot.reply(EDITOR)
        assert "v1 · " in status and "v2 · " in status and f"/refresh by @u{EDITOR}" in status
        assert "✓ tg-main: an editor asked for it" in status


async def test_retract_takes_the_posts_down_and_a_wrong_channel_is_named(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with running_bot(redis_server, sandbox) as bot:
        aid = await post_site_article(bot, 2)
        bot.send(EDITOR, f"/retract {aid} nope")
        assert "has no delivery to 'nope'" in await bot.reply(EDITOR)
        bot.send(EDITOR, "/retract")
        assert await bot.reply(EDITOR) == "Wrong arguments: /retract ID [channel ...]"
        bot.send(EDITOR, f"/retract {aid} tg-main")
        assert await bot.reply(EDITOR) == "tg-main: retracting"
        await bot.state(aid, "tg-main", State.RETRACTED)
        [delivery] = [d for d in await bot.app.store.deliveries(aid) if d.channel == "fb-page"]
        assert delivery.state is State.SENT  # only the channel named
        assert all(p.deleted for p in sandbox.telegram.posts_in("@newsbot_test") or [])


async def test_an_approve_channel_asks_before_correcting_and_keep_leaves_the_post(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    channels = [{"id": "tg-care", "kind": "telegram", "chat": "@newsbot_care",
                 "on_update": "approve"}]  # fmt: skip
    sandbox.telegram.add_chat("@newsbot_care")
    async with running_bot(redis_server, sandbox, channels=channels) as bot:
        aid = await post_site_article(bot, 3, "tg-care")
        sandbox.site.change(3, title="Статья 3, версия 2")
        bot.send(EDITOR, f"/refresh {aid}")
        await bot.reply(EDITOR)
        [alert] = await bot.replies(EDITORS_CHAT)
        assert alert.text is not None and alert.text.startswith("✏️ Correction for tg-care")
        keys = buttons(alert)
        assert list(keys) == ["Correct the post", "Keep it"]
        [post] = sandbox.telegram.posts_in("@newsbot_care")
        assert post.edits == []  # nothing changes before an editor decides
        bot.press(MEMBER, alert, keys["Correct the post"])
        await bot.replies(EDITORS_CHAT)
        for _ in range(100):
            if post.edits:
                break
            await bot.quiet(EDITOR, 0.05)
        assert "версия 2" in post.html
        # the next correction is kept out
        sandbox.site.change(3, title="Статья 3, версия 3")
        bot.send(EDITOR, f"/refresh {aid}")
        await bot.reply(EDITOR)
        [alert] = await bot.replies(EDITORS_CHAT)
        bot.press(EDITOR, alert, buttons(alert)["Keep it"])
        await bot.replies(EDITORS_CHAT)
        await bot.quiet(EDITOR, 0.5)
        assert "версия 2" in post.html and len(post.edits) == 1
        assert await bot.app.store.pending_post(aid, "tg-care") is None


async def test_a_gone_page_alert_retracts_with_its_button(
    redis_server: EmbeddedRedis, sandbox: Sandbox
) -> None:
    async with running_bot(redis_server, sandbox) as bot:
        aid = await post_site_article(bot, 4)
        gone = Event(EventType.ARTICLE_GONE, article_id=aid, note="the page answers 410",
                     at_ms=now_ms())  # fmt: skip
        await bot.app.store.events.emit(gone)
        [alert] = await bot.replies(EDITORS_CHAT)
        assert alert.text is not None
        assert alert.text.startswith("🗑 The article's page is gone (the page answers 410)")
        bot.press(EDITOR, alert, buttons(alert)["Retract"])
        await bot.replies(EDITORS_CHAT)
        await bot.state(aid, "tg-main", State.RETRACTED)
        await bot.state(aid, "fb-page", State.RETRACTED)
