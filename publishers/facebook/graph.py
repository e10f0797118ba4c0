"""A small Graph API client over the service's shared aiohttp session.

Not facebook-sdk: its last release (3.1.0, 2018) accepts Graph versions up to 3.1 only
and is synchronous (docs/architecture.md "Facebook"). The Page token never goes into a URL, which
aiohttp errors and access logs repeat: POSTs carry it as the `access_token` form field,
other calls as `Authorization: Bearer` (the OAuth 2.0 header Graph accepts, as in
Meta's Cloud API examples on graph.facebook.com).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
import orjson
from aiohttp.payload import BytesPayload

# Connecting must not eat the whole budget: a connect timeout proves nothing was sent.
_CONNECT_SHARE = 0.5
_MAX_CONNECT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class GraphUsage:
    """Rate-limit usage from the last answer's headers: X-App-Usage and
    X-Business-Use-Case-Usage, percentages; throttling starts at 100
    (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/)."""

    max_percent: float  # highest call_count / total_time / total_cputime seen
    regain_access_minutes: float = 0.0  # estimated_time_to_regain_access, when throttled


class GraphError(Exception):
    """An error answer: `{"error": {"message", "type", "code", "error_subcode",
    "is_transient", "fbtrace_id"}}` (graph-api/guides/error-handling)."""

    def __init__(
        self,
        status: int,
        code: int,
        subcode: int | None,
        message: str,
        type: str = "",  # Graph's own field name
        is_transient: bool = False,
        fbtrace_id: str = "",
        usage: GraphUsage | None = None,
    ) -> None:
        super().__init__(f"({code}) {message}")
        self.status = status
        self.code = code
        self.subcode = subcode
        self.message = message
        self.type = type
        self.is_transient = is_transient
        self.fbtrace_id = fbtrace_id
        self.usage = usage


class GraphNetworkError(Exception):
    """No answer. `reached` is False only when the request provably never left
    (no connection was made); otherwise Graph may have acted on it."""

    def __init__(self, message: str, *, reached: bool, timeout: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.reached = reached
        self.timeout = timeout


def parse_usage(headers: Mapping[str, str]) -> GraphUsage | None:
    """The usage headers as one GraphUsage, or None when Graph sent neither."""
    percents: list[float] = []
    regain: list[float] = []
    app = _json_header(headers, "X-App-Usage")
    if isinstance(app, dict):
        percents += [v for v in map(_number, app.values()) if v is not None]
    buc = _json_header(headers, "X-Business-Use-Case-Usage")
    if isinstance(buc, dict):
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict):
                    continue
                for key, value in entry.items():
                    number = _number(value)
                    if number is None:
                        continue
                    if key == "estimated_time_to_regain_access":
                        regain.append(number)
                    elif key in ("call_count", "total_time", "total_cputime"):
                        percents.append(number)
    if app is None and buc is None:
        return None
    return GraphUsage(max(percents, default=0.0), max(regain, default=0.0))


@dataclass(frozen=True, slots=True)
class GraphAnswer:
    """A successful answer and the usage headers that came with it (per call: workers
    share the client, so usage is never kept on it)."""

    body: dict[str, Any]
    usage: GraphUsage | None


class GraphClient:
    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, token: str, timeout: float
    ) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(
            total=timeout, sock_connect=min(timeout * _CONNECT_SHARE, _MAX_CONNECT_SECONDS)
        )

    async def post(self, path: str, data: Mapping[str, Any]) -> GraphAnswer:
        form = {k: _form_value(v) for k, v in data.items()}
        form["access_token"] = self._token
        # the body aiohttp's FormData would make of the dict, made directly: no FormData
        # and multipart writer (and its random boundary) per post
        body = BytesPayload(
            urlencode(form, doseq=True).encode(), content_type="application/x-www-form-urlencoded"
        )
        return await self._request("POST", path, data=body)

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        query = {k: _form_value(v) for k, v in (params or {}).items()}
        return (await self._request("GET", path, params=query, bearer=True)).body

    async def delete(self, path: str) -> dict[str, Any]:
        return (await self._request("DELETE", path, bearer=True)).body

    async def _request(
        self,
        method: str,
        path: str,
        *,
        data: BytesPayload | None = None,
        params: dict[str, str] | None = None,
        bearer: bool = False,
    ) -> GraphAnswer:
        url = f"{self._base}/{path.lstrip('/')}"
        headers = {"Authorization": f"Bearer {self._token}"} if bearer else {}
        try:
            async with self._session.request(
                method, url, data=data, params=params, headers=headers, timeout=self._timeout
            ) as response:
                raw = await response.read()
                status = response.status
                usage = parse_usage(response.headers)
        except aiohttp.ConnectionTimeoutError as exc:
            raise GraphNetworkError(_describe(exc), reached=False, timeout=True) from None
        except aiohttp.ClientConnectorError as exc:  # refused, DNS, TLS handshake
            raise GraphNetworkError(_describe(exc), reached=False) from None
        except TimeoutError as exc:
            raise GraphNetworkError(_describe(exc), reached=True, timeout=True) from None
        except aiohttp.ClientError as exc:  # reset, server disconnected, broken payload
            raise GraphNetworkError(_describe(exc), reached=True) from None
        return GraphAnswer(_answer(status, raw, usage), usage)


def _loads(raw: bytes | str) -> Any:
    """JSON by orjson (several times faster than json.loads); what it refuses and
    json.loads takes (NaN, a lone surrogate escape) goes to json.loads, so an answer
    fails only when json.loads would have failed it too. (An integer past 64 bits would
    come back a float: Graph's ids are strings.)"""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def _answer(status: int, raw: bytes, usage: GraphUsage | None) -> dict[str, Any]:
    try:
        body: Any = _loads(raw) if raw else {}
    except ValueError:
        text = raw[:200].decode("utf-8", "replace")
        raise GraphError(
            status, 0, None, f"HTTP {status}, not JSON: {text}", is_transient=status >= 500
        ) from None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        raise GraphError(
            status,
            _int(error.get("code")) or 0,
            _int(error.get("error_subcode")),
            str(error.get("message") or ""),
            type=str(error.get("type") or ""),
            is_transient=bool(error.get("is_transient")),
            fbtrace_id=str(error.get("fbtrace_id") or ""),
            usage=usage,
        )
    if status >= 400:
        raise GraphError(status, 0, None, f"HTTP {status}", is_transient=status >= 500)
    return body if isinstance(body, dict) else {"result": body}


def _form_value(value: Any) -> str:
    """Graph parameters are strings; booleans as true/false, structures as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _json_header(headers: Mapping[str, str], name: str) -> Any:
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return _loads(raw)
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
