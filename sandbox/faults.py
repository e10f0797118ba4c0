"""Faults on demand for both sandbox servers: error answers, 429s, slow answers and
dropped connections, optionally after the call took effect (the ambiguous case).

A fault is consumed by the first matching call(s); `FaultPlan.random` adds a rate
of faults drawn from a list, reproducible with a seed.
"""

from __future__ import annotations

import asyncio
import random as _random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from aiohttp import web

FaultKind = Literal["status", "rate_limit", "timeout", "reset"]
KINDS = ("status", "rate_limit", "timeout", "reset")


@dataclass
class Fault:
    kind: FaultKind
    # Telegram method name (case-insensitive) or Graph operation: "feed", "photos",
    # "edit", "delete", "read_feed", "read_post", "debug_token"; None matches any call.
    method: str | None = None
    times: int = 1
    status: int = 500
    description: str = "Internal Server Error"
    code: int | None = None
    subcode: int | None = None
    is_transient: bool | None = None
    retry_after: int = 1
    # The call takes effect (the post is recorded) before the fault is answered.
    apply: bool = False
    delay: float = 30.0

    def matches(self, method: str) -> bool:
        return self.method is None or self.method.lower() == method.lower()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """A Fault from the JSON of the /_sandbox/faults control endpoint."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown Fault fields: {', '.join(sorted(unknown))}")
        if data.get("kind") not in KINDS:
            raise ValueError(f"Fault kind must be one of {', '.join(KINDS)}")
        return cls(**data)


class FaultPlan:
    """Faults waiting for calls. Thread-unsafe by design: one event loop owns it."""

    def __init__(self) -> None:
        self._queued: list[Fault] = []
        self._rate = 0.0
        self._kinds: list[Fault] = []
        self._rng = _random.Random()

    def add(self, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError("Fault.times must be at least 1")
        self._queued.append(replace(fault))

    def random(self, rate: float, kinds: Sequence[Fault], seed: int | None = None) -> None:
        """Every call fails with probability `rate`, with a fault drawn from `kinds`
        (among those whose `method` matches the call)."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        self._rate = rate
        self._kinds = [replace(k) for k in kinds]
        self._rng = _random.Random(seed)

    def clear(self) -> None:
        self._queued.clear()
        self._rate = 0.0
        self._kinds = []

    @property
    def pending(self) -> list[Fault]:
        return list(self._queued)

    def take(self, method: str) -> Fault | None:
        """The fault for this call, if any; queued faults go before random ones."""
        for fault in self._queued:
            if fault.matches(method):
                fault.times -= 1
                if fault.times == 0:
                    self._queued.remove(fault)
                return replace(fault, times=1)
        if self._rate and self._rng.random() < self._rate:
            candidates = [k for k in self._kinds if k.matches(method)]
            if candidates:
                return replace(self._rng.choice(candidates), times=1)
        return None


class ConnectionDropped(Exception):
    """The sandbox closed the connection without answering (a "reset" fault)."""


def client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


async def run_with_fault(
    request: web.Request,
    fault: Fault | None,
    process: Callable[[], Awaitable[web.Response]],
    refusal: Callable[[Fault], web.Response],
) -> web.Response:
    """Answer a call through `fault`. `process` performs the call; `refusal` builds
    the error answer of a status or rate_limit fault."""
    if fault is None:
        return await process()
    if fault.kind == "timeout":
        if fault.apply:
            answer = await process()
            await asyncio.sleep(fault.delay)
            return answer
        await asyncio.sleep(fault.delay)
        if client_gone(request):
            # The client gave up: the call never reaches the platform.
            raise ConnectionDropped
        return await process()
    if fault.apply:
        await process()
    if fault.kind == "reset":
        raise ConnectionDropped
    return refusal(fault)


def drop_connection(request: web.Request) -> web.Response:
    """Close the socket; the client sees ServerDisconnectedError. aiohttp writes
    nothing to a closed transport, so the returned response is never sent."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=499)
