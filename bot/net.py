"""Fetching untrusted URLs (feeds, article pages) without reaching private networks.

Every hop is checked: the literal host before connecting, and every address a
name resolves to (in the resolver, so a redirect or a DNS answer cannot slip a
private address past the check). Redirects are followed here, at most
`MAX_REDIRECTS`, each one checked again. Bodies are capped while streaming.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from multidict import CIMultiDictProxy
from yarl import URL

from bot.addresses import is_public_address, url_problem

MAX_REDIRECTS = 5


class FetchError(Exception):
    """A URL could not be fetched; the message says why in one sentence."""


class PublicOnlyResolver(AbstractResolver):
    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for r in results:
            if not is_public_address(r["host"]):
                raise FetchError(f"{host} resolves to a private address; refusing to fetch it")
        return results

    async def close(self) -> None:
        await self._inner.close()


def make_fetch_session(*, allow_private: bool, user_agent: str) -> aiohttp.ClientSession:
    resolver = None if allow_private else PublicOnlyResolver()
    # room for the feed schedule's 64 polls at once (bot/ingest/schedule.py) and page
    # fetches beside them: a fetch's timeout runs while it waits for a connection
    connector = aiohttp.TCPConnector(resolver=resolver, limit=100, ttl_dns_cache=60)
    return aiohttp.ClientSession(connector=connector, headers={"User-Agent": user_agent})


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes


def check_url(url: URL, *, allow_private: bool) -> None:
    """FetchError when `url` may not be fetched (bot.addresses has the rules)."""
    problem = url_problem(str(url), allow_private=allow_private)
    if problem is not None:
        raise FetchError(f"{url} cannot be fetched: {problem}")


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    *,
    allow_private: bool,
    max_bytes: int,
    timeout: float,
    headers: dict[str, str] | None = None,
) -> FetchResult:
    """GET with checked redirects, a size cap and one overall timeout."""
    try:
        async with asyncio.timeout(timeout):
            return await _fetch(session, URL(url), allow_private, max_bytes, headers or {})
    except TimeoutError:
        raise FetchError(f"{url} did not answer within {timeout:g} s") from None
    except aiohttp.ClientError as exc:
        raise FetchError(f"{url} could not be fetched ({exc.__class__.__name__}: {exc})") from None


async def _fetch(
    session: aiohttp.ClientSession,
    url: URL,
    allow_private: bool,
    max_bytes: int,
    headers: dict[str, Any],
) -> FetchResult:
    for _ in range(MAX_REDIRECTS + 1):
        check_url(url, allow_private=allow_private)
        async with session.get(url, headers=headers, allow_redirects=False) as resp:
            if resp.status in (301, 302, 303, 307, 308) and "Location" in resp.headers:
                url = url.join(URL(resp.headers["Location"]))
                continue
            declared = resp.content_length
            if declared is not None and declared > max_bytes:
                raise FetchError(f"{url} is {declared} bytes, over the {max_bytes}-byte cap")
            body = bytearray()
            async for chunk in resp.content.iter_chunked(65536):
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError(f"{url} is over the {max_bytes}-byte cap")
            return FetchResult(str(url), resp.status, resp.headers, bytes(body))
    raise FetchError(f"{url} redirects more than {MAX_REDIRECTS} times")
