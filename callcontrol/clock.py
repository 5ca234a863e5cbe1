"""The shell's one wall clock: epoch milliseconds. The domain never reads it (time is an
argument there); the simulator keeps its own scaled clock."""

from __future__ import annotations

import time


def now_ms() -> int:
    return time.time_ns() // 1_000_000
