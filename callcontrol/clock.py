"""The shell's one wall clock: epoch milliseconds. The domain never reads it (time is an
argument there); the simulator keeps its own scaled clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def iso(ms: int | None) -> str | None:
    """Epoch milliseconds as an RFC 3339 UTC time with milliseconds."""
    if ms is None:
        return None
    return (
        datetime.fromtimestamp(ms / 1000, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )
