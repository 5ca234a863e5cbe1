"""Usage reads: report lines and totals, what billing reads about accounts and sessions,
spend caps and spend alerts.

A report line is a leg's live charge (a charge line no void cancels) whose period falls in
[from, to): the sum of a report's lines equals the net of every ledger line in the range.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import asyncpg

from callcontrol.domain.rating import Increment, parse_increment
from callcontrol.domain.sessions import Session
from callcontrol.store.sessions import COLUMNS as SESSION_COLUMNS
from callcontrol.store.sessions import session_from_record

_LINE_COLUMNS = (
    "session_id, leg_id, charge_seq, caller_masked, kind, country, role, answered_at_ms, "
    "ended_at_ms, end_reason, seconds, increment, billed_seconds, rounded_minutes, per_minute, "
    "currency, rate_version, amount, rule, estimated"
)
_LIVE_CHARGES = (
    "FROM ledger_lines c WHERE c.account_id = $1 AND c.period_at_ms >= $2 "
    "AND c.period_at_ms < $3 AND c.entry = 'charge' AND NOT EXISTS ("
    "SELECT 1 FROM ledger_lines v WHERE v.leg_id = c.leg_id "
    "AND v.charge_seq = c.charge_seq AND v.entry = 'void')"
)
_REPORT = f"SELECT {_LINE_COLUMNS} {_LIVE_CHARGES} ORDER BY session_id, period_at_ms, leg_id"
# Free lines (toll, void, unanswered) have no currency: they join their group's priced one,
# so a kind and country gives one total unless its rates changed currency.
_TOTALS = (
    "SELECT kind, country, currency, count(*) AS legs, sum(seconds) AS seconds, "
    "sum(billed_seconds) AS billed_seconds, sum(rounded_minutes) AS rounded_minutes, "
    "sum(amount) AS amount FROM (SELECT kind, country, seconds, billed_seconds, "
    "rounded_minutes, amount, coalesce(currency, "
    "max(currency) OVER (PARTITION BY kind, country)) AS currency "
    f"{_LIVE_CHARGES}) AS lines "
    "GROUP BY kind, country, currency ORDER BY kind, country NULLS FIRST, currency NULLS FIRST"
)


@dataclass(frozen=True, slots=True)
class UsageLine:
    session_id: str
    leg_id: str
    charge_seq: int  # above 1: the charge was corrected (see the leg's ledger lines)
    caller_masked: str | None
    kind: str
    country: str | None
    role: str
    answered_at_ms: int | None
    ended_at_ms: int
    end_reason: str | None
    seconds: int
    increment: str
    billed_seconds: int
    rounded_minutes: Decimal
    per_minute: Decimal
    currency: str | None
    rate_version: str | None
    amount: Decimal
    rule: str
    estimated: bool


@dataclass(frozen=True, slots=True)
class UsageTotal:
    kind: str
    country: str | None
    currency: str | None
    legs: int
    seconds: int
    billed_seconds: int
    rounded_minutes: Decimal
    amount: Decimal


async def usage_lines(
    conn: asyncpg.Connection, account_id: str, from_ms: int, to_ms: int
) -> list[UsageLine]:
    records = await conn.fetch(_REPORT, account_id, from_ms, to_ms)
    return [UsageLine(**dict(r)) for r in records]


async def stream_usage_lines(
    conn: asyncpg.Connection, account_id: str, from_ms: int, to_ms: int, prefetch: int = 2000
) -> AsyncIterator[UsageLine]:
    """The same lines through a server-side cursor: memory stays flat for any report size.
    Runs in the caller's transaction, or in a read-only snapshot of its own."""
    if conn.is_in_transaction():
        async for record in conn.cursor(_REPORT, account_id, from_ms, to_ms, prefetch=prefetch):
            yield UsageLine(**dict(record))
        return
    async with conn.transaction(readonly=True, isolation="repeatable_read"):
        async for record in conn.cursor(_REPORT, account_id, from_ms, to_ms, prefetch=prefetch):
            yield UsageLine(**dict(record))


