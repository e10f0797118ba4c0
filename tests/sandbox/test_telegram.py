"""The Bot API sandbox through aiogram 3, over real HTTP."""

from __future__ import annotations

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    MessageEntity,
)

from sandbox import Sandbox
from tests.sandbox.conftest import TOKEN

CHANNEL = "@profit_test"


async def test_send_message_returns_a_channel_message_and_records_it(bot: Bot, sb: Sandbox) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Читать", url="https://profit.kz/1")]]
    )
    msg = await bot.send_message(
        CHANNEL,
        "<b>Заголовок</b>\nЛид статьи https://profit.kz/news/1 #IT",
        parse_mode="HTML",
        link_preview_options=LinkPreviewOptions(
            url="https://profit.kz/news/1", prefer_large_media=True
        ),
        reply_markup=markup,
        disable_notification=True,
    )
    assert msg.chat.type == "channel" and msg.chat.username == "profit_test"
    assert msg.chat.id < -1000000000000 and msg.sender_chat is not None
    assert msg.text == "Заголовок\nЛид статьи https://profit.kz/news/1 #IT"
    assert msg.entities is not None
    assert [(e.type, e.offset, e.length) for e in msg.entities] == [
        ("bold", 0, 9),
        ("url", 21, 24),
        ("hashtag", 46, 3),
    ]
    assert msg.link_preview_options is not None and msg.link_preview_options.prefer_large_media
    assert msg.reply_markup is not None
    assert msg.reply_markup.model_dump(exclude_none=True) == markup.model_dump(exclude_none=True)
    [post] = sb.telegram.posts_in(CHANNEL)
    assert post.message_id == msg.message_id and post.html.startswith("<b>Заголовок</b>")
    assert post.text == msg.text and post.disable_notification is True
    assert post.reply_markup == markup.model_dump(exclude_none=True)
    # The id is stable: the same channel by id is the same chat.
    again = await bot.send_message(msg.chat.id, "второй")
    assert again.message_id == msg.message_id + 1
    assert [p.text for p in sb.telegram.posts_in(msg.chat.id)] == [msg.text, "второй"]


async def test_send_photo_with_caption_entities(bot: Bot, sb: Sandbox) -> None:
    msg = await bot.send_photo(
        CHANNEL, "https://profit.kz/img/1.jpg", caption="<i>Подпись</i>", parse_mode="HTML"
    )
    assert msg.photo and msg.photo[-1].width == 1280
    assert msg.caption == "Подпись"
    assert msg.caption_entities is not None and msg.caption_entities[0].type == "italic"
    post = sb.telegram.posts_in(CHANNEL)[0]
    assert (post.method, post.photo, post.caption) == (
        "sendPhoto",
        "https://profit.kz/img/1.jpg",
        "Подпись",
    )
    # The file_id of the answer can be sent again.
    again = await bot.send_photo(CHANNEL, msg.photo[-1].file_id)
    assert again.photo is not None and again.photo[0].file_id == msg.photo[0].file_id


async def test_limits_count_code_points_after_parsing(bot: Bot) -> None:
    await bot.send_message(CHANNEL, "<b>" + "я" * 4096 + "</b>", parse_mode="HTML")
    await bot.send_message(CHANNEL, "😀" * 4096)  # astral characters count once
    with pytest.raises(TelegramBadRequest) as info:
        await bot.send_message(CHANNEL, "я" * 4097)
    assert info.value.message == "Bad Request: message is too long"
    await bot.send_photo(
        CHANNEL, "https://e.kz/p.jpg", caption="<b>" + "ж" * 1024 + "</b>", parse_mode="HTML"
    )
    with pytest.raises(TelegramBadRequest, match="Bad Request: message caption is too long"):
        await bot.send_photo(CHANNEL, "https://e.kz/p.jpg", caption="ж" * 1025)
    with pytest.raises(TelegramBadRequest, match="Bad Request: text is too long"):
        await bot.send_message(CHANNEL, "<b></b>" * 4700, parse_mode="HTML")  # 32 900 bytes
    with pytest.raises(TelegramBadRequest, match="Bad Request: message text is empty"):
        await bot.send_message(CHANNEL, "<b> </b>\n", parse_mode="HTML")


async def test_explicit_entities_without_parse_mode(bot: Bot) -> None:
    bold = MessageEntity(type="bold", offset=2, length=6)
    msg = await bot.send_message(CHANNEL, "  жирный \n", entities=[bold])
    assert msg.text == "жирный"
    assert msg.entities is not None and (msg.entities[0].offset, msg.entities[0].length) == (0, 6)


async def test_html_errors_and_parse_mode(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest) as info:
        await bot.send_message(CHANNEL, "Привет <p>", parse_mode="HTML")
    assert (
        info.value.message
        == 'Bad Request: can\'t parse entities: Unsupported start tag "p" at byte offset 13'
    )
    with pytest.raises(TelegramBadRequest, match="Bad Request: unsupported parse_mode"):
        await bot.send_message(CHANNEL, "x", parse_mode="BBCode")


async def test_at_most_100_entities_are_kept(bot: Bot, sb: Sandbox) -> None:
    msg = await bot.send_message(CHANNEL, "<b>x</b> " * 150, parse_mode="HTML")
    assert msg.entities is not None and len(msg.entities) == 100
    assert msg.entities[-1].offset == 99 * 2
    assert len(sb.telegram.posts_in(CHANNEL)[0].entities) == 100


