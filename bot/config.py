"""Settings: process settings and secrets from the environment and `.env`;
feeds and channels from the TOML file named by NEWSBOT_CONFIG.

Everything is validated at start-up; a mistake ends in one ConfigError sentence
that names the setting and what to do.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from publishers.base import ChannelConfig, load_platform


class ConfigError(Exception):
    """A setting is wrong or missing; the message is one sentence for a human."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    redis_url: SecretStr | None = Field(None, validation_alias="REDIS_URL")
    namespace: str = Field(
        "newsbot", validation_alias="NEWSBOT_NAMESPACE", pattern=r"^[A-Za-z0-9_.:-]{1,64}$"
    )
    config_path: Path = Field(Path("newsbot.toml"), validation_alias="NEWSBOT_CONFIG")
    data_dir: Path = Field(Path("var"), validation_alias="NEWSBOT_DATA_DIR")
    telegram_bot_token: SecretStr | None = Field(None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base: str = Field("https://api.telegram.org", validation_alias="TELEGRAM_API_BASE")
    facebook_graph_url: str = Field(
        "https://graph.facebook.com", validation_alias="FACEBOOK_GRAPH_URL"
    )
    facebook_api_version: str = Field(
        "v24.0", validation_alias="FACEBOOK_API_VERSION", pattern=r"^v\d+\.\d+$"
    )
    allow_private_networks: bool = Field(False, validation_alias="NEWSBOT_ALLOW_PRIVATE_NETWORKS")
    log_level: str = Field(
        "INFO", validation_alias="LOG_LEVEL", pattern=r"(?i)^(debug|info|warning|error)$"
    )
    telegram_bot_rate_per_second: float = Field(
        25.0, validation_alias="TELEGRAM_BOT_RATE_PER_SECOND", gt=0, le=1000
    )
    rate_limits: bool = Field(True, validation_alias="NEWSBOT_RATE_LIMITS")
    lease_seconds: float = Field(120.0, validation_alias="NEWSBOT_LEASE_SECONDS", ge=1, le=3600)
    max_crashes: int = Field(3, validation_alias="NEWSBOT_MAX_CRASHES", ge=1, le=100)
    workers: int = Field(4, validation_alias="NEWSBOT_WORKERS", ge=1, le=256)
    fetch_pages: bool = Field(True, validation_alias="NEWSBOT_FETCH_PAGES")
    page_timeout: float = Field(15.0, validation_alias="NEWSBOT_PAGE_TIMEOUT", gt=0, le=120)
    max_attempts: int = Field(8, validation_alias="NEWSBOT_MAX_ATTEMPTS", ge=1, le=100)
    retry_base_seconds: float = Field(
        2.0, validation_alias="NEWSBOT_RETRY_BASE_SECONDS", gt=0, le=3600
    )
    retry_max_seconds: float = Field(900.0, validation_alias="NEWSBOT_RETRY_MAX_SECONDS", gt=0)
    # The editors' bot (README "Editors' bot").
    editor_ids: str = Field("", validation_alias="EDITOR_IDS", pattern=r"^[\d,\s]*$")
    editors_chat_id: int | None = Field(None, validation_alias="EDITORS_CHAT_ID")
    language: str = Field("ru", validation_alias="NEWSBOT_LANGUAGE", pattern=r"^(ru|en)$")
    editors_bot: bool = Field(True, validation_alias="NEWSBOT_EDITORS_BOT")
    timezone: str = Field("Asia/Almaty", validation_alias="NEWSBOT_TIMEZONE")
    # Webhook mode of the editors' bot: Telegram posts updates to this public URL, which
    # a reverse proxy forwards to NEWSBOT_HTTP_HOST:NEWSBOT_HTTP_PORT (same path).
    telegram_webhook_url: str | None = Field(
        None, validation_alias="TELEGRAM_WEBHOOK_URL", pattern=r"^https?://[^\s/]+/\S*$"
    )
    # Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and - (Bot API setWebhook).
    telegram_webhook_secret: SecretStr | None = Field(
        None, validation_alias="TELEGRAM_WEBHOOK_SECRET"
    )
    http_host: str = Field("127.0.0.1", validation_alias="NEWSBOT_HTTP_HOST")
    http_port: int = Field(8080, validation_alias="NEWSBOT_HTTP_PORT", ge=0, le=65535)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name like Asia/Almaty") from None
        return value

    @model_validator(mode="after")
    def _webhook_needs_a_secret(self) -> Settings:
        secret = self.telegram_webhook_secret
        value = secret.get_secret_value() if secret is not None else ""
        if self.telegram_webhook_url and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
            raise ValueError(
                "TELEGRAM_WEBHOOK_URL is set but TELEGRAM_WEBHOOK_SECRET is missing or not "
                "1-256 characters of A-Z, a-z, 0-9, _ and -: set a long random one"
            )
        return self

    @property
    def editors(self) -> frozenset[int]:
        return frozenset(int(part) for part in self.editor_ids.replace(" ", "").split(",") if part)


class FeedConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    url: AnyHttpUrl
    interval: float = Field(60.0, ge=1, le=86400)
    backfill: int = Field(0, ge=0, le=1000)
    enabled: bool = True
    timeout: float = Field(20.0, gt=0, le=300)
    max_bytes: int = Field(5_000_000, ge=1024, le=100_000_000)


class _FileConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feeds: list[FeedConfig] = []
    channels: list[dict[str, Any]] = []


@dataclass(frozen=True, slots=True)
class Config:
    settings: Settings
    feeds: tuple[FeedConfig, ...]
    channels: tuple[ChannelConfig, ...]

    @property
    def active_channels(self) -> tuple[ChannelConfig, ...]:
        return tuple(c for c in self.channels if c.enabled)

    def channel(self, channel_id: str) -> ChannelConfig | None:
        return next((c for c in self.channels if c.id == channel_id), None)

    def approvals(self, channel_ids: Sequence[str]) -> dict[str, int]:
        """Channels that wait for an editor: ms until they publish anyway (0: never)."""
        waits: dict[str, int] = {}
        for channel in self.channels:
            if channel.id in channel_ids and channel.approval:
                waits[channel.id] = int((channel.approval_timeout or 0) * 1000)
        return waits

    def channels_for(self, source: str) -> tuple[str, ...]:
        """Channel ids that take an article from this feed id (or other source)."""
        return tuple(c.id for c in self.active_channels if not c.feeds or source in c.feeds)


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(
            _sentence("environment", exc, "fix it in the environment or .env (see .env.example)")
        ) from None


def load_config(settings: Settings | None = None) -> Config:
    settings = settings or load_settings()
    path = settings.config_path
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} does not exist: set NEWSBOT_CONFIG to your TOML file "
            "(start from newsbot.example.toml)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"config file {path} cannot be read ({exc.__class__.__name__}): "
            "check the path and its permissions"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML ({exc}): fix that line") from None
    try:
        parsed = _FileConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_sentence(str(path), exc, "see newsbot.example.toml")) from None
    channels = tuple(_parse_channel(path, i, c) for i, c in enumerate(parsed.channels))
    _check_unique(path, "feeds", [f.id for f in parsed.feeds])
    _check_unique(path, "channels", [c.id for c in channels])
    feed_ids = {f.id for f in parsed.feeds}
    for channel in channels:
        unknown = [f for f in channel.feeds if f not in feed_ids]
        if unknown:
            raise ConfigError(
                f"{path}: channel {channel.id!r} names feed {unknown[0]!r}, which is not among "
                f"[[feeds]]: fix the name or add the feed"
            )
    if not channels:
        raise ConfigError(
            f"{path} has no [[channels]]: add at least one (see newsbot.example.toml)"
        )
    return Config(settings=settings, feeds=tuple(parsed.feeds), channels=channels)


