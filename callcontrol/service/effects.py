"""Side effects of call events (billing, webhooks) run in order, off the event path.

The event consumer must never wait on them: a slow database write for a charge would delay
the next leg's timing. `Effects.submit` queues a coroutine factory; one owned worker runs them
in order; `stop` drains what is queued (bounded by a timeout) and cancels the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from callcontrol.logsetup import get_logger

log = get_logger(__name__)

Effect = Callable[[], Awaitable[object]]
_BOUND = 100_000


class Effects:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[tuple[str, Effect]] = asyncio.Queue(_BOUND)
        self._task: asyncio.Task[None] | None = None
        self.failures = 0

    def submit(self, what: str, effect: Effect) -> None:
        try:
            self._queue.put_nowait((what, effect))
        except asyncio.QueueFull:
            self.failures += 1
            log.error("effect queue full; effect dropped", effect=what)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="effects")

    async def _run(self) -> None:
        while True:
            what, effect = await self._queue.get()
            try:
                await effect()
            except Exception:  # one failed effect is logged and the next still runs
                self.failures += 1
                log.exception("effect failed", effect=what)
            finally:
                self._queue.task_done()

    async def drain(self) -> None:
        await self._queue.join()

    async def stop(self, timeout: float = 5.0) -> None:
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), timeout)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
