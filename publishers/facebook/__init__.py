"""Facebook Pages through the Graph API (our own small aiohttp client, graph.py): one
platform of the contract in bot.platforms.

Each channel is one Page, posting with that Page's access token, read from the
environment variable the channel names (FACEBOOK_PAGE_TOKEN by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.models import Article
from bot.platforms import (
    Capability,
    ChannelConfig,
    OutcomeRule,
    PlatformContext,
    PlatformHandle,
    Post,
    Publisher,
)
from publishers.facebook import render

if TYPE_CHECKING:
    from publishers.facebook.graph import GraphClient


class FacebookSettings(BaseSettings):
    """The platform's environment settings (prefix FACEBOOK_); Page tokens are named
    per channel (`token_env`)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    graph_url: str = Field("https://graph.facebook.com", validation_alias="FACEBOOK_GRAPH_URL")
    # Where a Page post's public link points (<base>/<post-id>); the sandbox's post
    # pages in tests and the demo.
    post_link_base: str = Field(
        "https://www.facebook.com",
        validation_alias="FACEBOOK_POST_LINK_BASE",
        pattern=r"^https?://[^\s/]+(/\S*)?$",
    )
    # Graph versions live at least two years; v24.0 (2025-10) until 2028-02.
    api_version: str = Field(
        "v24.0", validation_alias="FACEBOOK_API_VERSION", pattern=r"^v\d+\.\d+$"
    )
    # For debug_token (newsbot doctor, the token watch): the app's token, `app-id|app-secret`;
    # unset: each Page token inspects itself.
    app_token: SecretStr | None = Field(None, validation_alias="FACEBOOK_APP_TOKEN")


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


class FacebookPlatform:
    kind = "facebook"
    channel_model = FacebookChannel
    settings_model = FacebookSettings
    capabilities = frozenset({Capability.RECONCILE, Capability.DELETE, Capability.EDIT})

    @property
    def outcomes(self) -> Sequence[OutcomeRule]:
        from publishers.facebook.errors import OUTCOMES

        return OUTCOMES

    def render(self, article: Article, channel: ChannelConfig, like: Post | None = None) -> Post:
        if not isinstance(channel, FacebookChannel):
            raise TypeError(f"channel {channel.id} is not a Facebook channel")
        return render.render(article, channel, like)

    def with_text(self, post: Post, text: str) -> Post:
        return render.with_text(post, text)

    def example_channel(self) -> ChannelConfig:
        return FacebookChannel(id="facebook", kind="facebook", page_id="1")

    def open(self, channels: Sequence[ChannelConfig], ctx: PlatformContext) -> PlatformHandle:
        """One client per Page channel over the shared session (closed by its owner)."""
        from publishers.facebook.client import FacebookPublisher
        from publishers.facebook.doctor import PageToken, diagnose
        from publishers.facebook.graph import GraphClient

        settings = ctx.settings
        assert isinstance(settings, FacebookSettings)
        base_url = f"{settings.graph_url.rstrip('/')}/{settings.api_version}"
        publishers: dict[str, Publisher] = {}
        pages: list[PageToken] = []
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
            publishers[channel.id] = FacebookPublisher(
                channel, client, token, link_base=settings.post_link_base
            )
            pages.append(PageToken(channel.id, channel.page_id, channel.token_env, token, client))
        checks = partial(diagnose, pages, _app_client(settings, ctx, base_url))  # debug_token
        return PlatformHandle(publishers=publishers, close=_nothing, diagnose=checks)


def _app_client(
    settings: FacebookSettings, ctx: PlatformContext, base_url: str
) -> GraphClient | None:
    """A Graph client with FACEBOOK_APP_TOKEN, for debug_token; None when it is unset."""
    from publishers.facebook.graph import GraphClient

    secret = settings.app_token.get_secret_value().strip() if settings.app_token else ""
    if not secret:
        return None
    ctx.register_secret(secret)
    ctx.register_secret(secret.partition("|")[2])  # the app secret alone, as it may show
    return GraphClient(ctx.http, base_url, secret, 30.0)


async def _nothing() -> None:
    """The aiohttp session belongs to the composition root, which closes it."""


PLATFORM = FacebookPlatform()
