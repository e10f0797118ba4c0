"""Canonical article URLs and the article id derived from them (docs/architecture.md,
"The flow of an article").

The same article reached from the feed (utm-tagged), a webhook or an editor's
/post must give one id: lower-case scheme and host, no default port, no
fragment, no tracking parameters, sorted remaining query, no trailing slash.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

# utm_*, plus the click ids that ad networks append (Facebook, Google, Yandex).
_TRACKING = frozenset({"fbclid", "gclid", "yclid", "dclid", "msclkid", "igshid"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


class BadUrlError(ValueError):
    pass


def clean_url(url: str) -> str:
    """The URL to fetch and to post: tracking parameters and fragment removed, scheme and
    host lower-cased, but path, trailing slash and query order kept as the site wrote
    them (a site may not serve the canonical spelling: that one is only an identity)."""
    canonical_url(url)  # same validation
    parts = urlsplit(url.strip())
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in _TRACKING
    ]
    netloc = parts.netloc.rsplit("@", 1)[-1].lower()
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(query), ""))


def canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise BadUrlError(f"{url!r} is not an http(s) URL with a host")
    host = parts.hostname.lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        raise BadUrlError(f"{url!r} has an invalid port") from None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if ":" in host:  # IPv6 literal
        netloc = f"[{host}]" if port in (None, _DEFAULT_PORTS[scheme]) else f"[{host}]:{port}"
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in _TRACKING
    )
    # one spelling of the path: percent-encoding decoded then re-encoded the same way
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=~").rstrip("/")
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def article_id(url: str) -> str:
    """16 hex digits (64 bits) of the canonical URL's SHA-256.

    Short enough for commands and logs; collisions are negligible at a
    publisher's scale (millions of articles)."""
    return hashlib.sha256(canonical_url(url).encode()).hexdigest()[:16]


_SECRET_PARAMS = ("token", "key", "secret", "password", "passwd", "auth", "sig", "signature")


def secrets_in_url(url: str) -> list[str]:
    """Parts of a configured URL that must never be logged: the password of its user
    info and the values of query parameters named like credentials."""
    parts = urlsplit(url)
    found = [parts.password] if parts.password else []
    for key, value in parse_qsl(parts.query):
        if value and any(word in key.lower() for word in _SECRET_PARAMS):
            found.append(value)
    return found
