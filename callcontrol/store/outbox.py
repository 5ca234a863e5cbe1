"""The webhook outbox: events are written in the transaction that makes them true, and a worker
delivers them later (at least once; the event id lets the receiver drop duplicates)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from callcontrol.store.database import Database

KINDS = frozenset(
    {"leg.joined", "leg.left", "leg.failed", "leg.hand", "session.billed", "spend.warning"}
)


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    id: int
    event_id: str
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    attempts: int


async def enqueue(
    conn: asyncpg.Connection, kind: str, payload: dict[str, Any], event_id: str | None = None
) -> str:
    """Add an event within the caller's transaction; returns its id. Enqueueing the same
    ``event_id`` twice keeps the first (so a replayed AMI event does not notify twice)."""
    if kind not in KINDS:
        raise ValueError(f"unknown webhook kind {kind!r}; one of {sorted(KINDS)}")
    event_id = event_id or f"evt_{uuid.uuid4().hex}"
    await conn.execute(
        """INSERT INTO webhook_outbox (event_id, kind, payload) VALUES ($1, $2, $3::jsonb)
           ON CONFLICT (event_id) DO NOTHING""",
        event_id,
        kind,
        json.dumps(payload, default=str),
    )
    return event_id


async def enqueue_db(
    database: Database, kind: str, payload: dict[str, Any], event_id: str | None = None
) -> str:
    async with database.connection() as conn:
        return await enqueue(conn, kind, payload, event_id)


async def claim_due(database: Database, limit: int, lease_s: float) -> list[OutboxEvent]:
    """Undelivered events that are due, leased for ``lease_s`` so no other worker sends them
    meanwhile; a worker that dies mid-send lets the lease run out and the event is sent again."""
    async with database.connection() as conn:
        records = await conn.fetch(
            """UPDATE webhook_outbox SET next_attempt_at = now() + make_interval(secs => $2)
               WHERE id IN (SELECT id FROM webhook_outbox
                            WHERE delivered_at IS NULL AND next_attempt_at <= now()
                            ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
               RETURNING id, event_id, kind, payload, created_at, attempts""",
            limit,
            lease_s,
        )
    events = [
        OutboxEvent(
            r["id"],
            r["event_id"],
            r["kind"],
            json.loads(r["payload"]),
            r["created_at"],
            r["attempts"],
        )
        for r in records
    ]
    return sorted(events, key=lambda e: e.id)


async def mark_delivered(database: Database, event_id: int) -> None:
    async with database.connection() as conn:
        await conn.execute(
            """UPDATE webhook_outbox SET delivered_at = now(), attempts = attempts + 1,
                   last_error = NULL WHERE id = $1""",
            event_id,
        )


async def mark_failed(database: Database, event_id: int, retry_in_s: float, error: str) -> None:
    async with database.connection() as conn:
        await conn.execute(
            """UPDATE webhook_outbox SET attempts = attempts + 1, last_error = $3,
                   next_attempt_at = now() + make_interval(secs => $2) WHERE id = $1""",
            event_id,
            retry_in_s,
            error[:500],
        )


async def depth(database: Database) -> int:
    """Events not delivered yet."""
    async with database.connection() as conn:
        return int(
            await conn.fetchval("SELECT count(*) FROM webhook_outbox WHERE delivered_at IS NULL")
        )


async def sessions_without_billed_event(
    database: Database, settled_for_s: float, limit: int = 100
) -> list[str]:
    """Closed sessions with no live leg, closed a while ago, whose `session.billed` event was
    never stored (a crash between the last rating and the event)."""
    async with database.connection() as conn:
        records = await conn.fetch(
            """SELECT s.session_id FROM sessions s
               WHERE s.state IN ('ended', 'cancelled')
                 AND s.updated_at < now() - make_interval(secs => $1)
                 AND NOT EXISTS (SELECT 1 FROM webhook_outbox o
                                 WHERE o.event_id = 'session.billed:' || s.session_id)
                 AND NOT EXISTS (SELECT 1 FROM legs l
                                 WHERE l.session_id = s.session_id AND l.state <> 'ended')
               ORDER BY s.updated_at LIMIT $2""",
            settled_for_s,
            limit,
        )
    return [r["session_id"] for r in records]