async def count_usage_lines(
    conn: asyncpg.Connection, account_id: str, from_ms: int, to_ms: int
) -> int:
    count: int = await conn.fetchval(f"SELECT count(*) {_LIVE_CHARGES}", account_id, from_ms, to_ms)
    return count


async def usage_totals(
    conn: asyncpg.Connection, account_id: str, from_ms: int, to_ms: int
) -> list[UsageTotal]:
    """Totals per kind, country and currency, summed by PostgreSQL."""
    records = await conn.fetch(_TOTALS, account_id, from_ms, to_ms)
    return [UsageTotal(**dict(r)) for r in records]


# What billing reads about accounts and sessions -------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountBilling:
    account_id: str
    increment: Increment
    spend_warning: Decimal | None
    spend_limit: Decimal | None


async def account_billing(conn: asyncpg.Connection, account_id: str) -> AccountBilling | None:
    record = await conn.fetchrow(
        "SELECT billing_increment, spend_warning, spend_limit FROM accounts WHERE account_id = $1",
        account_id,
    )
    if record is None:
        return None
    return AccountBilling(
        account_id,
        parse_increment(record["billing_increment"]),
        record["spend_warning"],
        record["spend_limit"],
    )


async def account_exists(conn: asyncpg.Connection, account_id: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM accounts WHERE account_id = $1", account_id))


async def set_spend_caps(
    conn: asyncpg.Connection, account_id: str, warning: Decimal | None, limit: Decimal | None
) -> bool:
    """Set (or clear, with None) an account's spend caps; False when there is no such account."""
    status = await conn.execute(
        "UPDATE accounts SET spend_warning = $2, spend_limit = $3, updated_at = now() "
        "WHERE account_id = $1",
        account_id,
        warning,
        limit,
    )
    return bool(status == "UPDATE 1")


async def load_session(conn: asyncpg.Connection, session_id: str) -> Session | None:
    record = await conn.fetchrow(
        f"SELECT {SESSION_COLUMNS} FROM sessions WHERE session_id = $1", session_id
    )
    return session_from_record(record) if record else None


async def live_sessions(conn: asyncpg.Connection, account_id: str) -> list[Session]:
    """The account's sessions not ended or cancelled yet."""
    records = await conn.fetch(
        f"SELECT {SESSION_COLUMNS} FROM sessions WHERE account_id = $1 "
        "AND state IN ('scheduled', 'organizer_joined', 'started') ORDER BY session_id",
        account_id,
    )
    return [session_from_record(r) for r in records]


async def unrated_ended_legs(
    conn: asyncpg.Connection, after_leg_id: str, limit: int
) -> list[tuple[str, str]]:
    """(leg_id, session_id) of ended legs in a session with no ledger line yet, by leg_id."""
    records = await conn.fetch(
        "SELECT l.leg_id, l.session_id FROM legs l WHERE l.state = 'ended' "
        "AND l.session_id IS NOT NULL AND l.leg_id > $1 AND NOT EXISTS "
        "(SELECT 1 FROM ledger_lines x WHERE x.leg_id = l.leg_id) "
        "ORDER BY l.leg_id LIMIT $2",
        after_leg_id,
        limit,
    )
    return [(r["leg_id"], r["session_id"]) for r in records]


# Spend alerts ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpendAlert:
    account_id: str
    period: str
    level: str  # warning | limit
    spent: Decimal
    threshold: Decimal


async def raise_spend_alert(conn: asyncpg.Connection, alert: SpendAlert) -> bool:
    """Record a threshold crossed in a month; True only the first time."""
    status = await conn.execute(
        "INSERT INTO spend_alerts (account_id, period, level, spent, threshold) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        alert.account_id,
        alert.period,
        alert.level,
        alert.spent,
        alert.threshold,
    )
    return bool(status.endswith(" 1"))


async def spend_alerts(conn: asyncpg.Connection, period: str) -> list[SpendAlert]:
    """Every spend alert of a month (YYYY-MM), for the dashboard."""
    records = await conn.fetch(
        "SELECT account_id, period, level, spent, threshold FROM spend_alerts "
        "WHERE period = $1 ORDER BY raised_at, account_id, level",
        period,
    )
    return [SpendAlert(**dict(r)) for r in records]
