"""A local Bot API server: the methods newsbot uses, with the real validation, limits,
errors and answers, over real HTTP (aiohttp.web) on loopback.

Requests: `{base}/bot<token>/<method>`, method names case-insensitive, parameters in
the query string, a form, multipart or JSON body (Bot API "Making requests").
Errors are `{"ok":false,"error_code":N,"description":...}` with the texts of
tdlib/telegram-bot-api `Client.cpp` and tdlib; see docs/architecture.md "Telegram".
The sandbox serves one bot's update stream; every accepted token shares it.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sandbox.faults import (
    ConnectionDropped,
    Fault,
    FaultPlan,
    drop_connection,
    run_with_fault,
)
from sandbox.records import (
    CallRecord,
    as_bool,
    as_json,
    as_str,
    error_of,
    json_answer,
    new_call,
    read_params,
)
from sandbox.serving import listen, unlisten
from sandbox.tgedits import EditMethods
from sandbox.tgmodels import Chat, ChatRegistry, SentMessage, TgError, stable_channel_id
from sandbox.tgupdates import UpdateQueue, WebhookDelivery

TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{30,}$")
NOT_FOUND = TgError(404, "Not Found")
Handler = Callable[[dict[str, Any], str], Awaitable[Any]]


class TelegramSandbox(EditMethods):
    def __init__(
        self,
        *,
        valid_tokens: set[str] | None = None,
        strict_chats: bool = False,
        rate_limit: tuple[int, float] | None = None,
        bot_rate_limit: tuple[int, float] | None = None,
    ) -> None:
        self.valid_tokens = valid_tokens
        self.revoked_tokens: set[str] = set()  # answer 401 Unauthorized, as Telegram does
        self.strict_chats = strict_chats
        # (messages, seconds) per chat and per bot, counted over a sliding window.
        self.rate_limit = rate_limit
        self.bot_rate_limit = bot_rate_limit
        self.unreachable_urls: set[str] = set()
        self.wrong_type_urls: set[str] = set()
        self.clock_offset = 0.0  # seconds added to the wall clock (ages messages)
        self.faults = FaultPlan()
        self.posts: list[SentMessage] = []
        self.calls: list[CallRecord] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.chats = ChatRegistry()
        self.updates = UpdateQueue(self._run_webhook_reply)
        self.base_url = ""
        self._known_callbacks: set[str] = set()
        self._last_token = "0:" + "0" * 35
        self._sent_at: defaultdict[int, deque[float]] = defaultdict(deque)
        self._bot_sent_at: deque[float] = deque()
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "sendMessage": self._send_message,
                "sendPhoto": self._send_photo,
                "editMessageText": self._edit_message_text,
                "editMessageCaption": self._edit_message_caption,
                "editMessageMedia": self._edit_message_media,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "getChat": self._get_chat,
                "getChatMember": self._get_chat_member,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "answerCallbackQuery": self._answer_callback_query,
            }.items()
        }

    # -- helpers for tests and the demo ------------------------------------------------

    def add_chat(
        self,
        chat: str | int,
        *,
        title: str = "Sandbox channel",
        can_post: bool = True,
        member: bool = True,
        kicked: bool = False,
        kind: str | None = None,
        members: frozenset[int] | None = None,
        can_edit: bool = True,
        can_delete: bool = True,
    ) -> Chat:
        """Register a channel by @username or -100... id (or a private chat by a
        positive user id; `kind="supergroup"` for a group, with its `members`) with the
        bot's rights in it (getChatMember shows them)."""
        ref = str(chat).strip()
        existing = self.chats.find(ref)
        if ref.startswith("@"):
            chat_id, username = stable_channel_id(ref[1:]), ref[1:]
        else:
            chat_id, username = int(ref), None
        kind = kind or ("private" if chat_id > 0 else "channel")
        entry = Chat(
            chat_id, kind, title, username, can_post, member, kicked,
            members=members, can_edit=can_edit, can_delete=can_delete,
        )  # fmt: skip
        if existing is not None:
            entry.next_message_id = existing.next_message_id
        return self.chats.add(entry)

    def set_rights(self, chat: str | int, **rights: bool) -> Chat:
        """Change the bot's standing in a registered chat, as an owner would in its
        settings: can_post, can_edit, can_delete, member, kicked."""
        found = self.chats.find(chat)
        if found is None:
            raise KeyError(f"no chat {chat!r}: add_chat it first")
        for name, value in rights.items():
            if name not in ("can_post", "can_edit", "can_delete", "member", "kicked"):
                raise TypeError(f"{name!r} is not a right the sandbox keeps")
            setattr(found, name, value)
        return found

    def revoke_token(self, token: str) -> None:
        """From now on every call with `token` answers 401 Unauthorized (@BotFather
        revoked it)."""
        self.revoked_tokens.add(token)

    def posts_in(self, chat: str | int) -> list[SentMessage]:
        found = self.chats.find(chat)
        chat_id = found.id if found else None
        return [p for p in self.posts if p.chat_id == chat_id and not p.deleted]

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an Update (without update_id) for getUpdates or the webhook."""
        query = update.get("callback_query")
        if isinstance(query, dict) and "id" in query:
            self._known_callbacks.add(str(query["id"]))
        return self.updates.push(update)

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        return self.updates.deliveries

    def reset(self) -> None:
        self.posts.clear()
        self.calls.clear()
        self.callback_answers.clear()
        self.faults.clear()
        self.updates.reset()
        self._sent_at.clear()
        self._bot_sent_at.clear()

    # -- server ----------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_get("/_sandbox/posts", self._control_posts)
        app.router.add_get("/_sandbox/calls", self._control_calls)
        app.router.add_post("/_sandbox/faults", self._control_faults)
        app.router.add_post("/_sandbox/reset", self._control_reset)
        app.router.add_post("/_sandbox/updates", self._control_push_update)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner, self.base_url = await listen(self.app(), host, port)
        return self.base_url

    async def close(self) -> None:
        await self.updates.close()
        await unlisten(self._runner)
        self._runner = None

    async def _not_found(self, request: web.Request) -> web.Response:
        return _answer(NOT_FOUND)

    async def _handle(self, request: web.Request) -> web.Response:
        token, name = request.match_info["token"], request.match_info["method"]
        if not TOKEN_RE.match(token):
            return self._log(name, None, _answer(NOT_FOUND))
        revoked = token in self.revoked_tokens
        if revoked or (self.valid_tokens is not None and token not in self.valid_tokens):
            return self._log(name, None, _answer(TgError(401, "Unauthorized")))
        entry = self._methods.get(name.lower())
        if entry is None:
            return self._log(name, None, _answer(NOT_FOUND))
        method, handler = entry
        self._last_token = token
        params = await read_params(request)
        chat_id = _chat_ref(params.get("chat_id"))

        async def process() -> web.Response:
            try:
                result = await handler(params, token)
            except TgError as exc:
                return _answer(exc)
            return _answer(None, result)

        try:
            response = await run_with_fault(request, self.faults.take(method), process, _refusal)
        except ConnectionDropped:
            self.calls.append(new_call(method, chat_id, 0, "connection dropped"))
            return drop_connection(request)
        return self._log(method, chat_id, response)

    def _log(self, method: str, chat_id: int | str | None, response: web.Response) -> web.Response:
        self.calls.append(new_call(method, chat_id, response.status, error_of(response)))
        return response

    # -- methods without a message ---------------------------------------------------

    async def _get_me(self, params: dict[str, Any], token: str) -> Any:
        return {
            **self.bot_user(token),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: dict[str, Any], token: str) -> Any:
        return await self.updates.get_updates(params)

    async def _set_webhook(self, params: dict[str, Any], token: str) -> Any:
        return _Described(True, await self.updates.set_webhook(params))

    async def _delete_webhook(self, params: dict[str, Any], token: str) -> Any:
        drop = as_bool(params.get("drop_pending_updates"))
        return _Described(True, await self.updates.delete_webhook(drop))

    async def _get_webhook_info(self, params: dict[str, Any], token: str) -> Any:
        return self.updates.webhook_info()

    async def _answer_callback_query(self, params: dict[str, Any], token: str) -> Any:
        query_id = as_str(params.get("callback_query_id"))
        if query_id not in self._known_callbacks:
            raise TgError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._known_callbacks.discard(query_id)
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "text": params.get("text"),
                "show_alert": as_bool(params.get("show_alert")),
                "url": params.get("url"),
            }
        )
        return True

    async def _run_webhook_reply(self, params: dict[str, Any]) -> None:
        entry = self._methods.get(as_str(params.get("method")).lower())
        if entry is not None:
            await entry[1](params, self._last_token)
            self.calls.append(new_call(entry[0], _chat_ref(params.get("chat_id")), 200, None))

    # -- control endpoints -------------------------------------------------------------

    async def _control_posts(self, request: web.Request) -> web.Response:
        return web.json_response([vars(p) for p in self.posts])

    async def _control_calls(self, request: web.Request) -> web.Response:
        return web.json_response([vars(c) for c in self.calls])

    async def _control_faults(self, request: web.Request) -> web.Response:
        try:
            self.faults.add(Fault.from_json(await request.json()))
        except (ValueError, TypeError) as exc:
            return web.json_response({"ok": False, "description": str(exc)}, status=400)
        return web.json_response({"ok": True})

    async def _control_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})

    async def _control_push_update(self, request: web.Request) -> web.Response:
        update = as_json(await request.text())
        if not isinstance(update, dict):
            return web.json_response({"ok": False, "description": "an Update object"}, status=400)
        return web.json_response({"ok": True, "update_id": self.push_update(update)})


class _Described:
    """A result with the "description" the real server adds (e.g. "Webhook was set")."""

    def __init__(self, result: Any, description: str) -> None:
        self.result, self.description = result, description


def _answer(error: TgError | None, result: Any = None) -> web.Response:
    if error is not None:
        return json_answer(error.body(), status=error.code, error=error.description)
    if isinstance(result, _Described):
        return json_answer({"ok": True, "result": result.result, "description": result.description})
    return json_answer({"ok": True, "result": result})


def _refusal(fault: Fault) -> web.Response:
    if fault.kind == "rate_limit":
        wait = fault.retry_after
        return _answer(
            TgError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        )
    return _answer(TgError(fault.status, fault.description))


def _chat_ref(value: Any) -> int | str | None:
    text = as_str(value).strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return text
