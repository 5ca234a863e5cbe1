"""The audit log: who changed what, through the API or the command line."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from callcontrol.store.database import Database


async def record(
    conn: asyncpg.Connection, actor: str, action: str, target: str, details: dict[str, Any]
) -> None:
    await conn.execute(
        "INSERT INTO audit_log (actor, action, target, details) VALUES ($1, $2, $3, $4::jsonb)",
        actor,
        action,
        target,
        json.dumps(details, default=str),
    )


async def record_db(
    database: Database, actor: str, action: str, target: str, details: dict[str, Any] | None = None
) -> None:
    async with database.connection() as conn:
        await record(conn, actor, action, target, details or {})


async def latest(database: Database, limit: int = 100) -> list[dict[str, Any]]:
    """The newest audit entries across every target, newest first."""
    async with database.connection() as conn:
        records = await conn.fetch(
            "SELECT at, actor, action, target, details FROM audit_log ORDER BY id DESC LIMIT $1",
            limit,
        )
    return [{**dict(r), "details": json.loads(r["details"])} for r in records]
