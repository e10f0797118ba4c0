"""JSON log lines for ops, with every known secret redacted.

structlog renders one JSON object per line on stdout; the standard library's
loggers (aiogram, aiohttp, asyncio) go through the same renderer, so their
lines are JSON too and are redacted as well. aiogram puts the bot token in
request URLs and some exception texts: the redactor replaces every registered
secret wherever it appears in a line, exceptions included.

Our own lines are a hot path (one per delivery attempt), so they skip the standard
library: a line below the level costs one method call that returns (structlog's
filtering bound logger), a line above it is rendered once and written straight to the
handler's stream (no LogRecord, no second formatter pass). Foreign lines keep the
standard library's levels and handler. Both render with json.dumps, so a line reads as
it always did ("key": value, non-ASCII as is).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, WrappedLogger

REDACTED = "<redacted>"


class Redactor:
    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._ordered: tuple[str, ...] = ()  # longest first: a secret inside another

    def add(self, secret: str | None) -> None:
        # very short values would redact ordinary words; real secrets are longer
        if secret and len(secret) >= 4:
            self._secrets.add(secret)
            self._ordered = tuple(sorted(self._secrets, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self._ordered:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def __call__(self, _logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
        return {k: self._scrub(v) for k, v in event_dict.items()}

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value) if self._ordered else value
        if isinstance(value, int | float | bool) or value is None:
            return value
        if isinstance(value, dict):
            return {k: self._scrub(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._scrub(v) for v in value]
        return self.redact(str(value))


class LineWriter:
    """structlog's logger for our own lines: each rendered line written whole to the
    stream of the handler configure_logging installed, under that handler's lock (other
    threads log too: asyncio.to_thread), and flushed. A stream that fails is reported as
    logging.Handler reports it, never raised into the caller. When that handler is no
    longer the root logger's (tests swap them), the line goes through the standard
    library like any other, so it follows whatever handlers are there."""

    def __init__(self, handler: logging.StreamHandler[TextIO], name: str = "") -> None:
        self.name = name  # structlog.stdlib.add_logger_name reads it
        self._handler = handler

    def _emit(self, level: int, line: str) -> None:
        handler = self._handler
        if handler not in logging.root.handlers:
            logging.getLogger(self.name).log(level, line)
            return
        handler.acquire()
        try:
            handler.stream.write(line + "\n")
            handler.stream.flush()
        except Exception:  # as logging.StreamHandler.emit: reported, not raised
            handler.handleError(logging.makeLogRecord({"msg": line, "levelno": level}))
        finally:
            handler.release()

    def debug(self, line: str) -> None:
        self._emit(logging.DEBUG, line)

    def info(self, line: str) -> None:
        self._emit(logging.INFO, line)

    def warning(self, line: str) -> None:
        self._emit(logging.WARNING, line)

    def error(self, line: str) -> None:
        self._emit(logging.ERROR, line)

    def critical(self, line: str) -> None:
        self._emit(logging.CRITICAL, line)

    msg = info
    warn = warning
    err = exception = error
    fatal = critical


class LineWriterFactory:
    def __init__(self, handler: logging.StreamHandler[TextIO]) -> None:
        self._handler = handler

    def __call__(self, *args: Any) -> LineWriter:
        name = args[0] if args and isinstance(args[0], str) else ""
        return LineWriter(self._handler, name)


def _add_process(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    event_dict["pid"] = os.getpid()
    return event_dict


def configure_logging(level: str, redactor: Redactor, stream: TextIO | None = None) -> None:
    """JSON lines to `stream` (stdout by default); safe to call again (tests, demo)."""
    root = logging.getLogger()
    root.setLevel(level.upper())  # an unknown level raises ValueError here, as it should
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        _add_process,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: list[Any] = [
        structlog.processors.format_exc_info,
        redactor,
        structlog.processors.JSONRenderer(ensure_ascii=False),
    ]
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
        )
    )
    structlog.configure(
        processors=[*shared, *renderer],
        logger_factory=LineWriterFactory(handler),
        wrapper_class=structlog.make_filtering_bound_logger(root.level),
        cache_logger_on_first_use=False,  # structlog.testing.capture_logs must still work
    )
    root.handlers[:] = [handler]
    # aiohttp's access log is noise at INFO for a service that mostly makes requests
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # trafilatura logs ERROR for ordinary pages it cannot use; enrich() says why once
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    logging.getLogger("htmldate").setLevel(logging.CRITICAL)
