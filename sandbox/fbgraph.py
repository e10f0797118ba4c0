"""Graph API building blocks of the Facebook sandbox: error bodies, usage accounting,
the recorded posts and how they read back through `fields=`.

Error shape and codes: developers.facebook.com/docs/graph-api/guides/error-handling
(docs/architecture.md "Facebook"); usage headers:
developers.facebook.com/docs/graph-api/overview/rate-limiting. Texts seen in real
answers quoted in public code and issues: 104 "An access token is required...", 190
"Invalid OAuth access token - Cannot parse access token", 506/1455006 "Duplicate status
message", "(#100) Missing message or attachment" (jgorset/facepy#55), code 2 with HTTP
500 (arsduo/koala#699), 100/33 "Unsupported post request...", "(#10) This endpoint
requires the 'pages_read_engagement' permission...". The other texts are recalled, not
verified: their codes and subcodes are the documented ones, their wording may differ.
"""

from __future__ import annotations

import base64
import math
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

OAUTH = "OAuthException"
METHOD = "GraphMethodException"
DEFAULT_FEED_FIELDS = ("created_time", "message", "id")
POST_FIELDS = frozenset(
    {"id", "message", "created_time", "updated_time", "permalink_url", "attachments"}
    | {"full_picture", "is_published", "status_type", "from", "scheduled_publish_time"}
)
TOKEN_SUBCODE_TEXT = {
    458: "Error validating access token: The user has not authorized application {app_id}.",
    460: "Error validating access token: The session has been invalidated because the user "
    "changed their password or Facebook has changed the session for security reasons.",
    463: "Error validating access token: Session has expired.",
    467: "Error validating access token: The session is invalid because the user logged out.",
}


@dataclass
class GraphError(Exception):
    message: str
    code: int
    type: str = OAUTH
    status: int = 400
    subcode: int | None = None
    user_title: str | None = None
    user_msg: str | None = None
    is_transient: bool | None = None

    def body(self) -> dict[str, Any]:
        """Fields in the real order; absent ones are omitted, as Graph does."""
        error: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.is_transient is not None:
            error["is_transient"] = self.is_transient
        if self.user_title is not None:
            error["error_user_title"] = self.user_title
        if self.user_msg is not None:
            error["error_user_msg"] = self.user_msg
        error["fbtrace_id"] = "A" + secrets.token_urlsafe(16)[:22]
        return {"error": error}


def known_error(code: int, message: str | None = None, subcode: int | None = None) -> GraphError:
    """Graph's answer for a code; `message` overrides its text."""
    if code == 1:
        err = GraphError("An unknown error occurred", 1, status=500, is_transient=False)
    elif code == 2:  # observed (koala#699), HTTP 500
        err = GraphError(
            "An unexpected error has occurred. Please retry your request later.",
            2,
            status=500,
            is_transient=True,
        )
    elif code == 4:
        err = GraphError("(#4) Application request limit reached", 4, is_transient=True)
    elif code == 17:
        err = GraphError("(#17) User request limit reached", 17, is_transient=True)
    elif code == 32:
        err = GraphError("(#32) Page request limit reached", 32, is_transient=True)
    elif code == 613:
        err = GraphError(
            "(#613) Calls to this api have exceeded the rate limit.", 613, is_transient=True
        )
    elif code == 80001:
        err = GraphError(
            "(#80001) There have been too many calls to this Page account. Wait a bit and try "
            "again. For more info, please refer to "
            "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            80001,
            is_transient=True,
        )
    elif code == 368:
        blocked = (
            "It looks like you were misusing this feature by going too fast. "
            "You’ve been temporarily blocked from using it."
        )
        err = GraphError(
            blocked,
            368,
            subcode=1390008,
            is_transient=False,
            user_title="You Can't Use This Feature Right Now",
            user_msg=blocked,
        )
    elif code == 506:  # observed: code 506, subcode 1455006
        err = GraphError(
            "Duplicate status message",
            506,
            subcode=1455006,
            is_transient=False,
            user_title="Duplicate Status Update",
            user_msg="This status update is identical to the last one you posted. Try posting "
            "something different, or delete your previous update.",
        )
    else:
        err = GraphError(f"(#{code}) An error occurred", code, is_transient=False)
    if message is not None:
        err.message = message
    if subcode is not None:
        err.subcode = subcode
    return err


def no_token() -> GraphError:
    return GraphError("An access token is required to request this resource.", 104)


def bad_token() -> GraphError:
    return GraphError("Invalid OAuth access token - Cannot parse access token", 190)


def invalid_token(subcode: int, app_id: str) -> GraphError:
    text = TOKEN_SUBCODE_TEXT.get(subcode, "Error validating access token: The session is invalid.")
    return GraphError(text.format(app_id=app_id), 190, subcode=subcode)


def no_permission_to_post() -> GraphError:
    return GraphError(
        "(#200) If posting to a page, requires both pages_read_engagement and "
        "pages_manage_posts as an admin with sufficient administrative permission",
        200,
    )


def no_permission_to_read() -> GraphError:
    return GraphError(
        "(#10) This endpoint requires the 'pages_read_engagement' permission or the 'Page "
        "Public Content Access' feature. Refer to "
        "https://developers.facebook.com/docs/apps/review/login-permissions#manage-pages and "
        "https://developers.facebook.com/docs/apps/review/feature#reference-PAGES_ACCESS "
        "for details.",
        10,
    )


def unsupported(verb: str, object_id: str) -> GraphError:
    """An unknown object, or one this app may not touch (code 100, subcode 33)."""
    return GraphError(
        f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read "
        "the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        100,
        type=METHOD,
        subcode=33,
    )


