"""Delivery reports for humans (tables) and scripts (JSON): `newsbot status`, the demo."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from bot.routing import explain
from bot.store import Store
from bot.text import shorten


@dataclass(frozen=True, slots=True)
class StatusRow:
    article_id: str
    url: str
    title: str
    channel: str
    state: str
    attempts: int
    remote_id: str
    remote_url: str
    last_error: str
    latency_ms: int | None
    updated_at: str
    # each version the post had: {number, at, by, text}
    versions: list[dict[str, object]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


async def status_rows(store: Store, article_ids: Sequence[str]) -> list[StatusRow]:
    articles = await store.get_articles(article_ids)
    deliveries = await store.deliveries_of(list(articles))
    rows: list[StatusRow] = []
    for aid, article in articles.items():
        if not deliveries[aid]:
            rows.append(
                StatusRow(
                    aid,
                    article.url,
                    article.title,
                    "-",
                    "known (not delivered)",
                    0,
                    "",
                    "",
                    "",
                    None,
                    "",
                )
            )
        for d in deliveries[aid]:
            updated = _iso(d.updated_ms)
            rows.append(
                StatusRow(
                    aid,
                    article.url,
                    article.title,
                    d.channel,
                    d.state.value,
                    d.attempts,
                    d.remote_id,
                    d.remote_url,
                    d.last_error,
                    d.latency_ms,
                    updated,
                    [
                        {"number": v.number, "at": _iso(v.at_ms), "by": v.by, "text": v.text}
                        for v in d.versions
                    ],
                )
            )
    return rows


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def article_details(
    rows: Sequence[StatusRow], routes: dict[str, tuple[bool, str, dict[str, str]]]
) -> str:
    """One article's versions per channel and why each channel was or was not chosen."""
    lines = []
    for r in rows:
        for v in r.versions:
            shown = shorten(str(v["text"]).replace("\n", " "), 70) or "(deleted)"
            lines.append(f"{r.channel} v{v['number']}  {v['at']}  {v['by']}: {shown}")
    for channel, (chosen, code, values) in routes.items():
        lines.append(
            f"route {channel}: {'taken' if chosen else 'not taken'}: {explain(code, values)}"
        )
    return "\n".join(lines)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def status_table(rows: Sequence[StatusRow]) -> str:
    headers = ["article", "title", "channel", "state", "att", "latency_ms", "remote id / error"]
    body = [
        (
            r.article_id,
            shorten(r.title, 40),
            r.channel,
            r.state,
            r.attempts,
            r.latency_ms,
            shorten(r.remote_url or r.remote_id or r.last_error, 60),
        )
        for r in rows
    ]
    return format_table(headers, body)
