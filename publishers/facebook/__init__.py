"""Facebook Pages through the Graph API (a small aiohttp client, see graph.py).

Each channel is one Page, posting with that Page's access token, read from the
environment variable the channel names (FACEBOOK_PAGE_TOKEN by default).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field, model_validator

from bot.models import Article
from publishers.base import (
    ChannelConfig,
    Outcome,
    Payload,
    PlatformContext,
    PlatformHandle,
    Publisher,
    PublishError,
    RateLimit,
    Receipt,
)
from publishers.facebook import errors, render
from publishers.facebook.graph import GraphClient, GraphError


class FacebookChannel(ChannelConfig):
    kind: Literal["facebook"]
    page_id: str = Field(pattern=r"^\d{1,32}$")
    token_env: str = Field("FACEBOOK_PAGE_TOKEN", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    post_type: Literal["link", "photo"] = "link"
    timeout: float = Field(30.0, gt=0, le=300)  # seconds per request
    # Meta publishes no per-Page posting rate; a newsroom posts a few dozen a day, so a
    # conservative default keeps far from the Page's call budget (usage headers do the rest).
    rate_per_minute: float = Field(6.0, gt=0, le=6000)
    burst: int = Field(3, ge=1, le=100)

    @model_validator(mode="after")
    def _template_works(self) -> FacebookChannel:
        render.check_template(self)  # TemplateProblem is a ValueError: pydantic reports it
        return self


CHANNEL_MODEL = FacebookChannel


def render_post(article: Article, channel: ChannelConfig) -> Payload:
    if not isinstance(channel, FacebookChannel):
        raise TypeError(f"channel {channel.id} is not a Facebook channel")
    return render.render(article, channel)


def with_text(payload: Payload, text: str) -> Payload:
    return render.with_text(payload, text)


USAGE_SLOW_DOWN_PERCENT = 90.0
RECONCILE_PAGES = 10  # at most 1,000 recent posts are read back to find one
_POST_ID = re.compile(r"^\d{1,32}(_\d{1,32})?$")  # "<page-id>_<post-number>"


def post_url(post_id: str) -> str:
    return f"https://www.facebook.com/{post_id}"


class FacebookPublisher:
    can_reconcile = True

    def __init__(self, channel: FacebookChannel, client: GraphClient, token: str) -> None:
        self.channel = channel
        self.client = client
        self._token = token
        self._limits = (
            RateLimit(f"fb:page:{channel.page_id}", channel.rate_per_minute / 60, channel.burst),
        )

    def rate_limits(self) -> Sequence[RateLimit]:
        return self._limits

    async def find_existing(self, payload: Payload, since_ms: int) -> Receipt | None:
        """The Page's post of this payload since `since_ms`, read back from its feed
        (GET /{page-id}/feed; the link of a link post is `attachments{unshimmed_url}`,
        the `link` field being deprecated since v3.3). Posting is not idempotent: a
        code-2/500 answer may still have created the post (koala issue 699)."""
        params = {
            "fields": "id,message,created_time,attachments{unshimmed_url}",
            "since": str(max(0, since_ms // 1000 - 60)),  # a minute of clock skew
            "limit": "100",
        }
        link = payload.params.get("link")
        message = payload.params.get("message") or payload.params.get("caption")
        for _page in range(RECONCILE_PAGES):
            try:
                answer = await self.client.get(f"{self.channel.page_id}/feed", params)
            except Exception as exc:
                raise errors.classify(exc, token=self._token, publishing=False) from None
            for post in answer.get("data") or []:
                attachments = (post.get("attachments") or {}).get("data") or []
                links = {a.get("unshimmed_url") for a in attachments if isinstance(a, dict)}
                if (link and link in links) or (message and post.get("message") == message):
                    return Receipt(remote_id=str(post["id"]), url=post_url(str(post["id"])))
            paging = answer.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return None
            params["after"] = after
        return None

    async def _post(self, edge: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self.client.post(f"{self.channel.page_id}/{edge}", params)
        except Exception as exc:
            raise errors.classify(exc, token=self._token) from None

    def _pause_for(self) -> float:
        """Seconds to pause this Page after an answer whose usage headers say the
        budget is nearly spent: slow down from 90% instead of being refused at 100%
        (https://developers.facebook.com/docs/graph-api/overview/rate-limiting/)."""
        usage = self.client.last_usage
        if usage is None:
            return 0.0
        if usage.regain_access_minutes > 0:
            return usage.regain_access_minutes * 60
        if usage.max_percent >= USAGE_SLOW_DOWN_PERCENT:
            return 60.0 * (usage.max_percent - USAGE_SLOW_DOWN_PERCENT + 1)
        return 0.0

    def render(self, article: Article) -> Payload:
        return render.render(article, self.channel)

    async def delete(self, remote_id: str, sent_at_ms: int) -> None:
        """DELETE /{page-post-id} -> {"success": true}; the docs set no age limit
        (https://developers.facebook.com/docs/graph-api/reference/post/#deleting)."""
        if not _POST_ID.match(remote_id):
            raise PublishError(
                Outcome.PERMANENT, f"{remote_id!r} is not a Graph post id", code="bad_remote_id"
            )
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
                Outcome.RETRY, f"Graph answered the delete with {answer}", code="bad_response"
            )

    async def publish(self, payload: Payload) -> Receipt:
        """POST /{page-id}/feed -> {"id"}; POST /{page-id}/photos -> {"id", "post_id"}
        (https://developers.facebook.com/docs/pages-api/posts)."""
        if payload.method not in ("feed", "photos"):
            raise PublishError(
                Outcome.PERMANENT, f"unknown Graph edge {payload.method!r}", code="bad_payload"
            )
        try:
            answer = await self._post(payload.method, payload.params)
        except PublishError as exc:
            if exc.code != "link_not_scrapable" or "link" not in payload.params:
                raise
            # 1609005: Facebook could not scrape the article for a preview. Post now
            # with the link in the text instead of waiting for a page that may not heal.
            params = {k: v for k, v in payload.params.items() if k != "link"}
            params["message"] = f"{params.get('message', '')}\n\n{payload.params['link']}".strip()
            answer = await self._post(payload.method, params)
        post_id = answer.get("post_id" if payload.method == "photos" else "id")
        if not isinstance(post_id, str) or not post_id:
            # Graph said yes but named no post: it may well exist, so not a plain retry.
            raise PublishError(
                Outcome.AMBIGUOUS,
                f"Graph answered without a post id: {answer}",
                code="bad_response",
            )
        return Receipt(remote_id=post_id, url=post_url(post_id), pause_seconds=self._pause_for())


def create_publishers(channels: Sequence[ChannelConfig], ctx: PlatformContext) -> PlatformHandle:
    """One publisher per Page channel over the shared session (closed by its owner)."""
    settings = ctx.settings
    base_url = f"{settings.facebook_graph_url.rstrip('/')}/{settings.facebook_api_version}"
    publishers: dict[str, Publisher] = {}
    for channel in channels:
        if not isinstance(channel, FacebookChannel):
            continue
        token = (ctx.env.get(channel.token_env) or "").strip()
        if not token:
            raise ValueError(
                f"{channel.token_env} is not set: put the Page access token of page "
                f"{channel.page_id} in it (see .env.example)"
            )
        ctx.register_secret(token)
        client = GraphClient(ctx.http, base_url, token, channel.timeout)
        publishers[channel.id] = FacebookPublisher(channel, client, token)
    return PlatformHandle(publishers=publishers, close=_nothing)


async def _nothing() -> None:
    """The aiohttp session belongs to the composition root, which closes it."""
