"""Who may see the board: whoever holds NEWSBOT_BOARD_TOKEN, sent as `Authorization:
Bearer <token>` or as the HttpOnly cookie that `/board/login?token=<token>` sets before
redirecting to /board.

The cookie holds an HMAC of the token, not the token: a copied cookie opens the board
but does not reveal the token, and changing the token ends every cookie. Comparisons
are constant-time (hmac.compare_digest). The login URL carries the token in its query
string, so no access log may record request lines: the WebServer runs with
access_log=None, and the composition root registers the token with the log Redactor.
"""

from __future__ import annotations

import hashlib
import hmac

from aiohttp import web

COOKIE = "newsbot_board"
COOKIE_PATH = "/board"
COOKIE_MAX_AGE = 30 * 24 * 3600  # a month; a new token ends it sooner
# Every board answer: no caching, no framing, no referrer (a post link opened from the
# board does not tell the platform where the board is).
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
REFUSAL = (
    "The delivery board needs its token: open /board/login?token=<NEWSBOT_BOARD_TOKEN> "
    "in this browser, or send the header Authorization: Bearer <NEWSBOT_BOARD_TOKEN>."
)


class BoardAuth:
    def __init__(self, token: str, path: str = COOKIE_PATH) -> None:
        self.path = path  # the board's own path: the cookie's, and where login leads
        self._token = token.encode()
        self._cookie = hmac.new(self._token, b"newsbot board cookie", hashlib.sha256).hexdigest()

    def _is_token(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self._token)

    def allowed(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() == "bearer" and given.strip():
            return self._is_token(given.strip())
        cookie = request.cookies.get(COOKIE, "")
        return bool(cookie) and hmac.compare_digest(cookie.encode(), self._cookie.encode())

    def refuse(self) -> web.Response:
        return web.Response(
            status=401,
            text=REFUSAL + "\n",
            headers={**PRIVATE_HEADERS, "WWW-Authenticate": 'Bearer realm="newsbot board"'},
        )

    async def login(self, request: web.Request) -> web.StreamResponse:
        """GET /board/login?token=...: the cookie, then /board; a wrong token: 401."""
        if not self._is_token(request.query.get("token", "")):
            return self.refuse()
        response = web.Response(status=303, headers={**PRIVATE_HEADERS, "Location": self.path})
        response.set_cookie(
            COOKIE,
            self._cookie,
            max_age=COOKIE_MAX_AGE,
            path=self.path,
            httponly=True,
            samesite="Strict",
            # behind a TLS-terminating proxy the request itself is plain http
            secure=request.secure or request.headers.get("X-Forwarded-Proto") == "https",
        )
        return response
