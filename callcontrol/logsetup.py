"""structlog for our code and the stdlib loggers of aiohttp, asyncpg and panoramisk alike.

Context (request_id, session_id, leg_id, uniqueid, node) is bound with structlog's contextvars,
so every line logged while handling a call carries it without being passed around.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

CONTEXT_KEYS = ("request_id", "session_id", "leg_id", "uniqueid", "node")
_SECRET_KEYS = frozenset({"secret", "password", "token", "authorization", "dsn"})


def _redact_secrets(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    for key in _SECRET_KEYS.intersection(event):
        event[key] = "********"
    return event


def configure_logging(fmt: str = "json", level: str = "info") -> None:
    """Route structlog and stdlib logging through one processor chain and one renderer."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact_secrets,
    ]
    renderer: Any
    if fmt == "console":
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    else:
        renderer = structlog.processors.JSONRenderer()
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *([structlog.processors.format_exc_info] if fmt == "json" else []),
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Access logs and driver chatter stay at warning unless we debug.
    for noisy in ("aiohttp.access", "asyncpg", "panoramisk", "pgserver"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if level == "debug" else logging.WARNING)


@contextmanager
def bound(**context: Any) -> Iterator[None]:
    """Bind context keys for the duration of a block (a call, a request)."""
    with structlog.contextvars.bound_contextvars(**context):
        yield


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)
