"""The editors' bot's own settings (README "Editors' bot"), from the environment and
`.env`: who the editors are, their language, and the webhook mode."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class EditorsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    editor_ids: str = Field("", validation_alias="EDITOR_IDS", pattern=r"^[\d,\s]*$")
    editors_chat_id: int | None = Field(None, validation_alias="EDITORS_CHAT_ID")
    language: str = Field("ru", validation_alias="NEWSBOT_LANGUAGE", pattern=r"^(ru|en)$")
    enabled: bool = Field(True, validation_alias="NEWSBOT_EDITORS_BOT")
    # Webhook mode: Telegram posts updates to this public URL, which a reverse proxy
    # forwards to NEWSBOT_HTTP_HOST:NEWSBOT_HTTP_PORT (same path).
    webhook_url: str | None = Field(
        None, validation_alias="TELEGRAM_WEBHOOK_URL", pattern=r"^https?://[^\s/]+/\S*$"
    )
    # Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and - (Bot API setWebhook).
    webhook_secret: SecretStr | None = Field(None, validation_alias="TELEGRAM_WEBHOOK_SECRET")

    @model_validator(mode="after")
    def _webhook_needs_a_secret(self) -> EditorsSettings:
        secret = self.webhook_secret
        value = secret.get_secret_value() if secret is not None else ""
        if self.webhook_url and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
            raise ValueError(
                "TELEGRAM_WEBHOOK_URL is set but TELEGRAM_WEBHOOK_SECRET is missing or not "
                "1-256 characters of A-Z, a-z, 0-9, _ and -: set a long random one"
            )
        return self

    @property
    def editors(self) -> frozenset[int]:
        return frozenset(int(part) for part in self.editor_ids.replace(" ", "").split(",") if part)

    @property
    def configured(self) -> bool:
        """Anyone to talk to: editor ids or an editors' chat."""
        return self.enabled and bool(self.editors or self.editors_chat_id)
