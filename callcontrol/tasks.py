"""A background task with an owner: started once, cancelled and awaited on stop.

A task that dies of an error is logged when it dies (not only at shutdown), and stopping
it never raises: the owner's other parts still stop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from callcontrol.logsetup import get_logger

log = get_logger(__name__)


class OwnedTask:
    def __init__(self, name: str, body: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.name = name
        self._body = body
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._body(), name=self.name)
            self._task.add_done_callback(self._report)

    def _report(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("background task died", task=self.name, exc_info=error)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            # A death by error was logged by _report; stopping still succeeds.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
