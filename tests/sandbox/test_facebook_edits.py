"""Graph edits and deletes over real HTTP: POST /{page-post-id} with `message` edits
the post (a photo post's text too), only with its own Page's token; DELETE removes it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from sandbox import Sandbox

PAGE, TOKEN = "1000001", "EAApage" + "x" * 30
OTHER_PAGE, OTHER_TOKEN = "2000002", "EAAother" + "y" * 30


@pytest.fixture
def sb(sb: Sandbox) -> Sandbox:
    sb.facebook.add_page(PAGE, TOKEN, name="Profit.kz")
    sb.facebook.add_page(OTHER_PAGE, OTHER_TOKEN, name="Другая страница")
    return sb


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def graph(
    http: aiohttp.ClientSession, method: str, endpoint: str, **data: str
) -> tuple[int, dict[str, Any]]:
    async with http.request(method, endpoint, data=data or None) as resp:
        body: dict[str, Any] = await resp.json()
        return resp.status, body


async def post_on_page(sb: Sandbox, http: aiohttp.ClientSession, message: str) -> str:
    status, body = await graph(
        http, "POST", f"{sb.graph_url}/v24.0/{PAGE}/feed", message=message, access_token=TOKEN
    )
    assert status == 200
    post_id: str = body["id"]
    return post_id


async def test_an_edit_is_recorded_and_read_back(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    post_id = await post_on_page(sb, http, "Старый текст")
    sb.facebook.clock_offset = 600
    url = f"{sb.graph_url}/v24.0/{post_id}"
    assert await graph(http, "POST", url, message="Новый текст", access_token=TOKEN) == (
        200,
        {"success": True},
    )
    [post] = sb.facebook.posts_on(PAGE)
    [edit] = post.edits
    assert edit["before"] == {"message": "Старый текст"}
    assert edit["after"] == {"message": "Новый текст"}
    status, read = await graph(
        http, "GET", f"{url}?fields=message,created_time,updated_time&access_token={TOKEN}"
    )
    assert status == 200 and read["message"] == "Новый текст"
    assert read["updated_time"] > read["created_time"]
    # Graph has no "not modified": the same text again is another success.
    assert await graph(http, "POST", url, message="Новый текст", access_token=TOKEN) == (
        200,
        {"success": True},
    )
    assert len(post.edits) == 2


async def test_a_photo_posts_text_is_edited_and_its_image_kept(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    status, body = await graph(
        http,
        "POST",
        f"{sb.graph_url}/v24.0/{PAGE}/photos",
        url="https://profit.kz/i.jpg",
        caption="Подпись",
        access_token=TOKEN,
    )
    assert status == 200
    status, answer = await graph(
        http,
        "POST",
        f"{sb.graph_url}/v24.0/{body['post_id']}",
        message="Новая подпись",
        url="https://profit.kz/other.jpg",
        access_token=TOKEN,
    )
    assert (status, answer) == (200, {"success": True})
    [post] = sb.facebook.posts_on(PAGE)
    assert (post.message, post.photo_url) == ("Новая подпись", "https://profit.kz/i.jpg")


async def test_only_the_pages_own_token_edits_or_deletes(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    post_id = await post_on_page(sb, http, "Пост")
    url = f"{sb.graph_url}/v24.0/{post_id}"
    status, body = await graph(http, "POST", url, message="чужой", access_token=OTHER_TOKEN)
    error = body["error"]
    assert (status, error["code"], error["error_subcode"]) == (400, 100, 33)
    assert error["message"].startswith(f"Unsupported post request. Object with ID '{post_id}'")
    status, body = await graph(http, "DELETE", f"{url}?access_token={OTHER_TOKEN}")
    assert (status, body["error"]["code"], body["error"]["error_subcode"]) == (400, 100, 33)
    assert body["error"]["message"].startswith("Unsupported delete request.")
    [post] = sb.facebook.posts_on(PAGE)
    assert post.message == "Пост" and post.edits == []


async def test_edit_errors(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    post_id = await post_on_page(sb, http, "Пост")
    url = f"{sb.graph_url}/v24.0/{post_id}"
    status, body = await graph(http, "POST", url, access_token=TOKEN)
    assert (status, body["error"]["code"]) == (400, 100)
    assert body["error"]["message"] == "(#100) Missing message or attachment"
    assert await graph(http, "DELETE", f"{url}?access_token={TOKEN}") == (200, {"success": True})
    status, body = await graph(http, "POST", url, message="после удаления", access_token=TOKEN)
    assert (status, body["error"]["code"], body["error"]["error_subcode"]) == (400, 100, 33)
    assert [c.method for c in sb.facebook.calls] == ["feed", "edit", "delete", "edit"]
