"""What `newsbot doctor` and the daily watch ask Graph about each Page's token
(PlatformHandle.diagnose): GET /debug_token?input_token=<the Page token>.

Sources: https://developers.facebook.com/docs/graph-api/reference/debug_token and
https://developers.facebook.com/docs/facebook-login/guides/access-tokens/debugging . The
call needs an app token or a token of the same app: FACEBOOK_APP_TOKEN when set, else
the Page token inspects itself. `data` has is_valid, type (USER, PAGE, APP), profile_id
(the Page of a Page token), scopes, granular_scopes [{scope, target_ids}] (the Pages a
permission was granted for, when it was granted for some only), expires_at (Unix
seconds; 0: never, as for a Page token made from a long-lived user token) and, for an
invalid token, error {code, message, subcode}. A token that inspects itself and is
invalid gets the error itself: 190 (error-handling guide: an invalid or expired token).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.platforms import Check, Concern, Level
from publishers.facebook.graph import GraphClient, GraphError, GraphNetworkError

REQUIRED_SCOPES = ("pages_manage_posts", "pages_read_engagement")  # post; read back
TOKEN_CODES = frozenset({102, 190})  # graph-api/guides/error-handling: the token is bad


@dataclass(frozen=True, slots=True)
class PageToken:
    channel: str  # the channel's id
    page_id: str
    token_env: str  # where the token comes from, for the advice
    token: str
    client: GraphClient  # with the Page's own token


async def diagnose(pages: Sequence[PageToken], app: GraphClient | None) -> list[Check]:
    """Every Page's token: valid, a Page token of that Page, with the scopes newsbot
    needs, and when it expires; asked concurrently."""
    found = await asyncio.gather(*(_page(page, app) for page in pages))
    return [check for checks in found for check in checks]


async def _page(page: PageToken, app: GraphClient | None) -> list[Check]:
    name, where = f"{page.channel} token", (page.channel,)
    renew = (
        f"make a new Page access token for page {page.page_id} with "
        f"{' and '.join(REQUIRED_SCOPES)} and put it in {page.token_env}"
    )
    try:
        body = await (app or page.client).get("debug_token", {"input_token": page.token})
    except GraphError as exc:
        said = _redact(f"({exc.code}) {exc.message}", page.token)
        if exc.code in TOKEN_CODES and app is None:
            text = f"Graph refused the token in {page.token_env}: {said}"
            return [Check(name, Level.FAIL, text, renew, where, Concern.TOKEN)]
        if exc.code in TOKEN_CODES:
            text = f"Graph refused FACEBOOK_APP_TOKEN: {said}"
            advice = "set FACEBOOK_APP_TOKEN to this app's `app-id|app-secret`, or unset it"
            return [Check(name, Level.FAIL, text, advice, where, Concern.UNREACHABLE)]
        return [_unreachable(name, where, said)]
    except GraphNetworkError as exc:
        return [_unreachable(name, where, _redact(exc.message, page.token))]
    data = body.get("data")
    return _judge(page, data if isinstance(data, dict) else {}, name, renew)


def _judge(page: PageToken, data: dict[str, Any], name: str, renew: str) -> list[Check]:
    where = (page.channel,)
    if data.get("is_valid") is not True:
        found = data.get("error")
        error: dict[str, Any] = found if isinstance(found, dict) else {}
        said = str(error.get("message") or "not valid")
        subcode = f", subcode {error['subcode']}" if error.get("subcode") else ""
        text = f"the token in {page.token_env} is not valid: {said}{subcode}"
        return [Check(name, Level.FAIL, text, renew, where, Concern.TOKEN)]
    kind = str(data.get("type") or "?")
    if kind != "PAGE":
        text = f"the token in {page.token_env} is a {kind} token, not a Page token"
        advice = f"use the Page's own token (GET /me/accounts with a user token lists it); {renew}"
        return [Check(name, Level.FAIL, text, advice, where, Concern.TOKEN)]
    profile = str(data.get("profile_id") or "")
    if profile and profile != page.page_id:
        text = f"the token in {page.token_env} is page {profile}'s, not page {page.page_id}'s"
        return [Check(name, Level.FAIL, text, renew, where, Concern.TOKEN)]
    expires_at = _int(data.get("expires_at"))
    when = {None: ", expiry not given", 0: ", never expires"}.get(expires_at, "")
    token = Check(
        name, Level.OK, f"a valid Page token of page {page.page_id}{when}", renew,
        where, Concern.TOKEN, expires_at,
    )  # fmt: skip
    return [token, _scopes(page, data, renew)]


def _scopes(page: PageToken, data: dict[str, Any], renew: str) -> Check:
    name, where = f"{page.channel} permissions", (page.channel,)
    granted = {str(s) for s in data.get("scopes") or ()}
    targets: dict[str, set[str]] = {}
    for entry in data.get("granular_scopes") or ():
        if isinstance(entry, dict) and entry.get("target_ids"):
            targets[str(entry.get("scope"))] = {str(t) for t in entry["target_ids"]}
    missing = [
        scope
        for scope in REQUIRED_SCOPES
        if scope not in granted or (scope in targets and page.page_id not in targets[scope])
    ]
    if missing:
        text = f"the token lacks {' and '.join(missing)} for page {page.page_id}"
        return Check(name, Level.FAIL, text, renew, where, Concern.RIGHTS)
    text = f"{' and '.join(REQUIRED_SCOPES)} granted"
    return Check(name, Level.OK, text, channels=where, concern=Concern.RIGHTS)


def _unreachable(name: str, where: tuple[str, ...], said: str) -> Check:
    return Check(
        name, Level.FAIL, f"Graph could not say whether the token works: {said}",
        "check the network and FACEBOOK_GRAPH_URL, then run newsbot doctor again",
        where, Concern.UNREACHABLE,
    )  # fmt: skip


def _redact(text: str, token: str) -> str:
    return text.replace(token, "<redacted>") if token else text


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
