"""The Graph API sandbox over real HTTP: publish, edit, delete, read, debug_token,
errors and usage headers."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from sandbox import Sandbox

PAGE, TOKEN = "1000001", "EAApage" + "x" * 30
APP_TOKEN = "900000000000009|sandbox-app-secret"


@pytest.fixture
def sb(sb: Sandbox) -> Sandbox:
    sb.facebook.add_page(PAGE, TOKEN, name="Profit.kz")
    return sb


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> tuple[int, dict[str, Any], dict[str, str]]:
    async with http.request(method, url, **kwargs) as resp:
        return resp.status, await resp.json(), dict(resp.headers)


async def test_feed_post_edit_delete(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    base = f"{sb.graph_url}/v24.0"
    status, body, headers = await call(
        http,
        "POST",
        f"{base}/{PAGE}/feed",
        data={"message": "Новость дня", "link": "https://profit.kz/news/1", "access_token": TOKEN},
    )
    assert status == 200 and body["id"].startswith(f"{PAGE}_")
    assert headers["facebook-api-version"] == "v24.0"
    [post] = sb.facebook.posts_on(PAGE)
    assert (post.id, post.message, post.link, post.published) == (
        body["id"],
        "Новость дня",
        "https://profit.kz/news/1",
        True,
    )
    auth = {"Authorization": f"Bearer {TOKEN}"}
    status, body, _ = await call(
        http, "POST", f"{base}/{post.id}", json={"message": "Исправлено"}, headers=auth
    )
    assert (status, body) == (200, {"success": True})
    assert post.message == "Исправлено" and post.edits[0]["before"] == {"message": "Новость дня"}
    status, body, _ = await call(
        http, "DELETE", f"{base}/{post.id}", params={"access_token": TOKEN}
    )
    assert (status, body) == (200, {"success": True})
    assert sb.facebook.posts_on(PAGE) == [] and post.deleted
    status, body, _ = await call(
        http, "DELETE", f"{base}/{post.id}", params={"access_token": TOKEN}
    )
    assert status == 400
    assert body["error"]["message"].startswith(
        f"Unsupported delete request. Object with ID '{post.id}' does not exist"
    )
    assert (body["error"]["code"], body["error"]["error_subcode"], body["error"]["type"]) == (
        100,
        33,
        "GraphMethodException",
    )


async def test_photos_and_versionless_paths(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    status, body, headers = await call(
        http,
        "POST",
        f"{sb.graph_url}/{PAGE}/photos",
        data={"url": "https://profit.kz/i.jpg", "caption": "Фото", "access_token": TOKEN},
    )
    assert status == 200 and set(body) == {"id", "post_id"}
    assert headers["facebook-api-version"] == "v24.0"
    [post] = sb.facebook.posts_on(PAGE)
    assert (post.id, post.photo_id, post.photo_url, post.message) == (
        body["post_id"],
        body["id"],
        "https://profit.kz/i.jpg",
        "Фото",
    )
    _, old, headers = await call(
        http, "GET", f"{sb.graph_url}/v2.0/{post.id}", params={"access_token": TOKEN}
    )
    assert (
        headers["facebook-api-version"] == "v24.0"
    )  # an expired version is served by the oldest live one
    assert old["id"] == post.id
    status, body, _ = await call(
        http, "POST", f"{sb.graph_url}/{PAGE}/photos", data={"access_token": TOKEN}
    )
    assert (status, body["error"]["code"]) == (400, 324)


async def test_read_feed_newest_first_with_the_link(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    sb.facebook.add_post(PAGE, "старый пост другого приложения", created_time=time.time() - 7200)
    for i in range(3):
        await call(
            http,
            "POST",
            f"{sb.graph_url}/v24.0/{PAGE}/feed",
            data={"message": f"пост {i}", "link": f"https://profit.kz/{i}", "access_token": TOKEN},
        )
        sb.facebook.posts[-1].created_time -= 10 - i  # distinct seconds
    params = {
        "fields": "id,message,created_time,permalink_url,attachments{unshimmed_url,url}",
        "limit": "2",
        "access_token": TOKEN,
    }
    status, body, _ = await call(http, "GET", f"{sb.graph_url}/v24.0/{PAGE}/feed", params=params)
    assert status == 200
    assert [p["message"] for p in body["data"]] == ["пост 2", "пост 1"]
    first = body["data"][0]
    assert first["attachments"]["data"][0]["unshimmed_url"] == "https://profit.kz/2"
    assert first["attachments"]["data"][0]["url"].startswith(
        "https://l.facebook.com/l.php?u=https%3A%2F%2Fprofit.kz%2F2"
    )
    assert (
        first["permalink_url"]
        == f"https://www.facebook.com/{PAGE}/posts/{first['id'].split('_')[1]}"
    )
    assert first["created_time"].endswith("+0000")
    _, more, _ = await call(http, "GET", body["paging"]["next"], params={"access_token": TOKEN})
    assert [p["message"] for p in more["data"]] == ["пост 0", "старый пост другого приложения"]
    since = {"since": str(int(time.time()) - 3600), "access_token": TOKEN}
    _, recent, _ = await call(http, "GET", f"{sb.graph_url}/{PAGE}/feed", params=since)
    assert len(recent["data"]) == 3 and set(recent["data"][0]) == {"id", "message", "created_time"}
    status, body, _ = await call(
        http, "GET", f"{sb.graph_url}/{PAGE}/feed", params={"fields": "link", "access_token": TOKEN}
    )
    assert (status, body["error"]["code"]) == (400, 12)


async def test_other_apps_posts_cannot_be_edited(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    foreign = sb.facebook.add_post(PAGE, "пост человека")
    status, body, _ = await call(
        http, "POST", f"{sb.graph_url}/{foreign.id}", data={"message": "x", "access_token": TOKEN}
    )
    assert (status, body["error"]["code"], body["error"]["error_subcode"]) == (400, 100, 33)
    assert body["error"]["message"].startswith("Unsupported post request.")


async def test_token_errors(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    feed = f"{sb.graph_url}/v24.0/{PAGE}/feed"
    status, body, headers = await call(http, "POST", feed, data={"message": "x"})
    assert status == 400
    assert body["error"]["message"] == "An access token is required to request this resource."
    assert body["error"]["code"] == 104 and body["error"]["fbtrace_id"]
    status, body, headers = await call(
        http, "POST", feed, data={"message": "x", "access_token": "junk"}
    )
    assert status == 400 and "WWW-Authenticate" in headers
    assert body == {
        "error": {
            "message": "Invalid OAuth access token - Cannot parse access token",
            "type": "OAuthException",
            "code": 190,
            "fbtrace_id": body["error"]["fbtrace_id"],
        }
    }
    sb.facebook.invalidate_token(TOKEN)
    status, body, _ = await call(http, "POST", feed, data={"message": "x", "access_token": TOKEN})
    assert (body["error"]["code"], body["error"]["error_subcode"]) == (190, 460)
    assert "changed their password" in body["error"]["message"]
    assert sb.facebook.posts == []


async def test_validation_errors(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    feed = f"{sb.graph_url}/v24.0/{PAGE}/feed"
    status, body, _ = await call(http, "POST", feed, data={"access_token": TOKEN})
    assert (status, body["error"]["code"], body["error"]["message"]) == (
        400,
        100,
        "(#100) Missing message or attachment",
    )
    status, body, _ = await call(
        http, "POST", feed, data={"link": "not a url", "access_token": TOKEN}
    )
    assert (status, body["error"]["code"]) == (400, 100)
    await call(http, "POST", feed, data={"message": "одно и то же", "access_token": TOKEN})
    status, body, _ = await call(
        http, "POST", feed, data={"message": "одно и то же", "access_token": TOKEN}
    )
    error = body["error"]
    assert (status, error["code"], error["error_subcode"], error["message"]) == (
        400,
        506,
        1455006,
        "Duplicate status message",
    )
    assert error["error_user_title"] == "Duplicate Status Update" and error["is_transient"] is False
    assert list(error) == [
        "message",
        "type",
        "code",
        "error_subcode",
        "is_transient",
        "error_user_title",
        "error_user_msg",
        "fbtrace_id",
    ]
    sb.facebook.unscrapable_urls.add("https://profit.kz/broken")
    _, body, _ = await call(
        http, "POST", feed, data={"link": "https://profit.kz/broken", "access_token": TOKEN}
    )
    assert (body["error"]["code"], body["error"]["error_subcode"]) == (100, 1609005)
    assert len(sb.facebook.posts_on(PAGE)) == 1


async def test_scheduled_posts(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    feed = f"{sb.graph_url}/v24.0/{PAGE}/feed"
    in_an_hour = str(int(time.time()) + 3600)
    data = {
        "message": "позже",
        "published": "false",
        "scheduled_publish_time": in_an_hour,
        "access_token": TOKEN,
    }
    status, body, _ = await call(http, "POST", feed, data=data)
    assert status == 200 and sb.facebook.posts[0].scheduled_publish_time == int(in_an_hour)
    _, listed, _ = await call(http, "GET", feed, params={"access_token": TOKEN})
    assert listed["data"] == []  # not in the feed until due
    too_soon = {**data, "scheduled_publish_time": str(int(time.time()) + 60)}
    status, body, _ = await call(http, "POST", feed, data=too_soon)
    assert (status, body["error"]["message"]) == (
        400,
        "(#100) The specified scheduled publish time is invalid.",
    )
    sb.facebook.clock_offset = 7200
    _, listed, _ = await call(http, "GET", feed, params={"access_token": TOKEN})
    assert [p["message"] for p in listed["data"]] == ["позже"]


async def test_debug_token(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    url = f"{sb.graph_url}/v24.0/debug_token"
    status, body, _ = await call(
        http, "GET", url, params={"input_token": TOKEN, "access_token": APP_TOKEN}
    )
    data = body["data"]
    assert status == 200
    assert (data["is_valid"], data["type"], data["expires_at"], data["profile_id"]) == (
        True,
        "PAGE",
        0,
        PAGE,
    )
    assert data["app_id"] == "900000000000009" and data["data_access_expires_at"] > time.time()
    assert set(data["scopes"]) == {"pages_manage_posts", "pages_read_engagement"}
    sb.facebook.invalidate_token(TOKEN, subcode=463)
    _, body, _ = await call(
        http, "GET", url, params={"input_token": TOKEN, "access_token": APP_TOKEN}
    )
    assert body["data"]["is_valid"] is False and body["data"]["error"]["subcode"] == 463
    _, body, _ = await call(
        http, "GET", url, params={"input_token": "junk", "access_token": APP_TOKEN}
    )
    assert body["data"]["is_valid"] is False
    status, body, _ = await call(
        http, "GET", url, params={"input_token": TOKEN, "access_token": "1|wrong"}
    )
    assert (status, body["error"]["code"]) == (400, 190)


async def test_missing_scope_is_a_permission_error(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    sb.facebook.add_page("2000002", "EAAreadonly" + "y" * 20, scopes=("pages_read_engagement",))
    status, body, _ = await call(
        http,
        "POST",
        f"{sb.graph_url}/2000002/feed",
        data={"message": "x", "access_token": "EAAreadonly" + "y" * 20},
    )
    assert (status, body["error"]["code"]) == (400, 200)
    assert "pages_manage_posts" in body["error"]["message"]


async def test_unknown_pages_are_created_unless_strict(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await call(
        http,
        "POST",
        f"{sb.graph_url}/v24.0/3000003/feed",
        data={"message": "x", "access_token": "EAAnew" + "z" * 20},
    )
    assert status == 200 and sb.facebook.pages["3000003"].token == "EAAnew" + "z" * 20
    sb.facebook.strict_pages = True
    status, body, _ = await call(
        http,
        "POST",
        f"{sb.graph_url}/v24.0/4000004/feed",
        data={"message": "x", "access_token": "EAAnew" + "z" * 20},
    )
    assert (status, body["error"]["code"]) == (400, 100)


async def test_usage_headers_climb_to_the_page_limit(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    sb.facebook.calls_per_hour = 4
    feed = f"{sb.graph_url}/v24.0/{PAGE}/feed"
    seen: list[int] = []
    for i in range(4):
        status, _, headers = await call(
            http, "POST", feed, data={"message": f"m{i}", "access_token": TOKEN}
        )
        assert status == 200
        usage = json.loads(headers["X-Business-Use-Case-Usage"])[PAGE][0]
        seen.append(usage["call_count"])
        assert usage["type"] == "pages"
        assert set(json.loads(headers["X-App-Usage"])) == {
            "call_count",
            "total_time",
            "total_cputime",
        }
    assert seen == [25, 50, 75, 100]
    assert usage["estimated_time_to_regain_access"] == 60
    status, body, headers = await call(
        http, "POST", feed, data={"message": "m4", "access_token": TOKEN}
    )
    assert (status, body["error"]["code"], body["error"]["message"]) == (
        400,
        32,
        "(#32) Page request limit reached",
    )
    assert json.loads(headers["X-Business-Use-Case-Usage"])[PAGE][0]["call_count"] == 100
    assert len(sb.facebook.posts_on(PAGE)) == 4
    sb.facebook.usage_window = 0.2  # the hour, shrunk: the budget comes back
    await asyncio.sleep(0.25)
    status, _, headers = await call(
        http, "POST", feed, data={"message": "m5", "access_token": TOKEN}
    )
    assert (
        status == 200
        and json.loads(headers["X-Business-Use-Case-Usage"])[PAGE][0]["call_count"] == 25
    )


async def test_app_limit_is_code_4(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    sb.facebook.app_calls_per_hour = 1
    await call(http, "GET", f"{sb.graph_url}/{PAGE}/feed", params={"access_token": TOKEN})
    status, body, headers = await call(
        http, "GET", f"{sb.graph_url}/{PAGE}/feed", params={"access_token": TOKEN}
    )
    assert (status, body["error"]["code"], body["error"]["message"]) == (
        400,
        4,
        "(#4) Application request limit reached",
    )
    assert json.loads(headers["X-App-Usage"])["call_count"] == 100


async def test_unknown_path(sb: Sandbox, http: aiohttp.ClientSession) -> None:
    status, body, _ = await call(
        http, "GET", f"{sb.graph_url}/v24.0/{PAGE}/insights/x", params={"access_token": TOKEN}
    )
    assert (status, body["error"]["code"]) == (400, 2500)
