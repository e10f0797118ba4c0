"""Small text helpers shared by the core's views."""

from __future__ import annotations


def shorten(text: str, width: int) -> str:
    """`text` on one line, at most `width` characters, cut with "…"."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
