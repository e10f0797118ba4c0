"""WebSub subscriber (W3C WebSub, https://www.w3.org/TR/websub/): a feed whose poll names
a hub (bot.ingest.websubhub) is subscribed to, so that the hub POSTs the feed to
`{NEWSBOT_PUBLIC_URL}/websub/{feed id}` (bot.ingest.websubcallback) within seconds of a
change, and the poller slows down to a fallback (bot.ingest.feeds). Only with
NEWSBOT_PUBLIC_URL set, and for feeds whose `websub` is not false.

The subscription lives in Redis (bot.store.websub has its states), so any process
answers the hub and a restart keeps it. The leader makes every request to a hub
(bot.ingest.websubhub.post_to_hub):
- subscribe (§5.1): a form POST with a random hub.secret of its own (kept for the same
  hub and topic, so deliveries signed while a renewal is verified still verify), asking
  for LEASE_SECONDS (10 days, §8.2's default); the lease the hub grants is kept (§5.3).
  The hub's URL comes from a feed: it follows bot.addresses' rules (a refused hub gets
  one log line and is never contacted), and so does every 307/308 it answers (§5.1.2).
- renew: at RENEW_AT of the granted lease, the same request again; the hub keeps the
  subscription as it was until the renewal is verified (§5.1).
- retry: a request the hub refuses, or does not verify within VERIFY_WAIT_MS (5 min), is tried
  again after 1 min, doubling, at most RETRY_MAX_MS (6 h); a denial (§5.2) after
  DENIED_RETRY_MS (1 day); a lease that ends unrenewed is asked for again at once.
- nothing is unsubscribed on shutdown: leases end by themselves. A feed whose `websub`
  was turned off is unsubscribed once (§5.1, hub.mode=unsubscribe).
A verification is agreed to only while a request of that mode for that topic is pending
(§5.3.1): nobody but the hub asked can stretch a lease, and with it the slowed polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable, Collection, Coroutine, Sequence
from typing import Any

import aiohttp
import structlog

from bot.addresses import resolved_problem, url_problem
from bot.config import Config, FeedConfig
from bot.ingest.websubhub import discover, post_to_hub
from bot.net import FetchResult
from bot.store import Store, now_ms
from bot.store.websub import (
    ACTIVE,
    DENIED,
    EXPIRED,
    FAILED,
    HELD,
    PENDING,
    PUSHING,
    REFUSED,
    RENEWING,
    SUBSCRIBING,
    UNSUBSCRIBED,
    UNSUBSCRIBING,
)

log = structlog.get_logger("websub")
LEASE_SECONDS = 10 * 86400
RENEW_AT = 0.8  # of the granted lease
VERIFY_WAIT_MS = 300_000
RETRY_BASE_MS = 60_000
RETRY_MAX_MS = 6 * 3600_000
DENIED_RETRY_MS = 86400_000
TICK_SECONDS = (1.0, 60.0)  # the leader's task looks again after this long, at least/most
DELIVERY_GRACE_SECONDS = 10.0  # for deliveries under way at shutdown


def open_subscriber(config: Config, store: Store, http: aiohttp.ClientSession) -> Subscriber | None:
    """The subscriber, when NEWSBOT_PUBLIC_URL says where hubs reach this service."""
    settings = config.settings
    if settings.public_url is None:
        return None
    feeds = [f for f in config.feeds if f.enabled]
    return Subscriber(feeds, store, http, public_url=settings.public_url,
                      allow_private=settings.allow_private_networks)  # fmt: skip


class Subscriber:
    def __init__(
        self,
        feeds: Sequence[FeedConfig],
        store: Store,
        http: aiohttp.ClientSession,
        *,
        public_url: str,
        allow_private: bool,
    ) -> None:
        self.feeds = {f.id: f for f in feeds}
        self.subs = store.websub
        self.http = http  # bot.net's fetch session: its resolver refuses private addresses
        self.public_url = public_url.rstrip("/")
        self.allow_private = allow_private
        self.tasks: set[asyncio.Task[Any]] = set()
        self.wake = asyncio.Event()  # a poll has made a subscription: the task looks now

    def callback(self, feed_id: str) -> str:
        return f"{self.public_url}/websub/{feed_id}"

    # -- what the poller asks (bot.ingest.feeds.Pushes) ----------------------------------

    async def discovered(self, feed: FeedConfig, result: FetchResult) -> None:
        """Subscribe when a poll's answer names a hub or topic other than the ones held."""
        if not feed.websub or feed.id not in self.feeds:
            return
        found = discover(result.url, result.headers.getall("Link", []), result.body)
        if found is None:
            return
        held = await self.subs.get(feed.id)
        same = (held.get("hub"), held.get("topic")) == (found.hub, found.topic)
        if same and held.get("state") != REFUSED:
            return  # the leader's task renews and retries it
        problem = await self._hub_problem(found.hub)
        if problem is not None:
            if not same:
                log.warning("websub hub refused", feed=feed.id, hub=found.hub, reason=problem)
                held = {"hub": found.hub, "topic": found.topic, "state": REFUSED}
                await self.subs.replace(feed.id, held | {"reason": problem})
            return
        fresh = {"hub": found.hub, "topic": found.topic, "secret": secrets.token_hex(32)}
        await self.subs.replace(feed.id, fresh)
        await self._request(feed.id, "subscribe")
        self.wake.set()

    async def covers(self, feed_id: str, seconds: float) -> bool:
        """Whether the hub pushes the feed for at least `seconds` more."""
        held = await self.subs.get(feed_id)
        until = int(held.get("lease_until") or 0)
        return held.get("state") in PUSHING and until > now_ms() + seconds * 1000

    # -- what the callback asks (bot.ingest.websubcallback) ------------------------------

    async def secret(self, feed_id: str) -> str | None:
        """The secret deliveries for the feed are signed with; None: no subscription."""
        feed = self.feeds.get(feed_id)
        if feed is None or not feed.websub:
            return None
        return (await self.subs.get(feed_id)).get("secret") or None

    async def verify(self, feed_id: str, mode: str, topic: str, lease: str) -> bool:
        """Whether we agree to the hub's verification of intent (§5.3.1); a subscription's
        lease runs from now (§5.3: from the verification request)."""
        if feed_id not in self.feeds:
            return False
        seconds = int(lease) if lease.isascii() and lease.isdigit() else 0
        if mode == "subscribe" and seconds:
            now = now_ms()
            active: dict[str, str | int] = {
                "state": ACTIVE,
                "lease_seconds": seconds,
                "lease_until": now + seconds * 1000,
                "renew_at": now + int(seconds * 1000 * RENEW_AT),
                "failures": 0,
                "reason": "",
            }
            agreed = await self.subs.change_if(feed_id, _held(topic, PENDING), active)
            if agreed:
                log.info("websub subscribed", feed=feed_id, topic=topic, lease_seconds=seconds)
            return agreed
        if mode == "unsubscribe":
            ended = {"state": UNSUBSCRIBED}
            return await self.subs.change_if(feed_id, _held(topic, {UNSUBSCRIBING}), ended)
        return False

    async def deny(self, feed_id: str, topic: str, reason: str) -> bool:
        """Record the hub's denial (§5.2: at any time, even of an active subscription)."""
        if feed_id not in self.feeds:
            return False
        denial: dict[str, str | int] = {
            "state": DENIED,
            "reason": reason[:300],
            "retry_at": now_ms() + DENIED_RETRY_MS,
        }
        denied = await self.subs.change_if(feed_id, _held(topic, HELD), denial)
        if denied:
            log.warning("websub subscription denied", feed=feed_id, topic=topic, reason=reason)
        return denied

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run a delivery's ingest after the hub has its answer (§7: answer quickly)."""
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def idle(self) -> None:
        """Wait for the deliveries under way."""
        while self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)

    async def close(self) -> None:
        """Give the deliveries under way a moment, then stop them: what they lose comes
        with the next poll."""
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=DELIVERY_GRACE_SECONDS)
        for task in list(self.tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- the leader's task ---------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """While leading: renew leases, retry what failed, unsubscribe feeds turned off."""
        while not stop.is_set():
            self.wake.clear()
            wait = TICK_SECONDS[1]
            for feed_id in self.feeds:
                try:
                    due_ms = await self._tend(feed_id)
                except Exception as exc:  # Redis down or a bug: keep tending, say why
                    log.error("websub task error", feed=feed_id, error=repr(exc))
                    due_ms = None
                if due_ms is not None:
                    wait = min(wait, max(due_ms / 1000, TICK_SECONDS[0]))
            await self._sleep(stop, wait)

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        waits = [asyncio.create_task(stop.wait()), asyncio.create_task(self.wake.wait())]
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()

    async def _tend(self, feed_id: str) -> int | None:
        """Do what the feed's subscription needs now; ms until it next needs something."""
        held = await self.subs.get(feed_id)
        state, now = held.get("state", ""), now_ms()
        if not held.get("hub") or state == REFUSED:
            return None
        if not self.feeds[feed_id].websub:
            if state in HELD:
                await self._request(feed_id, "unsubscribe")
            return None
        if state in PENDING:
            deadline = int(held.get("asked_at") or 0) + VERIFY_WAIT_MS
            if now < deadline:  # verified in any process: look again soon for the lease
                return min(deadline - now, 1000)
            await self._failed(feed_id, state, "the hub did not verify the request in time")
            return 0
        if state == ACTIVE:
            if now < int(held.get("renew_at") or 0):
                return int(held["renew_at"]) - now
            if now >= int(held.get("lease_until") or 0):
                log.warning("websub lease expired", feed=feed_id, topic=held.get("topic"))
                await self.subs.update(feed_id, {"state": EXPIRED, "retry_at": 0})
        elif int(held.get("retry_at") or 0) > now:  # failed, denied, expired, unsubscribed
            return int(held["retry_at"]) - now
        await self._request(feed_id, "subscribe")
        return 0

    # -- requests to the hub (§5.1) ------------------------------------------------------

    async def _request(self, feed_id: str, mode: str) -> None:
        held = await self.subs.get(feed_id)
        if mode == "unsubscribe":
            state = UNSUBSCRIBING
        else:
            state = RENEWING if held.get("state") == ACTIVE else SUBSCRIBING
        # the callback subscribed is the one to unsubscribe, were NEWSBOT_PUBLIC_URL changed
        callback = held.get("callback") if mode == "unsubscribe" else None
        callback = callback or self.callback(feed_id)
        # before the request: a hub may verify before it answers
        await self.subs.update(
            feed_id, {"state": state, "asked_at": now_ms(), "callback": callback}
        )
        form = {"hub.mode": mode, "hub.topic": held["topic"], "hub.callback": callback}
        if mode == "subscribe":
            form |= {"hub.secret": held["secret"], "hub.lease_seconds": str(LEASE_SECONDS)}
        problem = await post_to_hub(self.http, held["hub"], form, allow_private=self.allow_private)
        if problem is None:
            log.info("websub request sent", feed=feed_id, mode=mode, hub=held["hub"],
                     topic=held["topic"], renewal=state == RENEWING)  # fmt: skip
        elif mode == "unsubscribe":  # once: the lease ends by itself anyway
            log.warning("websub unsubscribe failed", feed=feed_id, hub=held["hub"], reason=problem)
            await self.subs.update(feed_id, {"state": UNSUBSCRIBED, "reason": problem})
        else:
            await self._failed(feed_id, state, problem)

    async def _failed(self, feed_id: str, expected: str, reason: str) -> None:
        """A request failed: retried with backoff, unless a verification overtook it."""
        now, delay = now_ms(), 0

        def step(held: dict[str, str]) -> dict[str, str | int] | None:
            nonlocal delay
            if held.get("state") != expected:
                return None
            failures = int(held.get("failures") or 0) + 1
            delay = min(RETRY_BASE_MS * 2 ** min(failures - 1, 20), RETRY_MAX_MS)
            return {"state": FAILED, "failures": failures, "retry_at": now + delay,
                    "reason": reason[:300]}  # fmt: skip

        if await self.subs.change(feed_id, step):
            log.warning("websub subscribe failed", feed=feed_id, reason=reason,
                        retry_in_seconds=delay // 1000)  # fmt: skip

    async def _hub_problem(self, hub: str) -> str | None:
        problem = url_problem(hub, allow_private=self.allow_private)
        if problem is None and not self.allow_private:
            problem = await resolved_problem(hub)
        return problem


def _held(topic: str, states: Collection[str]) -> Callable[[dict[str, str]], bool]:
    """Whether the feed holds a subscription to `topic` in one of `states`."""
    return lambda held: held.get("topic") == topic and held.get("state") in states
