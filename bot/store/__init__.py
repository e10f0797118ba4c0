"""Everything the service keeps in Redis: keys (keys.py), the delivery scripts (lua/),
the store (store.py) and its parts (events, feeds, editors)."""

from bot.store.keys import Keys, now_ms
from bot.store.store import ChannelPlan, Claim, Completion, Deferred, Job, Store

__all__ = [
    "ChannelPlan", "Claim", "Completion", "Deferred", "Job", "Keys", "Store", "now_ms",
]  # fmt: skip
