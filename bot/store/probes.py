"""What the readiness probe asks Redis (bot/infra/probes.py): does it answer, and does it
hold every Lua script of bot/store/lua (the scripts cache is lost when Redis restarts;
redis-py loads a script again on its next NOSCRIPT, and the probe loads what is missing,
so a server that refuses scripts is found before a delivery needs one)."""

from __future__ import annotations

import hashlib
from importlib import resources

from bot.store import scripts
from bot.store.client import RedisClient


def script_sources() -> dict[str, str]:
    """Every script the service runs, as sent (with the shared library), by name."""
    lua = resources.files("bot.store") / "lua"
    names = sorted(
        p.name.removesuffix(".lua")
        for p in lua.iterdir()
        if p.name.endswith(".lua") and not p.name.startswith("_")
    )
    return {name: scripts.source(name) for name in names}


class ProbeStore:
    def __init__(self, redis: RedisClient) -> None:
        self.redis = redis
        self.sources = script_sources()
        # redis-py's Script names a script by the SHA1 of its text, as EVALSHA does
        self.shas = {n: hashlib.sha1(s.encode()).hexdigest() for n, s in self.sources.items()}

    async def ping(self) -> bool:
        return bool(await self.redis.ping())

    async def missing_scripts(self) -> list[str]:
        """The scripts Redis does not hold now (SCRIPT EXISTS)."""
        names = list(self.shas)
        found = await self.redis.script_exists(*(self.shas[n] for n in names))
        return [n for n, there in zip(names, found, strict=True) if not there]

    async def load(self, names: list[str]) -> None:
        """SCRIPT LOAD each (a cluster client sends it to every master)."""
        for name in names:
            await self.redis.script_load(self.sources[name])
