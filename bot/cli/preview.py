"""`newsbot preview` as text for humans or JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.models import Article
from bot.preview import ChannelPreview


def as_json(previews: Sequence[ChannelPreview]) -> str:
    return json.dumps([p.to_dict() for p in previews], ensure_ascii=False, indent=2)


def as_text(article: Article, previews: Sequence[ChannelPreview]) -> str:
    """A human view: each channel's call, the text as sent, its length and warnings."""
    published = article.published_at.isoformat() if article.published_at else "unknown"
    lines = [
        f"{article.title or '(no title)'}",
        f"{article.url}  ·  published {published}  ·  id {article.id}",
    ]
    for p in previews:
        lines.append("")
        if p.error:
            lines.append(f"── {p.channel} ({p.kind}): cannot be posted: {p.error}")
            continue
        mode = f" · {p.parse_mode}" if p.parse_mode else ""
        lines.append(f"── {p.channel} ({p.kind}) · {p.method} · {p.length}/{p.limit}{mode}")
        if p.image:
            lines.append(f"image:   {p.image}")
        lines.append(f"link:    {p.link}")
        lines.append(f"route:   {'taken' if p.routed else 'NOT taken'}: {p.route}")
        if p.link_preview:
            options = ", ".join(f"{k}={v}" for k, v in p.link_preview.items())
            lines.append(f"preview: {options}")
        lines.append("")
        lines.extend("  " + line if line else "" for line in p.text.splitlines())
        if p.warnings:
            lines.append("")
        lines.extend(f"! {warning['message']}" for warning in p.warnings)
    return "\n".join(lines)
