"""Several newsrooms served by one deployment (README "Many newsrooms on one deployment").

NEWSBOT_NEWSROOMS names a folder. Each `<name>.toml` in it is one newsroom: its feeds
and channels, in the format of newsbot.toml; `<name>.env` beside it, when present, holds
that newsroom's own settings in the format of `.env` (its bot token, Page tokens, editors,
board token, push secret, time zone, limits...). The name is the newsroom's label in logs
and /metrics, its namespace in Redis unless its .env sets NEWSBOT_NAMESPACE, and its
place on the service's server: /n/<name>/board, /n/<name>/ingest, /n/<name>/websub/...

Isolation: a newsroom's settings are its .env over the process environment, except that
secrets and identities are never inherited (every setting the models declare secret,
the editors, the webhook): a newsroom without its own TELEGRAM_BOT_TOKEN has none rather
than the process's, and a channel's `token_env` is looked up in the newsroom's .env only.
The process's own settings (Redis, the HTTP server, the data folder, the log level, the
platforms, the public URL, leases, metrics) belong to the process: a newsroom's .env that
sets one is refused with a sentence saying so.

Without NEWSBOT_NEWSROOMS the deployment is one newsroom: NEWSBOT_CONFIG and the process
environment, its routes without a prefix, as always.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values
from pydantic_settings import BaseSettings

from bot.config import Config, load_config
from bot.platforms import Platforms
from bot.settings import (
    ConfigError,
    Settings,
    load_from,
    setting_names,
    unknown_setting_sentence,
    unknown_settings,
)

# Settings of the whole process: one Redis, one HTTP server, one log.
PROCESS_SETTINGS = frozenset({
    "REDIS_URL", "REDIS_SENTINELS", "REDIS_SENTINEL_MASTER", "REDIS_SENTINEL_PASSWORD",
    "REDIS_PASSWORD", "NEWSBOT_REDIS_WAIT_REPLICAS", "NEWSBOT_REDIS_WAIT_TIMEOUT_MS",
    "NEWSBOT_CONFIG", "NEWSBOT_NEWSROOMS", "NEWSBOT_DATA_DIR", "LOG_LEVEL",
    "NEWSBOT_HTTP_HOST", "NEWSBOT_HTTP_PORT", "NEWSBOT_PLATFORMS", "NEWSBOT_PUBLIC_URL",
    "NEWSBOT_LEASE_SECONDS", "NEWSBOT_METRICS", "NEWSBOT_ALLOW_PRIVATE_NETWORKS",
})  # fmt: skip
# Who a newsroom is: never taken from the process environment.
IDENTITIES = frozenset(
    {"NEWSBOT_NAMESPACE", "EDITOR_IDS", "EDITORS_CHAT_ID", "TELEGRAM_WEBHOOK_URL"}
)
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


@dataclass(frozen=True, slots=True)
class Newsroom:
    name: str
    config: Config  # its settings (namespace, time zone...), feeds, channels, platforms'
    env: Mapping[str, str]  # the environment its settings were read from (token_env...)
    prefix: str = ""  # its routes' prefix on the service's server; "" when it is the only one


def secret_names(models: Iterable[type[BaseSettings]]) -> frozenset[str]:
    """The variables of the settings the models declare secret (SecretStr)."""
    return frozenset(
        field.validation_alias
        for model in models
        for field in model.model_fields.values()
        if isinstance(field.validation_alias, str) and "SecretStr" in str(field.annotation)
    )


def load_newsrooms(
    platforms: Platforms,
    settings: Settings,
    env: Mapping[str, str],
    models: Iterable[type[BaseSettings]],
) -> tuple[Newsroom, ...]:
    """The deployment's newsrooms: the folder's, or the only one. `env` is the process
    environment (with .env); `models` every settings model the service reads."""
    if settings.newsrooms_dir is None:
        config = load_config(platforms, settings)
        return (Newsroom(settings.namespace, config, env),)
    models = tuple(models)
    folder = settings.newsrooms_dir.expanduser()
    if not folder.is_dir():
        raise ConfigError(
            f"NEWSBOT_NEWSROOMS {folder} is not a folder: create it with one <name>.toml "
            "per newsroom, or unset it to serve one newsroom from NEWSBOT_CONFIG"
        )
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise ConfigError(
            f"NEWSBOT_NEWSROOMS {folder} holds no <name>.toml: add one per newsroom "
            "(the format of newsbot.example.toml)"
        )
    known = frozenset().union(*(setting_names(m) for m in models))
    private = (secret_names(models) | IDENTITIES) - PROCESS_SETTINGS
    inherited = {k: v for k, v in env.items() if k in known and k not in private}
    rooms = tuple(_newsroom(file, inherited, known, platforms) for file in files)
    _check_distinct(folder, rooms)
    return rooms


def _newsroom(
    file: Path, inherited: Mapping[str, str], known: frozenset[str], platforms: Platforms
) -> Newsroom:
    name = file.stem
    if not NAME.match(name):
        raise ConfigError(
            f"{file}: a newsroom's name is 1-32 lower-case letters, digits, - and _, "
            "starting with a letter or digit: rename the file"
        )
    env_file = file.with_suffix(".env")
    own = _read_env(env_file) if env_file.exists() else {}
    for key in own:
        if key in PROCESS_SETTINGS:
            raise ConfigError(
                f"{env_file}: {key} is a setting of the whole process, not of one newsroom: "
                "set it in the service's environment instead"
            )
    for key, closest in unknown_settings(own, known):
        raise ConfigError(f"{env_file}: {unknown_setting_sentence(key, closest)}")
    env = {**inherited, "NEWSBOT_NAMESPACE": name, **own, "NEWSBOT_CONFIG": str(file)}
    prefix = f"/n/{name}"
    if inherited.get("NEWSBOT_PUBLIC_URL"):
        env["NEWSBOT_PUBLIC_URL"] = inherited["NEWSBOT_PUBLIC_URL"].rstrip("/") + prefix
    settings = load_from(Settings, env, str(env_file if env_file.exists() else file))
    return Newsroom(name, load_config(platforms, settings, env=env), env, prefix)


def _read_env(file: Path) -> dict[str, str]:
    try:
        values = dotenv_values(file, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file} cannot be read ({exc.__class__.__name__}): fix it") from None
    return {k: v for k, v in values.items() if v is not None}


def _check_distinct(folder: Path, rooms: tuple[Newsroom, ...]) -> None:
    seen: dict[str, str] = {}
    for room in rooms:
        namespace = room.config.settings.namespace
        if namespace in seen:
            raise ConfigError(
                f"{folder}: newsrooms {seen[namespace]!r} and {room.name!r} share the "
                f"namespace {namespace!r}: give each its own NEWSBOT_NAMESPACE"
            )
        seen[namespace] = room.name
