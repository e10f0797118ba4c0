"""The WebSub hub over real HTTP, with a real subscriber callback and the site as the
publisher: subscription, intent verification, denial, distribution with a signature
the test checks itself, retries, lease expiry and unsubscription."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator

import aiohttp
import pytest

from sandbox import Sandbox, WebSubHub, WebSubSubscriber

SECRET = "s3cret-for-the-hmac"


@pytest.fixture
async def subscriber() -> AsyncIterator[WebSubSubscriber]:
    sub = WebSubSubscriber(secret=SECRET)
    await sub.start()
    yield sub
    await sub.close()


@pytest.fixture
def hub(sb: Sandbox) -> WebSubHub:
    sb.hub.retry_delay = 0.05
    return sb.hub


async def hub_request(hub: WebSubHub, **form: str) -> tuple[int, str]:
    data = {f"hub.{key}": value for key, value in form.items()}
    async with aiohttp.ClientSession() as http, http.post(hub.url, data=data) as resp:
        return resp.status, await resp.text()


async def subscribe(hub: WebSubHub, topic: str, callback: str, **extra: str) -> None:
    """Subscribe with our secret (unless `extra` says secret=""), then wait for the
    verification."""
    form = {"mode": "subscribe", "topic": topic, "callback": callback, "secret": SECRET, **extra}
    status, _ = await hub_request(hub, **form)
    assert status == 202
    await hub.idle()


async def test_a_subscription_is_accepted_then_verified_with_a_challenge(
    hub: WebSubHub, subscriber: WebSubSubscriber, sb: Sandbox
) -> None:
    topic = sb.site.feed_url
    status, text = await hub_request(
        hub,
        mode="subscribe",
        topic=topic,
        callback=subscriber.callback,
        lease_seconds="3600",
        secret=SECRET,
    )
    assert (status, text) == (202, "Accepted")
    await hub.idle()
    [query] = subscriber.verifications
    assert (query["hub.mode"], query["hub.topic"], query["hub.lease_seconds"]) == (
        "subscribe",
        topic,
        "3600",
    )
    assert len(query["hub.challenge"]) >= 20
    sub = hub.subscription(topic, subscriber.callback)
    assert sub is not None and sub.state == "active" and sub.secret == SECRET
    assert sub.expires_at is not None and sub.verified_at is not None
    assert sub.expires_at - sub.verified_at == 3600
    [check] = hub.verifications
    assert (check.mode, check.status, check.ok) == ("subscribe", 200, True)
    assert hub.active(topic) == [sub]


async def test_malformed_requests_are_refused_with_a_reason(
    hub: WebSubHub, subscriber: WebSubSubscriber
) -> None:
    cb, topic = subscriber.callback, "http://127.0.0.1:9/rss/"
    cases = [
        ({"topic": topic, "callback": cb}, "hub.mode is required"),
        ({"mode": "watch", "topic": topic, "callback": cb}, "hub.mode must be subscribe"),
        ({"mode": "subscribe", "topic": topic}, "hub.callback is required"),
        ({"mode": "subscribe", "callback": cb}, "hub.topic is required"),
        (
            {"mode": "subscribe", "topic": topic, "callback": "https://example.com/cb"},
            "hub.callback must be an http(s) URL on this machine",
        ),
        ({"mode": "subscribe", "topic": topic, "callback": cb, "secret": "x" * 200}, "200 bytes"),
        ({"mode": "subscribe", "topic": topic, "callback": cb, "lease_seconds": "soon"}, "whole"),
        ({"mode": "publish"}, "hub.url is required"),
    ]
    for form, reason in cases:
        status, text = await hub_request(hub, **form)
        assert status == 400 and reason in text, (form, text)
    await hub.idle()
    assert subscriber.verifications == [] and hub.subscriptions == {}


@pytest.mark.parametrize("verify", ["wrong", "refuse"])
async def test_a_callback_that_does_not_echo_the_challenge_is_not_subscribed(
    hub: WebSubHub, sb: Sandbox, verify: str
) -> None:
    callback = WebSubSubscriber(verify="wrong" if verify == "wrong" else "refuse")
    await callback.start()
    try:
        await subscribe(hub, sb.site.feed_url, callback.callback)
        sub = hub.subscription(sb.site.feed_url, callback.callback)
        assert sub is not None and sub.state == "unverified"
        assert hub.verifications[0].status == (200 if verify == "wrong" else 404)
        assert await hub.notify(sb.site.feed_url) == 0
        await hub.idle()
        assert callback.notifications == []
    finally:
        await callback.close()


async def test_a_denied_topic_is_reported_to_the_callback(
    hub: WebSubHub, subscriber: WebSubSubscriber, sb: Sandbox
) -> None:
    hub.denied_topics[sb.site.feed_url] = "this topic takes no subscribers"
    await subscribe(hub, sb.site.feed_url, subscriber.callback)
    [query] = subscriber.verifications
    assert query == {
        "hub.mode": "denied",
        "hub.topic": sb.site.feed_url,
        "hub.reason": "this topic takes no subscribers",
    }
    sub = hub.subscription(sb.site.feed_url, subscriber.callback)
    assert sub is not None and sub.state == "denied" and hub.active() == []


async def test_a_change_on_the_site_reaches_the_subscriber_signed(
    hub: WebSubHub, subscriber: WebSubSubscriber, sb: Sandbox
) -> None:
    site = sb.site
    site.add(1, "Первая новость", "Лид", "Текст.")
    await site.idle()
    await subscribe(hub, site.feed_url, subscriber.callback)
    site.change(1, title="Исправленный заголовок")
    await site.idle()
    await hub.idle()
    assert [p.status for p in site.pings][-1] == 204
    [note] = subscriber.notifications
    async with aiohttp.ClientSession() as http, http.get(site.feed_url) as resp:
        feed = await resp.read()
    assert note.body == feed and "Исправленный заголовок" in note.text
    assert note.content_type == "application/rss+xml; charset=utf-8"
    assert note.links == [f'<{hub.url}>; rel="hub", <{site.feed_url}>; rel="self"']
    expected = hmac.new(SECRET.encode(), note.body, hashlib.sha256).hexdigest()
    assert note.signature == f"sha256={expected}" and note.signature_ok is True
    assert hub.delivery_count(callback=subscriber.callback, topic=site.feed_url) == 1


async def test_no_secret_no_signature(hub: WebSubHub, sb: Sandbox) -> None:
    plain = WebSubSubscriber()
    await plain.start()
    try:
        await subscribe(hub, sb.site.feed_url, plain.callback, secret="")
        assert await hub.notify(sb.site.feed_url, b"<rss/>", "application/rss+xml") == 1
        await hub.idle()
        [note] = plain.notifications
        assert (note.body, note.signature) == (b"<rss/>", None)
    finally:
        await plain.close()


async def test_leases_are_kept_within_bounds_and_expire(
    hub: WebSubHub, subscriber: WebSubSubscriber, sb: Sandbox
) -> None:
    topic = sb.site.feed_url
    await subscribe(hub, topic, subscriber.callback, lease_seconds="5")
    assert subscriber.verifications[-1]["hub.lease_seconds"] == str(hub.min_lease)
    await subscribe(hub, topic, subscriber.callback, lease_seconds=str(10**9))
    assert subscriber.verifications[-1]["hub.lease_seconds"] == str(hub.max_lease)
    await subscribe(hub, topic, subscriber.callback)
    assert subscriber.verifications[-1]["hub.lease_seconds"] == str(hub.default_lease)
    await subscribe(hub, topic, subscriber.callback, lease_seconds="3600")
    hub.clock_offset = 3599
    assert await hub.notify(topic, b"<rss/>", "application/rss+xml") == 1
    await hub.idle()
    hub.clock_offset = 3601
    assert await hub.notify(topic, b"<rss/>", "application/rss+xml") == 0
    await hub.idle()
    sub = hub.subscription(topic, subscriber.callback)
    assert sub is not None and sub.state == "expired"
    assert len(subscriber.notifications) == 1
    # Subscribing again renews it.
    await subscribe(hub, topic, subscriber.callback, lease_seconds="3600")
    assert hub.active(topic) != []


async def test_unsubscribe_is_verified_too(
    hub: WebSubHub, subscriber: WebSubSubscriber, sb: Sandbox
) -> None:
    topic = sb.site.feed_url
    await subscribe(hub, topic, subscriber.callback)
    subscriber.verify = "refuse"  # the subscriber did not ask: nothing changes
    status, _ = await hub_request(
        hub, mode="unsubscribe", topic=topic, callback=subscriber.callback
    )
    assert status == 202
    await hub.idle()
    assert hub.active(topic) != []
    subscriber.verify = "echo"
    await hub_request(hub, mode="unsubscribe", topic=topic, callback=subscriber.callback)
    await hub.idle()
    assert subscriber.verifications[-1]["hub.mode"] == "unsubscribe"
    assert "hub.lease_seconds" not in subscriber.verifications[-1]
    sub = hub.subscription(topic, subscriber.callback)
    assert sub is not None and sub.state == "unsubscribed"
    assert await hub.notify(topic, b"<rss/>", "application/rss+xml") == 0


async def test_failed_deliveries_are_retried_with_backoff(
    hub: WebSubHub, subscriber: WebSubSubscriber, sb: Sandbox
) -> None:
    topic = sb.site.feed_url
    await subscribe(hub, topic, subscriber.callback)
    subscriber.fail_next = 2
    await hub.notify(topic, b"<rss/>", "application/rss+xml")
    await hub.idle()
    tries = hub.deliveries
    assert [(d.attempt, d.status, d.ok) for d in tries] == [
        (1, 500, False),
        (2, 500, False),
        (3, 204, True),
    ]
    assert tries[1].at - tries[0].at >= 0.05 and tries[2].at - tries[1].at >= 0.1
    subscriber.fail_next = 10
    await hub.notify(topic, b"<rss/>", "application/rss+xml")
    await hub.idle()
    assert [d.attempt for d in hub.deliveries[3:]] == [1, 2, 3, 4]  # max_attempts, then no more
    assert hub.delivery_count(callback=subscriber.callback) == 1


async def test_410_gone_ends_the_subscription(
    hub: WebSubHub, subscriber: WebSubSubscriber, sb: Sandbox
) -> None:
    await subscribe(hub, sb.site.feed_url, subscriber.callback)
    subscriber.fail_next, subscriber.fail_status = 1, 410
    await hub.notify(sb.site.feed_url, b"<rss/>", "application/rss+xml")
    await hub.idle()
    assert [d.status for d in hub.deliveries] == [410]
    sub = hub.subscription(sb.site.feed_url, subscriber.callback)
    assert sub is not None and sub.state == "gone"


async def test_control_endpoints(hub: WebSubHub, subscriber: WebSubSubscriber, sb: Sandbox) -> None:
    await subscribe(hub, sb.site.feed_url, subscriber.callback)
    async with aiohttp.ClientSession() as http:
        notify = {"topic": sb.site.feed_url, "body": "<rss/>", "content_type": "text/xml"}
        async with http.post(f"{hub.base_url}/_sandbox/notify", json=notify) as resp:
            assert await resp.json() == {"ok": True, "subscribers": 1}
        await hub.idle()
        async with http.get(f"{hub.base_url}/_sandbox/subscriptions") as resp:
            [listed] = await resp.json()
        assert (listed["callback"], listed["state"], listed["active"]) == (
            subscriber.callback,
            "active",
            True,
        )
        async with http.get(f"{hub.base_url}/_sandbox/deliveries") as resp:
            [delivery] = await resp.json()
        assert (delivery["body"], delivery["status"]) == ("<rss/>", 204)
        async with http.post(f"{hub.base_url}/_sandbox/reset") as resp:
            assert resp.status == 200
    assert hub.subscriptions == {} and hub.deliveries == []
