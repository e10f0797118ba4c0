"""A Facebook Page's client: posts, reads the Page's feed back after an ambiguous
answer, deletes; over the Graph client (graph.py) on the service's shared session."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.platforms import FailureKind, Outcome, Post, PublishError, RateLimit, Receipt
from publishers.facebook import errors
from publishers.facebook.graph import GraphAnswer, GraphClient, GraphError, GraphUsage

if TYPE_CHECKING:
    from publishers.facebook import FacebookChannel

USAGE_SLOW_DOWN_PERCENT = 90.0
RECONCILE_PAGES = 10  # at most 1,000 recent posts are read back to find one
_POST_ID = re.compile(r"^\d{1,32}(_\d{1,32})?$")  # "<page-id>_<post-number>"


PUBLIC_LINK_BASE = "https://www.facebook.com"


def post_url(post_id: str, base: str = PUBLIC_LINK_BASE) -> str:
    """A Page post's public link (`base`: FACEBOOK_POST_LINK_BASE, facebook.com unless
    the sandbox's post pages stand in)."""
    return f"{base.rstrip('/')}/{post_id}"


class FacebookPublisher:
    """One Page's client: it can read the Page's feed back (RECONCILE) and delete."""

    def __init__(
        self,
        channel: FacebookChannel,
        client: GraphClient,
        token: str,
        *,
        link_base: str = PUBLIC_LINK_BASE,
    ) -> None:
        self.channel = channel
        self.client = client
        self._token = token
        self._link_base = link_base
        self._limits = (
            RateLimit(f"fb:page:{channel.page_id}", channel.rate_per_minute / 60, channel.burst),
        )

    def rate_limits(self) -> Sequence[RateLimit]:
        return self._limits

    async def find_existing(self, post: Post, since_ms: int) -> Receipt | None:
        """The Page's post of this payload since `since_ms`, read back from its feed
        (GET /{page-id}/feed; the link of a link post is `attachments{unshimmed_url}`,
        the `link` field being deprecated since v3.3). Posting is not idempotent: a
        code-2/500 answer may still have created the post (koala issue 699)."""
        params = {
            "fields": "id,message,created_time,attachments{unshimmed_url}",
            "since": str(max(0, since_ms // 1000 - 60)),  # a minute of clock skew
            "limit": "100",
        }
        link = post.call.params.get("link")  # a link post's; a photo post has none
        message = post.text
        for _page in range(RECONCILE_PAGES):
            try:
                answer = await self.client.get(f"{self.channel.page_id}/feed", params)
            except Exception as exc:
                raise errors.classify(exc, token=self._token, publishing=False) from None
            for found in answer.get("data") or []:
                attachments = (found.get("attachments") or {}).get("data") or []
                links = {a.get("unshimmed_url") for a in attachments if isinstance(a, dict)}
                if (link and link in links) or (message and found.get("message") == message):
                    return Receipt(
                        remote_id=str(found["id"]), url=post_url(str(found["id"]), self._link_base)
                    )
            paging = answer.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return None
            params["after"] = after
        return None

    async def _post(self, edge: str, params: dict[str, Any]) -> GraphAnswer:
        try:
            return await self.client.post(f"{self.channel.page_id}/{edge}", params)
        except Exception as exc:
            raise errors.classify(exc, token=self._token) from None

    def _pause_for(self, usage: GraphUsage | None) -> float:
        """Seconds to pause this Page after an answer whose usage headers say the
        budget is nearly spent: slow down from 90% instead of being refused at 100%
        (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/)."""
        if usage is None:
            return 0.0
        if usage.regain_access_minutes > 0:
            return usage.regain_access_minutes * 60
        if usage.max_percent >= USAGE_SLOW_DOWN_PERCENT:
            return 60.0 * (usage.max_percent - USAGE_SLOW_DOWN_PERCENT + 1)
        return 0.0

    async def delete(self, remote_id: str, sent_at_ms: int) -> None:
        """DELETE /{page-post-id} -> {"success": true}; the docs set no age limit
        (https://developers.facebook.com/docs/graph-api/reference/post/#deleting)."""
        _check_post_id(remote_id)
        try:
            answer = await self.client.delete(remote_id)
        except GraphError as exc:
            # 100/33 "Unsupported delete request. Object ... does not exist": deleted
            # already (by hand, or an earlier attempt whose answer was lost). The post is
            # this Page's own, so the "missing permissions" reading of 100/33 does not apply.
            if (exc.code, exc.subcode) == (100, 33):
                return
            raise errors.classify(exc, token=self._token, publishing=False) from None
        except Exception as exc:
            raise errors.classify(exc, token=self._token, publishing=False) from None
        if answer.get("success") is not True:
            # Deleting twice is harmless (100/33 above), so an odd answer is a plain retry.
            raise PublishError(
                Outcome.RETRY, FailureKind.UNAVAILABLE, f"Graph answered the delete with {answer}",
                code="bad_response",
            )  # fmt: skip

    async def edit(self, remote_id: str, previous: Post, new: Post) -> Receipt:
        """POST /{page-post-id} with the new message (Pages API: only the app that made
        the post may edit it); an unchanged text is simply written again."""
        _check_post_id(remote_id)
        try:
            answer = await self.client.post(remote_id, {"message": new.text})
        except Exception as exc:
            raise errors.classify(exc, token=self._token, publishing=False) from None
        if answer.body.get("success") is not True:
            answered = f"Graph answered the edit with {answer.body}"
            raise PublishError(
                Outcome.RETRY, FailureKind.UNAVAILABLE, answered, code="bad_response"
            )
        return Receipt(remote_id)

    async def publish(self, post: Post, *, silent: bool = False) -> Receipt:
        """POST /{page-id}/feed -> {"id"}; POST /{page-id}/photos -> {"id", "post_id"}
        (https://developers.facebook.com/docs/pages-api/posts). Pages have no silent
        posts (no SILENT capability): the core defers instead."""
        edge, params = post.call.method, post.call.params
        if edge not in ("feed", "photos"):
            raise PublishError(
                Outcome.PERMANENT, FailureKind.BAD_REQUEST, f"unknown Graph edge {edge!r}",
                code="bad_payload",
            )  # fmt: skip
        try:
            answer = await self._post(edge, params)
        except PublishError as exc:
            if exc.code != "link_not_scrapable" or "link" not in params:
                raise
            # 1609005: Facebook could not scrape the article for a preview. Post now
            # with the link in the text instead of waiting for a page that may not heal.
            without = {k: v for k, v in params.items() if k != "link"}
            without["message"] = f"{without.get('message', '')}\n\n{params['link']}".strip()
            answer = await self._post(edge, without)
        post_id = answer.body.get("post_id" if edge == "photos" else "id")
        if not isinstance(post_id, str) or not post_id:
            # Graph said yes but named no post: it may well exist, so not a plain retry.
            raise PublishError(
                Outcome.AMBIGUOUS,
                FailureKind.UNAVAILABLE,
                f"Graph answered without a post id: {answer.body}",
                code="bad_response",
            )
        pause = self._pause_for(answer.usage)
        return Receipt(
            remote_id=post_id, url=post_url(post_id, self._link_base), pause_seconds=pause
        )


def _check_post_id(remote_id: str) -> None:
    """A delivery's remote id is a Graph post id ("{page-id}_{post-id}") or a bug."""
    if not _POST_ID.match(remote_id):
        raise PublishError(
            Outcome.PERMANENT, FailureKind.BAD_REQUEST, f"{remote_id!r} is not a Graph post id",
            code="bad_remote_id",
        )  # fmt: skip
