"""Which `<a href>` Telegram keeps, and how it rewrites it.

A port of tdlib `LinkManager::get_checked_link` / `check_link_impl` and
`LinkManager::get_link_user_id` (td/telegram/LinkManager.cpp) over `parse_url` and
`HttpUrl::get_url` (tdutils/td/utils/HttpUrl.cpp), checked against TDLib 1.8.65 by
tests/sandbox/test_tdlib_differential.py. A link that fails the check makes no entity
(the text stays, unlinked); one that passes comes back normalised: a scheme added
("example.com" -> "http://example.com/"), the host lower-cased, a "/" path added,
bytes up to 0x20 in the path percent-encoded, trailing spaces dropped.
"""

from __future__ import annotations

import socket

__all__ = ["check_link", "checked_link", "link_user_id"]

MAX_USER_ID = (1 << 40) - 1  # UserId::is_valid
# td::is_space: what parse_url strips from the end of a path.
_SPACES = " \t\r\n\0\v"
# Host characters RFC 3986 allows, as parse_url lists them (after lower-casing).
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_!$,~*'();&+=")
_HEX = frozenset("0123456789abcdef")
_HEX_ANY_CASE = frozenset("0123456789abcdefABCDEF")
_USERINFO_CHARS = frozenset("-._~!$&'()*+,;=:")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class _BadUrl(ValueError):
    pass


def to_lower(s: str) -> str:
    """td::to_lower: ASCII letters only."""
    return s.translate(_ASCII_LOWER)


def wrapped_int(s: str, bits: int) -> int:
    """td::to_integer<intN>: an optional '-', then digits until the first non-digit,
    wrapped around like the C++ unsigned arithmetic."""
    negative = s.startswith("-")
    digits = s[1:] if negative else s
    value = 0
    for ch in digits:
        if not "0" <= ch <= "9":
            break
        value = value * 10 + ord(ch) - 48
    value = (-value if negative else value) % (1 << bits)
    return value - (1 << bits) if value >= 1 << (bits - 1) else value


def safe_int(s: str, bits: int) -> int | None:
    """td::to_integer_safe<intN>: the number, if it prints back as exactly `s`."""
    value = wrapped_int(s, bits)
    return value if str(value) == s else None


def link_user_id(url: str) -> int | None:
    """The user of a "tg://user?id=N" link, if N is a valid user id."""
    url = to_lower(url)
    if not url.startswith("tg:"):
        return None
    url = url[3:]
    url = url.removeprefix("//")
    if not url.startswith("user"):
        return None
    url = url[4:].removeprefix("/")
    if not url.startswith("?"):
        return None
    for parameter in url[1:].split("#")[0].split("&"):
        key, _, value = parameter.partition("=")
        if key == "id":
            user_id = safe_int(value, 64)
            return user_id if user_id is not None and 0 < user_id <= MAX_USER_ID else None
    return None


def checked_link(url: str) -> str:
    """The link as TDLib stores it, or "" when it is refused (get_checked_link)."""
    try:
        return _check_link(url)
    except _BadUrl:
        return ""


def check_link(url: str) -> str:
    """LinkManager::check_link: the link as TDLib stores it; ValueError with TDLib's
    words when it is refused."""
    try:
        return _check_link(url)
    except _BadUrl as exc:
        raise ValueError(f"URL '{url}' is invalid: {exc}") from None


def _check_link(link: str) -> str:
    lowered = to_lower(link)
    scheme = next((s for s in ("tg", "ton", "tonsite") if lowered.startswith(s + ":")), "")
    if scheme:
        link = link[len(scheme) + 1 :].removeprefix("//")
    https, userinfo, host, port, is_ipv6, query = _parse_url(link)
    if not scheme:
        if "." not in host and not is_ipv6:
            raise _BadUrl("Wrong HTTP URL")
        login = userinfo + "@" if userinfo else ""
        at_port = f":{port}" if port else ""
        return ("https://" if https else "http://") + login + host + at_port + query
    if to_lower(link).startswith("http://") or https or userinfo or port or is_ipv6:
        raise _BadUrl("Wrong tg URL")
    for ch in host:
        if (
            not (ch.isascii() and ch.isalnum())
            and ch not in "-_"
            and not (scheme == "tonsite" and ch == ".")
        ):
            raise _BadUrl("Unallowed characters in URL host")
    if len(query) > 1 and query[1] == "?":
        query = query[1:]
    return f"{scheme}://{host}{query}"


