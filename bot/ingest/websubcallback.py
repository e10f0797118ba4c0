"""The WebSub callback, `/websub/{feed id}` on the service's HTTP server (bot.web). Any
process may answer it: what it needs is in Redis (bot.store.websub).

GET, from the hub (W3C WebSub §5.2, §5.3):
- hub.mode=subscribe|unsubscribe: 200 with hub.challenge as the body when a request of
  that mode for that hub.topic is pending (bot.ingest.websub), else 404 (§5.3.1: "If
  the subscriber does not agree with the action ... MUST respond with a 404").
- hub.mode=denied: recorded with its hub.reason and logged (200); 404 for a topic the
  feed holds no subscription to.
POST, a content distribution (§7):
- 404: no such feed. 410 Gone: the feed holds no subscription (its `websub` is off, or
  none was made), which lets the hub end it (§7: "MAY return an HTTP 410").
- 413: the body is over the feed's max_bytes, the poller's cap.
- 202 Accepted for every other delivery, signed right or not. Only a body whose
  X-Hub-Signature (sha1, sha256, sha384 or sha512, §7.1.1) is the HMAC of the raw body
  with the subscription's secret is read; one unsigned or signed wrong is logged and
  ignored (§7.1.2: subscribers "MUST locally ignore the message as invalid" and "MAY
  still acknowledge this request with a 2xx response code ... to prevent brute-force
  attempts of the signature"): a prober learns nothing from the answer, and a hub
  holding a stale secret is not made to retry in vain.
- The body is read after the answer, as the poller reads a fetched feed
  (FeedPoller.ingest_pushed: backfill, dedupe, skipped items, enrichment, routing), since
  a 2xx "SHOULD only indicate receipt of the message" (§7) and a hub waits only so long.
  A delivery lost to a crash in between comes with the next poll (the fallback).
The delivery's Link headers are not read: the path names the feed (§7: the subscriber
"MUST NOT use these Link headers to identify the subscription").
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

import structlog
from aiohttp import web

from bot.ingest.feeds import FeedPoller
from bot.ingest.websub import Subscriber
from bot.web import Handler, Routes

log = structlog.get_logger("websub")
ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256,
              "sha384": hashlib.sha384, "sha512": hashlib.sha512}  # fmt: skip
PATH = "/websub/{feed_id}"


def add_routes(server: Routes, subscriber: Subscriber, pollers: Mapping[str, FeedPoller]) -> None:
    server.add("GET", PATH, verification_endpoint(subscriber))
    server.add("POST", PATH, delivery_endpoint(subscriber, pollers))


def verification_endpoint(subscriber: Subscriber) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        feed_id = request.match_info["feed_id"]
        query = request.query
        mode, topic = query.get("hub.mode", ""), query.get("hub.topic", "")
        if mode == "denied":
            denied = await subscriber.deny(feed_id, topic, query.get("hub.reason", ""))
            return web.Response(status=200 if denied else 404)
        challenge = query.get("hub.challenge", "")
        lease = query.get("hub.lease_seconds", "")
        if challenge and await subscriber.verify(feed_id, mode, topic, lease):
            return web.Response(text=challenge)
        log.info("websub verification refused", feed=feed_id, mode=mode[:20], topic=topic[:300])
        return web.Response(status=404)

    return handle


def delivery_endpoint(subscriber: Subscriber, pollers: Mapping[str, FeedPoller]) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        feed_id = request.match_info["feed_id"]
        poller = pollers.get(feed_id)
        if poller is None:
            return web.Response(status=404)
        secret = await subscriber.secret(feed_id)
        if secret is None:
            return web.Response(status=410)
        body = await read_capped(request, poller.feed.max_bytes)
        if body is None:
            return web.Response(status=413)
        problem = signature_problem(secret, request.headers.get("X-Hub-Signature", ""), body)
        if problem is not None:
            log.warning("websub delivery ignored", feed=feed_id, reason=problem)
        else:
            subscriber.spawn(_ingest(poller, body, request.headers.get("Content-Type")))
        return web.Response(status=202)

    return handle


async def _ingest(poller: FeedPoller, body: bytes, content_type: str | None) -> None:
    try:
        await poller.ingest_pushed(body, content_type)
    except ValueError as exc:
        log.warning("websub delivery unreadable", feed=poller.feed.id, reason=str(exc))
    except Exception as exc:  # Redis down or a bug: the next poll brings the items
        log.error("websub delivery failed", feed=poller.feed.id, error=repr(exc))


def signature_problem(secret: str, header: str, body: bytes) -> str | None:
    """Why `header` ("method=hex") is not the HMAC of `body` with `secret`; None if it is."""
    if not header:
        return "it has no X-Hub-Signature"
    method, _, digest = header.partition("=")
    algorithm = ALGORITHMS.get(method.strip().lower())
    if algorithm is None:
        return f"its signature method {method[:20]!r} is not sha1, sha256, sha384 or sha512"
    expected = hmac.new(secret.encode(), body, algorithm).hexdigest()
    # bytes: compare_digest refuses a str with non-ASCII characters
    if not hmac.compare_digest(expected.encode(), digest.strip().lower().encode()):
        return "its signature does not match"
    return None


async def read_capped(request: web.Request, limit: int) -> bytes | None:
    """The request's body, or None when it is over `limit` bytes."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = bytearray()
    async for chunk in request.content.iter_chunked(65536):
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)
