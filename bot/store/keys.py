"""Every Redis key name of a deployment, built here and nowhere else.

All keys share one hash tag, `{namespace}`, so every Lua script touches a single
cluster slot and each publisher's namespace can live on a different shard.
"""

from __future__ import annotations

import re
import time

WORK_GROUP = "workers"
_NAMESPACE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class Keys:
    def __init__(self, namespace: str) -> None:
        if not _NAMESPACE.match(namespace):
            raise ValueError(
                f"namespace {namespace!r} must be 1-64 characters of letters, digits, '_.:-'"
            )
        self.namespace = namespace
        self.prefix = f"{{{namespace}}}"

    def article(self, article_id: str) -> str:
        return f"{self.prefix}:article:{article_id}"

    def delivery(self, article_id: str, channel: str) -> str:
        return f"{self.prefix}:delivery:{article_id}:{channel}"

    @property
    def articles(self) -> str:
        """zset of article ids scored by first-seen time (ms): the recent-articles index."""
        return f"{self.prefix}:articles"

    @property
    def due(self) -> str:
        return f"{self.prefix}:due"

    @property
    def work(self) -> str:
        return f"{self.prefix}:work"

    @property
    def events(self) -> str:
        return f"{self.prefix}:events"

    @property
    def ingest(self) -> str:
        """stream of pushes (POST /ingest, or a CMS's own XADD), group `ingest`."""
        return f"{self.prefix}:ingest"

    @property
    def audit(self) -> str:
        return f"{self.prefix}:audit"

    def feed(self, feed_id: str) -> str:
        return f"{self.prefix}:feed:{feed_id}"

    @property
    def feeds_due(self) -> str:
        """zset: feed id -> when it is next polled (ms), worked by the leader."""
        return f"{self.prefix}:feeds:due"

    def feed_skipped(self, feed_id: str) -> str:
        """set of the feed's skipped items already logged (hashes of their identity)."""
        return f"{self.prefix}:feed:{feed_id}:skipped"

    def websub(self, feed_id: str) -> str:
        """hash: the feed's WebSub subscription (hub, topic, secret, state, lease end)."""
        return f"{self.prefix}:websub:{feed_id}"

    @property
    def recheck(self) -> str:
        """zset: posted articles whose page answered 404, scored by when it first did."""
        return f"{self.prefix}:recheck"

    def lock(self, name: str) -> str:
        return f"{self.prefix}:lock:{name}"

    @property
    def paused(self) -> str:
        return f"{self.prefix}:paused"

    @property
    def fence(self) -> str:
        """Written right before a WAIT, on the same connection (bot/store/replication.py)."""
        return f"{self.prefix}:fence"

    def commands(self, user_id: int) -> str:
        """Commands of one editor in the current minute (flood limit)."""
        return f"{self.prefix}:commands:{user_id}"

    def member(self, user_id: int) -> str:
        """Cached answer to "is this user in the editors' chat?"."""
        return f"{self.prefix}:member:{user_id}"

    def spacing(self, channel: str) -> str:
        """When the channel's last post is planned (ms), for its min_spacing."""
        return f"{self.prefix}:spacing:{channel}"

    def rate(self, bucket: str) -> str:
        return f"{self.prefix}:rl:{bucket}"

    def cooldown(self, bucket: str) -> str:
        return f"{self.prefix}:cooldown:{bucket}"

    def metrics(self) -> str:
        """hash: every process's counters and histogram buckets, summed (bot/metrics/)."""
        return f"{self.prefix}:metrics"

    def processes(self) -> str:
        """hash: process name -> when it last flushed its metrics (ms)."""
        return f"{self.prefix}:metrics:processes"

    def token_expiry(self) -> str:
        """hash: channel id -> when its token expires (Unix seconds), written by the
        token checks, read by /metrics."""
        return f"{self.prefix}:token_expiry"

    def token_alerts(self) -> str:
        """hash: problem id -> its channels: the token and rights problems the editors
        were told of (each once; one that went away is forgotten, so it is told again if
        it comes back). Written by the watch (bot/doctor/watch.py)."""
        return f"{self.prefix}:token_alerts"


OPERATIONS = ("publish", "edit", "retract")


def job_member(article_id: str, channel: str, op: str = "publish") -> str:
    """The due-set member and work-stream job of one operation on a delivery."""
    return f"{op}:{article_id}:{channel}"


def parse_job(member: str) -> tuple[str, str, str]:
    """(operation, article id, channel) of a job member."""
    op, article_id, channel = member.split(":", 2)
    return op, article_id, channel


def now_ms() -> int:
    """The store's clock: every time kept in Redis is milliseconds since the epoch."""
    return int(time.time() * 1000)


def text(value: object) -> str:
    """A value read back from Redis (bytes) as text."""
    return value.decode() if isinstance(value, bytes) else str(value)