def invalid_parameter(message: str) -> GraphError:
    return GraphError(message, 100)


class Usage:
    """Calls per key ("app" or a Page id) in a sliding window, as percentages of a
    budget: the figures of X-App-Usage and X-Business-Use-Case-Usage."""

    def __init__(self) -> None:
        self._calls: defaultdict[str, deque[float]] = defaultdict(deque)

    def _window(self, key: str, window: float) -> deque[float]:
        calls = self._calls[key]
        now = time.monotonic()
        while calls and calls[0] <= now - window:
            calls.popleft()
        return calls

    def record(self, key: str) -> None:
        self._calls[key].append(time.monotonic())

    def percent(self, key: str, budget: int, window: float) -> int:
        return math.floor(100 * len(self._window(key, window)) / max(budget, 1))

    def minutes_to_regain(self, key: str, budget: int, window: float) -> int:
        """Whole minutes until the count falls below the budget (0 when below)."""
        calls = self._window(key, window)
        if len(calls) < budget:
            return 0
        frees_at = calls[len(calls) - budget] + window
        return max(1, math.ceil((frees_at - time.monotonic()) / 60))

    def clear(self) -> None:
        self._calls.clear()


@dataclass
class Page:
    id: str
    token: str
    name: str
    scopes: tuple[str, ...]
    expires_at: int = 0  # when the token stops working (Unix seconds); 0: never
    token_type: str = "PAGE"  # what debug_token calls it (a USER token by mistake...)


@dataclass
class FbPost:
    id: str  # "<page-id>_<post-number>"
    page_id: str
    message: str | None
    link: str | None
    photo_url: str | None
    published: bool
    scheduled_publish_time: int | None
    created_time: int  # unix seconds
    deleted: bool = False
    edits: list[dict[str, Any]] = field(default_factory=list)
    photo_id: str | None = None
    app_id: str | None = None  # the app that created it; None: another app or a person

    def visible(self, now: float) -> bool:
        """In the Page feed: published, or scheduled and due."""
        if self.deleted:
            return False
        if self.published:
            return True
        return self.scheduled_publish_time is not None and self.scheduled_publish_time <= now


def iso_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_fields(spec: str) -> dict[str, str]:
    """`a,b{c,d},e.limit(1){f}` -> {"a": "", "b": "c,d", "e": "f"}."""
    out: dict[str, str] = {}
    depth, start = 0, 0
    parts: list[str] = []
    for i, ch in enumerate(spec + ","):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(spec[start:i].strip())
            start = i + 1
    for part in filter(None, parts):
        name, _, sub = part.partition("{")
        out[name.split(".")[0].strip()] = sub.rstrip("}")
    return out


def shim(link: str) -> str:
    """Facebook serves outbound links through its l.facebook.com redirector."""
    return f"https://l.facebook.com/l.php?u={quote(link, safe='')}&h=AT0sandbox"


def cursor(post_id: str) -> str:
    return base64.urlsafe_b64encode(post_id.encode()).decode().rstrip("=")


def render_post(post: FbPost, fields: dict[str, str], page_name: str, now: float) -> dict[str, Any]:
    """A PagePost with the requested fields. The link of a link post is read through
    `attachments{unshimmed_url}` (or `url`, which is the l.facebook.com redirect):
    the `link` field of Page posts is deprecated since v3.3 and refused (#12)."""
    if "link" in fields:
        raise GraphError("(#12) link field is deprecated for versions v3.3 and higher", 12)
    for name in fields:
        if name not in POST_FIELDS:
            raise invalid_parameter(
                f"(#100) Tried accessing nonexisting field ({name}) on node type (PagePost)"
            )
    number = post.id.split("_", 1)[1]
    created = (
        post.scheduled_publish_time
        if not post.published and post.scheduled_publish_time
        else post.created_time
    )
    picture = (
        f"https://scontent.xx.fbcdn.net/v/sandbox/{post.photo_id}.jpg" if post.photo_id else None
    )
    values: dict[str, Any] = {
        "id": post.id,
        "message": post.message or None,
        "created_time": iso_time(created),
        "updated_time": iso_time(post.edits[-1]["at"] if post.edits else created),
        "permalink_url": f"https://www.facebook.com/{post.page_id}/posts/{number}",
        "full_picture": picture,
        "is_published": post.visible(now),
        "status_type": "added_photos"
        if post.photo_id
        else ("shared_story" if post.link else "mobile_status_update"),
        "from": {"name": page_name, "id": post.page_id},
        "scheduled_publish_time": post.scheduled_publish_time,
    }
    out: dict[str, Any] = {}
    for name, sub in fields.items():
        if name == "attachments":
            attachment = _attachment(post, picture)
            if attachment is not None:
                chosen = parse_fields(sub) if sub else dict.fromkeys(attachment, "")
                out["attachments"] = {
                    "data": [{k: attachment[k] for k in chosen if k in attachment}]
                }
        elif values.get(name) is not None:
            out[name] = values[name]
    return out


def _attachment(post: FbPost, picture: str | None) -> dict[str, Any] | None:
    if post.photo_id:
        url = f"https://www.facebook.com/photo.php?fbid={post.photo_id}"
        return {
            "type": "photo",
            "media_type": "photo",
            "url": url,
            "unshimmed_url": url,
            "target": {"id": post.photo_id, "url": url},
            "media": {"image": {"src": picture, "width": 1280, "height": 720}},
        }
    if post.link:
        return {
            "type": "share",
            "media_type": "link",
            "url": shim(post.link),
            "unshimmed_url": post.link,
            "title": post.link,
            "target": {"url": shim(post.link)},
        }
    return None
