"""The five-minute rule's timer: one task sleeping until the earliest idle-drop deadline.

Deadlines are data (legs.idle_deadline_ms), so a restart reloads them and fires each once: the
drop is recorded in the database before the PBX is told, and a leg whose drop was recorded is
never scheduled again.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
from collections.abc import Awaitable, Callable

from callcontrol.clock import now_ms
from callcontrol.logsetup import get_logger
from callcontrol.tasks import OwnedTask

log = get_logger(__name__)

Fire = Callable[[str, int], Awaitable[None]]


class IdleDropTimer:
    def __init__(self, fire: Fire, clock_ms: Callable[[], int] | None = None) -> None:
        self._fire = fire
        self._clock_ms = clock_ms or now_ms
        self._heap: list[tuple[int, str]] = []
        self._deadline: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._task = OwnedTask("idle-drop-timer", self._run)
        self.start = self._task.start
        self.stop = self._task.stop

    def schedule(self, leg_id: str, deadline_ms: int) -> None:
        if self._deadline.get(leg_id) == deadline_ms:
            return
        self._deadline[leg_id] = deadline_ms
        heapq.heappush(self._heap, (deadline_ms, leg_id))
        self._wake.set()

    def cancel(self, leg_id: str) -> None:
        # Lazy deletion: the heap entry is skipped when it surfaces.
        self._deadline.pop(leg_id, None)

    def pending(self) -> int:
        return len(self._deadline)

    async def _run(self) -> None:
        while True:
            due = self._pop_due()
            for leg_id, deadline in due:
                try:
                    await self._fire(leg_id, deadline)
                except Exception:  # one failed drop must not stop the timer
                    log.exception("idle drop failed", leg_id=leg_id)
            self._wake.clear()
            delay = self._next_delay()
            if delay is None:
                await self._wake.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)

    def _pop_due(self) -> list[tuple[str, int]]:
        now = self._clock_ms()
        due = []
        while self._heap and self._heap[0][0] <= now:
            deadline, leg_id = heapq.heappop(self._heap)
            if self._deadline.get(leg_id) == deadline:
                del self._deadline[leg_id]
                due.append((leg_id, deadline))
        return due

    def _next_delay(self) -> float | None:
        while self._heap and self._deadline.get(self._heap[0][1]) != self._heap[0][0]:
            heapq.heappop(self._heap)
        if not self._heap:
            return None
        return max(0.0, (self._heap[0][0] - self._clock_ms()) / 1000)
