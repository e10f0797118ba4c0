"""The configuration file (NEWSBOT_CONFIG, TOML): feeds and channels, each channel
read by its platform's own model; with the service's settings (bot.settings) and each
platform's, the whole configuration of a process.

Everything is validated at start-up; a mistake ends in one ConfigError sentence
that names the setting and what to do.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings

from bot.platforms import ChannelConfig, Platforms, UnknownKind
from bot.settings import ConfigError, Settings, load, load_from, load_settings, sentence

__all__ = ["Config", "ConfigError", "FeedConfig", "Settings", "load_config", "load_settings"]


class FeedConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    url: AnyHttpUrl
    interval: float = Field(60.0, ge=1, le=86400)
    backfill: int = Field(0, ge=0, le=1000)
    enabled: bool = True
    timeout: float = Field(20.0, gt=0, le=300)
    max_bytes: int = Field(5_000_000, ge=1024, le=100_000_000)
    # subscribe to the hub the feed names (WebSub, bot.ingest.websub) when
    # NEWSBOT_PUBLIC_URL is set; false: only polled
    websub: bool = True


class _FileConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feeds: list[FeedConfig] = []
    channels: list[dict[str, Any]] = []


@dataclass(frozen=True, slots=True)
class Config:
    settings: Settings
    feeds: tuple[FeedConfig, ...]
    channels: tuple[ChannelConfig, ...]
    # each loaded platform's own settings, by kind (the core reads none of them)
    platform_settings: Mapping[str, BaseSettings] = field(default_factory=dict)

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


def load_config(
    platforms: Platforms,
    settings: Settings | None = None,
    *,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Config:
    """The TOML file's feeds and channels (each channel read by its platform's model),
    with the service's and every platform's settings (`overrides` as in load(); or, with
    `env`, from that environment alone: a newsroom's, bot/newsrooms.py)."""
    settings = settings or load_settings(**overrides)
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
        raise ConfigError(sentence(str(path), exc, "see newsbot.example.toml")) from None
    channels = tuple(_parse_channel(path, i, c, platforms) for i, c in enumerate(parsed.channels))
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
    if env is not None:
        where = str(path.with_suffix(".env"))
        by_kind = {p.kind: load_from(p.settings_model, env, where) for p in platforms}
    else:
        by_kind = platform_settings(platforms, **overrides)
    return Config(settings, tuple(parsed.feeds), channels, by_kind)


def platform_settings(platforms: Platforms, **overrides: Any) -> dict[str, BaseSettings]:
    """Every loaded platform's own settings, from the environment and `overrides`."""
    return {p.kind: load(p.settings_model, **overrides) for p in platforms}


def parse_channels(
    platforms: Platforms, raw: Iterable[dict[str, Any]]
) -> tuple[ChannelConfig, ...]:
    """Channels given as plain tables (the demo, tests), read like the TOML file's."""
    return tuple(_parse_channel(Path("channels"), i, c, platforms) for i, c in enumerate(raw))


def _parse_channel(
    path: Path, index: int, raw: dict[str, Any], platforms: Platforms
) -> ChannelConfig:
    kind = raw.get("kind")
    known = ", ".join(f'"{k}"' for k in platforms.kinds)
    if not isinstance(kind, str):
        raise ConfigError(f"{path}: channels[{index}] has no kind: set kind to one of {known}")
    try:
        platform = platforms.get(kind)
    except UnknownKind as exc:
        raise ConfigError(f"{path}: channels[{index}] has {exc}") from None
    raw = _with_template_file(path, index, raw)
    try:
        return platform.channel_model.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(
            sentence(f"{path}: channels[{index}]", exc, "see newsbot.example.toml")
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
