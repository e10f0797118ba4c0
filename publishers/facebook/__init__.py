"""Facebook Pages through the Graph API (a small aiohttp client, see graph.py).

Each channel is one Page, posting with that Page's access token, read from the
environment variable the channel names (FACEBOOK_PAGE_TOKEN by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from bot.models import Article
from publishers.base import (
    ChannelConfig,
    Outcome,
    Payload,
    PlatformContext,
    PlatformHandle,
    Publisher,
    PublishError,
    Receipt,
)
from publishers.facebook import errors, render
from publishers.facebook.graph import GraphClient


class FacebookChannel(ChannelConfig):
    kind: Literal["facebook"]
    page_id: str = Field(pattern=r"^\d{1,32}$")
    token_env: str = Field("FACEBOOK_PAGE_TOKEN", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    post_type: Literal["link", "photo"] = "link"
    timeout: float = Field(30.0, gt=0, le=300)  # seconds per request


CHANNEL_MODEL = FacebookChannel


def post_url(post_id: str) -> str:
    return f"https://www.facebook.com/{post_id}"


class FacebookPublisher:
    def __init__(self, channel: FacebookChannel, client: GraphClient, token: str) -> None:
        self.channel = channel
        self.client = client
        self._token = token

    def render(self, article: Article) -> Payload:
        return render.render(article, self.channel)

    async def publish(self, payload: Payload) -> Receipt:
        """POST /{page-id}/feed -> {"id"}; POST /{page-id}/photos -> {"id", "post_id"}
        (https://developers.facebook.com/docs/pages-api/posts)."""
        if payload.method not in ("feed", "photos"):
            raise PublishError(
                Outcome.PERMANENT, f"unknown Graph edge {payload.method!r}", code="bad_payload"
            )
        try:
            answer = await self.client.post(
                f"{self.channel.page_id}/{payload.method}", payload.params
            )
        except Exception as exc:
            raise errors.classify(exc, token=self._token) from None
        post_id = answer.get("post_id" if payload.method == "photos" else "id")
        if not isinstance(post_id, str) or not post_id:
            # Graph said yes but named no post: it may well exist, so not a plain retry.
            raise PublishError(
                Outcome.AMBIGUOUS,
                f"Graph answered without a post id: {answer}",
                code="bad_response",
            )
        return Receipt(remote_id=post_id, url=post_url(post_id))


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
