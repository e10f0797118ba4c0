"""The work stream's consumers and their pending jobs, for a process taking over from
its dead predecessor (bot/delivery/predecessors.py decides who is dead)."""

from __future__ import annotations

from typing import Any

from bot.store.attempts import Job, jobs_of
from bot.store.client import RedisClient
from bot.store.keys import WORK_GROUP, Keys, now_ms, text
from bot.store.scripts import load

BATCH = 500


class Recovery:
    def __init__(self, redis: RedisClient, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._abandon = load(redis, "attempt_abandon")

    async def consumers(self) -> dict[str, int]:
        """The work group's consumers (worker names) and how many jobs each holds."""
        found: Any = await self.redis.xinfo_consumers(self.keys.work, WORK_GROUP)
        return {text(c["name"]): int(c["pending"]) for c in found}

    async def take(self, worker: str, process: str, to: str) -> list[Job]:
        """Every job `worker` (of the dead `process`) holds, claimed for `to`, with the
        leases of the process's attempts ended; then the worker is forgotten."""
        jobs: list[Job] = []
        while True:
            pending: Any = await self.redis.xpending_range(
                self.keys.work, WORK_GROUP, "-", "+", BATCH, consumername=worker
            )
            ids = [p["message_id"] for p in pending]
            if not ids:
                break
            claimed: Any = await self.redis.xclaim(self.keys.work, WORK_GROUP, to, 0, ids)
            for job in jobs_of(claimed):  # an entry trimmed meanwhile is left out
                delivery = self.keys.delivery(job.article_id, job.channel)
                await self._abandon(keys=[delivery], args=[process, now_ms()])
                jobs.append(job)
            if len(ids) < BATCH:
                break
        await self.forget(worker)
        return jobs

    async def forget(self, worker: str) -> None:
        """A dead worker: out of the group's list (its jobs, if any, go with it)."""
        await self.redis.xgroup_delconsumer(self.keys.work, WORK_GROUP, worker)
