"""Legs in PostgreSQL: batched upserts off the hot path, immediate writes where order matters.

The service changes a leg at every AMI event; writing each change in its own round trip would
put the database on the call path. `LegWriter` coalesces changes per leg and flushes them in one
transaction every `flush_interval` seconds. Writes whose order matters for safety (a Call Me leg
before its Originate, an idle drop before its Redirect) go through `write_now`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

import asyncpg

from callcontrol.domain.legs import EndReason, Leg, LegKind, LegRole, LegState
from callcontrol.logsetup import get_logger
from callcontrol.store import outbox
from callcontrol.store.database import DATABASE_ERRORS, Database

log = get_logger(__name__)
_RETRY_PAUSE_S = 1.0
_STOP_WAIT_S = 10.0


@dataclass(frozen=True, slots=True)
class LegDetails:
    """What the store keeps about a leg beyond the domain's Leg."""

    channel: str | None = None
    did: str | None = None
    participant_id: str | None = None
    display_name: str | None = None
    end_detail: str | None = None
    idle_deadline_ms: int | None = None
    hand_raised: bool = False


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A webhook event to store with the leg changes of the same flush."""

    kind: str
    payload: dict[str, Any]
    event_id: str


@dataclass(frozen=True, slots=True)
class LegRow:
    leg: Leg
    details: LegDetails


_LEG_COLUMNS = [f.name for f in fields(Leg)]
_DETAIL_COLUMNS = [f.name for f in fields(LegDetails)]
_COLUMNS = _LEG_COLUMNS + _DETAIL_COLUMNS
_PLACEHOLDERS = ", ".join(f"${i}" for i in range(1, len(_COLUMNS) + 1))
_UPDATES = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS if c != "leg_id")
UPSERT = (
    f"INSERT INTO legs ({', '.join(_COLUMNS)}) VALUES ({_PLACEHOLDERS}) "
    f"ON CONFLICT (leg_id) DO UPDATE SET {_UPDATES}, updated_at = now()"
)
SELECT = f"SELECT {', '.join(_COLUMNS)} FROM legs"


def _values(row: LegRow) -> tuple[object, ...]:
    leg, details = row.leg, row.details
    return tuple(getattr(leg, c) for c in _LEG_COLUMNS) + tuple(
        getattr(details, c) for c in _DETAIL_COLUMNS
    )


def _from_record(record: asyncpg.Record) -> LegRow:
    values = dict(record)
    leg = Leg(
        leg_id=values["leg_id"],
        kind=LegKind(values["kind"]),
        node=values["node"],
        created_at_ms=values["created_at_ms"],
        session_id=values["session_id"],
        role=LegRole(values["role"]),
        country=values["country"].strip() if values["country"] else None,
        caller_e164=values["caller_e164"],
        uniqueid=values["uniqueid"],
        state=LegState(values["state"]),
        answered_at_ms=values["answered_at_ms"],
        waiting_at_ms=values["waiting_at_ms"],
        conference_at_ms=values["conference_at_ms"],
        left_at_ms=values["left_at_ms"],
        ended_at_ms=values["ended_at_ms"],
        end_reason=EndReason(values["end_reason"]) if values["end_reason"] else None,
        hangup_cause=values["hangup_cause"],
        estimated=values["estimated"],
        muted=values["muted"],
    )
    return LegRow(leg, LegDetails(**{c: values[c] for c in _DETAIL_COLUMNS}))


class LegRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def write_now(self, rows: Iterable[LegRow], events: Iterable[OutboxItem] = ()) -> None:
        """Leg changes and the webhook events they cause, in one transaction: an event is
        stored exactly when the change that caused it is."""
        batch = [_values(r) for r in rows]
        events = list(events)
        if not batch and not events:
            return
        async with self.database.connection() as conn, conn.transaction():
            if batch:
                await conn.executemany(UPSERT, batch)
            for event in events:
                await outbox.enqueue(conn, event.kind, event.payload, event.event_id)

    async def get(self, leg_id: str) -> LegRow | None:
        async with self.database.connection() as conn:
            record = await conn.fetchrow(f"{SELECT} WHERE leg_id = $1", leg_id)
        return _from_record(record) if record else None

    async def for_session(self, session_id: str) -> list[LegRow]:
        async with self.database.connection() as conn:
            records = await conn.fetch(
                f"{SELECT} WHERE session_id = $1 ORDER BY created_at_ms, leg_id", session_id
            )
        return [_from_record(r) for r in records]

    async def open_legs(self) -> list[LegRow]:
        """Every leg not ended, for rebuilding the live picture after a restart."""
        async with self.database.connection() as conn:
            records = await conn.fetch(f"{SELECT} WHERE state <> 'ended' ORDER BY created_at_ms")
        return [_from_record(r) for r in records]


class LegWriter:
    """Coalesces leg changes and writes them in batches; owns its flush task."""

    def __init__(self, repository: LegRepository, flush_interval: float) -> None:
        self.repository = repository
        self.flush_interval = flush_interval
        self._pending: dict[str, LegRow] = {}
        self._events: list[OutboxItem] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # One flush at a time: a later write never lands before an earlier one.
        self._lock = asyncio.Lock()
        self._stopping = False
        self.flushes = 0

    def stage(self, row: LegRow) -> None:
        self._pending[row.leg.leg_id] = row
        self._wake.set()

    def stage_event(self, event: OutboxItem) -> None:
        """Queue a webhook event; it is written with the next batch of leg changes."""
        self._events.append(event)
        self._wake.set()

    @property
    def backlog(self) -> int:
        return len(self._pending)

    async def flush(self) -> None:
        """Write what is staged now (not what arrives meanwhile); returns once it is stored."""
        async with self._lock:
            await self._flush_locked()

    async def _flush_locked(self) -> None:
        if self._pending or self._events:
            batch, self._pending = self._pending, {}
            events, self._events = self._events, []
            try:
                await self.repository.write_now(batch.values(), events)
                self.flushes += 1
            except asyncio.CancelledError:
                # Stopping mid-write: the batch goes back, and stop() writes it.
                self._restore(batch, events)
                raise
            except DATABASE_ERRORS as exc:
                self._restore(batch, events)
                log.error("leg write failed; will retry", error=str(exc), legs=len(batch))
                raise

    def _restore(self, batch: dict[str, LegRow], events: list[OutboxItem]) -> None:
        """Put an unwritten batch back; a newer change of the same leg wins."""
        for leg_id, row in batch.items():
            self._pending.setdefault(leg_id, row)
        self._events[:0] = events

    async def _run(self) -> None:
        while not self._stopping:
            await self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            await asyncio.sleep(self.flush_interval)
            try:
                await self.flush()
            except DATABASE_ERRORS:
                # The database is away: nothing is lost, retry after a pause.
                self._wake.set()
                await asyncio.sleep(_RETRY_PAUSE_S)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="leg-writer")

    async def stop(self) -> None:
        # Let a write in flight finish (cancelling a database write midway helps nobody);
        # cancel only if it does not finish in time. stop() then writes what is left.
        task, self._task = self._task, None
        if task is not None:
            self._stopping = True
            self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(task), _STOP_WAIT_S)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        while self._pending or self._events:
            try:
                await self.flush()
            except DATABASE_ERRORS as exc:
                # Stopping with the database away: say exactly what is lost.
                log.error("leg changes not written at stop", legs=self.backlog, error=str(exc))
                return
