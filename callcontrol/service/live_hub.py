"""Live state for the operator dashboard: one publisher, many coalescing subscribers.

Call control publishes every change of a node, session, leg, alert or metric as it happens.
The hub keeps the current state and an hour of chart history, and at most ``flush_hz`` times
a second turns the changes since the last flush into one batch that every subscriber shares
(serialised to JSON once, whatever the number of clients). A later change to a key overwrites
an earlier one in the pending batch. A subscriber that falls behind (too many batches or
changes queued) is reset: its queue is dropped and its next message is a fresh snapshot, so a
slow client never holds memory and never delays the publisher or the other clients.

``publish`` must be called from the event loop's thread; it never awaits and never blocks.
The hub owns the data dicts it is given: publish a new dict for a change, never mutate one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable
from typing import Any

from callcontrol.clock import now_ms
from callcontrol.logsetup import get_logger
from callcontrol.service.live_history import LiveHistory

log = get_logger(__name__)

KINDS = ("node", "session", "leg", "alert", "metric")
Changes = dict[str, dict[str, dict[str, Any] | None]]


_wall_ms = now_ms


class _Batch:
    """The changes of one flush, shared by every subscriber; its JSON is built on first use."""

    __slots__ = ("_text", "at_ms", "changes", "seq", "size")

    def __init__(self, seq: int, at_ms: int, changes: Changes) -> None:
        self.seq, self.at_ms, self.changes = seq, at_ms, changes
        self.size = sum(len(c) for c in changes.values())
        self._text: str | None = None

    def message(self) -> dict[str, Any]:
        return {"type": "patch", "seq": self.seq, "at_ms": self.at_ms, "changes": self.changes}

    def text(self) -> str:
        if self._text is None:
            self._text = json.dumps(self.message(), separators=(",", ":"))
        return self._text


class Subscription:
    """One client's view: a snapshot first, then coalesced patches, and history now and then.

    Iterate it for message dicts, or call ``next_text()`` for JSON (shared between clients).
    """

    def __init__(
        self,
        hub: LiveHub,
        max_rate_hz: float,
        history_every_s: float | None,
        max_queued_batches: int,
        max_queued_changes: int,
    ) -> None:
        if max_rate_hz <= 0:
            raise ValueError(f"max_rate_hz must be positive, got {max_rate_hz}")
        self._hub = hub
        self._interval = 1.0 / max_rate_hz
        self._history_every = history_every_s
        self._max_batches = max_queued_batches
        self._max_changes = max_queued_changes
        self._queue: deque[_Batch] = deque()
        self._queued_changes = 0
        self._needs_snapshot = True
        self._wake = asyncio.Event()
        self._closed = False
        self._last_sent = -1e18
        self._history_due = asyncio.get_running_loop().time() + (history_every_s or 0.0)
        self.sent_patches = 0
        self.resyncs = 0

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.clear()
            self._hub._unsubscribe(self)
            self._wake.set()

    def request_snapshot(self) -> None:
        """Send the whole state next (the client asked to start over)."""
        self._needs_snapshot = True
        self._wake.set()

    def _offer(self, batch: _Batch) -> None:
        if self._needs_snapshot:
            return  # the coming snapshot holds these changes already
        self._queue.append(batch)
        self._queued_changes += batch.size
        if len(self._queue) > self._max_batches or self._queued_changes > self._max_changes:
            log.warning(
                "live subscriber too slow, resetting it to a snapshot",
                queued_batches=len(self._queue),
                queued_changes=self._queued_changes,
            )
            self.resyncs += 1
            self._hub.resyncs += 1
            self._queue.clear()
            self._queued_changes = 0
            self._needs_snapshot = True
        self._wake.set()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        kind, payload = await self._take()
        if kind == "patch":
            return _merge(payload)
        if kind == "snapshot":
            return self._hub._snapshot_message()
        return payload  # type: ignore[no-any-return]

    async def next_text(self) -> str:
        """The next message as JSON; raises StopAsyncIteration once closed."""
        kind, payload = await self._take()
        if kind == "patch":
            batches: list[_Batch] = payload
            return batches[0].text() if len(batches) == 1 else json.dumps(_merge(batches))
        if kind == "snapshot":
            return self._hub._snapshot_text()
        return json.dumps(payload, separators=(",", ":"))

    async def _take(self) -> tuple[str, Any]:
        loop = asyncio.get_running_loop()
        while True:
            if self._closed:
                raise StopAsyncIteration
            now = loop.time()
            if self._needs_snapshot:
                self._needs_snapshot = False
                self._queue.clear()
                self._queued_changes = 0
                self._last_sent = now
                return "snapshot", None
            wait = self._last_sent + self._interval - now
            if self._queue and wait <= 0:
                batches = list(self._queue)
                self._queue.clear()
                self._queued_changes = 0
                self._last_sent = now
                self.sent_patches += 1
                return "patch", batches
            if self._history_every is not None and now >= self._history_due:
                self._history_due = now + self._history_every
                return "history", self._hub._history_message()
            if self._queue:
                await asyncio.sleep(wait)
                continue
            timeout = None if self._history_every is None else self._history_due - now
            self._wake.clear()
            with contextlib.suppress(TimeoutError):  # history is due: loop round
                await asyncio.wait_for(self._wake.wait(), timeout)


def _merge(batches: list[_Batch]) -> dict[str, Any]:
    """Several batches as one patch; a later change to a key overwrites an earlier one."""
    if len(batches) == 1:
        return batches[0].message()
    changes: Changes = {}
    for batch in batches:
        for kind, table in batch.changes.items():
            changes.setdefault(kind, {}).update(table)
    last = batches[-1]
    return {"type": "patch", "seq": last.seq, "at_ms": last.at_ms, "changes": changes}


class LiveHub:
    def __init__(
        self,
        *,
        flush_hz: float = 4.0,
        clock_ms: Callable[[], int] = _wall_ms,
        max_queued_batches: int = 40,
        max_queued_changes: int = 200_000,
    ) -> None:
        if flush_hz <= 0:
            raise ValueError(f"flush_hz must be positive, got {flush_hz}")
        self._interval = 1.0 / flush_hz
        self._clock_ms = clock_ms
        self._max_batches = max_queued_batches
        self._max_changes = max_queued_changes
        self._state: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in KINDS}
        self._pending: Changes = {}
        self._subscribers: set[Subscription] = set()
        self._history = LiveHistory()
        self._flush_handle: asyncio.TimerHandle | None = None
        self._last_flush = -1e18
        self._seq = 0
        # (seq, JSON) of the last snapshot: clients joining within one flush period share it.
        self._snapshot_cache: tuple[int, str] | None = None
        self.published = 0
        self.resyncs = 0

    # -- the publisher's side ---------------------------------------------------------------

    def publish(self, kind: str, key: str, data: dict[str, Any] | None) -> None:
        """Record a change (``data`` None: the item is gone). O(1), never blocks."""
        table = self._state.get(kind)
        if table is None:
            raise ValueError(f"unknown live kind {kind!r}; expected one of {', '.join(KINDS)}")
        old = table.pop(key, None) if data is None else table.get(key)
        if data is not None:
            table[key] = data
        self.published += 1
        if kind == "leg":
            self._history.observe_leg(old, data, self._clock_ms())
        elif kind == "metric":
            self._history.observe_metric(key, old, data, self._clock_ms())
        if self._subscribers:
            self._pending.setdefault(kind, {})[key] = data
            self._schedule_flush()
        else:
            self._snapshot_cache = None  # this change is in no pending batch

    def _schedule_flush(self) -> None:
        if self._flush_handle is not None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._last_flush + self._interval - loop.time())
        self._flush_handle = loop.call_later(delay, self._flush)

    def _flush(self) -> None:
        self._flush_handle = None
        self._last_flush = asyncio.get_running_loop().time()
        if not self._pending:
            return
        self._seq += 1
        batch = _Batch(self._seq, self._clock_ms(), self._pending)
        self._pending = {}
        for sub in list(self._subscribers):
            sub._offer(batch)

    # -- the readers' side ------------------------------------------------------------------

    def snapshot(self) -> dict[str, dict[str, dict[str, Any]]]:
        """The current state per kind (copies of the tables; the data dicts are shared)."""
        return {kind: dict(table) for kind, table in self._state.items()}

    def history(self) -> dict[str, Any]:
        """Chart series over the last hour (see LiveHistory.to_dict)."""
        return self._history.to_dict(self._clock_ms())

    def subscribe(
        self,
        max_rate_hz: float = 4.0,
        *,
        history_every_s: float | None = 10.0,
    ) -> Subscription:
        sub = Subscription(self, max_rate_hz, history_every_s, self._max_batches, self._max_changes)
        self._subscribers.add(sub)
        return sub

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        return tuple(self._subscribers)

    def close(self) -> None:
        """End every subscription and the pending flush (at shutdown)."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        for sub in list(self._subscribers):
            sub.close()

    def _unsubscribe(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)
        if not self._subscribers:
            self._pending = {}
            self._snapshot_cache = None

    def _snapshot_message(self) -> dict[str, Any]:
        return {
            "type": "snapshot",
            "seq": self._seq,
            "at_ms": self._clock_ms(),
            "state": self.snapshot(),
            "history": self.history(),
        }

    def _snapshot_text(self) -> str:
        """The snapshot as JSON, built once per flush period however many clients ask.

        Reusing it is safe while no flush happened since it was built: every change made
        after it is still in the pending batch, which reaches the new subscriber too.
        """
        cached = self._snapshot_cache
        if cached is not None and cached[0] == self._seq:
            return cached[1]
        text = json.dumps(self._snapshot_message(), separators=(",", ":"))
        self._snapshot_cache = (self._seq, text)
        return text

    def _history_message(self) -> dict[str, Any]:
        return {"type": "history", "at_ms": self._clock_ms(), "history": self.history()}
