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


_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([\w.:\-]+)[\"']")
# A document declared UTF-8 is UTF-8 with a few bad bytes while at most this share of
# its non-ASCII bytes is invalid; beyond it the declaration itself is wrong.
_UTF8_BAD_SHARE = 0.1


def decode_feed(raw: bytes, content_type: str | None = None) -> tuple[str, int]:
    """A feed's text and how many invalid byte sequences became U+FFFD.

    feedparser, given bytes that are not valid in their declared UTF-8, re-decodes the
    whole document in another code page, so one bad byte garbles every item. Decoding
    here instead keeps the good items' text: the declared charset (BOM, HTTP header,
    XML declaration, else UTF-8 as XML says), bad bytes replaced, one at a time."""
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            return _replaced(raw[len(bom) :], codec)
    declared: list[str] = []
    if content_type and (found := _HEADER_CHARSET.search(content_type)):
        declared.append(found.group(1))
    if found_xml := _XML_DECLARATION.match(raw[:_PRESCAN_BYTES]):
        declared.append(found_xml.group(1).decode("ascii"))
    codecs_ = [c for c in map(_codec, declared) if c] or ["utf-8"]
    for codec in dict.fromkeys(codecs_):
        text = _strict(raw, codec)
        if text is not None:
            return text, 0
    if "utf-8" in codecs_:
        text, bad = _replaced(raw, "utf-8")
        non_ascii = sum(byte >= 0x80 for byte in raw)
        if bad <= _UTF8_BAD_SHARE * max(non_ascii, 1):
            return text, bad
    guessed = _guess(raw)
    if guessed is not None:
        return guessed, 0
    return _replaced(raw, codecs_[0])


def _replaced(raw: bytes, codec: str) -> tuple[str, int]:
    text = raw.decode(codec, "replace")
    return text, text.count("\ufffd") - _strict_count(raw, codec)


def _strict_count(raw: bytes, codec: str) -> int:
    """U+FFFD characters the document really contains (written as such, not bad bytes)."""
    return raw.count("\ufffd".encode(codec, "ignore")) if codec.startswith("utf") else 0


def as_utf8_feed(text: str) -> bytes:
    """`text` as UTF-8 bytes whose XML declaration (if any) says UTF-8."""
    head, rest = text[:_PRESCAN_BYTES], text[_PRESCAN_BYTES:]
    head = re.sub(r"^(\s*<\?xml[^>]*?encoding\s*=\s*[\"'])[\w.:\-]+", r"\1utf-8", head)
    return (head + rest).encode("utf-8")
