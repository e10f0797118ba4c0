"""Fetching untrusted URLs never reaches private networks unless allowed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from yarl import URL

from bot.net import FetchError, check_url, fetch, make_fetch_session


@pytest.fixture
async def local_server() -> AsyncIterator[str]:
    async def ok(_request: web.Request) -> web.Response:
        return web.Response(text="hello")

    async def to_file(_request: web.Request) -> web.Response:
        raise web.HTTPFound("file:///etc/passwd")

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"/loop?n={int(request.query.get('n', 0)) + 1}")

    app = web.Application()
    app.router.add_get("/ok", ok)
    app.router.add_get("/loop", loop)
    app.router.add_get("/to-file", to_file)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::1]/",
        "http://localhost/",
    ],
)
async def test_private_loopback_and_link_local_addresses_are_refused(url: str) -> None:
    session = make_fetch_session(allow_private=False, user_agent="t")
    try:
        with pytest.raises(FetchError, match="private address"):
            await fetch(session, url, allow_private=False, max_bytes=1000, timeout=5)
    finally:
        await session.close()


async def test_only_http_and_https_are_fetched() -> None:
    session = make_fetch_session(allow_private=True, user_agent="t")
    try:
        with pytest.raises(FetchError, match="not an http"):
            await fetch(
                session, "file:///etc/passwd", allow_private=True, max_bytes=1000, timeout=5
            )
    finally:
        await session.close()


async def test_allowed_private_fetch_works_and_redirects_are_capped(local_server: str) -> None:
    session = make_fetch_session(allow_private=True, user_agent="t")
    try:
        result = await fetch(
            session, f"{local_server}/ok", allow_private=True, max_bytes=1000, timeout=5
        )
        assert (result.status, result.body) == (200, b"hello")
        with pytest.raises(FetchError, match="redirects more than 5 times"):
            await fetch(
                session, f"{local_server}/loop", allow_private=True, max_bytes=1000, timeout=5
            )
    finally:
        await session.close()


async def test_every_redirect_hop_is_checked_again(local_server: str) -> None:
    # a redirect to a non-http URL is refused at the hop, as a private address would be
    session = make_fetch_session(allow_private=True, user_agent="t")
    try:
        with pytest.raises(FetchError, match="not an http"):
            await fetch(
                session, f"{local_server}/to-file", allow_private=True, max_bytes=99, timeout=5
            )
    finally:
        await session.close()


@pytest.mark.parametrize(
    "address", ["64:ff9b::a9fe:a9fe", "2002:a00:1::", "::ffff:10.0.0.1", "fec0::1"]
)
def test_ipv6_forms_that_carry_a_private_ipv4_address_are_private(address: str) -> None:
    with pytest.raises(FetchError):
        check_url(URL(f"http://[{address}]/"), allow_private=False)
