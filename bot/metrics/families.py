"""Every metric newsbot exports, named and described once.

Names follow the Prometheus conventions (https://prometheus.io/docs/practices/naming/):
the `newsbot_` prefix, base units (seconds), `_total` on counters, `_timestamp_seconds`
for a Unix time. Counters and histograms are counted by every process and summed in
Redis (bot/metrics/recorder.py), so any process answers for the whole deployment;
gauges are read from Redis when scraped (bot/metrics/exposition.py).

Label values are bounded: channel, feed and bucket ids come from the config, commands
from the bot's own list, outcomes from enums.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["counter", "histogram", "gauge"]

# seconds; chosen for what each measures (a platform call, a feed's publication to the post)
CALL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
PUBLISH_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 21600.0,
                   86400.0)  # fmt: skip
REDIS_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    kind: Kind
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()  # histograms: upper bounds, +Inf implied


ARTICLES_INGESTED = Family(
    "newsbot_articles_ingested_total", "counter",
    "Articles submitted to ingest, by source (feed, push, editor) and outcome (new, updated, "
    "duplicate, known).",
    ("source", "outcome"),
)  # fmt: skip
DELIVERIES = Family(
    "newsbot_deliveries_total", "counter",
    "Deliveries that reached a final state (sent, failed, held), by channel.",
    ("channel", "state"),
)  # fmt: skip
ATTEMPTS = Family(
    "newsbot_delivery_attempts_total", "counter",
    "Attempts on a platform, by channel, operation (publish, edit, retract) and outcome "
    "(ok or the failure kind).",
    ("channel", "op", "outcome"),
)  # fmt: skip
PUBLISH_TO_POST = Family(
    "newsbot_publish_to_post_seconds", "histogram",
    "From the article's publication time (as its feed, push or page states it) to the "
    "platform's acceptance of its post, by channel.",
    ("channel",), PUBLISH_BUCKETS,
)  # fmt: skip
PLATFORM_CALL = Family(
    "newsbot_platform_call_seconds", "histogram",
    "Duration of one attempt's platform calls, by channel and operation.",
    ("channel", "op"), CALL_BUCKETS,
)  # fmt: skip
FEED_POLLS = Family(
    "newsbot_feed_polls_total", "counter",
    "Feed polls by feed and result (200, 304, error).",
    ("feed", "result"),
)  # fmt: skip
EDITOR_COMMANDS = Family(
    "newsbot_editor_commands_total", "counter",
    "Editors' bot commands and button presses by command and outcome (ok, error: the editor "
    "was told why, failed: a bug, refused: not an editor, flood).",
    ("command", "outcome"),
)  # fmt: skip
REDIS_ROUNDTRIP = Family(
    "newsbot_redis_roundtrip_seconds", "histogram",
    "Round trip of one Redis request (each process's metrics flush, about once a second).",
    (), REDIS_BUCKETS,
)  # fmt: skip

COUNTED = (ARTICLES_INGESTED, DELIVERIES, ATTEMPTS, PUBLISH_TO_POST, PLATFORM_CALL, FEED_POLLS,
           EDITOR_COMMANDS, REDIS_ROUNDTRIP)  # fmt: skip

# Read from Redis at scrape time (bot/metrics/exposition.py).
GAUGES = (
    Family("newsbot_work_stream_length", "gauge", "Jobs in the work stream (XLEN)."),
    Family("newsbot_work_pending_jobs", "gauge",
           "Jobs read by a worker and not yet acknowledged (XPENDING)."),
    Family("newsbot_due_jobs", "gauge",
           "Jobs waiting in the due set (rate limits, backoff, embargo, approval timeouts)."),
    Family("newsbot_due_lag_seconds", "gauge",
           "How late the most overdue job of the due set is (0: none is overdue)."),
    Family("newsbot_cooldown_seconds", "gauge",
           "Seconds left of a rate-limit bucket's cooldown (a 429, throttling); 0: none.",
           ("bucket",)),
    Family("newsbot_feed_last_success_timestamp_seconds", "gauge",
           "When the feed was last read successfully (a poll or a WebSub push), Unix time.",
           ("feed",)),
    Family("newsbot_feed_lag_seconds", "gauge",
           "Seconds since the feed was last read successfully (since its failures began, if "
           "it never was).", ("feed",)),
    Family("newsbot_feed_interval_seconds", "gauge", "The feed's configured poll interval.",
           ("feed",)),
    Family("newsbot_feed_error_streak", "gauge", "Failed polls of the feed in a row.",
           ("feed",)),
    Family("newsbot_token_expiry_timestamp_seconds", "gauge",
           "When a channel's token expires, Unix time (as `newsbot doctor` and the token "
           "watch found it).", ("platform", "channel")),
    Family("newsbot_processes", "gauge",
           "Service processes that flushed their metrics in the last 15 seconds."),
    Family("newsbot_paused", "gauge", "1 while the editors have paused every delivery."),
)  # fmt: skip

ALL = COUNTED + GAUGES


def exported_names() -> frozenset[str]:
    """Every series name a scrape can show (histograms with their suffixes)."""
    names: set[str] = set()
    for family in ALL:
        if family.kind == "histogram":
            names |= {family.name + s for s in ("_bucket", "_sum", "_count")}
        else:
            names.add(family.name)
    return frozenset(names)
