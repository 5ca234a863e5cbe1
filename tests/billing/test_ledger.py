"""The ledger's guarantees, held by PostgreSQL itself: immutable lines, one live charge per
leg, voids that mirror what they void, idempotent rating."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal

import asyncpg
import pytest

from callcontrol.domain.legs import Leg
from callcontrol.domain.rating import Increment, RateBook, rate_leg
from callcontrol.domain.rules import session_billing_outcome
from callcontrol.store import ledger, rates
from callcontrol.store.database import Database

from .support import MIN, RATES_CSV, T0, billing_for, ended, leg, setup


async def _rated(database: Database, *legs_: Leg) -> list[ledger.Rated]:
    book = RateBook.of(rates.read_rates_file(RATES_CSV))
    s = ended()
    return [
        ledger.Rated(rate_leg(x, s, book, Increment(60, 60)), x, session_billing_outcome(s))
        for x in legs_
    ]


async def _one_line(database: Database) -> None:
    x = leg("l1", ended_at_ms=T0 + MIN)
    await setup(database, sessions=[ended()], legs=[x])
    (rated,) = await _rated(database, x)
    async with database.connection() as conn:
        assert await ledger.record(conn, rated) is ledger.Recorded.CHARGED


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE ledger_lines SET amount = 0", id="update"),
        pytest.param("DELETE FROM ledger_lines", id="delete"),
        pytest.param("TRUNCATE ledger_lines", id="truncate"),
    ],
)
async def test_lines_are_immutable(database: Database, statement: str) -> None:
    await _one_line(database)
    async with database.connection() as conn:
        with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="immutable"):
            await conn.execute(statement)
        assert await conn.fetchval("SELECT amount FROM ledger_lines") == Decimal("0.0600")


async def test_rating_the_same_leg_twice_charges_once(database: Database) -> None:
    x = leg("l1", ended_at_ms=T0 + 90_000)
    await setup(database, sessions=[ended()], legs=[x])
    billing = await billing_for(database)
    assert await billing.on_leg_ended(x, ended()) is ledger.Recorded.CHARGED
    assert await billing.on_leg_ended(x, ended()) is ledger.Recorded.UNCHANGED
    assert await billing.on_session_outcome(ended()) == {
        ledger.Recorded.CHARGED: 0,
        ledger.Recorded.UNCHANGED: 1,
        ledger.Recorded.CORRECTED: 0,
    }
    async with database.connection() as conn:
        assert await conn.fetchval("SELECT count(*) FROM ledger_lines") == 1


async def test_concurrent_ratings_of_one_leg_write_one_charge(database: Database) -> None:
    x = leg("l1", ended_at_ms=T0 + 90_000)
    await setup(database, sessions=[ended()], legs=[x])
    billing = await billing_for(database)
    results = await asyncio.gather(*(billing.on_leg_ended(x, ended()) for _ in range(4)))
    assert sorted(r.value for r in results if r) == ["charged"] + ["unchanged"] * 3
    async with database.connection() as conn:
        assert await conn.fetchval("SELECT count(*) FROM ledger_lines") == 1


async def test_the_unique_key_refuses_a_second_first_charge(database: Database) -> None:
    await _one_line(database)
    x = leg("l1", ended_at_ms=T0 + MIN)
    (rated,) = await _rated(database, x)
    async with database.connection() as conn:
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(ledger._INSERT, *ledger.charge_row(rated, 1))


@pytest.mark.parametrize(
    ("seq", "entry", "constraint"),
    [
        pytest.param(2, "charge", "ledger_follows_its_parent", id="recharge without a void"),
        pytest.param(
            2, "void", "ledger_follows_its_parent", id="void of a charge that is not there"
        ),
    ],
)
async def test_corrections_must_follow_the_chain(
    database: Database, seq: int, entry: str, constraint: str
) -> None:
    await _one_line(database)
    (rated,) = await _rated(database, leg("l1", ended_at_ms=T0 + MIN))
    values = list(ledger.charge_row(rated, seq))
    values[ledger.COLUMNS.index("entry")] = entry
    if entry == "void":
        values[ledger.COLUMNS.index("reason")] = "test"
        for name in ("seconds", "billed_seconds", "rounded_minutes", "amount"):
            values[ledger.COLUMNS.index(name)] = -values[ledger.COLUMNS.index(name)]
    async with database.connection() as conn:
        with pytest.raises(asyncpg.ForeignKeyViolationError, match=constraint):
            await conn.execute(ledger._INSERT, *values)


async def test_a_changed_leg_is_voided_and_recharged(database: Database) -> None:
    x = leg("l1", ended_at_ms=T0 + MIN, estimated=True)
    await setup(database, sessions=[ended()], legs=[x])
    billing = await billing_for(database)
    await billing.on_leg_ended(x, ended())
    observed = replace(x, ended_at_ms=T0 + 3 * MIN + 1, estimated=False)
    assert await billing.on_leg_ended(observed, ended()) is ledger.Recorded.CORRECTED
    async with database.connection() as conn:
        lines = await ledger.lines_for_leg(conn, "l1")
    assert [(x.entry.value, x.charge_seq, x.amount) for x in lines] == [
        ("charge", 1, Decimal("0.0600")),
        ("void", 1, Decimal("-0.0600")),
        ("charge", 2, Decimal("0.2400")),
    ]
    assert lines[1].reason == (
        "rerated: ended_at_ms, seconds, billed_seconds, rounded_minutes, amount, estimated changed"
    )


async def test_bulk_append_skips_legs_already_charged(database: Database) -> None:
    legs_ = [leg(f"b{i}", ended_at_ms=T0 + (i + 1) * 1000) for i in range(50)]
    await setup(database, sessions=[ended()], legs=legs_)
    batch = await _rated(database, *legs_)
    async with database.connection() as conn:
        assert await ledger.record(conn, batch[0]) is ledger.Recorded.CHARGED
        assert await ledger.append_first_charges(conn, batch) == 49
        assert await ledger.append_first_charges(conn, batch) == 0
        assert await conn.fetchval("SELECT count(*) FROM ledger_lines") == 50
        assert await conn.fetchval("SELECT sum(amount) FROM ledger_lines") == Decimal("3.0000")
