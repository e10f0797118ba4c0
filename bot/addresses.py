"""Which addresses newsbot may reach, or hand to a platform: the public-address rules
in one place.

Two kinds of URL leave newsbot: the ones it fetches (feeds, article pages) and the
ones it hands to Telegram and Facebook (a post's photo, link and link preview). A
platform fetches those itself, and a self-hosted Bot API server in `--local` mode
reads `file://` paths from its own disk and reaches its own network, so both kinds
follow the same rules: absolute http(s), a host, and no private, loopback,
link-local, multicast or reserved address, however it is spelled:
- IPv4 in any form `inet_aton` accepts ("127.1", "0x7f.1", "2130706433");
- IPv6 forms that carry an IPv4 address reach that address, so it is checked
  instead: IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64
  `64:ff9b::/96`, 6to4 `2002::/16`, Teredo `2001::/32` (server and client);
  local-use NAT64 `64:ff9b:1::/48` (RFC 8215) and site-local `fec0::/10` are local;
- names that only mean this machine or its network (localhost, *.local,
  *.internal, *.home.arpa, a name without a dot).
A name's addresses are checked when it is resolved: by the fetcher's resolver for
fetches, by `resolved_problem` for URLs handed to a platform.
`NEWSBOT_ALLOW_PRIVATE_NETWORKS` lifts the address rules (tests, the sandbox), never
the scheme rule.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

MAX_URL_CHARS = 2048
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")
_COMPATIBLE = ipaddress.ip_network("::/96")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".localdomain", ".lan")
_INET_ATON_CHARS = frozenset("0123456789abcdefx.")
RESOLVE_TIMEOUT_SECONDS = 3.0

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address reaches, per the forms in the docstring."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    if ip in _NAT64 or (ip in _COMPATIBLE and int(ip) > 1):
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return []


def is_public(ip: IpAddress) -> bool:
    """Whether `ip` (and every IPv4 address it carries) is a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _SITE_LOCAL or ip in _LOCAL_NAT64:
            return False
        embedded = _embedded_ipv4(ip)
        if embedded:
            return all(is_public(v4) for v4 in embedded)
    return ip.is_global and not ip.is_multicast


def parse_ip(host: str) -> IpAddress | None:
    """`host` as an IP address in any spelling a resolver accepts, else None (a name)."""
    bare = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if bare and set(bare.lower()) <= _INET_ATON_CHARS and any(c.isdigit() for c in bare):
        try:  # "127.1", "0x7f.1", "2130706433": what getaddrinfo would read as IPv4
            return ipaddress.IPv4Address(socket.inet_aton(bare))
        except OSError:
            return None
    return None


def is_public_address(address: str) -> bool:
    """A resolved address (as getaddrinfo gives it, maybe with a %scope) is public."""
    ip = parse_ip(address)
    return ip is not None and is_public(ip)


def local_name(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host == "localhost" or host.endswith(_LOCAL_SUFFIXES) or "." not in host


def host_problem(host: str) -> str | None:
    """Why a URL's host is not a public address (None when it may be, pending DNS)."""
    ip = parse_ip(host)
    if ip is not None:
        return None if is_public(ip) else f"{host} is a private address"
    if local_name(host):
        return f"{host} is a private address (a name of this machine or its network)"
    return None


def url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why `url` may not leave newsbot (fetched, or handed to a platform); None if it may.

    Pure: a name's addresses are checked on resolution (`resolved_problem`)."""
    if len(url) > MAX_URL_CHARS:
        return f"the URL is {len(url)} characters, over {MAX_URL_CHARS}"
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return "the URL has spaces or control characters"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "the URL cannot be read"
    if parts.scheme.lower() not in ("http", "https") or not host:
        return "it is not an http(s) URL with a host"
    if allow_private:
        return None
    return host_problem(host)


async def resolved_problem(url: str) -> str | None:
    """Why `url`'s host resolves to a private address, if it does. A name that does not
    resolve here is no problem: the platform resolves it on its side, and a URL it
    cannot fetch fails there (Telegram: the post goes out without its photo)."""
    host = urlsplit(url).hostname or ""
    if parse_ip(host) is not None:
        return None  # url_problem has judged the literal
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    except (OSError, TimeoutError, UnicodeError):
        return None
    for info in infos:
        address = str(info[4][0])
        if not is_public_address(address):
            return f"{host} resolves to a private address ({address})"
    return None
