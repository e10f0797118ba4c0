"""The board's HTML: the page and the fragments its live stream sends (a row, the queue),
from the jinja2 templates beside this module, autoescaped (titles, errors and post
texts are hostile input). The page's one style block and one script carry a fresh
nonce that the Content-Security-Policy names; nothing else may run or load.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.board.auth import PRIVATE_HEADERS
from bot.board.model import GROUP_NAMES, GROUPS, Row
from bot.store.board import QueueCounts

STATES = tuple(GROUPS)


def security_headers(nonce: str) -> dict[str, str]:
    # CSP nonces: https://www.w3.org/TR/CSP3/#security-nonces ; connect-src 'self' lets
    # the script's EventSource reach /board/events, nothing else.
    policy = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )
    return {**PRIVATE_HEADERS, "Content-Security-Policy": policy}


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


class Pages:
    def __init__(self, timezone: str, base: str = "", newsroom: str = "") -> None:
        self.zone = ZoneInfo(timezone)
        self.env = Environment(
            loader=PackageLoader("bot.board", "templates"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(
            clock=self.clock, duration=duration, zone=timezone, base=base, newsroom=newsroom
        )

    def page(
        self,
        rows: Sequence[Row],
        queue: QueueCounts,
        *,
        channels: Sequence[str],
        channel: str,
        state: str,
        limit: int,
        after: str,
        nonce: str,
    ) -> str:
        hidden = {r.key for r in rows if not matches(r, channel, state)}
        return self.env.get_template("board.html").render(
            rows=rows, hidden_keys=hidden, shown=len(rows) > len(hidden), queue=queue,
            channels=channels, channel=channel, state=state, limit=limit, after=after,
            nonce=nonce, groups=GROUP_NAMES, states=STATES, summary=summary(rows, channels),
        )  # fmt: skip

    def row(self, row: Row) -> str:
        return self.env.get_template("row.html").render(r=row, hidden=False)

    def queue(self, queue: QueueCounts) -> str:
        return self.env.get_template("queue.html").render(queue=queue)

    def clock(self, ms: int | None) -> str:
        """A time in the service's zone: the hour today, the date otherwise."""
        if not ms:
            return ""
        at = datetime.fromtimestamp(ms / 1000, UTC).astimezone(self.zone)
        today = datetime.now(self.zone).date()
        return at.strftime("%H:%M:%S" if at.date() == today else "%Y-%m-%d %H:%M")


def matches(row: Row, channel: str, state: str) -> bool:
    """The filters: a channel id, and a state or a group of states ("" is any)."""
    if channel and row.channel != channel:
        return False
    return not state or state in (row.state, row.group)


def summary(rows: Sequence[Row], channels: Sequence[str]) -> list[tuple[str, dict[str, int]]]:
    """Per channel, how many of the shown deliveries are in each group."""
    names = list(channels) + sorted({r.channel for r in rows} - set(channels))
    counts = {name: dict.fromkeys(GROUP_NAMES, 0) for name in names}
    for r in rows:
        if r.group:
            counts[r.channel][r.group] += 1
    return list(counts.items())


def duration(ms: int | None) -> str:
    if ms is None:
        return ""
    if ms < 1000:
        return f"{max(ms, 0)} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    minutes = ms // 60_000
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"
