"""What both sandbox servers share: the call log and request-parameter reading."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any

from aiohttp import web


@dataclass
class CallRecord:
    """One HTTP call, answered or refused. For the Graph API, `chat_id` holds the
    Page (or post) id the call was about."""

    method: str
    chat_id: int | str | None
    at: float  # time.monotonic()
    wall: float  # time.time()
    status: int  # HTTP status; 0 when the connection was dropped
    error: str | None = None


class Answer(web.Response):
    """A JSON answer that remembers its error text for the call log."""

    error: str | None = None
    # Graph rate-limit faults: minutes for estimated_time_to_regain_access.
    regain_minutes: int | None = None


def json_answer(obj: Any, *, status: int = 200, error: str | None = None) -> Answer:
    answer = Answer(text=dumps(obj), status=status, content_type="application/json")
    answer.error = error
    return answer


def error_of(response: web.Response) -> str | None:
    return response.error if isinstance(response, Answer) else None


def new_call(method: str, chat_id: int | str | None, status: int, error: str | None) -> CallRecord:
    return CallRecord(method, chat_id, time.monotonic(), time.time(), status, error)


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file field; the sandbox keeps its name and size, not its bytes."""

    filename: str
    size: int


async def read_params(request: web.Request) -> dict[str, Any]:
    """Query string merged with an x-www-form-urlencoded, multipart or JSON body,
    as both the Bot API and the Graph API accept."""
    params: dict[str, Any] = dict(request.query)
    if not request.can_read_body:
        return params
    ctype = request.content_type
    if ctype == "application/json":
        try:
            body = await request.json()
        except ValueError:
            return params
        if isinstance(body, dict):
            params.update(body)
    elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                data = value.file.read()
                params[key] = UploadedFile(value.filename, len(data))
            else:
                params[key] = value
    return params


def as_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return as_str(value).strip().lower() in ("1", "true", "yes", "on")


def as_json(value: Any) -> Any:
    """A complex parameter: JSON text in forms, a JSON value in JSON bodies."""
    if value is None or isinstance(value, dict | list):
        return value
    text = as_str(value).strip()
    if not text:
        return None
    return json.loads(text)


def to_plain(obj: Any) -> Any:
    """Dataclasses (and lists of them) as JSON-ready values."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    if isinstance(obj, list):
        return [to_plain(x) for x in obj]
    return obj


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)
