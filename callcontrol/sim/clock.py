"""Simulated time: every delay inside a node goes through one SimClock.

``time_scale`` is real seconds per simulated second: 1.0 runs in real time, 0.01 runs
ten seconds of call in 0.1 s. ``now()`` keeps advancing like a wall clock at the
simulated rate, so Timestamp headers and uptimes stay plausible epoch values.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class SimClock:
    def __init__(self, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.time_scale = time_scale
        self._wall0 = time.time()
        self._mono0 = time.monotonic()

    def now(self) -> float:
        """Simulated epoch seconds."""
        return self._wall0 + (time.monotonic() - self._mono0) / self.time_scale

    def real(self, seconds: float) -> float:
        """Real seconds that ``seconds`` of simulated time take."""
        return max(0.0, seconds) * self.time_scale

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(self.real(seconds))

    def call_later(self, seconds: float, callback: Callable[[], object]) -> asyncio.TimerHandle:
        return asyncio.get_running_loop().call_later(self.real(seconds), callback)

    def timestamp(self) -> str:
        """``<epoch>.<micro>`` as in Asterisk's Timestamp header."""
        return f"{self.now():.6f}"
