"""The ledger: one immutable line per rating of an ended leg; corrections are void + recharge.

`record` is the idempotent path (one leg, serialized per leg): the same charge twice writes
nothing; a different charge voids the live one and charges again. `append_first_charges` is
the bulk path (COPY into a staging table, then one INSERT .. ON CONFLICT DO NOTHING) for legs
not in the ledger yet. The table's keys and trigger (0003_billing.sql) hold either way.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import asyncpg

from callcontrol.domain.errors import DomainError
from callcontrol.domain.legs import Leg, masked_number
from callcontrol.domain.rating import Charge, Increment
from callcontrol.domain.rules import BillingOutcome
from callcontrol.logsetup import get_logger

log = get_logger(__name__)

# Arbitrary: the first key of the per-leg advisory lock (the second is hashtext(leg_id)).
_LOCK_CLASS = 0x6C656467

COLUMNS = (
    "leg_id",
    "charge_seq",
    "entry",
    "session_id",
    "account_id",
    "kind",
    "role",
    "country",
    "caller_masked",
    "answered_at_ms",
    "ended_at_ms",
    "period_at_ms",
    "end_reason",
    "outcome",
    "rule",
    "reason",
    "seconds",
    "increment",
    "billed_seconds",
    "rounded_minutes",
    "per_minute",
    "rate_version",
    "currency",
    "amount",
    "estimated",
)
_INSERT = (
    f"INSERT INTO ledger_lines ({', '.join(COLUMNS)}) "
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(COLUMNS) + 1))})"
)
# What a charge line states about its leg; two charges equal on these are the same charge.
_FACTS = tuple(c for c in COLUMNS if c not in ("charge_seq", "entry", "reason"))
_NEGATED = ("seconds", "billed_seconds", "rounded_minutes", "amount")
_STAGE_TYPES = {
    "charge_seq": "integer",
    "answered_at_ms": "bigint",
    "ended_at_ms": "bigint",
    "period_at_ms": "bigint",
    "seconds": "integer",
    "billed_seconds": "integer",
    "rounded_minutes": "numeric",
    "per_minute": "numeric",
    "amount": "numeric",
    "estimated": "boolean",
}


class Entry(StrEnum):
    CHARGE = "charge"
    VOID = "void"


class Recorded(StrEnum):
    CHARGED = "charged"  # the leg's first charge (or the first after a lone void)
    UNCHANGED = "unchanged"  # the live charge already says exactly this
    CORRECTED = "corrected"  # the live charge was voided and a new one written


@dataclass(frozen=True, slots=True)
class Rated:
    """A charge with the leg it rates and the session outcome it assumed."""

    charge: Charge
    leg: Leg
    outcome: BillingOutcome


def _masked(leg: Leg) -> str | None:
    return None if leg.caller_e164 is None else _mask(leg.caller_e164)


@functools.lru_cache(maxsize=65536)
def _mask(e164: str) -> str | None:
    """Cached: the same callers come back in session after session."""
    try:
        return masked_number(e164)
    except DomainError as exc:
        log.warning("caller number not masked: left out of the ledger line", error=exc.message)
        return None


def charge_row(rated: Rated, seq: int = 1) -> tuple[Any, ...]:
    """The line of a charge, as values in COLUMNS order. Built straight into a tuple (enum
    members are str already): the bulk path builds one per leg."""
    c, leg = rated.charge, rated.leg
    answered = leg.answered_at_ms
    return (
        c.leg_id,
        seq,
        "charge",
        c.session_id,
        c.account_id,
        c.kind,
        leg.role,
        c.country,
        _masked(leg),
        answered,
        leg.ended_at_ms if leg.ended_at_ms is not None else leg.created_at_ms,
        answered if answered is not None else leg.created_at_ms,
        leg.end_reason,
        rated.outcome,
        c.rule,
        None,
        c.seconds,
        _increment_text(c.increment),
        c.billed_seconds,
        c.rounded_minutes,
        c.per_minute,
        c.rate_version,
        c.currency,
        c.amount,
        c.estimated,
    )


@functools.lru_cache(maxsize=64)
def _increment_text(increment: Increment) -> str:
    return str(increment)


def _void_row(live: asyncpg.Record, reason: str) -> tuple[Any, ...]:
    values = dict(live) | {"entry": Entry.VOID.value, "reason": reason}
    for name in _NEGATED:
        values[name] = -values[name]
    return tuple(values[c] for c in COLUMNS)


def _why(old: dict[str, Any], new: dict[str, Any]) -> str:
    if old["rule"] != new["rule"]:
        return f"rule changed to {new['rule']}"
    changed = [c for c in _FACTS if old[c] != new[c]]
    return "rerated: " + ", ".join(changed) + " changed"


async def record(conn: asyncpg.Connection, rated: Rated) -> Recorded:
    """Write what `rated` needs so the leg's live charge is exactly it; idempotent."""
    new = dict(zip(COLUMNS, charge_row(rated), strict=True))
    async with conn.transaction():
        await conn.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))", _LOCK_CLASS, new["leg_id"]
        )
        last = await conn.fetchrow(
            f"SELECT {', '.join(COLUMNS)} FROM ledger_lines WHERE leg_id = $1 "
            "ORDER BY charge_seq DESC, entry DESC LIMIT 1",  # 'void' sorts after 'charge'
            new["leg_id"],
        )
        if last is None:
            await conn.execute(_INSERT, *charge_row(rated, 1))
            return Recorded.CHARGED
        if last["entry"] == Entry.VOID.value:
            await conn.execute(_INSERT, *charge_row(rated, last["charge_seq"] + 1))
            return Recorded.CHARGED
        old = {c: last[c] for c in _FACTS}
        if old == {c: new[c] for c in _FACTS}:
            return Recorded.UNCHANGED
        await conn.execute(_INSERT, *_void_row(last, _why(old, new)))
        await conn.execute(_INSERT, *charge_row(rated, last["charge_seq"] + 1))
        return Recorded.CORRECTED


