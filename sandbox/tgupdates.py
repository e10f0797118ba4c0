"""Incoming updates of the sandbox bot: getUpdates long polling and webhook delivery.

Behaviour and texts follow tdlib/telegram-bot-api `Client.cpp`
(process_get_updates_query, do_get_updates, abort_long_poll,
process_set_webhook_query, do_set_webhook): `offset` confirms every update below
it, a negative offset keeps only the last -offset updates, limit is 1-100 and
timeout 0-50 s; a new long poll ends the waiting one with 409 "terminated by other
getUpdates request"; getUpdates while a webhook is set is a 409; the secret token
is 0-256 characters of A-Za-z0-9_- and is sent in X-Telegram-Bot-Api-Secret-Token.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from sandbox.records import as_json, as_str
from sandbox.tgmodels import TgError, bad_request

LONG_POLL_MAX_TIMEOUT = 50
NOT_BY_DEFAULT = ("chat_member", "message_reaction", "message_reaction_count")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]*$")
CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
CONFLICT_SET_WEBHOOK = "Conflict: terminated by setWebhook request"


@dataclass
class WebhookDelivery:
    update_id: int
    status: int  # 0 when the request failed before an answer
    error: str | None = None


# Runs a Bot API method given in a webhook answer (method + parameters).
MethodRunner = Callable[[dict[str, Any]], Awaitable[None]]


class UpdateQueue:
    def __init__(self, run_method: MethodRunner) -> None:
        self._run_method = run_method
        self.pending: list[dict[str, Any]] = []
        self.next_update_id = 1
        self.allowed_updates: list[str] | None = None
        self.webhook_url = ""
        self.webhook_secret = ""
        self.webhook_retry_delay = 0.2
        self.deliveries: list[WebhookDelivery] = []
        self.last_error_message: str | None = None
        self._changed = asyncio.Event()
        self._poller: asyncio.Future[str] | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def push(self, update: dict[str, Any]) -> int:
        update_id = self.next_update_id
        self.next_update_id += 1
        self.pending.append({"update_id": update_id, **update})
        self._wake()
        return update_id

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _allowed(self, update: dict[str, Any]) -> bool:
        if self.allowed_updates:
            return any(kind in update for kind in self.allowed_updates)
        # Bot API getUpdates: by default every type except these three.
        return not any(kind in update for kind in NOT_BY_DEFAULT)

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self.pending = self.pending[offset:]
        elif offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]

    def _ready(self, limit: int) -> list[dict[str, Any]]:
        self.pending = [u for u in self.pending if self._allowed(u)]
        return self.pending[:limit]

    async def get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise TgError(409, CONFLICT_WEBHOOK)
        offset = _int(params.get("offset"), 0)
        limit = min(max(_int(params.get("limit"), 100), 1), 100)
        timeout = min(max(_int(params.get("timeout"), 0), 0), LONG_POLL_MAX_TIMEOUT)
        if "allowed_updates" in params:
            try:
                allowed = as_json(params["allowed_updates"])
            except ValueError:
                allowed = None
            if isinstance(allowed, list):
                self.allowed_updates = [str(a) for a in allowed]
        self._confirm(offset)
        ready = self._ready(limit)
        if ready or timeout == 0:
            return ready
        self.abort_poll(CONFLICT_OTHER_POLL)
        me: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._poller = me
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            while not ready:
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    break
                changed = asyncio.ensure_future(self._changed.wait())
                waiters: set[asyncio.Future[Any]] = {me, changed}
                await asyncio.wait(waiters, timeout=left, return_when=asyncio.FIRST_COMPLETED)
                changed.cancel()
                if me.done():
                    raise TgError(409, me.result())
                ready = self._ready(limit)
        finally:
            if self._poller is me:
                self._poller = None
        return ready

    def abort_poll(self, reason: str) -> None:
        if self._poller is not None and not self._poller.done():
            self._poller.set_result(reason)
        self._poller = None

    async def set_webhook(self, params: dict[str, Any]) -> str:
        url = as_str(params.get("url")).strip()
        drop = params.get("drop_pending_updates") in (True, "true", "True", "1", 1)
        if not url:
            return await self.delete_webhook(drop)
        parts = urlsplit(url)
        # The real server wants https on ports 443/80/88/8443; the sandbox takes any
        # http(s) URL because it delivers on loopback.
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise bad_request("invalid webhook URL specified")
        secret = as_str(params.get("secret_token"))
        if len(secret) > 256:
            raise bad_request("secret token is too long")
        if not SECRET_RE.match(secret):
            raise bad_request("secret token contains unallowed characters")
        if "allowed_updates" in params:
            with contextlib.suppress(ValueError):
                allowed = as_json(params["allowed_updates"])
                self.allowed_updates = (
                    [str(a) for a in allowed] if isinstance(allowed, list) else None
                )
        if url == self.webhook_url and secret == self.webhook_secret and not drop:
            return "Webhook is already set"
        self.abort_poll(CONFLICT_SET_WEBHOOK)
        if drop:
            self.pending.clear()
        self.webhook_url, self.webhook_secret = url, secret
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver_loop())
        self._wake()
        return "Webhook was set"

    async def delete_webhook(self, drop: bool) -> str:
        if drop:
            self.pending.clear()
        if not self.webhook_url:
            return "Webhook is already deleted"
        self.webhook_url = self.webhook_secret = ""
        await self._stop_delivery()
        return "Webhook was deleted"

    def webhook_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending),
        }
        if self.webhook_url:
            info["max_connections"] = 40
            if self.last_error_message:
                info["last_error_message"] = self.last_error_message
        if self.allowed_updates:
            info["allowed_updates"] = self.allowed_updates
        return info

    async def _deliver_loop(self) -> None:
        while self.webhook_url:
            ready = self._ready(1)
            if not ready:
                await self._changed.wait()
                continue
            update = ready[0]
            if await self._post(update):
                if self.pending and self.pending[0] is update:
                    self.pending.pop(0)
            else:
                await asyncio.sleep(self.webhook_retry_delay)

    async def _post(self, update: dict[str, Any]) -> bool:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        headers = (
            {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret} if self.webhook_secret else {}
        )
        try:
            async with self._session.post(self.webhook_url, json=update, headers=headers) as resp:
                ok = 200 <= resp.status < 300
                self.deliveries.append(WebhookDelivery(update["update_id"], resp.status))
                if not ok:
                    self.last_error_message = f"Wrong response from the webhook: {resp.status}"
                    return False
                await self._reply_method(resp)
                return True
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.last_error_message = f"Connection error: {type(exc).__name__}"
            self.deliveries.append(WebhookDelivery(update["update_id"], 0, str(exc)))
            return False

    async def _reply_method(self, resp: aiohttp.ClientResponse) -> None:
        """A webhook may answer with a Bot API call in its body (Bot API "Making
        requests when getting updates"); the server performs it, result unseen."""
        params: dict[str, Any] = {}
        if resp.content_type == "application/json":
            with contextlib.suppress(ValueError, aiohttp.ContentTypeError):
                body = await resp.json()
                params = body if isinstance(body, dict) else {}
        elif resp.content_type == "multipart/form-data":
            reader = aiohttp.MultipartReader.from_response(resp)
            while (part := await reader.next()) is not None:
                if isinstance(part, aiohttp.BodyPartReader) and part.name:
                    params[part.name] = await part.text()
        if params.get("method"):
            with contextlib.suppress(TgError):
                await self._run_method(params)

    async def _stop_delivery(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def close(self) -> None:
        self.abort_poll(CONFLICT_OTHER_POLL)
        await self._stop_delivery()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def reset(self) -> None:
        """Forget updates, deliveries and the webhook (its task is cancelled)."""
        self.webhook_url = self.webhook_secret = ""
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        self.pending.clear()
        self.deliveries.clear()
        self.allowed_updates = None
        self.last_error_message = None


def _int(value: Any, default: int) -> int:
    try:
        return int(as_str(value).strip() or default)
    except ValueError:
        return default
