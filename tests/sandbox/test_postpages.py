"""The sandbox's public post pages (sandbox/postpages.py): the t.me and facebook.com
links of the posts it holds, followed over real HTTP."""

from __future__ import annotations

from typing import Any

import aiohttp

from sandbox import Sandbox
from tests.conftest import BOT_TOKEN, PAGE_ID, PAGE_TOKEN


async def call(url: str, **params: Any) -> dict[str, Any]:
    async with aiohttp.ClientSession() as client, client.post(url, data=params) as r:
        answer: dict[str, Any] = await r.json()
        return answer


async def page(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as client, client.get(url) as r:
        return r.status, await r.text()


async def test_telegram_posts_have_pages_at_their_t_me_paths(sandbox: Sandbox) -> None:
    bot = f"{sandbox.telegram_base}/bot{BOT_TOKEN}"
    sandbox.telegram.add_chat("@newsbot_pages")
    sandbox.telegram.add_chat("-1001234567890")
    sent = await call(
        f"{bot}/sendMessage", chat_id="@newsbot_pages", parse_mode="HTML",
        text="<b>Заголовок</b> &lt;script&gt;alert(1)&lt;/script&gt;\nвторая строка",
    )  # fmt: skip
    number = sent["result"]["message_id"]
    links = sandbox.post_pages.telegram_links
    status, text = await page(f"{links}/newsbot_pages/{number}")
    assert status == 200
    assert "@newsbot_pages · post" in text
    assert "Заголовок &lt;script&gt;alert(1)&lt;/script&gt;<br>вторая строка" in text
    assert "<script>" not in text and "<b>" not in text  # shown as a reader sees it
    private = await call(f"{bot}/sendMessage", chat_id="-1001234567890", text="Закрытый канал")
    status, text = await page(f"{links}/c/1234567890/{private['result']['message_id']}")
    assert status == 200 and "Закрытый канал" in text
    assert (await page(f"{links}/newsbot_pages/{number + 50}"))[0] == 404
    await call(f"{bot}/deleteMessage", chat_id="@newsbot_pages", message_id=number)
    status, text = await page(f"{links}/newsbot_pages/{number}")
    assert status == 410 and "deleted" in text


async def test_facebook_posts_have_pages_at_their_post_ids(sandbox: Sandbox) -> None:
    sandbox.facebook.add_page(PAGE_ID, PAGE_TOKEN)
    graph = f"{sandbox.graph_url}/v24.0"
    made = await call(
        f"{graph}/{PAGE_ID}/feed", access_token=PAGE_TOKEN,
        message="Новость <b>дня</b>", link="https://profit.kz/news/1/",
    )  # fmt: skip
    links = sandbox.post_pages.facebook_links
    status, text = await page(f"{links}/{made['id']}")
    assert status == 200
    assert "Новость &lt;b&gt;дня&lt;/b&gt;" in text
    assert '<a href="https://profit.kz/news/1/">' in text
    assert (await page(f"{links}/{PAGE_ID}_999"))[0] == 404
