"""A real FacebookPublisher against the Graph API sandbox, for the sandbox tests."""

from __future__ import annotations

from typing import Any

import publishers.facebook as facebook
from bot.models import Article
from bot.platforms import ChannelConfig, PlatformContext, Post
from publishers.facebook.client import FacebookPublisher
from tests.conftest import PAGE_ID, PAGE_TOKEN
from tests.publishers.harness import IMAGE, URL, BaseHarness, article

__all__ = ["IMAGE", "URL", "Harness", "article"]


class Harness(BaseHarness):
    def publisher(self, *, graph_url: str | None = None, token: str | None = PAGE_TOKEN,
                  **channel: Any) -> FacebookPublisher:  # fmt: skip
        settings = facebook.FacebookSettings(
            _env_file=None, FACEBOOK_GRAPH_URL=graph_url or self.sandbox.graph_url
        )
        env = {"FACEBOOK_PAGE_TOKEN": token} if token else {}
        ctx = PlatformContext(settings, self.http, env, self.secrets.append)
        config = facebook.FacebookChannel.model_validate(
            {"id": "fb", "kind": "facebook", "page_id": PAGE_ID, **channel}
        )
        publisher = facebook.PLATFORM.open([config], ctx).publishers["fb"]
        assert isinstance(publisher, FacebookPublisher)
        return publisher

    def render(self, art: Article, channel: ChannelConfig) -> Post:
        return facebook.PLATFORM.render(art, channel)
