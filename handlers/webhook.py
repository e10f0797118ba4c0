"""The webhook endpoint of the editors' bot: aiogram's request handler, with the body
checked before anything is processed.

aiogram's SimpleRequestHandler answers 401 to a request without the right
X-Telegram-Bot-Api-Secret-Token; with the right one, it answers 500 to a body that
is not JSON and 200 to JSON that is no update (an array). Here both are 400 with a
sentence, and nothing reaches the dispatcher.
"""

from __future__ import annotations

import json

from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError


def body_problem(raw: bytes) -> str | None:
    """Why a webhook body is not a Telegram update (None when it is one)."""
    try:
        body = json.loads(raw)
    except ValueError:
        return "the body is not JSON: Telegram posts one Update object"
    if not isinstance(body, dict) or not isinstance(body.get("update_id"), int):
        return "the body is not an Update: a JSON object with an integer update_id"
    try:
        Update.model_validate(body)
    except ValidationError as exc:
        return f"the body is not a valid Update ({exc.error_count()} problems)"
    return None


class CheckedRequestHandler(SimpleRequestHandler):
    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        if not self.verify_secret(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), bot):
            return web.Response(body="Unauthorized", status=401)
        problem = body_problem(await request.read())
        if problem is not None:
            return web.Response(status=400, text=problem)
        return await super().handle(request)  # the body is cached: read again there

    __call__ = handle
