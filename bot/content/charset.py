"""Decoding a fetched page's bytes to text.

Order (close to what browsers do): a byte-order mark; the charset the HTTP
header declares; the one the page declares in its first bytes (<meta charset>,
http-equiv, XML declaration); then UTF-8; then charset-normalizer's guess.
Two corrections to "the declaration wins", both for real misconfigured servers:
- bytes that are valid UTF-8 and not plain ASCII are UTF-8 whatever is declared
  (text in a legacy code page is practically never valid UTF-8 by accident);
- a Latin-1 / windows-1252 / ASCII declaration (the default of many servers,
  sent for pages of any language) is only a hint: charset-normalizer decides.
Decoding never fails: the last resort is UTF-8 with replacement characters.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_PRESCAN_BYTES = 4096
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:\-]+)", re.IGNORECASE)
_PAGE_CHARSET = re.compile(
    rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:\-]+)|<\?xml[^>]+encoding\s*=\s*[\"']([\w.:\-]+)",
    re.IGNORECASE,
)
_WEAK = frozenset({"iso8859-1", "cp1252", "ascii"})
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label.strip()).name
    except LookupError:
        return None


def declared_charset(raw: bytes, content_type: str | None) -> str | None:
    """The codec the header, else the page's first bytes, declares (None if none known)."""
    if content_type and (found := _HEADER_CHARSET.search(content_type)):
        codec = _codec(found.group(1))
        if codec:
            return codec
    page = _PAGE_CHARSET.search(raw[:_PRESCAN_BYTES])
    if page:
        label = (page.group(1) or page.group(2)).decode("ascii", "replace")
        return _codec(label)
    return None


def _strict(raw: bytes, codec: str) -> str | None:
    try:
        return raw.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _guess(raw: bytes) -> str | None:
    best = charset_normalizer.from_bytes(raw).best()
    return None if best is None else str(best)


def decode_html(raw: bytes, content_type: str | None = None) -> str:
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(codec, "replace")
    if raw.isascii():
        return raw.decode("ascii")
    as_utf8 = _strict(raw, "utf-8")
    if as_utf8 is not None:
        return as_utf8
    declared = declared_charset(raw, content_type)
    if declared and declared not in _WEAK:
        text = _strict(raw, declared)
        if text is not None:
            return text
    guessed = _guess(raw)
    if guessed is not None:
        return guessed
    if declared:
        return raw.decode(declared, "replace")
    return raw.decode("utf-8", "replace")
