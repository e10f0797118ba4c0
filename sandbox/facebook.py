"""A local Graph API for Pages: publish, edit, delete and read posts, debug_token, with
the real error bodies and rate-limit usage headers, over real HTTP (aiohttp.web).

Paths are `{graph_url}/{version}/{path}` or without a version. Endpoints and rules:
developers.facebook.com/docs/pages-api/posts and docs/architecture.md "Facebook".
Posting is not idempotent on the real API; `Fault(apply=True)` reproduces a post
that exists although the answer was an error.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sandbox.faults import ConnectionDropped, Fault, FaultPlan, drop_connection, run_with_fault
from sandbox.fbgraph import (
    FbPost,
    GraphError,
    Page,
    Usage,
    bad_token,
    known_error,
    no_permission_to_post,
    no_permission_to_read,
    no_token,
    unsupported,
)
from sandbox.fbops import GraphOperations
from sandbox.fbtokens import token_problem
from sandbox.records import (
    Answer,
    CallRecord,
    UploadedFile,
    as_str,
    error_of,
    json_answer,
    new_call,
    read_params,
)
from sandbox.serving import listen, unlisten

VERSION_RE = re.compile(r"^v(\d+)\.(\d+)$")
DEFAULT_SCOPES = ("pages_manage_posts", "pages_read_engagement")
Operation = Callable[[dict[str, Any], Page | None, list[str]], Awaitable[Any]]


class FacebookSandbox(GraphOperations):
    def __init__(
        self,
        *,
        strict_pages: bool = False,
        calls_per_hour: int = 4800,
        app_calls_per_hour: int = 20000,
    ) -> None:
        self.strict_pages = strict_pages
        # Budgets behind the usage percentages; `usage_window` shrinks the hour in tests.
        self.calls_per_hour = calls_per_hour
        self.app_calls_per_hour = app_calls_per_hour
        self.usage_window = 3600.0
        self.page_limit_code = 32  # or 80001, the Pages BUC code of newer versions
        self.duplicate_window = 3600.0
        self.app_id = "900000000000009"
        self.app_secret = "sandbox-app-secret"
        self.default_version = "v24.0"
        self.oldest_live_version = "v24.0"
        self.unreachable_urls: set[str] = set()
        self.unscrapable_urls: set[str] = set()
        self.clock_offset = 0.0
        self.faults = FaultPlan()
        self.posts: list[FbPost] = []
        self.calls: list[CallRecord] = []
        self.pages: dict[str, Page] = {}
        self.usage = Usage()
        self.base_url = ""
        self._invalid: dict[str, int] = {}
        self._next_number = 1
        self._runner: web.AppRunner | None = None

    # -- helpers for tests and the demo -------------------------------------------------

    def add_page(
        self,
        page_id: str | int,
        token: str,
        *,
        name: str = "Sandbox Page",
        scopes: tuple[str, ...] | list[str] = DEFAULT_SCOPES,
        expires_at: int = 0,
        token_type: str = "PAGE",
    ) -> Page:
        """A Page and its token: `expires_at` (Unix seconds, 0 never) ends it with
        190/463; `token_type` is what debug_token says it is."""
        page = Page(str(page_id), token, name, tuple(scopes), expires_at, token_type)
        self.pages[page.id] = page
        return page

    def invalidate_token(self, token: str, subcode: int = 460) -> None:
        """From now on the token answers 190 with this subcode (460: password changed)."""
        self._invalid[token] = subcode

    def add_post(
        self,
        page_id: str | int,
        message: str | None = None,
        *,
        link: str | None = None,
        created_time: float | None = None,
        by_this_app: bool = False,
    ) -> FbPost:
        """Put a post on a Page as if made elsewhere (another app or a person)."""
        post = self.new_post(str(page_id), message, link, None, True, None)
        if created_time is not None:
            post.created_time = int(created_time)
        post.app_id = self.app_id if by_this_app else None
        self.posts.append(post)
        return post

    def posts_on(self, page_id: str | int) -> list[FbPost]:
        return [p for p in self.posts if p.page_id == str(page_id) and not p.deleted]

    def reset(self) -> None:
        self.posts.clear()
        self.calls.clear()
        self.faults.clear()
        self.usage.clear()

    # -- server ----------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_get("/_sandbox/posts", self._control_posts)
        app.router.add_get("/_sandbox/calls", self._control_calls)
        app.router.add_post("/_sandbox/faults", self._control_faults)
        app.router.add_post("/_sandbox/reset", self._control_reset)
        app.router.add_route("*", "/{path:.*}", self._handle)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner, self.base_url = await listen(self.app(), host, port)
        return self.base_url

    async def close(self) -> None:
        await unlisten(self._runner)
        self._runner = None

    def _route(self, method: str, parts: list[str]) -> tuple[str, Operation] | None:
        if parts == ["debug_token"] and method == "GET":
            return "debug_token", self.op_debug_token
        if len(parts) == 2 and parts[1] in ("feed", "posts", "published_posts") and method == "GET":
            return "read_feed", self.op_read_feed
        if len(parts) == 2 and parts[1] == "feed" and method == "POST":
            return "feed", self.op_feed
        if len(parts) == 2 and parts[1] == "photos" and method == "POST":
            return "photos", self.op_photos
        if len(parts) == 1 and parts[0]:
            if method == "POST":
                return "edit", self.op_edit
            if method == "DELETE":
                return "delete", self.op_delete
            if method == "GET":
                return "read_post", self.op_read_object
        return None

    async def _handle(self, request: web.Request) -> web.Response:
        parts = [p for p in request.match_info["path"].split("/") if p]
        version = self.default_version
        if parts and VERSION_RE.match(parts[0]):
            version = self._served_version(parts.pop(0))
        params = await read_params(request)
        route = self._route(request.method, parts)
        if route is None:
            err = GraphError(f"Unknown path components: /{'/'.join(parts)}", 2500)
            return self._finish(request.method, None, _error(err), version, None)
        op, operation = route
        target = parts[0] if parts and parts[0] != "debug_token" else None
        token = _token(request, params)
        if not token:
            return self._finish(op, target, _error(no_token()), version, None)
        try:
            page = self._authorize(op, parts, token, params)
        except GraphError as err:
            return self._finish(op, target, _error(err), version, None)
        usage_key = page.id if page else None

        async def process() -> web.Response:
            try:
                self._check_limits(usage_key)
                return json_answer(await operation(params, page, parts))
            except GraphError as err:
                return _error(err)

        def refusal(fault: Fault) -> web.Response:
            if fault.kind == "rate_limit":
                limited = _error(known_error(fault.code or self.page_limit_code))
                limited.regain_minutes = max(1, math.ceil(fault.retry_after / 60))
                return limited
            code = fault.code or (2 if fault.status >= 500 else 100)
            message = None if fault.description == "Internal Server Error" else fault.description
            err = known_error(code, message, fault.subcode)
            err.status = fault.status
            if fault.is_transient is not None:
                err.is_transient = fault.is_transient
            return _error(err)

        try:
            response = await run_with_fault(request, self.faults.take(op), process, refusal)
        except ConnectionDropped:
            self.calls.append(new_call(op, target, 0, "connection dropped"))
            return drop_connection(request)
        return self._finish(op, target, response, version, usage_key)

    def _served_version(self, requested: str) -> str:
        """An expired version is served by the oldest live one (Graph changelog)."""

        def number(v: str) -> tuple[int, int]:
            m = VERSION_RE.match(v)
            return (int(m.group(1)), int(m.group(2))) if m else (0, 0)

        return max(requested, self.oldest_live_version, key=number)

    def _authorize(
        self, op: str, parts: list[str], token: str, params: dict[str, Any]
    ) -> Page | None:
        """The Page the call acts for, or the GraphError the real API would answer."""
        problem = token_problem(self.pages, self._invalid, token, self.now(), self.app_id)
        if problem is not None:
            raise problem
        if op == "debug_token":
            if token == f"{self.app_id}|{self.app_secret}":
                return None
            if not any(p.token == token for p in self.pages.values()):
                raise GraphError("Invalid OAuth access token signature.", 190)
            return None
        if op in ("feed", "photos", "read_feed"):
            page = self.pages.get(parts[0])
            if page is None:
                if self.strict_pages:
                    raise unsupported("post" if op != "read_feed" else "get", parts[0])
                page = self.add_page(parts[0], token)
        else:
            page = self._page_of_object(parts[0], token)
        if page.token != token:
            if not any(p.token == token for p in self.pages.values()):
                raise bad_token()
            if op in ("edit", "delete"):
                # Another Page's post "cannot be loaded due to missing permissions".
                raise unsupported("post" if op == "edit" else "delete", parts[0])
            raise no_permission_to_post() if op != "read_feed" else no_permission_to_read()
        needed = "pages_read_engagement" if op.startswith("read") else "pages_manage_posts"
        if needed not in page.scopes:
            raise no_permission_to_read() if op.startswith("read") else no_permission_to_post()
        return page

    def _page_of_object(self, object_id: str, token: str) -> Page:
        if object_id in self.pages:
            return self.pages[object_id]
        post = self.find_post(object_id)
        if post is not None and post.page_id in self.pages:
            return self.pages[post.page_id]
        # An unknown object: the token still has to be a real one.
        page = next((p for p in self.pages.values() if p.token == token), None)
        if page is None:
            if self.strict_pages:
                raise bad_token()
            page_id = object_id.split("_", 1)[0]
            page = self.pages.get(page_id) or self.add_page(page_id, token)
        return page

    def _check_limits(self, page_id: str | None) -> None:
        """Refuse at 100% of a budget (code 4 for the app, 32 for a Page), then count."""
        window = self.usage_window
        if self.usage.percent("app", self.app_calls_per_hour, window) >= 100:
            raise known_error(4)
        if page_id and self.usage.percent(page_id, self.calls_per_hour, window) >= 100:
            raise known_error(self.page_limit_code)
        self.usage.record("app")
        if page_id:
            self.usage.record(page_id)

    def _finish(
        self, op: str, target: str | None, response: web.Response, version: str, page_id: str | None
    ) -> web.Response:
        window = self.usage_window
        app_pct = self.usage.percent("app", self.app_calls_per_hour, window)
        response.headers["X-App-Usage"] = json.dumps(
            {"call_count": app_pct, "total_time": app_pct, "total_cputime": app_pct}
        )
        if page_id:
            pct = self.usage.percent(page_id, self.calls_per_hour, window)
            regain = self.usage.minutes_to_regain(page_id, self.calls_per_hour, window)
            if isinstance(response, Answer) and response.regain_minutes is not None:
                pct, regain = max(pct, 100), response.regain_minutes
            entry = {
                "type": "pages",
                "call_count": pct,
                "total_cputime": pct,
                "total_time": pct,
                "estimated_time_to_regain_access": regain,
            }
            response.headers["X-Business-Use-Case-Usage"] = json.dumps({page_id: [entry]})
        response.headers["facebook-api-version"] = version
        response.headers["x-fb-trace-id"] = "Sandbox" + str(len(self.calls))
        self.calls.append(new_call(op, target, response.status, error_of(response)))
        return response

    # -- control endpoints -------------------------------------------------------------

    async def _control_posts(self, request: web.Request) -> web.Response:
        return web.json_response([vars(p) for p in self.posts], dumps=_dumps)

    async def _control_calls(self, request: web.Request) -> web.Response:
        return web.json_response([vars(c) for c in self.calls], dumps=_dumps)

    async def _control_faults(self, request: web.Request) -> web.Response:
        try:
            self.faults.add(Fault.from_json(await request.json()))
        except (ValueError, TypeError) as exc:
            return web.json_response({"ok": False, "description": str(exc)}, status=400)
        return web.json_response({"ok": True})

    async def _control_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})


def _token(request: web.Request, params: dict[str, Any]) -> str:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer ") or auth.lower().startswith("oauth "):
        return auth.split(" ", 1)[1].strip()
    value = params.get("access_token")
    return "" if isinstance(value, UploadedFile) else as_str(value).strip()


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


def _error(err: GraphError) -> Answer:
    response = json_answer(err.body(), status=err.status, error=err.message)
    if err.code in (104, 190):
        response.headers["WWW-Authenticate"] = (
            f'OAuth "Facebook Platform" "invalid_token" "{err.message}"'
        )
    return response


__all__ = ["FacebookSandbox", "FbPost", "GraphError"]
