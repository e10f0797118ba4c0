"""Access tokens in the Graph sandbox: what GET /debug_token says of one, and when a
Page token stops working (revoked by `invalidate_token`, or past its `expires_at`).

developers.facebook.com/docs/graph-api/reference/debug_token and
developers.facebook.com/docs/facebook-login/guides/access-tokens/debugging: `data` holds
app_id, type (USER, PAGE, APP), application, data_access_expires_at, expires_at (Unix
seconds; 0 for a Page token that never expires), is_valid, issued_at, profile_id (the
Page of a Page token), scopes, granular_scopes [{scope, target_ids}], user_id, and for an
invalid token error {code, message, subcode}. An expired session is 190/463.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.fbgraph import GraphError, Page, invalid_token

EXPIRED = 463  # "Error validating access token: Session has expired."


def owner(pages: Mapping[str, Page], token: str) -> Page | None:
    return next((p for p in pages.values() if p.token == token), None)


def token_problem(
    pages: Mapping[str, Page], invalid: Mapping[str, int], token: str, now: float, app_id: str
) -> GraphError | None:
    """What any call made with `token` is answered before anything else, if anything."""
    if token in invalid:
        return invalid_token(invalid[token], app_id)
    page = owner(pages, token)
    if page is not None and page.expires_at and now >= page.expires_at:
        return invalid_token(EXPIRED, app_id)
    return None


def debug_token(
    pages: Mapping[str, Page], invalid: Mapping[str, int], token: str, now: float, app_id: str
) -> dict[str, Any]:
    """The answer of GET /debug_token?input_token=`token`."""
    page = owner(pages, token)
    if page is None:
        error = {"code": 190, "message": "Invalid OAuth access token."}
        return {"data": {"error": error, "is_valid": False, "scopes": []}}
    at = int(now)
    data: dict[str, Any] = {
        "app_id": app_id,
        "type": page.token_type,
        "application": "newsbot sandbox",
        "data_access_expires_at": at + 90 * 86400,
        "expires_at": page.expires_at,
        "is_valid": True,
        "issued_at": at - 3600,
        "scopes": list(page.scopes),
        "granular_scopes": [
            {"scope": s, "target_ids": [page.id]} for s in page.scopes if s.startswith("pages_")
        ],
        "user_id": "10000000000000",
    }
    if page.token_type == "PAGE":
        data["profile_id"] = page.id
    problem = token_problem(pages, invalid, token, now, app_id)
    if problem is not None:
        data["is_valid"] = False
        data["error"] = {
            "code": 190,
            "message": "Error validating access token.",
            "subcode": problem.subcode,
        }
    return {"data": data}