async def append_first_charges(conn: asyncpg.Connection, batch: Sequence[Rated]) -> int:
    """Bulk-write first charges; legs already in the ledger are skipped (use `record` for
    those). Returns the number of lines written.

    Fast path: COPY straight into the ledger. If a leg of the batch is already there, the
    unique key refuses the whole COPY; the batch then goes through a staging table and
    INSERT .. ON CONFLICT DO NOTHING, which skips those legs.
    """
    if not batch:
        return 0
    try:
        async with conn.transaction():
            # A generator: rows are built while earlier ones are encoded and sent, so the
            # server starts inserting before the client has built the whole batch.
            await conn.copy_records_to_table(
                "ledger_lines", records=(charge_row(r) for r in batch), columns=COLUMNS
            )
        return len(batch)
    except asyncpg.UniqueViolationError:
        pass
    columns = ", ".join(COLUMNS)
    async with conn.transaction():
        await conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS ledger_stage ("
            + ", ".join(f"{c} {_STAGE_TYPES.get(c, 'text')}" for c in COLUMNS)
            + ") ON COMMIT DELETE ROWS"
        )
        await conn.copy_records_to_table(
            "ledger_stage", records=(charge_row(r) for r in batch), columns=COLUMNS
        )
        status = await conn.execute(
            f"INSERT INTO ledger_lines ({columns}) SELECT {columns} FROM ledger_stage "
            "ON CONFLICT (leg_id, charge_seq, entry) DO NOTHING"
        )
    return int(status.split()[-1])


@dataclass(frozen=True, slots=True)
class LedgerLine:
    leg_id: str
    charge_seq: int
    entry: Entry
    session_id: str
    account_id: str
    kind: str
    role: str
    country: str | None
    caller_masked: str | None
    answered_at_ms: int | None
    ended_at_ms: int
    period_at_ms: int
    end_reason: str | None
    outcome: str
    rule: str
    reason: str | None
    seconds: int
    increment: str
    billed_seconds: int
    rounded_minutes: Decimal
    per_minute: Decimal
    rate_version: str | None
    currency: str | None
    amount: Decimal
    estimated: bool
    created_at: datetime


def _line(record: asyncpg.Record) -> LedgerLine:
    values = dict(record)
    values["entry"] = Entry(values["entry"])
    return LedgerLine(**values)


async def lines_for_leg(conn: asyncpg.Connection, leg_id: str) -> list[LedgerLine]:
    records = await conn.fetch(
        f"SELECT {', '.join(COLUMNS)}, created_at FROM ledger_lines WHERE leg_id = $1 "
        "ORDER BY charge_seq, entry",  # charge n, void n, charge n + 1
        leg_id,
    )
    return [_line(r) for r in records]


async def lines_for_session(conn: asyncpg.Connection, session_id: str) -> list[LedgerLine]:
    records = await conn.fetch(
        f"SELECT {', '.join(COLUMNS)}, created_at FROM ledger_lines WHERE session_id = $1 "
        "ORDER BY leg_id, charge_seq, entry",
        session_id,
    )
    return [_line(r) for r in records]


async def net_by_leg(conn: asyncpg.Connection, session_id: str) -> dict[str, Decimal]:
    """Each rated leg's net amount (its live charge: voids cancel what they void)."""
    records = await conn.fetch(
        "SELECT leg_id, sum(amount) AS net FROM ledger_lines WHERE session_id = $1 GROUP BY leg_id",
        session_id,
    )
    return {r["leg_id"]: r["net"] for r in records}


async def net_for_account(
    conn: asyncpg.Connection, account_id: str, from_ms: int, to_ms: int
) -> Decimal:
    """The account's net amount over lines whose period falls in [from_ms, to_ms)."""
    total = await conn.fetchval(
        "SELECT coalesce(sum(amount), 0) FROM ledger_lines "
        "WHERE account_id = $1 AND period_at_ms >= $2 AND period_at_ms < $3",
        account_id,
        from_ms,
        to_ms,
    )
    return Decimal(total)
