"""Idempotency keys, insert-first: the first request claims the key with a pending row, does
its work, then records its answer; any other request with the key finds the row and replays it.

A claim is one committed INSERT ... ON CONFLICT DO NOTHING, so two concurrent requests can
never both own a key. A claim whose request failed is released, so a retry can run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from callcontrol.store.database import Database

PENDING = 0
# A pending claim older than this belongs to a process that died mid-request; it may be retaken.
_STALE_AFTER_S = 120


@dataclass(frozen=True, slots=True)
class Stored:
    method: str
    path: str
    request_hash: str
    status: int  # PENDING while the first request runs
    body: Any
    location: str | None


class IdempotencyStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def claim(
        self, token_id: str, key: str, method: str, path: str, request_hash: str
    ) -> tuple[bool, Stored | None]:
        """(True, None) when this request now owns the key; else (False, what is stored, or
        None when the owner released it in the meantime: claim again)."""
        async with self.database.connection() as conn, conn.transaction():
            await conn.execute(
                """DELETE FROM idempotency_keys WHERE token_id = $1 AND key = $2
                   AND status = 0 AND created_at < now() - make_interval(secs => $3)""",
                token_id,
                key,
                _STALE_AFTER_S,
            )
            inserted = await conn.fetchval(
                """INSERT INTO idempotency_keys
                       (token_id, key, method, path, status, body, request_hash)
                   VALUES ($1, $2, $3, $4, 0, '{}'::jsonb, $5)
                   ON CONFLICT (token_id, key) DO NOTHING RETURNING true""",
                token_id,
                key,
                method,
                path,
                request_hash,
            )
        if inserted:
            return True, None
        return False, await self.get(token_id, key)

    async def get(self, token_id: str, key: str) -> Stored | None:
        async with self.database.connection() as conn:
            r = await conn.fetchrow(
                """SELECT method, path, request_hash, status, body, location
                   FROM idempotency_keys WHERE token_id = $1 AND key = $2""",
                token_id,
                key,
            )
        if r is None:
            return None
        return Stored(
            r["method"],
            r["path"],
            r["request_hash"],
            r["status"],
            json.loads(r["body"]),
            r["location"],
        )

    async def complete(
        self, token_id: str, key: str, status: int, body: Any, location: str | None
    ) -> None:
        async with self.database.connection() as conn:
            await conn.execute(
                """UPDATE idempotency_keys SET status = $3, body = $4::jsonb, location = $5
                   WHERE token_id = $1 AND key = $2""",
                token_id,
                key,
                status,
                json.dumps(body),
                location,
            )

    async def release(self, token_id: str, key: str) -> None:
        """Forget a pending claim whose request created nothing (refused or failed)."""
        async with self.database.connection() as conn:
            await conn.execute(
                "DELETE FROM idempotency_keys WHERE token_id = $1 AND key = $2 AND status = 0",
                token_id,
                key,
            )