async def test_rate_limit_answers_429_with_retry_after(bot: Bot, sb: Sandbox) -> None:
    sb.telegram.rate_limit = (2, 60.0)
    await bot.send_message(CHANNEL, "1")
    await bot.send_message(CHANNEL, "2")
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(CHANNEL, "3")
    assert info.value.retry_after in (59, 60)
    await bot.send_message("@other_channel", "another chat has its own window")
    call = sb.telegram.calls[-2]
    assert (call.method, call.status, call.chat_id) == ("sendMessage", 429, CHANNEL)
    assert call.error == f"Too Many Requests: retry after {info.value.retry_after}"
    assert len(sb.telegram.posts_in(CHANNEL)) == 2


async def test_429_body_is_the_real_one(sb: Sandbox) -> None:
    sb.telegram.bot_rate_limit = (1, 30.0)
    async with aiohttp.ClientSession() as http:
        url = f"{sb.telegram_base}/bot{TOKEN}/sendMessage"
        async with http.post(url, json={"chat_id": CHANNEL, "text": "a"}) as resp:
            assert resp.status == 200
        async with http.post(url, data={"chat_id": "@x_channel", "text": "b"}) as resp:
            body = await resp.json()
            assert resp.status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 30",
        "parameters": {"retry_after": 30},
    }


async def test_tokens_and_unknown_methods(sb: Sandbox) -> None:
    sb.telegram.valid_tokens = {TOKEN}
    api = TelegramAPIServer.from_base(sb.telegram_base)
    wrong = Bot("654321:" + "B" * 35, session=AiohttpSession(api=api))
    try:
        with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
            await wrong.get_me()
    finally:
        await wrong.session.close()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sb.telegram_base}/botnot-a-token/getMe") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with http.get(f"{sb.telegram_base}/bot{TOKEN}/GETME") as resp:
            assert (await resp.json())["result"]["id"] == 123456
        async with http.get(f"{sb.telegram_base}/bot{TOKEN}/sendSticker") as resp:
            assert resp.status == 404


async def test_chat_rights_errors(bot: Bot, sb: Sandbox) -> None:
    sb.telegram.add_chat("@left_channel", member=False)
    sb.telegram.add_chat("@readonly_channel", can_post=False)
    with pytest.raises(
        TelegramForbiddenError, match="Forbidden: bot is not a member of the channel chat"
    ):
        await bot.send_message("@left_channel", "x")
    with pytest.raises(
        TelegramBadRequest, match="Bad Request: need administrator rights in the channel chat"
    ):
        await bot.send_message("@readonly_channel", "x")
    sb.telegram.strict_chats = True
    with pytest.raises(TelegramBadRequest) as info:
        await bot.send_message("@nobody_here", "x")
    assert info.value.message == "Bad Request: chat not found"
    member = await bot.get_chat_member("@readonly_channel", 123456)
    assert member.status == ChatMemberStatus.ADMINISTRATOR
    assert member.can_post_messages is False  # type: ignore[union-attr]
    left = await bot.get_chat_member("@left_channel", 123456)
    assert left.status == ChatMemberStatus.LEFT
    chat = await bot.get_chat("@readonly_channel")
    assert (chat.type, chat.username) == ("channel", "readonly_channel")


async def test_private_chats_get_replies(bot: Bot, sb: Sandbox) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot) == (123456, True)
    msg = await bot.send_message(42, "ответ редактору")
    assert msg.chat.type == "private" and msg.from_user is not None and msg.from_user.is_bot
    assert sb.telegram.posts_in(42)[0].text == "ответ редактору"


async def test_unreachable_photo_url(bot: Bot, sb: Sandbox) -> None:
    sb.telegram.unreachable_urls.add("https://e.kz/gone.jpg")
    with pytest.raises(TelegramBadRequest, match="Bad Request: failed to get HTTP URL content"):
        await bot.send_photo(CHANNEL, "https://e.kz/gone.jpg")
    with pytest.raises(
        TelegramBadRequest, match="Bad Request: wrong file identifier/HTTP URL specified"
    ):
        await bot.send_photo(CHANNEL, "no-such-file-id")
    assert sb.telegram.posts == []
    assert [c.status for c in sb.telegram.calls] == [400, 400]


async def test_not_found_for_other_paths(sb: Sandbox) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{sb.telegram_base}/file/x") as resp:
        assert resp.status == 404


async def test_multipart_form_and_query_parameters(sb: Sandbox) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", CHANNEL)
    form.add_field("caption", "<b>c</b>")
    form.add_field("parse_mode", "HTML")
    form.add_field("photo", b"\xff\xd8 jpeg bytes", filename="cover.jpg")
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sb.telegram_base}/bot{TOKEN}/sendPhoto", data=form) as resp:
            assert (await resp.json())["result"]["caption"] == "c"
        query = {"chat_id": CHANNEL, "text": "из query"}
        async with http.get(f"{sb.telegram_base}/bot{TOKEN}/sendMessage", params=query) as resp:
            assert (await resp.json())["result"]["text"] == "из query"
    assert sb.telegram.posts[0].photo == "upload:cover.jpg:13"
