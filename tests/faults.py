"""Fault injection for tests, outside the product: a worker that dies between the
platform call and the state write. Each channel's client is wrapped (the engine and the
app share one outlets mapping) by one that publishes, then raises an exception the
engine does not handle: the attempt stays `sending` with its lease, as after a kill -9,
until a reclaimer takes the job over and treats the delivery as ambiguous."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.app import App
from bot.platforms import ChannelConfig, Post, Publisher, RateLimit, Receipt
from bot.urls import article_id


class WorkerDied(Exception):
    """Stands for a worker that dies after the platform call, before the state write."""


class DyingPublisher:
    def __init__(self, inner: Publisher, should_die: Callable[[str, str], bool]) -> None:
        self.inner = inner
        self.should_die = should_die

    @property
    def channel(self) -> ChannelConfig:
        return self.inner.channel

    def rate_limits(self) -> Sequence[RateLimit]:
        return self.inner.rate_limits()

    async def publish(self, post: Post, *, silent: bool = False) -> Receipt:
        receipt = await self.inner.publish(post, silent=silent)
        if self.should_die(self.channel.id, article_id(post.link or "")):
            raise WorkerDied
        return receipt

    async def edit(self, remote_id: str, previous: Post, new: Post) -> Receipt:
        return await self.inner.edit(remote_id, previous, new)

    async def find_existing(self, post: Post, since_ms: int) -> Receipt | None:
        return await self.inner.find_existing(post, since_ms)

    async def delete(self, remote_id: str, sent_at_ms: int) -> None:
        await self.inner.delete(remote_id, sent_at_ms)


def die_after_publish(app: App, should_die: Callable[[str, str], bool]) -> None:
    """From now on, a publish for which `should_die(channel, article id)` is true
    reaches the platform and then kills its worker."""
    for channel, outlet in list(app.outlets.items()):
        app.outlets[channel] = replace(
            outlet, publisher=DyingPublisher(outlet.publisher, should_die)
        )
