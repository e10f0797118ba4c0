"""What `newsbot doctor` asks the sandbox, answered as the platforms document it: the
bot's rights in a chat (getChatMember) as an owner changes them, a revoked bot token
(401 Unauthorized), and Page tokens whose debug_token says when they expire, what type
they are and what they may do; an expired Page token stops working (190/463)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramUnauthorizedError

from sandbox import Sandbox
from tests.sandbox.conftest import TOKEN as BOT_TOKEN

PAGE, PAGE_TOKEN = "1000001", "EAApage" + "x" * 30
APP_TOKEN = "900000000000009|sandbox-app-secret"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_get_chat_member_shows_the_rights_an_owner_gives_and_takes(
    bot: Bot, sb: Sandbox
) -> None:
    sb.telegram.add_chat("@rights_channel")
    member = await bot.get_chat_member("@rights_channel", 123456)
    rights = (member.can_post_messages, member.can_edit_messages, member.can_delete_messages)  # type: ignore[union-attr]
    assert (member.status, rights) == ("administrator", (True, True, True))
    sb.telegram.set_rights("@rights_channel", can_edit=False, can_delete=False)
    member = await bot.get_chat_member("@rights_channel", 123456)
    rights = (member.can_post_messages, member.can_edit_messages, member.can_delete_messages)  # type: ignore[union-attr]
    assert rights == (True, False, False)
    sb.telegram.set_rights("@rights_channel", kicked=True)
    member = await bot.get_chat_member("@rights_channel", 123456)
    assert member.status == "kicked"
    with pytest.raises(TypeError, match="not a right"):
        sb.telegram.set_rights("@rights_channel", can_fly=True)


async def test_a_group_admin_has_no_channel_only_rights(bot: Bot, sb: Sandbox) -> None:
    sb.telegram.add_chat(-1009876543210, kind="supergroup", title="Group")
    member = await bot.get_chat_member(-1009876543210, 123456)
    assert member.status == "administrator"
    assert member.can_post_messages is None and member.can_edit_messages is None  # type: ignore[union-attr]


async def test_a_revoked_bot_token_answers_401_unauthorized(bot: Bot, sb: Sandbox) -> None:
    assert (await bot.get_me()).id == 123456
    sb.telegram.revoke_token(BOT_TOKEN)
    with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
        await bot.get_me()
    assert sb.telegram.calls[-1].status == 401


async def debug(http: aiohttp.ClientSession, sb: Sandbox, access: str) -> tuple[int, Any]:
    url = f"{sb.graph_url}/v24.0/debug_token"
    headers = {"Authorization": f"Bearer {access}"}
    async with http.get(url, params={"input_token": PAGE_TOKEN}, headers=headers) as resp:
        return resp.status, await resp.json()


async def test_debug_token_tells_expiry_type_and_scopes_as_configured(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    soon = int(time.time()) + 3 * 86400
    sb.facebook.add_page(PAGE, PAGE_TOKEN, expires_at=soon, scopes=("pages_manage_posts",))
    status, body = await debug(http, sb, PAGE_TOKEN)  # a Page token may inspect itself
    data = body["data"]
    assert status == 200
    assert (data["is_valid"], data["type"], data["profile_id"]) == (True, "PAGE", PAGE)
    assert (data["expires_at"], data["scopes"]) == (soon, ["pages_manage_posts"])
    assert data["granular_scopes"] == [{"scope": "pages_manage_posts", "target_ids": [PAGE]}]
    sb.facebook.add_page(PAGE, PAGE_TOKEN, token_type="USER")
    _, body = await debug(http, sb, APP_TOKEN)
    assert body["data"]["type"] == "USER" and "profile_id" not in body["data"]


async def test_an_expired_page_token_stops_working(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    sb.facebook.add_page(PAGE, PAGE_TOKEN, expires_at=int(time.time()) + 3600)
    sb.facebook.clock_offset = 7200  # two hours later
    _, body = await debug(http, sb, APP_TOKEN)
    assert body["data"]["is_valid"] is False and body["data"]["error"]["subcode"] == 463
    status, body = await debug(http, sb, PAGE_TOKEN)  # inspecting itself: refused outright
    assert (status, body["error"]["code"], body["error"]["error_subcode"]) == (400, 190, 463)
    form = {"message": "x", "access_token": PAGE_TOKEN}
    async with http.post(f"{sb.graph_url}/v24.0/{PAGE}/feed", data=form) as resp:
        error = (await resp.json())["error"]
    assert (error["code"], error["error_subcode"]) == (190, 463)
    assert error["message"] == "Error validating access token: Session has expired."