SETTING_PREFIXES = ("NEWSBOT_",)


def known_settings() -> frozenset[str]:
    """Every environment variable Settings reads."""
    names = (f.validation_alias for f in Settings.model_fields.values())
    return frozenset(name for name in names if isinstance(name, str))


def unknown_settings(env: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """Variables named like newsbot's settings that none of them is: (name, the closest
    known setting or None). A typo (NEWSBOT_WORKRES) is otherwise silently ignored."""
    known = known_settings()
    unknown = sorted(
        name for name in env if name.startswith(SETTING_PREFIXES) and name not in known
    )
    return [(name, _closest(name, known)) for name in unknown]


def _closest(name: str, known: frozenset[str]) -> str | None:
    """The known setting whose name, past the shared prefix, is closest to `name`'s."""
    prefix = next(p for p in SETTING_PREFIXES if name.startswith(p))
    tails = {k.removeprefix(prefix): k for k in known if k.startswith(prefix)}
    found = get_close_matches(name.removeprefix(prefix), list(tails), n=1, cutoff=0.6)
    return tails[found[0]] if found else None


def unknown_setting_sentence(name: str, closest: str | None) -> str:
    hint = f"did you mean {closest}?" if closest else "see .env.example for the settings"
    return f"{name} is not a newsbot setting and is ignored: {hint}"


def process_env() -> dict[str, str]:
    """The environment as the service sees it: `.env` values, overridden by real ones."""
    env_file = Settings.model_config.get("env_file")
    values: dict[str, str] = {}
    if isinstance(env_file, str) and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ)
    return values


def _parse_channel(path: Path, index: int, raw: dict[str, Any]) -> ChannelConfig:
    kind = raw.get("kind")
    if not isinstance(kind, str):
        raise ConfigError(
            f'{path}: channels[{index}] has no kind: set kind = "telegram" or "facebook"'
        )
    try:
        platform = load_platform(kind)
    except LookupError:
        raise ConfigError(
            f'{path}: channels[{index}] has unknown kind {kind!r}: use "telegram" or "facebook"'
        ) from None
    raw = _with_template_file(path, index, raw)
    try:
        return platform.CHANNEL_MODEL.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(
            _sentence(f"{path}: channels[{index}]", exc, "see newsbot.example.toml")
        ) from None


def _with_template_file(path: Path, index: int, raw: dict[str, Any]) -> dict[str, Any]:
    """`raw` with `template_file` (relative to the config file) read into `template`."""
    name = raw.get("template_file")
    if name is None:
        return raw
    where = f"{path}: channels[{index}].template_file"
    if "template" in raw:
        raise ConfigError(f"{where} and template are both set: keep one of them")
    if not isinstance(name, str):
        raise ConfigError(f"{where} must be a file name: quote it")
    file = (path.parent / name).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8"
        raise ConfigError(f"{where} {file} cannot be read ({reason}): fix the path") from None
    rest = {k: v for k, v in raw.items() if k != "template_file"}
    return {**rest, "template": text}


def _check_unique(path: Path, table: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ConfigError(
                f"{path}: {table} id {item!r} is used twice: give each one its own id"
            )
        seen.add(item)


def _sentence(where: str, exc: ValidationError, hint: str) -> str:
    """The first validation problem as one sentence: where, which setting, what is wrong."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    msg = err["msg"][0].lower() + err["msg"][1:]
    if err["type"] == "missing":
        msg = "is required but missing"
    elif err["type"] == "extra_forbidden":
        msg = "is not a known setting"
    elif err["type"] == "value_error" and "error" in err.get("ctx", {}):
        msg = str(err["ctx"]["error"])
    return f"{where}: {loc} {msg}: {hint}"
