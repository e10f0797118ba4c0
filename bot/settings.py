"""The service's own settings, from the environment and `.env` (.env.example lists
every one). Platforms and the editors' bot declare theirs beside their code
(publishers/<kind>/, handlers/settings.py); the core knows none of them.

Validated at start-up: a mistake ends in one ConfigError sentence that names the
setting and what to do; a NEWSBOT_* variable that is no setting is named with the
closest known one (a typo is otherwise silently ignored).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from difflib import get_close_matches
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigError(Exception):
    """A setting is wrong or missing; the message is one sentence for a human."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    redis_url: SecretStr | None = Field(None, validation_alias="REDIS_URL")
    # Redis Sentinel instead of REDIS_URL, and the passwords (bot/infra/redis_connect.py).
    redis_sentinels: str | None = Field(None, validation_alias="REDIS_SENTINELS")
    redis_sentinel_master: str | None = Field(None, validation_alias="REDIS_SENTINEL_MASTER")
    redis_sentinel_password: SecretStr | None = Field(
        None, validation_alias="REDIS_SENTINEL_PASSWORD"
    )
    redis_password: SecretStr | None = Field(None, validation_alias="REDIS_PASSWORD")
    # WAIT for this many replicas after a claim and an outcome (bot/store/replication.py);
    # unset: 1 on a cluster or Sentinel whose master has a replica, else 0.
    redis_wait_replicas: int | None = Field(
        None, validation_alias="NEWSBOT_REDIS_WAIT_REPLICAS", ge=0, le=16
    )
    redis_wait_timeout_ms: int = Field(
        1000, validation_alias="NEWSBOT_REDIS_WAIT_TIMEOUT_MS", ge=1, le=5000
    )
    namespace: str = Field(
        "newsbot", validation_alias="NEWSBOT_NAMESPACE", pattern=r"^[A-Za-z0-9_.:-]{1,64}$"
    )
    config_path: Path = Field(Path("newsbot.toml"), validation_alias="NEWSBOT_CONFIG")
    # Several newsrooms served by one deployment: a folder of <name>.toml (+ <name>.env)
    # files, one per newsroom (bot/newsrooms.py); unset: one newsroom, NEWSBOT_CONFIG.
    newsrooms_dir: Path | None = Field(None, validation_alias="NEWSBOT_NEWSROOMS")
    data_dir: Path = Field(Path("var"), validation_alias="NEWSBOT_DATA_DIR")
    allow_private_networks: bool = Field(False, validation_alias="NEWSBOT_ALLOW_PRIVATE_NETWORKS")
    log_level: str = Field(
        "INFO", validation_alias="LOG_LEVEL", pattern=r"(?i)^(debug|info|warning|error)$"
    )
    rate_limits: bool = Field(True, validation_alias="NEWSBOT_RATE_LIMITS")
    # an attempt's lease, renewed every third of it while its platform call runs: a dead
    # worker's delivery moves about this long after its last renewal
    lease_seconds: float = Field(10.0, validation_alias="NEWSBOT_LEASE_SECONDS", ge=1, le=3600)
    max_crashes: int = Field(3, validation_alias="NEWSBOT_MAX_CRASHES", ge=1, le=100)
    workers: int = Field(4, validation_alias="NEWSBOT_WORKERS", ge=1, le=256)
    fetch_pages: bool = Field(True, validation_alias="NEWSBOT_FETCH_PAGES")
    page_timeout: float = Field(15.0, validation_alias="NEWSBOT_PAGE_TIMEOUT", gt=0, le=120)
    max_attempts: int = Field(8, validation_alias="NEWSBOT_MAX_ATTEMPTS", ge=1, le=100)
    retry_base_seconds: float = Field(
        2.0, validation_alias="NEWSBOT_RETRY_BASE_SECONDS", gt=0, le=3600
    )
    retry_max_seconds: float = Field(900.0, validation_alias="NEWSBOT_RETRY_MAX_SECONDS", gt=0)
    timezone: str = Field("Asia/Almaty", validation_alias="NEWSBOT_TIMEZONE")
    # Posted articles' pages are checked again this often (each channel's recheck_hours
    # long), at most recheck_per_minute pages a minute; 0 turns the recheck off.
    recheck_seconds: float = Field(600.0, validation_alias="NEWSBOT_RECHECK_SECONDS", ge=0)
    recheck_per_minute: float = Field(
        30.0, validation_alias="NEWSBOT_RECHECK_PER_MINUTE", gt=0, le=6000
    )
    # The doctor's checks in the service (tokens, rights, Redis, feeds): at start-up, then
    # this often, in the leading process; 0 turns them off (bot/doctor/watch.py).
    doctor_hours: float = Field(24.0, validation_alias="NEWSBOT_DOCTOR_HOURS", ge=0, le=24 * 30)
    # The service's own HTTP server (the editors' bot's webhook, later more).
    http_host: str = Field("127.0.0.1", validation_alias="NEWSBOT_HTTP_HOST")
    http_port: int = Field(8080, validation_alias="NEWSBOT_HTTP_PORT", ge=0, le=65535)
    # Counting for /metrics (the gauges are read at scrape time either way); false: off.
    metrics: bool = Field(True, validation_alias="NEWSBOT_METRICS")
    # CMS pushes (POST /ingest) are signed with this; unset: the endpoint is off (401).
    ingest_secret: SecretStr | None = Field(None, validation_alias="NEWSBOT_INGEST_SECRET")
    # The address the world reaches this server at (WebSub callbacks); unset: no WebSub.
    public_url: str | None = Field(
        None, validation_alias="NEWSBOT_PUBLIC_URL", pattern=r"^https?://[^\s/]+(/\S*)?$"
    )
    # The delivery board (GET /board) opens with this token; unset: no board (404).
    board_token: SecretStr | None = Field(None, validation_alias="NEWSBOT_BOARD_TOKEN")
    # The platform modules the composition root loads (each exposes PLATFORM).
    platforms: str = Field(
        "publishers.telegram,publishers.facebook",
        validation_alias="NEWSBOT_PLATFORMS",
        pattern=r"^[A-Za-z_][\w.]*(\s*,\s*[A-Za-z_][\w.]*)*$",
    )

    @property
    def platform_modules(self) -> tuple[str, ...]:
        return tuple(name.strip() for name in self.platforms.split(","))

    @property
    def embedded_redis(self) -> bool:
        """No Redis configured: the service starts its own in the data folder."""
        return self.redis_url is None and not self.redis_sentinels

    @field_validator("board_token", mode="before")
    @classmethod
    def _strong_board_token(cls, value: object) -> object:
        if value is None or value == "":
            return None  # an empty line in .env: no board
        raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if len(raw.strip()) < 16 or raw != raw.strip():
            raise ValueError(
                "must be at least 16 characters without surrounding spaces; make one with "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name like Asia/Almaty") from None
        return value


SETTINGS_MODEL = TypeVar("SETTINGS_MODEL", bound=BaseSettings)


def load_settings(**overrides: Any) -> Settings:
    return load(Settings, **overrides)


def load(model: type[SETTINGS_MODEL], **overrides: Any) -> SETTINGS_MODEL:
    """`model` from the environment, `.env` and `overrides` (only the ones it names);
    ConfigError naming the first wrong setting."""
    names = setting_names(model)
    mine = {k: v for k, v in overrides.items() if k in names or k.startswith("_")}
    try:
        return model(**mine)
    except ValidationError as exc:
        raise ConfigError(
            sentence("environment", exc, "fix it in the environment or .env (see .env.example)")
        ) from None


def load_from(model: type[SETTINGS_MODEL], env: Mapping[str, str], where: str) -> SETTINGS_MODEL:
    """`model` from `env` alone: the process environment and `.env` are not read (every
    field is given, from `env` or its default); ConfigError naming `where`."""
    values: dict[str, Any] = {}
    for field in model.model_fields.values():
        alias = field.validation_alias
        if not isinstance(alias, str):
            continue
        if alias in env:
            values[alias] = env[alias]
        elif not field.is_required():
            values[alias] = field.get_default(call_default_factory=True)
    try:
        return model(_env_file=None, **values)
    except ValidationError as exc:
        raise ConfigError(sentence(where, exc, "fix it there (see .env.example)")) from None


def setting_names(model: type[BaseSettings]) -> frozenset[str]:
    """The environment variables a settings model reads."""
    names = (f.validation_alias for f in model.model_fields.values())
    return frozenset(name for name in names if isinstance(name, str))


SETTING_PREFIXES = ("NEWSBOT_",)


def unknown_settings(env: Mapping[str, str], known: Iterable[str]) -> list[tuple[str, str | None]]:
    """Variables named like newsbot's settings that none of them is: (name, the closest
    known setting or None)."""
    known = frozenset(known)
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


def sentence(where: str, exc: ValidationError, hint: str) -> str:
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
