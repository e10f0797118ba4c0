"""Public pages of the posts the sandbox holds: what t.me/<channel>/<id> and
facebook.com/<post-id> show for a real post, so a post link in the tests, the demo and
the delivery board can be followed. newsbot builds the links from
TELEGRAM_POST_LINK_BASE and FACEBOOK_POST_LINK_BASE; point them at `telegram_links` and
`facebook_links`.

- `{telegram_links}/<username>/<message-id>` and `{telegram_links}/c/<id>/<message-id>`
  (a private channel: its chat id without -100), as t.me links are
  (https://core.telegram.org/api/links#message-links);
- `{facebook_links}/<page-id>_<post-number>`.

A post the sandbox does not hold is a 404 page; a deleted one a 410 page. Texts are
shown as a reader sees them (plain text, escaped), with the photo and the link.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

from aiohttp import web

from sandbox.facebook import FacebookSandbox
from sandbox.serving import listen, unlisten
from sandbox.telegram import TelegramSandbox
from sandbox.tgmodels import SentMessage

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body><main>
<h1>{title}</h1>
{body}
</main></body></html>
"""


def _page(title: str, body: str, status: int = 200) -> web.Response:
    text = PAGE.format(title=html.escape(title), body=body)
    return web.Response(status=status, text=text, content_type="text/html")


def _web(url: str | None) -> str | None:
    return url if url and url.startswith(("http://", "https://")) else None


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _missing(what: str) -> web.Response:
    return _page(
        "Post not found",
        f"<p>The sandbox holds no {html.escape(what)}: sandboxes forget their posts when "
        "they stop.</p>",
        404,
    )


class PostPages:
    def __init__(self, telegram: TelegramSandbox, facebook: FacebookSandbox) -> None:
        self.telegram = telegram
        self.facebook = facebook
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    @property
    def telegram_links(self) -> str:
        return f"{self.base_url}/tg"

    @property
    def facebook_links(self) -> str:
        return f"{self.base_url}/fb"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/tg/c/{internal:\\d+}/{message_id:\\d+}", self._private_channel)
        app.router.add_get("/tg/{username}/{message_id:\\d+}", self._public_channel)
        app.router.add_get("/fb/{post_id}", self._facebook)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner, self.base_url = await listen(self.app(), host, port)
        return self.base_url

    async def close(self) -> None:
        await unlisten(self._runner)
        self._runner = None

    async def _public_channel(self, request: web.Request) -> web.Response:
        username = request.match_info["username"].lower()
        number = int(request.match_info["message_id"])
        found = [
            m for m in self.telegram.posts
            if (m.chat_username or "").lower() == username and m.message_id == number
        ]  # fmt: skip
        return self._telegram(found, f"post {number} in @{username}")

    async def _private_channel(self, request: web.Request) -> web.Response:
        chat_id = int("-100" + request.match_info["internal"])
        number = int(request.match_info["message_id"])
        found = [m for m in self.telegram.posts if m.chat_id == chat_id and m.message_id == number]
        return self._telegram(found, f"post {number} in chat {chat_id}")

    def _telegram(self, found: list[SentMessage], what: str) -> web.Response:
        if not found:
            return _missing(f"Telegram {what}")
        message = found[-1]
        where = f"@{message.chat_username}" if message.chat_username else str(message.chat_id)
        title = f"{where} · post {message.message_id}"
        if message.deleted:
            return _page(title, "<p>This post was deleted.</p>", 410)
        edited = f"edited {_when(message.edit_date)}" if message.edit_date else ""
        shown = message.text if message.text is not None else message.caption or ""
        body = _post("Telegram", _when(message.date), edited, message.photo, shown)
        return _page(title, body)

    async def _facebook(self, request: web.Request) -> web.Response:
        post_id = request.match_info["post_id"]
        found = [p for p in self.facebook.posts if p.id == post_id]
        if not found:
            return _missing(f"Facebook post {post_id}")
        post = found[-1]
        title = f"Page {post.page_id} · post {post.id}"
        if post.deleted:
            return _page(title, "<p>This content isn't available anymore.</p>", 410)
        edited = f"edited {len(post.edits)} times" if post.edits else ""
        body = _post("Facebook", _when(post.created_time), edited, post.photo_url, post.message)
        if (link := _web(post.link)) is not None:
            body += f'<p><a href="{html.escape(link)}">{html.escape(link)}</a></p>'
        return _page(title, body)


def _post(platform: str, when: str, edited: str, photo: str | None, text: str | None) -> str:
    """A post as its platform's page shows it: when, whether edited, the photo, the text."""
    parts = [f"<p><small>{platform} · {html.escape(when)}"]
    if edited:
        parts.append(f" · {html.escape(edited)}")
    parts.append("</small></p>")
    if (web_photo := _web(photo)) is not None:
        parts.append(f'<p><img src="{html.escape(web_photo)}" alt="" width="480"></p>')
    parts.append(f'<div class="post">{html.escape(text or "").replace(chr(10), "<br>")}</div>')
    return "".join(parts)
