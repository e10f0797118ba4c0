"""The hub, as newsbot finds and reaches it (W3C WebSub, https://www.w3.org/TR/websub/).

Discovery (§4): a feed's hub and topic URLs, read from the answer to the poll itself,
so discovery costs no request of its own.

§4 order, stopping at the first that names a hub: the HTTP `Link` headers (RFC 8288
§3: `<url>; rel="hub"`, `<url>; rel="self"`), then the feed's own link elements
(RFC 8288 Appendix B): `<atom:link rel="hub" href>` in RSS 2.0, `<link rel="hub" href>`
in Atom. The topic is the `self` link of the same source (§5.1: it MUST be the self URL,
which may differ from the URL polled), else the URL the feed was fetched from. Of
several hubs the first is taken (§4: a subscriber "may subscribe to one or more").

Only the document's head is read, up to its first item or entry: what an item carries is
written by whoever wrote the item, and must not choose the hub (§8.1 makes the same case
for links in an HTML body).

Requests (§5.1): a form POST. The hub's URL comes from a feed, so it is checked like any
URL newsbot fetches (bot.net: bot.addresses' rules, the session's resolver refusing
private addresses), and so is every hub a 307/308 redirects to (§5.1.2).
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

import aiohttp
from yarl import URL

from bot.addresses import url_problem
from bot.net import MAX_REDIRECTS, FetchError, check_url

HUB_TIMEOUT_SECONDS = 15.0
HEAD_BYTES = 65536  # a feed's head is a few hundred bytes; a hub named later is ignored
_FIRST_ITEM = re.compile(r"<(?:[\w.-]+:)?(?:item|entry)\b")
_LINK_ELEMENT = re.compile(r"<(?:[\w.-]+:)?link\b([^>]*)>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_LINK_VALUE = re.compile(r"<([^>]*)>([^<]*)")
_REL = re.compile(r"""(?:^|;)\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,"]+))""", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Found:
    hub: str
    topic: str


def discover(url: str, link_headers: Sequence[str], body: bytes) -> Found | None:
    """The hub and topic a feed fetched from `url` names, or None (no hub, or a URL that
    is not absolute http(s) once resolved against `url`)."""
    links = header_links(link_headers)
    if not links.get("hub"):
        links = body_links(body)
    hubs, selves = links.get("hub", []), links.get("self", [])
    if not hubs:
        return None
    hub = urljoin(url, hubs[0])
    topic = urljoin(url, selves[0]) if selves else url
    # the scheme and form rules only: the hub's address is judged by the subscriber
    if url_problem(hub, allow_private=True) or url_problem(topic, allow_private=True):
        return None
    return Found(hub, topic)


def header_links(values: Sequence[str]) -> dict[str, list[str]]:
    """rel -> hrefs of `Link` header values (several links may share one header)."""
    links: dict[str, list[str]] = {}
    for value in values:
        for href, params in _LINK_VALUE.findall(value):
            found = _REL.search(params.split(",", 1)[0])
            if found:
                _add(links, found.group(1) or found.group(2), href.strip())
    return links


def body_links(body: bytes) -> dict[str, list[str]]:
    """rel -> hrefs of the link elements in the feed's head (before its first item)."""
    head = body[:HEAD_BYTES].decode("utf-8", "replace")
    first = _FIRST_ITEM.search(head)
    if first:
        head = head[: first.start()]
    links: dict[str, list[str]] = {}
    for attributes in _LINK_ELEMENT.findall(head):
        values = {m[0].lower(): m[1] or m[2] for m in _ATTRIBUTE.findall(attributes)}
        if values.get("rel") and values.get("href"):
            _add(links, values["rel"], html.unescape(values["href"]).strip())
    return links


def _add(links: dict[str, list[str]], rel: str, href: str) -> None:
    for name in rel.lower().split():  # rel="hub self" names both
        links.setdefault(name, []).append(href)


async def post_to_hub(
    http: aiohttp.ClientSession, hub: str, form: Mapping[str, str], *, allow_private: bool
) -> str | None:
    """POST the form to the hub, following 307/308 (each hop checked): None when the hub
    took it (2xx), else why not, in one sentence."""
    url = URL(hub)
    try:
        async with asyncio.timeout(HUB_TIMEOUT_SECONDS):
            for _ in range(MAX_REDIRECTS + 1):
                check_url(url, allow_private=allow_private)
                async with http.post(url, data=dict(form), allow_redirects=False) as resp:
                    said = (await resp.content.read(300)).decode("utf-8", "replace")
                    if resp.status in (307, 308) and "Location" in resp.headers:
                        url = url.join(URL(resp.headers["Location"]))
                        continue
                    if 200 <= resp.status < 300:
                        return None
                    return f"the hub answered HTTP {resp.status}: {' '.join(said.split())}"
    except FetchError as exc:
        return str(exc)
    except TimeoutError:
        return f"the hub did not answer within {HUB_TIMEOUT_SECONDS:g} s"
    except aiohttp.ClientError as exc:
        return f"the hub could not be reached ({exc.__class__.__name__}: {exc})"
    return f"the hub redirects more than {MAX_REDIRECTS} times"
