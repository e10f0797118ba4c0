"""The Graph API operations of the Facebook sandbox, once the call is authorised.

developers.facebook.com/docs/pages-api/posts: POST /{page-id}/feed -> {"id"},
POST /{page-id}/photos -> {"id","post_id"}, POST /{post-id} -> {"success":true}
(only the app that made the post may edit it, only with its Page's token),
DELETE /{post-id} -> {"success":true}, GET feed;
GET /debug_token (docs/graph-api/reference/debug_token).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from sandbox.fbgraph import (
    DEFAULT_FEED_FIELDS,
    FbPost,
    GraphError,
    Page,
    cursor,
    invalid_parameter,
    known_error,
    parse_fields,
    render_post,
    unsupported,
)
from sandbox.fbtokens import debug_token
from sandbox.records import UploadedFile, as_bool, as_str

SCHEDULE_MIN = 10 * 60
SCHEDULE_MAX = 30 * 86400  # Graph API: scheduled posts 10 minutes to 30 days ahead
FIRST_POST_NUMBER = 122_100_000_000_000_000
FIRST_PHOTO_NUMBER = 122_200_000_000_000_000


class GraphOperations:
    posts: list[FbPost]
    pages: dict[str, Page]
    app_id: str
    base_url: str
    default_version: str
    clock_offset: float
    duplicate_window: float
    unreachable_urls: set[str]
    unscrapable_urls: set[str]
    _invalid: dict[str, int]
    _next_number: int

    def now(self) -> float:
        return time.time() + self.clock_offset

    def find_post(self, object_id: str) -> FbPost | None:
        for post in self.posts:
            if object_id in (post.id, post.photo_id):
                return post
        return None

    def new_post(
        self,
        page_id: str,
        message: str | None,
        link: str | None,
        photo_url: str | None,
        published: bool,
        scheduled: int | None,
    ) -> FbPost:
        number = FIRST_POST_NUMBER + self._next_number
        self._next_number += 1
        return FbPost(
            id=f"{page_id}_{number}",
            page_id=page_id,
            message=message,
            link=link,
            photo_url=photo_url,
            published=published,
            scheduled_publish_time=scheduled,
            created_time=int(self.now()),
            app_id=self.app_id,
        )

    # -- publish ---------------------------------------------------------------------

    async def op_feed(self, params: dict[str, Any], page: Page | None, parts: list[str]) -> Any:
        assert page is not None
        message = as_str(params.get("message")) or None
        link = as_str(params.get("link")).strip() or None
        if not (message and message.strip()) and not link:
            raise invalid_parameter("(#100) Missing message or attachment")  # observed
        if link:
            self._check_link(link)
        published = as_bool(params.get("published", True))
        scheduled = self._schedule(params, published)
        now = self.now()
        for post in self.posts:
            recent = now - post.created_time < self.duplicate_window
            if (
                post.page_id == page.id
                and not post.deleted
                and recent
                and message
                and (post.message, post.link) == (message, link)
            ):
                raise known_error(506)
        post = self.new_post(page.id, message, link, None, published, scheduled)
        self.posts.append(post)
        return {"id": post.id}

    def _check_link(self, link: str) -> None:
        parts = urlsplit(link if "://" in link else "http://" + link)
        host = parts.hostname or ""
        if (
            parts.scheme not in ("http", "https")
            or "." not in host
            or any(c.isspace() for c in link)
        ):
            raise invalid_parameter("(#100) link URL is not properly formatted")
        if link in self.unscrapable_urls:
            # Code 100 with subcode 1609005: the link could not be scraped.
            raise GraphError(
                "Invalid parameter",
                100,
                subcode=1609005,
                is_transient=False,
                user_title="Posting Link Failed",
                user_msg="This link could not be posted.",
            )

    def _schedule(self, params: dict[str, Any], published: bool) -> int | None:
        raw = as_str(params.get("scheduled_publish_time")).strip()
        if not raw:
            return None
        if published:
            # Sandbox wording: a schedule needs published=false.
            raise invalid_parameter(
                "(#100) Cannot specify a scheduled publish time on a published post"
            )
        try:
            when = int(float(raw))
        except ValueError:
            raise invalid_parameter(
                "(#100) The specified scheduled publish time is invalid."
            ) from None
        ahead = when - self.now()
        if not SCHEDULE_MIN <= ahead <= SCHEDULE_MAX:
            raise invalid_parameter("(#100) The specified scheduled publish time is invalid.")
        return when

    async def op_photos(self, params: dict[str, Any], page: Page | None, parts: list[str]) -> Any:
        assert page is not None
        source = params.get("source")
        url = as_str(params.get("url")).strip()
        if isinstance(source, UploadedFile):
            photo = f"upload:{source.filename}:{source.size}"
        elif url:
            if urlsplit(url).scheme not in ("http", "https"):
                raise invalid_parameter("(#100) url should represent a valid URL")
            if url in self.unreachable_urls:  # the sandbox never fetches the image
                raise GraphError("(#324) Missing or invalid image file", 324)
            photo = url
        else:
            raise GraphError("(#324) Requires upload file", 324)
        caption = as_str(params.get("caption") or params.get("message")) or None
        published = as_bool(params.get("published", True))
        post = self.new_post(
            page.id, caption, None, photo, published, self._schedule(params, published)
        )
        post.photo_id = str(FIRST_PHOTO_NUMBER + self._next_number)
        self.posts.append(post)
        if not published:
            return {"id": post.photo_id}
        return {"id": post.photo_id, "post_id": post.id}

    # -- edit and delete -------------------------------------------------------------

    async def op_edit(self, params: dict[str, Any], page: Page | None, parts: list[str]) -> Any:
        """POST /{page-post-id} with `message` (Pages API "Update a post"): the post's
        text changes, a photo post's too (its text is the photo's caption); a new image
        (`url`, `source`, `attached_media`) is ignored without an error, as real posts
        keep their image (mobolic/facebook-sdk#486). Writing the same text again is a
        success. POST /{photo-id} with `caption` is answered the same way (unverified)."""
        object_id = parts[0]
        post = self.find_post(object_id)
        if post is None or post.deleted or post.app_id != self.app_id:
            raise unsupported("post", object_id)
        names = ("message", "caption") if object_id == post.photo_id else ("message",)
        given = next((name for name in names if name in params), None)
        if given is None:
            raise invalid_parameter("(#100) Missing message or attachment")
        before = {"message": post.message}
        post.message = as_str(params.get(given)) or None
        post.edits.append(
            {"at": int(self.now()), "before": before, "after": {"message": post.message}}
        )
        return {"success": True}

    async def op_delete(self, params: dict[str, Any], page: Page | None, parts: list[str]) -> Any:
        post = self.find_post(parts[0])
        if post is None or post.deleted:
            raise unsupported("delete", parts[0])
        post.deleted = True
        return {"success": True}

    # -- read ------------------------------------------------------------------------

    async def op_read_feed(
        self, params: dict[str, Any], page: Page | None, parts: list[str]
    ) -> Any:
        """Newest first, with `limit` (default 25, at most 100), `since`/`until` (unix
        seconds) and cursor paging through `after`."""
        assert page is not None
        fields = parse_fields(as_str(params.get("fields"))) or dict.fromkeys(
            DEFAULT_FEED_FIELDS, ""
        )
        try:
            limit = min(max(int(as_str(params.get("limit")) or 25), 1), 100)
            since = float(as_str(params.get("since")) or 0)
            until = float(as_str(params.get("until")) or 0)
        except ValueError:
            raise invalid_parameter("(#100) Invalid parameter") from None
        now = self.now()
        feed = [p for p in self.posts if p.page_id == page.id and p.visible(now)]
        feed.sort(key=_shown_time, reverse=True)
        feed = [
            p for p in feed if _shown_time(p) >= since and (not until or _shown_time(p) <= until)
        ]
        after = as_str(params.get("after"))
        if after:
            marks = [cursor(p.id) for p in feed]
            feed = feed[marks.index(after) + 1 :] if after in marks else []
        chunk = feed[:limit]
        body: dict[str, Any] = {"data": [render_post(p, fields, page.name, now) for p in chunk]}
        if chunk:
            paging: dict[str, Any] = {
                "cursors": {"before": cursor(chunk[0].id), "after": cursor(chunk[-1].id)}
            }
            if len(feed) > limit:
                query = {
                    k: as_str(v) for k, v in params.items() if k not in ("after", "access_token")
                }
                query["after"] = cursor(chunk[-1].id)
                paging["next"] = (
                    f"{self.base_url}/{self.default_version}/{page.id}/feed?{urlencode(query)}"
                )
            body["paging"] = paging
        return body

    async def op_read_object(
        self, params: dict[str, Any], page: Page | None, parts: list[str]
    ) -> Any:
        object_id = parts[0]
        if object_id == "me" and page is not None:  # a Page token reads its own Page
            object_id = page.id
        if object_id in self.pages:
            return {"name": self.pages[object_id].name, "id": object_id}
        post = self.find_post(object_id)
        if post is None or post.deleted:
            raise unsupported("get", object_id)
        fields = parse_fields(as_str(params.get("fields"))) or dict.fromkeys(
            DEFAULT_FEED_FIELDS, ""
        )
        return render_post(post, fields, page.name if page else "", self.now())

    async def op_debug_token(
        self, params: dict[str, Any], page: Page | None, parts: list[str]
    ) -> Any:
        token = as_str(params.get("input_token")).strip()
        if not token:
            raise invalid_parameter("(#100) The parameter input_token is required")
        return debug_token(self.pages, self._invalid, token, self.now(), self.app_id)


def _shown_time(post: FbPost) -> float:
    if not post.published and post.scheduled_publish_time:
        return post.scheduled_publish_time
    return post.created_time
