"""The editors' commands through the sandbox's getUpdates: access, audit, each
command's good and wrong-argument paths, pause and resume."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.infra.redis_embedded import EmbeddedRedis
from bot.models import State
from sandbox import Sandbox
from tests.handlers.harness import (
    EDITOR,
    EDITORS_CHAT,
    MEMBER,
    OUTSIDER,
    STRANGER,
    Bot,
    running_bot,
)


@pytest.fixture
async def bot(redis_server: EmbeddedRedis, sandbox: Sandbox) -> AsyncIterator[Bot]:
    async with running_bot(redis_server, sandbox) as running:
        yield running


async def test_a_stranger_is_refused_once_audited_and_nothing_happens(bot: Bot) -> None:
    bot.send(STRANGER, f"/post {bot.page_url}")
    assert await bot.reply(STRANGER) == "This bot is for editors only."
    await bot.quiet(STRANGER)
    assert await bot.app.store.recent_article_ids() == []
    [entry] = await bot.app.store.editors.read_audit()
    assert entry["user_id"] == str(STRANGER) and entry["username"] == f"u{STRANGER}"
    assert (entry["command"], entry["arguments"], entry["outcome"]) == (
        "/post",
        bot.page_url,
        "refused",
    )


async def test_members_of_the_editors_chat_are_editors_others_are_not(bot: Bot) -> None:
    bot.send(MEMBER, "/help")
    assert "/post URL|ID [channel ...]" in await bot.reply(MEMBER)
    bot.send(OUTSIDER, "/help")
    assert await bot.reply(OUTSIDER) == "This bot is for editors only."
    outcomes = [(e["user_id"], e["outcome"]) for e in await bot.app.store.editors.read_audit()]
    assert outcomes == [(str(OUTSIDER), "refused"), (str(MEMBER), "allowed")]


async def test_help_lists_every_command_with_its_usage(bot: Bot) -> None:
    bot.send(EDITOR, "/help")
    text = await bot.reply(EDITOR)
    usages = [
        "/post URL|ID",
        "/preview URL|ID",
        "/status URL|ID",
        "/queue",
        "/retry ID",
        "/cancel ID",
    ]
    usages += ["/delete ID", "/pause", "/resume", "/channels", "/stats"]
    for usage in usages:
        assert usage in text


async def test_post_ingests_now_and_a_second_post_says_where_it_went(bot: Bot) -> None:
    bot.send(EDITOR, f"/post {bot.page_url} tg-main")
    text = await bot.reply(EDITOR)
    assert text.startswith("Article taken: Казахстан и Туркменистан")
    [aid] = await bot.app.store.recent_article_ids()
    await bot.state(aid, "tg-main", State.SENT)
    assert {d.channel for d in await bot.app.store.deliveries(aid)} == {"tg-main"}
    bot.send(EDITOR, f"/post {bot.page_url}?utm_source=x")
    again = await bot.reply(EDITOR)
    assert again.startswith("This article is already known")
    assert "tg-main: sent" in again
    # the reply links the post: a text_link entity to the channel message
    [post] = bot.sandbox.telegram.posts_in("@newsbot_test")
    reply = bot.messages(EDITOR)[-1]
    links = [e.get("url") for e in reply.entities]
    assert f"https://t.me/newsbot_test/{post.message_id}" in links


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/post", "Wrong arguments: /post URL|ID [channel ...]"),
        ("/post profit.kz/news", "is neither a link nor an article id"),
        ("/post https://profit.kz/x nochannel", "there is no active channel 'nochannel'"),
        ("/preview", "Wrong arguments: /preview URL|ID"),
        ("/status", "Wrong arguments: /status URL|ID"),
        ("/status 0123456789abcdef", "no article '0123456789abcdef' is known"),
        ("/retry", "Wrong arguments: /retry ID [channel]"),
        ("/cancel a b c", "Wrong arguments: /cancel ID [channel]"),
        ("/delete", "Wrong arguments: /delete ID [channel]"),
        ("/retry 0123456789abcdef", "no article '0123456789abcdef' is known"),
    ],
)
async def test_wrong_arguments_get_one_clear_sentence(bot: Bot, command: str, answer: str) -> None:
    bot.send(EDITOR, command)
    text = await bot.reply(EDITOR)
    assert answer in text
    assert text.count("\n") == 0


@pytest.mark.parametrize("path", ["/etc/hostname", "/nonexistent/file.html", "../../etc/passwd"])
async def test_preview_and_post_never_read_the_servers_disk(bot: Bot, path: str) -> None:
    # Regression: /preview /some/path read a local file and sent its text to the chat,
    # and /preview /nonexistent revealed whether a path exists. Every path gets the same
    # answer, which names no file content and no "does not exist".
    for command in ("/preview", "/post"):
        bot.send(EDITOR, f"{command} {path}")
        text = await bot.reply(EDITOR)
        assert text == f"Could not do it: {path!r} is neither a link nor an article id: send " \
            "an https://... address or an id from /queue"  # fmt: skip
    assert await bot.app.store.recent_article_ids() == []


async def test_preview_by_article_id_shows_the_stored_article(bot: Bot) -> None:
    bot.send(EDITOR, f"/post {bot.page_url} tg-main")
    await bot.reply(EDITOR)
    [aid] = await bot.app.store.recent_article_ids()
    bot.send(EDITOR, f"/preview {aid}")
    replies = [m.text or "" for m in await bot.replies(EDITOR, 3)]
    assert all("Казахстан и Туркменистан" in r for r in replies)


async def test_preview_shows_each_channel_with_warnings(bot: Bot) -> None:
    bot.send(EDITOR, f"/preview {bot.page_url}")
    replies = [m.text or "" for m in await bot.replies(EDITOR, 3)]
    assert [r.split(" · ")[0] for r in replies] == ["tg-main", "fb-page", "tg-approve"]
    assert "sendPhoto" in replies[0] and "Читать далее" in replies[0]
    assert all("gремьер-министра" in r for r in replies)
    assert await bot.app.store.recent_article_ids() == []  # nothing was posted


async def test_pause_stops_deliveries_status_says_so_and_resume_sends(bot: Bot) -> None:
    bot.send(EDITOR, "/pause")
    assert "Deliveries paused" in await bot.reply(EDITOR)
    bot.send(EDITOR, f"/post {bot.page_url} tg-main")
    await bot.reply(EDITOR)
    [aid] = await bot.app.store.recent_article_ids()
    bot.send(EDITOR, f"/status {aid}")
    status = await bot.reply(EDITOR)
    assert f"Deliveries are paused (@u{EDITOR})" in status and "tg-main: queued" in status
    bot.send(EDITOR, "/queue")
    assert f"{aid} tg-main: queued" in await bot.reply(EDITOR)
    assert bot.sandbox.telegram.posts_in("@newsbot_test") == []
    bot.send(EDITOR, "/resume")
    assert await bot.reply(EDITOR) == "Deliveries resumed."
    await bot.state(aid, "tg-main", State.SENT)


async def test_cancel_retry_and_delete(bot: Bot) -> None:
    bot.send(EDITOR, "/pause")
    await bot.reply(EDITOR)
    bot.send(EDITOR, f"/post {bot.page_url} tg-main fb-page")
    await bot.reply(EDITOR)
    [aid] = await bot.app.store.recent_article_ids()
    bot.send(EDITOR, f"/cancel {aid} fb-page")
    assert await bot.reply(EDITOR) == "fb-page: cancelled"
    bot.send(EDITOR, f"/cancel {aid} nope")
    assert "has no delivery to 'nope'" in await bot.reply(EDITOR)
    bot.send(EDITOR, "/resume")
    await bot.reply(EDITOR)
    await bot.state(aid, "tg-main", State.SENT)
    bot.send(EDITOR, f"/cancel {aid} tg-main")
    assert await bot.reply(EDITOR) == "tg-main: unchanged (now sent)"
    bot.send(EDITOR, f"/retry {aid} fb-page")
    assert await bot.reply(EDITOR) == "fb-page: queued"
    await bot.state(aid, "fb-page", State.SENT)
    bot.send(EDITOR, f"/delete {aid}")
    assert (await bot.reply(EDITOR)).split("\n") == ["tg-main: deleted", "fb-page: deleted"]
    assert bot.sandbox.telegram.posts_in("@newsbot_test") == []
    assert all(post.deleted for post in bot.sandbox.facebook.posts)


async def test_channels_and_stats(bot: Bot) -> None:
    bot.send(EDITOR, f"/post {bot.page_url} tg-main")
    await bot.reply(EDITOR)
    [aid] = await bot.app.store.recent_article_ids()
    await bot.state(aid, "tg-main", State.SENT)
    bot.send(EDITOR, "/channels")
    lines = (await bot.reply(EDITOR)).split("\n")
    assert lines[0].startswith("tg-main (telegram, on) · last post 20")
    assert lines[2].startswith("tg-approve (telegram, on) · last post — · approval")
    bot.send(EDITOR, "/stats")
    assert "tg-main: sent 1" in await bot.reply(EDITOR)


async def audited(bot: Bot, entries: int) -> None:
    """Wait until the audit stream holds `entries` (updates are handled concurrently)."""
    deadline = asyncio.get_running_loop().time() + 15
    while len(await bot.app.store.editors.read_audit()) < entries:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.1)


async def test_a_flood_of_commands_is_stopped(bot: Bot) -> None:
    for _ in range(45):
        bot.send(EDITOR, "/help")
    texts = [m.text for m in await bot.replies(EDITOR, 21)]
    assert texts.count("Too many commands: wait a minute.") == 1
    await audited(bot, 40)
    await bot.quiet(EDITOR, 1.0)  # one notice, not one per command
    outcomes = [e["outcome"] for e in await bot.app.store.editors.read_audit()]
    assert (outcomes.count("allowed"), outcomes.count("flood")) == (20, 20)


async def test_a_stranger_flooding_gets_one_refusal_and_a_bounded_audit(bot: Bot) -> None:
    for _ in range(45):
        bot.send(STRANGER, "/pause")
    assert await bot.reply(STRANGER) == "This bot is for editors only."
    await audited(bot, 40)
    await bot.quiet(STRANGER, 1.0)
    assert len(await bot.app.store.editors.read_audit()) == 40
    assert await bot.app.store.editors.paused_by() is None


async def test_a_stranger_pressing_a_button_is_refused(bot: Bot) -> None:
    bot.send(EDITOR, f"/post {bot.page_url} tg-approve")
    await bot.reply(EDITOR)
    [aid] = await bot.app.store.recent_article_ids()
    [request] = await bot.replies(EDITORS_CHAT)
    markup = request.reply_markup or {}
    publish = markup["inline_keyboard"][0][0]["callback_data"]
    bot.press(STRANGER, request, publish)
    await asyncio.sleep(1)
    [answer] = bot.sandbox.telegram.callback_answers
    assert (answer["text"], answer["show_alert"]) == ("This bot is for editors only.", True)
    [delivery] = await bot.app.store.deliveries(aid)
    assert delivery.state is State.AWAITING_APPROVAL


async def test_texts_are_russian_by_default(redis_server: EmbeddedRedis, sandbox: Sandbox) -> None:
    async with running_bot(redis_server, sandbox, NEWSBOT_LANGUAGE="ru") as bot:
        bot.send(STRANGER, "/help")
        assert await bot.reply(STRANGER) == "Этот бот только для редакторов."
        bot.send(EDITOR, "/retry")
        assert await bot.reply(EDITOR) == "Неверные аргументы: /retry ID [channel]"
        bot.send(EDITOR, "/help")
        assert (await bot.reply(EDITOR)).startswith("Команды\n/post URL|ID [канал ...]")
        bot.send(EDITOR, "/status 0123456789abcdef")
        assert await bot.reply(EDITOR) == (
            "Не получилось: статья '0123456789abcdef' неизвестна: "
            "пришлите её ссылку или id из /queue"
        )


async def test_post_delivers_an_article_a_feed_backfill_only_remembered(bot: Bot) -> None:
    article = await bot.app.editorial.fetch(bot.page_url)
    await bot.app.ingest.submit(article, deliver=False)  # what a feed's backfill does
    assert await bot.app.store.deliveries(article.id) == []
    bot.send(EDITOR, f"/post {bot.page_url} tg-main")
    assert (await bot.reply(EDITOR)).startswith("Article taken")
    await bot.state(article.id, "tg-main", State.SENT)