def _parse_url(url: str) -> tuple[bool, str, str, int, bool, str]:
    """tdlib parse_url: (https, userinfo, host, specified port or 0, is_ipv6, query)."""
    head_end = next((i for i, ch in enumerate(url) if ch in ":/?#@[]"), len(url))
    https = False
    rest = url
    if url[head_end : head_end + 3] == "://":
        protocol = to_lower(url[:head_end])
        if protocol not in ("http", "https"):
            raise _BadUrl("Unsupported URL protocol")
        https = protocol == "https"
        rest = url[head_end + 3 :]
    authority_end = next((i for i, ch in enumerate(rest) if ch in "/?#"), len(rest))
    authority, query = rest[:authority_end], rest[authority_end:]

    port = 0
    colon = len(authority) - 1
    while colon > 0 and authority[colon] not in ":]@":
        colon -= 1
    userinfo_host = authority
    if colon > 0 and authority[colon] == ":":
        digits = authority[colon + 1 :]
        while len(digits) > 1 and digits[0] == "0":
            digits = digits[1:]
        parsed = safe_int(digits, 32)
        port = parsed or -1
        userinfo_host = authority[:colon]
    if port < 0 or port > 65535:
        raise _BadUrl("Wrong port number specified in the URL")

    userinfo, _, host = userinfo_host.rpartition("@")
    is_ipv6 = len(host) >= 2 and host[0] == "[" and host[-1] == "]"
    if is_ipv6:
        try:
            socket.inet_pton(socket.AF_INET6, host[1:-1])  # IPAddress::init_ipv6_port
        except (OSError, ValueError):
            raise _BadUrl("Wrong IPv6 address specified in the URL") from None
    if not host:
        raise _BadUrl("URL host is empty")
    if host == ".":
        raise _BadUrl("Host is invalid")

    query = query.rstrip(_SPACES) or "/"
    if query[0] != "/":
        query = "/" + query
    query = "".join(f"%{ord(ch):02X}" if ord(ch) <= 0x20 else ch for ch in query)
    host = to_lower(host)
    _check_host(host, is_ipv6)
    _check_userinfo(userinfo)
    return https, userinfo, host, port, is_ipv6, query


def _check_host(host: str, is_ipv6: bool) -> None:
    i = 0
    while i < len(host):
        ch = host[i]
        if is_ipv6:
            if i == 0 or i + 1 == len(host) or ch in ":." or ch in _HEX:
                i += 1
                continue
            raise _BadUrl("Wrong IPv6 URL host")
        if ch in _HOST_CHARS or not ch.isascii():  # plain UTF-8 is allowed
            i += 1
            continue
        if ch == "%" and host[i + 1 : i + 2] in _HEX and host[i + 2 : i + 3] in _HEX:
            i += 3
            continue
        raise _BadUrl("Wrong URL host")


def _check_userinfo(userinfo: str) -> None:
    """TDLib 1.8.65 refuses a user name or password with characters RFC 3986 does not
    allow there ("a@b@c.d", "x y@a.b" make no link); found by the differential test,
    as the stored HttpUrl.cpp predates the check."""
    i = 0
    while i < len(userinfo):
        ch = userinfo[i]
        if (ch.isascii() and ch.isalnum()) or ch in _USERINFO_CHARS or not ch.isascii():
            i += 1
        elif (
            ch == "%"
            and all(c in _HEX_ANY_CASE for c in userinfo[i + 1 : i + 3])
            and (len(userinfo[i + 1 : i + 3]) == 2)
        ):
            i += 3
        else:
            raise _BadUrl("Wrong URL user info")
