"""Loading the Lua scripts of bot/store/lua: each is sent with the shared library
(_lib.lua: the state machine table, `move`, `emit`) prepended, as one EVALSHA script."""

from __future__ import annotations

from importlib import resources

from redis.commands.core import AsyncScript

from bot.store.client import RedisClient


def library() -> str:
    """_lib.lua: the state machine table, `move`, `emit`, `history_with`."""
    return (resources.files("bot.store") / "lua" / "_lib.lua").read_text()


def source(name: str) -> str:
    lua = resources.files("bot.store") / "lua"
    return library() + "\n" + (lua / f"{name}.lua").read_text()


def load(redis: RedisClient, name: str) -> AsyncScript:
    return redis.register_script(source(name))
