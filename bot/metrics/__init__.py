"""Prometheus metrics for the whole deployment: the families (families.py), counting in
a process and summing in Redis (recorder.py), and GET /metrics (exposition.py)."""

from bot.metrics.families import (
    ARTICLES_INGESTED,
    ATTEMPTS,
    DELIVERIES,
    EDITOR_COMMANDS,
    FEED_POLLS,
    PLATFORM_CALL,
    PUBLISH_TO_POST,
    Family,
)
from bot.metrics.recorder import Flusher, Metrics

__all__ = [
    "ARTICLES_INGESTED", "ATTEMPTS", "DELIVERIES", "EDITOR_COMMANDS", "FEED_POLLS",
    "PLATFORM_CALL", "PUBLISH_TO_POST", "Family", "Flusher", "Metrics",
]  # fmt: skip
