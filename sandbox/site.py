"""A publisher's website over real HTTP (aiohttp.web) on loopback, whose articles a
test adds, changes and removes while it runs; the pages are in sandbox.sitepages.

- GET /news/<id>/<slug>/ (or /news/<id>/): the article page, in the article's language
  (`<html lang>`, og:locale). A removed article answers 404 or 410 as chosen (RFC 9110
  §15.5.5, §15.5.11); an unknown id, 404.
- GET /rss/: RSS 2.0 of the live articles, newest first. With a hub, the feed names it
  (atom:link rel="hub" and rel="self") and its answer carries `Link: <hub>; rel="hub",
  <feed>; rel="self"` (WebSub §4).
- GET /: the front page. GET /img/<name>: a 1x1 PNG, for images on the site itself.
- Pages and the feed carry a strong ETag (a hash of the body) and Last-Modified;
  If-None-Match (weak comparison, "*"), or without it If-Modified-Since, answers 304
  (RFC 9110 §13.1.2, §13.1.3, §13.2.2).
- A change (title, lead, body, image, tags...) changes the page, the feed and their
  ETags. With a hub and `auto_ping`, each change pings it: POST hub.mode=publish,
  hub.url=<feed> (the common WebSub publish ping; sandbox.websub).
Control: GET and POST (JSON, adds or changes) /_sandbox/articles, DELETE
/_sandbox/articles/<id>?status=410, GET /_sandbox/requests.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import aiohttp
from aiohttp import web

from sandbox.records import dumps
from sandbox.serving import listen, unlisten
from sandbox.sitepages import (
    SiteArticle,
    article_page,
    gone_page,
    index_page,
    rss_feed,
    slug_of,
)

ALMATY = timezone(timedelta(hours=5), "Asia/Almaty")  # UTC+5 since March 2024
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class SiteRequest:
    method: str
    path: str
    status: int
    if_none_match: str | None


@dataclass
class HubPing:
    topic: str
    status: int  # 0: no answer
    error: str | None = None


class SiteSandbox:
    def __init__(
        self,
        *,
        name: str = "Sandbox News",
        lang: str = "ru",
        hub_url: str | None = None,
        auto_ping: bool = True,
        tz: timezone = ALMATY,
        promo: bool = True,
    ) -> None:
        self.name, self.lang, self.tz = name, lang, tz
        # The "follow us" box inside the article, as real sites have; extractors must
        # drop it.
        self.promo = promo
        self.hub_url = hub_url
        self.auto_ping = auto_ping
        self.articles: dict[str, SiteArticle] = {}
        self.requests: list[SiteRequest] = []
        self.pings: list[HubPing] = []
        self.base_url = ""
        self._changed_at = datetime.fromtimestamp(0, tz)
        self._tasks: set[asyncio.Task[int]] = set()
        self._http: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None

    @property
    def feed_url(self) -> str:
        return self.base_url + "/rss/"

    def url_of(self, article_id: str | int) -> str:
        return self.base_url + self.articles[str(article_id)].path

    # -- the articles ------------------------------------------------------------------

    def add(
        self,
        article_id: str | int,
        title: str,
        lead: str = "",
        body: str | Iterable[str] = (),
        *,
        image: str | None = None,
        lang: str | None = None,
        published: datetime | str | None = None,
        tags: Iterable[str] = (),
        section: str | None = None,
        slug: str | None = None,
    ) -> SiteArticle:
        """Publish an article; its URL (`url_of`) keeps the slug of this first title."""
        key = str(article_id)
        if key in self.articles:
            raise ValueError(f"article {key} exists; change() it")
        when = self._time(published) if published is not None else self._tick()
        article = SiteArticle(
            id=key,
            title=title,
            lead=lead,
            body=_paragraphs(body),
            image=image,
            lang=lang or self.lang,
            published=when,
            tags=list(tags),
            section=section,
            path=f"/news/{key}/{slug or slug_of(title)}/",
            updated=when,
        )
        self.articles[key] = article
        self._changed()
        return article

    def change(
        self,
        article_id: str | int,
        *,
        title: str | None = None,
        lead: str | None = None,
        body: str | Iterable[str] | None = None,
        image: str | None = None,
        tags: Iterable[str] | None = None,
        lang: str | None = None,
        section: str | None = None,
    ) -> SiteArticle:
        """Change what is given (image "" removes the image); the page's
        article:modified_time, the feed and both ETags change with it."""
        old = self.articles[str(article_id)]
        new = replace(
            old,
            title=old.title if title is None else title,
            lead=old.lead if lead is None else lead,
            body=old.body if body is None else _paragraphs(body),
            image=old.image if image is None else (image or None),
            tags=old.tags if tags is None else list(tags),
            lang=lang or old.lang,
            section=old.section if section is None else section,
            revision=old.revision + 1,
            updated=self._tick(),
        )
        self.articles[new.id] = new
        self._changed()
        return new

    def remove(self, article_id: str | int, status: int = 410) -> None:
        """Take the article down: its page answers `status` (404 or 410) and it leaves
        the feed."""
        if status not in (404, 410):
            raise ValueError("a removed article answers 404 or 410")
        key = str(article_id)
        self.articles[key] = replace(self.articles[key], removed=status)
        self._tick()
        self._changed()

    def restore(self, article_id: str | int) -> None:
        key = str(article_id)
        self.articles[key] = replace(self.articles[key], removed=None, updated=self._tick())
        self._changed()

    def live(self) -> list[SiteArticle]:
        """The articles on the site, newest first."""
        shown = [a for a in self.articles.values() if a.removed is None]
        return sorted(shown, key=lambda a: a.published, reverse=True)

    def _tick(self) -> datetime:
        # HTTP dates have whole seconds: each change gets a later second than the last,
        # so that If-Modified-Since never takes a changed page for an unchanged one.
        now = datetime.now(self.tz).replace(microsecond=0)
        self._changed_at = max(now, self._changed_at + timedelta(seconds=1))
        return self._changed_at

    def _time(self, value: datetime | str) -> datetime:
        when = datetime.fromisoformat(value) if isinstance(value, str) else value
        return when if when.tzinfo else when.replace(tzinfo=self.tz)

    # -- the hub -----------------------------------------------------------------------

    def _changed(self) -> None:
        if not (self.hub_url and self.auto_ping and self.base_url):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop: the caller pings with `await ping_hub()`
            return
        task = loop.create_task(self.ping_hub())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def ping_hub(self) -> int:
        """Tell the hub the feed changed; returns its status (204 from sandbox.websub)."""
        if not self.hub_url:
            raise RuntimeError("the site has no hub_url")
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        form = {"hub.mode": "publish", "hub.url": self.feed_url}
        try:
            async with self._http.post(self.hub_url, data=form) as resp:
                await resp.read()
                self.pings.append(HubPing(self.feed_url, resp.status))
                return resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.pings.append(HubPing(self.feed_url, 0, repr(exc)))
            return 0

    async def idle(self) -> None:
        """Wait for the pings under way."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- server ----------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/", self._index)
        app.router.add_get("/rss/", self._feed)
        app.router.add_get("/news/{id}/", self._article)
        app.router.add_get("/news/{id}/{slug}/", self._article)
        app.router.add_get("/img/{name}", self._image)
        app.router.add_get("/_sandbox/articles", self._control_articles)
        app.router.add_post("/_sandbox/articles", self._control_put)
        app.router.add_delete("/_sandbox/articles/{id}", self._control_remove)
        app.router.add_get("/_sandbox/requests", self._control_requests)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner, self.base_url = await listen(self.app(), host, port)
        return self.base_url

    async def close(self) -> None:
        await self.idle()
        if self._http is not None:
            await self._http.close()
            self._http = None
        await unlisten(self._runner)
        self._runner = None

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        inm = request.headers.get("If-None-Match")
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            self.requests.append(SiteRequest(request.method, request.path_qs, exc.status, inm))
            raise
        self.requests.append(SiteRequest(request.method, request.path_qs, response.status, inm))
        return response

    async def _article(self, request: web.Request) -> web.Response:
        article = self.articles.get(request.match_info["id"])
        if article is None or article.removed is not None:
            status = article.removed if article and article.removed else 404
            page = gone_page(status, article.lang if article else self.lang, self.name)
            return web.Response(status=status, text=page, content_type="text/html")
        aside = next((a for a in self.live() if a.id != article.id), None)
        page = article_page(article, self.name, self.base_url, aside, promo=self.promo)
        return _conditional(request, page, "text/html", article.updated)

    async def _feed(self, request: web.Request) -> web.Response:
        feed = rss_feed(
            self.live(), self.name, self.lang, self.base_url, self.feed_url, self.hub_url
        )
        response = _conditional(request, feed, "application/rss+xml", self._changed_at)
        if self.hub_url:
            response.headers["Link"] = f'<{self.hub_url}>; rel="hub", <{self.feed_url}>; rel="self"'
        return response

    async def _index(self, request: web.Request) -> web.Response:
        page = index_page(self.live(), self.name, self.lang)
        return _conditional(request, page, "text/html", self._changed_at)

    async def _image(self, request: web.Request) -> web.Response:
        return web.Response(body=PIXEL, content_type="image/png")

    # -- control endpoints -------------------------------------------------------------

    async def _control_articles(self, request: web.Request) -> web.Response:
        return web.json_response([asdict(a) for a in self.articles.values()], dumps=dumps)

    async def _control_put(self, request: web.Request) -> web.Response:
        """JSON {"id", "title", ...}: adds the article, or changes the given fields."""
        try:
            data: dict[str, Any] = dict(await request.json())
            key = str(data.pop("id"))
            put = self.change if key in self.articles else self.add
            article = put(key, **data)
        except (ValueError, TypeError, KeyError) as exc:
            return web.json_response({"ok": False, "description": str(exc)}, status=400)
        return web.json_response(
            {"ok": True, "url": self.base_url + article.path, "article": asdict(article)},
            dumps=dumps,
        )

    async def _control_remove(self, request: web.Request) -> web.Response:
        try:
            self.remove(request.match_info["id"], int(request.query.get("status", "410")))
        except (ValueError, KeyError) as exc:
            return web.json_response({"ok": False, "description": str(exc)}, status=400)
        return web.json_response({"ok": True})

    async def _control_requests(self, request: web.Request) -> web.Response:
        return web.json_response([asdict(r) for r in self.requests])


def _paragraphs(body: str | Iterable[str]) -> list[str]:
    parts = body.split("\n\n") if isinstance(body, str) else list(body)
    return [p.strip() for p in parts if p.strip()]


def _conditional(
    request: web.Request, text: str, content_type: str, modified: datetime
) -> web.Response:
    """The page, or 304 when the client's copy is current (RFC 9110 §13.2.2: If-None-Match
    first; If-Modified-Since only without it)."""
    body = text.encode("utf-8")
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    # Never later than the answer's Date (RFC 9110 §8.8.2.1); a change made within the
    # same second is later still, so If-Modified-Since still sees it.
    shown = min(modified, datetime.now(UTC).replace(microsecond=0))
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(shown.astimezone(UTC), usegmt=True),
        "Cache-Control": "no-cache",
    }
    inm = request.headers.get("If-None-Match")
    ims = request.headers.get("If-Modified-Since")
    if inm is not None:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        if "*" in tags or etag in tags:
            return web.Response(status=304, headers=headers)
    elif ims is not None and _not_after(modified, ims):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=headers)


def _not_after(modified: datetime, since: str) -> bool:
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False  # an invalid date is ignored (RFC 9110 §13.1.3)
    return when.tzinfo is not None and modified <= when
