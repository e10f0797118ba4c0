"""The Bot API sandbox's edits and deletes through aiogram 3 and raw HTTP: every edit
recorded, "message is not modified", editMessageMedia's rules, the 48-hour rule that
is deleteMessage's only, disable_notification kept per message."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, Message

from sandbox import Sandbox
from tests.sandbox.conftest import TOKEN

CHANNEL = "@profit_test"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
PHOTO, OTHER_PHOTO = "https://profit.kz/img/1.jpg", "https://profit.kz/img/2.jpg"


async def bad_request(call: Any) -> str:
    with pytest.raises(TelegramBadRequest) as info:
        await call
    return info.value.message


async def raw(sb: Sandbox, method: str, **params: Any) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{sb.telegram_base}/bot{TOKEN}/{method}", json=params) as resp,
    ):
        body: dict[str, Any] = await resp.json()
        return body


def edited(result: Message | bool) -> Message:
    assert isinstance(result, Message) and result.edit_date is not None
    return result


async def test_edit_message_text_records_old_and_new_text(bot: Bot, sb: Sandbox) -> None:
    msg = await bot.send_message(CHANNEL, "<b>старый</b>", parse_mode="HTML")
    new = edited(
        await bot.edit_message_text(
            "<b>новый</b>", chat_id=CHANNEL, message_id=msg.message_id, parse_mode="HTML"
        )
    )
    assert new.text == "новый" and new.message_id == msg.message_id
    [post] = sb.telegram.posts_in(CHANNEL)
    assert post.text == "новый" and post.edit_date == new.edit_date
    [edit] = post.edits
    assert edit["method"] == "editMessageText" and edit["at"] == new.edit_date
    assert (edit["before"]["text"], edit["before"]["html"]) == ("старый", "<b>старый</b>")
    assert (edit["after"]["text"], edit["after"]["html"]) == ("новый", "<b>новый</b>")
    again = bot.edit_message_text(
        "<b>новый</b>", chat_id=CHANNEL, message_id=msg.message_id, parse_mode="HTML"
    )
    assert await bad_request(again) == NOT_MODIFIED
    assert len(post.edits) == 1
    # Other entities are a change, even with the same characters.
    await bot.edit_message_text("новый", chat_id=CHANNEL, message_id=msg.message_id)
    assert len(post.edits) == 2 and post.entities == []


async def test_a_new_keyboard_is_a_change_and_omitting_it_removes_it(bot: Bot, sb: Sandbox) -> None:
    msg = await bot.send_message(CHANNEL, "текст")
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Читать", url="https://profit.kz/1")]]
    )
    target: dict[str, Any] = {"chat_id": CHANNEL, "message_id": msg.message_id}
    assert edited(await bot.edit_message_text("текст", reply_markup=keyboard, **target))
    [post] = sb.telegram.posts_in(CHANNEL)
    assert post.reply_markup == keyboard.model_dump(exclude_none=True)
    assert edited(await bot.edit_message_text("текст", **target))
    assert post.reply_markup is None and len(post.edits) == 2


async def test_text_and_caption_edits_need_the_right_kind_of_message(bot: Bot) -> None:
    text = await bot.send_message(CHANNEL, "текст")
    photo = await bot.send_photo(CHANNEL, PHOTO, caption="подпись")
    assert (
        await bad_request(bot.edit_message_text("x", chat_id=CHANNEL, message_id=photo.message_id))
        == "Bad Request: there is no text in the message to edit"
    )
    assert (
        await bad_request(
            bot.edit_message_caption(chat_id=CHANNEL, message_id=text.message_id, caption="x")
        )
        == "Bad Request: there is no caption in the message to edit"
    )
    assert (
        await bad_request(bot.edit_message_text("x", chat_id=CHANNEL, message_id=999))
        == "Bad Request: message to edit not found"
    )
    assert (
        await bad_request(bot.edit_message_text("", chat_id=CHANNEL, message_id=text.message_id))
        == "Bad Request: message text is empty"
    )


async def test_edit_message_caption_records_and_refuses_no_change(bot: Bot, sb: Sandbox) -> None:
    photo = await bot.send_photo(CHANNEL, PHOTO, caption="<i>старая</i>", parse_mode="HTML")
    target: dict[str, Any] = {"chat_id": CHANNEL, "message_id": photo.message_id}
    new = edited(
        await bot.edit_message_caption(caption="<i>новая</i>", parse_mode="HTML", **target)
    )
    assert new.caption == "новая" and new.photo is not None
    [post] = sb.telegram.posts_in(CHANNEL)
    [edit] = post.edits
    assert (edit["method"], edit["before"]["caption"], edit["after"]["caption"]) == (
        "editMessageCaption",
        "старая",
        "новая",
    )
    same = bot.edit_message_caption(caption="<i>новая</i>", parse_mode="HTML", **target)
    assert await bad_request(same) == NOT_MODIFIED
    moved = await bot.edit_message_caption(
        caption="<i>новая</i>", parse_mode="HTML", show_caption_above_media=True, **target
    )
    assert edited(moved).show_caption_above_media is True and len(post.edits) == 2
    too_long = bot.edit_message_caption(caption="ж" * 1025, **target)
    assert await bad_request(too_long) == "Bad Request: message caption is too long"


async def test_channel_posts_are_edited_at_any_age_but_deleted_within_48_hours(
    bot: Bot, sb: Sandbox
) -> None:
    old = await bot.send_message(CHANNEL, "три дня назад")
    recent = await bot.send_message(CHANNEL, "сейчас")
    sb.telegram.posts_in(CHANNEL)[0].date -= 72 * 3600
    assert edited(
        await bot.edit_message_text("исправлено", chat_id=CHANNEL, message_id=old.message_id)
    )
    assert (
        await bad_request(bot.delete_message(CHANNEL, old.message_id))
        == "Bad Request: message can't be deleted"
    )
    assert await bot.delete_message(CHANNEL, recent.message_id) is True
    assert [p.text for p in sb.telegram.posts_in(CHANNEL)] == ["исправлено"]
    assert sb.telegram.posts[1].deleted is True
    assert (
        await bad_request(bot.delete_message(CHANNEL, recent.message_id))
        == "Bad Request: message to delete not found"
    )
    # The sandbox's clock moves too: 48 hours later the old post can't be deleted.
    fresh = await bot.send_message(CHANNEL, "ещё один")
    sb.telegram.clock_offset = 48 * 3600
    assert (
        await bad_request(bot.delete_message(CHANNEL, fresh.message_id))
        == "Bad Request: message can't be deleted"
    )


async def test_disable_notification_is_recorded_per_message(bot: Bot, sb: Sandbox) -> None:
    await bot.send_message(CHANNEL, "тихо", disable_notification=True)
    await bot.send_message(CHANNEL, "громко")
    await bot.send_photo(CHANNEL, PHOTO, disable_notification=True)
    await bot.send_photo(CHANNEL, PHOTO, disable_notification=False)
    assert [p.disable_notification for p in sb.telegram.posts_in(CHANNEL)] == [
        True,
        False,
        True,
        False,
    ]


async def test_edit_message_media_replaces_the_photo_and_caption(bot: Bot, sb: Sandbox) -> None:
    msg = await bot.send_photo(CHANNEL, PHOTO, caption="старая")
    media = InputMediaPhoto(media=OTHER_PHOTO, caption="<b>новая</b>", parse_mode="HTML")
    new = edited(
        await bot.edit_message_media(media=media, chat_id=CHANNEL, message_id=msg.message_id)
    )
    assert new.caption == "новая" and new.caption_entities is not None
    assert new.photo is not None and msg.photo is not None
    assert new.photo[-1].file_id != msg.photo[-1].file_id
    [post] = sb.telegram.posts_in(CHANNEL)
    [edit] = post.edits
    assert edit["method"] == "editMessageMedia"
    assert (edit["before"]["photo"], edit["after"]["photo"]) == (PHOTO, OTHER_PHOTO)
    assert (edit["before"]["caption"], edit["after"]["caption"]) == ("старая", "новая")
    again = bot.edit_message_media(media=media, chat_id=CHANNEL, message_id=msg.message_id)
    assert await bad_request(again) == NOT_MODIFIED
    # The file_id of the answer names the same photo: still nothing to change.
    by_id = InputMediaPhoto(media=new.photo[0].file_id, caption="<b>новая</b>", parse_mode="HTML")
    same = bot.edit_message_media(media=by_id, chat_id=CHANNEL, message_id=msg.message_id)
    assert await bad_request(same) == NOT_MODIFIED
    assert len(post.edits) == 1


async def test_edit_message_media_puts_a_photo_on_a_text_message(bot: Bot, sb: Sandbox) -> None:
    msg = await bot.send_message(CHANNEL, "только текст")
    media = InputMediaPhoto(media=PHOTO, caption="теперь с фото")
    new = edited(
        await bot.edit_message_media(media=media, chat_id=CHANNEL, message_id=msg.message_id)
    )
    assert new.photo is not None and new.caption == "теперь с фото" and new.text is None
    [post] = sb.telegram.posts_in(CHANNEL)
    assert post.edits[0]["before"]["text"] == "только текст" and post.text is None
    # Now a photo message: its caption is edited, its text is not.
    assert edited(
        await bot.edit_message_caption(chat_id=CHANNEL, message_id=msg.message_id, caption="c")
    )
    # Servers before the reference allowed it refused with these words.
    sb.telegram.media_on_text = False
    text = await bot.send_message(CHANNEL, "текст")
    refused = bot.edit_message_media(media=media, chat_id=CHANNEL, message_id=text.message_id)
    assert await bad_request(refused) == "Bad Request: there is no media in the message to edit"


async def test_edit_message_media_checks_the_url_and_caption_like_send_photo(
    bot: Bot, sb: Sandbox
) -> None:
    msg = await bot.send_photo(CHANNEL, PHOTO, caption="подпись")
    target: dict[str, Any] = {"chat_id": CHANNEL, "message_id": msg.message_id}
    sb.telegram.unreachable_urls.add("https://e.kz/gone.jpg")
    sb.telegram.wrong_type_urls.add("https://e.kz/page.html")
    cases = {
        "https://e.kz/gone.jpg": "Bad Request: failed to get HTTP URL content",
        "https://e.kz/page.html": "Bad Request: wrong type of the web page content",
        "no-such-file-id": "Bad Request: wrong file identifier/HTTP URL specified",
    }
    for url, error in cases.items():
        media = InputMediaPhoto(media=url, caption="x")
        assert await bad_request(bot.edit_message_media(media=media, **target)) == error
    long = InputMediaPhoto(media=OTHER_PHOTO, caption="ж" * 1025)
    assert (
        await bad_request(bot.edit_message_media(media=long, **target))
        == "Bad Request: message caption is too long"
    )
    fits = InputMediaPhoto(
        media=OTHER_PHOTO, caption="<b>" + "ж" * 1024 + "</b>", parse_mode="HTML"
    )
    assert edited(await bot.edit_message_media(media=fits, **target)).caption == "ж" * 1024
    missing = InputMediaPhoto(media=PHOTO, caption="x")
    assert (
        await bad_request(bot.edit_message_media(media=missing, chat_id=CHANNEL, message_id=99))
        == "Bad Request: message to edit not found"
    )
    [post] = sb.telegram.posts_in(CHANNEL)
    assert len(post.edits) == 1 and post.photo == OTHER_PHOTO


async def test_edit_message_media_parameter_errors_are_the_servers(sb: Sandbox) -> None:
    sent = await raw(sb, "sendPhoto", chat_id=CHANNEL, photo=PHOTO)
    target: dict[str, Any] = {"chat_id": CHANNEL, "message_id": sent["result"]["message_id"]}
    cases: list[tuple[Any, str]] = [
        (None, 'Bad Request: parameter "media" is required'),
        ("{not json", "Bad Request: can't parse input media JSON object"),
        ("[1]", "Bad Request: can't parse InputMedia: expected an Object"),
        ({"type": "photo"}, "Bad Request: can't parse InputMedia: media not found"),
        (
            {"type": "photo", "media": "attach://nothing"},
            "Bad Request: can't parse InputMedia: media not found",
        ),
        ({"media": PHOTO}, "Bad Request: can't parse InputMedia: Can't find field \"type\""),
        (
            {"type": "sticker", "media": PHOTO},
            'Bad Request: can\'t parse InputMedia: type "sticker" is unsupported',
        ),
        (
            {"type": "photo", "media": PHOTO, "caption": "a <p>", "parse_mode": "HTML"},
            "Bad Request: can't parse InputMedia: Can't parse entities: "
            'Unsupported start tag "p" at byte offset 2',
        ),
    ]
    for media, error in cases:
        params = dict(target) if media is None else {**target, "media": media}
        body = await raw(sb, "editMessageMedia", **params)
        assert (body["ok"], body["error_code"], body["description"]) == (False, 400, error)


async def test_edit_message_media_with_an_uploaded_file(sb: Sandbox) -> None:
    sent = await raw(sb, "sendPhoto", chat_id=CHANNEL, photo=PHOTO)
    form = aiohttp.FormData()
    form.add_field("chat_id", CHANNEL)
    form.add_field("message_id", str(sent["result"]["message_id"]))
    form.add_field("media", '{"type": "photo", "media": "attach://cover", "caption": "c"}')
    form.add_field("cover", b"\xff\xd8 jpeg bytes", filename="cover.jpg")
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{sb.telegram_base}/bot{TOKEN}/editMessageMedia", data=form) as resp,
    ):
        body = await resp.json()
    assert body["ok"] is True and body["result"]["caption"] == "c"
    assert sb.telegram.posts_in(CHANNEL)[0].photo == "upload:cover.jpg:13"
