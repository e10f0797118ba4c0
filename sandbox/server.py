"""All sandbox servers together: the Bot API, the Graph API, a publisher's site and a
WebSub hub, each on its own loopback port; in-process for tests and the demo, or
standalone (`newsbot sandbox`) for trying templates by hand."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.facebook import FacebookSandbox
from sandbox.postpages import PostPages
from sandbox.site import SiteSandbox
from sandbox.telegram import TelegramSandbox
from sandbox.websub import WebSubHub


@dataclass
class Sandbox:
    telegram: TelegramSandbox
    facebook: FacebookSandbox
    # aiogram: TelegramAPIServer.from_base(telegram_base) -> {base}/bot{token}/{method}
    telegram_base: str
    # Graph: {graph_url}/{version}/{path}, e.g. {graph_url}/v24.0/{page-id}/feed
    graph_url: str
    # The publisher's site (site.base_url, site.feed_url), whose feed names the hub and
    # which pings it on every change; the hub is at hub.url.
    site: SiteSandbox
    hub: WebSubHub
    # The posts' public pages (the t.me and facebook.com links): post_pages.telegram_links
    # and .facebook_links are TELEGRAM_POST_LINK_BASE and FACEBOOK_POST_LINK_BASE.
    post_pages: PostPages

    async def close(self) -> None:
        await self.post_pages.close()
        await self.site.close()
        await self.hub.close()
        await self.telegram.close()
        await self.facebook.close()


async def start_sandbox(
    *,
    host: str = "127.0.0.1",
    telegram_port: int = 0,
    facebook_port: int = 0,
    site_port: int = 0,
    hub_port: int = 0,
    telegram: TelegramSandbox | None = None,
) -> Sandbox:
    """Start every server on `host`; port 0 picks a free port. `telegram` may be a
    subclass instance (a test that records more)."""
    telegram = telegram or TelegramSandbox()
    facebook, site, hub = FacebookSandbox(), SiteSandbox(), WebSubHub()
    post_pages = PostPages(telegram, facebook)
    started: list[TelegramSandbox | FacebookSandbox | SiteSandbox | WebSubHub | PostPages] = []
    try:
        telegram_base = await telegram.start(host, telegram_port)
        started.append(telegram)
        graph_url = await facebook.start(host, facebook_port)
        started.append(facebook)
        await hub.start(host, hub_port)
        started.append(hub)
        site.hub_url = hub.url
        await site.start(host, site_port)
        started.append(site)
        await post_pages.start(host)
        started.append(post_pages)
    except BaseException:
        for server in reversed(started):
            with contextlib.suppress(Exception):
                await server.close()
        raise
    return Sandbox(telegram, facebook, telegram_base, graph_url, site, hub, post_pages)


async def run_standalone(
    host: str,
    telegram_port: int,
    facebook_port: int,
    out: Callable[[str], None] = print,
    *,
    site_port: int = 0,
    hub_port: int = 0,
) -> None:
    """Serve the sandboxes until cancelled, after printing where."""
    sandbox = await start_sandbox(
        host=host,
        telegram_port=telegram_port,
        facebook_port=facebook_port,
        site_port=site_port,
        hub_port=hub_port,
    )
    try:
        out(f"Telegram Bot API sandbox: {sandbox.telegram_base}/bot<token>/<method>")
        out(f"Facebook Graph API sandbox: {sandbox.graph_url}/v24.0/<page-id>/feed")
        for name, base in (("Telegram", sandbox.telegram_base), ("Facebook", sandbox.graph_url)):
            out(
                f"{name} control: GET {base}/_sandbox/posts, GET {base}/_sandbox/calls, "
                f"POST {base}/_sandbox/faults (a Fault as JSON), POST {base}/_sandbox/reset"
            )
        out(f"Telegram updates: POST {sandbox.telegram_base}/_sandbox/updates (an Update as JSON)")
        site = sandbox.site.base_url
        out(f"Site: {site}/ (feed {sandbox.site.feed_url}, articles /news/<id>/)")
        out(
            f"Site control: POST {site}/_sandbox/articles (JSON: id, title, lead, body, image, "
            f"lang, tags...), DELETE {site}/_sandbox/articles/<id>?status=410"
        )
        hub = sandbox.hub.base_url
        out(f"WebSub hub: {sandbox.hub.url}")
        out(
            f"Hub control: GET {hub}/_sandbox/subscriptions, GET {hub}/_sandbox/deliveries, "
            f"POST {hub}/_sandbox/notify (JSON: topic)"
        )
        pages = sandbox.post_pages
        out(
            f"Post pages: {pages.telegram_links}/<channel>/<id> (TELEGRAM_POST_LINK_BASE="
            f"{pages.telegram_links}), {pages.facebook_links}/<post-id> (FACEBOOK_POST_LINK_BASE="
            f"{pages.facebook_links})"
        )
        out("Stop with Ctrl+C.")
        await asyncio.Event().wait()
    finally:
        await sandbox.close()
