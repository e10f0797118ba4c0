"""When each feed is polled: one schedule in Redis, worked by whichever process leads.

The schedule is a sorted set (`{ns}:feeds:due`, feed id -> due time in ms), so a new
leader carries on where the old one stopped: nothing is polled twice in a row and nothing
waits a whole interval because the leader changed. One loop takes the feeds that are due
and polls them, at most `concurrency` at a time (ten thousand feeds are not ten thousand
tasks, nor ten thousand connections). A feed taken is first pushed `lease` seconds ahead,
so that a poll lost with its leader is made again by the next one.

Feeds spread their polls: a feed new to the schedule is first due at a random moment
within its interval (at most FIRST_SPREAD_PER_SECOND first polls a second), and every
next delay has the poller's own 10% jitter (FeedPoller.next_delay), so feeds configured
together do not fire together.

A feed a WebSub hub pushes is polled rarely (FeedPoller.next_delay lengthens the delay),
but checked every interval: a subscription lost meanwhile brings its poll at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Mapping

import structlog

from bot.infra.health import REDIS_ERRORS
from bot.ingest.feeds import FeedPoller
from bot.store import Store, now_ms

log = structlog.get_logger("feeds")
FIRST_SPREAD_PER_SECOND = 50.0  # first polls of feeds new to the schedule
IDLE_SECONDS = 1.0  # the longest sleep between looks at the schedule


class FeedSchedule:
    def __init__(
        self,
        store: Store,
        pollers: Mapping[str, FeedPoller],
        *,
        concurrency: int = 64,
        lease_margin: float = 30.0,
    ) -> None:
        self.store = store
        self.pollers = dict(pollers)
        self.concurrency = concurrency
        self._in_flight: set[str] = set()
        self._slow_until: dict[str, float] = {}  # pushed feeds: monotonic time of the poll
        self._freed = asyncio.Event()
        # a poll lost with its leader is made again after its timeout and a margin
        self._leases = {f: p.feed.timeout + lease_margin for f, p in self.pollers.items()}

    async def sync(self) -> None:
        """Add the configured feeds the schedule lacks (spread over their interval) and
        drop the ones no longer configured."""
        scheduled = await self.store.feeds.scheduled()
        gone = [feed_id for feed_id in scheduled if feed_id not in self.pollers]
        new = [p for feed_id, p in self.pollers.items() if feed_id not in scheduled]
        spread = len(new) / FIRST_SPREAD_PER_SECOND
        now = now_ms()
        due = {
            p.feed.id: now + int(1000 * random.uniform(0, min(p.feed.interval, spread)))
            for p in new
        }
        await self.store.feeds.reschedule(due, drop=gone)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll the due feeds until `stop` is set (this process no longer leads)."""
        synced = False
        async with asyncio.TaskGroup() as tg:
            while not stop.is_set():
                try:
                    if not synced:
                        await self.sync()
                        synced = True
                    wait = await self._take_due(tg)
                except REDIS_ERRORS as exc:
                    log.warning("feed schedule unavailable, retrying", error=str(exc))
                    wait = IDLE_SECONDS
                self._freed.clear()
                with contextlib.suppress(TimeoutError):  # a poll done frees a slot
                    await asyncio.wait_for(self._freed.wait(), wait)
            # polls in flight end by their own timeout; the rest wait for the next leader

    async def _take_due(self, tg: asyncio.TaskGroup) -> float:
        """Start the due feeds there is room for; seconds until the next look."""
        room = self.concurrency - len(self._in_flight)
        if room <= 0:
            return IDLE_SECONDS
        taken = await self.store.feeds.take_due(room, self._in_flight, self._leases)
        for feed_id in taken:
            poller = self.pollers.get(feed_id)
            if poller is None:
                continue
            self._in_flight.add(feed_id)
            tg.create_task(self._poll(poller))
        next_due = await self.store.feeds.next_due_ms()
        if taken:
            return 0.0
        if next_due is None:
            return IDLE_SECONDS
        return min(IDLE_SECONDS, max(0.0, (next_due - now_ms()) / 1000))

    async def _poll(self, poller: FeedPoller) -> None:
        feed_id = poller.feed.id
        try:
            delay = await self._poll_or_check(poller)
        except Exception as exc:  # Redis down or a bug: keep polling, say why
            log.error("feed poller error", feed=feed_id, error=repr(exc))
            delay = poller.feed.interval
            self._slow_until.pop(feed_id, None)  # next time: a poll, as without pushes
        try:
            await self.store.feeds.reschedule({feed_id: now_ms() + int(delay * 1000)})
        except REDIS_ERRORS as exc:  # the lease brings it back
            log.warning("feed not rescheduled", feed=feed_id, error=str(exc))
        finally:
            self._in_flight.discard(feed_id)
            self._freed.set()

    async def _poll_or_check(self, poller: FeedPoller) -> float:
        """Poll (or, for a pushed feed whose slow poll is not due, only check that the
        push still holds); the seconds until the feed is next looked at."""
        feed_id, interval = poller.feed.id, float(poller.feed.interval)
        left = self._slow_until.get(feed_id, 0.0) - time.monotonic()
        pushes = poller.pushes
        if left > 1 and pushes is not None and await pushes.covers(feed_id, 0):
            return min(left, interval)
        self._slow_until.pop(feed_id, None)
        await poller.poll_once()
        delay = await poller.next_delay()
        if poller.pushed and delay > interval:
            self._slow_until[feed_id] = time.monotonic() + delay
            return interval
        return delay
