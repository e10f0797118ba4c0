"""The echo platform's client and its outcome table: 200 is a post, 429 says when to
come back, 403 means the room refused us, 5xx may have posted."""

from __future__ import annotations

from collections.abc import Sequence

import aiohttp

from bot.platforms import (
    ChannelConfig,
    FailureKind,
    Outcome,
    OutcomeRule,
    Post,
    PublishError,
    RateLimit,
    Receipt,
)

OUTCOMES = (
    OutcomeRule("200", Outcome.OK, None, "posted"),
    OutcomeRule("429", Outcome.RETRY, FailureKind.RATE_LIMITED, "slow_down"),
    OutcomeRule("403", Outcome.PERMANENT, FailureKind.FORBIDDEN, "refused"),
    OutcomeRule("5xx", Outcome.AMBIGUOUS, FailureKind.UNAVAILABLE, "server_error"),
)
_BY_STATUS = {int(r.match): r for r in OUTCOMES if r.match.isdigit()}


class EchoPublisher:
    def __init__(self, channel: ChannelConfig, http: aiohttp.ClientSession, url: str) -> None:
        self.channel = channel
        self.http = http
        self.url = url.rstrip("/")

    def rate_limits(self) -> Sequence[RateLimit]:
        return (RateLimit(f"echo:{self.channel.id}", 100.0, 10),)

    async def publish(self, post: Post, *, silent: bool = False) -> Receipt:
        try:
            async with self.http.post(f"{self.url}/posts", json=post.call.params) as resp:
                body = await resp.json()
                status = resp.status
        except aiohttp.ClientError as exc:
            raise PublishError(
                Outcome.AMBIGUOUS, FailureKind.UNAVAILABLE, str(exc), code="network"
            ) from None
        rule = _BY_STATUS.get(status) or OUTCOMES[3]
        if rule.outcome is Outcome.OK:
            return Receipt(str(body["id"]), f"{self.url}/posts/{body['id']}")
        assert rule.kind is not None
        raise PublishError(rule.outcome, rule.kind, str(body.get("error", status)),
                           retry_after=body.get("retry_after"), code=rule.code)  # fmt: skip

    async def find_existing(self, post: Post, since_ms: int) -> Receipt | None:
        async with self.http.get(f"{self.url}/posts") as resp:
            for found in await resp.json():
                if found["text"] == post.text and found["room"] == post.call.params["room"]:
                    return Receipt(str(found["id"]), f"{self.url}/posts/{found['id']}")
        return None

    async def edit(self, remote_id: str, previous: Post, new: Post) -> Receipt:
        raise PublishError(Outcome.PERMANENT, FailureKind.BAD_REQUEST, "echo cannot edit")

    async def delete(self, remote_id: str, sent_at_ms: int) -> None:
        raise PublishError(Outcome.PERMANENT, FailureKind.BAD_REQUEST, "echo cannot delete")
