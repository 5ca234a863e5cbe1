"""Call Me fraud limits kept in PostgreSQL: every API instance sees the same counts, and a
restart does not hand an attacker a fresh allowance. Accepted requests are recorded as attempts
and counted in sliding windows; concurrent Call Me legs are counted from the legs table."""

from __future__ import annotations

from dataclasses import dataclass

from callcontrol.store.database import Database


@dataclass(frozen=True, slots=True)
class Limit:
    scope: str  # "session", "account" or "destination": the refusal names it
    key: str
    max_count: int
    window_s: int


_COLUMN = {"session": "session_id", "account": "account_id", "destination": "e164"}


async def live_callme_legs(database: Database, session_id: str) -> int:
    async with database.connection() as conn:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM legs WHERE session_id = $1 AND kind = 'callme'"
                " AND state <> 'ended'",
                session_id,
            )
        )


async def record_if_allowed(
    database: Database, session_id: str, account_id: str, e164: str, limits: list[Limit]
) -> Limit | None:
    """Record an attempt unless a limit is reached; returns the first limit reached, if any.

    The check and the insert run under transaction-scoped advisory locks (account, destination),
    so concurrent requests cannot both slip under a limit.
    """
    async with database.connection() as conn, conn.transaction():
        # Always account first, then destination: a fixed order cannot deadlock.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('callme:' || $1))", account_id)
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('callme-to:' || $1))", e164)
        for limit in limits:
            count = await conn.fetchval(
                f"SELECT count(*) FROM callme_attempts WHERE {_COLUMN[limit.scope]} = $1"
                " AND at > now() - make_interval(secs => $2)",
                limit.key,
                float(limit.window_s),
            )
            if count >= limit.max_count:
                return limit
        await conn.execute(
            "INSERT INTO callme_attempts (session_id, account_id, e164) VALUES ($1, $2, $3)",
            session_id,
            account_id,
            e164,
        )
    return None
